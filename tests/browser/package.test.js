// The npm package in Chromium: a page and a module Web Worker import web/src/index.js (the
// browser entry, which loads web/dist/switchyard_core.mjs + .wasm), run an echo-only scenario
// (tests/browser/fixtures/scenario.js) and expose the results; this test asserts them.
// Needs the `web` build and Debian's chromium; playwright-core drives it (never a downloaded
// browser).

import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

// A static file server for the repository, on loopback.
function serve() {
  const server = createServer(async (req, res) => {
    const path = resolve(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

function assertScenario(result) {
  assert.equal(result.failed, undefined, result.failed);
  const { answer, info, chunks, error } = result;
  assert.equal(answer.object, 'chat.completion');
  const content = answer.choices[0].message.content;
  assert.ok(typeof content === 'string' && content.length > 0);
  assert.equal(typeof answer.usage.total_tokens, 'number');
  assert.equal(info.target, 'demo/echo-1');
  assert.equal(info.attempts, 1);
  assert.ok(info.requestId);
  assert.ok(chunks.length >= 2);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), content);
  assert.equal(error.name, 'SwitchyardError');
  assert.equal(error.status, 404);
}

describe('npm package in Chromium', () => {
  let server;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    await stat(join(root, 'web/dist/switchyard_core.wasm')).catch(() => {
      throw new Error('web/dist/switchyard_core.wasm is missing: build the `web` preset first');
    });
    server = await serve();
    // launch() gives the browser a fresh temporary profile of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    const { port } = server.address();
    await page.goto(`http://127.0.0.1:${port}/tests/browser/fixtures/index.html`);
    await page.waitForFunction(() => window.pageResult !== undefined && window.workerResult !== undefined);
  });

  after(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok()));
  });

  it('runs in a page', async () => {
    assertScenario(await page.evaluate(() => window.pageResult));
    assert.deepEqual(pageErrors, []);
  });

  it('runs in a module Web Worker', async () => {
    assertScenario(await page.evaluate(() => window.workerResult));
  });
});
