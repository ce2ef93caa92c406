// web/src/driver.js and shared state (docs/host-interface.md, "Shared state"), over the JS core of
// tests/js/fake_core.js and a fake host.state: shared state is enabled only when the host has
// `state`; every STATE action is performed from its owner's task and answered exactly once with
// the object's answer, or empty when host.state failed or did not answer within stateTimeoutMs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver } from '../../web/src/driver.js';
import { createFakeCore } from './fake_core.js';

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
