// The core adapter over the Emscripten build (web/dist/switchyard_core.mjs): the module exports
// the C interface (bindings/c_api/switchyard.h) as `_sy_*` functions, and web/src/core_c.js
// drives them exactly as it drives the WASI build, so bytes cross into wasm memory once per
// event. instantiateCore hands the factory the wasm itself (Emscripten's `instantiateWasm`
// hook), so that the entries decide where it comes from and a failure is a SwitchyardError.

import { createCCore } from './core_c.js';
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
  return createCCore(exports, seed);
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

// Fetches and instantiates in one go: streaming compilation when the server says
// application/wasm, the bytes otherwise (a wrong MIME type still works, only slower).
async function instantiateFromUrl(url, imports) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (cause) {
    throw wasmError(url, `the fetch failed (${cause?.message ?? cause}; a Content-Security-Policy connect-src may block it)`, cause);
  }
  if (!response.ok) throw wasmError(url, `the server answered HTTP ${response.status}`);
  try {
    if (isWasmType(response) && typeof WebAssembly.instantiateStreaming === 'function') {
      return (await WebAssembly.instantiateStreaming(response, imports)).instance;
    }
    return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance;
  } catch (cause) {
    throw wasmError(url, `it is not a WebAssembly module this page may compile (${cause?.message ?? cause})`, cause);
  }
}

/**
 * Where the wasm comes from: `{ url }` (fetched, compiled while it streams), `{ module }` (a
 * compiled WebAssembly.Module), or `{ binary, url }` (bytes already read; url names them in errors).
 */
async function instantiate(source, imports) {
  if (source.module) return WebAssembly.instantiate(source.module, imports);
  if (source.binary) {
    try {
      return (await WebAssembly.instantiate(source.binary, imports)).instance;
    } catch (cause) {
      throw wasmError(source.url, `it is not a WebAssembly module (${cause?.message ?? cause})`, cause);
    }
  }
  return instantiateFromUrl(source.url, imports);
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
      instantiate(source, imports).then(done, fail);
      return {}; // the exports arrive through done()
    },
    ...moduleOptions,
  });
  return createEmscriptenCore(await Promise.race([ready, failed]), seed);
}
