// Cold start of the npm package: from createSwitchyard() to the first echo answer, in Chromium
// (a fresh browser context per run, the package served on loopback with no HTTP caching) and in
// Node (a fresh process per run). Prints the median and the range of several runs, and where a
// Chromium start goes: the package's module graph, fetch + compile + instantiate of the wasm, the
// rest of createSwitchyard (config), the first answer; a second Switchyard in the same page; the
// inline copy of the wasm (dist/switchyard_core_wasm_{1,2}.js): import, decode, compile; and the
// app of tests/bundlers built by Vite and by esbuild (which takes the inline copy), from
// navigation to its answer on the page, with the gzip -9 size of what each page fetched.
//
//   node bench/start_bench.mjs [--runs 9] [--only chromium,node] [--root <repository>] [--json]
//
// --root serves and imports another checkout (e.g. the main branch, for a before/after).

import { execFile } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    only: { type: 'string', default: 'chromium,node' },
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const root = resolve(args.root);
const CONFIG = { providers: { demo: { type: 'echo' } } };
const REQUEST = { model: 'demo/echo-1', messages: [{ role: 'user', content: 'hi' }] };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// A folder (the repository by default) on loopback, uncached; `/` is an empty page to run the
// measurement in.
function serve(base = root) {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>start</title>');
    const path = resolve(join(base, pathname));
    if (!path.startsWith(base + sep) || !(await stat(path).then((s) => s.isFile(), () => false))) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// In the page: import the package, create a Switchyard, ask once; the times of each part (ms).
async function pageStart({ config, request }) {
  const marks = { start: performance.now() };
  const { createSwitchyard } = await import('/web/src/index.js');
  marks.imported = performance.now();
  const sy = await createSwitchyard({ config });
  marks.created = performance.now();
  const answer = await sy.chat.completions.create(request);
  marks.answered = performance.now();
  if (answer.object !== 'chat.completion') throw new Error('no answer');
  sy.close();
  const again = performance.now(); // a second Switchyard in the same page: nothing to fetch or compile again
  const sy2 = await createSwitchyard({ config });
  await sy2.chat.completions.create(request);
  marks.again = performance.now() - again;
  sy2.close();
  const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
  return {
    importMs: marks.imported - marks.start,
    createMs: marks.created - marks.imported,
    answerMs: marks.answered - marks.created,
    startMs: marks.answered - marks.imported,
    totalMs: marks.answered - marks.start,
    secondMs: marks.again,
    wasmFetchMs: wasm ? wasm.responseEnd - wasm.startTime : null,
  };
}

// The wasm alone, in a fresh page: fetch + streaming compile, then instantiate with stub imports.
async function pageCompile() {
  const start = performance.now();
  const module = await WebAssembly.compileStreaming(fetch('/web/dist/switchyard_core.wasm'));
  const compiled = performance.now();
  return { compileMs: compiled - start, exports: WebAssembly.Module.exports(module).length };
}

// The inline copy alone, in a fresh page: import of its two modules, decode into bytes, compile.
async function pageInline() {
  const start = performance.now();
  const { inlineBytes } = await import('/web/src/core_emscripten.js');
  const parts = await Promise.all([import('/web/dist/switchyard_core_wasm_1.js'), import('/web/dist/switchyard_core_wasm_2.js')]);
  const imported = performance.now();
  const bytes = inlineBytes(parts);
  const decoded = performance.now();
  await WebAssembly.compile(bytes);
  return { inlineImportMs: imported - start, inlineDecodeMs: decoded - imported, inlineCompileMs: performance.now() - decoded };
}

// The app of tests/bundlers built by `vite build` and by esbuild (the package from its npm pack
// tarball): navigation start → the answer in the page, HTML, bundle and wasm (or inline copy)
// included; and the gzip -9 bytes of the files each page fetched (its first run).
async function bundledRuns(browser) {
  const { buildEsbuild, buildVite, makeApp } = await import(join(root, 'tests/bundlers/build.mjs'));
  const work = join(root, 'build', 'start-bench');
  const app = await makeApp(join(work, 'app'));
  const results = Array.from({ length: runs }, () => ({}));
  for (const [name, builder] of [['vite', buildVite], ['esbuild', buildEsbuild]]) {
    const outDir = join(work, name);
    await builder(app, outDir);
    const server = await serve(outDir);
    try {
      for (let i = 0; i < runs + 1; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const fetched = [];
        page.on('response', (r) => r.ok() && fetched.push(new URL(r.url()).pathname));
        await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
        await page.waitForFunction(() => document.getElementById('answer')?.dataset.state === 'answered');
        const at = Number(await page.locator('#answer').getAttribute('data-at'));
        await context.close();
        if (i === 0) results.forEach((r) => (r[`${name}GzipKB`] = gzipKB(outDir, fetched)));
        else results[i - 1][`${name}Ms`] = at;
      }
    } finally {
      server.close();
    }
  }
  return results;
}

// The gzip -9 size (KB) of the files at `paths` under `dir`.
function gzipKB(dir, paths) {
  return paths.reduce((sum, path) => sum + gzipSync(readFileSync(join(dir, path)), { level: 9 }).length, 0) / 1000;
}

async function chromiumRuns() {
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const results = [];
  try {
    for (let i = 0; i < runs + 1; i++) {
      const context = await browser.newContext(); // nothing cached from the run before
      const page = await context.newPage();
      await page.goto(origin);
      const start = await page.evaluate(pageStart, { config: CONFIG, request: REQUEST });
      const other = await context.newPage();
      await other.goto(origin);
      const compile = await other.evaluate(pageCompile);
      const third = await context.newPage();
      await third.goto(origin);
      const inline = await third.evaluate(pageInline);
      await context.close();
      if (i > 0) results.push({ ...start, ...compile, ...inline }); // the first run warms the browser process up
    }
    const bundled = await bundledRuns(browser);
    bundled.forEach((b, i) => Object.assign(results[i], b));
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

// One fresh Node process per run: import the Node entry, create, ask once.
async function nodeRuns() {
  const entry = JSON.stringify(new URL(`file://${join(root, 'web/src/node.js')}`).href);
  const script = `
    const t0 = performance.now();
    const { createSwitchyard } = await import(${entry});
    const t1 = performance.now();
    const sy = await createSwitchyard({ config: ${JSON.stringify(CONFIG)} });
    const answer = await sy.chat.completions.create(${JSON.stringify(REQUEST)});
    const t2 = performance.now();
    if (answer.object !== 'chat.completion') throw new Error('no answer');
    sy.close();
    console.log(JSON.stringify({ importMs: t1 - t0, startMs: t2 - t1, totalMs: t2 - t0 }));`;
  const results = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    results.push(JSON.parse(stdout));
  }
  return results;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function summary(results) {
  const out = {};
  for (const key of Object.keys(results[0])) {
    const xs = results.map((r) => r[key]).filter((x) => typeof x === 'number');
    if (xs.length) out[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  return out;
}

const report = {};
const only = args.only.split(',');
if (only.includes('chromium')) report.chromium = summary(await chromiumRuns());
if (only.includes('node')) report.node = summary(await nodeRuns());

if (args.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`cold start, ${runs} runs each (median [min–max] ms), ${root}`);
  const labels = {
    startMs: 'createSwitchyard() → first echo answer',
    importMs: 'import of the package',
    totalMs: 'import + start',
    createMs: '  createSwitchyard() resolved',
    answerMs: '  first answer after that',
    wasmFetchMs: '  wasm download (resource timing)',
    secondMs: 'a second createSwitchyard() → its first answer',
    compileMs: 'wasm alone: fetch + compileStreaming',
    inlineImportMs: 'inline copy: import of its two modules',
    inlineDecodeMs: 'inline copy: decode into bytes',
    inlineCompileMs: 'inline copy: WebAssembly.compile',
    viteMs: 'vite-built app: navigation → answer shown',
    viteGzipKB: 'vite-built app: fetched, gzip -9 (KB)',
    esbuildMs: 'esbuild-built app (inline copy): → answer',
    esbuildGzipKB: 'esbuild-built app: fetched, gzip -9 (KB)',
  };
  for (const [where, numbers] of Object.entries(report)) {
    for (const [key, label] of Object.entries(labels)) {
      const n = numbers[key];
      if (n) console.log(`${where.padEnd(9)} ${label.padEnd(42)} ${n.median.toFixed(1).padStart(7)}  [${n.min.toFixed(1)}–${n.max.toFixed(1)}]`);
    }
  }
}
