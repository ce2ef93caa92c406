// web/src/driver.js with host.fetchWhole (what transport 'emscripten' plugs in), over the JS
// fake core (tests/js/fake_core.js): a FETCH whose body is not streamed goes to fetchWhole, never
// to fetch, with the action's method, URL, header text and body; its answer is reported as a
// fetch() answer is (response, body, end), a rejection as a network error, and a FETCH_ABORT
// (the core's timeout, the caller's AbortSignal) aborts the signal fetchWhole was given.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver } from '../../web/src/driver.js';
import { createFakeCore } from './fake_core.js';

function setup(options = {}, answer = null) {
  const fake = createFakeCore(options);
  const seen = { fetch: 0, whole: [] };
  const fetch = () => {
    seen.fetch++;
    return Promise.reject(new Error('fetch must not be used'));
  };
  const fetchWhole = (url, init) => {
    const call = { url, init, aborted: false };
    seen.whole.push(call);
    init.signal.addEventListener('abort', () => (call.aborted = true));
    if (answer) return answer(call);
    return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  };
  const pending = [];
  const driver = createDriver(fake.core, { fetch, fetchWhole, waitUntil: (p) => pending.push(p) });
  return { ...fake, driver, seen, settle: () => Promise.all(pending) };
}

describe('driver: host.fetchWhole', () => {
  it('performs a FETCH whose body is not streamed and reports the answer as fetch() answers are', async () => {
    const t = setup({}, async (call) => ({
      status: 200,
      headers: 'content-type: text/plain\n',
      body: new TextEncoder().encode(`up got ${new TextDecoder().decode(call.init.body)}`),
    }));
    const response = await t.driver.request('POST', '/upstream', {}, 'ping');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'up got ping');
    assert.equal(t.seen.fetch, 0);
    assert.equal(t.seen.whole.length, 1);
    const [{ url, init }] = t.seen.whole;
    assert.equal(url, 'http://up.test/');
    assert.equal(init.method, 'POST');
    assert.equal(typeof init.headers, 'string');
    assert.deepEqual([t.calls.fetchResponse, t.calls.fetchBody, t.calls.fetchEnd, t.calls.fetchError], [1, 1, 1, undefined]);
    await t.settle();
  });

  it('an empty body is not reported as a body piece', async () => {
    const t = setup({}, async () => ({ status: 200, headers: '', body: new Uint8Array(0) }));
    const response = await t.driver.request('POST', '/upstream', {}, 'ping');
    assert.equal(await response.text(), '');
    assert.deepEqual([t.calls.fetchResponse, t.calls.fetchBody, t.calls.fetchEnd], [1, undefined, 1]);
    await t.settle();
  });

  it('a large answer reaches the core in pieces of at most 64 KiB, whole and in order', async () => {
    const big = new Uint8Array(150 * 1024).map((_, i) => i % 251);
    const t = setup({}, async () => ({ status: 200, headers: '', body: big }));
    const response = await t.driver.request('POST', '/upstream', {}, 'ping');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), big);
    assert.deepEqual([t.calls.fetchResponse, t.calls.fetchBody, t.calls.fetchEnd], [1, 3, 1]);
    await t.settle();
  });

  it('a rejection is a network error', async () => {
    const t = setup({}, async () => {
      throw new TypeError('network error (XMLHttpRequest failed)');
    });
    const response = await t.driver.request('POST', '/upstream', {}, 'ping');
    assert.equal(response.status, 502);
    assert.deepEqual([t.calls.fetchResponse, t.calls.fetchError], [undefined, 1]);
    await t.settle();
  });

  it("the core's timeout (FETCH_ABORT) aborts the signal it was given; nothing more is reported", async () => {
    const t = setup({ upstreamTimeoutMs: 50 });
    const response = await t.driver.request('POST', '/upstream', {}, 'ping');
    assert.equal(response.status, 504);
    await t.settle();
    assert.equal(t.seen.whole[0].aborted, true);
    assert.equal(t.calls.fetchError, undefined);
  });

  it("the caller's AbortSignal cancels the request and aborts the signal it was given", async () => {
    const t = setup();
    const controller = new AbortController();
    const pending = t.driver.request('POST', '/upstream', {}, 'ping', { signal: controller.signal });
    while (t.seen.whole.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(pending, (e) => e.name === 'AbortError');
    await t.settle();
    assert.equal(t.seen.whole[0].aborted, true);
    assert.equal(t.calls.cancel, 1);
  });
});
