// The V8 flags worker/gateway.mjs gives workerd (issue 13: the gateway's memory under load):
// the default flags in the generated config, other flags or none on request, a clear error for
// a malformed flag before workerd starts and for one V8 does not know once it has, and a
// gateway on the default flags serving requests. Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DEFAULT_V8_FLAGS, GatewayError, startGateway, writeWorkerdConfig } from '../../worker/gateway.mjs';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-v8flags-'));
const configText = fs.readFileSync(new URL('../../worker/default-config.json', import.meta.url), 'utf8');
let n = 0;

function write(options) {
  const outDir = path.join(tmp, `gw${++n}`);
  const file = writeWorkerdConfig({ configText, outDir, address: '127.0.0.1:0', wasmPath, demosDir: null, stateDir: false, ...options });
  return fs.readFileSync(file, 'utf8');
}

// The v8Flags member of a generated config, as a list of strings, or null without one.
function v8FlagsOf(capnp) {
  const m = /^ {2}v8Flags = \[(.*)\],$/m.exec(capnp);
  return m ? [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]) : null;
}

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the V8 flags in the generated workerd config', () => {
  test('by default: a 1 MiB young generation and an 8 MiB initial heap', () => {
    assert.deepEqual(DEFAULT_V8_FLAGS, ['--max-semi-space-size=1', '--initial-heap-size=8']);
    assert.ok(Object.isFrozen(DEFAULT_V8_FLAGS));
    const capnp = write({});
    assert.deepEqual(v8FlagsOf(capnp), DEFAULT_V8_FLAGS);
    // A member of the Config struct, before its services.
    assert.ok(capnp.indexOf('v8Flags = [') < capnp.indexOf('services = ['));
    assert.ok(capnp.indexOf('const config :Workerd.Config = (') < capnp.indexOf('v8Flags = ['));
  });

  test('other flags replace them; an empty list leaves V8 its own defaults', () => {
    assert.deepEqual(v8FlagsOf(write({ v8Flags: ['--max-semi-space-size=2', '--no-memory-reducer'] })), ['--max-semi-space-size=2', '--no-memory-reducer']);
    const none = write({ v8Flags: [] });
    assert.equal(v8FlagsOf(none), null);
    assert.doesNotMatch(none, /v8Flags/);
  });

  test('a malformed flag is refused before anything is written, naming it', () => {
    for (const bad of ['max-semi-space-size=1', '--a b', '--x="1" ', '', '-x', '--', '--=1']) {
      const outDir = path.join(tmp, `bad${++n}`);
      assert.throws(
        () => writeWorkerdConfig({ configText, outDir, address: '127.0.0.1:0', wasmPath, demosDir: null, stateDir: false, v8Flags: [bad] }),
        (error) => error instanceof GatewayError && error.message.includes(JSON.stringify(bad)) && /--name or --name=value/.test(error.message),
        `flag ${JSON.stringify(bad)}`,
      );
      assert.equal(fs.existsSync(path.join(outDir, 'config.capnp')), false);
    }
    for (const bad of ['--initial-heap-size=8', 8, null]) {
      assert.throws(() => write({ v8Flags: bad }), (error) => error instanceof GatewayError && /v8Flags must be an array of strings/.test(error.message));
    }
    assert.throws(() => write({ v8Flags: ['--ok', 7] }), (error) => error instanceof GatewayError && error.message.includes('got 7'));
  });
});

describe('workerd on the V8 flags', () => {
  let upstream;
  let gateway;
  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const text = JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await gateway?.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  test('a gateway on the default flags answers requests', { timeout: 30000 }, async () => {
    const config = { providers: { up: { type: 'openai-compatible', base_url: `http://127.0.0.1:${upstream.address().port}/v1` } }, models: { m: { provider: 'up', model: 'up-model' } } };
    gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'live'), wasmPath, demosDir: null, stateDir: false });
    assert.deepEqual(v8FlagsOf(fs.readFileSync(path.join(tmp, 'live', 'config.capnp'), 'utf8')), DEFAULT_V8_FLAGS);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `hello ${i}` }] }) });
      assert.equal(r.status, 200);
      assert.equal((await r.json()).choices[0].message.content, 'hi');
    }
  });

  test('a flag V8 does not know: startGateway fails with workerd\'s message', { timeout: 30000 }, async () => {
    await assert.rejects(
      startGateway({ configText, port: 0, outDir: path.join(tmp, 'unknown'), wasmPath, demosDir: null, stateDir: false, v8Flags: ['--no-such-v8-flag-here'] }),
      (error) => error instanceof GatewayError && /workerd exited/.test(error.message) && /unrecognized V8 flag/.test(error.message) && error.message.includes('--no-such-v8-flag-here'),
    );
  });
});
