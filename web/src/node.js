// switchyard: the Node entry. The Emscripten build is made for web and worker environments
// only (its Node branch does not work as an ES module in Node 20), so this entry reads the
// .wasm from disk and hands it to the factory as `wasmBinary`.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { createEmscriptenCore } from './core_emscripten.js';
import { createSwitchyardWith } from './switchyard.js';
import { openTier as openWebTier } from './index.js';

export * from './index.js';
export { openFsTier } from './cache_fs.js';

const coreUrl = new URL('../dist/switchyard_core.mjs', import.meta.url);
const wasmPath = fileURLToPath(new URL('../dist/switchyard_core.wasm', import.meta.url));

let wasmBinary = null;

/** Instantiates the Emscripten build from disk and wraps it in the core adapter. */
export async function loadEmscriptenCore(seed, moduleOptions = {}) {
  wasmBinary ??= await readFile(wasmPath);
  const { default: factory } = await import(coreUrl.href);
  const module = await factory({ wasmBinary, ...moduleOptions });
  return createEmscriptenCore(module, seed);
}

/** The persistent tiers of Node: 'fs' (a directory), and 'indexeddb' where a global indexedDB exists. */
export async function openTier(persist, persistOptions = {}) {
  if (persist === 'fs') {
    const { openFsTier } = await import('./cache_fs.js');
    return openFsTier(persistOptions);
  }
  if (persist === 'indexeddb' && !globalThis.indexedDB) return undefined;
  return openWebTier(persist, persistOptions);
}

/** SPEC section 5; options and results are described in index.d.ts. */
export function createSwitchyard(options) {
  return createSwitchyardWith(options, (seed) => loadEmscriptenCore(seed), openTier);
}
