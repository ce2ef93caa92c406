// The Switchyard edge gateway: a module worker for workerd / Cloudflare Workers hosting the
// WASI build of the core. It moves bytes only: routing, retries, caching, limits and errors
// are the core's (web/src/driver.js performs its actions).
//
// Bindings:
//   SWITCHYARD_CONFIG  the config document (text or JSON binding); the default config when absent
//   <NAME>             one string binding (secret / environment variable) per `env:NAME` the
//                      config references; nothing else in `env` is visible to the core
//   SWITCHYARD_CACHE   optional KV namespace: the persistent cache tier (L2) under the core's
//                      own cache (used when the config's cache has "persist": true); without
//                      it the gateway keeps L1 only

import wasmModule from '../dist/switchyard.wasm';
import demoPage from '../public/index.html';
import defaultConfig from '../default-config.json';
import { createWasiShim } from './wasi_shim.js';
import { createKvTier } from './cache_kv.js';
import { mergeSnapshotEntries, ndjsonOf, parseSnapshot } from '../../web/src/snapshot.js';
import { createCCore } from '../../web/src/core_c.js';
import { createDriver } from '../../web/src/driver.js';

const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
const TRUNCATED_HEADER = 'x-switchyard-body-truncated';

let gateway = null; // Promise of { driver, bodyLimit } or { configError }, once per isolate
let currentCtx = null; // the ctx of the request whose handler is running synchronously

export default {
  async fetch(request, env, ctx) {
    let g;
    try {
      g = await (gateway ??= boot(env));
    } catch (error) {
      gateway = null; // try again on the next request
      console.error(`switchyard: the core failed to start: ${error?.message ?? error}`);
      return errorResponse(500, 'The gateway core failed to start.', 'internal');
    }
    if (g.configError) {
      return new Response(g.configError, { status: 500, headers: { 'content-type': 'application/json' } });
    }

    const url = new URL(request.url);
    if ((request.method === 'GET' || request.method === 'HEAD') && (url.pathname === '/' || url.pathname === '/index.html')) {
      return new Response(request.method === 'HEAD' ? null : demoPage, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
      });
    }

    const headers = new Headers(request.headers);
    headers.delete(TRUNCATED_HEADER);
    const { body, truncated } = await readCapped(request, g.bodyLimit + 1);
    if (truncated) headers.set(TRUNCATED_HEADER, '1');

    let answer;
    currentCtx = ctx; // the driver calls host.waitUntil synchronously inside request()
    try {
      answer = g.driver.request(request.method, url.pathname + url.search, headers, body, { signal: request.signal });
    } finally {
      currentCtx = null;
    }
    try {
      const response = await answer;
      if (g.tier && url.pathname === '/v1/cache' && response.ok) return await withTier(g.tier, request.method, url, response, ctx);
      return response;
    } catch (error) {
      if (error?.name === 'AbortError') return new Response(null, { status: 499 });
      console.error(`switchyard: request failed in the host: ${error?.message ?? error}`);
      return errorResponse(500, 'The gateway failed to process the request.', 'internal');
    }
  },
};

async function boot(env) {
  const wasi = createWasiShim();
  const instance = await WebAssembly.instantiate(wasmModule, wasi.imports(wasmModule));
  wasi.initialize(instance);
  const seed = crypto.getRandomValues(new BigUint64Array(1))[0];
  const core = createCCore(instance.exports, seed);

  const configText = configTextFrom(env.SWITCHYARD_CONFIG);
  const config = parseOrNull(configText);
  const error = core.configure(configText, JSON.stringify(secretsFor(config, env)));
  if (error) {
    console.error(`switchyard: the config was refused: ${describeConfigError(error)}`);
    core.free();
    return { configError: error };
  }

  const kv = env.SWITCHYARD_CACHE;
  const tier = kv && typeof kv.getWithMetadata === 'function' ? createKvTier(kv) : null;
  if (tier) core.enablePersistence(true);

  const driver = createDriver(core, {
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    // The driver hands over each request's pump while that request's handler runs.
    waitUntil: (promise) => currentCtx?.waitUntil(promise),
    log: (line) => console.log(line),
    cache: tier ?? undefined,
  });
  const limit = Number(config?.gateway?.max_body_bytes);
  return { driver, tier, bodyLimit: Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_BODY_LIMIT };
}

// GET/DELETE /v1/cache once the core accepted them (it checks the admin key): a snapshot also
// holds the tier's entries (deduplicated by key, the newest expires_at wins), and clearing also
// empties the tier. docs/host-interface.md, "Cache snapshots".
async function withTier(tier, method, url, response, ctx) {
  if (method === 'DELETE') {
    ctx.waitUntil(tier.clear().catch((e) => console.error(`switchyard: clearing the KV tier failed: ${e?.message ?? e}`)));
    return response;
  }
  if (method !== 'GET') return response;
  const text = await response.text();
  const ndjson = url.searchParams.get('format') === 'ndjson';
  let body;
  try {
    const { head, entries } = parseSnapshot(text, ndjson);
    const merged = await mergeSnapshotEntries(entries, tier.entries());
    body = ndjson ? ndjsonOf(head, merged) : JSON.stringify({ ...head, entries: merged });
  } catch (error) {
    console.error(`switchyard: merging the KV tier into the snapshot failed: ${error?.message ?? error}`);
    return new Response(text, { status: response.status, headers: response.headers });
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(body, { status: response.status, headers });
}

function configTextFrom(binding) {
  if (binding == null || binding === '') return JSON.stringify(defaultConfig);
  return typeof binding === 'string' ? binding : JSON.stringify(binding); // a JSON binding arrives parsed
}

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null; // the core reports the syntax error
  }
}

// {NAME: value} for every "env:NAME" string in the config whose binding is a string.
function secretsFor(config, env) {
  const out = {};
  const visit = (value) => {
    if (typeof value === 'string') {
      const name = value.startsWith('env:') ? value.slice(4) : null;
      if (name && typeof env[name] === 'string') out[name] = env[name];
    } else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) visit(v);
    }
  };
  visit(config);
  return out;
}

function describeConfigError(text) {
  const doc = parseOrNull(text);
  const problems = doc?.error?.metadata?.errors;
  if (Array.isArray(problems) && problems.length) {
    return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  }
  return doc?.error?.message ?? text;
}

// Reads at most `cap` bytes of the body; `truncated` when there was more.
async function readCapped(request, cap) {
  if (!request.body) return { body: new Uint8Array(0), truncated: false };
  const reader = request.body.getReader();
  const parts = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > cap) {
      parts.push(value.subarray(0, cap - size));
      size = cap;
      truncated = true;
      reader.cancel().catch(() => {});
      break;
    }
    parts.push(value);
    size += value.byteLength;
  }
  if (parts.length === 1) return { body: parts[0], truncated };
  const body = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.byteLength;
  }
  return { body, truncated };
}

function errorResponse(status, message, errorType) {
  const body = { error: { message, type: 'server_error', code: errorType, metadata: { error_type: errorType } } };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
