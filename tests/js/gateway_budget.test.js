// Key budgets through the edge gateway (workerd + the WASI core), with the official `openai`
// client: 50 concurrent chat completions on a key with budget_usd 0.05, each answer costing
// $0.018, cannot overspend it (at most 3 succeed, the rest get 402 before any upstream call), and
// GET /v1/key shows the calling key's name, budget, spend, reservations and limits.
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

const KEY = 'sk-sy-budget-test-41c7';
const FREE_KEY = 'sk-sy-budget-free-93ab';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-budget-test-'));
const opts = { timeout: 60000 };

// The mock answers 10 words and counts the prompt "hello" as 1 token: 1 × $1000 + 10 × $1700 per
// million = $0.018 per answer. The gateway reserves (6 prompt tokens estimated) × $1000 + 10
// (max_tokens) × $1700 per million = $0.023: two fit in $0.05 at once, and once they are
// settled ($0.036 spent) the $0.014 left fits no third.
const TEXT = 'one two three four five six seven eight nine ten';
const COST = 0.018;
const BUDGET = 0.05;

let mock;
let gateway;

before(async () => {
  mock = await startMock();
  mock.setScenario('budget', { text: TEXT, latency_ms: 400 });
  const config = {
    providers: {
      up: { type: 'openai-compatible', base_url: mock.scenarioUrl('budget'), prices: { m: { input: 1000, output: 1700 } } },
    },
    models: { priced: { targets: [{ provider: 'up', model: 'm' }] } },
    keys: {
      [KEY]: { name: 'team-budget', budget_usd: BUDGET, rpm: 1000, models: ['priced'] },
      [FREE_KEY]: {},
    },
    cache: { enabled: false },
  };
  gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw'), wasmPath: process.env.SWITCHYARD_WASM || undefined });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const keyInfo = (key) => call(`${gateway.url}/v1/key`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

test('GET /v1/key needs a key and never shows it', opts, async () => {
  const none = await keyInfo();
  assert.equal(none.status, 401, none.text);
  const free = await keyInfo(FREE_KEY);
  assert.equal(free.status, 200, free.text);
  assert.ok(!free.text.includes(FREE_KEY), 'the key itself appears in /v1/key');
  assert.match(free.json.data.name, /^key-[0-9a-f]{8}$/);
  assert.deepEqual({ ...free.json.data, name: undefined }, {
    name: undefined, budget_usd: null, spent_usd: 0, reserved_usd: 0, remaining_usd: null, limits: { rpm: null }, models: ['*'], admin: false,
  });
});

test('50 concurrent requests on a $0.05 budget at $0.018 an answer: at most 3 succeed, the rest get 402', opts, async (t) => {
  const client = new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 30000 });
  const before = mock.counts().budget?.['POST /v1/chat/completions'] ?? 0;
  const results = await Promise.allSettled(Array.from({ length: 50 }, () =>
    client.chat.completions.create({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(ok.length >= 1 && ok.length <= 3, `${ok.length} succeeded`);
  for (const r of ok) {
    assert.equal(r.value.choices[0].message.content, TEXT);
    assert.ok(Math.abs(r.value.usage.cost - COST) < 1e-9, JSON.stringify(r.value.usage));
  }
  for (const r of refused) {
    assert.ok(r.reason instanceof OpenAI.APIError, String(r.reason));
    assert.equal(r.reason.status, 402, r.reason.message);
    assert.equal(r.reason.code, 'budget_exhausted');
    assert.match(r.reason.message, /budget left .*this request may cost up to \$0\.023/);
  }
  const after = mock.counts().budget?.['POST /v1/chat/completions'] ?? 0;
  assert.equal(after - before, ok.length, 'a refused request reached the upstream');

  const info = await keyInfo(KEY);
  assert.equal(info.status, 200, info.text);
  const d = info.json.data;
  assert.equal(d.name, 'team-budget');
  assert.equal(d.budget_usd, BUDGET);
  assert.equal(d.reserved_usd, 0);
  assert.ok(Math.abs(d.spent_usd - COST * ok.length) < 1e-9, info.text);
  assert.ok(d.spent_usd <= BUDGET, `spent ${d.spent_usd} over the budget`);
  assert.ok(Math.abs(d.remaining_usd - (BUDGET - d.spent_usd)) < 1e-9, info.text);
  // Amounts read as written: 0.05 - 0.036 is 0.014, not 0.014000000000000006.
  assert.equal(d.remaining_usd, Number((BUDGET - d.spent_usd).toFixed(12)), info.text);
  assert.deepEqual(d.limits, { rpm: 1000 });
  assert.deepEqual(d.models, ['priced']);
  assert.equal(d.admin, false);
  t.diagnostic(`${ok.length} succeeded, ${refused.length} got 402; spent $${d.spent_usd} of $${BUDGET}`);

  // What is left ($0.014) does not fit another such request.
  const late = await client.chat.completions.create({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }).catch((e) => e);
  assert.equal(late.status, 402);
});
