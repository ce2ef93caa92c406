// The npm package in apps built by each bundler with zero configuration (tests/bundlers/build.mjs
// builds tests/bundlers/app with the package installed as a plain folder): each output is served
// on loopback and run in Chromium, where the app answers one echo chat call into the page.
// Needs the `web` build and Debian's chromium.

import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildEsbuild, buildRollup, buildVite, buildWebpack, makeApp, serveViteDev } from '../bundlers/build.mjs';
import { close, launchChromium, originOf, requireWebBuild, root, serveDirectory } from './harness.js';

const work = join(root, 'build', 'bundlers');

// Opens `url` and waits for the app to answer or fail; returns what it wrote and what it fetched.
async function runApp(browser, url) {
  const page = await browser.newPage();
  const failedRequests = [];
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failedRequests.push(`${r.status()} ${r.url()}`);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.state, null, { timeout: 30_000 });
    const answer = page.locator('#answer');
    return { state: await answer.getAttribute('data-state'), text: await answer.textContent(), failedRequests };
  } finally {
    await page.close();
  }
}

function assertAnswered(result) {
  assert.equal(result.state, 'answered', result.text);
  assert.match(result.text, /hello from a bundle/);
  assert.deepEqual(result.failedRequests, []);
}

// The error a user sees when the wasm is not where the bundle looks: the URL and the option.
function assertWasmError(result, urlPattern) {
  assert.equal(result.state, 'failed', result.text);
  assert.match(result.text, /^SwitchyardError: switchyard could not load its WebAssembly core from /);
  assert.match(result.text, urlPattern);
  assert.match(result.text, /set the wasmUrl option of createSwitchyard/);
}

describe('the package in bundled apps, zero config', () => {
  let app;
  let browser;

  before(async () => {
    await requireWebBuild();
    app = await makeApp(join(work, 'app'));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  // Builds with `builder` into build/bundlers/<name> (once), serves it, runs it.
  const outputs = new Map();
  async function built(name, builder, { beforeServe, headers } = {}) {
    const outDir = join(work, name);
    if (!outputs.has(outDir)) {
      await rm(outDir, { recursive: true, force: true });
      outputs.set(outDir, builder(app, outDir).then(() => beforeServe?.(outDir)));
    }
    await outputs.get(outDir);
    const server = await serveDirectory(outDir, { headers });
    try {
      return await runApp(browser, `${originOf(server)}/index.html`);
    } finally {
      await close(server);
    }
  }

  it('vite build emits the wasm and the app answers', async () => {
    assertAnswered(await built('vite', buildVite));
  });

  it('the vite dev server serves the package and the app answers', async () => {
    const dev = await serveViteDev(app);
    try {
      assertAnswered(await runApp(browser, dev.url));
    } finally {
      await dev.close();
    }
  });

  it('webpack 5 (mode production) emits the wasm and the app answers', async () => {
    assertAnswered(await built('webpack', buildWebpack));
  });

  it('a vite build whose wasm was removed shows a SwitchyardError naming the URL and wasmUrl', async () => {
    const result = await built('vite-no-wasm', buildVite, {
      async beforeServe(outDir) {
        const assets = join(outDir, 'assets');
        for (const file of await readdir(assets)) if (file.endsWith('.wasm')) await rm(join(assets, file));
      },
    });
    assertWasmError(result, /http:\/\/127\.0\.0\.1:\d+\/assets\/switchyard_core-[\w-]+\.wasm: the server answered HTTP 404/);
  });

  it('a Content-Security-Policy that forbids compiling WebAssembly: the error names the URL and the cause', async () => {
    const result = await built('vite', buildVite, { headers: { 'content-security-policy': "script-src 'self'" } });
    assertWasmError(result, /\/assets\/switchyard_core-[\w-]+\.wasm: the page's Content-Security-Policy forbids compiling WebAssembly: allow 'wasm-unsafe-eval' in script-src/);
  });

  it('a Content-Security-Policy that forbids fetching it: the error names the URL and connect-src', async () => {
    const csp = "script-src 'self' 'wasm-unsafe-eval'; connect-src 'none'";
    const result = await built('vite', buildVite, { headers: { 'content-security-policy': csp } });
    assertWasmError(result, /\/assets\/switchyard_core-[\w-]+\.wasm: the fetch failed \(.*connect-src/);
  });

  // esbuild (0.28) and Rollup (4, with @rollup/plugin-node-resolve) leave
  // `new URL('…', import.meta.url)` as it is and emit no wasm: the app then fails with the
  // error that says what to set, at the URL the bundle resolved.
  it('esbuild --bundle emits no wasm: the app shows the error naming the URL and wasmUrl', async () => {
    assertWasmError(await built('esbuild', buildEsbuild), /\/dist\/switchyard_core\.wasm: the server answered HTTP 40[34]/);
  });

  it('rollup emits no wasm: the app shows the error naming the URL and wasmUrl', async () => {
    assertWasmError(await built('rollup', buildRollup), /\/dist\/switchyard_core\.wasm: the server answered HTTP 40[34]/);
  });

  it('rollup with @web/rollup-plugin-import-meta-assets emits the wasm and the app answers', async () => {
    assertAnswered(await built('rollup-assets', (app, outDir) => buildRollup(app, outDir, { assets: true })));
  });
});
