// What the npm package ships (web/ is the package): `npm pack --dry-run --json` in web/ lists
// every module of web/src, the Emscripten build (.mjs + .wasm), the inline copy of the wasm
// (dist/switchyard_core_wasm_{1,2}.js, toolchain/inline_wasm.mjs), the README, the LICENSE and the
// config schema, and nothing else (no tests, demos or build files); every
// `exports` target is in that list. Needs the `web` build (web/dist).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const web = join(root, 'web');

const exists = (path) => stat(path).then(() => true, () => false);

// Every string an `exports` map points at, whatever its nesting of conditions.
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  return Object.values(value ?? {}).flatMap(exportTargets);
}

describe('npm pack of web/', () => {
  let files;
  let manifest;

  before(async () => {
    assert.ok(await exists(join(web, 'dist/switchyard_core.wasm')), 'web/dist is missing: build the `web` preset first');
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: web });
    const [packed] = JSON.parse(stdout);
    files = packed.files.map((f) => f.path).sort();
    manifest = JSON.parse(await readFile(join(web, 'package.json'), 'utf8'));
  });

  it('is the package named switchyard, with an MIT LICENSE', () => {
    assert.equal(manifest.name, 'switchyard');
    assert.equal(manifest.license, 'MIT');
    assert.equal(manifest.private, undefined);
  });

  it('holds every module of web/src, the .mjs, the .wasm and its inline copy, README.md, LICENSE and the schema', async () => {
    const sources = (await readdir(join(web, 'src'))).filter((name) => /\.(c?js|d\.c?ts)$/.test(name));
    assert.ok(sources.includes('index.js') && sources.includes('index.d.ts'));
    const expected = [
      ...sources.map((name) => `src/${name}`),
      'dist/switchyard_core.mjs',
      'dist/switchyard_core.wasm',
      'dist/switchyard_core_wasm_1.js',
      'dist/switchyard_core_wasm_2.js',
      'README.md',
      'LICENSE',
      'package.json',
      'config.schema.json',
    ];
    for (const file of expected) assert.ok(files.includes(file), `${file} is not in the package`);
  });

  it('holds nothing else: no tests, demos or build files', () => {
    const allowed = /^(src\/[\w.-]+\.(c?js|d\.c?ts)|dist\/switchyard_core\.(mjs|wasm)|dist\/switchyard_core_wasm_[12]\.js|README\.md|LICENSE|package\.json|config\.schema\.json)$/;
    assert.deepEqual(files.filter((file) => !allowed.test(file)), []);
  });

  it('ships every target of its exports map', () => {
    const targets = [...exportTargets(manifest.exports), manifest.types].map((target) => target.replace(/^\.\//, ''));
    for (const target of targets) {
      assert.ok(files.includes(target), `exports target ${target} is not in the package`);
    }
    assert.equal(manifest.exports['./wasm'], './dist/switchyard_core.wasm');
  });

  it('has the same LICENSE as the repository', async () => {
    assert.equal(await readFile(join(web, 'LICENSE'), 'utf8'), await readFile(join(root, 'LICENSE'), 'utf8'));
  });
});
