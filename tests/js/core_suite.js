// One suite, written against "a core" (the adapter of docs/host-interface.md), run unchanged on
// every build: tests/js/core_emscripten.test.js (the Emscripten build, through its C exports)
// and tests/js/core_wasi.test.js (WASI reactor under node:wasi). The core is driven through
// web/src/driver.js with an in-memory upstream (a fake fetch): no sockets, no keys.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver } from '../../web/src/driver.js';
import { SwitchyardError, createSwitchyardWith } from '../../web/src/switchyard.js';
import { slowBody } from './slow_body.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const ECHO_CONFIG = {
  providers: { demo: { type: 'echo' } },
  models: { echo: { provider: 'demo', model: 'echo-1' } },
};

const UPSTREAM_CONFIG = {
  providers: {
    up: { type: 'openai-compatible', base_url: 'http://upstream.test/v1', api_key: 'sk-upstream-test' },
  },
  retry: { attempts: 0 }, // retries of one target after its first try
};

const UPSTREAM_TEXT = 'Hi from upstream';

function userMessage(text) {
  return [{ role: 'user', content: text }];
}

// ---- the fake upstream ----------------------------------------------------------------------

function openaiAnswer(model, text = UPSTREAM_TEXT) {
  return {
    id: 'chatcmpl-upstream-1',
    object: 'chat.completion',
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
  };
}

function openaiSse(model, text = UPSTREAM_TEXT) {
  const base = { id: 'chatcmpl-upstream-1', object: 'chat.completion.chunk', created: 1700000000, model };
  const pieces = text.match(/\s*\S+/g);
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...pieces.map((p) => ({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ];
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
}

// A body that arrives in small pieces, so that the core's incremental parsing is exercised.
function trickle(bytes, size = 7) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/**
 * A fake fetch. `plan(call, n)` returns what the n-th call (0-based) answers:
 * 'ok' (JSON or SSE by the request's `stream`), { status, headers?, body? }, 'network'
 * (a rejected fetch) or 'hang' (never answers; settles only when aborted).
 */
function fakeUpstream(plan = () => 'ok') {
  const calls = [];
  async function fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    const text = init.body ? decoder.decode(init.body) : '';
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {}
    const call = { url: String(url), method: init.method ?? 'GET', headers, body, signal: init.signal, at: Date.now() };
    calls.push(call);
    const what = plan(call, calls.length - 1);
    if (what === 'network') throw new TypeError('fetch failed: connection refused');
    if (what === 'hang' || what === 'hang-stream') {
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(init.signal.reason ?? new DOMException('aborted', 'AbortError'));
        if (init.signal?.aborted) return onAbort();
        init.signal?.addEventListener('abort', onAbort, { once: true });
        if (what === 'hang-stream') {
          // Answers the head and one event, then never ends.
          const first = `data: ${JSON.stringify({
            id: 'c', object: 'chat.completion.chunk', created: 1, model: body?.model,
            choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
          })}\n\n`;
          const stream = new ReadableStream({
            start(controller) {
              controller.enqueue(encoder.encode(first));
              init.signal?.addEventListener('abort', () => {
                call.aborted = true;
                try {
                  controller.error(new DOMException('aborted', 'AbortError'));
                } catch {}
              });
            },
          });
          resolve(new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
        }
      });
    }
    if (what === 'break-stream') {
      const first = openaiSse(body?.model).split('\n\n').slice(0, 2).join('\n\n') + '\n\n';
      let sent = false;
      const stream = new ReadableStream({
        pull(controller) {
          if (sent) return controller.error(new TypeError('network error: connection reset'));
          sent = true;
          controller.enqueue(encoder.encode(first));
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    if (what === 'ok') {
      if (body?.stream) {
        return new Response(trickle(encoder.encode(openaiSse(body.model))), {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
        });
      }
      return new Response(trickle(encoder.encode(JSON.stringify(openaiAnswer(body?.model)))), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }
    const errorBody = what.body ?? JSON.stringify({ error: { message: `upstream says ${what.status}`, type: 'server_error' } });
    return new Response(errorBody, {
      status: what.status,
      headers: { 'content-type': 'application/json', ...(what.headers ?? {}) },
    });
  }
  return { fetch, calls };
}

// ---- a fake persistent cache tier (docs/host-interface.md) ---------------------------------

/**
 * An in-memory tier of the host-interface shape that records what the driver asks of it.
 * `mode`: 'ok', 'fail' (every get rejects) or 'hang' (gets never answer).
 */
function memoryTier(mode = 'ok') {
  const map = new Map(); // key -> { entry: string, expires }
  const gets = [];
  const puts = [];
  return {
    map,
    gets,
    puts,
    async get(key) {
      gets.push(key);
      if (mode === 'fail') throw new Error('the tier is down');
      if (mode === 'hang') return new Promise(() => {});
      const v = map.get(key);
      return v && v.expires > Date.now() ? encoder.encode(v.entry) : null;
    },
    async put(key, entry, expiresAtMs) {
      assert.ok(entry instanceof Uint8Array, 'the entry is bytes');
      const text = decoder.decode(entry);
      puts.push({ key, entry: text, expiresAtMs });
      map.set(key, { entry: text, expires: expiresAtMs });
    },
    async *entries() {
      for (const v of map.values()) yield v.entry;
    },
    async clear() {
      map.clear();
    },
  };
}

// ---- helpers --------------------------------------------------------------------------------

// Wraps a core adapter to count the calls made to it (e.g. to see that timer() was used).
function spy(core) {
  const counts = {};
  const wrapped = {};
  for (const [name, fn] of Object.entries(core)) {
    wrapped[name] = (...args) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return fn(...args);
    };
  }
  return { core: wrapped, counts };
}

async function setup(makeCore, config, upstream = fakeUpstream(), host = {}) {
  const { core, counts } = spy(await makeCore());
  const failure = core.configure(JSON.stringify(config), '{}');
  assert.equal(failure, null, `configure failed: ${failure}`);
  if (host.cache) core.enablePersistence(true);
  const pending = [];
  const driver = createDriver(core, {
    fetch: upstream.fetch,
    now: () => Date.now(),
    waitUntil: (p) => pending.push(p),
    ...host,
  });
  return {
    // Waits for every request's task (and so every cache tier write) to finish.
    settle: () => Promise.all(pending),
    core,
    counts,
    upstream,
    chat: (body, headers = {}) =>
      driver.request('POST', '/v1/chat/completions', { 'content-type': 'application/json', ...headers },
        typeof body === 'string' ? body : JSON.stringify(body)),
    driver,
    // Waits for every request's task to finish, then frees the core.
    async close() {
      await Promise.all(pending);
      core.free();
    },
  };
}

async function errorOf(response) {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const doc = await response.json();
  assert.equal(typeof doc.error, 'object', `not an error document: ${JSON.stringify(doc)}`);
  assert.equal(typeof doc.error.message, 'string');
  assert.equal(typeof doc.error.type, 'string');
  return doc.error;
}

// Reads an SSE response: every `data:` payload, in order.
async function sseEvents(response) {
  const text = await response.text();
  return text
    .split(/\n\n/)
    .map((event) => event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
    .filter((data) => data !== '');
}

function streamedText(events) {
  assert.equal(events.at(-1), '[DONE]', 'the stream ends with [DONE]');
  let text = '';
  for (const data of events.slice(0, -1)) {
    const chunk = JSON.parse(data);
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.error, undefined, `unexpected error chunk: ${data}`);
    for (const choice of chunk.choices ?? []) text += choice.delta?.content ?? '';
  }
  return text;
}

function assertSwitchyardHeaders(response, { target, attempts, cache }) {
  const h = response.headers;
  if (target !== undefined) assert.equal(h.get('x-switchyard-target'), target);
  if (attempts !== undefined) assert.equal(h.get('x-switchyard-attempts'), String(attempts));
  if (cache !== undefined) {
    if (Array.isArray(cache)) assert.ok(cache.includes(h.get('x-switchyard-cache')), `x-switchyard-cache: ${h.get('x-switchyard-cache')}`);
    else assert.equal(h.get('x-switchyard-cache'), cache);
  }
  assert.ok(h.get('x-switchyard-request-id'), 'x-switchyard-request-id is set');
}

function assertCompletion(doc) {
  assert.equal(typeof doc.id, 'string');
  assert.equal(doc.object, 'chat.completion');
  assert.equal(typeof doc.choices?.[0]?.message?.content, 'string');
  assert.ok(doc.choices[0].message.content.length > 0, 'content is not empty');
  assert.equal(doc.choices[0].message.role, 'assistant');
  const u = doc.usage;
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) assert.equal(typeof u?.[k], 'number', `usage.${k}`);
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
}

const waitFor = async (predicate, ms = 2000) => {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
};

// ---- the suite ------------------------------------------------------------------------------

/**
 * @param {string} name the build under test
 * @param {() => Promise<object>} makeCore a fresh core adapter, not yet configured
 */
export function testCore(name, makeCore) {
  describe(`core (${name})`, () => {
    describe('configure', () => {
      it('refuses an invalid config and lists every problem with its path', async () => {
        const core = await makeCore();
        try {
          const failure = core.configure(JSON.stringify({ providers: { x: { type: 'nope' } } }), '{}');
          assert.equal(typeof failure, 'string');
          const { error } = JSON.parse(failure);
          assert.ok(Array.isArray(error.metadata?.errors) && error.metadata.errors.length > 0, failure);
          assert.equal(error.metadata.errors[0].path, 'providers.x.type');
          assert.equal(typeof error.metadata.errors[0].message, 'string');
        } finally {
          core.free();
        }
      });

      it('refuses text that is not JSON', async () => {
        const core = await makeCore();
        try {
          const failure = core.configure('{"providers": ', '{}');
          assert.equal(typeof failure, 'string');
          assert.equal(typeof JSON.parse(failure).error.message, 'string');
        } finally {
          core.free();
        }
      });

      it('accepts a valid config, and has no deadline while idle', async () => {
        const core = await makeCore();
        try {
          assert.equal(core.configure(JSON.stringify(ECHO_CONFIG), '{}'), null);
          assert.equal(core.nextDeadline(), Infinity);
        } finally {
          core.free();
        }
      });

      it('takes shared state through its C interface: an answer to no STATE is ignored', async () => {
        const core = await makeCore();
        try {
          assert.equal(core.configure(JSON.stringify(ECHO_CONFIG), '{}'), null);
          core.enableSharedState(true);
          assert.equal(core.stateResult(12345, '{"granted":1}', 1000).length, 0);
          assert.equal(core.stateResult(12346, '', 1000).length, 0);
          assert.equal(core.nextDeadline(), Infinity);
          // An echo request owes the shared state nothing: answered at once, no STATE.
          const driver = createDriver(core, { fetch: () => Promise.reject(new Error('no upstream')), state: async () => '' });
          const response = await driver.request('POST', '/v1/chat/completions', { 'content-type': 'application/json' },
            JSON.stringify({ model: 'echo', messages: userMessage('shared') }));
          assert.equal(response.status, 200);
        } finally {
          core.free();
        }
      });

      it('reads text with non-ASCII characters anywhere in it, short or long', async () => {
        // The adapter copies short ASCII text by a loop and hands the rest to encodeInto: a
        // character past 0x7f first, after 300 ASCII ones, or in text past the loop's length.
        const core = await makeCore();
        try {
          for (const type of ['é-first', `late-${'x'.repeat(300)}-é☕`, `long-${'y'.repeat(1500)}-ü`, 'ascii-only']) {
            const error = JSON.parse(core.configure(JSON.stringify({ providers: { p: { type } } }), '{}'));
            assert.ok(error.error.message.includes(`unknown provider type ${JSON.stringify(type)}`), error.error.message.slice(0, 200));
          }
        } finally {
          core.free();
        }
      });

      it('names the env variables a config references, sorted, once each', async () => {
        const core = await makeCore();
        try {
          const config = {
            providers: {
              a: { type: 'openai', api_key: 'env:B_KEY' },
              b: { type: 'openai-compatible', base_url: 'http://b.test/v1', api_key: 'env:A_KEY' },
              c: { type: 'anthropic', api_key: 'env:B_KEY' },
              d: { type: 'echo' },
              e: { type: 'openai', api_key: 'sk-literal' },
            },
            keys: { 'env:GATEWAY_KEY': { models: ['*'] } },
          };
          assert.deepEqual(core.envNames(JSON.stringify(config)), ['A_KEY', 'B_KEY', 'GATEWAY_KEY']);
          assert.deepEqual(core.envNames(JSON.stringify(ECHO_CONFIG)), []);
          assert.deepEqual(core.envNames('{"providers": '), []);
          // The names it gives are exactly what configure needs.
          const env = { A_KEY: 'sk-a', B_KEY: 'sk-b', GATEWAY_KEY: 'sk-sy-g' };
          assert.equal(core.configure(JSON.stringify(config), JSON.stringify(env)), null);
          const missing = JSON.parse(core.configure(JSON.stringify(config), JSON.stringify({ A_KEY: 'sk-a' })));
          assert.ok(missing.error.metadata.errors.some((e) => /B_KEY/.test(e.message)), JSON.stringify(missing));
        } finally {
          core.free();
        }
      });
    });

    describe('echo provider', () => {
      it('answers a non-stream request in OpenAI shape with x-switchyard-* headers', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const response = await t.chat({ model: 'echo', messages: userMessage('Say something nice') });
          assert.equal(response.status, 200);
          assert.match(response.headers.get('content-type') ?? '', /application\/json/);
          assertSwitchyardHeaders(response, { target: 'demo/echo-1', attempts: 1 });
          assertCompletion(await response.json());
          assert.equal(t.upstream.calls.length, 0, 'echo never fetches');
        } finally {
          await t.close();
        }
      });

      it('is deterministic, and a provider/model name reaches the provider directly', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const body = { model: 'demo/echo-1', messages: userMessage('The same words twice') };
          const a = await (await t.chat(body)).json();
          const response = await t.chat(body);
          assertSwitchyardHeaders(response, { target: 'demo/echo-1' });
          const b = await response.json();
          assert.equal(a.choices[0].message.content, b.choices[0].message.content);
          assert.deepEqual(a.usage, b.usage);
        } finally {
          await t.close();
        }
      });

      it('streams chunks whose deltas add up to the non-stream answer', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const messages = userMessage('Stream me a few words please');
          const whole = await (await t.chat({ model: 'echo', messages })).json();
          const response = await t.chat({ model: 'echo', messages, stream: true });
          assert.equal(response.status, 200);
          assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
          assertSwitchyardHeaders(response, { target: 'demo/echo-1' });
          const events = await sseEvents(response);
          assert.ok(events.length >= 3, `a few events: ${events.length}`);
          assert.equal(streamedText(events), whole.choices[0].message.content);
        } finally {
          await t.close();
        }
      });
    });

    describe('request errors', () => {
      it('answers 400 to a body that is not JSON', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const response = await t.chat('{"model": "echo", ');
          assert.equal(response.status, 400);
          await errorOf(response);
        } finally {
          await t.close();
        }
      });

      it('answers 400 naming param "model" when the model is missing', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const response = await t.chat({ messages: userMessage('hi') });
          assert.equal(response.status, 400);
          assert.equal((await errorOf(response)).param, 'model');
        } finally {
          await t.close();
        }
      });

      it('answers 404 to an unknown model', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const response = await t.chat({ model: 'no-such-model', messages: userMessage('hi') });
          assert.equal(response.status, 404);
          await errorOf(response);
        } finally {
          await t.close();
        }
      });
    });

    describe('request bodies streamed in (begin, body, end)', () => {
      const headers = { 'content-type': 'application/json' };
      const LIMITS_CONFIG = { ...ECHO_CONFIG, gateway: { max_body_bytes: 1024, body_timeout_ms: 300 } };

      it('a body that arrives in pieces is answered like a whole one', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const text = JSON.stringify({ model: 'echo', messages: userMessage('In small pieces') });
          const whole = await (await t.chat(text)).json();
          const body = slowBody({ text, size: 7, everyMs: 1 });
          const response = await t.driver.request('POST', '/v1/chat/completions', headers, body.stream);
          assert.equal(response.status, 200);
          assert.equal((await response.json()).choices[0].message.content, whole.choices[0].message.content);
          assert.equal(t.counts.begin, 1);
          assert.equal(t.counts.body, Math.ceil(text.length / 7));
          assert.equal(t.counts.end, 1);
        } finally {
          await t.close();
        }
      });

      it('a body over gateway.max_body_bytes gets 413 while it still arrives, and is no longer read', async () => {
        const t = await setup(makeCore, LIMITS_CONFIG);
        try {
          const body = slowBody({ size: 256, everyMs: 5 });
          const response = await t.driver.request('POST', '/v1/chat/completions', headers, body.stream);
          assert.equal(response.status, 413);
          const error = await errorOf(response);
          assert.equal(error.metadata?.error_type, 'invalid_request');
          assert.ok(await waitFor(() => body.cancelled), 'the body stream was cancelled');
          await t.settle();
          const pulled = body.pulled;
          await new Promise((r) => setTimeout(r, 50));
          assert.equal(body.pulled, pulled, 'nothing more was read');
          assert.ok(pulled <= 1024 + 2 * 256, `read ${pulled} bytes`);
          assert.equal(t.counts.end ?? 0, 0);
        } finally {
          await t.close();
        }
      });

      it('a body announced over the limit by content-length gets 413 before any of it is read', async () => {
        const t = await setup(makeCore, LIMITS_CONFIG);
        try {
          const body = slowBody({ size: 10, everyMs: 1 });
          const response = await t.driver.request('POST', '/v1/chat/completions', { ...headers, 'content-length': '4096' }, body.stream);
          assert.equal(response.status, 413);
          assert.ok(await waitFor(() => body.cancelled));
          assert.equal(body.pulled, 0);
        } finally {
          await t.close();
        }
      });

      it('a body that trickles past gateway.body_timeout_ms gets 408; other requests are served meanwhile', async () => {
        const t = await setup(makeCore, LIMITS_CONFIG);
        try {
          const started = Date.now();
          const body = slowBody({ size: 1, everyMs: 20, text: JSON.stringify({ model: 'echo', messages: userMessage('slow '.repeat(40)) }) });
          const slow = t.driver.request('POST', '/v1/chat/completions', headers, body.stream);
          const quick = await t.chat({ model: 'echo', messages: userMessage('meanwhile') });
          assert.equal(quick.status, 200);
          await quick.arrayBuffer();
          const response = await slow;
          assert.equal(response.status, 408);
          const elapsed = Date.now() - started;
          assert.ok(elapsed >= 290 && elapsed < 2000, `answered after ${elapsed} ms`);
          assert.equal((await errorOf(response)).metadata?.error_type, 'timeout');
          assert.ok(await waitFor(() => body.cancelled), 'the body stream was cancelled');
          assert.ok((t.counts.timer ?? 0) >= 1, 'the deadline came through the timer');
        } finally {
          await t.close();
        }
      });

      it('a whole body over the default limit (4 MiB) gets 413', async () => {
        const t = await setup(makeCore, ECHO_CONFIG);
        try {
          const response = await t.chat({ model: 'echo', messages: userMessage('x'.repeat(4 * 1024 * 1024 + 16)) });
          assert.equal(response.status, 413);
          await errorOf(response);
        } finally {
          await t.close();
        }
      });
    });

    describe('the one timer', () => {
      it('N requests pending on deadlines: a deadline change wakes at most one of their tasks', async () => {
        const config = { ...UPSTREAM_CONFIG, timeout_ms: 700 };
        const upstream = fakeUpstream(() => 'hang');
        const t = await setup(makeCore, config, upstream);
        try {
          const N = 10;
          const pending = Array.from({ length: N }, (_, i) => t.chat({ model: 'up/gpt-test', messages: userMessage(`wait ${i}`) }));
          assert.ok(await waitFor(() => upstream.calls.length === N));
          const before = t.driver.counters();
          assert.ok(before.armed <= 3, `armed ${before.armed} times for ${N} requests`);
          // An earlier deadline (a 60 ms whole-request timeout) comes and goes.
          const early = await t.chat({ model: 'up/gpt-test', messages: userMessage('in a hurry') }, { 'x-switchyard-timeout': '60' });
          assert.ok([408, 504].includes(early.status), `status ${early.status}`);
          await early.arrayBuffer();
          await new Promise((r) => setTimeout(r, 30));
          const after = t.driver.counters();
          assert.ok(after.handovers - before.handovers <= 1, `handed over ${after.handovers - before.handovers} times`);
          // The hurried request's own wake-ups (its fetch settling, its answer) plus at most one
          // other request taking the timer: never one per pending request.
          assert.ok(after.wakeups - before.wakeups <= 4, `${after.wakeups - before.wakeups} wake-ups with ${N} requests pending`);
          const answers = await Promise.all(pending);
          for (const r of answers) {
            assert.ok([408, 504].includes(r.status), `status ${r.status}`);
            await r.arrayBuffer();
          }
          assert.ok(upstream.calls.every((c) => c.signal.aborted), 'every upstream fetch was aborted');
          await t.settle();
          assert.equal(t.core.nextDeadline(), Infinity);
        } finally {
          await t.close();
        }
      });
    });

    describe('openai-compatible upstream', () => {
      it('forwards a non-stream request and answers in OpenAI shape', async () => {
        const t = await setup(makeCore, UPSTREAM_CONFIG);
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('hello') });
          assert.equal(response.status, 200);
          assertSwitchyardHeaders(response, { target: 'up/gpt-test', attempts: 1 });
          const doc = await response.json();
          assertCompletion(doc);
          assert.equal(doc.choices[0].message.content, UPSTREAM_TEXT);
          assert.equal(t.upstream.calls.length, 1);
          const call = t.upstream.calls[0];
          assert.equal(call.url, 'http://upstream.test/v1/chat/completions');
          assert.equal(call.method, 'POST');
          assert.equal(call.headers.get('authorization'), 'Bearer sk-upstream-test');
          assert.equal(call.body.model, 'gpt-test');
          assert.deepEqual(call.body.messages, userMessage('hello'));
        } finally {
          await t.close();
        }
      });

      it('streams an upstream SSE answer as chat.completion.chunk events', async () => {
        const t = await setup(makeCore, UPSTREAM_CONFIG);
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('hello'), stream: true });
          assert.equal(response.status, 200);
          assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
          assertSwitchyardHeaders(response, { target: 'up/gpt-test' });
          assert.equal(streamedText(await sseEvents(response)), UPSTREAM_TEXT);
          assert.equal(t.upstream.calls.length, 1);
          assert.equal(t.upstream.calls[0].body.stream, true);
        } finally {
          await t.close();
        }
      });

      it('serves many concurrent requests, streamed and not, each with its own answer', async () => {
        const t = await setup(makeCore, UPSTREAM_CONFIG);
        try {
          const answers = await Promise.all(
            Array.from({ length: 8 }, async (_, i) => {
              const stream = i % 2 === 0;
              const response = await t.chat({ model: 'up/gpt-test', messages: userMessage(`n${i}`), stream });
              assert.equal(response.status, 200);
              return stream ? streamedText(await sseEvents(response)) : (await response.json()).choices[0].message.content;
            }),
          );
          assert.deepEqual(answers, Array(8).fill(UPSTREAM_TEXT));
          assert.equal(t.upstream.calls.length, 8);
        } finally {
          await t.close();
        }
      });

      it('falls back to the next target when the first answers 500', async () => {
        const config = {
          providers: {
            a: { type: 'openai-compatible', base_url: 'http://a.test/v1' },
            b: { type: 'openai-compatible', base_url: 'http://b.test/v1' },
          },
          models: {
            fb: { strategy: 'fallback', targets: [{ provider: 'a', model: 'm1' }, { provider: 'b', model: 'm2' }] },
          },
          retry: { attempts: 0 },
        };
        const upstream = fakeUpstream((call) => (call.url.startsWith('http://a.test/') ? { status: 500 } : 'ok'));
        const t = await setup(makeCore, config, upstream);
        try {
          const response = await t.chat({ model: 'fb', messages: userMessage('hello') });
          assert.equal(response.status, 200);
          assertSwitchyardHeaders(response, { target: 'b/m2', attempts: 2 });
          assert.equal((await response.json()).choices[0].message.content, UPSTREAM_TEXT);
          assert.deepEqual(upstream.calls.map((c) => new URL(c.url).host), ['a.test', 'b.test']);
          assert.equal(upstream.calls[1].body.model, 'm2');
        } finally {
          await t.close();
        }
      });

      it('answers a repeated request from the cache', async () => {
        const config = { ...UPSTREAM_CONFIG, cache: { enabled: true } };
        const t = await setup(makeCore, config);
        try {
          const body = { model: 'up/gpt-test', messages: userMessage('cache me') };
          const first = await t.chat(body);
          assertSwitchyardHeaders(first, { cache: 'MISS' });
          const a = await first.json();
          const second = await t.chat(body);
          assert.equal(second.status, 200);
          assertSwitchyardHeaders(second, { cache: 'HIT' });
          const b = await second.json();
          assert.equal(b.choices[0].message.content, a.choices[0].message.content);
          assert.equal(t.upstream.calls.length, 1, 'the upstream was called once');
        } finally {
          await t.close();
        }
      });

      for (const [what, failure] of [
        ['a 500', { status: 500 }],
        ['a 429 with retry-after', { status: 429, headers: { 'retry-after': '0' } }],
        ['a network error', 'network'],
      ]) {
        it(`retries after ${what}, waiting on a core deadline`, async () => {
          const config = { ...UPSTREAM_CONFIG, retry: { attempts: 2, backoff_ms: 10 } };
          const upstream = fakeUpstream((call, n) => (n === 0 ? failure : 'ok'));
          const t = await setup(makeCore, config, upstream);
          try {
            const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('retry me') });
            assert.equal(response.status, 200);
            assertSwitchyardHeaders(response, { target: 'up/gpt-test', attempts: 2 });
            assert.equal((await response.json()).choices[0].message.content, UPSTREAM_TEXT);
            assert.equal(upstream.calls.length, 2);
            if (what !== 'a 429 with retry-after') {
              assert.ok((t.counts.timer ?? 0) >= 1, 'the retry waited for the core\'s next deadline');
            }
          } finally {
            await t.close();
          }
        });
      }

      it('answers 502 with an error document when every attempt fails', async () => {
        const config = { ...UPSTREAM_CONFIG, retry: { attempts: 1, backoff_ms: 1 } };
        const upstream = fakeUpstream(() => ({ status: 500 }));
        const t = await setup(makeCore, config, upstream);
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('fail') });
          assert.equal(response.status, 502);
          const error = await errorOf(response);
          assert.ok(!JSON.stringify(error).includes('sk-upstream-test'), 'no provider key in errors');
          assert.equal(upstream.calls.length, 2);
        } finally {
          await t.close();
        }
      });

      it('aborts the upstream fetch and answers 408 or 504 when the timeout passes', async () => {
        const config = { ...UPSTREAM_CONFIG, timeout_ms: 50 };
        const upstream = fakeUpstream(() => 'hang');
        const t = await setup(makeCore, config, upstream);
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('slow') });
          assert.ok([408, 504].includes(response.status), `status ${response.status}`);
          await errorOf(response);
          assert.equal(upstream.calls[0].signal.aborted, true, 'the upstream fetch was aborted');
        } finally {
          await t.close();
        }
      });

      it('aborts the upstream fetch when the caller cancels a stream', async () => {
        const upstream = fakeUpstream(() => 'hang-stream');
        const t = await setup(makeCore, UPSTREAM_CONFIG, upstream);
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('hi'), stream: true });
          assert.equal(response.status, 200);
          const reader = response.body.getReader();
          const { value } = await reader.read();
          assert.match(decoder.decode(value), /^data: /);
          await reader.cancel();
          assert.ok(await waitFor(() => upstream.calls[0].signal.aborted), 'the upstream fetch was aborted');
        } finally {
          await t.close();
        }
      });
    });

    describe('persistent cache tier (CACHE_GET / CACHE_PUT / CACHE_LIST / CACHE_CLEAR)', () => {
      const PERSIST_CONFIG = { ...UPSTREAM_CONFIG, cache: { enabled: true, persist: true } };
      const body = { model: 'up/gpt-test', messages: userMessage('persist me') };

      it('an L1 miss asks the tier, and the stored answer reaches the tier with its expiry', async () => {
        const tier = memoryTier();
        const t = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), { cache: tier });
        try {
          const response = await t.chat(body);
          assert.equal(response.status, 200);
          assertSwitchyardHeaders(response, { cache: 'MISS' });
          assert.equal((await response.json()).choices[0].message.content, UPSTREAM_TEXT);
          await t.settle();
          assert.equal(tier.gets.length, 1, 'one CACHE_GET');
          assert.match(tier.gets[0], /^[0-9a-f]{32}$/);
          assert.equal(t.counts.cacheResult, 1, 'answered exactly once');
          assert.equal(t.upstream.calls.length, 1);
          assert.equal(tier.puts.length, 1, 'one CACHE_PUT');
          const put = tier.puts[0];
          assert.equal(put.key, tier.gets[0]);
          const entry = JSON.parse(put.entry);
          assert.equal(entry.key, put.key);
          assert.equal(entry.target, 'up/gpt-test');
          assert.equal(entry.expires_at, put.expiresAtMs);
          assert.ok(put.expiresAtMs > Date.now(), 'expires in the future');
          assert.equal(entry.answer.choices[0].message.content, UPSTREAM_TEXT);
          assert.ok(!put.entry.includes('sk-upstream-test'), 'no provider key in an entry');

          // L1 now answers by itself: no second CACHE_GET.
          const again = await t.chat(body);
          assertSwitchyardHeaders(again, { cache: 'HIT' });
          await again.arrayBuffer();
          await t.settle();
          assert.equal(tier.gets.length, 1);
          assert.equal(t.upstream.calls.length, 1);
        } finally {
          await t.close();
        }
      });

      it('a tier hit answers HIT with no upstream fetch, non-stream and stream', async () => {
        const tier = memoryTier();
        const first = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), { cache: tier });
        try {
          await (await first.chat(body)).arrayBuffer();
          await first.settle();
        } finally {
          await first.close();
        }
        assert.equal(tier.map.size, 1);

        // A fresh core (an empty L1, as after a reload) over the same tier; the upstream fails.
        const upstream = fakeUpstream(() => 'network');
        const t = await setup(makeCore, PERSIST_CONFIG, upstream, { cache: tier });
        try {
          const response = await t.chat(body);
          assert.equal(response.status, 200);
          assertSwitchyardHeaders(response, { cache: 'HIT', target: 'up/gpt-test' });
          assert.equal((await response.json()).choices[0].message.content, UPSTREAM_TEXT);
          const stream = await t.chat({ ...body, stream: true });
          assert.equal(stream.status, 200);
          assertSwitchyardHeaders(stream, { cache: 'HIT' });
          assert.equal(streamedText(await sseEvents(stream)), UPSTREAM_TEXT);
          assert.equal(upstream.calls.length, 0, 'no upstream fetch');
        } finally {
          await t.close();
        }
      });

      for (const mode of ['fail', 'hang']) {
        it(`a tier that ${mode === 'fail' ? 'fails' : 'never answers'} is a miss: the upstream answers`, async () => {
          const tier = memoryTier(mode);
          const t = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), { cache: tier, cacheTimeoutMs: 50 });
          try {
            const response = await t.chat(body);
            assert.equal(response.status, 200);
            assertSwitchyardHeaders(response, { cache: 'MISS' });
            assert.equal((await response.json()).choices[0].message.content, UPSTREAM_TEXT);
            await t.settle();
            assert.equal(tier.gets.length, 1);
            assert.equal(t.counts.cacheResult, 1, 'answered exactly once');
            assert.equal(t.upstream.calls.length, 1);
          } finally {
            await t.close();
          }
        });
      }

      it('a stale or foreign tier entry is a miss', async () => {
        const tier = memoryTier();
        const upstream = fakeUpstream();
        const t = await setup(makeCore, PERSIST_CONFIG, upstream, { cache: tier });
        try {
          await (await t.chat(body)).arrayBuffer();
          await t.settle();
          const [key] = tier.map.keys();
          const entry = JSON.parse(tier.map.get(key).entry);
          // Served to a fresh core under the same key: an expired entry, then another key's.
          for (const bad of [{ ...entry, expires_at: Date.now() - 1000 }, { ...entry, key: 'f'.repeat(32) }]) {
            const other = memoryTier();
            other.map.set(key, { entry: JSON.stringify(bad), expires: Date.now() + 60000 });
            const u = fakeUpstream();
            const fresh = await setup(makeCore, PERSIST_CONFIG, u, { cache: other });
            try {
              const response = await fresh.chat(body);
              assertSwitchyardHeaders(response, { cache: 'MISS' });
              await response.arrayBuffer();
              assert.equal(u.calls.length, 1, 'went upstream');
            } finally {
              await fresh.close();
            }
          }
        } finally {
          await t.close();
        }
      });

      it('a snapshot after a reload holds the tier entries (CACHE_LIST); DELETE empties the tier (CACHE_CLEAR)', async () => {
        const tier = memoryTier();
        const first = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), { cache: tier });
        try {
          await (await first.chat(body)).arrayBuffer();
          await first.settle();
        } finally {
          await first.close();
        }
        const t = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(() => 'network'), { cache: tier });
        try {
          const response = await t.driver.request('GET', '/v1/cache', {}, null);
          assert.equal(response.status, 200);
          const snapshot = await response.json();
          assert.deepEqual(snapshot.entries.map((e) => e.key), [...tier.map.keys()]);
          assert.equal(snapshot.entries[0].answer.choices[0].message.content, UPSTREAM_TEXT);
          const ndjson = await (await t.driver.request('GET', '/v1/cache?format=ndjson', {}, null)).text();
          assert.equal(ndjson.trim().split('\n').length, 2);
          assert.equal(t.counts.cacheResult, 2, 'each listing answered once');
          const cleared = await t.driver.request('DELETE', '/v1/cache', {}, null);
          assert.equal(cleared.status, 200);
          await cleared.arrayBuffer();
          assert.equal(tier.map.size, 0, 'the tier was emptied before the answer');
          assert.equal((await (await t.driver.request('GET', '/v1/cache', {}, null)).json()).entries.length, 0);
        } finally {
          await t.close();
        }
      });

      it('a tier that fails to list or clear is answered all the same (an empty list)', async () => {
        const tier = memoryTier();
        tier.entries = async function* () {
          throw new Error('the tier is down');
        };
        tier.clear = async () => {
          throw new Error('the tier is down');
        };
        const logged = [];
        const t = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), { cache: tier, log: (l) => logged.push(l) });
        try {
          await (await t.chat(body)).arrayBuffer();
          const response = await t.driver.request('GET', '/v1/cache', {}, null);
          assert.equal(response.status, 200);
          assert.equal((await response.json()).entries.length, 1, 'the core\'s own entry');
          const cleared = await t.driver.request('DELETE', '/v1/cache', {}, null);
          assert.equal(cleared.status, 200);
          await cleared.arrayBuffer();
          await t.settle();
          assert.equal(t.counts.cacheResult, 3, 'one CACHE_GET, one CACHE_LIST, one CACHE_CLEAR');
          assert.match(logged.join('\n'), /list failed[\s\S]*clear failed/);
        } finally {
          await t.close();
        }
      });

      it('without persistence the core never asks a tier', async () => {
        const tier = memoryTier();
        const t = await setup(makeCore, PERSIST_CONFIG, fakeUpstream(), {});
        const driver = createDriver(t.core, { fetch: t.upstream.fetch, cache: tier });
        try {
          const response = await driver.request('POST', '/v1/chat/completions', { 'content-type': 'application/json' }, JSON.stringify(body));
          assert.equal(response.status, 200);
          await response.arrayBuffer();
          assert.equal(tier.gets.length + tier.puts.length, 0);
        } finally {
          await t.close();
        }
      });

      describe('package API', () => {
        const open = (config, options = {}) =>
          createSwitchyardWith({ config, loadCore: () => makeCore(), ...options }, () => {
            throw new Error('no default core in this suite');
          });

        it('export merges the tier; import into a fresh core answers offline with cache "only"', async () => {
          const tier = memoryTier();
          const upstream = fakeUpstream();
          const sy = await open(PERSIST_CONFIG, { fetch: upstream.fetch, persist: tier });
          let snapshot;
          let ndjson;
          try {
            const answer = await sy.chat.completions.create(body);
            assert.equal(answer._switchyard.cache, 'MISS');
            // An entry only the tier holds (stored by an earlier page, say) is exported too.
            const [key] = tier.map.keys();
            assert.ok(key, 'the answer reached the tier');
            const extra = JSON.parse(tier.map.get(key).entry);
            extra.key = 'e'.repeat(32);
            tier.map.set(extra.key, { entry: JSON.stringify(extra), expires: extra.expires_at });
            // The same key in the tier with a later expiry wins over the core's copy.
            const later = { ...JSON.parse(tier.map.get(key).entry), expires_at: extra.expires_at + 5000 };
            tier.map.set(key, { entry: JSON.stringify(later), expires: later.expires_at });

            snapshot = await sy.cache.export();
            assert.equal(snapshot.format, 'switchyard.cache');
            assert.equal(snapshot.version, 1);
            assert.deepEqual(snapshot.entries.map((e) => e.key).sort(), [key, extra.key].sort());
            assert.equal(snapshot.entries.find((e) => e.key === key).expires_at, later.expires_at);
            assert.ok(!JSON.stringify(snapshot).includes('sk-upstream-test'), 'no provider key in a snapshot');

            ndjson = await sy.cache.export({ format: 'ndjson' });
            const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l));
            assert.deepEqual(lines[0], { format: 'switchyard.cache', version: 1 });
            assert.equal(lines.length, 3);
          } finally {
            sy.close();
          }

          for (const form of [snapshot, JSON.stringify(snapshot), ndjson]) {
            const down = fakeUpstream(() => 'network');
            const fresh = await open(PERSIST_CONFIG, { fetch: down.fetch });
            try {
              const result = await fresh.cache.import(form);
              assert.equal(typeof result, 'object');
              const answer = await fresh.chat.completions.create({ ...body, switchyard: { cache: 'only' } });
              assert.equal(answer.choices[0].message.content, UPSTREAM_TEXT);
              assert.equal(answer._switchyard.cache, 'HIT');
              assert.equal(down.calls.length, 0);
            } finally {
              fresh.close();
            }
          }
        });

        it('import hands the entries to the tier; clear empties the core and the tier', async () => {
          const source = await open(PERSIST_CONFIG, { fetch: fakeUpstream().fetch });
          let snapshot;
          try {
            await source.chat.completions.create(body);
            snapshot = await source.cache.export();
          } finally {
            source.close();
          }
          const tier = memoryTier();
          const down = fakeUpstream(() => 'network');
          const sy = await open(PERSIST_CONFIG, { fetch: down.fetch, persist: tier });
          try {
            await sy.cache.import(snapshot);
            assert.equal(tier.map.size, 1, 'the imported entry reached the tier');
            await sy.cache.clear();
            assert.equal(tier.map.size, 0);
            assert.equal((await sy.cache.export()).entries.length, 0);
            await assert.rejects(
              sy.chat.completions.create({ ...body, switchyard: { cache: 'only' } }),
              (e) => e instanceof SwitchyardError && e.status === 504 && e.metadata.error_type === 'cache_miss_offline',
            );
          } finally {
            sy.close();
          }
        });
      });
    });

    describe('driver', () => {
      it('an aborted signal cancels the request and its upstream fetch', async () => {
        const upstream = fakeUpstream(() => 'hang');
        const t = await setup(makeCore, UPSTREAM_CONFIG, upstream);
        try {
          const controller = new AbortController();
          const response = t.driver.request('POST', '/v1/chat/completions', { 'content-type': 'application/json' },
            JSON.stringify({ model: 'up/gpt-test', messages: userMessage('hi') }), { signal: controller.signal });
          assert.ok(await waitFor(() => upstream.calls.length === 1));
          controller.abort();
          await assert.rejects(response, (e) => e.name === 'AbortError');
          assert.ok(await waitFor(() => upstream.calls[0].signal.aborted), 'the upstream fetch was aborted');
        } finally {
          await t.close();
        }
      });

      it('ends a stream whose upstream fails midway with an error chunk and [DONE]', async () => {
        const t = await setup(makeCore, UPSTREAM_CONFIG, fakeUpstream(() => 'break-stream'));
        try {
          const response = await t.chat({ model: 'up/gpt-test', messages: userMessage('hi'), stream: true });
          assert.equal(response.status, 200);
          const events = await sseEvents(response);
          assert.equal(events.at(-1), '[DONE]');
          const last = JSON.parse(events.at(-2));
          assert.ok(last.error, `the last chunk carries the error: ${events.at(-2)}`);
          assert.equal(last.choices?.[0]?.finish_reason, 'error');
        } finally {
          await t.close();
        }
      });
    });

    describe('package API (createSwitchyard)', () => {
      const open = (config, options = {}) =>
        createSwitchyardWith({ config, loadCore: () => makeCore(), ...options }, () => {
          throw new Error('no default core in this suite');
        });

      it('chat.completions.create answers non-stream and stream', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          const messages = userMessage('Package API words');
          const answer = await sy.chat.completions.create({ model: 'echo', messages });
          assertCompletion(answer);
          assert.equal(answer._switchyard.target, 'demo/echo-1');
          assert.equal(answer._switchyard.attempts, 1);
          assert.ok(answer._switchyard.requestId);
          assert.ok(!Object.keys(answer).includes('_switchyard'), '_switchyard is not enumerable');

          const stream = await sy.chat.completions.create({ model: 'echo', messages, stream: true });
          assert.equal(stream._switchyard.target, 'demo/echo-1');
          let text = '';
          let chunks = 0;
          for await (const chunk of stream) {
            assert.equal(chunk.object, 'chat.completion.chunk');
            text += chunk.choices?.[0]?.delta?.content ?? '';
            chunks++;
          }
          assert.ok(chunks >= 2);
          assert.equal(text, answer.choices[0].message.content);
        } finally {
          sy.close();
        }
      });

      it('responses.create answers a Response, and a stream of typed events ending in response.completed', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          const input = 'Responses package words';
          const answer = await sy.responses.create({ model: 'echo', input, instructions: 'Be brief.' });
          assert.equal(answer.object, 'response');
          assert.match(answer.id, /^resp_/);
          assert.equal(answer.status, 'completed');
          assert.equal(answer.output_text, input, 'echo answers the last user text; output_text joins the message parts');
          const message = answer.output.find((item) => item.type === 'message');
          assert.deepEqual(message.content.map((part) => part.type), ['output_text']);
          assert.equal(answer.usage.total_tokens, answer.usage.input_tokens + answer.usage.output_tokens);
          assert.equal(answer._switchyard.target, 'demo/echo-1');

          const stream = await sy.responses.create({ model: 'echo', input, stream: true });
          assert.equal(stream._switchyard.target, 'demo/echo-1');
          const events = [];
          for await (const event of stream) events.push(event);
          const types = events.map((e) => e.type);
          assert.equal(types[0], 'response.created');
          assert.equal(types.at(-1), 'response.completed');
          for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.done', 'response.output_item.done']) {
            assert.ok(types.includes(t), `${t} in ${types}`);
          }
          assert.ok(types.indexOf('response.output_item.added') < types.indexOf('response.output_text.delta'));
          const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
          assert.equal(deltas.join(''), input);
          const numbers = events.map((e) => e.sequence_number);
          assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'sequence_number increases');
          const done = events.at(-1).response;
          assert.equal(done.status, 'completed');
          assert.equal(done.output.find((i) => i.type === 'message').content[0].text, input);
        } finally {
          sy.close();
        }
      });

      it('responses.create continues a kept response (previous_response_id) with a tier; a 400 without one', async () => {
        const tier = memoryTier();
        const sy = await open(ECHO_CONFIG, { persist: tier });
        try {
          const first = await sy.responses.create({ model: 'echo', input: 'My name is Ada and I like trains.' });
          const alone = await sy.responses.create({ model: 'echo', input: 'What is my name?', store: false });
          const next = await sy.responses.create({ model: 'echo', input: 'What is my name?', previous_response_id: first.id });
          assert.equal(next.output_text, 'What is my name?');
          assert.equal(next.previous_response_id, first.id);
          assert.ok(next.usage.input_tokens > alone.usage.input_tokens, `${next.usage.input_tokens} > ${alone.usage.input_tokens}`);
          assert.ok(tier.gets.length >= 1, 'the kept response was looked up in the tier');
          await assert.rejects(
            sy.responses.create({ model: 'echo', input: 'x', previous_response_id: alone.id }),
            (e) => e instanceof SwitchyardError && e.status === 400 && e.param === 'previous_response_id',
          );
        } finally {
          sy.close();
        }
        const plain = await open(ECHO_CONFIG);
        try {
          await assert.rejects(plain.responses.create({ model: 'echo', input: 'x', previous_response_id: 'resp_123' }), (e) => {
            assert.ok(e instanceof SwitchyardError);
            assert.deepEqual([e.status, e.param, e.type], [400, 'previous_response_id', 'invalid_request_error']);
            return true;
          });
        } finally {
          plain.close();
        }
      });

      it('messages.create answers a Message, a stream of Anthropic events, and countTokens', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          const text = 'Messages package words';
          const body = { model: 'echo', max_tokens: 256, system: 'Be brief.', messages: userMessage(text) };
          const answer = await sy.messages.create(body);
          assert.equal(answer.type, 'message');
          assert.equal(answer.role, 'assistant');
          assert.match(answer.id, /^msg_/);
          assert.deepEqual(answer.content, [{ type: 'text', text }]);
          assert.equal(answer.stop_reason, 'end_turn');
          assert.ok(answer.usage.input_tokens > 0 && answer.usage.output_tokens > 0);
          assert.equal(answer._switchyard.target, 'demo/echo-1');

          const stream = await sy.messages.create({ ...body, stream: true });
          const events = [];
          for await (const event of stream) events.push(event);
          const types = events.map((e) => e.type);
          assert.equal(types[0], 'message_start');
          assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
          assert.ok(!types.includes('ping'), 'ping events are skipped');
          assert.equal(events[0].message.content.length, 0);
          const deltas = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text);
          assert.equal(deltas.join(''), text);
          assert.equal(events.at(-2).delta.stop_reason, 'end_turn');

          const counted = await sy.messages.countTokens({ model: 'echo', messages: userMessage(text) });
          assert.ok(Number.isInteger(counted.input_tokens) && counted.input_tokens > 0, JSON.stringify(counted));
        } finally {
          sy.close();
        }
      });

      it('messages errors come in Anthropic shape and still give status, type and code', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          await assert.rejects(sy.messages.create({ model: 'echo', messages: userMessage('no max_tokens') }), (e) => {
            assert.ok(e instanceof SwitchyardError);
            assert.equal(e.status, 400);
            assert.equal(e.type, 'invalid_request_error');
            assert.equal(e.metadata.error_type, 'invalid_request');
            assert.equal(typeof e.code, 'string');
            assert.match(e.message, /max_tokens/);
            return true;
          });
          await assert.rejects(
            sy.messages.create({ model: 'nope', max_tokens: 5, messages: userMessage('hi') }),
            (e) => e instanceof SwitchyardError && e.status === 404 && e.type === 'not_found_error',
          );
        } finally {
          sy.close();
        }
      });

      it('responses and messages streams that fail midway throw SwitchyardError with the error event', async () => {
        const sy = await open(UPSTREAM_CONFIG, { fetch: fakeUpstream(() => 'break-stream').fetch });
        try {
          const streams = {
            responses: await sy.responses.create({ model: 'up/gpt-test', input: 'hi', stream: true }),
            messages: await sy.messages.create({ model: 'up/gpt-test', max_tokens: 20, messages: userMessage('hi'), stream: true }),
          };
          for (const [what, stream] of Object.entries(streams)) {
            const seen = [];
            await assert.rejects(
              (async () => {
                for await (const event of stream) seen.push(event);
              })(),
              (e) => {
                assert.ok(e instanceof SwitchyardError, `${what}: ${e}`);
                assert.ok(e.status >= 500, `${what}: status ${e.status}`);
                assert.ok(e.event, `${what}: the error event is attached`);
                assert.ok(e.type && e.code, `${what}: type ${e.type} code ${e.code}`);
                return true;
              },
            );
            assert.ok(seen.length >= 1, `${what}: the events before the failure were yielded`);
          }
        } finally {
          sy.close();
        }
      });

      it('images.generate answers an ImagesResponse; echo draws the prompt as an SVG', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          const prompt = 'A lighthouse <at> dusk & "fog"';
          const answer = await sy.images.generate({ model: 'echo', prompt, response_format: 'b64_json' });
          assert.equal(typeof answer.created, 'number');
          assert.equal(answer.data.length, 1);
          const svg = Buffer.from(answer.data[0].b64_json, 'base64').toString('utf8');
          assert.match(svg, /<svg[\s>]/);
          assert.ok(svg.includes('A lighthouse &lt;at&gt; dusk &amp;'), `the prompt, escaped, is in the SVG: ${svg}`);
          assert.equal(answer._switchyard.target, 'demo/echo-1');
          const again = await sy.images.generate({ model: 'echo', prompt, response_format: 'b64_json' });
          assert.equal(again.data[0].b64_json, answer.data[0].b64_json, 'deterministic');
          await assert.rejects(sy.images.generate({ model: 'echo' }), (e) => e instanceof SwitchyardError && e.status === 400 && e.param === 'prompt');
        } finally {
          sy.close();
        }
      });

      it('models.retrieve answers one listed id, ids with / included; 404 otherwise', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          const list = await sy.models();
          const ids = list.data.map((m) => m.id);
          assert.ok(ids.includes('echo') && ids.includes('demo/echo-1'), ids.join());
          for (const id of ids) {
            const model = await sy.models.retrieve(id);
            assert.equal(model.id, id);
            assert.equal(model.object, 'model');
          }
          await assert.rejects(sy.models.retrieve('no/such-model'), (e) => e instanceof SwitchyardError && e.status === 404);
        } finally {
          sy.close();
        }
      });

      it('call() renders a service template', async () => {
        const config = { ...ECHO_CONFIG, services: { greet: { model: 'demo/echo-1', prompt: 'Hello {{name}}' } } };
        const sy = await open(config);
        try {
          const out = await sy.call('greet', { name: 'Ada' });
          assert.equal(typeof out.text, 'string');
          assert.ok(out.text.includes('Ada'), `the echo answer carries the rendered prompt: ${out.text}`);
          assert.equal(typeof out.usage, 'object');
          await assert.rejects(sy.call('no-such-service', {}), (e) => e instanceof SwitchyardError && e.status === 404);
        } finally {
          sy.close();
        }
      });

      it('pipeline() runs steps in the core: parallel pairs, json, a failing step, and a stream', async () => {
        const config = {
          ...ECHO_CONFIG,
          cache: { enabled: true },
          services: {
            shout: { model: 'demo/echo-1', prompt: '{{text}}!' },
            score: { model: 'demo/echo-1', prompt: 'Rate {{text}}', schema: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] } },
          },
          pipelines: {
            pair: {
              steps: [
                { id: 'a', service: 'shout', input: { text: '{{input.word}}' } },
                { id: 'b', service: 'score', input: { text: '{{input.word}}' } },
                { id: 'both', model: 'demo/echo-1', prompt: '{{x}} / {{y}}', input: { x: '{{a.text}}', y: '{{b.json.label}}' } },
              ],
            },
            offline: [
              { id: 'first', service: 'shout', input: { text: '{{input.word}}' } },
              { id: 'second', service: 'shout', input: { text: '{{first.text}}' }, cache: 'only' },
            ],
          },
        };
        const sy = await open(config);
        try {
          const answer = await sy.pipeline('pair', { word: 'hello' });
          assert.deepEqual(Object.keys(answer.steps).sort(), ['a', 'b', 'both']);
          assert.equal(answer.steps.a.text, 'hello!');
          assert.equal(typeof answer.steps.b.json.label, 'string');
          assert.equal(answer.output, `hello! / ${answer.steps.b.json.label}`);
          assert.equal(answer.steps.both.provider, 'demo');
          assert.equal(answer.usage.total_tokens, Object.values(answer.steps).reduce((n, s) => n + s.usage.total_tokens, 0));
          const again = await sy.pipeline('pair', { word: 'hello' });
          assert.deepEqual(Object.values(again.steps).map((s) => s.cache), ['HIT', 'HIT', 'HIT'], 'a repeated pipeline is served from the cache step by step');

          const events = [];
          for await (const e of await sy.pipeline('pair', { word: 'stream me' }, { stream: true })) events.push(e);
          assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.step.id).sort(), ['a', 'b', 'both']);
          assert.equal(events.at(-1).type, 'done');
          const deltas = events.filter((e) => e.type === 'delta').map((e) => e.text).join('');
          assert.equal(deltas, events.at(-1).answer.output, 'the last step streams its tokens');

          await assert.rejects(sy.pipeline('offline', { word: 'x' }), (e) => {
            assert.ok(e instanceof SwitchyardError, String(e));
            assert.equal(e.status, 504);
            assert.equal(e.step, 'second');
            assert.deepEqual(Object.keys(e.steps), ['first'], 'the finished steps come with the error');
            return true;
          });
          await assert.rejects(sy.pipeline('nope', {}), (e) => e instanceof SwitchyardError && e.status === 404);
        } finally {
          sy.close();
        }
      });

      it('throws SwitchyardError with the error document fields', async () => {
        const sy = await open(ECHO_CONFIG);
        try {
          await assert.rejects(sy.chat.completions.create({ messages: userMessage('hi') }), (e) => {
            assert.ok(e instanceof SwitchyardError);
            assert.equal(e.status, 400);
            assert.equal(e.param, 'model');
            assert.equal(e.type, 'invalid_request_error');
            assert.equal(e.metadata.error_type, 'invalid_request');
            return true;
          });
          await assert.rejects(
            sy.chat.completions.create({ model: 'nope', messages: userMessage('hi') }),
            (e) => e instanceof SwitchyardError && e.status === 404,
          );
          // The package's own errors speak the core's vocabulary too.
          sy.close();
          await assert.rejects(sy.chat.completions.create({ model: 'echo', messages: userMessage('hi') }), (e) => {
            assert.deepEqual([e.status, e.type, e.code, e.param], [400, 'invalid_request_error', 'invalid_request', null]);
            assert.equal(e.metadata.error_type, 'invalid_request');
            return true;
          });
        } finally {
          sy.close();
        }
      });

      it('refuses an invalid config with SwitchyardError 400 listing paths', async () => {
        await assert.rejects(open({ providers: { x: { type: 'nope' } } }), (e) => {
          assert.ok(e instanceof SwitchyardError);
          assert.equal(e.status, 400);
          assert.equal(e.metadata.errors[0].path, 'providers.x.type');
          assert.match(e.message, /providers\.x\.type/);
          return true;
        });
      });

      it('throws the error chunk of a stream that fails midway as SwitchyardError', async () => {
        const sy = await open(UPSTREAM_CONFIG, { fetch: fakeUpstream(() => 'break-stream').fetch });
        try {
          const stream = await sy.chat.completions.create({ model: 'up/gpt-test', messages: userMessage('hi'), stream: true });
          const seen = [];
          await assert.rejects(
            (async () => {
              for await (const chunk of stream) seen.push(chunk);
            })(),
            (e) => e instanceof SwitchyardError && e.chunk?.choices?.[0]?.finish_reason === 'error',
          );
          assert.ok(seen.length >= 1, 'the chunks before the failure were yielded');
        } finally {
          sy.close();
        }
      });

      it("refuses transport 'emscripten' without an XMLHttpRequest (400), and a persist the environment lacks (400)", async () => {
        assert.equal(globalThis.XMLHttpRequest, undefined);
        await assert.rejects(open(ECHO_CONFIG, { transport: 'emscripten' }), (e) => {
          assert.ok(e instanceof SwitchyardError);
          assert.deepEqual([e.status, e.type, e.param], [400, 'invalid_request_error', 'transport']);
          assert.match(e.message, /XMLHttpRequest.*xhr2/s);
          return true;
        });
        for (const persist of ['indexeddb', 'fs', 'nope']) {
          await assert.rejects(
            open(ECHO_CONFIG, { persist }),
            (e) => e instanceof SwitchyardError && e.status === 400 && e.param === 'persist',
          );
        }
      });

      it('accepts the config as JSON text and uses the given fetch', async () => {
        const upstream = fakeUpstream();
        const sy = await open(JSON.stringify(UPSTREAM_CONFIG), { fetch: upstream.fetch });
        try {
          const answer = await sy.chat.completions.create({ model: 'up/gpt-test', messages: userMessage('hi') });
          assert.equal(answer.choices[0].message.content, UPSTREAM_TEXT);
          assert.equal(upstream.calls.length, 1);
        } finally {
          sy.close();
        }
      });
    });
  });
}
