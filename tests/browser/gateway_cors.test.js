// The npm package in a Chromium page, pointing a provider at a Switchyard gateway on another
// origin (SPEC §5: provider keys stay server-side): the gateway's CORS config lets the page's
// origin in, and keeps another origin out. Needs the `web` and `wasi` builds and Debian's
// chromium, driven by playwright-core.

import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startGateway } from '../../worker/gateway.mjs';

const root = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

// A static server for the repository on loopback; each one is an origin of its own.
function serve() {
  const server = createServer((req, res) => {
    const file = path.resolve(path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

describe('a browser app calling a gateway on another origin', { timeout: 60000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cors-test-'));
  let allowed, denied, gateway, browser;
  const origin = (server) => `http://127.0.0.1:${server.address().port}`;

  before(async () => {
    [allowed, denied] = await Promise.all([serve(), serve()]);
    const config = {
      providers: { echo: { type: 'echo' } },
      keys: { 'sk-web': { models: ['echo/echo-1'] } },
      cache: { enabled: true },
      gateway: { cors: { origins: [origin(allowed)] } },
    };
    gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
    await Promise.all([allowed, denied].map((s) => new Promise((ok) => (s ? s.close(ok) : ok()))));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function openAt(server) {
    const page = await browser.newPage();
    await page.goto(`${origin(server)}/tests/browser/fixtures/blank.html`);
    return page;
  }

  it('the package in an allowed page answers through the gateway, headers readable', async () => {
    const page = await openAt(allowed);
    const result = await page.evaluate(async (gw) => {
      const { createSwitchyard } = await import('/web/src/index.js');
      const sy = await createSwitchyard({
        config: { providers: { edge: { type: 'openai-compatible', base_url: `${gw}/v1`, api_key: 'sk-web' } } },
      });
      const messages = [{ role: 'user', content: 'hello across origins' }];
      const answer = await sy.chat.completions.create({ model: 'edge/echo/echo-1', messages });
      let streamed = '';
      for await (const chunk of await sy.chat.completions.create({ model: 'edge/echo/echo-1', messages, stream: true }))
        streamed += chunk.choices[0]?.delta?.content ?? '';
      // The gateway's own headers, straight from the page.
      const raw = await fetch(`${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-web', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo/echo-1', messages }),
      });
      return { content: answer.choices[0].message.content, streamed, cache: raw.headers.get('x-switchyard-cache') };
    }, gateway.url);
    assert.equal(result.content, 'hello across origins');
    assert.equal(result.streamed, 'hello across origins');
    assert.equal(result.cache, 'HIT');  // the package's first call stored it at the gateway
    await page.close();
  });

  it('a page on another origin is kept out', async () => {
    const page = await openAt(denied);
    const outcome = await page.evaluate(async (gw) => {
      try {
        await fetch(`${gw}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk-web', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo/echo-1', messages: [{ role: 'user', content: 'x' }] }),
        });
        return 'answered';
      } catch (error) {
        return error.name;
      }
    }, gateway.url);
    assert.equal(outcome, 'TypeError');  // the browser's CORS refusal
    await page.close();
  });
});
