// Key budgets shared across isolates through workerd and the real Durable Object
// (worker/src/state_object.js, SWITCHYARD_STATE): two gateway isolates on two ports share one
// namespace; 50 concurrent chat completions with the official `openai` client, spread over both,
// on a key with budget_usd 0.05 at $0.018 an answer: at most 3 succeed (2 fit), the rest get 402;
// after a stop and a restart on the same state directory, GET /v1/key shows the same spend.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import OpenAI from 'openai';

import { startGateway } from '../../worker/gateway.mjs';
import { startMock } from '../mock-upstream/server.mjs';
import { call, track } from './gateway/helpers.js';

const KEY = 'sk-sy-shared-budget-test-77e1';
// As tests/js/gateway_budget.test.js: $0.018 an answer, $0.023 reserved per request.
const TEXT = 'one two three four five six seven eight nine ten';
const COST = 0.018;
const BUDGET = 0.05;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-shared-budget-test-'));
const stateDir = path.join(tmp, 'state');
const opts = { timeout: 180000 };

let mock;
let gateway;
let configText;

const start = async () => {
  const gw = await startGateway({
    configText, port: 0, outDir: path.join(tmp, 'gw'), stateDir, isolates: 2, timeoutMs: 60000,
    wasmPath: process.env.SWITCHYARD_WASM || undefined,
  });
  track(gw.child);
  return gw;
};

before(async () => {
  mock = await startMock();
  mock.setScenario('shared', { text: TEXT, latency_ms: 400 });
  configText = JSON.stringify({
    providers: {
      up: { type: 'openai-compatible', base_url: mock.scenarioUrl('shared'), prices: { m: { input: 1000, output: 1700 } } },
    },
    models: { priced: { targets: [{ provider: 'up', model: 'm' }] } },
    keys: { [KEY]: { name: 'team-shared', budget_usd: BUDGET, rpm: 1000, models: ['priced'] } },
    cache: { enabled: false },
  });
  gateway = await start();
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const keyInfo = (url) => call(`${url}/v1/key`, { headers: { authorization: `Bearer ${KEY}` } });

async function spentAt(url, expected) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const info = await keyInfo(url);
    assert.equal(info.status, 200, info.text);
    if (Math.abs(info.json.data.spent_usd - expected) < 1e-9 || Date.now() > deadline) return info.json.data;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two isolates, one Durable Object: 50 concurrent requests on $0.05 at $0.018 an answer, at most 3 succeed; a restart keeps the spend', opts, async (t) => {
  assert.equal(gateway.urls.length, 2);
  const clients = gateway.urls.map((url) => new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60000 }));
  const before = mock.counts().shared?.['POST /v1/chat/completions'] ?? 0;
  const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
    clients[i % 2].chat.completions.create({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(ok.length >= 1 && ok.length <= 3, `${ok.length} succeeded`);
  for (const r of ok) assert.equal(r.value.choices[0].message.content, TEXT);
  for (const r of refused) {
    assert.equal(r.reason.status, 402, String(r.reason));
    assert.equal(r.reason.code ?? r.reason.error?.code, 'budget_exhausted', String(r.reason));
  }
  const upstream = (mock.counts().shared?.['POST /v1/chat/completions'] ?? 0) - before;
  assert.equal(upstream, ok.length, 'refused requests never went upstream');

  const expected = ok.length * COST;
  for (const url of gateway.urls) {
    const data = await spentAt(url, expected);
    assert.ok(Math.abs(data.spent_usd - expected) < 1e-9, `${url}: spent ${data.spent_usd}, expected ${expected}`);
    assert.equal(data.budget_usd, BUDGET);
    assert.ok(data.spent_usd <= BUDGET);
  }

  t.diagnostic(`${ok.length} succeeded, ${refused.length} got 402, $${expected.toFixed(3)} spent`);
  await gateway.stop();
  gateway = await start();
  for (const url of gateway.urls) {
    const info = await keyInfo(url);
    assert.equal(info.status, 200, info.text);
    assert.ok(Math.abs(info.json.data.spent_usd - expected) < 1e-9, `after the restart: ${info.text}`);
    t.diagnostic(`after the restart, ${url}/v1/key: ${info.text}`);
  }
  // What is left still holds after the restart: with 2 answers spent ($0.014 left), another
  // request ($0.023 reserved) does not fit.
  if (ok.length >= 2) {
    const fresh = new OpenAI({ apiKey: KEY, baseURL: `${gateway.urls[1]}/v1`, maxRetries: 0, timeout: 60000 });
    await assert.rejects(
      fresh.chat.completions.create({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }),
      (e) => e.status === 402);
  }
});
