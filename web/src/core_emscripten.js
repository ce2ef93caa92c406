// The core adapter over the Emscripten build (web/dist/switchyard_core.mjs): the module exports
// the C interface (bindings/c_api/switchyard.h) as `_sy_*` functions, and web/src/core_c.js
// drives them exactly as it drives the WASI build, so bytes cross into wasm memory once per
// event. instantiateCore hands the factory the wasm itself (Emscripten's `instantiateWasm`
// hook), so that the entries decide where it comes from and a failure is a SwitchyardError.

import { createCCore } from './core_c.js';
import { createEmscriptenFetch, hasEmscriptenFetch } from './fetch_emscripten.js';
import { packageError } from './errors.js';

/**
 * @param {object} module an instantiated Emscripten module (what the factory resolves to).
 * @param {number|bigint} [seed] the core's only source of randomness.
 */
export function createEmscriptenCore(module, seed = 0) {
  const exports = {
    memory: {
      get buffer() {
        return module.HEAPU8.buffer;
      },
    },
    malloc: module._malloc,
    free: module._free,
  };
  for (const name of Object.keys(module)) {
    if (name.startsWith('_sy_')) exports[name.slice(1)] = module[name];
  }
  const core = createCCore(exports, seed);
  // transport 'emscripten': the driver's fetchWhole over the build's Emscripten Fetch API.
  if (hasEmscriptenFetch(module)) core.fetchWhole = createEmscriptenFetch(module);
  return core;
}

/** The error for a wasm that could not be had: names what was tried and the option to set. */
export function wasmError(url, why, cause) {
  return packageError(
    500,
    'internal',
    `switchyard could not load its WebAssembly core from ${url}: ${why}. ` +
      'Serve that file there, or set the wasmUrl option of createSwitchyard to where it is served ' +
      "(import wasmUrl from 'switchyard/wasm?url' in Vite, or copy node_modules/switchyard/dist/switchyard_core.wasm)",
    { code: 'wasm_unavailable', param: 'wasmUrl', cause },
  );
}

const isWasmType = (response) => /^application\/wasm\b/i.test(response.headers.get('content-type') ?? '');

// Fetches and compiles: while it streams when the server says application/wasm, from the bytes
// otherwise (a wrong MIME type still works, only slower, and is not fetched twice).
async function compileFromUrl(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (cause) {
    throw wasmError(url, `the fetch failed (${cause?.message ?? cause}; a Content-Security-Policy connect-src may block it)`, cause);
  }
  if (!response.ok) throw wasmError(url, `the server answered HTTP ${response.status}`);
  try {
    if (isWasmType(response) && typeof WebAssembly.compileStreaming === 'function') {
      return await WebAssembly.compileStreaming(response);
    }
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (cause) {
    throw compileError(url, cause);
  }
}

// A compile failure: a Content-Security-Policy without 'wasm-unsafe-eval', or not a wasm at all.
function compileError(url, cause) {
  const message = String(cause?.message ?? cause);
  if (/content.security.policy/i.test(message)) {
    return wasmError(url, `the page's Content-Security-Policy forbids compiling WebAssembly: allow 'wasm-unsafe-eval' in script-src (${message})`, cause);
  }
  return wasmError(url, `it is not a WebAssembly module (${message})`, cause);
}

async function compileBinary(binary, url) {
  if (typeof binary === 'function') binary = await binary(); // read only when not compiled yet
  try {
    return await WebAssembly.compile(binary);
  } catch (cause) {
    throw compileError(url, cause);
  }
}

// Compiled modules by URL: a second Switchyard in the same page or process instantiates the
// module the first one compiled instead of fetching and compiling it again. A failure is not kept.
const compiled = new Map();

/**
 * The compiled core for `source`: `{ module }` (a WebAssembly.Module), `{ url }` (fetched and
 * compiled while it streams) or `{ binary, url }` (the bytes, or a function that reads them; url
 * names them).
 */
function compileCore(source) {
  if (source.module) return Promise.resolve(source.module);
  let module = compiled.get(source.url);
  if (!module) {
    module = source.binary ? compileBinary(source.binary, source.url) : compileFromUrl(source.url);
    compiled.set(source.url, module);
    module.catch(() => compiled.delete(source.url));
  }
  return module;
}

/**
 * Runs the Emscripten factory with the wasm from `source` and wraps the module in the core
 * adapter. The factory swallows errors of its instantiateWasm hook, so they race its promise.
 */
export async function instantiateCore(factory, source, seed, moduleOptions = {}) {
  let fail;
  const failed = new Promise((_, reject) => {
    fail = reject;
  });
  const ready = factory({
    instantiateWasm(imports, done) {
      compileCore(source).then((module) => WebAssembly.instantiate(module, imports)).then(done, fail);
      return {}; // the exports arrive through done()
    },
    ...moduleOptions,
  });
  return createEmscriptenCore(await Promise.race([ready, failed]), seed);
}
