// The package's TypeScript types (web/src/index.d.ts, index.d.cts) compile for an ES module
// consumer and a CommonJS consumer (tests/types/esm, tests/types/cjs: strict), refuse wrong
// configs and calls (tests/types/esm/refused.ts: each @ts-expect-error is exactly the error on
// its next line), hold the config types generated from web/config.schema.json, and the CommonJS
// entry works in Node: require('switchyard') and a chat call.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TYPES = path.join(ROOT, 'tests/types');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

// The consumers import 'switchyard': the workspace's node_modules/switchyard when there is one,
// else a link tests/types/node_modules/switchyard to the repository (the package's root).
before(() => {
  const link = path.join(TYPES, 'node_modules/switchyard');
  const ours = existsSync(path.dirname(link)) && lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink();
  if (existsSync(path.join(ROOT, 'node_modules/switchyard'))) {
    if (ours) unlinkSync(link);
    return;
  }
  if (ours) return;
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(path.relative(path.dirname(link), ROOT), link, 'dir');
});

async function tsc(...args) {
  try {
    const { stdout } = await run(process.execPath, [TSC, ...args], { cwd: ROOT });
    return { code: 0, output: stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, output: error.stdout + error.stderr };
  }
}

test('an ES module consumer (module nodenext, strict) compiles against the package', async () => {
  const { code, output } = await tsc('--noEmit', '-p', 'tests/types/esm');
  assert.equal(code, 0, output);
});

test('a CommonJS consumer (no "type", module node16, strict) compiles: no TS1479', async () => {
  const { code, output } = await tsc('--noEmit', '-p', 'tests/types/cjs');
  assert.equal(code, 0, output);
});

test('each @ts-expect-error of refused.ts is the one error of its next line', async () => {
  const dir = path.join(TYPES, 'esm');
  const source = readFileSync(path.join(dir, 'refused.ts'), 'utf8').split('\n');
  const expected = [];
  const stripped = source.map((line, i) => {
    if (!line.trim().startsWith('// @ts-expect-error')) return line;
    expected.push(i + 2); // 1-based number of the next line
    return '//';
  });
  assert.ok(expected.length >= 30, `${expected.length} expectations`);
  const file = `.refused-stripped-${process.pid}.ts`;
  const config = `.tsconfig-stripped-${process.pid}.json`;
  writeFileSync(path.join(dir, file), stripped.join('\n'));
  writeFileSync(path.join(dir, config), JSON.stringify({ extends: './tsconfig.json', files: [file] }));
  try {
    const { code, output } = await tsc('--noEmit', '-p', path.join('tests/types/esm', config));
    assert.notEqual(code, 0);
    const lines = [...output.matchAll(/\.ts\((\d+),\d+\): error TS\d+/g)].map((m) => Number(m[1]));
    assert.deepEqual(lines, expected, output);
  } finally {
    rmSync(path.join(dir, file), { force: true });
    rmSync(path.join(dir, config), { force: true });
  }
});

test('the config types in index.d.ts are the ones generated from config.schema.json', async () => {
  const { stderr } = await run(process.execPath, [path.join(ROOT, 'scripts/schema-to-dts.mjs'), '--check'], { cwd: ROOT });
  assert.equal(stderr, '');
  const dts = readFileSync(path.join(ROOT, 'web/src/index.d.ts'), 'utf8');
  assert.match(dts, /export interface ConfigDocument \{/);
  assert.match(dts, /export type SwitchyardConfig = ConfigDocument \| string;/);
  const declarations = dts
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/'[^'\n]*'|"[^"\n]*"/g, "''")
    .replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(declarations, /\bany\b/, 'no any in the public types');
});

for (const flags of [[], ['--no-experimental-require-module']]) {
  test(`require('switchyard') from a CommonJS file answers a chat call ${flags.join(' ') || '(require of ES modules on)'}`, async () => {
    const { stdout } = await run(process.execPath, [...flags, path.join(TYPES, 'cjs/run.cjs')], { cwd: ROOT });
    assert.deepEqual(JSON.parse(stdout), {
      content: 'hello from CommonJS',
      refused: { instanceOf: true, status: 404 },
      badConfig: { instanceOf: true, status: 400 },
    });
  });
}
