// Key budgets through workerd when the shared-state Durable Object cannot be reached
// (tests/js/state/unreachable_worker.js wraps SWITCHYARD_STATE): a budgeted key fails closed with
// 503 state_unavailable naming the key, before any upstream call, whether the object answers an
// error or never answers (the driver's 5 s stateTimeoutMs); a key without a budget is not
// affected; once the object is back, the budgeted key is answered again.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startGateway } from '../../worker/gateway.mjs';
import { startMock } from '../mock-upstream/server.mjs';
import { call, track } from './gateway/helpers.js';

// One budgeted key per case: a key whose isolate already holds a lease is admitted from it
// without asking the object.
const KEYS = { down: 'sk-sy-state-down-test-2b90', slow: 'sk-sy-state-slow-test-8e03' };
const FREE_KEY = 'sk-sy-state-down-free-c41d';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-state-down-test-'));
const opts = { timeout: 120000 };

let mock;
let gateway;

before(async () => {
  mock = await startMock();
  mock.setScenario('down', { text: 'fine', latency_ms: 10 });
  const config = {
    providers: { up: { type: 'openai-compatible', base_url: mock.scenarioUrl('down'), prices: { m: { input: 1000, output: 1700 } } } },
    models: { priced: { targets: [{ provider: 'up', model: 'm' }] } },
    keys: {
      [KEYS.down]: { name: 'team-down', budget_usd: 1, models: ['priced'] },
      [KEYS.slow]: { name: 'team-slow', budget_usd: 1, models: ['priced'] },
      [FREE_KEY]: { name: 'free' },
    },
    cache: { enabled: false },
  };
  gateway = await startGateway({
    configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw'), main: 'tests/js/state/unreachable_worker.js',
    timeoutMs: 60000, wasmPath: process.env.SWITCHYARD_WASM || undefined,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const mode = (m) => fetch(`${gateway.url}/__state_mode/${m}`, { method: 'POST' }).then((r) => r.text());
const chat = (key) => call(`${gateway.url}/v1/chat/completions`, {
  method: 'POST',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }),
});
const upstreamCalls = () => mock.counts().down?.['POST /v1/chat/completions'] ?? 0;

for (const m of ['down', 'slow']) {
  test(`an object that is ${m}: 503 state_unavailable naming the key; a key without a budget is answered`, opts, async () => {
    await mode(m);
    const before = upstreamCalls();
    const started = Date.now();
    const refused = await chat(KEYS[m]);
    const took = Date.now() - started;
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.error.code, 'state_unavailable');
    assert.match(refused.json.error.message, new RegExp(`"team-${m}"`));
    assert.ok(!refused.text.includes(KEYS[m]), 'the key itself appears in the error');
    assert.equal(upstreamCalls(), before, 'nothing went upstream');
    if (m === 'slow') assert.ok(took >= 4000, `answered after ${took} ms, before the 5 s state timeout`);
    const free = await chat(FREE_KEY);
    assert.equal(free.status, 200, free.text);
    await mode('up');
    // The object is back: the next op is answered (a failed op is retried on the next one).
    let back;
    for (let i = 0; i < 50; i++) {
      back = await chat(KEYS[m]);
      if (back.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(back.status, 200, back.text);
  });
}
