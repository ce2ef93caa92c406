// The Switchyard edge gateway: a module worker for workerd / Cloudflare Workers hosting the
// WASI build of the core. It moves bytes only: routing, retries, caching, body limits and
// deadlines, snapshots, limits and errors are the core's (web/src/driver.js performs its
// actions).
//
// Bindings:
//   SWITCHYARD_CONFIG  the config document (text or JSON binding); the default config when absent
//   <NAME>             one string binding (secret / environment variable) per `env:NAME` the
//                      config references (the core says which); nothing else in `env` is
//                      visible to the core
//   SWITCHYARD_CACHE   optional KV namespace: the persistent cache tier (L2) under the core's
//                      own cache (used when the config's cache has "persist": true); without
//                      it the gateway keeps L1 only
//   DEMOS              optional service over the static demos (web/demos/build.mjs; a workerd
//                      disk service in worker/gateway.mjs): served at /demos/, no key needed
//   SWITCHYARD_STATE   optional Durable Object namespace of class SwitchyardState (exported
//                      here; worker/src/state_object.js): the shared state (budgets, rate and
//                      concurrency pools) of every isolate, handed to the driver as `host.state`;
//                      without it every pool lives in this isolate's core

import wasmModule from '../dist/switchyard.wasm';
import demoPage from '../public/index.html';
import defaultConfig from '../default-config.json';
import { createWasiShim } from './wasi_shim.js';
import { createKvTier } from './cache_kv.js';
import { stateClient } from './state_object.js';
import { createCCore } from '../../web/src/core_c.js';
import { createDriver } from '../../web/src/driver.js';
import { createFetchWhole } from './fetch_whole.js';

export { SwitchyardState } from './state_object.js';

const KEEP_ALIVE_MS = 60000;
const BODY_LINGER_MS = 5000;
const WHOLE_BODY_MAX = 64 * 1024; // a caller's body up to this long (content-length) is read whole

let gateway = null; // Promise of { driver } or { configError }, once per isolate
let booted = null; // what it resolved to, once it did
let currentCtx = null; // the ctx of the request whose handler is running synchronously

export default {
  async fetch(request, env, ctx) {
    const method = request.method; // each read of a Request's property is a call into workerd
    const target = targetOf(request.url);
    const query = target.indexOf('?');
    const pathname = query < 0 ? target : target.slice(0, query);
    const read = method === 'GET' || method === 'HEAD';
    if (read && (pathname === '/demos' || pathname.startsWith('/demos/'))) {
      return serveDemo(request, env.DEMOS, pathname.slice('/demos'.length));
    }
    let g = booted; // once booted, no await (and no promise hop) before the core sees the request
    if (g === null) {
      try {
        g = await (gateway ??= boot(env));
        booted = g;
      } catch (error) {
        gateway = null; // try again on the next request
        console.error(`switchyard: the core failed to start: ${error?.message ?? error}`);
        return errorResponse(500, 'The gateway core failed to start.');
      }
    }
    if (g.configError) {
      return new Response(g.configError, { status: 500, headers: { 'content-type': 'application/json' } });
    }

    if (read && (pathname === '/' || pathname === '/index.html')) {
      return new Response(method === 'HEAD' ? null : demoPage, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
      });
    }

    let answer;
    currentCtx = ctx; // the driver calls host.waitUntil synchronously inside request()
    try {
      // The body streams into the core, which answers 413 / 408 itself; the driver then stops
      // reading it. A small body of known length is read in one piece (after the head).
      const body = request.body;
      answer = g.driver.request(method, target, request.headers, body, {
        signal: request.signal,
        readWhole: body === null ? null : wholeBody(request),
      });
    } finally {
      currentCtx = null;
    }
    try {
      return await answer;
    } catch (error) {
      if (error?.name === 'AbortError') return new Response(null, { status: 499 });
      console.error(`switchyard: request failed in the host: ${error?.message ?? error}`);
      return errorResponse(500, 'The gateway failed to process the request.');
    }
  },
};

// The path and query of a request's URL, as `url.pathname + url.search` (request.url is already
// parsed and serialised: absolute, its path never empty), without a URL object per request.
function targetOf(href) {
  const start = href.indexOf('/', href.indexOf('//') + 2);
  if (start < 0) return '/';
  let end = href.indexOf('#', start);
  if (end < 0) end = href.length;
  if (href.charCodeAt(end - 1) === 63 /* ? */) end--; // an empty query: no search
  return href.slice(start, end);
}

// How to read the caller's body (not null) in one piece (request.arrayBuffer(): one read instead
// of a reader loop) when content-length announces at most WHOLE_BODY_MAX bytes; null otherwise
// (no length, or a longer one: those stream piece by piece). The core's limit (413) and
// body deadline (408) hold either way: the driver still gives the core the head first.
function wholeBody(request) {
  const length = request.headers.get('content-length');
  if (length === null || !/^[0-9]{1,9}$/.test(length) || Number(length) > WHOLE_BODY_MAX) return null;
  return () => request.arrayBuffer();
}

const DEMO_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  wasm: 'application/wasm',
  png: 'image/png',
  svg: 'image/svg+xml',
  ts: 'text/plain; charset=utf-8',
};

// A file of the static demos: `path` is what follows /demos (a folder gets its index.html).
// The disk service sets no content type; module scripts and streaming wasm compilation need one.
async function serveDemo(request, demos, path) {
  if (!demos) return errorResponse(404, 'The demos are not built here: run `node web/demos/build.mjs` (./dev start does), then restart the gateway.', 'route_not_found', 'invalid_request');
  const name = path.split('/').pop();
  if (path === '' || (name !== '' && !name.includes('.'))) {
    return new Response(null, { status: 301, headers: { location: `/demos${path}/` } });
  }
  const file = path.endsWith('/') ? `${path}index.html` : path;
  const answer = await demos.fetch(new Request(`http://demos${file}`, { method: request.method }));
  const type = DEMO_TYPES[file.slice(file.lastIndexOf('.') + 1)];
  if (!answer.ok || !type) {
    await answer.body?.cancel();
    return errorResponse(404, `No demo file at /demos${path}.`, 'route_not_found', 'invalid_request');
  }
  return new Response(answer.body, { headers: { 'content-type': type, 'cache-control': 'no-cache' } });
}

async function boot(env) {
  const wasi = createWasiShim();
  const instance = await WebAssembly.instantiate(wasmModule, wasi.imports(wasmModule));
  wasi.initialize(instance);
  const seed = crypto.getRandomValues(new BigUint64Array(1))[0];
  const core = createCCore(instance.exports, seed);

  const configText = configTextFrom(env.SWITCHYARD_CONFIG);
  const error = core.configure(configText, JSON.stringify(secretsFor(core.envNames(configText), env)));
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
    // FETCHes the core does not stream (flags bit0 clear) are taken whole: one arrayBuffer()
    // instead of a reader loop over the upstream's body.
    fetchWhole: createFetchWhole((input, init) => fetch(input, init)),
    now: () => Date.now(),
    // The driver hands over each request's pump while that request's handler runs.
    waitUntil: (promise) => currentCtx?.waitUntil(promise),
    // A request waiting on another one's work (single-flight, a limit's queue) has nothing
    // pending in its own context; workerd would cancel it as hung without an idle timer.
    keepAliveMs: KEEP_ALIVE_MS,
    // A caller still sending a body the core already refused (413, 408, 401…) can finish and
    // read the answer, instead of a connection closed under it; at most this long.
    bodyLingerMs: BODY_LINGER_MS,
    log: (line) => console.log(line),
    cache: tier ?? undefined,
    // Shared pools (STATE actions) go to their Durable Object (`key:<name>`, `provider:<name>`).
    ...(env.SWITCHYARD_STATE ? { state: stateClient(env.SWITCHYARD_STATE) } : {}),
  });
  return { driver };
}

function configTextFrom(binding) {
  if (binding == null || binding === '') return JSON.stringify(defaultConfig);
  return typeof binding === 'string' ? binding : JSON.stringify(binding); // a JSON binding arrives parsed
}

// {NAME: value} for each name the core asked for whose binding is a string.
function secretsFor(names, env) {
  const out = {};
  for (const name of names) {
    if (typeof env[name] === 'string') out[name] = env[name];
  }
  return out;
}

function describeConfigError(text) {
  let doc = null;
  try {
    doc = JSON.parse(text);
  } catch {}
  const problems = doc?.error?.metadata?.errors;
  if (Array.isArray(problems) && problems.length) {
    return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  }
  return doc?.error?.message ?? text;
}

// An error the host itself answers, in SPEC section 3's shape and the core's vocabulary.
function errorResponse(status, message, code = 'internal', errorType = 'internal') {
  const type = errorType === 'internal' ? 'server_error' : 'invalid_request_error';
  const body = { error: { message, type, code, param: null, metadata: { error_type: errorType } } };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
