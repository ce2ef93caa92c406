// transport 'emscripten' in Node (web/src/fetch_emscripten.js over bindings/emscripten/web_fetch.cc):
// without an XMLHttpRequest, createSwitchyard refuses it; with npm xhr2 installed as the global
// XMLHttpRequest (as a user would), non-streaming upstream requests go through XHR (counted on
// XMLHttpRequest.prototype.open, with JS fetch() counted too) and every outcome (answer, upstream
// 500 with retry and fallback, connection reset, timeout, abort) is the same as with transport
// 'fetch'; stream: true still goes through fetch().
// Needs the `web` build (web/dist/switchyard_core.{mjs,wasm}) and npm xhr2.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startMock } from '../mock-upstream/server.mjs';
import { createSwitchyard } from '../../web/src/node.js';

const messages = [{ role: 'user', content: 'hello over xhr' }];

function configFor(mock, { scenario = 'default', fallback = null, retries = 0, timeoutMs = 5000 } = {}) {
  const providers = { up: { type: 'openai-compatible', base_url: mock.scenarioUrl(scenario), api_key: 'sk-xhr' } };
  let model = { provider: 'up', model: 'gpt-test' };
  if (fallback) {
    providers.spare = { type: 'openai-compatible', base_url: mock.scenarioUrl(fallback), api_key: 'sk-xhr' };
    model = { strategy: 'fallback', targets: [model, { provider: 'spare', model: 'gpt-spare' }] };
  }
  return {
    providers,
    models: { m: model },
    retry: { attempts: retries, on_status: [500, 502, 503], backoff_ms: 1, max_backoff_ms: 1 },
    timeout_ms: timeoutMs,
  };
}

// What a call came to: the answer's content and how it was served, or the error's shape.
async function outcome(promise) {
  try {
    const answer = await promise;
    const { status, target, attempts } = answer._switchyard;
    return { content: answer.choices[0].message.content, status, target, attempts };
  } catch (error) {
    return { error: error.name, status: error.status, type: error.type, code: error.code };
  }
}

describe("transport 'emscripten' in Node", () => {
  let mock;
  let XHR;
  const counts = { xhr: 0, fetch: 0 };
  const countingFetch = (url, init) => {
    counts.fetch++;
    return fetch(url, init);
  };

  before(async () => {
    mock = await startMock();
  });

  after(async () => {
    delete globalThis.XMLHttpRequest;
    await mock?.close();
  });

  async function run(transport, config, call) {
    const sy = await createSwitchyard({ config, transport, fetch: countingFetch });
    try {
      return await call(sy);
    } finally {
      await sy.close();
    }
  }

  // The same call with both transports: the same outcome; XHR used only by 'emscripten'.
  async function sameAsFetch(config, call, expectXhr) {
    counts.xhr = counts.fetch = 0;
    const viaXhr = await run('emscripten', config, (sy) => outcome(call(sy)));
    assert.deepEqual(counts, { xhr: expectXhr, fetch: 0 }, 'emscripten transport: every upstream call through XHR');
    counts.xhr = counts.fetch = 0;
    const viaFetch = await run('fetch', config, (sy) => outcome(call(sy)));
    assert.deepEqual(counts, { xhr: 0, fetch: expectXhr });
    assert.deepEqual(viaXhr, viaFetch);
    return viaXhr;
  }

  it('refuses the transport clearly when there is no XMLHttpRequest', async () => {
    assert.equal(globalThis.XMLHttpRequest, undefined);
    await assert.rejects(createSwitchyard({ config: configFor(mock), transport: 'emscripten' }), (error) => {
      assert.equal(error.name, 'SwitchyardError');
      assert.equal(error.status, 400);
      assert.equal(error.param, 'transport');
      assert.match(error.message, /XMLHttpRequest/);
      assert.match(error.message, /xhr2/);
      return true;
    });
  });

  it('installs npm xhr2 as the global XMLHttpRequest, as a user would', async () => {
    XHR = (await import('xhr2')).default;
    globalThis.XMLHttpRequest = XHR;
    const open = XHR.prototype.open;
    XHR.prototype.open = function (...args) {
      counts.xhr++;
      return open.apply(this, args);
    };
  });

  it('refuses it for a core without the Emscripten Fetch API (a loadCore of another build)', async () => {
    const { loadEmscriptenCore } = await import('../../web/src/node.js');
    const loadCore = async (seed) => {
      const core = await loadEmscriptenCore(seed);
      delete core.fetchWhole;
      return core;
    };
    await assert.rejects(
      createSwitchyard({ config: configFor(mock), transport: 'emscripten', loadCore }),
      (error) => error.status === 400 && error.param === 'transport' && /Emscripten build/.test(error.message),
    );
  });

  it('answers a chat completion from the mock upstream through XHR', async () => {
    mock.reset();
    const result = await sameAsFetch(configFor(mock), (sy) => sy.chat.completions.create({ model: 'm', messages }), 1);
    assert.deepEqual(result, { content: 'mock: hello over xhr', status: 200, target: 'up/gpt-test', attempts: 1 });
    const seen = mock.requests().map((r) => [r.method, r.path, r.headers.authorization, JSON.parse(r.body).model]);
    assert.deepEqual(seen, [
      ['POST', '/v1/chat/completions', 'Bearer sk-xhr', 'gpt-test'],
      ['POST', '/v1/chat/completions', 'Bearer sk-xhr', 'gpt-test'],
    ]);
  });

  it('retries an upstream 500, then answers', async () => {
    mock.reset();
    mock.setScenario('flaky', { sequence: [{ status: 500 }] });
    const viaXhr = await run('emscripten', configFor(mock, { scenario: 'flaky', retries: 2 }), (sy) =>
      outcome(sy.chat.completions.create({ model: 'm', messages })),
    );
    assert.deepEqual(viaXhr, { content: 'mock: hello over xhr', status: 200, target: 'up/gpt-test', attempts: 2 });
    assert.equal(mock.counts().flaky['POST /v1/chat/completions'], 2);
  });

  it('maps an upstream 500 without retry to the same error, and falls back the same way', async () => {
    mock.reset();
    mock.setScenario('down', { status: 500 });
    const failed = await sameAsFetch(configFor(mock, { scenario: 'down' }), (sy) => sy.chat.completions.create({ model: 'm', messages }), 1);
    assert.equal(failed.error, 'SwitchyardError');
    assert.equal(failed.status, 502); // an upstream 5xx is the gateway's 502
    const fell = await sameAsFetch(
      configFor(mock, { scenario: 'down', fallback: 'default' }),
      (sy) => sy.chat.completions.create({ model: 'm', messages }),
      2,
    );
    assert.deepEqual(fell, { content: 'mock: hello over xhr', status: 200, target: 'spare/gpt-spare', attempts: 2 });
  });

  it('maps a connection reset (network error) to the same error', async () => {
    mock.reset();
    mock.setScenario('reset', { reset: true });
    const result = await sameAsFetch(configFor(mock, { scenario: 'reset' }), (sy) => sy.chat.completions.create({ model: 'm', messages }), 1);
    assert.equal(result.error, 'SwitchyardError');
    assert.equal(result.status, 502);
  });

  it('times out like fetch, and the XHR is aborted (emscripten_fetch_close)', async () => {
    mock.reset();
    mock.setScenario('slow', { latency_ms: 3000 });
    const result = await sameAsFetch(
      configFor(mock, { scenario: 'slow', timeoutMs: 200 }),
      (sy) => sy.chat.completions.create({ model: 'm', messages }),
      1,
    );
    assert.equal(result.error, 'SwitchyardError');
    assert.equal(result.status, 408); // timeout_ms passed
    await waitFor(() => mock.requests().length === 2 && mock.requests().every((r) => r.aborted));
  });

  it('an AbortSignal cancels the request and aborts its XHR', async () => {
    mock.reset();
    mock.setScenario('slow', { latency_ms: 3000 });
    counts.xhr = counts.fetch = 0;
    const controller = new AbortController();
    const started = Date.now();
    await run('emscripten', configFor(mock, { scenario: 'slow' }), async (sy) => {
      const pending = sy.chat.completions.create({ model: 'm', messages }, { signal: controller.signal });
      await waitFor(() => mock.requests().length === 1);
      controller.abort();
      await assert.rejects(pending, (error) => error.name === 'AbortError');
    });
    assert.ok(Date.now() - started < 2500);
    assert.deepEqual(counts, { xhr: 1, fetch: 0 });
    await waitFor(() => mock.requests()[0].aborted);
  });

  it('stream: true goes through JS fetch()', async () => {
    mock.reset();
    counts.xhr = counts.fetch = 0;
    const text = await run('emscripten', configFor(mock), async (sy) => {
      const stream = await sy.chat.completions.create({ model: 'm', messages, stream: true });
      let content = '';
      for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
      return content;
    });
    assert.equal(text, 'mock: hello over xhr');
    assert.deepEqual(counts, { xhr: 0, fetch: 1 });
  });
});

async function waitFor(condition, ms = 3000) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
