// Starts the edge gateway locally: writes a workerd config for a Switchyard config document and
// runs workerd on it. Used by worker/serve.mjs (the start command) and by the gateway tests.
//
//   const gw = await startGateway({ configPath, port: 0 });   // → { url, port, logs(), stop() }
//
// The generated folder (default build/gateway) holds config.capnp, a copy of the config and of
// every module at its repository-relative path, so that the worker's relative imports resolve
// and a rebuild of the wasm never changes a running gateway.
//
// Shared state: the worker's Durable Object namespace SWITCHYARD_STATE (worker/src/state_object.js)
// is stored under `stateDir` (`./dev start`: SWITCHYARD_STATE_DIR, default build/state), or for
// the life of the process without one. With `cluster`, workerd joins a cluster of instances
// that share those objects through a bucket (docs/deploy.md).
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
export const DEFAULT_STATE_DIR = path.join(ROOT, 'build/state'); // what ./dev start and serve.mjs use
const COMPATIBILITY_DATE = '2025-06-01'; // keep in step with worker/wrangler.toml
const STATE_UNIQUE_KEY = 'switchyard-state'; // the objects' folder under the state dir: never change it

// Module name (= repository-relative path) → module type in the workerd config.
const MODULES = [
  ['worker/src/index.js', 'esModule'],
  ['worker/src/wasi_shim.js', 'esModule'],
  ['worker/src/cache_kv.js', 'esModule'],
  ['worker/src/fetch_whole.js', 'esModule'],
  ['worker/src/state_object.js', 'esModule'],
  ['web/src/driver.js', 'esModule'],
  ['web/src/core_c.js', 'esModule'],
  ['worker/dist/switchyard.wasm', 'wasm'],
  ['worker/public/index.html', 'text'],
  ['worker/default-config.json', 'json'],
];

// V8 flags of the workerd process (its config's `v8Flags`; issue 13, measured in
// docs/perf-gateway.md "Memory"). workerd's wrappers of native objects (a request's Request,
// Headers, streams, Response…) outlive V8's young-generation collections and are freed only by a
// full one, with the native memory they hold. V8's defaults let the young generation grow to
// 16 MiB semi-spaces and put the first full collection at ~40 MiB of heap, so under load the RSS
// climbed ~130 MiB over 20,000 requests (the bare pass-through worker as much) before it
// levelled off. A 1 MiB semi-space and an 8 MiB initial heap keep the garbage between full
// collections small: the gateway's RSS stays within ~10 MiB of its level after the first 1,000
// requests, at no throughput cost measured. The heap still grows as far as live data needs
// (V8's maximum is unchanged). Cloudflare's runtime, where wrangler deploys the worker, sets
// its own.
export const DEFAULT_V8_FLAGS = Object.freeze(['--max-semi-space-size=1', '--initial-heap-size=8']);

export class GatewayError extends Error {}

// The checked v8Flags: each a `--name` or `--name=value` flag with no spaces; throws
// GatewayError naming the bad one.
function checkV8Flags(flags) {
  if (!Array.isArray(flags)) throw new GatewayError(`v8Flags must be an array of strings such as "--initial-heap-size=8", got ${JSON.stringify(flags)}`);
  for (const flag of flags) {
    if (typeof flag !== 'string' || !/^--[a-z0-9][a-z0-9_-]*(=[^\s]+)?$/i.test(flag)) {
      throw new GatewayError(`each V8 flag must look like --name or --name=value (no spaces), got ${JSON.stringify(flag)}`);
    }
  }
  return flags;
}

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
 * The cluster settings of `./dev start` / serve.mjs from SWITCHYARD_CLUSTER_* variables, or null
 * when SWITCHYARD_CLUSTER_BUCKET is unset (no cluster). Throws GatewayError naming the variable.
 *
 *   SWITCHYARD_CLUSTER_BUCKET          s3://bucket/prefix (S3, R2, S3-compatible) or gs://bucket/prefix
 *   SWITCHYARD_CLUSTER_BUCKET_OPTIONS  comma-separated key=value: aws_endpoint=…, aws_region=…,
 *                                      aws_access_key_id=…, aws_secret_access_key=…, aws_credentials_file=…
 *                                      (each falls back to workerd's AWS_* variables)
 *   SWITCHYARD_CLUSTER_ADDRESS         host:port this instance listens on for its peers (required)
 *   SWITCHYARD_CLUSTER_ADVERTISE       host:port peers reach it at (default: the address bound)
 *   SWITCHYARD_CLUSTER_KEY             the cluster's shared secret, at least 32 bytes
 *   SWITCHYARD_CLUSTER_KEY_FILE        or a file holding it (trailing whitespace dropped)
 *   SWITCHYARD_CLUSTER_STOP_TIMEOUT_MS handoff time on SIGTERM (workerd's default 8000)
 *   SWITCHYARD_CLUSTER_TIME_DIVISOR    tests only: divides the 20 s instance lease (workerd's unsafeTimeDivisor)
 */
export function clusterFromEnv(env = process.env) {
  const bucket = env.SWITCHYARD_CLUSTER_BUCKET;
  if (!bucket) {
    const stray = Object.keys(env).filter((n) => n.startsWith('SWITCHYARD_CLUSTER_') && env[n]);
    if (stray.length) throw new GatewayError(`${stray.sort().join(', ')} set without SWITCHYARD_CLUSTER_BUCKET: set the bucket to join a cluster`);
    return null;
  }
  let key = env.SWITCHYARD_CLUSTER_KEY;
  if (!key && env.SWITCHYARD_CLUSTER_KEY_FILE) {
    try {
      key = fs.readFileSync(env.SWITCHYARD_CLUSTER_KEY_FILE, 'utf8').trimEnd();
    } catch (error) {
      throw new GatewayError(`cannot read SWITCHYARD_CLUSTER_KEY_FILE ${env.SWITCHYARD_CLUSTER_KEY_FILE}: ${error.code ?? error.message}`);
    }
  }
  const number = (name) => {
    const text = env[name];
    if (!text) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new GatewayError(`${name} must be a whole number >= 1, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    bucket,
    bucketOptions: (env.SWITCHYARD_CLUSTER_BUCKET_OPTIONS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    address: env.SWITCHYARD_CLUSTER_ADDRESS,
    advertise: env.SWITCHYARD_CLUSTER_ADVERTISE || undefined,
    key,
    stopTimeoutMs: number('SWITCHYARD_CLUSTER_STOP_TIMEOUT_MS'),
    timeDivisor: number('SWITCHYARD_CLUSTER_TIME_DIVISOR'),
  };
}

// The capnp `cluster = (…)` member for checked cluster options (names as in clusterFromEnv).
function clusterCapnp(cluster, stateDir) {
  const q = capnpString;
  if (!/^(s3|gs):\/\/[^/]+/.test(cluster.bucket ?? '')) {
    throw new GatewayError(`the cluster bucket (SWITCHYARD_CLUSTER_BUCKET) must be s3://bucket/prefix or gs://bucket/prefix, got ${JSON.stringify(cluster.bucket)}`);
  }
  if (!cluster.address) throw new GatewayError('the cluster address (SWITCHYARD_CLUSTER_ADDRESS, host:port for the peers) is missing');
  if (typeof cluster.key !== 'string' || Buffer.byteLength(cluster.key) < 32) {
    throw new GatewayError('the cluster key (SWITCHYARD_CLUSTER_KEY or SWITCHYARD_CLUSTER_KEY_FILE) must be at least 32 bytes: e.g. `openssl rand -hex 32`');
  }
  if (!stateDir) throw new GatewayError('a cluster instance stores its Durable Objects on its own disk: give it a state directory (SWITCHYARD_STATE_DIR)');
  const members = [
    `bucket = ${q(cluster.bucket)}`,
    `bucketOptions = [${(cluster.bucketOptions ?? []).map(q).join(', ')}]`,
    `address = ${q(cluster.address)}`,
    ...(cluster.advertise ? [`advertise = ${q(cluster.advertise)}`] : []),
    `key = ${q(cluster.key)}`,
    ...(cluster.stopTimeoutMs ? [`stopTimeoutMs = ${Number(cluster.stopTimeoutMs)}`] : []),
    ...(cluster.timeDivisor ? [`unsafeTimeDivisor = ${Number(cluster.timeDivisor)}`] : []),
  ];
  return `\n  cluster = (\n    ${members.join(',\n    ')},\n  ),`;
}

// The persistent cache tier's pieces of the config: { binding, services, worker }, empty
// without a kvDir. In a cluster the KV worker's objects move between instances, so its blobs go
// to the bucket (a workerd `bucket` service) rather than to this instance's disk.
function kvParts(kvDir, inCluster) {
  const q = capnpString;
  if (!kvDir) return { binding: null, services: '', worker: '' };
  const dir = path.resolve(kvDir);
  fs.mkdirSync(path.join(dir, 'objects'), { recursive: true });
  if (!inCluster) fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  const blobs = inCluster
    ? `(name = "kv-blobs", bucket = (path = "kv-blobs")),`
    : `(name = "kv-blobs", disk = (path = ${q(path.join(dir, 'blobs'))}, writable = true)),`;
  return {
    binding: `    (name = "SWITCHYARD_CACHE", kvNamespace = (name = "kv", props = (json = ${q(JSON.stringify({ namespace: 'switchyard-cache' }))}))),`,
    services: `
    # The persistent cache tier: workerd's bundled KV worker, stored under ${q(dir)}.
    (name = "kv", worker = .kv),
    (name = "kv-objects", disk = (path = ${q(path.join(dir, 'objects'))}, writable = true)),
    ${blobs}`,
    worker: `
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
`,
  };
}

// The shared state's pieces of the config: { binding, services, members (of the first gateway
// worker, which defines the namespace; every copy binds it) }, empty with stateDir false.
function stateParts(stateDir, outDir) {
  const q = capnpString;
  if (stateDir === false) return { binding: null, services: '', members: '' };
  // workerd's in-memory storage has no SQL API: without a state dir the objects live in a
  // folder of outDir that every start empties, so they last as long as the process.
  const dir = path.resolve(stateDir || path.join(outDir, 'ephemeral-state'));
  if (!stateDir) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return {
    binding: `    (name = "SWITCHYARD_STATE", durableObjectNamespace = (className = "SwitchyardState", serviceName = "main")),`,
    services: `
    # The Durable Objects of the shared state (budgets, rate and concurrency pools) on disk.
    (name = "state-disk", disk = (path = ${q(dir)}, writable = true)),`,
    members: `
  durableObjectNamespaces = [(className = "SwitchyardState", uniqueKey = ${q(STATE_UNIQUE_KEY)}, enableSql = true)],
  durableObjectStorage = (localDisk = "state-disk"),`,
  };
}

/**
 * Writes config.capnp and the files it embeds into outDir; returns the capnp path. With `kvDir`
 * the worker gets a KV namespace SWITCHYARD_CACHE (its persistent cache tier), served by
 * workerd's bundled KV worker and stored under that directory, so it outlives the process.
 * With `demosDir` (default build/demos when it exists; null for none) the worker gets a
 * read-only disk service DEMOS over that folder and serves it at /demos/.
 *
 * Shared state: the worker defines the Durable Object namespace SWITCHYARD_STATE (class
 * SwitchyardState), stored on disk under `stateDir` (objects in <stateDir>/switchyard-state/),
 * or, when `stateDir` is undefined, in <outDir>/ephemeral-state/, emptied at every start
 * (workerd's in-memory storage has no SQL); `stateDir: false` binds none (every pool then
 * lives in the core, as in the npm package). `cluster` (see clusterFromEnv) makes this workerd
 * an instance of a cluster sharing those objects through a bucket; its KV blobs then live in the
 * bucket too. `isolates: n` serves n copies of the gateway worker (n isolates, as n edge
 * instances) on sockets http, http-2… sharing the one namespace. `main` replaces the main
 * module (tests: a worker that wraps index.js) and `extraModules` adds modules. `v8Flags`
 * (default DEFAULT_V8_FLAGS; [] for V8's own defaults) are the process's V8 flags.
 */
export function writeWorkerdConfig({
  configText, outDir, address, wasmPath = WASM_PATH, kvDir, demosDir, stateDir, cluster, isolates = 1, main, extraModules = [],
  v8Flags = DEFAULT_V8_FLAGS,
}) {
  checkV8Flags(v8Flags);
  if (!fs.existsSync(wasmPath)) {
    throw new GatewayError(`${wasmPath} is missing: build it with \`cmake --preset wasi && cmake --build --preset wasi\``);
  }
  const moduleList = [...(main ? [[main, 'esModule']] : []), ...MODULES, ...extraModules.map((m) => [m, 'esModule'])];
  for (const [name] of moduleList) {
    const from = name === 'worker/dist/switchyard.wasm' ? wasmPath : path.join(ROOT, name);
    const to = path.join(outDir, name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  fs.writeFileSync(path.join(outDir, 'config.json'), configText);

  const q = capnpString;
  const modules = moduleList.map(([name, type]) => `    (name = ${q(name)}, ${type} = embed ${q(name)}),`);
  const bindings = [
    `    (name = "SWITCHYARD_CONFIG", text = embed "config.json"),`,
    ...envNames(configText, wasmPath)
      .filter((n) => n !== 'SWITCHYARD_CACHE' && n !== 'SWITCHYARD_STATE')
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
  const kv = kvParts(kvDir, Boolean(cluster));
  if (kv.binding) bindings.push(kv.binding);
  const state = stateParts(stateDir, outDir);
  if (state.binding) bindings.push(state.binding);
  const clusterMember = cluster ? clusterCapnp(cluster, stateDir) : '';

  const count = Math.max(1, Math.floor(isolates));
  const services = ['    (name = "main", worker = .gateway),'];
  const sockets = [`(name = "http", address = ${q(address)}, http = (), service = "main")`];
  const workers = [];
  const worker = (constName, members) => `
const ${constName} :Workerd.Worker = (
  modules = [
${modules.join('\n')}
  ],
  compatibilityDate = ${q(COMPATIBILITY_DATE)},
  compatibilityFlags = ["enable_request_signal"],
  bindings = [
${bindings.join('\n')}
  ],
  globalOutbound = "upstream",${members}
);`;
  workers.push(worker('gateway', state.members));
  for (let i = 2; i <= count; i++) {
    services.push(`    (name = "main-${i}", worker = .gateway${i}),`);
    sockets.push(`(name = "http-${i}", address = ${q(address.replace(/:\d+$/, ':0'))}, http = (), service = "main-${i}")`);
    workers.push(worker(`gateway${i}`, ''));
  }
  const capnp = `# Generated by worker/gateway.mjs: do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (${v8Flags.length ? `\n  v8Flags = [${v8Flags.map(q).join(', ')}],` : ''}
  services = [
${services.join('\n')}
    # Upstream URLs come only from the Switchyard config; loopback and private
    # addresses are allowed so that local models and mock upstreams work.
    (name = "upstream", network = (allow = ["public", "private", "local"])),${demoServices}${kv.services}${state.services}
  ],
  sockets = [
    ${sockets.join(',\n    ')},
  ],${clusterMember}
);
${workers.join('\n')}
${kv.worker}`;
  const file = path.join(outDir, 'config.capnp');
  // The cluster key is a secret: the generated config is for this user only.
  fs.writeFileSync(file, capnp, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
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
 * Starts workerd for a config and resolves once /health answers (and, in a cluster, once the
 * instance has joined: GET /ready on its cluster port answers 200).
 * @param {{ configPath?: string, configText?: string, port?: number, host?: string,
 *           env?: Record<string,string>, outDir?: string, wasmPath?: string,
 *           stdio?: 'pipe'|'inherit', timeoutMs?: number, kvDir?: string, demosDir?: string|null,
 *           stateDir?: string|false, cluster?: object, isolates?: number,
 *           main?: string, extraModules?: string[], v8Flags?: string[] }} options
 *   port 0 picks a free port; kvDir gives the worker a disk-backed KV namespace SWITCHYARD_CACHE
 *   (L2 cache); demosDir is the static demos' folder served at /demos/ (default build/demos
 *   when it exists, null for none); stateDir, cluster, isolates, main, extraModules, v8Flags:
 *   see writeWorkerdConfig
 * @returns {Promise<{ url: string, urls: string[], port: number, clusterUrl: string|null,
 *                     child: import('node:child_process').ChildProcess,
 *                     logs: () => string, exited: Promise<number>, stop: () => Promise<number> }>}
 *   urls: one per isolate (urls[0] = url); clusterUrl: the cluster port, in a cluster (with
 *   the port bound when cluster.address asks for port 0)
 */
export async function startGateway(options = {}) {
  const { port = 8787, host = '127.0.0.1', env = {}, stdio = 'pipe', timeoutMs = 15000, isolates = 1 } = options;
  const outDir = path.resolve(options.outDir ?? path.join(ROOT, 'build/gateway'));
  const { text } = readConfig(options);
  const file = writeWorkerdConfig({
    configText: text,
    outDir,
    address: `${host}:${port}`,
    wasmPath: options.wasmPath,
    kvDir: options.kvDir,
    demosDir: options.demosDir,
    stateDir: options.stateDir,
    cluster: options.cluster,
    isolates,
    main: options.main,
    extraModules: options.extraModules,
    v8Flags: options.v8Flags,
  });

  // fd 3 is workerd's control channel: it reports the port it listens on as JSON lines.
  // workerd's bundled KV worker (the kvDir option) and cluster mode are experimental in
  // workerd's terms.
  const experimental = options.kvDir || options.cluster;
  const args = ['serve', file, '--control-fd=3', ...(experimental ? ['--experimental'] : [])];
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
      // A cluster instance hands its objects to its peers first (cluster.stopTimeoutMs).
      const grace = options.cluster ? (options.cluster.stopTimeoutMs ?? 8000) + 3000 : 3000;
      const timer = setTimeout(() => child.kill('SIGKILL'), grace);
      await exited;
      clearTimeout(timer);
    }
    return exitCode;
  };

  try {
    const socketNames = ['http', ...Array.from({ length: Math.max(1, Math.floor(isolates)) - 1 }, (_, i) => `http-${i + 2}`)];
    let clusterPort = null; // workerd reports the cluster port too (`listen-cluster`)
    const ports = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new GatewayError('workerd did not start listening in time')), timeoutMs);
      const bound = new Map();
      let pending = '';
      child.stdio[3].on('data', (d) => {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          try {
            const event = JSON.parse(line);
            if (event.event === 'listen' && socketNames.includes(event.socket)) bound.set(event.socket, event.port);
            if (event.event === 'listen-cluster') clusterPort = event.port;
          } catch {}
        }
        if (bound.size === socketNames.length && (!options.cluster || clusterPort !== null)) {
          clearTimeout(timer);
          resolve(socketNames.map((n) => bound.get(n)));
        }
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new GatewayError(`workerd exited with code ${code} before listening${output ? `:\n${output}` : ''}`));
      });
    });
    const urls = ports.map((p) => `http://${host}:${p}`);
    const deadline = Date.now() + timeoutMs;
    let clusterUrl = null;
    if (options.cluster) {
      // The address bound, with the port workerd reports (the address may ask for port 0).
      const bound = options.cluster.address.replace(/:\d+$/, '');
      clusterUrl = `http://${/^(0\.0\.0\.0|\[::\])$/.test(bound) ? '127.0.0.1' : bound}:${clusterPort}`;
      await waitForHealth(clusterUrl, deadline - Date.now(), () => exitCode !== null, '/ready');
    }
    for (const url of urls) await waitForHealth(url, deadline - Date.now(), () => exitCode !== null);
    return { url: urls[0], urls, port: ports[0], clusterUrl, child, logs: () => output, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// Resolves once `url` + `route` answers (/ready: answers 200).
async function waitForHealth(url, timeoutMs, gone, route = '/health') {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !gone()) {
    try {
      const r = await fetch(`${url}${route}`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (route === '/health' || r.status === 200) return r.status;
      last = `${route} answered ${r.status}`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } catch (error) {
      last = error.message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new GatewayError(`the gateway at ${url} did not answer ${route} (${gone() ? 'workerd exited' : last || 'timeout'})`);
}
