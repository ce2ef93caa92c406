// switchyard: the Node entry. The Emscripten build is made for web and worker environments
// only (its Node branch does not work as an ES module in Node 20), so this entry reads the
// .wasm from disk and hands it to the core (`wasmUrl` may name another file, as a path or a
// file: URL, or an http(s) URL to fetch).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import createSwitchyardCore from '../dist/switchyard_core.mjs';
import { instantiateCore, wasmError } from './core_emscripten.js';
import { createSwitchyardWith } from './switchyard.js';
import { openTier as openWebTier } from './index.js';

export * from './index.js';
export { openFsTier } from './cache_fs.js';

const packagedWasm = new URL('../dist/switchyard_core.wasm', import.meta.url);

// Reads a wasm file; the error names it and the option to set.
function reader(path) {
  return () =>
    readFile(path).catch((cause) => {
      throw wasmError(path, `it could not be read (${cause.code ?? cause.message})`, cause);
    });
}

// A path, a file: URL (string or URL) or an http(s) URL: what the core is instantiated from.
// Files are read only when not compiled yet (core_emscripten.js keeps compiled modules).
function wasmSource(wasmUrl) {
  if (wasmUrl === undefined || wasmUrl === null) {
    const path = fileURLToPath(packagedWasm);
    return { binary: reader(path), url: path };
  }
  const text = String(wasmUrl);
  if (/^https?:/i.test(text)) return { url: text };
  const path = /^file:/i.test(text) ? fileURLToPath(text) : text;
  return { binary: reader(path), url: path };
}

/**
 * Instantiates the Emscripten build from disk and wraps it in the core adapter.
 * @param {number|bigint} seed
 * @param {{ wasmUrl?: string|URL, wasmModule?: WebAssembly.Module }} [options]
 */
export async function loadEmscriptenCore(seed, { wasmUrl, wasmModule, ...moduleOptions } = {}) {
  const source = wasmModule ? { module: wasmModule } : wasmSource(wasmUrl);
  return instantiateCore(createSwitchyardCore, source, seed, moduleOptions);
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
  return createSwitchyardWith(options, loadEmscriptenCore, openTier);
}
