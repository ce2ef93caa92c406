// Builds the demos as plain static files: node web/demos/build.mjs [out dir, default build/demos]
//
//   out/index.html, playground/, offline/, shared/   the pages (web/demos, without Node scripts)
//   out/src/   web/src (the npm package's JS)        out/dist/   web/dist (its wasm core)
//
// Every URL in the pages is relative, so any static server can host the folder, under any path.
// In the repository the pages map "switchyard" to ../../src/index.js (web/src); in the build
// web/src sits at out/src, so that one import-map path is rewritten. ./dev start runs this (it
// is a copy: fast); the gateway serves the result at /demos/.
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const PAGES = ['index.html', 'playground', 'offline', 'shared'];
const NODE_ONLY = new Set(['make-snapshot.mjs', 'build.mjs']);
const REPO_PATH = '"switchyard": "../../src/index.js"';
const BUILD_PATH = '"switchyard": "../src/index.js"';

const exists = (p) => stat(p).then(() => true, () => false);

/**
 * Builds into finalDir: in a folder next to it, then moved into place, so that finalDir holds
 * either the old build or the whole new one (a running gateway still needs a restart to see
 * it). Returns { outDir, core: whether web/dist was there to copy }.
 */
export async function buildDemos(finalDir = path.join(root, 'build/demos')) {
  const outDir = `${finalDir}.building-${process.pid}`;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  for (const name of PAGES) {
    await cp(path.join(here, name), path.join(outDir, name), {
      recursive: true,
      filter: (from) => !NODE_ONLY.has(path.basename(from)),
    });
  }
  for (const dir of ['playground', 'offline']) {
    for (const file of await readdir(path.join(outDir, dir))) {
      if (!file.endsWith('.html')) continue;
      const target = path.join(outDir, dir, file);
      const html = await readFile(target, 'utf8');
      if (!html.includes(REPO_PATH)) throw new Error(`${dir}/${file}: no import map entry ${REPO_PATH} to rewrite`);
      await writeFile(target, html.replace(REPO_PATH, BUILD_PATH));
    }
  }
  await cp(path.join(root, 'web/src'), path.join(outDir, 'src'), { recursive: true });
  const core = await exists(path.join(root, 'web/dist/switchyard_core.wasm'));
  if (core) await cp(path.join(root, 'web/dist'), path.join(outDir, 'dist'), { recursive: true });
  await rm(finalDir, { recursive: true, force: true });
  await rename(outDir, finalDir);
  return { outDir: finalDir, core };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outDir, core } = await buildDemos(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`demos built in ${path.relative(process.cwd(), outDir) || outDir}`);
  if (!core) console.log('web/dist is missing: the demos need the package\'s wasm core (`./dev build web`) to run');
}
