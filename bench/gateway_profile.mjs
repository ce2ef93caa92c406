// Where the gateway's CPU and memory go (issue 13, first step: measure before changing).
//
//   node bench/gateway_profile.mjs [options]
//
// --target node (default): runs the edge worker's own code (worker/src/index.js's fetch handler,
//   web/src/driver.js, web/src/core_c.js over worker/dist/switchyard.wasm with the worker's WASI
//   shim) in this Node process, without workerd, against an in-memory upstream `fetch` that
//   answers a fixed ~600-byte chat.completion. N requests with a 1 KB chat body at C concurrency,
//   under V8's CPU profiler (node:inspector); prints self and total time per file / function
//   group and per function, in µs per request. `--worker bare` runs a pass-through worker
//   (bench/bare_proxy.mjs in workerd) instead under the same harness: the floor any worker pays here;
//   with --target workerd, `--worker floor-pass` (or `floor-tee`, `floor-miss`, `floor-stream`,
//   `floor-hit`) runs one of that file's floor workers (no parsing, no policy: the least a
//   router pays).
// --target workerd: starts workerd on the same worker (worker/gateway.mjs writes its config) with
//   --inspector-addr, in front of a loopback upstream, applies the load over HTTP and profiles the
//   isolate through the Chrome DevTools protocol (Profiler.start/stop).
// --perf (with --target workerd): instead of V8's profiler, Linux perf samples the workerd process
//   from outside with call graphs (bench/gateway_perf.mjs), and the report puts its CPU per request
//   in buckets: the core's wasm code, JS code, each workerd API the JS calls (Body.arrayBuffer,
//   Headers.append…), garbage collection, promise jobs, workerd's request machinery, HTTP and
//   system calls. Needs perf (Debian's linux-perf) and root or perf_event_paranoid ≤ 1. With a
//   floor worker (--worker floor-…) it gives the same buckets for the least a gateway pays.
// --memory: instead of a CPU profile, samples memory every --every requests (after a forced GC):
//   RSS, JS heap, wasm linear memory (the core's exported memory) and, at the end, the
//   allocation sites still alive (V8's sampling heap profiler). Distinct requests by default.
//
// --chunks N (with --stream): the upstream sends N one-word content events instead, each written
//   on its own (a turn of its event loop apart), so that the gateway reads them apart: the
//   profile of a long streamed answer, mostly its per-chunk path.
// --stream (with --target workerd): streamed calls ("stream": true; the upstream answers 8 SSE
//   chunks at once), a profile of the stream path instead of the whole-answer one.
//
// Options: --requests N (2000) --concurrency C (10) --warmup W (200) --cache-bytes B (262144;
//   0 disables the cache) --same (every request identical: cache hits) --hit (--same, and the run
//   fails unless every measured answer says x-switchyard-cache: HIT) --every K (1000)
//   --interval µs (sampling interval, 100) --top T (15) --json (one JSON report on stdout)
//   --timeouts MS (the config's timeout_ms and gateway.body_timeout_ms; default: the core's)
//   --idle-after S (--memory: one more row after S seconds without requests)
//   --no-gc (--memory with workerd: no full GC before each row, and so no wasm memory size,
//   which is read through Runtime.queryObjects: what the RSS is when V8 alone decides to collect)
//   --allocated (--memory: the allocation sites list what was allocated, collected or not)
//   --wasm PATH (another build of the core: one whose wasm-opt step ran with -g keeps a name
//   section, and the profile then names the core's functions; docs/perf-gateway.md says how) --group NAME (also list the top functions of that group).
//
// The machine may be loaded: quote shares and ratios, not absolute numbers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REFERENCE_WORKERS, writeBareProxy } from './bare_proxy.mjs';
import { PERF_V8_FLAGS, perfBuckets, perfMapOf, recordPerf } from './gateway_perf.mjs';
import { usage } from './proc_usage.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- the workload ------------------------------------------------------------------------------

const ANSWER = JSON.stringify({
  id: 'chatcmpl-bench0000000000000000000001',
  object: 'chat.completion',
  created: 1767225600,
  model: 'bench-model-1',
  system_fingerprint: 'fp_bench',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'This is a fixed answer of the benchmark upstream. '.repeat(5).trim(), refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 212, completion_tokens: 61, total_tokens: 273 },
});
const ANSWER_HEADERS = {
  'content-type': 'application/json',
  'x-request-id': 'req_bench_0001',
  'openai-processing-ms': '12',
  'cache-control': 'no-store',
};

// A 1 KiB chat body; `serial` makes it distinct (a cache miss) unless the run uses --same.
function chatBody(serial, stream = false) {
  const head = `{"model":"chat","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"request ${serial} `;
  const tail = stream ? '"}],"temperature":0.2,"stream":true}' : '"}],"temperature":0.2}';
  return head + 'x'.repeat(Math.max(0, 1024 - head.length - tail.length)) + tail;
}

const CLIENT_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  authorization: 'Bearer sk-bench',
  'user-agent': 'OpenAI/JS 4.77.0',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '4.77.0',
  'x-stainless-os': 'Linux',
  'x-stainless-runtime': 'node',
};

function gatewayConfig(baseUrl, cacheBytes, timeoutMs = 0) {
  const deadlines = timeoutMs > 0 ? { timeout_ms: timeoutMs, gateway: { body_timeout_ms: timeoutMs } } : {};
  return {
    ...deadlines,
    providers: { up: { type: 'openai-compatible', base_url: baseUrl } },
    models: { chat: { targets: [{ provider: 'up', model: 'bench-model-1' }] } },
    retry: { attempts: 0 },
    cache: cacheBytes > 0 ? { enabled: true, policy: 'lru', max_bytes: cacheBytes, ttl_s: 3600 } : { enabled: false },
  };
}

export function parseArgs(argv) {
  const o = { target: 'node', worker: 'switchyard', requests: 2000, concurrency: 10, warmup: 200, cacheBytes: 262144, wasm: null, group: null };
  Object.assign(o, { perf: false, chunks: 0, stream: false, same: false, hit: false, every: 1000, interval: 100, top: 15, json: false, memory: false, timeouts: 0, idleAfter: 0, noGc: false, allocated: false });
  const numeric = { '--chunks': 'chunks', '--timeouts': 'timeouts', '--idle-after': 'idleAfter', '--requests': 'requests', '--concurrency': 'concurrency', '--warmup': 'warmup', '--cache-bytes': 'cacheBytes', '--every': 'every', '--interval': 'interval', '--top': 'top' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (numeric[a]) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer, got ${argv[i]}`);
      o[numeric[a]] = v;
    } else if (['--target', '--worker', '--wasm', '--group'].includes(a)) {
      o[a.slice(2)] = argv[++i];
    } else if (a === '--same') o.same = true;
    else if (a === '--hit') o.same = o.hit = true;
    else if (a === '--json') o.json = true;
    else if (a === '--stream') o.stream = true;
    else if (a === '--memory') o.memory = true;
    else if (a === '--perf') o.perf = true;
    else if (a === '--no-gc') o.noGc = true;
    else if (a === '--allocated') o.allocated = true;
    else throw new Error(`unknown option ${a} (see the comment at the top of bench/gateway_profile.mjs)`);
  }
  if (!['node', 'workerd'].includes(o.target)) throw new Error(`--target is node or workerd, got ${o.target}`);
  const workers = ['switchyard', ...REFERENCE_WORKERS];
  if (!workers.includes(o.worker)) throw new Error(`--worker is one of ${workers.join(', ')}, got ${o.worker}`);
  if (o.worker.startsWith('floor-') && o.target !== 'workerd') throw new Error(`--worker ${o.worker} needs --target workerd`);
  if (o.requests < 1 || o.concurrency < 1) throw new Error('--requests and --concurrency must be at least 1');
  if (o.stream && o.target !== 'workerd') throw new Error('--stream needs --target workerd');
  if (o.perf && (o.target !== 'workerd' || o.memory)) throw new Error('--perf needs --target workerd, and no --memory');
  if (o.chunks && !o.stream) throw new Error('--chunks needs --stream');
  if (o.hit && (o.cacheBytes === 0 || o.worker !== 'switchyard')) throw new Error('--hit needs the switchyard worker with a cache (--cache-bytes > 0)');
  return o;
}

// ---- profile analysis --------------------------------------------------------------------------

// The file or function group a profile frame belongs to.
export function groupOf(frame) {
  const { url = '', functionName: name = '' } = frame;
  if (name === '(idle)') return '(idle)';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native, unattributed (program)';
  if (name === '(root)') return '(root)';
  if (url.startsWith('wasm://') || /^(\$|wasm-function|js-to-wasm|wasm-to-js)/.test(name)) return 'wasm core';
  for (const file of ['web/src/driver.js', 'web/src/core_c.js', 'worker/src/wasi_shim.js', 'worker/src/index.js', 'worker/src/fetch_whole.js', 'worker/src/cache_kv.js']) {
    if (url.endsWith(file)) return path.basename(file);
  }
  if (url.includes('gateway_profile')) return 'bench harness';
  if (url.includes('undici')) return 'Node undici (Request/Response/Headers/fetch)';
  if (url.includes('webstreams')) return 'Node web streams';
  if (url.includes('encoding')) return 'TextEncoder/TextDecoder';
  if (url.startsWith('node:')) return 'Node internals (other)';
  if (url === '') return 'builtins (V8/runtime, native)';
  return path.basename(url);
}

// "ns::Class::method" without template arguments, parameters or libc++'s inline namespace.
export function shortCppName(name) {
  let out = '';
  let depth = 0;
  for (const c of name.replaceAll('std::__2::', 'std::').replaceAll('(anonymous namespace)', '{anon}')) {
    if (c === '<' || c === '(') depth++;
    if (depth === 0) out += c;
    if (c === '>' || c === ')') depth = Math.max(0, depth - 1);
  }
  if (out.startsWith('operator')) return out;
  return out.replace(/^.* (?=\S+$)/, '') || name; // drops a leading return type
}

function frameKey(frame) {
  if (frame.url.startsWith('wasm://')) return `${shortCppName(frame.functionName)} wasm`;
  const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : 'native';
  return `${frame.functionName || '(anonymous)'} ${where}`;
}

// Self and total time (µs) per group and per function from a Chrome DevTools CPU profile.
export function analyseProfile(profile) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0; // the time until the next sample
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  const groups = new Map();
  const functions = new Map();
  const bump = (map, key, field, us, group) => {
    const e = map.get(key) ?? { self: 0, total: 0, group };
    e[field] += us;
    map.set(key, e);
  };
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const leaf = nodes.get(id);
    if (groupOf(leaf.callFrame) === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    bump(groups, groupOf(leaf.callFrame), 'self', us);
    bump(functions, frameKey(leaf.callFrame), 'self', us, groupOf(leaf.callFrame));
    const seenGroups = new Set();
    const seenFunctions = new Map();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at).callFrame;
      seenGroups.add(groupOf(frame));
      seenFunctions.set(frameKey(frame), groupOf(frame));
    }
    for (const g of seenGroups) bump(groups, g, 'total', us);
    for (const [f, g] of seenFunctions) bump(functions, f, 'total', us, g);
  }
  groups.delete('(root)');
  functions.delete('(root) native');
  return { busy, idle, groups, functions };
}

function rows(map, field, top, requests, busy) {
  return [...map]
    .sort((a, b) => b[1][field] - a[1][field])
    .slice(0, top)
    .map(([name, e]) => ({ name, usPerRequest: e[field] / requests, share: busy ? e[field] / busy : 0, selfUs: e.self / requests, totalUs: e.total / requests }));
}

export function profileReport(profile, requests, top, group = null) {
  const { busy, idle, groups, functions } = analyseProfile(profile);
  const inGroup = new Map([...functions].filter(([, e]) => e.group === group));
  return {
    group,
    groupFunctions: group ? rows(inGroup, 'self', top, requests, busy) : [],
    sampledBusyUsPerRequest: busy / requests,
    sampledIdleUsPerRequest: idle / requests,
    groupsBySelf: rows(groups, 'self', 100, requests, busy),
    groupsByTotal: rows(groups, 'total', 100, requests, busy),
    functionsBySelf: rows(functions, 'self', top, requests, busy),
    functionsByTotal: rows(functions, 'total', top, requests, busy),
  };
}

// ---- running the worker's code in Node ---------------------------------------------------------

let capturedInstance = null;
const coreClock = { ns: 0n, calls: 0 }; // wall time inside the core's exports (sy_*, malloc, free)

// The instance's exports with every function timed (hrtime around the call; no nesting happens:
// the core calls no JS but the WASI shim).
function timedExports(exports) {
  const out = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function' || name === '_initialize') {
      out[name] = value;
      continue;
    }
    out[name] = (...args) => {
      const t0 = process.hrtime.bigint();
      try {
        return value(...args);
      } finally {
        coreClock.ns += process.hrtime.bigint() - t0;
        coreClock.calls++;
      }
    };
  }
  return out;
}

// The worker module, imported as workerd would (wasm, text and JSON modules), with the upstream
// `fetch` answered in memory; the wasm instance is captured for its memory.
async function loadWorker(kind, wasm) {
  globalThis.fetch = async (input, init = {}) => {
    if (init.body && typeof init.body.getReader === 'function') await new Response(init.body).arrayBuffer();
    return new Response(ANSWER, { status: 200, headers: ANSWER_HEADERS });
  };
  if (kind === 'bare') return { worker: bareWorker, memory: () => 0 };
  register(pathToFileURL(path.join(ROOT, 'bench/gateway_profile_load.mjs')), { data: { wasm: wasm && path.resolve(wasm) } });
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    const result = await instantiate.apply(WebAssembly, args);
    const instance = result.instance ?? result;
    if (typeof instance.exports.sy_engine_new !== 'function') return result; // not the core
    capturedInstance = instance;
    const timed = { exports: timedExports(capturedInstance.exports) };
    return result.instance ? { instance: timed, module: result.module } : timed;
  };
  const worker = (await import(pathToFileURL(path.join(ROOT, 'worker/src/index.js')).href)).default;
  return { worker, memory: () => capturedInstance?.exports.memory.buffer.byteLength ?? 0 };
}

// The floor: what any worker pays to pass a request through (the 20-line proxy).
const bareWorker = {
  async fetch(request) {
    const url = new URL(request.url);
    const answer = await fetch(`http://upstream.invalid${url.pathname}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      duplex: 'half',
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
};

// N requests through `worker.fetch` at C concurrency, each answer read whole, as workerd would
// send it; every waitUntil promise is awaited at the end.
async function driveNode(worker, env, { from, count, concurrency, same, caches = {} }) {
  const pending = new Set();
  const ctx = { waitUntil: (p) => (pending.add(p), p.finally(() => pending.delete(p)).catch(() => {})), passThroughOnException() {} };
  const statuses = {};
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const serial = from + next++;
      const body = chatBody(same ? 0 : serial);
      // With its content-length, as workerd hands the worker a request that came over HTTP.
      const request = new Request('http://gateway.local/v1/chat/completions', {
        method: 'POST',
        headers: { ...CLIENT_HEADERS, 'content-length': String(Buffer.byteLength(body)) },
        body,
      });
      const response = await worker.fetch(request, env, ctx);
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      const cache = response.headers.get('x-switchyard-cache') ?? 'none';
      caches[cache] = (caches[cache] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await Promise.all([...pending]);
  return statuses;
}

function post(session, method, params = {}) {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
}

async function profileNode(o) {
  const { worker } = await loadWorker(o.worker, o.wasm);
  const env = { SWITCHYARD_CONFIG: JSON.stringify(gatewayConfig('http://upstream.invalid/v1', o.cacheBytes, o.timeouts)) };
  const warm = await driveNode(worker, env, { from: 1e9, count: o.warmup, concurrency: o.concurrency, same: o.same });
  const session = new inspector.Session();
  session.connect();
  const run = await measured(o, (method, params) => post(session, method, params), async () => {
    const cpu0 = process.cpuUsage();
    Object.assign(coreClock, { ns: 0n, calls: 0 });
    const caches = {};
    const statuses = await driveNode(worker, env, { from: 0, count: o.requests, concurrency: o.concurrency, same: o.same, caches });
    const cpu = process.cpuUsage(cpu0);
    checkHits(o, caches);
    return { statuses, cpuUs: cpu.user + cpu.system };
  });
  session.disconnect();
  // Inside the core by the clock, per request (the profiler's sampling thread inflates it less
  // than it inflates the many short JS calls around it).
  const core = { coreWallUsPerRequest: Number(coreClock.ns) / 1000 / o.requests, coreCallsPerRequest: coreClock.calls / o.requests };
  return { target: 'node', worker: o.worker, warmupStatuses: warm, ...run, ...core };
}

// With --hit, every measured answer must have come from the core's cache (the warm-up made the
// one body a cached answer); `caches` counts the answers' x-switchyard-cache values.
export function checkHits(o, caches) {
  if (!o.hit) return;
  const misses = Object.entries(caches).filter(([value]) => value !== 'HIT');
  if (misses.length > 0) throw new Error(`--hit: answers that were not cache hits: ${JSON.stringify(Object.fromEntries(misses))}`);
}

// Runs `load` (→ { statuses, cpuUs }) under the CPU profiler (none with --interval 0); the report
// is per request.
async function measured(o, send, load) {
  if (o.interval > 0) {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: o.interval });
    await send('Profiler.start');
  }
  const t0 = process.hrtime.bigint();
  const { statuses, cpuUs } = await load();
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const report = { statuses, cpuUsPerRequest: cpuUs / o.requests, wallUsPerRequest: wallUs / o.requests };
  if (o.interval > 0) {
    const { profile } = await send('Profiler.stop');
    Object.assign(report, profileReport(profile, o.requests, o.top, o.group));
  }
  return report;
}

async function memoryNode(o) {
  const { worker, memory } = await loadWorker(o.worker, o.wasm);
  const env = { SWITCHYARD_CONFIG: JSON.stringify(gatewayConfig('http://upstream.invalid/v1', o.cacheBytes, o.timeouts)) };
  const session = new inspector.Session();
  session.connect();
  const sample = async (requests) => {
    await post(session, 'HeapProfiler.collectGarbage');
    const m = process.memoryUsage();
    return { requests, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, wasmMemory: memory() };
  };
  await driveNode(worker, env, { from: 1e9, count: 1, concurrency: 1, same: false });
  const samples = [await sample(0)];
  await post(session, 'HeapProfiler.startSampling', samplingParams(o));
  for (let done = 0; done < o.requests; ) {
    const count = Math.min(o.every, o.requests - done);
    await driveNode(worker, env, { from: done, count, concurrency: o.concurrency, same: o.same });
    done += count;
    samples.push(await sample(done));
  }
  const { profile } = await post(session, 'HeapProfiler.stopSampling');
  session.disconnect();
  return { target: 'node', worker: o.worker, samples, retained: retainedSites(profile, o.top) };
}

// The sampling heap profiler's parameters: with --allocated, objects already collected are kept
// in the profile, which then shows what each request allocates rather than what stays alive.
function samplingParams(o) {
  const all = o.allocated ? { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } : {};
  return { samplingInterval: 4096, ...all };
}

// Allocation sites of the objects still alive at the end (sampling heap profile), by function.
export function retainedSites(profile, top) {
  const sites = new Map();
  const walk = (node, stack) => {
    const key = `${frameKey(node.callFrame)} [${groupOf(node.callFrame)}]`;
    const here = [...stack, key];
    if (node.selfSize > 0) {
      const leaf = here.slice(-3).reverse().join(' < ');
      sites.set(leaf, (sites.get(leaf) ?? 0) + node.selfSize);
    }
    for (const c of node.children ?? []) walk(c, here);
  };
  walk(profile.head, []);
  const total = [...sites.values()].reduce((a, b) => a + b, 0);
  const list = [...sites].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalBytes: total, sites: list.map(([site, bytes]) => ({ site, bytes })) };
}

// ---- workerd through its inspector -------------------------------------------------------------

// The same answer's text as 8 chat.completion.chunk events and [DONE], for --stream.
const STREAM_EVENTS = (() => {
  const content = JSON.parse(ANSWER).choices[0].message.content;
  const event = (delta, finish) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1767225600, model: 'bench-model-1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const events = [event({ role: 'assistant', content: '' }, null)];
  const step = Math.ceil(content.length / 6);
  for (let i = 0; i < content.length; i += step) events.push(event({ content: content.slice(i, i + step) }, null));
  events.push(event({}, 'stop') + 'data: [DONE]\n\n');
  return events;
})();

// `chunks` (> 0): that many one-word content events, each written a turn of the loop apart.
function manyEvents(chunks) {
  const template = JSON.parse(STREAM_EVENTS[0].slice(6)); // the first event (its id, model…)
  const event = (delta, finish) => `data: ${JSON.stringify({ ...template, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const out = [event({ role: 'assistant', content: '' }, null)];
  for (let i = 0; i < chunks; i++) out.push(event({ content: `word${i} ` }, null));
  out.push(event({}, 'stop') + 'data: [DONE]\n\n');
  return out;
}

async function startUpstream(chunks = 0) {
  const many = chunks > 0 ? manyEvents(chunks) : null;
  const server = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      if (Buffer.concat(parts).includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_bench_0001' });
        if (!many) {
          for (const event of STREAM_EVENTS) res.write(event);
          res.end();
          return;
        }
        let i = 0;
        const next = () => {
          if (res.destroyed) return;
          res.write(many[i++]);
          if (i < many.length) setImmediate(next);
          else res.end();
        };
        next();
        return;
      }
      res.writeHead(200, { ...ANSWER_HEADERS, 'content-length': Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((r) => server.close(r)) };
}

// workerd on the gateway (or the bare worker), with its inspector; resolves once both listen.
async function startWorkerd(o, upstreamUrl, outDir) {
  const gw = await import(pathToFileURL(path.join(ROOT, 'worker/gateway.mjs')).href);
  const configText = JSON.stringify(gatewayConfig(upstreamUrl, o.cacheBytes, o.timeouts));
  const wasmPath = o.wasm ? path.resolve(o.wasm) : undefined;
  const v8Flags = o.perf ? [...gw.DEFAULT_V8_FLAGS, ...PERF_V8_FLAGS] : gw.DEFAULT_V8_FLAGS; // the gateway's, for every worker
  let file = gw.writeWorkerdConfig({ configText, outDir, address: '127.0.0.1:0', demosDir: null, wasmPath, v8Flags });
  if (o.worker !== 'switchyard') file = writeBareProxy(outDir, new URL(upstreamUrl).origin, v8Flags, o.worker);
  const child = spawn(gw.workerdBinary(), ['serve', file, '--control-fd=3', '--inspector-addr=127.0.0.1:0'], {
    cwd: outDir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const ports = await new Promise((resolve, reject) => {
    const found = {};
    const timer = setTimeout(() => reject(new Error(`workerd did not listen in time:\n${output}`)), 30000);
    let pending = '';
    child.stdio[3].on('data', (d) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const event = JSON.parse(line);
        if (event.event === 'listen' && event.socket === 'http') found.http = event.port;
        if (event.event === 'listen-inspector') found.inspector = event.port;
      }
      if (found.http && found.inspector) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => reject(new Error(`workerd exited (${code}):\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // workerd must not outlive this process, however it ends.
  const kill = () => {
    child.kill('SIGKILL');
    fs.rmSync(outDir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(128));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM'); // workerd sometimes ignores it with an inspector session open
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ...ports, stop };
}

// A minimal Chrome DevTools protocol client over the inspector's WebSocket.
async function cdpConnect(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  if (!targets.length) throw new Error('the workerd inspector lists no target');
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error('cannot open the inspector WebSocket'));
  });
  let id = 0;
  const waiting = new Map();
  const contexts = []; // execution context ids, once Runtime.enable was sent
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === 'Runtime.executionContextCreated') contexts.push(message.params.context.id);
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.error) w.reject(new Error(`${w.method}: ${message.error.message}`));
    else w.resolve(message.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      if (process.env.GATEWAY_PROFILE_DEBUG) console.error(`cdp ${method}`);
      const mid = ++id;
      waiting.set(mid, { resolve, reject, method });
      socket.send(JSON.stringify({ id: mid, method, params }));
    });
  return { send, contexts, close: () => socket.close() };
}

// N requests over HTTP at C concurrency (the client runs in this process).
async function driveHttp(url, { from, count, concurrency, same, stream = false, caches = {} }) {
  const statuses = {};
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const serial = from + next++;
      const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: CLIENT_HEADERS, body: chatBody(same ? 0 : serial, stream) });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      const cache = response.headers.get('x-switchyard-cache') ?? 'none';
      caches[cache] = (caches[cache] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return statuses;
}

// The byte length of every WebAssembly.Memory alive in the isolate (Runtime.queryObjects).
async function wasmMemories(cdp) {
  if (!cdp.contexts.length) await cdp.send('Runtime.enable');
  const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype', contextId: cdp.contexts[0] });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
  const sizes = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }',
    returnByValue: true,
  });
  return sizes.result.value;
}

async function withWorkerd(o, body) {
  const upstream = await startUpstream(o.chunks);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-profile-'));
  let wd = null;
  let cdp = null;
  try {
    wd = await startWorkerd(o, upstream.url, outDir);
    const url = `http://127.0.0.1:${wd.http}`;
    await driveHttp(url, { from: 1e9, count: Math.max(1, o.warmup), concurrency: o.concurrency, same: o.same, stream: o.stream });
    if (!o.perf) cdp = await cdpConnect(wd.inspector); // perf measures without an inspector session
    return await body({ url, pid: wd.child.pid, cdp });
  } finally {
    cdp?.close();
    await wd?.stop();
    await upstream.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

async function profileWorkerd(o) {
  return withWorkerd(o, async ({ url, pid, cdp }) => {
    const run = await measured(o, cdp.send, async () => {
      const before = usage(pid).cpuMs;
      const caches = {};
      const statuses = await driveHttp(url, { from: 0, count: o.requests, concurrency: o.concurrency, same: o.same, stream: o.stream, caches });
      const cpuUs = (usage(pid).cpuMs - before) * 1000;
      checkHits(o, caches);
      return { statuses, cpuUs };
    });
    return { target: 'workerd', worker: o.worker, ...run };
  });
}

// --perf: the load under Linux perf; the CPU per request (read from /proc, perf's own cost on the
// process included) split by the share of perf's samples in each bucket.
async function perfWorkerd(o) {
  return withWorkerd(o, async ({ url, pid }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-perf-'));
    try {
      const perf = await recordPerf(pid, dir);
      const before = usage(pid).cpuMs;
      const caches = {};
      const statuses = await driveHttp(url, { from: 0, count: o.requests, concurrency: o.concurrency, same: o.same, stream: o.stream, caches });
      const cpuUsPerRequest = ((usage(pid).cpuMs - before) * 1000) / o.requests;
      const { samples, buckets, leaves } = perfBuckets(await perf.stop());
      checkHits(o, caches);
      if (samples === 0) throw new Error('perf recorded no samples');
      const share = (e) => ({ name: e.name, us: (e.samples / samples) * cpuUsPerRequest, share: e.samples / samples });
      return { target: 'workerd', worker: o.worker, statuses, cpuUsPerRequest, samples, buckets: buckets.map(share), leaves: leaves.slice(0, o.top).map(share) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(perfMapOf(pid), { force: true });
    }
  });
}

async function memoryWorkerd(o) {
  return withWorkerd({ ...o, warmup: 1 }, async ({ url, pid, cdp }) => {
    const sample = async (requests, gc = !o.noGc) => {
      // HeapProfiler.collectGarbage never answers in workerd; Runtime.queryObjects collects
      // garbage before it walks the heap, so it runs first.
      const wasm = gc ? await wasmMemories(cdp) : [];
      const heap = await cdp.send('Runtime.getHeapUsage');
      const row = { requests, rss: usage(pid).rss, heapUsed: heap.usedSize, heapTotal: heap.totalSize, wasmMemory: wasm.reduce((a, b) => a + b, 0) };
      if (!o.json) console.error(JSON.stringify(row));
      return row;
    };
    const samples = [await sample(0)];
    await cdp.send('HeapProfiler.startSampling', samplingParams(o));
    for (let done = 0; done < o.requests; ) {
      const count = Math.min(o.every, o.requests - done);
      await driveHttp(url, { from: done, count, concurrency: o.concurrency, same: o.same });
      done += count;
      samples.push(await sample(done));
    }
    const { profile } = await cdp.send('HeapProfiler.stopSampling');
    if (o.noGc) samples.push({ ...(await sample(o.requests, true)), gc: true });
    if (o.idleAfter > 0) {
      await new Promise((resolve) => setTimeout(resolve, o.idleAfter * 1000));
      samples.push({ ...(await sample(o.requests)), idleSeconds: o.idleAfter });
    }
    return { target: 'workerd', worker: o.worker, samples, retained: retainedSites(profile, o.top) };
  });
}

// ---- printing ----------------------------------------------------------------------------------

const us = (v) => v.toFixed(1).padStart(8);
const pct = (v) => `${(v * 100).toFixed(1)}%`.padStart(7);
const mb = (v) => (v / 1048576).toFixed(1).padStart(8);

function printProfile(r, o) {
  const out = [];
  out.push(`${r.target}, worker ${r.worker}: ${o.requests} ${o.stream ? 'streamed ' : ''}requests at ${o.concurrency} concurrency, ${o.same ? 'identical' : 'distinct'} bodies, cache ${o.cacheBytes} B; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const sampled = r.sampledBusyUsPerRequest === undefined ? 'not profiled (--interval 0)' : `sampled busy ${r.sampledBusyUsPerRequest.toFixed(1)} µs/request (wall clock while on the stack)`;
  out.push(`statuses ${JSON.stringify(r.statuses)}; CPU ${r.cpuUsPerRequest.toFixed(1)} µs/request (${r.target === 'node' ? 'this process, harness included' : 'workerd process'}), wall ${r.wallUsPerRequest.toFixed(1)} µs/request; ${sampled}`);
  if (r.coreCallsPerRequest) out.push(`inside the core's exports: ${r.coreWallUsPerRequest.toFixed(1)} µs/request by the clock (${((r.coreWallUsPerRequest / r.wallUsPerRequest) * 100).toFixed(1)}% of the wall time), ${r.coreCallsPerRequest.toFixed(1)} calls/request`);
  if (r.sampledBusyUsPerRequest === undefined) return out.join('\n');
  const table = (title, list, field) => {
    out.push('', `${title}${' '.repeat(Math.max(1, 58 - title.length))}µs/req   share`);
    for (const e of list) out.push(`  ${e.name.slice(0, 56).padEnd(56)}${us(e[field])} ${pct(e[field] / r.sampledBusyUsPerRequest)}`);
  };
  table('groups by self time', r.groupsBySelf, 'selfUs');
  table('groups by total time (callees included)', r.groupsByTotal, 'totalUs');
  table('functions by self time', r.functionsBySelf, 'selfUs');
  table('functions by total time', r.functionsByTotal, 'totalUs');
  if (r.group) table(`functions of ${r.group} by self time`, r.groupFunctions, 'selfUs');
  return out.join('\n');
}

function printPerf(r, o) {
  const out = [`workerd under perf, worker ${r.worker}: ${o.requests} ${o.stream ? 'streamed ' : ''}requests at ${o.concurrency} concurrency, ${o.same ? 'identical' : 'distinct'} bodies, cache ${o.cacheBytes} B; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`];
  out.push(`statuses ${JSON.stringify(r.statuses)}; CPU ${r.cpuUsPerRequest.toFixed(1)} µs/request (workerd process, perf attached), ${r.samples} samples`);
  const table = (title, list) => {
    out.push('', `${title}${' '.repeat(Math.max(1, 66 - title.length))}µs/req   share`);
    for (const e of list) out.push(`  ${e.name.slice(0, 64).padEnd(64)}${us(e.us)} ${pct(e.share)}`);
  };
  table('buckets (each sample in the first that matches its stack)', r.buckets);
  table('leaf functions', r.leaves);
  return out.join('\n');
}

function printMemory(r, o) {
  const gc = o.noGc && r.target === 'workerd' ? 'no forced GC' : 'after a full GC at each row';
  const out = [`${r.target}, worker ${r.worker}: memory over ${o.requests} ${o.same ? 'identical' : 'distinct'} requests, cache ${o.cacheBytes} B (${gc}); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`];
  out.push(`${'requests'.padStart(9)}${'RSS MB'.padStart(9)}${'heap MB'.padStart(9)}${'wasm MB'.padStart(9)}${r.target === 'node' ? '  ext MB  bufs MB' : ''}`);
  for (const s of r.samples) {
    const extra = r.target === 'node' ? `${mb(s.external)} ${mb(s.arrayBuffers)}` : '';
    const idle = (s.idleSeconds ? `  (after ${s.idleSeconds} s idle)` : '') + (s.gc ? '  (after one full GC)' : '');
    out.push(`${String(s.requests).padStart(9)} ${mb(s.rss)} ${mb(s.heapUsed)} ${mb(s.wasmMemory)}${extra}${idle}`);
  }
  const what = o.allocated ? `sampled allocations during the run (collected or not): ${(r.retained.totalBytes / o.requests).toFixed(0)} B/request` : 'live sampled allocations at the end';
  out.push('', `${what}: ${(r.retained.totalBytes / 1024).toFixed(0)} KiB; top sites (alloc < caller < caller's caller):`);
  for (const s of r.retained.sites) out.push(`  ${(s.bytes / 1024).toFixed(0).padStart(7)} KiB  ${s.site}`);
  return out.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.target === 'workerd' && typeof WebSocket === 'undefined') {
    // Node 20 has WebSocket behind a flag; the inspector client needs it.
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.once('exit', (code) => process.exit(code ?? 1));
    return;
  }
  const run = { node: { cpu: profileNode, mem: memoryNode }, workerd: { cpu: o.perf ? perfWorkerd : profileWorkerd, mem: memoryWorkerd } }[o.target];
  const report = await (o.memory ? run.mem : run.cpu)(o);
  report.options = o;
  report.loadAverage = os.loadavg();
  const print = o.memory ? printMemory : o.perf ? printPerf : printProfile;
  console.log(o.json ? JSON.stringify(report) : print(report, o));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(`gateway_profile: ${error.stack ?? error}`);
    process.exit(1);
  });
}
