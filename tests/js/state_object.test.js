// The shared-state Durable Object (worker/src/state_object.js, class SwitchyardState) in workerd:
// the pool protocol of docs/host-interface.md ("Shared state"), exercised through a test worker
// (tests/js/state/test_worker.js) that wraps the gateway and forwards `POST /__state/<object>`
// through `stateClient`, the `host.state` the gateway hands its driver. Two isolates (two copies
// of the worker in one workerd, as two edge instances) share the one namespace; a restart of
// workerd on the same state directory keeps what was consumed and leased.
// Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startGateway } from '../../worker/gateway.mjs';
import { track } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const TEST_WORKER = 'tests/js/state/test_worker.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-state-test-'));
const stateDir = path.join(tmp, 'state');
let gateway;

async function start() {
  const gw = await startGateway({
    port: 0, outDir: path.join(tmp, 'gw'), wasmPath, stateDir, isolates: 2, main: TEST_WORKER, timeoutMs: 60000,
  });
  track(gw.child);
  return gw;
}

/** One operation on object `name` through isolate `isolate` (0 or 1): { status, json, text }. */
async function op(name, body, isolate = 0) {
  const response = await fetch(`${gateway.urls[isolate]}/__state/${encodeURIComponent(name)}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text };
}

async function ok(name, body, isolate = 0) {
  const answer = await op(name, body, isolate);
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}

/** The request as it reaches the object: the object's own status and body. */
async function raw(name, { method = 'POST', route = 'op', body } = {}) {
  const response = await fetch(`${gateway.urls[0]}/__state_raw/${encodeURIComponent(name)}/${route}`, {
    method, body, signal: AbortSignal.timeout(30000),
  });
  return { status: response.status, json: await response.json() };
}

const lease = (fields) => ({ op: 'lease', window_ms: 0, ttl_ms: 600000, want: 0, min: 0, spent: 0, returned: 0, ...fields });

// Polls `probe` until it returns a truthy value (bounded: fails after `limitMs`).
async function until(what, probe, limitMs = 20000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the shared-state Durable Object', () => {
  before(async () => {
    gateway = await start();
  });
  after(async () => {
    await gateway?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('grants never exceed capacity under 200 concurrent ops from two holders over two isolates', async () => {
    const name = 'provider:concurrent';
    const base = { pool: 'rpm', capacity: 50, window_ms: 60000, min: 1 };
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      ok(name, lease({ ...base, holder: i % 2 ? 'h-b' : 'h-a', want: 1 + (i % 3) }), i % 2)));
    const granted = { 'h-a': 0, 'h-b': 0 };
    answers.forEach((a, i) => {
      assert.ok(a.granted >= 0 && a.available >= 0 && a.capacity === 50, JSON.stringify(a));
      granted[i % 2 ? 'h-b' : 'h-a'] += a.granted;
    });
    // Demand (400) exceeds capacity: exactly the capacity is leased, split between the holders.
    assert.equal(granted['h-a'] + granted['h-b'], 50);
    const view = await ok(name, { op: 'get', pool: 'rpm', capacity: 50, window_ms: 60000 }, 1);
    assert.deepEqual(view, { consumed: 0, leased: 50, capacity: 50 });

    // Each holder spends its lease one unit per op, 2 × its lease ops at once: everything leased
    // becomes consumed, nothing more is granted.
    const spends = [];
    for (const holder of ['h-a', 'h-b']) {
      for (let i = 0; i < granted[holder]; i++) {
        spends.push(ok(name, lease({ ...base, holder, want: i % 2, spent: 1, returned: 1 }), i % 2));
      }
    }
    const settled = await Promise.all(spends);
    assert.ok(settled.every((a) => a.granted === 0), 'nothing is left to grant');
    assert.deepEqual(await ok(name, { op: 'get', pool: 'rpm', capacity: 50, window_ms: 60000 }), { consumed: 50, leased: 0, capacity: 50 });
  });

  test('a budget in dollars: five leases of $0.01 fit in $0.05, the sixth does not', async () => {
    const name = 'key:cents';
    const base = { pool: 'budget', capacity: 0.05, want: 0.01, min: 0.01 };
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      ok(name, lease({ ...base, holder: `h-${i % 2}` }), i % 2)));
    assert.equal(answers.filter((a) => a.granted === 0.01).length, 5, JSON.stringify(answers));
    assert.equal(answers.filter((a) => a.granted === 0).length, 7);
  });

  test('spent and returned: a settle moves the lease out and the real cost in, once', async () => {
    const name = 'key:settle';
    const base = { pool: 'budget', capacity: 0.05 };
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-a', want: 0.02, min: 0.01 })),
      { granted: 0.02, lease: 0.02, available: 0.03, consumed: 0, capacity: 0.05 });
    // The request cost $0.018 of its $0.02 reservation.
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-a', spent: 0.018, returned: 0.02 }), 1),
      { granted: 0, lease: 0, available: 0.032, consumed: 0.018, capacity: 0.05 });
    // The other holder can take all that is left, and no more.
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-b', want: 0.04, min: 0.01 })),
      { granted: 0.032, lease: 0.032, available: 0, consumed: 0.018, capacity: 0.05 });
    // min above what is available: nothing at all.
    assert.equal((await ok(name, lease({ ...base, holder: 'h-a', want: 0.01, min: 0.01 }))).granted, 0);
    // Returning more than is held empties the lease (never negative); spend is kept.
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-b', spent: 0.002, returned: 1 }), 1),
      { granted: 0, lease: 0, available: 0.03, consumed: 0.02, capacity: 0.05 });
    assert.deepEqual(await ok(name, { op: 'get', pool: 'budget', capacity: 0.05, window_ms: 0 }), { consumed: 0.02, leased: 0, capacity: 0.05 });
    // Spend past the capacity (a request that cost more than its reservation) is recorded.
    const over = await ok(name, lease({ ...base, holder: 'h-c', spent: 0.04, want: 0.01 }));
    assert.deepEqual(over, { granted: 0, lease: 0, available: 0, consumed: 0.06, capacity: 0.05 });
    // Pools and objects are separate.
    assert.equal((await ok(name, lease({ pool: 'rpm', capacity: 5, window_ms: 60000, holder: 'h-a', want: 5 }))).granted, 5);
    assert.equal((await ok('key:other', lease({ ...base, holder: 'h-a', want: 0.05 }))).granted, 0.05);
  });

  test('a window: consumption expires window_ms after it was recorded', async () => {
    const name = 'key:window';
    const base = { pool: 'rpm', capacity: 3, window_ms: 400, holder: 'h-a' };
    const sent = Date.now();
    // Three requests' worth spent and, in the same op, one more asked for: none is left, and the
    // answer says the three leave the window 400 ms after they were recorded.
    assert.deepEqual(await ok(name, lease({ ...base, spent: 3, want: 1, min: 1 })),
      { granted: 0, lease: 0, available: 0, consumed: 3, capacity: 3, frees_in_ms: 400 });
    const granted = await until('the window frees the pool', async () => {
      const answer = await ok(name, lease({ ...base, want: 1, min: 1 }), 1);
      return answer.granted === 1 ? answer : null;
    });
    assert.ok(Date.now() - sent >= 400, 'not before the window passed');
    // Only h-a's new lease is held now: it lapses ttl_ms after this op.
    assert.deepEqual(granted, { granted: 1, lease: 1, available: 2, consumed: 0, capacity: 3, frees_in_ms: 600000 });
  });

  test('a lease expires ttl_ms after its holder\'s last op', async () => {
    const name = 'provider:ttl';
    const base = { pool: 'concurrency', capacity: 2 };
    const sent = Date.now();
    assert.equal((await ok(name, lease({ ...base, holder: 'h-a', want: 2, min: 1, ttl_ms: 500 }))).granted, 2);
    const answer = await until('the expired lease is taken back', async () => {
      const a = await ok(name, lease({ ...base, holder: 'h-b', want: 1, min: 1 }), 1);
      return a.granted === 1 ? a : null;
    });
    assert.ok(Date.now() - sent >= 500, 'not before the lease expired');
    assert.deepEqual(answer, { granted: 1, lease: 1, available: 1, consumed: 0, capacity: 2 });
    assert.deepEqual(await ok(name, { op: 'get', pool: 'concurrency', capacity: 2, window_ms: 0 }), { consumed: 0, leased: 1, capacity: 2 });
  });

  test('bad operations answer 400 with the field at fault; the client rejects them', async () => {
    const good = lease({ pool: 'budget', holder: 'h-a', capacity: 1 });
    const cases = [
      ['not json', /not valid JSON/],
      ['[1]', /must be a JSON object/],
      [JSON.stringify({ ...good, op: 'burn' }), /"op" must be "lease" or "get", got "burn"/],
      [JSON.stringify({ ...good, op: undefined }), /"op" must be "lease" or "get"/],
      [JSON.stringify({ ...good, pool: '' }), /"pool" must be a string/],
      [JSON.stringify({ ...good, pool: 'p'.repeat(129) }), /"pool" must be a string of 1 to 128/],
      [JSON.stringify({ ...good, holder: undefined }), /"holder" must be a string.*missing/],
      [JSON.stringify({ ...good, capacity: -1 }), /"capacity" must be a finite number >= 0, got -1/],
      [JSON.stringify({ ...good, capacity: '5' }), /"capacity" must be a finite number >= 0, got "5"/],
      [JSON.stringify({ ...good, window_ms: undefined }), /"window_ms" must be a finite number >= 0 \(it is missing\)/],
      [JSON.stringify({ ...good, ttl_ms: 0 }), /"ttl_ms" must be > 0/],
      [JSON.stringify({ ...good, ttl_ms: undefined }), /"ttl_ms".*missing/],
      [JSON.stringify({ ...good, want: -0.5 }), /"want" must be a finite number >= 0/],
      [JSON.stringify({ ...good, spent: null }), /"spent" must be a finite number >= 0, got null/],
      [JSON.stringify({ op: 'get', pool: 'budget', window_ms: 0 }), /"capacity".*missing/],
      [JSON.stringify({ ...good, pad: 'x'.repeat(5000) }), /larger than 4096 bytes/],
      [JSON.stringify({ ...good, pad: 'é'.repeat(2100) }), /larger than 4096 bytes/], // 2,100 characters, 4,200 bytes
    ];
    for (const [body, message] of cases) {
      const direct = await raw('key:bad', { body });
      assert.equal(direct.status, 400, body.slice(0, 80));
      assert.match(direct.json.error, message);
      const viaClient = await op('key:bad', body);
      assert.equal(viaClient.status, 502, 'stateClient rejects a non-2xx answer');
      assert.match(viaClient.json.error, /the state object key:bad answered 400/);
    }
    assert.equal((await raw('key:bad', { method: 'GET' })).status, 405);
    assert.equal((await raw('key:bad', { route: 'elsewhere', body: '{}' })).status, 404);
    // Nothing was recorded by the bad ops.
    assert.deepEqual(await ok('key:bad', { op: 'get', pool: 'budget', capacity: 1, window_ms: 0 }), { consumed: 0, leased: 0, capacity: 1 });
  });

  test('a restart of workerd on the same state directory keeps consumed and leases', async () => {
    const name = 'key:durable';
    const base = { pool: 'budget', capacity: 10 };
    await ok(name, lease({ ...base, holder: 'h-a', want: 4, min: 1 }));
    await ok(name, lease({ ...base, holder: 'h-b', want: 3, min: 1 }), 1);
    await ok(name, lease({ ...base, holder: 'h-a', spent: 2.5, returned: 3 }));
    const before = await ok(name, { op: 'get', pool: 'budget', capacity: 10, window_ms: 0 });
    assert.deepEqual(before, { consumed: 2.5, leased: 4, capacity: 10 });

    await gateway.stop();
    gateway = await start();
    assert.deepEqual(await ok(name, { op: 'get', pool: 'budget', capacity: 10, window_ms: 0 }, 1), before);
    // The holders' leases are still theirs: h-a holds 1, h-b 3.
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-a', returned: 1 })),
      { granted: 0, lease: 0, available: 4.5, consumed: 2.5, capacity: 10 });
    assert.deepEqual(await ok(name, lease({ ...base, holder: 'h-b', want: 10, min: 1 })),
      { granted: 4.5, lease: 7.5, available: 0, consumed: 2.5, capacity: 10 });
  });
});
