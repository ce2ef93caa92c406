// toolchain/inline_wasm.mjs, the writer of the wasm's inline copy (web/dist/switchyard_core_wasm_*.js):
// every byte value, and NUL before a digit (where "\0" would be an octal escape), comes back
// from the module text as one char of that code; parts at their offsets make up the whole.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { inlineModule, latin1Literal } from '../../toolchain/inline_wasm.mjs';
import { inlineBytes } from '../../web/src/core_emscripten.js';

const importText = (text) => import(`data:text/javascript;charset=utf-8,${encodeURIComponent(text)}`);

describe('the inline copy writer', () => {
  const bytes = new Uint8Array(256 + 20);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  for (let d = 0; d < 10; d++) bytes.set([0, 0x30 + d], 256 + 2 * d); // NUL then each digit

  it('writes a string literal of one char per byte, whatever the byte', async () => {
    const { default: text } = await importText(`export default ${latin1Literal(bytes)};`);
    assert.equal(text.length, bytes.length);
    assert.deepEqual(Uint8Array.from(text, (c) => c.charCodeAt(0)), bytes);
  });

  it('escapes only what a literal cannot hold raw: quote, backslash, CR, LF, NUL', () => {
    const literal = latin1Literal(bytes);
    assert.equal(literal.length, bytes.length + 2 + 4 + 10 * 3 + 1); // quotes; \n \r \" \\; \x00 ×10; \0
    assert.ok(!/[\n\r]/.test(literal));
  });

  it('writes parts that inlineBytes puts together in order', async () => {
    const parts = await Promise.all([inlineModule(bytes, 0, 100), inlineModule(bytes, 100, bytes.length)].map(importText));
    assert.deepEqual(inlineBytes(parts), bytes);
    assert.throws(() => inlineBytes([parts[1], parts[0]]), /do not make up the wasm/);
  });
});
