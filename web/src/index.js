// switchyard: the npm package's default entry (browsers and web workers; workerd-style
// runtimes too). Node resolves the package to node.js instead (package.json "exports" conditions).
//
// Both files of the core are named statically, so that bundlers emit them with zero config:
// the Emscripten glue by a static import, the wasm by `new URL('…', import.meta.url)` written
// literally (Vite and webpack 5 copy the file and rewrite the URL; Rollup does with
// @web/rollup-plugin-import-meta-assets). The wasm is fetched and compiled while it downloads;
// `wasmUrl` (or `wasmModule`) overrides it. esbuild and plain Rollup leave the URL as it is and
// emit no wasm: when the default URL, still unrewritten, cannot be had (or there is none: an
// IIFE bundle), the core comes from dist/switchyard_core_wasm_{1,2}.js (the wasm's bytes in
// strings), imported only then: esbuild bundles them, the others split them into chunks that are
// never fetched when the wasm is found (tests/browser/bundlers.test.js).

import createSwitchyardCore from '../dist/switchyard_core.mjs';
import { inlineBytes, instantiateCore, wasmError } from './core_emscripten.js';
import { createSwitchyardWith } from './switchyard.js';

export { SwitchyardError } from './switchyard.js';
export { createDriver } from './driver.js';
export { createEmscriptenCore } from './core_emscripten.js';
export { createCCore } from './core_c.js';
export { openIndexedDbTier } from './cache_indexeddb.js';

const INLINE_NAME = 'switchyard/dist/switchyard_core_wasm_*.js';

// The inline copy: literal names, so that bundlers include its two parts (lazy chunks under 500 kB).
const importInline = () => Promise.all([import('../dist/switchyard_core_wasm_1.js'), import('../dist/switchyard_core_wasm_2.js')]);

// The wasm next to the glue, where a bundler emitted it (or the package's own dist/ unbundled),
// with the inline copy as its fallback while the URL is the package's own name for the file: the
// bundlers that emit the wasm rename it, and their failures stay errors. A bundle in a format
// without import.meta (an IIFE, e.g. esbuild's default) has no URL: the inline copy it is.
function defaultSource() {
  let url;
  try {
    url = String(new URL('../dist/switchyard_core.wasm', import.meta.url));
  } catch {
    const where = '../dist/switchyard_core.wasm (relative to a bundle without import.meta.url)';
    const binary = () =>
      importInline().then(inlineBytes).catch((cause) => {
        throw wasmError(where, `there is no URL to resolve it against, and its inline copy (${INLINE_NAME}) was not available (${cause?.message ?? cause})`, cause);
      });
    return { binary, url: INLINE_NAME };
  }
  if (!new URL(url).pathname.endsWith('/dist/switchyard_core.wasm')) return { url };
  return { url, inline: importInline };
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
