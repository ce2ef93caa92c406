// The cache end to end: workerd running worker/ with the WASI core, in front of the mock
// upstream, which counts every call that reaches it. Needs worker/dist/switchyard.wasm.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { call, chat, sseData, track, userMessage } from './gateway/helpers.js';

const ROUTE = 'POST /v1/chat/completions';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cache-test-'));
const wasmPath = process.env.SWITCHYARD_WASM || undefined;
let mock, gateway;
let serial = 0;

const ADMIN = { authorization: 'Bearer sk-ops' };
const TEAM_A = { authorization: 'Bearer sk-team-a' };
const TEAM_B = { authorization: 'Bearer sk-team-b' };

function config() {
  const provider = (scenario) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario) });
  return {
    providers: { slow: provider('slow'), plain: provider('plain'), tenants: provider('tenants') },
    models: {
      slow: { targets: [{ provider: 'slow', model: 'm' }] },
      plain: { targets: [{ provider: 'plain', model: 'm' }] },
      tenants: { targets: [{ provider: 'tenants', model: 'm' }] },
    },
    retry: { attempts: 0 },
    cache: { enabled: true },
    keys: { 'sk-team-a': {}, 'sk-team-b': {}, 'sk-ops': { admin: true } },
  };
}

const start = (name, cfg) =>
  startGateway({ configText: JSON.stringify(cfg), port: 0, outDir: path.join(tmp, name), wasmPath }).then((g) => {
    track(g.child);
    return g;
  });
const count = (scenario) => mock.counts()[scenario]?.[ROUTE] ?? 0;

before(async () => {
  mock = await startMock();
  mock.setScenario('slow', { latency_ms: 400 });
  gateway = await start('main', config());
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cache through the gateway', { timeout: 30000 }, () => {
  test('20 identical concurrent requests make one upstream call', async () => {
    const body = { model: 'slow', messages: userMessage(`together ${++serial}`) };
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat(gateway.url, body, ADMIN)));
    assert.equal(count('slow'), 1);
    const states = answers.map((a) => a.headers.get('x-switchyard-cache')).sort();
    assert.deepEqual(states, [...Array(19).fill('COALESCED'), 'MISS']);
    for (const a of answers) {
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.choices[0].message.content, answers[0].json.choices[0].message.content);
    }
  });

  test('a stream is answered from a cached answer, replayed as chunks', async () => {
    const messages = userMessage(`replay ${++serial}`);
    const first = await chat(gateway.url, { model: 'plain', messages }, ADMIN);
    assert.equal(first.headers.get('x-switchyard-cache'), 'MISS');
    const before = count('plain');
    const stream = await chat(gateway.url, { model: 'plain', messages, stream: true }, ADMIN);
    assert.equal(count('plain'), before);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream');
    assert.equal(stream.headers.get('x-switchyard-cache'), 'HIT');
    const events = sseData(stream.text);
    assert.equal(events.at(-1), '[DONE]');
    const text = events.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, first.json.choices[0].message.content);
  });

  test('a completed stream is stored and serves the next stream and plain request', async () => {
    const messages = userMessage(`streamed ${++serial}`);
    const first = await chat(gateway.url, { model: 'plain', messages, stream: true }, ADMIN);
    assert.equal(first.status, 200);
    const before = count('plain');
    const again = await chat(gateway.url, { model: 'plain', messages, stream: true }, ADMIN);
    const plain = await chat(gateway.url, { model: 'plain', messages }, ADMIN);
    assert.equal(count('plain'), before);
    assert.equal(again.headers.get('x-switchyard-cache'), 'HIT');
    const text = (body) => sseData(body).slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').join('');
    assert.equal(text(again.text), text(first.text));
    assert.equal(plain.json.choices[0].message.content, text(first.text));
  });

  test('one tenant never sees another tenant\'s cached answer', async () => {
    const body = { model: 'tenants', messages: userMessage(`private ${++serial}`) };
    assert.equal((await chat(gateway.url, body, TEAM_A)).headers.get('x-switchyard-cache'), 'MISS');
    assert.equal((await chat(gateway.url, body, TEAM_A)).headers.get('x-switchyard-cache'), 'HIT');
    const other = await chat(gateway.url, body, TEAM_B);
    assert.equal(other.headers.get('x-switchyard-cache'), 'MISS');
    assert.equal(count('tenants'), 2);
  });

  test('snapshots are for admin keys only, and hold no keys', async () => {
    assert.equal((await call(`${gateway.url}/v1/cache`, { headers: TEAM_A })).status, 403);
    const snapshot = await call(`${gateway.url}/v1/cache`, { headers: ADMIN });
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.json.format, 'switchyard.cache');
    assert.ok(snapshot.json.entries.length >= 4);
    assert.ok(!/sk-(team|ops)/.test(snapshot.text));
  });

  test('export, a fresh gateway, import: answers with the upstream stopped', async () => {
    const messages = userMessage(`shipped ${++serial}`);
    const original = await chat(gateway.url, { model: 'plain', messages }, TEAM_A);
    const ndjson = await call(`${gateway.url}/v1/cache?format=ndjson`, { headers: ADMIN });
    assert.equal(ndjson.status, 200);
    // The fresh gateway's providers point at a port nothing listens on.
    const cfg = config();
    for (const p of Object.values(cfg.providers)) p.base_url = 'http://127.0.0.1:9/v1';
    const fresh = await start('fresh', cfg);
    try {
      const offline = await chat(fresh.url, { model: 'plain', messages }, TEAM_A);
      assert.equal(offline.status, 502, 'before the import the upstream is unreachable');
      const imported = await call(`${fresh.url}/v1/cache`, { method: 'PUT', headers: ADMIN, body: ndjson.text });
      assert.equal(imported.status, 200, imported.text);
      assert.ok(imported.json.imported >= 5);
      const answer = await chat(fresh.url, { model: 'plain', messages, switchyard: { cache: 'only' } }, TEAM_A);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers.get('x-switchyard-cache'), 'HIT');
      assert.equal(answer.json.choices[0].message.content, original.json.choices[0].message.content);
      const miss = await chat(fresh.url, { model: 'plain', messages: userMessage('never asked'), switchyard: { cache: 'only' } }, TEAM_A);
      assert.equal(miss.status, 504);
      assert.equal(miss.json.error.metadata.error_type, 'cache_miss_offline');
      const bad = await call(`${fresh.url}/v1/cache`, { method: 'PUT', headers: ADMIN, body: '{"format":"switchyard.cache","version":1,"entries":[{"key":"x"}]}' });
      assert.equal(bad.status, 400);
    } finally {
      await fresh.stop();
    }
  });
});
