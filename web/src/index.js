// switchyard: the npm package's default entry (browsers and web workers; workerd-style
// runtimes too). Node resolves the package to node.js instead (package.json "exports" conditions).
//
// Both files of the core are named statically, so that bundlers emit them with zero config:
// the Emscripten glue by a static import, the wasm by `new URL('…', import.meta.url)` written
// literally (Vite and webpack 5 copy the file and rewrite the URL; Rollup does with
// @web/rollup-plugin-import-meta-assets). The wasm is fetched and compiled while it downloads;
// `wasmUrl` (or `wasmModule`) overrides it. esbuild and plain Rollup leave the URL as it is and
// emit no wasm: when the default URL, still unrewritten, cannot be had, the core comes from
// dist/switchyard_core_wasm_{1,2}.js (the wasm's bytes in strings), imported only then: esbuild
// bundles them, the others split them into chunks that are never fetched when the wasm is found
// (tests/browser/bundlers.test.js).

import createSwitchyardCore from '../dist/switchyard_core.mjs';
import { instantiateCore, wasmError } from './core_emscripten.js';
import { createSwitchyardWith } from './switchyard.js';

export { SwitchyardError } from './switchyard.js';
export { createDriver } from './driver.js';
export { createEmscriptenCore } from './core_emscripten.js';
export { createCCore } from './core_c.js';
export { openIndexedDbTier } from './cache_indexeddb.js';

// The wasm next to the glue, where a bundler emitted it (or the package's own dist/ unbundled).
function defaultWasmUrl() {
  try {
    return new URL('../dist/switchyard_core.wasm', import.meta.url);
  } catch (cause) {
    // A bundle in a format without import.meta (an IIFE or CommonJS build).
    throw wasmError('../dist/switchyard_core.wasm (relative to a bundle without import.meta.url)', 'there is no URL to resolve it against', cause);
  }
}

/**
 * Instantiates the Emscripten build and wraps it in the core adapter.
 * @param {number|bigint} seed
 * @param {{ wasmUrl?: string|URL, wasmModule?: WebAssembly.Module }} [options]
 */
export async function loadEmscriptenCore(seed, { wasmUrl, wasmModule, ...moduleOptions } = {}) {
  let source;
  if (wasmModule) source = { module: wasmModule };
  else if (wasmUrl !== undefined && wasmUrl !== null) source = { url: String(wasmUrl) };
  else source = defaultSource();
  return instantiateCore(createSwitchyardCore, source, seed, moduleOptions);
}

// The default URL, with the inline copy as its fallback while the URL is the package's own
// name for the file: the bundlers that emit the wasm rename it, and their failures stay errors.
function defaultSource() {
  const url = String(defaultWasmUrl());
  if (!new URL(url).pathname.endsWith('/dist/switchyard_core.wasm')) return { url };
  // Literal names, so that bundlers include the parts (two lazy chunks, each under 500 kB).
  const inline = () => Promise.all([import('../dist/switchyard_core_wasm_1.js'), import('../dist/switchyard_core_wasm_2.js')]);
  return { url, inline };
}

/** The persistent tiers of browsers and web workers: 'indexeddb'. */
export async function openTier(persist, persistOptions = {}) {
  if (persist === 'indexeddb') {
    const { openIndexedDbTier } = await import('./cache_indexeddb.js');
    return openIndexedDbTier(persistOptions);
  }
  return undefined; // 'fs' is the Node entry's
}

/** SPEC section 5; options and results are described in index.d.ts. */
export function createSwitchyard(options) {
  return createSwitchyardWith(options, loadEmscriptenCore, openTier);
}
