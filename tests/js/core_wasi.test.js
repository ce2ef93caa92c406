// Runs the core suite on the WASI reactor build (worker/dist/switchyard.wasm) under node:wasi,
// the same module the edge worker hosts. Build it first: cmake --preset wasi && cmake --build --preset wasi

import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

import { createCCore } from '../../web/src/core_c.js';
import { testCore } from './core_suite.js';

let compiled = null;
let seed = 1n;

async function compile() {
  let bytes;
  try {
    bytes = await readFile(new URL('../../worker/dist/switchyard.wasm', import.meta.url));
  } catch (cause) {
    throw new Error('worker/dist/switchyard.wasm is missing: build the `wasi` preset first', { cause });
  }
  return WebAssembly.compile(bytes);
}

// A fresh reactor instance per core.
testCore('wasi', async () => {
  compiled ??= await compile();
  const wasi = new WASI({ version: 'preview1' });
  const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
  wasi.initialize(instance);
  return createCCore(instance.exports, seed++);
});
