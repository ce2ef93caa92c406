// Telemetry through the edge gateway (workerd + the WASI core + the mock upstream): OTLP/HTTP JSON
// traces sent with SEND to a local receiver (a tiny HTTP server in this test), checked for their
// structure; one JSON log line per request on workerd's stdout, without the key or any text
// unless log_bodies; a collector that is down or hangs never delays or breaks an answer.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another build.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { chat, freePort, track, userMessage } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-telemetry-test-'));
const KEY = 'sk-telemetry-secret-77';
const TOKEN = 'Bearer otel-token-5';
const opts = { timeout: 60000 };

// An OTLP/HTTP receiver: every POST to /v1/traces is kept with its headers and parsed body.
// `hang: true` accepts requests and never answers them (a collector that stalls).
async function startReceiver({ hang = false } = {}) {
  const exports = [];
  const sockets = new Set();
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      if (hang) return;
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {}
      exports.push({ method: req.method, path: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const spans = () => exports.flatMap((e) => e.body?.resourceSpans?.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)) ?? []);
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return { url, exports, spans, close, received: () => received };
}

function config(mock, telemetry) {
  const provider = (scenario) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario) });
  return {
    providers: { up: provider('ok'), bad: provider('fail') },
    models: {
      fo: { strategy: 'fallback', targets: [{ provider: 'bad', model: 'm1' }, { provider: 'up', model: 'm2' }] },
      plain: { provider: 'up', model: 'm1' },
    },
    retry: { attempts: 0 },
    cache: { enabled: true },
    keys: { [KEY]: { name: 'team-tel' } },
    telemetry,
  };
}

const attr = (span, key) => {
  const a = span.attributes.find((x) => x.key === key);
  return a ? (a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue) : undefined;
};

async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The JSON request lines in workerd's output.
function logLines(gateway) {
  return gateway
    .logs()
    .split('\n')
    .map((line) => line.slice(line.indexOf('{')))
    .filter((line) => line.startsWith('{"type":"request"'))
    .map((line) => JSON.parse(line));
}

const auth = { authorization: `Bearer ${KEY}` };

let mock;
let receiver;
let gateway;

before(async () => {
  mock = await startMock();
  mock.setScenario('fail', { status: 500 });
  receiver = await startReceiver();
  const telemetry = { logs: 'json', otlp: { endpoint: `${receiver.url}/`, headers: { authorization: 'env:SY_OTEL_TOKEN' } } };
  gateway = await startGateway({
    configText: JSON.stringify(config(mock, telemetry)),
    port: 0,
    outDir: path.join(tmp, 'traced'),
    env: { SY_OTEL_TOKEN: TOKEN },
    wasmPath,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await receiver?.close();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('gateway telemetry', () => {
  test('a failover is one trace: the request, its lookup and both attempts', opts, async () => {
    const r = await chat(gateway.url, { model: 'fo', messages: userMessage('trace me please') }, auth);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-switchyard-attempts'), '2');
    const id = r.headers.get('x-switchyard-request-id');
    const root = await until('the root span', () => receiver.spans().find((s) => attr(s, 'switchyard.request_id') === id));
    const traced = await until('its 4 spans', () => {
      const spans = receiver.spans().filter((s) => s.traceId === root.traceId);
      return spans.length >= 4 && spans;
    });
    assert.equal(traced.length, 4);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.match(root.spanId, /^[0-9a-f]{16}$/);
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.kind, 2);
    assert.equal(root.name, 'POST /v1/chat/completions');
    assert.equal(attr(root, 'http.response.status_code'), '200');
    assert.equal(attr(root, 'switchyard.key'), 'team-tel');
    assert.equal(attr(root, 'gen_ai.request.model'), 'fo');
    assert.equal(attr(root, 'switchyard.target'), 'up/m2');
    assert.equal(attr(root, 'switchyard.cache'), 'MISS');
    assert.deepEqual(root.status, { code: 1 });
    for (const s of traced) {
      assert.match(s.startTimeUnixNano, /^\d{19}$/);
      assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
      if (s !== root) assert.equal(s.parentSpanId, root.spanId);
      assert.ok(BigInt(s.startTimeUnixNano) >= BigInt(root.startTimeUnixNano));
    }
    const attempts = traced.filter((s) => s.kind === 3);
    assert.equal(attempts.length, 2);
    assert.equal(attr(attempts[0], 'switchyard.target'), 'bad/m1');
    assert.equal(attr(attempts[0], 'http.response.status_code'), '500');
    assert.equal(attr(attempts[0], 'switchyard.outcome'), 'status_5xx');
    assert.equal(attempts[0].status.code, 2);
    assert.equal(attr(attempts[1], 'switchyard.target'), 'up/m2');
    assert.equal(attr(attempts[1], 'http.response.status_code'), '200');
    assert.equal(attr(attempts[1], 'switchyard.retry_reason'), 'status_5xx');
    const lookup = traced.find((s) => s.name === 'cache l1');
    assert.equal(attr(lookup, 'switchyard.cache.result'), 'MISS');
    const sent = receiver.exports.find((e) => e.body?.resourceSpans?.[0].scopeSpans[0].spans.includes(root));
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, '/v1/traces');
    assert.equal(sent.headers.authorization, TOKEN);
    assert.match(sent.headers['content-type'], /application\/json/);
    assert.equal(sent.body.resourceSpans[0].resource.attributes[0].value.stringValue, 'switchyard');
  });

  test('a cache hit is a trace of its own with its lookup', opts, async () => {
    const body = { model: 'plain', messages: userMessage('cache me') };
    assert.equal((await chat(gateway.url, body, auth)).status, 200);
    const hit = await chat(gateway.url, body, auth);
    assert.equal(hit.headers.get('x-switchyard-cache'), 'HIT');
    const id = hit.headers.get('x-switchyard-request-id');
    const root = await until('the hit', () => receiver.spans().find((s) => attr(s, 'switchyard.request_id') === id));
    const lookup = await until('its lookup', () => receiver.spans().find((s) => s.parentSpanId === root.spanId));
    assert.equal(lookup.traceId, root.traceId);
    assert.equal(attr(lookup, 'switchyard.cache.result'), 'HIT');
    assert.equal(attr(root, 'switchyard.attempts'), '0');
    const traces = new Set(receiver.spans().filter((s) => !s.parentSpanId).map((s) => s.traceId));
    assert.equal(traces.size, receiver.spans().filter((s) => !s.parentSpanId).length, 'one trace id per request');
  });

  test('one JSON log line per request, with the key name and no key or text', opts, async () => {
    const r = await chat(gateway.url, { model: 'fo', messages: userMessage('a very private prompt') }, auth);
    assert.equal(r.status, 200);
    const id = r.headers.get('x-switchyard-request-id');
    const line = await until('the log line', () => logLines(gateway).find((l) => l.request_id === id));
    assert.equal(line.key, 'team-tel');
    assert.equal(line.model, 'fo');
    assert.equal(line.target, 'up/m2');
    assert.equal(line.attempts, 2);
    assert.equal(line.cache, 'MISS');
    assert.equal(line.status, 200);
    assert.equal(typeof line.prompt_tokens, 'number');
    assert.equal(typeof line.completion_tokens, 'number');
    assert.equal(typeof line.cost_usd, 'number');
    assert.ok(line.ms >= 0);
    assert.match(line.trace_id, /^[0-9a-f]{32}$/);
    assert.equal(logLines(gateway).filter((l) => l.request_id === id).length, 1);
    const denied = await chat(gateway.url, { model: 'fo', messages: userMessage('x') });
    assert.equal(denied.status, 401);
    const refused = await until('the 401 line', () => logLines(gateway).find((l) => l.request_id === denied.headers.get('x-switchyard-request-id')));
    assert.equal(refused.status, 401);
    assert.equal(refused.key, undefined);
    const logs = gateway.logs();
    assert.ok(!logs.includes(KEY), 'the gateway key is logged');
    assert.ok(!logs.includes('a very private prompt'), 'the prompt is logged');
    assert.ok(!logs.includes(TOKEN), 'the collector token is logged');
  });
});

describe('gateway telemetry with log_bodies and a collector that fails', () => {
  test('a stalled or refused collector never delays an answer; log_bodies adds the text', opts, async () => {
    const stalled = await startReceiver({ hang: true });
    const closedPort = await freePort();
    const runs = [];
    try {
      for (const [name, endpoint] of [['stalled', stalled.url], ['refused', `http://127.0.0.1:${closedPort}`]]) {
        const gw = await startGateway({
          configText: JSON.stringify(config(mock, { logs: 'json', log_bodies: true, otlp: { endpoint } })),
          port: 0,
          outDir: path.join(tmp, name),
          wasmPath,
        });
        track(gw.child);
        runs.push(gw);
        for (let i = 0; i < 3; i++) {
          const started = Date.now();
          const r = await chat(gw.url, { model: 'fo', messages: userMessage(`body text ${name} ${i}`) }, auth);
          assert.equal(r.status, 200, r.text);
          // Far below the driver's 10 s send timeout: the answer never waited for the collector.
          assert.ok(Date.now() - started < 8000, `${name}: answered after ${Date.now() - started} ms`);
        }
        const line = await until('a line with bodies', () => logLines(gw).find((l) => l.request_body?.includes(`body text ${name} 0`)));
        assert.match(line.answer_body, /choices|content/);
      }
      await until('the refused send logged', () => /telemetry send to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed/.test(runs[1].logs()));
      assert.ok(stalled.received() >= 1, 'the stalled collector was sent spans');
      // The stalled collector still holds the exports open; the gateway goes on answering.
      const r = await chat(runs[0].url, { model: 'plain', messages: userMessage('still here') }, auth);
      assert.equal(r.status, 200);
    } finally {
      for (const gw of runs) await gw.stop();
      await stalled.close();
    }
  });
});
