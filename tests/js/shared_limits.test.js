// Provider limits shared across isolates (src/engine/shared_limits.cc: pools "concurrency", "rpm"
// and "tpm" of provider:<name> and target:<provider>/<model>): two engines (two WASI core
// instances, two drivers: two isolates) whose host.state reaches the same objects
// (tests/js/fake_state.js), in front of an upstream that counts what it has in flight.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { after, before, test } from 'node:test';

import { createCCore } from '../../web/src/core_c.js';
import { createDriver } from '../../web/src/driver.js';
import { startCountingUpstream } from './counting_upstream.js';
import { createFakeState } from './fake_state.js';

const opts = { timeout: 120000 };

let compiled;
let upstream;
let seed = 41n;

before(async () => {
  compiled = await WebAssembly.compile(await readFile(new URL('../../worker/dist/switchyard.wasm', import.meta.url)));
  upstream = await startCountingUpstream({ delayMs: 150 });
});

after(async () => {
  await upstream?.close();
});

const config = (limits, extra = {}) => JSON.stringify({
  providers: { up: { type: 'openai-compatible', base_url: upstream.url, limits } },
  cache: { enabled: false },
  ...extra,
});

// One isolate: a fresh core instance behind its own driver, its shared state through `state`
// (none: limits in its memory only).
async function isolate(configText, state) {
  const wasi = new WASI({ version: 'preview1' });
  const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
  wasi.initialize(instance);
  const core = createCCore(instance.exports, seed++);
  assert.equal(core.configure(configText, '{}'), null);
  return createDriver(core, { fetch, ...(state ? { state } : {}), stateTimeoutMs: 2000, waitUntil: () => {}, log: () => {} });
}

const chat = (driver) => driver.request('POST', '/v1/chat/completions', { 'content-type': 'application/json' },
  JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'hello' }] }));

// Counts start again for each test (nothing is in flight between them).
async function fresh() {
  assert.equal(upstream.inFlight, 0);
  upstream.reset();
}

test('two isolates, 24 concurrent requests to a provider with concurrency 2: never more than 2 upstream at once, all succeed', opts, async () => {
  await fresh();
  const shared = createFakeState();
  const text = config({ concurrency: 2 });
  const drivers = [await isolate(text, shared.state), await isolate(text, shared.state)];
  const responses = await Promise.all(Array.from({ length: 24 }, (_, i) => chat(drivers[i % 2])));
  const bodies = await Promise.all(responses.map((r) => r.text()));
  assert.deepEqual(responses.map((r) => r.status), Array(24).fill(200), bodies.find((b) => !b.includes('counted')));
  assert.ok(upstream.maxInFlight <= 2, `the upstream saw ${upstream.maxInFlight} at once`);
  assert.equal(upstream.total, 24, 'each request went upstream once');
  assert.ok(shared.ops > 0, 'the isolates asked the shared object');
});

test('two isolates, a provider with rpm 5: exactly 5 requests go upstream in the window, the rest wait and get 429', opts, async () => {
  await fresh();
  const shared = createFakeState();
  const text = config({ rpm: 5 }, { timeout_ms: 2500 });
  const drivers = [await isolate(text, shared.state), await isolate(text, shared.state)];
  const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => chat(drivers[i % 2])));
  const bodies = await Promise.all(responses.map((r) => r.text()));
  assert.equal(upstream.total, 5, 'requests that reached the upstream');
  assert.equal(responses.filter((r) => r.status === 200).length, 5, responses.map((r) => r.status).join(','));
  for (let i = 0; i < responses.length; i++) {
    if (responses[i].status === 200) continue;
    assert.equal(responses[i].status, 429, bodies[i]);
    assert.equal(JSON.parse(bodies[i]).error.code, 'rate_limited', bodies[i]);
    assert.ok(Number(responses[i].headers.get('retry-after')) >= 1, 'a retry-after');
  }
});

test('an unreachable object: 503 state_unavailable naming the provider, nothing goes upstream', opts, async () => {
  await fresh();
  const driver = await isolate(config({ concurrency: 2 }), async () => { throw new Error('the object is unreachable'); });
  const response = await chat(driver);
  const body = await response.json();
  assert.equal(response.status, 503, JSON.stringify(body));
  assert.equal(body.error.code, 'state_unavailable');
  assert.match(body.error.message, /provider:up/);
  assert.equal(upstream.total, 0);
});

test('gateway.state_fail_open: an unreachable object lets the request through', opts, async () => {
  await fresh();
  const text = config({ concurrency: 2 }, { gateway: { state_fail_open: true } });
  const driver = await isolate(text, async () => { throw new Error('the object is unreachable'); });
  const response = await chat(driver);
  assert.equal(response.status, 200, await response.text());
  assert.equal(upstream.total, 1);
});

test('without shared state: each isolate keeps the limit in its memory, as before (two isolates: twice the limit)', opts, async () => {
  await fresh();
  const text = config({ concurrency: 2 });
  const one = await isolate(text);
  let responses = await Promise.all(Array.from({ length: 8 }, () => chat(one)));
  assert.deepEqual(responses.map((r) => r.status), Array(8).fill(200));
  assert.equal(upstream.maxInFlight, 2);
  // What shared state is for: two isolates that do not share the limit let 2 each through.
  await fresh();
  const two = [one, await isolate(text)];
  responses = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(two[i % 2])));
  assert.deepEqual(responses.map((r) => r.status), Array(8).fill(200));
  assert.equal(upstream.maxInFlight, 4);
});
