// Pipelines through the edge gateway (workerd + the WASI core) against the mock upstream: a
// three-step pipeline whose middle is a parallel pair, a failure in the middle step, and the final
// step streamed. Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may
// point at another build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { call, track } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-pipelines-test-'));
const opts = { timeout: 20000 };
const PAIR_MS = 600;  // the mock's latency for each step of the parallel pair

let mock;
let gateway;

function config() {
  const provider = (scenario) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario) });
  const service = (model, prompt) => ({ model, prompt });
  const diamond = (right) => [
    { id: 'first', service: 'first', input: { x: '{{input.x}}' } },
    { id: 'left', service: 'left', input: { f: '{{first.text}}' } },
    { id: 'right', service: right, input: { f: '{{first.text}}' } },
    { id: 'last', service: 'last', input: { l: '{{left.text}}', r: '{{right.text}}' } },
  ];
  return {
    providers: { up: provider('pipe-ok'), slow: provider('pipe-slow'), bad: provider('pipe-bad') },
    models: {
      ok: { strategy: 'fallback', targets: [{ provider: 'up', model: 'm1' }] },
      slow: { strategy: 'fallback', targets: [{ provider: 'slow', model: 'm1' }] },
      bad: { strategy: 'fallback', targets: [{ provider: 'bad', model: 'm1' }] },
    },
    services: {
      first: service('ok', 'first {{x}}'),
      left: service('slow', 'left {{f}}'),
      right: service('slow', 'right {{f}}'),
      broken: service('bad', 'right {{f}}'),
      last: service('ok', 'last {{l}} | {{r}}'),
    },
    pipelines: { diamond: diamond('right'), broken: diamond('broken') },
    retry: { attempts: 1, backoff_ms: 1, max_backoff_ms: 10 },
    cache: { enabled: true },
  };
}

before(async () => {
  mock = await startMock();
  mock.setScenario('pipe-slow', { latency_ms: PAIR_MS });
  mock.setScenario('pipe-bad', { status: 400 });
  gateway = await startGateway({ configText: JSON.stringify(config()), port: 0, outDir: path.join(tmp, 'gw'), wasmPath });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const pipeline = (name, body) => call(`${gateway.url}/v1/pipelines/${name}`, { method: 'POST', body });

/** The events of a pipeline stream: [{event, data}] with data parsed. */
function events(text) {
  return text.split('\n\n').filter((e) => e.trim()).map((e) => {
    const lines = e.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    return { event, data: JSON.parse(data) };
  });
}

test('three steps with a parallel pair: order, outputs, usage, then the cache step by step', opts, async () => {
  const started = Date.now();
  const r = await pipeline('diamond', { x: 'go' });
  assert.equal(r.status, 200, r.text);
  const { steps } = r.json;
  assert.equal(steps.first.text, 'mock: first go');
  assert.equal(steps.left.text, 'mock: left mock: first go');
  assert.equal(steps.right.text, 'mock: right mock: first go');
  assert.equal(r.json.output, 'mock: last mock: left mock: first go | mock: right mock: first go');
  for (const id of ['first', 'left', 'right', 'last']) {
    assert.equal(steps[id].cache, 'MISS');
    assert.equal(steps[id].attempts, 1);
    assert.equal(steps[id].provider, id === 'left' || id === 'right' ? 'slow' : 'up');
  }
  assert.ok(steps.left.ms >= PAIR_MS && steps.right.ms >= PAIR_MS);
  // the pair ran side by side: the whole call well under the two latencies one after the other
  assert.ok(Date.now() - started < 1.5 * PAIR_MS, `took ${Date.now() - started} ms`);
  const words = Object.values(steps).reduce((n, s) => n + s.usage.total_tokens, 0);
  assert.equal(r.json.usage.total_tokens, words);
  const seen = mock.requests().filter((q) => q.scenario === 'pipe-slow').map((q) => JSON.parse(q.body).messages[0].content);
  assert.deepEqual(seen.sort(), ['left mock: first go', 'right mock: first go']);

  const again = await pipeline('diamond', { x: 'go' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.output, r.json.output);
  for (const id of ['first', 'left', 'right', 'last']) assert.equal(again.json.steps[id].cache, 'HIT');
});

test('a failing middle step ends the pipeline, naming it, with the steps that finished', opts, async () => {
  const r = await pipeline('broken', { x: 'fail' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.type, 'invalid_request_error');
  assert.equal(r.json.error.param, 'steps.right');
  assert.equal(r.json.error.metadata.step, 'right');
  assert.match(r.json.error.message, /^step 'right' failed: /);
  assert.equal(r.json.steps.first.text, 'mock: first fail');
  assert.equal(r.json.steps.last, undefined);
  assert.equal(r.json.steps.right, undefined);
});

test('streams a step event per step, the final step\'s tokens, then done', opts, async () => {
  const r = await pipeline('diamond', { x: 'stream me', stream: true });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const all = events(r.text);
  const kinds = all.map((e) => e.event);
  assert.deepEqual(kinds.slice(0, 3), ['step', 'step', 'step']);
  assert.deepEqual(all.slice(0, 3).map((e) => e.data.id).sort(), ['first', 'left', 'right']);
  assert.equal(all[0].data.id, 'first');
  const deltas = all.filter((e) => e.event === 'delta');
  assert.ok(deltas.length > 1, r.text);  // the mock streams one event per word
  assert.equal(kinds.at(-1), 'done');
  assert.equal(kinds.at(-2), 'step');
  assert.equal(all.at(-2).data.id, 'last');
  const done = all.at(-1).data;
  assert.equal(deltas.map((e) => e.data.text).join(''), done.output);
  assert.equal(done.output, 'mock: last mock: left mock: first stream me | mock: right mock: first stream me');
  assert.equal(kinds.indexOf('delta') > 2, true);
});

test('a streamed failure is an error event', opts, async () => {
  const r = await pipeline('broken', { x: 'fail stream', stream: true });
  assert.equal(r.status, 200);
  const all = events(r.text);
  assert.equal(all.at(-1).event, 'error');
  assert.equal(all.at(-1).data.error.param, 'steps.right');
  assert.equal(all.at(-1).data.steps.first.text, 'mock: first fail stream');
});
