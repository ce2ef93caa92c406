// The npm package in apps built by each bundler with zero configuration (tests/bundlers/build.mjs
// builds tests/bundlers/app with the package installed as a plain folder): each output is served
// on loopback and run in Chromium, where the app answers one echo chat call into the page.
// Needs the `web` build and Debian's chromium.

import assert from 'node:assert/strict';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildEsbuild, buildRollup, buildVite, buildWebpack, makeApp, serveViteDev } from '../bundlers/build.mjs';
import { close, launchChromium, originOf, requireWebBuild, root, serveDirectory } from './harness.js';

const work = join(root, 'build', 'bundlers');

// Opens `url` and waits for the app to answer or fail; returns what it wrote, what failed and
// the paths it requested.
async function runApp(browser, url) {
  const page = await browser.newPage();
  const failedRequests = [];
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failedRequests.push(`${r.status()} ${r.url()}`);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.state, null, { timeout: 30_000 });
    const answer = page.locator('#answer');
    return { state: await answer.getAttribute('data-state'), text: await answer.textContent(), failedRequests, requested };
  } finally {
    await page.close();
  }
}

function assertAnswered(result, { failedRequests = [] } = {}) {
  assert.equal(result.state, 'answered', result.text);
  assert.match(result.text, /hello from a bundle/);
  assert.equal(result.failedRequests.length, failedRequests.length, result.failedRequests.join('\n'));
  result.failedRequests.forEach((failed, i) => assert.match(failed, failedRequests[i]));
}

// The JS files of an output and their sizes, by the paths the page requests them at.
async function scripts(outDir) {
  const files = (await readdir(outDir, { recursive: true })).filter((name) => name.endsWith('.js'));
  return Promise.all(files.map(async (file) => ({ path: `/${relative(outDir, join(outDir, file))}`, size: (await stat(join(outDir, file))).size })));
}

// The scripts that hold the inline copy of the wasm (dist/switchyard_core_wasm_{1,2}.js, 0.28 MB
// each, or a bundle that took them in): the only ones over 0.2 MB.
async function inlineCopies(outDir) {
  return (await scripts(outDir)).filter(({ size }) => size > 200_000).map(({ path }) => path).sort();
}

// A bundler that emits the wasm: the app answers and never fetches the inline copy, which the
// bundler split into a lazy chunk of its own (not into the scripts the page loads).
async function assertAnsweredWithoutInline(result, outDir) {
  assertAnswered(result);
  const copies = await inlineCopies(outDir);
  assert.equal(copies.length, 2, 'the inline copy is not split into two chunks of its own');
  for (const copy of copies) assert.ok(!result.requested.includes(copy), `${copy} was fetched`);
}

// esbuild and plain Rollup: the default URL is asked once (404), then the inline copy answers.
const defaultWasm404 = /^40[34] http:\/\/127\.0\.0\.1:\d+\/dist\/switchyard_core\.wasm$/;

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

  it('vite build emits the wasm and the app answers without fetching the inline copy', async () => {
    await assertAnsweredWithoutInline(await built('vite', buildVite), join(work, 'vite'));
  });

  it('no chunk of the vite build is over the 500 kB of its warning (the inline copy comes in two)', async () => {
    await built('vite', buildVite);
    for (const { path, size } of await scripts(join(work, 'vite'))) assert.ok(size < 500_000, `${path}: ${size} bytes`);
  });

  it('the vite dev server serves the package and the app answers', async () => {
    const dev = await serveViteDev(app);
    try {
      assertAnswered(await runApp(browser, dev.url));
    } finally {
      await dev.close();
    }
  });

  it('webpack 5 (mode production) emits the wasm and the app answers without fetching the inline copy', async () => {
    await assertAnsweredWithoutInline(await built('webpack', buildWebpack), join(work, 'webpack'));
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
  // `new URL('…', import.meta.url)` as it is and emit no wasm: the default URL answers 404 and
  // the core comes from the inline copy (bundled into main.js by esbuild, a chunk of Rollup's).
  it('esbuild --bundle emits no wasm: the app answers from the inline copy in its bundle', async () => {
    const result = await built('esbuild', buildEsbuild);
    assertAnswered(result, { failedRequests: [defaultWasm404] });
    assert.deepEqual(await inlineCopies(join(work, 'esbuild')), ['/main.js']);
  });

  it('esbuild --bundle --format=iife (no import.meta.url): the app answers from the inline copy, nothing fails', async () => {
    const result = await built('esbuild-iife', (app, outDir) => buildEsbuild(app, outDir, { format: 'iife' }));
    assertAnswered(result);
    assert.deepEqual(await inlineCopies(join(work, 'esbuild-iife')), ['/main.js']);
  });

  it('rollup emits no wasm: the app answers from the inline copy, a chunk fetched after the 404', async () => {
    const result = await built('rollup', buildRollup);
    assertAnswered(result, { failedRequests: [defaultWasm404] });
    const copies = await inlineCopies(join(work, 'rollup'));
    assert.equal(copies.length, 2, copies.join());
    assert.ok(!copies.includes('/main.js'), copies.join());
    for (const copy of copies) assert.ok(result.requested.includes(copy), `${copy} was not fetched`);
  });

  it('rollup with @web/rollup-plugin-import-meta-assets emits the wasm and the app answers without fetching the inline copy', async () => {
    const build = (app, outDir) => buildRollup(app, outDir, { assets: true });
    await assertAnsweredWithoutInline(await built('rollup-assets', build), join(work, 'rollup-assets'));
  });
});
