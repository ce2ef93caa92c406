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

// What each wasm_unavailable error says after its URL, for the error of a fallback that failed too.
const reasons = new WeakMap();
function unavailable(url, why, cause) {
  const error = wasmError(url, why, cause);
  reasons.set(error, why);
  return error;
}

// Fetches and compiles: while it streams when the server says application/wasm, from the bytes
// otherwise (a wrong MIME type still works, only slower, and is not fetched twice).
async function compileFromUrl(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (cause) {
    throw unavailable(url, `the fetch failed (${cause?.message ?? cause}; a Content-Security-Policy connect-src may block it)`, cause);
  }
  if (!response.ok) throw unavailable(url, `the server answered HTTP ${response.status}`);
  try {
    if (isWasmType(response) && typeof WebAssembly.compileStreaming === 'function') {
      return await WebAssembly.compileStreaming(response);
    }
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (cause) {
    throw compileError(url, cause);
  }
}

const isCspRefusal = (cause) => /content.security.policy/i.test(String(cause?.message ?? cause));

// A compile failure: a Content-Security-Policy without 'wasm-unsafe-eval', or not a wasm at all.
function compileError(url, cause) {
  const message = String(cause?.message ?? cause);
  if (isCspRefusal(cause)) {
    return unavailable(url, `the page's Content-Security-Policy forbids compiling WebAssembly: allow 'wasm-unsafe-eval' in script-src (${message})`, cause);
  }
  return unavailable(url, `it is not a WebAssembly module (${message})`, cause);
}

async function compileBinary(binary, url) {
  if (typeof binary === 'function') binary = await binary(); // read only when not compiled yet
  try {
    return await WebAssembly.compile(binary);
  } catch (cause) {
    throw compileError(url, cause);
  }
}

/**
 * The bytes of the inline copy (toolchain/inline_wasm.mjs): modules, in order, whose strings
 * hold one char per byte of the wasm, from `offset`, of `length` bytes in all.
 */
export function inlineBytes(parts) {
  const bytes = new Uint8Array(parts[0]?.length ?? 0);
  let filled = 0;
  for (const { default: text, offset, length } of parts) {
    if (typeof text !== 'string' || length !== bytes.length || offset !== filled || offset + text.length > length) break;
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
    filled += text.length;
  }
  if (!bytes.length || filled !== bytes.length) throw new Error('its parts do not make up the wasm');
  return bytes;
}

// When the wasm at `url` could not be had (not for a CSP that forbids compiling any wasm):
// the inline copy, imported only now. If that fails too, the error says both.
async function compileInline(url, inline, failure) {
  if (!reasons.has(failure) || isCspRefusal(failure.cause)) throw failure;
  let bytes;
  try {
    bytes = inlineBytes(await inline());
  } catch (cause) {
    const why = `${reasons.get(failure)}, and its inline copy (switchyard/dist/switchyard_core_wasm_*.js) was not available (${cause?.message ?? cause})`;
    throw wasmError(url, why, cause);
  }
  return compileBinary(bytes, `${url} (its inline copy)`);
}

// Compiled modules by URL: a second Switchyard in the same page or process instantiates the
// module the first one compiled instead of fetching and compiling it again. A failure is not kept.
const compiled = new Map();

/**
 * The compiled core for `source`: `{ module }` (a WebAssembly.Module), `{ url, inline? }`
 * (fetched and compiled while it streams; `inline` imports the inline copy's modules, used when
 * the url fails) or `{ binary, url }` (the bytes, or a function that reads them; url names them).
 */
function compileCore(source) {
  if (source.module) return Promise.resolve(source.module);
  let module = compiled.get(source.url);
  if (!module) {
    module = source.binary ? compileBinary(source.binary, source.url) : compileFromUrl(source.url);
    if (source.inline) module = module.catch((failure) => compileInline(source.url, source.inline, failure));
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
    // Never asked for the wasm (instantiateWasm hands it over): set so that the glue does not
    // resolve its own `new URL(…, import.meta.url)`, which throws in bundles without import.meta.
    locateFile: (name) => name,
    ...moduleOptions,
  });
  return createEmscriptenCore(await Promise.race([ready, failed]), seed);
}
