// Where the package's core comes from (web/src/core_emscripten.js, the Node entry web/src/node.js):
// the `wasmUrl` option as a path, a file: URL or an http(s) URL (served with and without the
// application/wasm type), `wasmModule`, and the SwitchyardError for a wasm that cannot be had,
// which names what was tried and the option to set. Needs the `web` build.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

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
});
