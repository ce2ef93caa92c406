// The edge gateway end to end: workerd running worker/ with the WASI core, in front of the mock
// upstream. Needs worker/dist/switchyard.wasm (`cmake --preset wasi && cmake --build --preset wasi`);
// SWITCHYARD_WASM may point at another build.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway, ROOT } from '../../worker/gateway.mjs';
import { call, chat, freePort, sseData, testConfig, track, userMessage, TIMEOUT_MS } from './gateway/helpers.js';

const UPSTREAM_KEY = 'sk-upstream-secret-123';
const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-gateway-test-'));

let mock;
let gateway;

before(async () => {
  mock = await startMock();
  mock.setScenario('fail', { status: 500 });
  mock.setScenario('cut', { truncate_stream_after: 3, drip_ms: 10 });
  mock.setScenario('slow', { latency_ms: 3000 });
  mock.setScenario('flaky', { sequence: [{ status: 503 }] });
  gateway = await startGateway({
    configText: JSON.stringify(testConfig(mock)),
    port: 0,
    outDir: path.join(tmp, 'main'),
    env: { SY_TEST_UPSTREAM_KEY: UPSTREAM_KEY },
    wasmPath,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = { timeout: 20000 };

function assertSwitchyardHeaders(r) {
  for (const name of ['target', 'attempts', 'cache', 'request-id']) {
    assert.ok(r.headers.get(`x-switchyard-${name}`), `x-switchyard-${name} is missing`);
  }
}

function assertErrorShape(r, status) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof r.json?.error?.message, 'string', r.text);
  assert.ok(r.json.error.type, 'error.type');
  assert.ok(r.json.error.code !== undefined, 'error.code');
}

describe('edge gateway', () => {
  test('GET /health answers 200', opts, async () => {
    const r = await call(`${gateway.url}/health`);
    assert.equal(r.status, 200, r.text);
  });

  test('GET / serves the demo page', opts, async () => {
    const r = await call(`${gateway.url}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(r.text, /Switchyard/);
    assert.match(r.text, /\/v1\/chat\/completions/);
  });

  test('GET /v1/models lists the configured models', opts, async () => {
    const r = await call(`${gateway.url}/v1/models`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    const ids = r.json.data.map((m) => m.id);
    for (const name of ['plain', 'fo', 'cachey', 'echo']) assert.ok(ids.includes(name), `${name} in ${ids}`);
  });

  test('non-stream chat completion in OpenAI shape with Switchyard headers', opts, async () => {
    const r = await chat(gateway.url, { model: 'plain', messages: userMessage('hello plain') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, 'mock: hello plain');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(typeof r.json.usage.total_tokens, 'number');
    assertSwitchyardHeaders(r);
    assert.equal(r.headers.get('x-switchyard-target'), 'up/m1');
    assert.equal(r.headers.get('x-switchyard-attempts'), '1');
    assert.equal(r.headers.get('x-switchyard-cache'), 'MISS');
  });

  test('stream: chat.completion.chunk events ending with [DONE]', opts, async () => {
    const r = await chat(gateway.url, { model: 'plain', stream: true, messages: userMessage('stream me please') });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    assertSwitchyardHeaders(r);
    const data = sseData(r.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.ok(chunks.length >= 2, r.text);
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'mock: stream me please');
    assert.ok(chunks.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
  });

  test('failover: the first target answers 500, the second answers', opts, async () => {
    const before = mock.counts();
    const r = await chat(gateway.url, { model: 'fo', messages: userMessage('fail over') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'mock: fail over');
    assert.equal(r.headers.get('x-switchyard-target'), 'up/m2');
    assert.ok(Number(r.headers.get('x-switchyard-attempts')) >= 2, r.headers.get('x-switchyard-attempts'));
    const counts = mock.counts();
    const route = 'POST /v1/chat/completions';
    assert.ok((counts.fail?.[route] ?? 0) > (before.fail?.[route] ?? 0), 'the failing target was called');
    assert.ok((counts.ok?.[route] ?? 0) > (before.ok?.[route] ?? 0), 'the second target was called');
  });

  test('retry: a 503 from the only target is retried after the backoff timer', opts, async () => {
    const r = await chat(gateway.url, { model: 'flaky', messages: userMessage('try again') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-switchyard-attempts'), '2');
    assert.equal(mock.counts().flaky?.['POST /v1/chat/completions'], 2);
  });

  test('an upstream that never answers → 408 after its timeout', opts, async () => {
    const started = Date.now();
    const r = await chat(gateway.url, { model: 'slow', messages: userMessage('are you there') });
    assertErrorShape(r, 408);
    assert.equal(r.json.error.metadata?.error_type, 'timeout');
    assert.ok(Date.now() - started < 2900, 'answered before the upstream did');
  });

  test('an upstream stream cut mid-way ends with an error chunk, then [DONE]', opts, async () => {
    const r = await chat(gateway.url, { model: 'cut', stream: true, messages: userMessage('one two three four five') });
    assert.equal(r.status, 200, r.text);
    const data = sseData(r.text);
    assert.equal(data.at(-1), '[DONE]');
    const last = JSON.parse(data.at(-2));
    assert.ok(last.error?.message, r.text);
    assert.equal(last.choices?.[0]?.finish_reason, 'error');
  });

  test('cache: the same request twice calls the upstream once', opts, async () => {
    const body = { model: 'cachey', messages: userMessage('cache this'), temperature: 0 };
    const first = await chat(gateway.url, body);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('x-switchyard-cache'), 'MISS');
    const second = await chat(gateway.url, body);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.headers.get('x-switchyard-cache'), 'HIT');
    assert.equal(second.json.choices[0].message.content, first.json.choices[0].message.content);
    assert.equal(mock.counts().cache?.['POST /v1/chat/completions'], 1);
  });

  test('provider keys come from the environment and never reach the caller', opts, async () => {
    const r = await chat(gateway.url, { model: 'keyed', messages: userMessage('who am i') });
    assert.equal(r.status, 200, r.text);
    const seen = mock.requests().filter((q) => q.scenario === 'keyed').at(-1);
    assert.equal(seen?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.ok(!r.text.includes(UPSTREAM_KEY));
    assert.ok(![...r.headers.values()].some((v) => v.includes(UPSTREAM_KEY)));
    assert.ok(!gateway.logs().includes(UPSTREAM_KEY), 'the key appears in the logs');
  });

  test('echo answers with no upstream, by name and as provider/model', opts, async () => {
    for (const model of ['echo', 'echo/echo-1']) {
      const r = await chat(gateway.url, { model, messages: userMessage('echo please') });
      assert.equal(r.status, 200, `${model}: ${r.text}`);
      assert.equal(r.json.object, 'chat.completion');
      assert.ok(r.json.choices[0].message.content.length > 0);
    }
  });

  test('POST /v1/services/{name} fills the templates and answers {text, usage, model}', opts, async () => {
    const r = await call(`${gateway.url}/v1/services/greet`, { method: 'POST', body: { name: 'Ada' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.text, 'mock: Say hello to Ada');
    assert.equal(r.json.model, 'm1');
    assert.equal(typeof r.json.usage?.total_tokens, 'number');
    const seen = JSON.parse(mock.requests().filter((q) => q.scenario === 'ok').at(-1).body);
    assert.deepEqual(seen.messages[0], { role: 'system', content: 'Be brief.' });
    const missing = await call(`${gateway.url}/v1/services/greet`, { method: 'POST', body: {} });
    assertErrorShape(missing, 400);
    assert.equal(missing.json.error.param, 'name');
    assertErrorShape(await call(`${gateway.url}/v1/services/nope`, { method: 'POST', body: {} }), 404);
  });

  test('invalid JSON → 400 JSON error', opts, async () => {
    const r = await chat(gateway.url, '{"model": "plain", "messages": [');
    assertErrorShape(r, 400);
  });

  test('missing model → 400 with param "model"', opts, async () => {
    const r = await chat(gateway.url, { messages: userMessage('no model') });
    assertErrorShape(r, 400);
    assert.equal(r.json.error.param, 'model');
  });

  test('unknown model → 404', opts, async () => {
    const r = await chat(gateway.url, { model: 'no-such-model', messages: userMessage('x') });
    assertErrorShape(r, 404);
  });

  test('a body over 4 MiB → 413', opts, async () => {
    const big = JSON.stringify({ model: 'plain', messages: userMessage('x'.repeat(4 * 1024 * 1024 + 16)) });
    const r = await chat(gateway.url, big);
    assertErrorShape(r, 413);
  });
});

test('an invalid config makes every request answer 500 naming the problems', { timeout: 30000 }, async () => {
  const config = { providers: { broken: { type: 'no-such-type' } }, models: {} };
  const gw = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'bad'), wasmPath });
  track(gw.child);
  try {
    for (const p of ['/health', '/v1/models']) {
      const r = await call(`${gw.url}${p}`);
      assertErrorShape(r, 500);
      assert.match(r.text, /providers/, 'the problem names its path');
    }
    assert.match(gw.logs(), /config/i, 'the problem is logged');
  } finally {
    await gw.stop();
  }
});

test('worker/serve.mjs honours SWITCHYARD_CONFIG and SWITCHYARD_PORT', { timeout: 40000 }, async () => {
  const port = await freePort();
  const configPath = path.join(tmp, 'serve-config.json');
  fs.writeFileSync(configPath, JSON.stringify({ providers: { say: { type: 'echo' } }, models: { served: { strategy: 'fallback', targets: [{ provider: 'say', model: 'e1' }] } } }));
  const env = { ...process.env, SWITCHYARD_CONFIG: configPath, SWITCHYARD_PORT: String(port) };
  if (wasmPath) env.SWITCHYARD_WASM = wasmPath;
  const child = track(spawn(process.execPath, [path.join(ROOT, 'worker/serve.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve.mjs did not announce itself:\n${output}`)), 30000);
      child.stdout.on('data', () => {
        if (output.includes(`Switchyard gateway on http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      exited.then((code) => reject(new Error(`serve.mjs exited (${code}):\n${output}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await call(`${url}/health`)).status, 200);
    const models = await call(`${url}/v1/models`);
    assert.ok(models.json?.data?.some((m) => m.id === 'served'), models.text);
    const r = await chat(url, { model: 'served', messages: userMessage('served?') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-switchyard-target'), 'say/e1');
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), TIMEOUT_MS))]);
    if (code === 'timeout') child.kill('SIGKILL');
  }
});

test('worker/serve.mjs refuses a config that is not JSON, clearly', { timeout: 15000 }, async () => {
  const configPath = path.join(tmp, 'not-json.json');
  fs.writeFileSync(configPath, '{ "providers": ');
  const child = track(spawn(process.execPath, [path.join(ROOT, 'worker/serve.mjs')], {
    env: { ...process.env, SWITCHYARD_CONFIG: configPath, SWITCHYARD_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /not-json\.json is not valid JSON/);
});
