// Key rpm shared across isolates (src/gateway/shared_budgets.cc, pool "rpm" of key:<name>): two
// engines (two WASI core instances, two drivers: two isolates) whose host.state reaches the same
// objects (tests/js/fake_state.js). 50 concurrent requests over both on a key with rpm 10: exactly
// 10 succeed, the rest get 429 key_rate_limited with a retry-after (when the object lets the oldest
// request go); an object that cannot be reached fails closed (503 state_unavailable naming the key).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { before, test } from 'node:test';

import { createCCore } from '../../web/src/core_c.js';
import { createDriver } from '../../web/src/driver.js';
import { createFakeState } from './fake_state.js';

const KEY = 'sk-sy-shared-rpm-9c3a';
const opts = { timeout: 120000 };
const CONFIG = JSON.stringify({
  providers: { e: { type: 'echo' } },
  keys: { [KEY]: { name: 'team-rpm', rpm: 10 } },
  cache: { enabled: false },
});

let compiled;
let seed = 21n;

before(async () => {
  compiled = await WebAssembly.compile(await readFile(new URL('../../worker/dist/switchyard.wasm', import.meta.url)));
});

// One isolate: a fresh core instance behind its own driver, its shared state through `state`.
async function isolate(state) {
  const wasi = new WASI({ version: 'preview1' });
  const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
  wasi.initialize(instance);
  const core = createCCore(instance.exports, seed++);
  assert.equal(core.configure(CONFIG, '{}'), null);
  return createDriver(core, { fetch, state, stateTimeoutMs: 2000, waitUntil: () => {}, log: () => {} });
}

const chat = (driver) => driver.request('POST', '/v1/chat/completions',
  { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  JSON.stringify({ model: 'e/x', messages: [{ role: 'user', content: 'hello' }] }));

test('two isolates, 50 concurrent requests on a key with rpm 10: exactly 10 succeed, the rest 429', opts, async () => {
  const shared = createFakeState();
  const drivers = [await isolate(shared.state), await isolate(shared.state)];
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => chat(drivers[i % 2])));
  const bodies = await Promise.all(responses.map((r) => r.text()));
  const ok = responses.filter((r) => r.status === 200).length;
  const limited = responses.filter((r) => r.status === 429);
  assert.equal(ok, 10, responses.map((r) => r.status).join(','));
  assert.equal(limited.length, 40);
  for (let i = 0; i < 50; i++) {
    if (responses[i].status !== 429) continue;
    assert.equal(JSON.parse(bodies[i]).error.code, 'key_rate_limited', bodies[i]);
    assert.ok(Number(responses[i].headers.get('retry-after')) >= 1, 'a retry-after');
  }
  // Both isolates answered some of the ten (the key's object, not one isolate, is the limit).
  const perIsolate = [0, 1].map((k) => responses.filter((r, i) => i % 2 === k && r.status === 200).length);
  assert.equal(perIsolate[0] + perIsolate[1], 10);
});

test('a 429 says when the object lets a request go: its oldest request leaves the window', opts, async () => {
  let shift = 0; // the object's clock runs ahead of the engine's by `shift` ms
  const shared = createFakeState({ now: () => Date.now() + shift });
  const driver = await isolate(shared.state);
  for (let i = 0; i < 10; i++) assert.equal((await chat(driver)).status, 200);
  shift = 45000; // 45 s later for the object: the first requests leave its window in about 15 s
  const response = await chat(driver);
  const body = await response.json();
  assert.equal(response.status, 429, JSON.stringify(body));
  assert.equal(body.error.code, 'key_rate_limited');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter >= 12 && retryAfter <= 15, `retry-after ${retryAfter}: 60 s after the oldest was recorded, not the whole window`);
});

test('an unreachable object: 503 state_unavailable naming the key', opts, async () => {
  const driver = await isolate(async () => { throw new Error('the object is unreachable'); });
  const response = await chat(driver);
  const body = await response.json();
  assert.equal(response.status, 503, JSON.stringify(body));
  assert.equal(body.error.code, 'state_unavailable');
  assert.match(body.error.message, /"team-rpm"/);
  assert.ok(!JSON.stringify(body).includes(KEY), 'the key itself appears in the error');
});
