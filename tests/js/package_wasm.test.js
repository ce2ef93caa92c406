// Where the package's core comes from (web/src/core_emscripten.js, the Node entry web/src/node.js):
// the `wasmUrl` option as a path, a file: URL or an http(s) URL (served with and without the
// application/wasm type), `wasmModule`, and the SwitchyardError for a wasm that cannot be had,
// which names what was tried and the option to set; the inline copy of the wasm
// (dist/switchyard_core_wasm_{1,2}.js), the browser entry's fallback for its default URL only.
// Needs the `web` build.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import createSwitchyardCore from '../../web/dist/switchyard_core.mjs';
import { inlineBytes, instantiateCore } from '../../web/src/core_emscripten.js';
import * as browserEntry from '../../web/src/index.js';
import { SwitchyardError, createSwitchyard } from '../../web/src/node.js';

const wasmFile = new URL('../../web/dist/switchyard_core.wasm', import.meta.url);
const config = { providers: { demo: { type: 'echo' } } };

async function answers(sy) {
  try {
    const answer = await sy.chat.completions.create({ model: 'demo/echo-1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.object, 'chat.completion');
  } finally {
    sy.close();
  }
}

const inlineParts = () => Promise.all([import('../../web/dist/switchyard_core_wasm_1.js'), import('../../web/dist/switchyard_core_wasm_2.js')]);

// Replaces globalThis.fetch for the duration of `body`: `answer(url)` answers every call.
async function withFetch(answer, body) {
  const real = globalThis.fetch;
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push(String(url));
    return answer(String(url), init, real);
  };
  try {
    return await body(calls);
  } finally {
    globalThis.fetch = real;
  }
}

async function assertWasmError(promise, named) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof SwitchyardError, String(error));
    assert.equal(error.status, 500);
    assert.equal(error.code, 'wasm_unavailable');
    assert.equal(error.param, 'wasmUrl');
    assert.ok(error.message.includes(named), `${error.message} does not name ${named}`);
    assert.match(error.message, /set the wasmUrl option of createSwitchyard/);
    return true;
  });
}

describe('the wasm of the package', () => {
  let server;
  let origin;
  let bytes;

  before(async () => {
    bytes = await readFile(wasmFile);
    server = createServer((req, res) => {
      if (req.url === '/core.wasm') return res.writeHead(200, { 'content-type': 'application/wasm' }).end(bytes);
      if (req.url === '/core.bin') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
      if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>');
      res.writeHead(404).end();
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${server.address().port}`;
  });

  after(() => new Promise((ok) => server.close(ok)));

  it('is read from the package by default, and from wasmUrl as a path or a file: URL', async () => {
    await answers(await createSwitchyard({ config }));
    await answers(await createSwitchyard({ config, wasmUrl: fileURLToPath(wasmFile) }));
    await answers(await createSwitchyard({ config, wasmUrl: wasmFile }));
  });

  it('is fetched from an http URL, compiled while it streams or from its bytes when the type is wrong', async () => {
    await answers(await createSwitchyard({ config, wasmUrl: `${origin}/core.wasm` }));
    await answers(await createSwitchyard({ config, wasmUrl: new URL(`${origin}/core.bin`) }));
  });

  it('can be handed over compiled (wasmModule)', async () => {
    await answers(await createSwitchyard({ config, wasmModule: await WebAssembly.compile(bytes) }));
  });

  it('that cannot be had is a SwitchyardError naming the URL or path and wasmUrl', async () => {
    await assertWasmError(createSwitchyard({ config, wasmUrl: `${origin}/missing.wasm` }), `${origin}/missing.wasm: the server answered HTTP 404`);
    await assertWasmError(createSwitchyard({ config, wasmUrl: `${origin}/page.html` }), `${origin}/page.html: it is not a WebAssembly module`);
    await assertWasmError(createSwitchyard({ config, wasmUrl: '/nonexistent/switchyard_core.wasm' }), '/nonexistent/switchyard_core.wasm: it could not be read (ENOENT)');
    const license = fileURLToPath(new URL('../../LICENSE', import.meta.url));
    await assertWasmError(createSwitchyard({ config, wasmUrl: license }), `${license}: it is not a WebAssembly module`);
  });

  it('options of the wrong kind are refused before anything is loaded', async () => {
    await assert.rejects(createSwitchyard({ config, wasmUrl: 42 }), { name: 'SwitchyardError', status: 400, param: 'wasmUrl' });
    await assert.rejects(createSwitchyard({ config, wasmModule: bytes }), { name: 'SwitchyardError', status: 400, param: 'wasmModule' });
  });

  it('the inline copy holds the same bytes as the wasm', async () => {
    assert.deepEqual(inlineBytes(await inlineParts()), new Uint8Array(bytes));
    const [first, second] = await inlineParts();
    assert.throws(() => inlineBytes([first]), /do not make up the wasm/);
    assert.throws(() => inlineBytes([first, first]), /do not make up the wasm/);
    assert.throws(() => inlineBytes([second, first]), /do not make up the wasm/);
  });

  it('the browser entry falls back to the inline copy when its default URL answers 404, and keeps the module', async () => {
    await withFetch(() => new Response('not found', { status: 404 }), async (calls) => {
      await answers(await browserEntry.createSwitchyard({ config }));
      assert.equal(calls.length, 1);
      assert.match(calls[0], /^file:\/\/.*\/web\/dist\/switchyard_core\.wasm$/);
      await answers(await browserEntry.createSwitchyard({ config })); // compiled once: not fetched again
      assert.equal(calls.length, 1);
    });
  });

  it('the browser entry does not fall back for a wasmUrl, even one named like the default', async () => {
    await withFetch((url, init, real) => real(url, init), async (calls) => {
      await assertWasmError(browserEntry.createSwitchyard({ config, wasmUrl: `${origin}/missing.wasm` }), `${origin}/missing.wasm: the server answered HTTP 404. Serve`);
      const named = `${origin}/dist/switchyard_core.wasm`;
      await assertWasmError(browserEntry.createSwitchyard({ config, wasmUrl: named }), `${named}: the server answered HTTP 404. Serve`);
      assert.deepEqual(calls, [`${origin}/missing.wasm`, named]);
    });
  });

  it('with an inline copy, a URL that fails to fetch or is not a wasm is replaced by it; a CSP refusal is not', async () => {
    let imported = 0;
    const inline = () => {
      imported++;
      return inlineParts();
    };
    await instantiateCore(createSwitchyardCore, { url: `${origin}/page.html`, inline }, 0);
    assert.equal(imported, 1);
    await instantiateCore(createSwitchyardCore, { url: 'http://127.0.0.1:1/dist/switchyard_core.wasm', inline }, 0);
    assert.equal(imported, 2);
    const realCompile = WebAssembly.compile;
    WebAssembly.compile = async () => {
      throw new WebAssembly.CompileError("Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive");
    };
    try {
      const url = `${origin}/csp/dist/switchyard_core.wasm`;
      const served = () => new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } });
      await withFetch(served, () =>
        assertWasmError(instantiateCore(createSwitchyardCore, { url, inline }, 0), `${url}: the page's Content-Security-Policy forbids compiling WebAssembly`),
      );
    } finally {
      WebAssembly.compile = realCompile;
    }
    assert.equal(imported, 2);
  });

  it('when the inline copy is not available either, the error names the URL, both failures and wasmUrl', async () => {
    const inline = () => Promise.reject(new Error('Failed to fetch dynamically imported module'));
    await assertWasmError(
      instantiateCore(createSwitchyardCore, { url: `${origin}/gone/dist/switchyard_core.wasm`, inline }, 0),
      `${origin}/gone/dist/switchyard_core.wasm: the server answered HTTP 404, and its inline copy (switchyard/dist/switchyard_core_wasm_*.js) was not available (Failed to fetch dynamically imported module)`,
    );
  });
});
