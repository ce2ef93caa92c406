// Builds tests/bundlers/app (index.html + main.js, `import { createSwitchyard } from 'switchyard'`)
// with each bundler as a new user would: the package installed as a plain folder under the app's
// node_modules (the `npm pack` tarball of web/, unpacked as `npm install` does), and no
// bundler configuration beyond entry, output folder and format. tests/browser/bundlers.test.js
// serves each output on loopback and runs it in Chromium.

import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const here = fileURLToPath(new URL('.', import.meta.url));
const web = fileURLToPath(new URL('../../web/', import.meta.url));

/** A fresh app folder in `dir`: the app's files and the package as `npm install` of its tarball leaves it. */
export async function makeApp(dir) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(join(here, 'app'), dir, { recursive: true });
  const installed = join(dir, 'node_modules', 'switchyard');
  await mkdir(installed, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: web });
  const tarball = join(dir, JSON.parse(stdout)[0].filename);
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  await rm(tarball);
  return dir;
}

// The page for bundlers that do not process HTML: the bundle as a module or a classic script.
async function writePage(outDir, { module = true } = {}) {
  const html = (await readFile(join(here, 'app', 'index.html'), 'utf8')).replace(
    '<script type="module" src="./main.js"></script>',
    module ? '<script type="module" src="./main.js"></script>' : '<script src="./main.js"></script>',
  );
  await writeFile(join(outDir, 'index.html'), html);
}

/** `vite build`: Vite processes index.html itself. */
export async function buildVite(app, outDir) {
  const { build } = await import('vite');
  await build({ root: app, configFile: false, logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

/** The Vite dev server on loopback (its JS API); resolves to { url, close }. */
export async function serveViteDev(app) {
  const { createServer } = await import('vite');
  const server = await createServer({
    root: app, configFile: false, logLevel: 'error', server: { host: '127.0.0.1', port: 0, hmr: false },
  });
  await server.listen();
  return { url: server.resolvedUrls.local[0], close: () => server.close() };
}

/**
 * `esbuild --bundle --format=esm`, through its API; with `format: 'iife'` (esbuild's default
 * for browsers), the app's code after its import runs in an async function (IIFEs have no
 * top-level await) and the page loads a classic script.
 */
export async function buildEsbuild(app, outDir, { format = 'esm' } = {}) {
  const { build } = await import('esbuild');
  let entry = join(app, 'main.js');
  if (format === 'iife') {
    const [imports, ...body] = (await readFile(entry, 'utf8')).split(/^(?=const out)/m);
    entry = join(app, 'main_iife.js');
    await writeFile(entry, `${imports}(async () => {\n${body.join('')}})();\n`);
  }
  await build({ entryPoints: [entry], bundle: true, format, outfile: join(outDir, 'main.js'), logLevel: 'error' });
  await writePage(outDir, { module: format === 'esm' });
}

/**
 * Rollup with @rollup/plugin-node-resolve only (what a Rollup user has), ES output; with
 * `assets`, also @web/rollup-plugin-import-meta-assets, the plugin that emits the files named
 * by `new URL('…', import.meta.url)` (Rollup itself does not).
 */
export async function buildRollup(app, outDir, { assets = false } = {}) {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  const plugins = [nodeResolve({ browser: true })];
  if (assets) plugins.push((await import('@web/rollup-plugin-import-meta-assets')).importMetaAssets());
  const bundle = await rollup({ input: join(app, 'main.js'), plugins, logLevel: 'silent' });
  try {
    await bundle.write({ dir: outDir, format: 'es' });
  } finally {
    await bundle.close();
  }
  await writePage(outDir);
}

/** webpack 5, mode production, nothing but the entry and the output folder. */
export async function buildWebpack(app, outDir) {
  const { default: webpack } = await import('webpack');
  const compiler = webpack({ mode: 'production', context: app, entry: './main.js', output: { path: outDir } });
  const stats = await new Promise((ok, fail) => compiler.run((error, result) => (error ? fail(error) : ok(result))));
  await new Promise((ok) => compiler.close(ok));
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  await writePage(outDir, { module: false });
}
