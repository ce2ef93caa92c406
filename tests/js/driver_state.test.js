// web/src/driver.js and shared state (docs/host-interface.md, "Shared state"), over the JS core of
// tests/js/fake_core.js and a fake host.state: shared state is enabled only when the host has
// `state`; every STATE action is performed from its owner's task and answered exactly once with
// the object's answer, or empty when host.state failed or did not answer within stateTimeoutMs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver } from '../../web/src/driver.js';
import { createFakeCore } from './fake_core.js';
import { createFakeState } from './fake_state.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(host = {}) {
  const fake = createFakeCore();
  const pending = [];
  const logs = [];
  const fetch = () => Promise.reject(new Error('no upstream in these tests'));
  const driver = createDriver(fake.core, { fetch, waitUntil: (p) => pending.push(p), log: (l) => logs.push(l), ...host });
  return { ...fake, driver, logs, settle: () => Promise.all(pending) };
}

const waitFor = async (predicate, ms = 10000) => {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
};

const op = '{"op":"get","pool":"budget","capacity":1,"window_ms":0}';

describe('driver: shared state', () => {
  it('is not enabled for a host without state', () => {
    const t = setup();
    assert.equal(t.shared.enabled, false);
  });

  it('performs STATE with host.state and hands its answer back exactly once', async () => {
    const seen = [];
    const t = setup({
      state: async (name, text) => {
        seen.push([name, text]);
        return '{"consumed":0.5,"leased":0,"capacity":1}';
      },
    });
    assert.equal(t.shared.enabled, true);
    const response = await t.driver.request('POST', '/state?object=key:team', {}, op);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{"consumed":0.5,"leased":0,"capacity":1}');
    assert.deepEqual(seen, [['key:team', op]]);
    assert.deepEqual([...t.stateResults.values()], [['{"consumed":0.5,"leased":0,"capacity":1}']]);
  });

  it('answers empty when host.state fails, and logs it', async () => {
    const t = setup({ state: async () => Promise.reject(new Error('object unreachable')) });
    const response = await t.driver.request('POST', '/state?object=key:team', {}, op);
    assert.equal(response.status, 503);
    assert.deepEqual([...t.stateResults.values()], [['']]);
    assert.ok(t.logs.some((l) => l.includes('state key:team failed') && l.includes('object unreachable')), t.logs.join('\n'));
  });

  it('answers empty when host.state takes longer than stateTimeoutMs', async () => {
    const t = setup({ state: () => new Promise(() => {}), stateTimeoutMs: 50 });
    const response = await t.driver.request('POST', '/state?object=key:team', {}, op);
    assert.equal(response.status, 503);
    assert.deepEqual([...t.stateResults.values()], [['']]);
  });

  it('still answers the op when its owner went away meanwhile', async () => {
    let release;
    const t = setup({ state: () => new Promise((resolve) => (release = resolve)) });
    const controller = new AbortController();
    const request = t.driver.request('POST', '/state?object=key:team', {}, op, { signal: controller.signal });
    assert.ok(await waitFor(() => release !== undefined));
    controller.abort();
    await assert.rejects(request);
    release('{"consumed":0,"leased":0,"capacity":1}');
    assert.ok(await waitFor(() => t.stateResults.size === 1));
    await sleep(20);
    assert.deepEqual([...t.stateResults.values()], [['{"consumed":0,"leased":0,"capacity":1}']]);
  });

  it('performs an op with no owner from the task of the call that emitted it', async () => {
    const t = setup({ state: async () => '{"ok":1}' });
    const response = await t.driver.request('POST', '/state?object=provider:openai&owner=none', {}, op);
    assert.equal(response.status, 202);
    assert.ok(await waitFor(() => t.stateResults.size === 1));
    await t.settle();
    assert.deepEqual([...t.stateResults.values()], [['{"ok":1}']]);
  });

  it('many ops at once: each answered exactly once', async () => {
    let calls = 0;
    const t = setup({
      state: async (name) => {
        calls++;
        await sleep(Math.random() * 20);
        if (calls % 3 === 0) throw new Error('flaky');
        return `{"name":"${name}"}`;
      },
    });
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.driver.request('POST', `/state?object=key:k${i}`, {}, op)),
    );
    assert.equal(responses.filter((r) => r.status === 200).length + responses.filter((r) => r.status === 503).length, 30);
    assert.equal(t.stateResults.size, 30);
    for (const answers of t.stateResults.values()) assert.equal(answers.length, 1);
  });
});

describe('fake shared objects (tests/js/fake_state.js): the pool protocol of src/ledger/pool.cc', () => {
  it('answers as the in-memory objects of the core do (tests/ledger/objects_test.cc)', async () => {
    let clock = 0;
    const fake = createFakeState({ now: () => clock });
    const op = JSON.stringify({ op: 'lease', pool: 'budget', holder: 'h-1', capacity: 1, window_ms: 0, ttl_ms: 100, want: 0.6, min: 0.6 });
    assert.equal(await fake.state('key:a', op), '{"consumed":0,"granted":0.6,"lease":0.6,"available":0.4,"capacity":1}');
    assert.equal(JSON.parse(await fake.state('key:b', op)).granted, 0.6); // another object
    assert.equal(JSON.parse(await fake.state('key:a', op)).granted, 0);
    clock = 1;
    assert.equal(await fake.state('key:a', '{"op":"get","pool":"budget","capacity":1,"window_ms":0}'), '{"consumed":0,"leased":0.6,"capacity":1}');
    await assert.rejects(fake.state('key:a', '{"op":"lease"}'), (e) => e.status === 400 && /"pool"/.test(e.message));
  });

  it('returns and spends before it grants; leases expire; windows forget', () => {
    let clock = 0;
    const fake = createFakeState({ now: () => clock });
    const lease = (holder, want, min, spent = 0, returned = 0, windowMs = 0) =>
      fake.apply('key:a', { op: 'lease', pool: windowMs ? 'rpm' : 'budget', holder, capacity: 10, window_ms: windowMs, ttl_ms: 1000, want, min, spent, returned });
    lease('a', 10, 10);
    clock = 10;
    assert.deepEqual(lease('a', 0, 0, 3, 4), { consumed: 3, granted: 0, lease: 6, available: 1, capacity: 10 });
    assert.equal(lease('b', 2, 1).granted, 1);
    clock = 1010; // a's lease (renewed at 10) and b's expire at 1010
    assert.equal(lease('c', 10, 1).granted, 7);
    assert.equal(lease('r', 0, 0, 4, 0, 60000).frees_in_ms, 60000); // recorded at 1010, it leaves the window at 61010
    clock = 61009;
    assert.deepEqual(lease('r', 0, 0, 0, 0, 60000), { consumed: 4, granted: 0, lease: 0, available: 6, capacity: 10, frees_in_ms: 1 });
    clock = 61010;
    assert.equal(lease('r', 0, 0, 0, 0, 60000).consumed, 0);
  });
});
