// The examples (examples/*/package.mjs and curl.sh) as a user runs them, offline (no provider
// key in their environment: the echo configs), checking what they print. The curl scripts are
// given a gateway already serving their config (started here as the gateway tests start it,
// on a free port) so that they do not run `./dev start` themselves.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startGateway } from '../../worker/gateway.mjs';
import { freePort, killGroup, track } from './gateway/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-examples-test-'));
const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const gateways = [];
// The pipeline example needs the runner (POST /v1/pipelines answers 501 without it). It passes
// with the runner merged (h10/run); then this goes, with the two `skip` options that use it.

after(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

// The environment of a user with no provider key (whatever this machine has).
function offlineEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'SWITCHYARD_EXAMPLE_PROVIDER', 'SWITCHYARD_PORT']) delete env[name];
  return { ...env, ...extra };
}

/**
 * Runs a command from the repository's root; resolves { code, stdout, stderr }. The command runs
 * in a process group of its own, killed whole when it overruns 30 s: a curl script that started
 * `./dev start` leaves no gateway behind (a SIGKILL skips the script's own EXIT trap).
 */
function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }), { group: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(child), 30000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr, toString: () => `exit ${code ?? signal}\n${stdout}\n${stderr}` });
    });
  });
}

const runPackage = (name, ...args) => run(process.execPath, [`examples/${name}/package.mjs`, ...args], offlineEnv());

// A gateway on the example's offline config; the script finds it through SWITCHYARD_PORT.
// (One test lets a script start its own with ./dev start, as a user's first run does.)
async function runCurl(name, ...args) {
  const gateway = await startGateway({ configPath: path.join(ROOT, 'examples', name, 'config.json'), port: 0, outDir: path.join(tmp, name), wasmPath });
  track(gateway.child);
  gateways.push(gateway);
  try {
    return await run(path.join(ROOT, 'examples', name, 'curl.sh'), args, offlineEnv({ SWITCHYARD_PORT: String(new URL(gateway.url).port) }));
  } finally {
    await gateway.stop();
  }
}

function lines(stdout) {
  return stdout.split('\n');
}

// load-balancing: N calls alternate between the two echo instances; the spread is N/2 each.
function checkLoadBalancing(result, calls) {
  const { code, stdout } = result;
  assert.equal(code, 0, String(result));
  assert.match(stdout, /^provider: echo, offline \(examples\/load-balancing\/config\.json\)/m);
  const targets = lines(stdout).map((l) => l.match(/^call (\d+): (\S+)/)).filter(Boolean);
  assert.deepEqual(targets.map((m) => Number(m[1])), Array.from({ length: calls }, (_, i) => i + 1));
  const seen = targets.map((m) => m[2]);
  assert.deepEqual(new Set(seen), new Set(['echo-a/echo-1', 'echo-b/echo-1']));
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `round robin alternates: ${seen}`);
  assert.match(stdout, /What is the capital of France\?/); // echo answers with the question
  const spread = stdout.slice(stdout.indexOf(`spread over ${calls} calls:`));
  assert.match(spread, new RegExp(`^  echo-a/echo-1  ${calls / 2}$`, 'm'));
  assert.match(spread, new RegExp(`^  echo-b/echo-1  ${calls / 2}$`, 'm'));
}

// caching: MISS then HIT, the same answer (echo: the prompt with the topic), and a time for each.
function checkCaching(result, topic) {
  const { code, stdout } = result;
  assert.equal(code, 0, String(result));
  assert.match(stdout, /^provider: echo, offline \(examples\/caching\/config\.json\)/m);
  assert.match(stdout, /^call 1: cache MISS in \d+\.\d ms \(echo\/echo-1\)$/m);
  assert.match(stdout, /^call 2: cache HIT in \d+\.\d ms \(echo\/echo-1\)$/m);
  const answers = lines(stdout).filter((l) => l.startsWith('  answer: '));
  assert.equal(answers.length, 2);
  for (const answer of answers) assert.ok(answer.includes(`Explain ${topic} to a curious twelve-year-old`), answer);
  assert.match(stdout, /^same answer: yes$/m);
}

describe('examples through the npm package', () => {
  test('load-balancing: 6 calls spread 3 / 3 over echo-a and echo-b', async () => {
    checkLoadBalancing(await runPackage('load-balancing'), 6);
  });

  test('load-balancing: N from the command line', async () => {
    checkLoadBalancing(await runPackage('load-balancing', '4'), 4);
    const bad = await runPackage('load-balancing', 'zero');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /usage/);
  });

  test('caching: the same call twice, MISS then HIT', async () => {
    checkCaching(await runPackage('caching'), 'how rainbows form');
    checkCaching(await runPackage('caching', 'tides'), 'tides');
  });

  test('describe-and-translate', async () => {
    const { code, stdout, stderr } = await runPackage('describe-and-translate');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^output: "Describe this image in one sentence\.\\n\[image\]"$/m);
    assert.match(stdout, /^  describe +echo\/echo-1 +cache MISS/m);
    assert.match(stdout, /^  translate +echo\/echo-1 +cache MISS/m);
    assert.match(stdout, /^step describe +echo\/echo-1 +cache HIT/m);
    assert.match(stdout, /^step translate +echo\/echo-1 +cache HIT/m);
    // The output step's tokens, if the cached answer is replayed as deltas, make the output.
    const deltas = lines(stdout).filter((l) => l.startsWith('delta ')).map((l) => JSON.parse(l.slice(6)));
    if (deltas.length > 0) assert.equal(deltas.join(''), 'Describe this image in one sentence.\n[image]');
    assert.match(stdout, /^done: output "Describe this image in one sentence\.\\n\[image\]"$/m);
  });
});

describe('examples with curl against the gateway', () => {
  test('load-balancing: 6 calls spread 3 / 3 over echo-a and echo-b', async () => {
    const result = await runCurl('load-balancing');
    assert.match(result.stdout, /^gateway: http:\/\/127\.0\.0\.1:\d+ \(already running\)$/m);
    checkLoadBalancing(result, 6);
  });

  test('load-balancing: with no gateway on its port, the script runs ./dev start and stops it after', async () => {
    const port = await freePort();
    const result = await run(path.join(ROOT, 'examples/load-balancing/curl.sh'), ['2'], offlineEnv({ SWITCHYARD_PORT: String(port) }));
    assert.match(result.stdout, new RegExp(`^gateway: starting ./dev start on http://127\\.0\\.0\\.1:${port} `, 'm'));
    checkLoadBalancing(result, 2);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }));
  });

  test('caching: the cache is emptied, then the same call twice, MISS then HIT', async () => {
    const result = await runCurl('caching', 'the "tides" \\ moon');
    assert.match(result.stdout, /^cache: cleared$/m);
    checkCaching(result, 'the \\"tides\\" \\\\ moon');
  });

  test('describe-and-translate', async () => {
    const { code, stdout, stderr } = await runCurl('describe-and-translate');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^status: 200$/m);
    assert.match(stdout, /"output": ?"Describe this image in one sentence\.\\n\[image\]"/);
    assert.match(stdout, /^event: step$/m);
    assert.match(stdout, /^event: done$/m);
  });
});
