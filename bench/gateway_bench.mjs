// The gateway side by side with a bare workerd pass-through proxy (the floor: what any worker pays
// to proxy) and Portkey's gateway (npm @portkey-ai/gateway, one Node process), all in front of the
// same loopback upstream (bench/gateway_upstream.mjs), loaded in turn with the same body and
// connections. floor-pass, floor-miss and floor-hit (bench/bare_proxy.mjs) are the least any
// router pays that reads the caller's body and pipes the answer untouched (floor-pass), reads the
// answer whole too (a miss) or answers from memory (a hit), with no parsing and no policy: what
// the targets leave room for. Run by `./dev bench gateway [options]`; bench/README.md explains
// the columns.
//
//   node bench/gateway_bench.mjs [--duration 8] [--connections 10] [--rounds 3] [--samples 400]
//                                [--memory 20000] [--only bare,floor-pass,floor-miss,floor-hit,switchyard,switchyard-hit,portkey]
//                                [--json]
//   node bench/gateway_bench.mjs --memory-only [--memory 20000] [--only …]
//     only the memory rows, each server started fresh and loaded with nothing else first: RSS
//     after 1k, 5k, 10k, 20k, 40k… distinct requests (those up to --memory) and at the end
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { DEFAULT_V8_FLAGS, ROOT, startGateway, workerdBinary } from '../worker/gateway.mjs';
import { writeBareProxy } from './bare_proxy.mjs';
import { usage } from './proc_usage.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    samples: { type: 'string', default: '400' },
    memory: { type: 'string', default: '20000' },
    only: { type: 'string', default: 'bare,floor-pass,floor-miss,floor-hit,switchyard,switchyard-hit,portkey' },
    json: { type: 'boolean', default: false },
    'memory-only': { type: 'boolean', default: false },
    'v8-flags': { type: 'string' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const SAMPLES = Number(args.samples);
const MEMORY_REQUESTS = Number(args.memory);
const ONLY = new Set(args.only.split(','));
const MEMORY_ONLY = args['memory-only'];
// --v8-flags="--a --b=1": the V8 flags of the workerd servers named with a `+v8` suffix in
// --only (bare+v8, switchyard+v8, switchyard-hit+v8), which run beside the plain ones (those
// keep worker/gateway.mjs's DEFAULT_V8_FLAGS), so that one run compares both.
const V8_FLAGS = (args['v8-flags'] ?? '').split(' ').filter(Boolean);
if (!Number.isInteger(MEMORY_REQUESTS) || MEMORY_REQUESTS < 0) throw new Error(`--memory must be a whole number >= 0, got ${args.memory}`);
if (MEMORY_ONLY && MEMORY_REQUESTS < 1000) throw new Error('--memory-only needs --memory 1000 or more');
// The requests after which --memory reads the RSS: 1k, 5k, 10k, then doubling, and the end.
const MEMORY_ROWS = [1000, 5000, 10000];
while (MEMORY_ROWS.at(-1) * 2 < MEMORY_REQUESTS) MEMORY_ROWS.push(MEMORY_ROWS.at(-1) * 2);
const memoryRows = () => [...MEMORY_ROWS.filter((n) => n < MEMORY_REQUESTS), MEMORY_REQUESTS];
const OUT = path.join(ROOT, 'build/bench-gateway');

// A 1 KB chat body (the prompt makes up the size), and its stream twin.
const PROMPT = 'Summarise the following for a release note. '.repeat(21).slice(0, 900);
const body = (prompt = PROMPT, stream = false) =>
  JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: prompt }], max_tokens: 64, ...(stream ? { stream: true } : {}) });

// ---------------------------------------------------------------------------------------------
// Processes

/** Starts `command args` and resolves with the first JSON line it prints on stdout. */
function startChild(command, argv, options = {}) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout.on('data', (d) => {
      pending += d;
      const line = pending.split('\n')[0];
      if (pending.includes('\n')) {
        try {
          resolve({ child, info: JSON.parse(line) });
        } catch {
          pending = pending.slice(line.length + 1);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
}

const stopChild = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });

/** Resolves once `url` answers anything. */
async function waitUp(url, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${url} did not come up: ${error.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function startBare(upstream, v8Flags = DEFAULT_V8_FLAGS, kind = 'bare') {
  const dir = path.join(OUT, v8Flags === DEFAULT_V8_FLAGS ? kind : `${kind}-v8`);
  writeBareProxy(dir, upstream, v8Flags, kind);
  const child = spawn(workerdBinary(), ['serve', 'bare.capnp', '--control-fd=3'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    child.stdio[3].on('data', (d) => {
      for (const line of String(d).split('\n')) if (line.includes('"listen"')) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`the bare proxy's workerd exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child) };
}

async function startSwitchyard(upstream, cache, v8Flags = DEFAULT_V8_FLAGS) {
  const config = {
    providers: { up: { type: 'openai-compatible', base_url: `${upstream}/v1` } },
    models: { bench: { provider: 'up', model: 'bench-model' } },
    ...(cache ? { cache: { enabled: true, max_bytes: 256 * 1024 } } : {}),
  };
  const outDir = path.join(OUT, `${cache ? 'sy-cache' : 'sy'}${v8Flags === DEFAULT_V8_FLAGS ? '' : '-v8'}`);
  const gw = await startGateway({ configText: JSON.stringify(config), port: 0, outDir, demosDir: null, v8Flags });
  return { url: gw.url, pid: gw.child.pid, stop: gw.stop };
}

async function startPortkey(upstream) {
  const require = createRequire(import.meta.url);
  const entry = path.join(path.dirname(require.resolve('@portkey-ai/gateway/package.json')), 'build/start-server.js');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUp(`http://127.0.0.1:${port}/`);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () => stopChild(child),
    headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream}/v1`, authorization: 'Bearer sk-bench' },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request on a kept-alive connection: ms to the first body byte and to the end. */
function timed(url, headers, payload) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let first = null;
      res.on('data', () => (first ??= process.hrtime.bigint()));
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
        resolve({ ttfb: Number((first ?? end) - start) / 1e6, total: Number(end - start) / 1e6 });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** p50 of `SAMPLES` sequential requests at one connection (after 50 warm-up ones). */
async function oneConnection(server, stream) {
  const url = `${server.url}/v1/chat/completions`;
  const payload = body(PROMPT, stream);
  for (let i = 0; i < 50; i++) await timed(url, server.headers, payload);
  const ttfb = [];
  const total = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = await timed(url, server.headers, payload);
    ttfb.push(t.ttfb);
    total.push(t.total);
  }
  return { p50: median(total), ttfb50: median(ttfb) };
}

/** Throughput at CONNECTIONS connections for DURATION s, with the server's CPU per request. */
async function load(server) {
  const before = usage(server.pid);
  const result = await autocannon({
    url: `${server.url}/v1/chat/completions`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json', ...server.headers },
    body: body(),
  });
  const after = usage(server.pid);
  const ok = result.requests.total - result.non2xx - result.errors;
  if (result.non2xx || result.errors) console.error(`  ${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: ok / DURATION,
    cpuUs: ((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, ok),
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * RSS after the first 1,000, at each of memoryRows() and after MEMORY_REQUESTS distinct requests
 * (10 at a time; the prompt numbered). A row is read once that many requests have been answered.
 */
async function memory(server) {
  const url = `${server.url}/v1/chat/completions`;
  const agents = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const post = (i) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: agents, headers: { 'content-type': 'application/json', ...server.headers } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body(`${i} ${PROMPT}`));
    });
  let next = 0;
  let answered = 0;
  const wanted = memoryRows();
  const rows = [];
  const began = process.hrtime.bigint();
  const worker = async () => {
    while (next < MEMORY_REQUESTS) {
      await post(next++);
      answered++;
      if (answered === wanted[rows.length]) {
        rows.push({ requests: answered, rss: usage(server.pid).rss, seconds: Number(process.hrtime.bigint() - began) / 1e9 });
      }
    }
  };
  const start = usage(server.pid).rss;
  await Promise.all(Array.from({ length: 10 }, worker));
  agents.destroy();
  const at = (n) => rows.find((r) => r.requests === n)?.rss;
  return { start, after1k: at(1000), end: at(MEMORY_REQUESTS), rows };
}

// ---------------------------------------------------------------------------------------------

const SERVERS = {
  bare: (up) => startBare(up),
  'floor-pass': (up) => startBare(up, DEFAULT_V8_FLAGS, 'floor-pass'),
  'floor-miss': (up) => startBare(up, DEFAULT_V8_FLAGS, 'floor-miss'),
  'floor-hit': (up) => startBare(up, DEFAULT_V8_FLAGS, 'floor-hit'),
  switchyard: (up) => startSwitchyard(up, false),
  'switchyard-hit': (up) => startSwitchyard(up, true),
  portkey: (up) => startPortkey(up),
  'bare+v8': (up) => startBare(up, V8_FLAGS),
  'switchyard+v8': (up) => startSwitchyard(up, false, V8_FLAGS),
  'switchyard-hit+v8': (up) => startSwitchyard(up, true, V8_FLAGS),
};
for (const name of ONLY) if (!SERVERS[name]) throw new Error(`--only: unknown server ${JSON.stringify(name)} (known: ${Object.keys(SERVERS).join(', ')})`);

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const upstream = await startChild(process.execPath, [path.join(ROOT, 'bench/gateway_upstream.mjs')]);
  const up = `http://127.0.0.1:${upstream.info.port}`;
  const servers = [];
  if (MEMORY_ONLY) {
    try {
      await memoryOnly(up);
    } finally {
      await stopChild(upstream.child);
    }
    return;
  }
  try {
    for (const name of Object.keys(SERVERS).filter((n) => ONLY.has(n))) servers.push({ name, ...(await SERVERS[name](up)) });
    const direct = { name: 'direct', url: up, headers: {} };
    const rows = Object.fromEntries(servers.map((s) => [s.name, { rounds: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of servers) rows[s.name].rounds.push(await load(s));
    }
    const base = { one: await oneConnection(direct, false), stream: await oneConnection(direct, true) };
    for (const s of servers) {
      const r = rows[s.name];
      for (const k of ['rps', 'cpuUs', 'p50', 'p99']) r[k] = median(r.rounds.map((x) => x[k]));
      const one = await oneConnection(s, false);
      r.addedP50 = one.p50 - base.one.p50;
      const floor = s.name.startsWith('floor-'); // neither streams nor keeps anything
      if (!s.name.startsWith('switchyard-hit') && !floor) r.addedTtfb = (await oneConnection(s, true)).ttfb50 - base.stream.ttfb50;
      if (MEMORY_REQUESTS > 0 && s.name !== 'portkey' && !floor) r.memory = await memory(s);
    }
    report(rows, base);
  } finally {
    for (const s of servers) await s.stop();
    await stopChild(upstream.child);
  }
}

/** --memory-only: each server started fresh, loaded by memory() alone, then stopped. */
async function memoryOnly(up) {
  const rows = {};
  for (const name of Object.keys(SERVERS).filter((n) => ONLY.has(n) && n !== 'portkey' && !n.startsWith('floor-'))) {
    const s = { name, ...(await SERVERS[name](up)) };
    try {
      rows[name] = await memory(s);
    } finally {
      await s.stop();
    }
    if (!args.json) console.error(`${name}: ${rows[name].rows.map((r) => `${r.requests} → ${(r.rss / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
  }
  if (args.json) {
    console.log(JSON.stringify({ memory: MEMORY_REQUESTS, rows }, null, 2));
    return;
  }
  const wanted = memoryRows();
  const mib = (x) => (x / 2 ** 20).toFixed(1);
  console.log(`gateway memory: ${MEMORY_REQUESTS} distinct requests, 10 at a time, each server fresh; workerd RSS in MiB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`| | at start | ${wanted.map((n) => `${n / 1000}k`).join(' | ')} | end − 1k | req/s |`);
  console.log(`|---|---:|${wanted.map(() => '---:').join('|')}|---:|---:|`);
  for (const [name, m] of Object.entries(rows)) {
    const last = m.rows.at(-1);
    console.log(`| ${name} | ${mib(m.start)} | ${m.rows.map((r) => mib(r.rss)).join(' | ')} | ${mib(m.end - m.after1k)} | ${(last.requests / last.seconds).toFixed(0)} |`);
  }
}

function report(rows, base) {
  if (args.json) {
    console.log(JSON.stringify({ connections: CONNECTIONS, duration: DURATION, rounds: ROUNDS, base, rows }, null, 2));
    return;
  }
  const bare = rows.bare;
  const f = (x, d = 0) => (x === undefined ? '–' : x.toFixed(d));
  const signed = (x) => (x === undefined ? '–' : `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(3)} ms`);
  console.log(`gateway bench: ${CONNECTIONS} connections, ${DURATION} s × ${ROUNDS} rounds (medians), ${os.cpus().length} cores`);
  console.log(`direct upstream at 1 connection: p50 ${f(base.one.p50, 3)} ms, stream TTFB p50 ${f(base.stream.ttfb50, 3)} ms`);
  console.log('| | req/s | × bare | CPU µs/req | p50 ms | p99 ms | added p50 @1 conn | added TTFB (stream) | RSS after 1k → end |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(rows)) {
    const ratio = bare ? `${f(r.rps / bare.rps, 2)}×` : '–';
    const mem = r.memory ? `${f(r.memory.after1k / 2 ** 20)} → ${f(r.memory.end / 2 ** 20)} MB` : '–';
    console.log(`| ${name} | ${f(r.rps)} | ${ratio} | ${f(r.cpuUs)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${signed(r.addedP50)} | ${signed(r.addedTtfb)} | ${mem} |`);
  }
  if (rows.switchyard && rows.portkey) console.log(`switchyard / portkey throughput: ${f(rows.switchyard.rps / rows.portkey.rps, 2)}×`);
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(1);
});
