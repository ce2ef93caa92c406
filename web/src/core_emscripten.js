// The core adapter over the Emscripten build (web/dist/switchyard_core.mjs). Events go through
// the same C interface as the WASI build (web/src/core_c.js), so bytes cross into wasm memory
// once per event; Embind (bindings/embind/embind.cc) serves configuration, where JS strings
// in and out are what a caller has.

import { createCCore } from './core_c.js';

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
