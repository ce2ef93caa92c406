// switchyard: the npm package's default entry (browsers and web workers; workerd-style
// runtimes too). Loads the Emscripten build of the core from ../dist next to this file.
// Node resolves the package to node.js instead (package.json "exports" conditions).

import { createEmscriptenCore } from './core_emscripten.js';
import { createSwitchyardWith } from './switchyard.js';

export { SwitchyardError } from './switchyard.js';
export { createDriver } from './driver.js';
export { createEmscriptenCore } from './core_emscripten.js';
export { createCCore } from './core_c.js';
export { openIndexedDbTier } from './cache_indexeddb.js';

const coreUrl = new URL('../dist/switchyard_core.mjs', import.meta.url);

/** Instantiates the Emscripten build and wraps it in the core adapter. */
export async function loadEmscriptenCore(seed, moduleOptions = {}) {
  const { default: factory } = await import(coreUrl.href);
  const module = await factory({
    locateFile: (file) => new URL(file, coreUrl).href,
    ...moduleOptions,
  });
  return createEmscriptenCore(module, seed);
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
  return createSwitchyardWith(options, (seed) => loadEmscriptenCore(seed), openTier);
}
