// Starts the edge gateway locally: writes a workerd config for a Switchyard config document and
// runs workerd on it. Used by worker/serve.mjs (the start command) and by the gateway tests.
//
//   const gw = await startGateway({ configPath, port: 0 });   // → { url, port, logs(), stop() }
//
// The generated folder (default build/gateway) holds config.capnp, a copy of the config and of
// every module at its repository-relative path, so that the worker's relative imports resolve
// and a rebuild of the wasm never changes a running gateway.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

import { createCCore } from '../web/src/core_c.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_CONFIG_PATH = path.join(ROOT, 'worker/default-config.json');
export const WASM_PATH = path.join(ROOT, 'worker/dist/switchyard.wasm');
export const DEMOS_DIR = path.join(ROOT, 'build/demos'); // web/demos/build.mjs writes it
const COMPATIBILITY_DATE = '2025-06-01'; // keep in step with worker/wrangler.toml

// Module name (= repository-relative path) → module type in the workerd config.
const MODULES = [
  ['worker/src/index.js', 'esModule'],
  ['worker/src/wasi_shim.js', 'esModule'],
  ['worker/src/cache_kv.js', 'esModule'],
  ['web/src/driver.js', 'esModule'],
  ['web/src/core_c.js', 'esModule'],
  ['worker/dist/switchyard.wasm', 'wasm'],
  ['worker/public/index.html', 'text'],
  ['worker/default-config.json', 'json'],
];

export class GatewayError extends Error {}

/** The config document's text, checked to be JSON; throws GatewayError with a clear message. */
export function readConfig({ configPath, configText } = {}) {
  let where = 'the config text';
  if (configText === undefined) {
    const file = path.resolve(configPath ?? DEFAULT_CONFIG_PATH);
    where = file;
    try {
      configText = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new GatewayError(`cannot read the config file ${file}: ${error.code ?? error.message}`);
    }
  }
  let config;
  try {
    config = JSON.parse(configText);
  } catch (error) {
    throw new GatewayError(`${where} is not valid JSON: ${error.message}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new GatewayError(`${where} must hold a JSON object (see SPEC section 1)`);
  }
  return { text: configText, config };
}

/**
 * Names of the environment variables the config references as "env:NAME", sorted: the WASI core
 * (`wasmPath`, instantiated under node:wasi) says which, so that the gateway binds exactly what
 * the core resolves. Throws GatewayError when the core cannot be run.
 */
export function envNames(configText, wasmPath = WASM_PATH) {
  let core;
  try {
    const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
    const wasi = new WASI({ version: 'preview1' });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject());
    wasi.initialize(instance);
    core = createCCore(instance.exports);
    return core.envNames(configText).sort();
  } catch (error) {
    throw new GatewayError(`cannot ask the core (${wasmPath}) which env names the config uses: ${error.message}`);
  } finally {
    core?.free();
  }
}

// A Cap'n Proto text literal: what JSON.stringify gives for plain names and paths, with quotes
// and backslashes escaped and control characters as \xNN, so that no name can end the literal.
function capnpString(text) {
  let out = '"';
  for (const c of String(text)) {
    const code = c.codePointAt(0);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + '"';
}

/**
 * Writes config.capnp and the files it embeds into outDir; returns the capnp path. With `kvDir`
 * the worker gets a KV namespace SWITCHYARD_CACHE (its persistent cache tier), served by
 * workerd's bundled KV worker and stored under that directory, so it outlives the process.
 * With `demosDir` (default build/demos when it exists; null for none) the worker gets a
 * read-only disk service DEMOS over that folder and serves it at /demos/.
 */
export function writeWorkerdConfig({ configText, outDir, address, wasmPath = WASM_PATH, kvDir, demosDir }) {
  if (!fs.existsSync(wasmPath)) {
    throw new GatewayError(`${wasmPath} is missing: build it with \`cmake --preset wasi && cmake --build --preset wasi\``);
  }
  for (const [name] of MODULES) {
    const from = name === 'worker/dist/switchyard.wasm' ? wasmPath : path.join(ROOT, name);
    const to = path.join(outDir, name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  fs.writeFileSync(path.join(outDir, 'config.json'), configText);

  const q = capnpString;
  const modules = MODULES.map(([name, type]) => `    (name = ${q(name)}, ${type} = embed ${q(name)}),`);
  const bindings = [
    `    (name = "SWITCHYARD_CONFIG", text = embed "config.json"),`,
    ...envNames(configText, wasmPath)
      .filter((n) => n !== 'SWITCHYARD_CACHE')
      .map((n) => `    (name = ${q(n)}, fromEnvironment = ${q(n)}),`),
  ];
  let demoServices = '';
  const demos = demosDir === undefined ? (fs.existsSync(DEMOS_DIR) ? DEMOS_DIR : null) : demosDir;
  if (demos) {
    bindings.push(`    (name = "DEMOS", service = "demos"),`);
    demoServices = `
    # The static demos (web/demos/build.mjs), served by the worker at /demos/.
    (name = "demos", disk = (path = ${q(path.resolve(demos))}, writable = false)),`;
  }
  let kvServices = '';
  let kvWorker = '';
  if (kvDir) {
    const dir = path.resolve(kvDir);
    fs.mkdirSync(path.join(dir, 'objects'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    bindings.push(`    (name = "SWITCHYARD_CACHE", kvNamespace = (name = "kv", props = (json = ${q(JSON.stringify({ namespace: 'switchyard-cache' }))}))),`);
    kvServices = `
    # The persistent cache tier: workerd's bundled KV worker, stored under ${q(dir)}.
    (name = "kv", worker = .kv),
    (name = "kv-objects", disk = (path = ${q(path.join(dir, 'objects'))}, writable = true)),
    (name = "kv-blobs", disk = (path = ${q(path.join(dir, 'blobs'))}, writable = true)),`;
    kvWorker = `
const kv :Workerd.Worker = (
  modules = [(name = "kv.js", bundled = "/workerd/kv.js")],
  compatibilityDate = ${q(COMPATIBILITY_DATE)},
  durableObjectNamespaces = [(className = "KVNamespace", uniqueKey = "switchyard-kv", enableSql = true)],
  durableObjectStorage = (localDisk = "kv-objects"),
  bindings = [
    (name = "SHARD", durableObjectNamespace = "KVNamespace"),
    (name = "BLOBS", service = "kv-blobs"),
  ],
);
`;
  }
  const capnp = `# Generated by worker/gateway.mjs: do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .gateway),
    # Upstream URLs come only from the Switchyard config; loopback and private
    # addresses are allowed so that local models and mock upstreams work.
    (name = "upstream", network = (allow = ["public", "private", "local"])),${demoServices}${kvServices}
  ],
  sockets = [(name = "http", address = ${q(address)}, http = (), service = "main")],
);

const gateway :Workerd.Worker = (
  modules = [
${modules.join('\n')}
  ],
  compatibilityDate = ${q(COMPATIBILITY_DATE)},
  compatibilityFlags = ["enable_request_signal"],
  bindings = [
${bindings.join('\n')}
  ],
  globalOutbound = "upstream",
);
${kvWorker}`;
  const file = path.join(outDir, 'config.capnp');
  fs.writeFileSync(file, capnp);
  return file;
}

export function workerdBinary() {
  const require = createRequire(import.meta.url);
  try {
    const bin = require('workerd').default;
    if (bin && fs.existsSync(bin)) return bin;
  } catch {}
  return path.join(ROOT, 'node_modules/.bin/workerd');
}

/**
 * Starts workerd for a config and resolves once /health answers.
 * @param {{ configPath?: string, configText?: string, port?: number, host?: string,
 *           env?: Record<string,string>, outDir?: string, wasmPath?: string,
 *           stdio?: 'pipe'|'inherit', timeoutMs?: number, kvDir?: string, demosDir?: string|null }} options
 *   port 0 picks a free port; kvDir gives the worker a disk-backed KV namespace SWITCHYARD_CACHE
 *   (L2 cache); demosDir is the static demos' folder served at /demos/ (default build/demos
 *   when it exists, null for none)
 * @returns {Promise<{ url: string, port: number, child: import('node:child_process').ChildProcess,
 *                     logs: () => string, exited: Promise<number>, stop: () => Promise<number> }>}
 */
export async function startGateway(options = {}) {
  const { port = 8787, host = '127.0.0.1', env = {}, stdio = 'pipe', timeoutMs = 15000 } = options;
  const outDir = path.resolve(options.outDir ?? path.join(ROOT, 'build/gateway'));
  const { text } = readConfig(options);
  const file = writeWorkerdConfig({
    configText: text,
    outDir,
    address: `${host}:${port}`,
    wasmPath: options.wasmPath,
    kvDir: options.kvDir,
    demosDir: options.demosDir,
  });

  // fd 3 is workerd's control channel: it reports the port it listens on as JSON lines.
  // workerd's bundled KV worker (the kvDir option) is experimental in workerd's terms.
  const args = ['serve', file, '--control-fd=3', ...(options.kvDir ? ['--experimental'] : [])];
  const child = spawn(workerdBinary(), args, {
    cwd: outDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdio, stdio, 'pipe'],
  });
  let output = '';
  if (stdio === 'pipe') {
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  let exitCode = null;
  exited.then((code) => (exitCode = code));

  const stop = async () => {
    if (exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    return exitCode;
  };

  try {
    const boundPort = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new GatewayError('workerd did not start listening in time')), timeoutMs);
      let pending = '';
      child.stdio[3].on('data', (d) => {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          try {
            const event = JSON.parse(line);
            if (event.event === 'listen' && event.socket === 'http') {
              clearTimeout(timer);
              resolve(event.port);
            }
          } catch {}
        }
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new GatewayError(`workerd exited with code ${code} before listening${output ? `:\n${output}` : ''}`));
      });
    });
    const url = `http://${host}:${boundPort}`;
    await waitForHealth(url, timeoutMs, () => exitCode !== null);
    return { url, port: boundPort, child, logs: () => output, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForHealth(url, timeoutMs, gone) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !gone()) {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return r.status;
    } catch (error) {
      last = error.message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new GatewayError(`the gateway at ${url} did not answer /health (${gone() ? 'workerd exited' : last || 'timeout'})`);
}
