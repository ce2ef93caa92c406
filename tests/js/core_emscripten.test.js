// Runs the core suite on the Emscripten build (web/dist/switchyard_core.{mjs,wasm}, its C exports),
// loaded by the package's Node entry (web/src/node.js: the factory gets the .wasm bytes read
// from disk as wasmBinary). Build it first: cmake --preset web && cmake --build --preset web

import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { it } from 'node:test';

import { loadEmscriptenCore } from '../../web/src/node.js';
import { testCore } from './core_suite.js';

const wasm = new URL('../../web/dist/switchyard_core.wasm', import.meta.url);
let checked = false;
let seed = 1;

testCore('emscripten', async () => {
  if (!checked) {
    await access(wasm).catch((cause) => {
      throw new Error('web/dist/switchyard_core.wasm is missing: build the `web` preset first', { cause });
    });
    checked = true;
  }
  return loadEmscriptenCore(seed++);
});

// The package as Node users import it: the "node" export condition picks web/src/node.js, and
// createSwitchyard loads the core on its own.
it('the package entry for Node (import "switchyard") loads the core by itself', async () => {
  const { createSwitchyard, SwitchyardError } = await import('switchyard');
  const sy = await createSwitchyard({ config: { providers: { demo: { type: 'echo' } } } });
  try {
    const answer = await sy.chat.completions.create({ model: 'demo/echo-1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.object, 'chat.completion');
    assert.equal(answer._switchyard.target, 'demo/echo-1');
    await assert.rejects(sy.chat.completions.create({ model: 'nope', messages: [] }), SwitchyardError);
  } finally {
    sy.close();
  }
});
