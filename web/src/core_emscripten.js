// The core adapter over the Emscripten build (web/dist/switchyard_core.mjs): the module exports
// the C interface (bindings/c_api/switchyard.h) as `_sy_*` functions, and web/src/core_c.js
// drives them exactly as it drives the WASI build, so bytes cross into wasm memory once per
// event.

import { createCCore } from './core_c.js';
import { createEmscriptenFetch, hasEmscriptenFetch } from './fetch_emscripten.js';

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
