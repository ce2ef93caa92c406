// Request bodies and time at the edge: workerd running worker/ with the WASI core. The worker
// gives request.body to the core (no limit in JS; one read for a small body of known length, a
// stream otherwise, the head first either way): a body that trickles in past
// gateway.body_timeout_ms gets 408 and no longer holds the worker, a body over
// gateway.max_body_bytes gets 413 while it still arrives (and a client sending it at full speed
// reads that 413), and the driver's one timer survives the request that armed it finishing (it
// is handed to a request still waiting). Also: the gateway binds exactly the env variables the
// core says the config references.
// Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMock } from '../mock-upstream/server.mjs';
import { DEFAULT_CONFIG_PATH, envNames, startGateway } from '../../worker/gateway.mjs';
import { call, chat, testConfig, track, userMessage } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bodies-test-'));
const BODY_TIMEOUT_MS = 300;
const MAX_BODY = 8192;

let mock;
let gateway;

before(async () => {
  mock = await startMock();
  mock.setScenario('slow', { latency_ms: 3000 });
  const config = {
    providers: {
      echo: { type: 'echo' },
      slow: { type: 'openai-compatible', base_url: mock.scenarioUrl('slow'), timeout_ms: 100 },
    },
    retry: { attempts: 0 },
    gateway: { body_timeout_ms: BODY_TIMEOUT_MS, max_body_bytes: MAX_BODY },
  };
  gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw'), wasmPath });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A raw HTTP request whose body the client writes `piece` by `piece` every `everyMs` until the
 * gateway answers (or `maxMs` passed). Resolves with the answer, when it came, and how many body
 * bytes had been written by then, once the answer's JSON is complete; then the client hangs up.
 */
function trickle(url, { piece = 'x', everyMs = 50, maxMs = 5000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let written = 0;
    let timer = null;
    const req = http.request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    });
    const write = () => {
      if (Date.now() - started > maxMs) return req.end();
      req.write(piece, () => {});
      written += Buffer.byteLength(piece);
      timer = setTimeout(write, everyMs);
    };
    req.on('response', (res) => {
      clearTimeout(timer);
      const at = Date.now() - started;
      const writtenThen = written;
      let text = '';
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode, text, at, written: writtenThen });
      };
      res.on('data', (d) => {
        text += d;
        try {
          JSON.parse(text);
          done(); // the answer is whole (the gateway may keep reading the rest of the body)
        } catch {}
      });
      res.on('end', done);
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.flushHeaders();
    write();
  });
}

describe('request bodies at the edge', () => {
  test('a body trickling in byte by byte gets 408 at the body deadline; the worker serves others meanwhile', { timeout: 20000 }, async () => {
    const slow = trickle(gateway.url, { piece: 'x', everyMs: 50, maxMs: 10000, headers: { 'content-length': '4000' } });
    const others = [];
    for (let i = 0; i < 3; i++) {
      others.push(await chat(gateway.url, { model: 'echo/echo-1', messages: userMessage(`meanwhile ${i}`) }));
      await new Promise((r) => setTimeout(r, 30));
    }
    for (const r of others) assert.equal(r.status, 200, r.text);
    const answer = await slow;
    assert.equal(answer.status, 408, answer.text);
    assert.ok(answer.at >= BODY_TIMEOUT_MS - 20 && answer.at < 3000, `answered after ${answer.at} ms`);
    const error = JSON.parse(answer.text).error;
    assert.equal(error.metadata.error_type, 'timeout');
    assert.equal(error.type, 'timeout_error');
    assert.ok(answer.written < 100, `the caller had written ${answer.written} bytes`);
    // Still serving.
    assert.equal((await chat(gateway.url, { model: 'echo/echo-1', messages: userMessage('after') })).status, 200);
  });

  test('a streamed body over the limit gets 413 while it still arrives', { timeout: 20000 }, async () => {
    // 2 KiB every 10 ms passes the 8 KiB limit within about 40 ms, well inside the 300 ms body
    // deadline even when the machine's timers run late under load.
    const answer = await trickle(gateway.url, { piece: 'y'.repeat(2048), everyMs: 10, maxMs: 10000 });
    assert.equal(answer.status, 413, answer.text);
    assert.equal(JSON.parse(answer.text).error.metadata.error_type, 'invalid_request');
    assert.ok(answer.written > MAX_BODY && answer.written < MAX_BODY + 16 * 1024, `the caller had written ${answer.written} bytes`);
    assert.ok(answer.at < 3000, `answered after ${answer.at} ms`);
  });

  test('a body announced over the limit by content-length gets 413 at once', { timeout: 20000 }, async () => {
    const answer = await trickle(gateway.url, { piece: '{', everyMs: 200, maxMs: 5000, headers: { 'content-length': String(MAX_BODY + 1) } });
    assert.equal(answer.status, 413, answer.text);
    assert.ok(answer.at < 1000, `answered after ${answer.at} ms`);
  });

  test('the timer outlives the request that armed it: a trickling body still gets its 408', { timeout: 20000 }, async () => {
    // B's body deadline is pending while A arms the timer for its own, earlier deadline (a
    // 100 ms attempt timeout), is answered and finishes: the timer must go on in B's task. B
    // sends one byte and then nothing, so no event of its own re-arms the timer.
    const b = trickle(gateway.url, { piece: 'x', everyMs: 60000, maxMs: 8000, headers: { 'content-length': '4000' } });
    await new Promise((r) => setTimeout(r, 50));
    const a = await chat(gateway.url, { model: 'slow/m', messages: userMessage('too slow') });
    assert.ok([408, 504].includes(a.status), `${a.status} ${a.text}`);
    const answer = await b;
    assert.equal(answer.status, 408, answer.text);
    assert.ok(answer.at < 2000, `answered after ${answer.at} ms`);
  });

  test('a small body of known length read whole: two parts with a pause under the deadline make one answer', { timeout: 20000 }, async () => {
    // The worker takes a body of at most 64 KiB by content-length with one arrayBuffer(); the
    // head still went to the core first, so its deadline ran meanwhile (the 408 tests above).
    const body = JSON.stringify({ model: 'echo/echo-1', messages: userMessage('in two parts') });
    const answer = await postChat(body, { cut: Math.floor(body.length / 2), pauseMs: BODY_TIMEOUT_MS / 3 });
    assert.equal(answer.status, 200, answer.text);
    assert.match(JSON.parse(answer.text).choices[0].message.content, /in two parts/);
  });

  test('an answer the core gives once a body read whole ended (echo, a cache hit) is a plain body, not a stream', { timeout: 20000 }, async () => {
    // The whole read counts as arrived before the core hears of it: nothing lingers, so workerd
    // sends the answer with a content-length instead of chunks.
    const body = JSON.stringify({ model: 'echo/echo-1', messages: userMessage('whole answer') });
    const answer = await postChat(body);
    assert.equal(answer.status, 200, answer.text);
    assert.match(JSON.parse(answer.text).choices[0].message.content, /whole answer/);
    assert.equal(answer.headers['transfer-encoding'], undefined, JSON.stringify(answer.headers));
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.text)));
  });

  test('a client sending a body over the limit at full speed reads the 413, never a broken pipe', { timeout: 30000 }, async () => {
    // The gateway reads (and drops) the rest of such a body while its answer stays open, so the
    // client can finish sending; for several MB on loopback a closed connection would be EPIPE.
    const big = JSON.stringify({ model: 'echo/echo-1', messages: userMessage('z'.repeat(6 * 1024 * 1024)) });
    for (let i = 0; i < 10; i++) assertError(await chat(gateway.url, big), 413);
  });
});

// POSTs `body` to the chat route with its content-length: the first `cut` characters, then
// (after `pauseMs`) the rest. Resolves with the answer's status, headers and text.
function postChat(body, { cut = body.length, pauseMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (cut >= body.length) return req.end(body);
    req.write(body.slice(0, cut));
    setTimeout(() => req.end(body.slice(cut)), pauseMs);
  });
}

function assertError(r, status) {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.json?.error?.message, 'string', r.text);
  assert.ok('param' in r.json.error, 'param is present');
}

// What worker/gateway.mjs bound before the core was asked: every "env:NAME" string value.
function regexEnvNames(config) {
  const names = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value)) names.add(value.slice(4));
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(config);
  return [...names].sort();
}

describe('env names', () => {
  test('the same bindings as before for configs whose references are provider keys', () => {
    const configs = [JSON.parse(fs.readFileSync(DEFAULT_CONFIG_PATH, 'utf8')), testConfig({ scenarioUrl: (s) => `http://127.0.0.1:9/s/${s}/v1` })];
    configs.push({
      providers: {
        a: { type: 'openai', api_key: 'env:OPENAI_API_KEY' },
        b: { type: 'anthropic', api_key: 'env:ANTHROPIC_API_KEY' },
        c: { type: 'openai-compatible', base_url: 'http://x.test/v1', api_key: 'env:OPENAI_API_KEY' },
      },
    });
    for (const config of configs) assert.deepEqual(envNames(JSON.stringify(config), wasmPath), regexEnvNames(config));
  });

  test('gateway.mjs binds exactly the referenced variables, gateway keys included', { timeout: 30000 }, async () => {
    const config = {
      providers: {
        up: { type: 'openai-compatible', base_url: mock.scenarioUrl('keyed'), api_key: 'env:SY_UP_KEY', headers: { 'x-note': 'env:NOT_A_REFERENCE' } },
      },
      keys: { 'env:SY_GATEWAY_KEY': { models: ['*'] } },
    };
    assert.deepEqual(envNames(JSON.stringify(config), wasmPath), ['SY_GATEWAY_KEY', 'SY_UP_KEY']);
    const env = { SY_UP_KEY: 'sk-up-from-env', SY_GATEWAY_KEY: 'sk-sy-from-env', SY_UNRELATED: 'never bound' };
    const gw = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'env'), env, wasmPath });
    track(gw.child);
    try {
      const capnp = fs.readFileSync(path.join(tmp, 'env', 'config.capnp'), 'utf8');
      const bound = [...capnp.matchAll(/\(name = "([^"]+)", fromEnvironment = "([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual(bound, ['SY_GATEWAY_KEY', 'SY_UP_KEY']);
      assert.equal((await chat(gw.url, { model: 'up/m', messages: userMessage('no key') })).status, 401);
      const r = await chat(gw.url, { model: 'up/m', messages: userMessage('keyed') }, { authorization: 'Bearer sk-sy-from-env' });
      assert.equal(r.status, 200, r.text);
      const seen = mock.requests().filter((q) => q.scenario === 'keyed').at(-1);
      assert.equal(seen.headers.authorization, 'Bearer sk-up-from-env');
    } finally {
      await gw.stop();
    }
  });

  test('a name that is not an identifier is quoted safely into the workerd config', { timeout: 30000 }, async () => {
    const name = 'SY "ODD" \\ NAME';
    const config = { providers: { up: { type: 'openai-compatible', base_url: mock.scenarioUrl('odd'), api_key: `env:${name}` } } };
    assert.deepEqual(envNames(JSON.stringify(config), wasmPath), [name]);
    const gw = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'odd'), env: { [name]: 'sk-odd' }, wasmPath });
    track(gw.child);
    try {
      assert.equal((await call(`${gw.url}/health`)).status, 200);
      const r = await chat(gw.url, { model: 'up/m', messages: userMessage('odd') });
      assert.equal(r.status, 200, r.text);
      assert.equal(mock.requests().filter((q) => q.scenario === 'odd').at(-1).headers.authorization, 'Bearer sk-odd');
    } finally {
      await gw.stop();
    }
  });
});
