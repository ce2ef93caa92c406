// Provider limits shared across isolates through workerd and the real Durable Object
// (worker/src/state_object.js, SWITCHYARD_STATE; the core's side: src/engine/shared_limits.cc):
// two gateway isolates on two ports share one namespace, in front of an upstream that counts what
// it has in flight. A provider with concurrency 2: 24 concurrent requests with the official
// `openai` client over both never put more than 2 upstream at once, and all succeed. A provider
// with rpm 5: exactly 5 of 16 go upstream, the others wait for the window until their deadline
// (429 rate_limited).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import OpenAI from 'openai';

import { startGateway } from '../../worker/gateway.mjs';
import { startCountingUpstream } from './counting_upstream.js';
import { track } from './gateway/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-shared-limits-test-'));
const opts = { timeout: 180000 };

let gateway;
let upstream;

before(async () => {
  upstream = await startCountingUpstream({ delayMs: 200 });
  gateway = await startGateway({
    configText: JSON.stringify({
      providers: {
        two: { type: 'openai-compatible', base_url: upstream.url, limits: { concurrency: 2 } },
        five: { type: 'openai-compatible', base_url: upstream.url, limits: { rpm: 5 } },
      },
      timeout_ms: 30000,
      cache: { enabled: false },
    }),
    port: 0, outDir: path.join(tmp, 'gw'), stateDir: path.join(tmp, 'state'), isolates: 2, timeoutMs: 60000,
    wasmPath: process.env.SWITCHYARD_WASM || undefined,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await upstream?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const clients = () => gateway.urls.map((url) => new OpenAI({ apiKey: 'unused', baseURL: `${url}/v1`, maxRetries: 0, timeout: 60000 }));
const ask = (client, model, headers = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] }, { headers });

test('two isolates, one Durable Object: a provider with concurrency 2 never has more than 2 requests in flight', opts, async (t) => {
  assert.equal(gateway.urls.length, 2);
  upstream.reset();
  const both = clients();
  // 24 × 200 ms over 2 slots is 2.4 s of upstream time: well within each request's 30 s.
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => ask(both[i % 2], 'two/m')));
  const ok = results.filter((r) => r.status === 'fulfilled');
  t.diagnostic(`max in flight upstream ${upstream.maxInFlight}; ${ok.length} of 24 succeeded in ${Date.now() - started} ms`);
  assert.ok(upstream.maxInFlight <= 2, `the upstream saw ${upstream.maxInFlight} at once`);
  assert.equal(ok.length, 24, results.map((r) => r.status === 'fulfilled' ? 200 : String(r.reason)).join(','));
  for (const r of ok) assert.equal(r.value.choices[0].message.content, 'counted');
  assert.equal(upstream.total, 24);
});

test('two isolates, one Durable Object: a provider with rpm 5 lets exactly 5 requests upstream in the window', opts, async () => {
  upstream.reset();
  const both = clients();
  // Each request waits for the window at most 3 s (x-switchyard-timeout), then gets 429.
  const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) =>
    ask(both[i % 2], 'five/m', { 'x-switchyard-timeout': '3000' })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  assert.equal(upstream.total, 5, 'requests that reached the upstream');
  assert.equal(ok.length, 5, results.map((r) => r.status === 'fulfilled' ? 200 : r.reason.status).join(','));
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    assert.equal(r.reason.status, 429, String(r.reason));
    assert.equal(r.reason.code ?? r.reason.error?.code, 'rate_limited', String(r.reason));
  }
});
