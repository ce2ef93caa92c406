// Key rpm shared across isolates through workerd and the real Durable Object
// (worker/src/state_object.js, SWITCHYARD_STATE): two gateway isolates on two ports share one
// namespace; 50 concurrent chat completions with the official `openai` client, spread over both,
// on a key with rpm 10: exactly 10 succeed, the rest get 429 key_rate_limited.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import OpenAI from 'openai';

import { startGateway } from '../../worker/gateway.mjs';
import { track } from './gateway/helpers.js';

const KEY = 'sk-sy-shared-rpm-test-41b7';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-shared-rpm-test-'));
const opts = { timeout: 180000 };

let gateway;

before(async () => {
  gateway = await startGateway({
    configText: JSON.stringify({
      providers: { e: { type: 'echo' } },
      keys: { [KEY]: { name: 'team-rpm', rpm: 10 } },
      cache: { enabled: false },
    }),
    port: 0, outDir: path.join(tmp, 'gw'), stateDir: path.join(tmp, 'state'), isolates: 2, timeoutMs: 60000,
    wasmPath: process.env.SWITCHYARD_WASM || undefined,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('two isolates, one Durable Object: 50 concurrent requests on a key with rpm 10, exactly 10 succeed', opts, async (t) => {
  assert.equal(gateway.urls.length, 2);
  const clients = gateway.urls.map((url) => new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60000 }));
  const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
    clients[i % 2].chat.completions.create({ model: 'e/x', messages: [{ role: 'user', content: 'hello' }] })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r) => r.status === 'rejected');
  assert.equal(ok.length, 10, results.map((r) => r.status === 'fulfilled' ? 200 : r.reason.status).join(','));
  for (const r of refused) {
    assert.equal(r.reason.status, 429, String(r.reason));
    assert.equal(r.reason.code ?? r.reason.error?.code, 'key_rate_limited', String(r.reason));
    assert.ok(Number(r.reason.headers?.get?.('retry-after') ?? r.reason.headers?.['retry-after']) >= 1, 'a retry-after');
  }
  t.diagnostic(`${ok.length} succeeded, ${refused.length} got 429`);
});
