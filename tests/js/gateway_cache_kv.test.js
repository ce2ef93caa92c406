// The edge gateway's persistent cache tier: a KV namespace bound as SWITCHYARD_CACHE
// (worker/src/cache_kv.js), here workerd's bundled KV worker on a directory (startGateway's
// kvDir). An answer stored by one workerd process is served by a new one on the same directory
// with the upstream stopped; GET /v1/cache holds the KV entries and DELETE /v1/cache empties KV
// (the core lists and clears the tier through the worker: CACHE_LIST, CACHE_CLEAR).
// Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startGateway } from '../../worker/gateway.mjs';
import { call, chat, track } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const ANSWER = 'Kept in KV';

// Resolves once some file under `dir` contains `text` (bounded: fails after 10 s).
async function waitForFileHolding(dir, text, limitMs = 10000) {
  const deadline = Date.now() + limitMs;
  const holds = (d) =>
    fs.existsSync(d) &&
    fs.readdirSync(d, { withFileTypes: true }).some((e) => {
      const p = path.join(d, e.name);
      return e.isDirectory() ? holds(p) : fs.readFileSync(p).includes(text);
    });
  while (!holds(dir)) {
    if (Date.now() > deadline) throw new Error(`no file under ${dir} holds "${text}" after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const ADMIN = 'sk-sy-kv-admin';
const auth = { authorization: `Bearer ${ADMIN}` };
const body = { model: 'up/gpt-test', messages: [{ role: 'user', content: 'Remember me across restarts' }] };

function upstreamServer() {
  const state = { calls: 0 };
  state.server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      state.calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'chatcmpl-kv', object: 'chat.completion', created: 1700000000, model: JSON.parse(text).model,
        choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
      }));
    });
  });
  return new Promise((ok) => state.server.listen(0, '127.0.0.1', () => ok(state)));
}

describe('edge gateway with a KV cache tier', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-kv-test-'));
  const kvDir = path.join(tmp, 'kv');
  let upstream;
  let config;
  let gateway;

  const start = async (name) => {
    gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, name), kvDir, wasmPath });
    track(gateway.child);
    return gateway;
  };

  before(async () => {
    upstream = await upstreamServer();
    config = {
      providers: { up: { type: 'openai-compatible', base_url: `http://127.0.0.1:${upstream.server.address().port}/v1` } },
      retry: { attempts: 0 },
      timeout_ms: 5000,
      cache: { enabled: true, persist: true },
      keys: { [ADMIN]: { models: ['*'], admin: true } },
    };
  });

  after(async () => {
    await gateway?.stop();
    if (upstream.server.listening) await new Promise((ok) => upstream.server.close(ok));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('an answer survives a restart of the gateway in KV', { timeout: 60000 }, async () => {
    let gw = await start('first');
    const first = await chat(gw.url, body, auth);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('x-switchyard-cache'), 'MISS');
    assert.equal(upstream.calls, 1);
    // The KV write runs after the answer (under waitUntil); L1 hides it from a snapshot of this
    // process, so wait until the entry is on disk before stopping workerd.
    await waitForFileHolding(kvDir, ANSWER);
    await gw.stop();

    upstream.server.closeAllConnections?.();
    await new Promise((ok) => upstream.server.close(ok));

    gw = await start('second');
    const again = await chat(gw.url, body, auth);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get('x-switchyard-cache'), 'HIT');
    assert.equal(again.json.choices[0].message.content, ANSWER);
    assert.equal(upstream.calls, 1);

    // A restarted gateway's snapshot holds the KV entries (L1 only had what was asked again).
    const snapshot = await call(`${gw.url}/v1/cache`, { headers: auth });
    assert.equal(snapshot.status, 200, snapshot.text);
    assert.equal(snapshot.json.format, 'switchyard.cache');
    assert.equal(snapshot.json.entries.length, 1);
    const ndjson = await call(`${gw.url}/v1/cache?format=ndjson`, { headers: auth });
    assert.equal(ndjson.text.trim().split('\n').length, 2);
  });

  test('DELETE /v1/cache empties L1 and KV', { timeout: 60000 }, async () => {
    const cleared = await call(`${gateway.url}/v1/cache`, { method: 'DELETE', headers: auth });
    assert.equal(cleared.status, 200, cleared.text);
    await gateway.stop();
    const gw = await start('third');
    const snapshot = await call(`${gw.url}/v1/cache`, { headers: auth });
    assert.equal(snapshot.json.entries.length, 0, snapshot.text);
    const offline = await chat(gw.url, { ...body, switchyard: { cache: 'only' } }, auth);
    assert.equal(offline.status, 504, offline.text);
  });
});
