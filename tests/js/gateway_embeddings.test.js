// POST /v1/embeddings and GET /v1/models?provider=NAME through the edge gateway (workerd + the
// WASI core) to the mock upstream speaking each provider's own wire format: openai,
// openai-compatible, azure-openai and gemini embeddings (string and array input, `dimensions`,
// base64), a provider error mapped to SPEC section 3, fallback past a provider that has no
// embeddings API (anthropic), and each provider's own model list.
// Needs worker/dist/switchyard.wasm (`cmake --preset wasi && cmake --build --preset wasi`);
// SWITCHYARD_WASM may point at another build.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { base64Floats, embedVector } from '../mock-upstream/formats/common.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { call, track } from './gateway/helpers.js';

const KEY = 'sk-provider-key-7c1e';
const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-embeddings-test-'));
const opts = { timeout: 20000 };
const PRICE = 0.02;  // USD per million input tokens, text-embedding-3-small's

let mock;
let gateway;

// Each provider on its own mock scenario `e-<name>`, so that counts and breakers stay apart.
function config() {
  const key = 'env:SY_PROVIDER_KEY';
  const openai = (s, extra = {}) => ({ type: 'openai', base_url: mock.scenarioUrl(s), api_key: key, ...extra });
  return {
    providers: {
      oai: openai('e-oai', { prices: { 'text-embedding-3-small': { input: PRICE, output: 0 } } }),
      compat: { type: 'openai-compatible', base_url: mock.scenarioUrl('e-compat'), api_key: key },
      az: { type: 'azure-openai', base_url: mock.scenarioUrl('e-az', ''), api_key: key, api_version: '2024-10-21' },
      gem: { type: 'gemini', base_url: mock.scenarioUrl('e-gem', '/v1beta'), api_key: key },
      claude: { type: 'anthropic', base_url: mock.scenarioUrl('e-claude'), api_key: key },
      oai_denied: openai('e-denied'),
      oai_down: openai('e-down'),
      gem_err: { type: 'gemini', base_url: mock.scenarioUrl('e-gem-err', '/v1beta'), api_key: key },
      fo_oai: openai('e-fo-oai'),
    },
    models: {
      'emb-oai': { strategy: 'fallback', targets: [{ provider: 'oai', model: 'text-embedding-3-small' }] },
      'emb-compat': { strategy: 'fallback', targets: [{ provider: 'compat', model: 'nomic-embed-text' }] },
      'emb-az': { strategy: 'fallback', targets: [{ provider: 'az', model: 'my-embed-deployment' }] },
      'emb-gem': { strategy: 'fallback', targets: [{ provider: 'gem', model: 'gemini-embedding-001' }] },
      'emb-denied': { strategy: 'fallback', targets: [{ provider: 'oai_denied', model: 'text-embedding-3-small' }] },
      'emb-gem-err': { strategy: 'fallback', targets: [{ provider: 'gem_err', model: 'gemini-embedding-001' }] },
      // anthropic has no embeddings API: skipped, the openai target answers
      'emb-fo': { strategy: 'fallback', targets: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' },
        { provider: 'fo_oai', model: 'text-embedding-3-small' }] },
      // a provider that fails (503) falls back to gemini
      'emb-fo-down': { strategy: 'fallback', targets: [{ provider: 'oai_down', model: 'text-embedding-3-small' },
        { provider: 'gem', model: 'gemini-embedding-001' }] },
      'emb-claude': { strategy: 'fallback', targets: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
    },
    retry: { attempts: 1, backoff_ms: 1, max_backoff_ms: 10 },
    breaker: { failures: 1000, cooldown_ms: 1000 },
    cache: { enabled: false },
  };
}

before(async () => {
  mock = await startMock();
  for (const s of ['e-oai', 'e-compat', 'e-az', 'e-gem', 'e-claude', 'e-gem-err', 'e-fo-oai']) mock.setScenario(s, { api_key: KEY });
  mock.setScenario('e-denied', { api_key: 'some-other-key' });
  mock.setScenario('e-down', { api_key: KEY, error: 'overloaded' });
  mock.setScenario('e-claude', { api_key: KEY, models: ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022'] });
  gateway = await startGateway({
    configText: JSON.stringify(config()), port: 0, outDir: path.join(tmp, 'gw'), env: { SY_PROVIDER_KEY: KEY }, wasmPath,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const embed = (body) => call(`${gateway.url}/v1/embeddings`, { method: 'POST', body });

/** The last request the mock received for a scenario, its JSON body parsed. */
function seen(s) {
  const q = mock.requests().filter((r) => r.scenario === s).at(-1);
  assert.ok(q, `the mock received nothing for scenario ${s}`);
  let json;
  try { json = JSON.parse(q.body); } catch {}
  return { ...q, json };
}

function assertList(r, { provider, vectors, model }) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.provider, provider);
  if (model) assert.equal(r.json.model, model);
  assert.deepEqual(r.json.data, vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })));
  assert.ok(!r.text.includes(KEY), 'the provider key leaked');
}

function assertError(r, status, errorType) {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.json?.error?.message, 'string', r.text);
  assert.equal(r.json.error.metadata?.error_type, errorType, r.text);
  assert.ok(!r.text.includes(KEY), 'the provider key leaked');
}

describe('POST /v1/embeddings', () => {
  test('openai: string input, body forwarded with the target model, usage and cost', opts, async () => {
    const r = await embed({ model: 'emb-oai', input: 'The food was delicious', switchyard: { cache: 'no-store' } });
    assertList(r, { provider: 'oai', model: 'text-embedding-3-small', vectors: [embedVector('The food was delicious')] });
    assert.equal(r.json.usage.prompt_tokens, 4);
    assert.equal(r.json.usage.total_tokens, 4);
    assert.ok(Math.abs(r.json.usage.cost - (4 * PRICE) / 1e6) < 1e-12, JSON.stringify(r.json.usage));
    assert.equal(r.headers.get('x-switchyard-target'), 'oai/text-embedding-3-small');
    const q = seen('e-oai');
    assert.equal(q.path, '/v1/embeddings');
    assert.equal(q.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(q.json, { model: 'text-embedding-3-small', input: 'The food was delicious' });
  });

  test('openai: array input with dimensions, and base64', opts, async () => {
    const r = await embed({ model: 'emb-oai', input: ['a', 'bb', 'c c'], dimensions: 3 });
    assertList(r, { provider: 'oai', vectors: ['a', 'bb', 'c c'].map((t) => embedVector(t, 3)) });
    assert.equal(r.json.usage.prompt_tokens, 4);
    assert.equal(seen('e-oai').json.dimensions, 3);
    const b = await embed({ model: 'emb-oai', input: 'x', encoding_format: 'base64' });
    assertList(b, { provider: 'oai', vectors: [base64Floats(embedVector('x'))] });
  });

  test('openai-compatible: the same wire format at its base_url', opts, async () => {
    const r = await embed({ model: 'emb-compat', input: ['one', 'two'] });
    assertList(r, { provider: 'compat', model: 'nomic-embed-text', vectors: [embedVector('one'), embedVector('two')] });
    assert.equal(r.json.usage.cost, undefined);  // no price configured
    assert.equal(seen('e-compat').json.model, 'nomic-embed-text');
  });

  test('azure-openai: the deployment URL, api-key, OpenAI answer', opts, async () => {
    const r = await embed({ model: 'emb-az', input: ['x', 'y'], dimensions: 5 });
    assertList(r, { provider: 'az', vectors: [embedVector('x', 5), embedVector('y', 5)] });
    const q = seen('e-az');
    assert.equal(q.path, '/openai/deployments/my-embed-deployment/embeddings');
    assert.equal(q.query['api-version'], '2024-10-21');
    assert.equal(q.headers['api-key'], KEY);
    assert.equal(q.headers.authorization, undefined);
  });

  test('gemini: batchEmbedContents for string and array input, dimensions → outputDimensionality', opts, async () => {
    const one = await embed({ model: 'emb-gem', input: 'What is the meaning of life?' });
    assertList(one, { provider: 'gem', model: 'gemini-embedding-001', vectors: [embedVector('What is the meaning of life?')] });
    let q = seen('e-gem');
    assert.equal(q.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.equal(q.headers['x-goog-api-key'] ?? q.query.key, KEY);
    assert.deepEqual(q.json, { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'What is the meaning of life?' }] } }] });
    const many = await embed({ model: 'emb-gem', input: ['How much wood', 'would a woodchuck chuck?'], dimensions: 4 });
    assertList(many, { provider: 'gem', vectors: [embedVector('How much wood', 4), embedVector('would a woodchuck chuck?', 4)] });
    q = seen('e-gem');
    assert.deepEqual(q.json.requests.map((r) => r.outputDimensionality), [4, 4]);
  });

  // Needs the engine to set DecodeContext.base64_embeddings from the request's encoding_format.
  test('gemini: encoding_format base64 is honoured though Google answers floats', opts, async () => {
    const r = await embed({ model: 'emb-gem', input: 'x', encoding_format: 'base64' });
    assertList(r, { provider: 'gem', vectors: [base64Floats(embedVector('x'))] });
  });

  test('provider errors are mapped: a refused key (openai), Gemini refusing dimensions', opts, async () => {
    const denied = await embed({ model: 'emb-denied', input: 'x' });
    assertError(denied, 502, 'auth');
    const dims = await embed({ model: 'emb-gem-err', input: 'x', dimensions: 5000 });
    assertError(dims, 400, 'invalid_request');
    assert.match(dims.json.error.message, /Output dimensionality/);
  });

  test('fallback: anthropic (no embeddings API) is skipped, a failing openai falls back to gemini', opts, async () => {
    const r = await embed({ model: 'emb-fo', input: 'hello' });
    assertList(r, { provider: 'fo_oai', vectors: [embedVector('hello')] });
    assert.equal(mock.requests().filter((q) => q.scenario === 'e-claude' && q.method === 'POST').length, 0);
    const down = await embed({ model: 'emb-fo-down', input: 'hello' });
    assertList(down, { provider: 'gem', vectors: [embedVector('hello')] });
    // retry.attempts 1: the failing target is tried twice, then gemini answers
    assert.equal(down.headers.get('x-switchyard-attempts'), '3');
    assert.equal(mock.counts()['e-down']['POST /v1/embeddings'], 2);
  });

  test('a model whose only target has no embeddings API is refused', opts, async () => {
    const r = await embed({ model: 'emb-claude', input: 'x' });
    assertError(r, 400, 'invalid_request');
  });
});

describe('GET /v1/models?provider=NAME', () => {
  const list = (name) => call(`${gateway.url}/v1/models?provider=${name}`);

  test('openai and openai-compatible: /models as listed', opts, async () => {
    const r = await list('oai');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.deepEqual(r.json.data.map((m) => m.id), ['m1', 'm2', 'm3']);
    assert.deepEqual(r.json.data[0], { id: 'm1', object: 'model', created: 1700000000, owned_by: 'mock' });
    assert.equal(seen('e-oai').headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual((await list('compat')).json.data.map((m) => m.id), ['m1', 'm2', 'm3']);
  });

  test('gemini: ids without models/, only models it can call', opts, async () => {
    const r = await list('gem');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map((m) => m.id), ['gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001']);
    assert.equal(r.json.data[0].owned_by, 'google');
    const q = seen('e-gem');
    assert.equal(q.path, '/v1beta/models');
    assert.equal(q.query.pageSize, '1000');
  });

  test('anthropic: its /v1/models with created from created_at', opts, async () => {
    const r = await list('claude');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data, [
      { id: 'claude-sonnet-4-20250514', object: 'model', created: Date.UTC(2025, 4, 14) / 1000, owned_by: 'anthropic' },
      { id: 'claude-3-5-haiku-20241022', object: 'model', created: Date.UTC(2024, 9, 22) / 1000, owned_by: 'anthropic' },
    ]);
    const q = seen('e-claude');
    assert.equal(q.format, 'anthropic');
    assert.equal(q.headers['x-api-key'], KEY);
  });

  test('azure-openai has no data-plane list; a list error is mapped', opts, async () => {
    const az = await list('az');
    assert.equal(az.status, 400, az.text);
    assertError(await list('oai_denied'), 502, 'auth');
  });
});
