// Issue 12's proof across processes: two gateway processes (two workerd instances, each with its
// own state directory) in one workerd cluster on loopback share the keys' Durable Objects through
// a bucket (tests/s3-server, docs/deploy.md). With the official `openai` client spread over both:
// - 50 concurrent requests on a key with budget_usd 0.05 at $0.018 an answer ($0.023 reserved):
//   at most 3 succeed, the rest get 402, and both processes report the same spend;
// - 50 concurrent requests on a key with rpm 10: exactly 10 succeed, the rest get 429;
// - spend settled through both, then `kill -9` of the process that owns the key's object: the
//   survivor takes the object over, its GET /v1/key shows every settled dollar (including what
//   only the killed process settled), and it keeps refusing once the budget is used up.
// One cluster serves every case (starting one takes a while on a loaded machine); the cases run
// in order and the last one kills a process. Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { startMock } from '../mock-upstream/server.mjs';
import { startCluster } from './state/cluster.js';

const KEYS = {
  budget: 'sk-sy-cluster-budget-test-5c21',
  rpm: 'sk-sy-cluster-rpm-test-90d4',
  kill: 'sk-sy-cluster-kill-test-3a7e',
};
// As tests/js/gateway_budget.test.js: 10 prompt + 10 answer tokens at $1000/$1700 per million
// = $0.018 an answer; max_tokens 10 reserves $0.023.
const TEXT = 'one two three four five six seven eight nine ten';
const COST = 0.018;
const ESTIMATE = 0.023;
const BUDGET = 0.05;
const KILL_BUDGET = 0.1;
const near = (a, b) => Math.abs(a - b) < 1e-9;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-gateway-cluster-test-'));
const opts = { timeout: 300000 };
let mock;
let cluster;

const url = (name) => cluster.instances[name].gw.url;
const client = (name, key) => new OpenAI({ apiKey: key, baseURL: `${url(name)}/v1`, maxRetries: 0, timeout: 90000 });
const ask = (name, key) => client(name, key).chat.completions.create({
  model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }],
});
const upstreamCalls = () => mock.counts().cluster?.['POST /v1/chat/completions'] ?? 0;
/** GET /v1/key through `name`: { status, text, json } (30 s at most: a loaded machine is slow). */
async function keyInfo(name, key) {
  const response = await fetch(`${url(name)}/v1/key`, {
    headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, text, json };
}

/** GET /v1/key through `name` until it shows `expected` spent (or the deadline): its data. */
async function spentAt(name, key, expected, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await keyInfo(name, key);
    assert.equal(info.status, 200, info.text);
    if (near(info.json.data.spent_usd, expected) || Date.now() > deadline) return info.json.data;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertRefused(reason, status, code) {
  assert.equal(reason?.status, status, `${reason}\n${cluster.logs()}`);
  assert.equal(reason.code ?? reason.error?.code, code, String(reason));
}

describe('two gateway processes in one workerd cluster', () => {
  before(async () => {
    mock = await startMock();
    mock.setScenario('cluster', { text: TEXT, latency_ms: 400 });
    const configText = JSON.stringify({
      providers: {
        up: { type: 'openai-compatible', base_url: mock.scenarioUrl('cluster'), prices: { m: { input: 1000, output: 1700 } } },
        e: { type: 'echo' },
      },
      models: { priced: { targets: [{ provider: 'up', model: 'm' }] } },
      keys: {
        [KEYS.budget]: { name: 'team-budget', budget_usd: BUDGET, rpm: 1000, models: ['priced'] },
        [KEYS.rpm]: { name: 'team-rpm', rpm: 10 },
        [KEYS.kill]: { name: 'team-kill', budget_usd: KILL_BUDGET, models: ['priced'] },
      },
      cache: { enabled: false },
    });
    cluster = await startCluster({ tmp, configText, wasmPath: process.env.SWITCHYARD_WASM || undefined });
    await cluster.start('a');
    await cluster.start('b');
  });
  after(async () => {
    await cluster?.stop();
    await mock?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('50 concurrent requests over both on $0.05 at $0.018 an answer: at most 3 succeed, the rest get 402', opts, async (t) => {
    const before = upstreamCalls();
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ask(i % 2 ? 'b' : 'a', KEYS.budget)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(ok.length >= 1 && ok.length <= 3, `${ok.length} succeeded: ${results.map((r) => r.reason?.status ?? 200).join(',')}`);
    for (const r of ok) assert.equal(r.value.choices[0].message.content, TEXT);
    for (const r of refused) assertRefused(r.reason, 402, 'budget_exhausted');
    assert.equal(upstreamCalls() - before, ok.length, 'refused requests never went upstream');

    const expected = ok.length * COST;
    for (const name of ['a', 'b']) {
      const data = await spentAt(name, KEYS.budget, expected);
      assert.ok(near(data.spent_usd, expected), `${name}: spent ${data.spent_usd}, expected ${expected}`);
      assert.equal(data.budget_usd, BUDGET);
      assert.ok(data.spent_usd <= BUDGET);
    }
    t.diagnostic(`${ok.length} succeeded, ${refused.length} got 402, $${expected.toFixed(3)} spent`);
  });

  test('50 concurrent requests over both on a key with rpm 10: exactly 10 succeed, the rest get 429', opts, async (t) => {
    const clients = ['a', 'b'].map((name) => client(name, KEYS.rpm));
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
      clients[i % 2].chat.completions.create({ model: 'e/x', messages: [{ role: 'user', content: 'hello' }] })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 10, results.map((r) => r.reason?.status ?? 200).join(','));
    const waits = new Set();
    for (const r of refused) {
      assertRefused(r.reason, 429, 'key_rate_limited');
      const retryAfter = Number(r.reason.headers?.get?.('retry-after') ?? r.reason.headers?.['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}: within the 60 s window`);
      waits.add(retryAfter);
    }
    t.diagnostic(`${ok.length} succeeded, ${refused.length} got 429 (retry-after: ${[...waits].sort((x, y) => x - y).join(', ')} s)`);
  });

  test('kill -9 of the process that owns the key\'s object loses no settled spend; the survivor keeps refusing past the budget', opts, async (t) => {
    const known = await cluster.ownershipRecords();
    const claim = await keyInfo('a', KEYS.kill); // a get op: claims the key's object
    assert.equal(claim.status, 200, claim.text);
    assert.equal(claim.json.data.spent_usd, 0);
    const doomed = await cluster.ownerSince(known);
    const survivor = doomed === 'a' ? 'b' : 'a';

    // Spend through the survivor first, then through the owner. The survivor is not asked for
    // the key again before the kill, so all it has heard from the object is its own $0.018: the
    // $0.054 it must show afterwards can only come from the object's storage.
    const before = upstreamCalls();
    await ask(survivor, KEYS.kill);
    await ask(doomed, KEYS.kill);
    await ask(doomed, KEYS.kill);
    assert.equal(upstreamCalls() - before, 3);
    const settled = 3 * COST;
    const owned = await spentAt(doomed, KEYS.kill, settled);
    assert.ok(near(owned.spent_usd, settled), `the owner shows ${owned.spent_usd}`);

    cluster.instances[doomed].gw.child.kill('SIGKILL');
    await cluster.instances[doomed].gw.exited;
    const killedAt = Date.now();

    // Until the survivor has taken the object over, /v1/key shows what it knows ($0.018); never more.
    const deadline = Date.now() + 180000;
    let data;
    for (;;) {
      const info = await keyInfo(survivor, KEYS.kill);
      assert.equal(info.status, 200, info.text);
      data = info.json.data;
      assert.ok(data.spent_usd <= settled + 1e-9, `never more than was settled: ${info.text}`);
      if (near(data.spent_usd, settled) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(near(data.spent_usd, settled), `the survivor shows every settled dollar: ${JSON.stringify(data)}\n${cluster.logs()}`);
    const takeoverMs = Date.now() - killedAt;

    // Spend what is left through the survivor, one request at a time, until it refuses.
    let more = 0;
    for (;;) {
      try {
        await ask(survivor, KEYS.kill);
        more++;
      } catch (error) {
        assertRefused(error, 402, 'budget_exhausted');
        break;
      }
      assert.ok(more <= 2, `$${KILL_BUDGET} holds at most 2 more answers after $${settled.toFixed(3)}`);
    }
    const final = settled + more * COST;
    const after = await spentAt(survivor, KEYS.kill, final);
    assert.ok(near(after.spent_usd, final), `spent ${after.spent_usd}, expected ${final}`);
    assert.ok(after.spent_usd <= KILL_BUDGET, `within the budget: ${after.spent_usd}`);
    assert.ok(KILL_BUDGET - after.spent_usd < ESTIMATE, 'refused only when another answer did not fit');

    // It keeps refusing: 10 more at once all get 402, and none goes upstream.
    const calls = upstreamCalls();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => ask(survivor, KEYS.kill)));
    for (const r of results) assertRefused(r.reason, 402, 'budget_exhausted');
    assert.equal(upstreamCalls(), calls, 'refused requests never went upstream');
    t.diagnostic(`killed ${doomed} (the object's owner) after $${settled.toFixed(3)} settled; ${survivor} showed it after ${takeoverMs} ms, then answered ${more} more and refused`);
  });
});
