// The gateway side by side with a bare workerd pass-through proxy (the floor: what any worker pays
// to proxy) and Portkey's gateway (npm @portkey-ai/gateway, one Node process), all in front of the
// same loopback upstream (bench/gateway_upstream.mjs), loaded in turn with the same body and
// connections. Run by `./dev bench gateway [options]`; bench/README.md explains the columns.
//
//   node bench/gateway_bench.mjs [--duration 8] [--connections 10] [--rounds 3] [--samples 400]
//                                [--memory 20000] [--only bare,switchyard,switchyard-hit,portkey] [--json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { ROOT, startGateway, workerdBinary } from '../worker/gateway.mjs';
import { writeBareProxy } from './bare_proxy.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    samples: { type: 'string', default: '400' },
    memory: { type: 'string', default: '20000' },
    only: { type: 'string', default: 'bare,switchyard,switchyard-hit,portkey' },
    json: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const SAMPLES = Number(args.samples);
const MEMORY_REQUESTS = Number(args.memory);
const ONLY = new Set(args.only.split(','));
const OUT = path.join(ROOT, 'build/bench-gateway');
const TICK_MS = 1000 / 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 10 ms ticks

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

/** CPU time (user + system, ms) and resident memory (bytes) of a process, from /proc. */
function usage(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpuMs, rss };
}

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

async function startBare(upstream) {
  const dir = path.join(OUT, 'bare');
  writeBareProxy(dir, upstream);
  const child = spawn(workerdBinary(), ['serve', 'bare.capnp', '--control-fd=3'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    child.stdio[3].on('data', (d) => {
      for (const line of String(d).split('\n')) if (line.includes('"listen"')) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`the bare proxy's workerd exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child) };
}

async function startSwitchyard(upstream, cache) {
  const config = {
    providers: { up: { type: 'openai-compatible', base_url: `${upstream}/v1` } },
    models: { bench: { provider: 'up', model: 'bench-model' } },
    ...(cache ? { cache: { enabled: true, max_bytes: 256 * 1024 } } : {}),
  };
  const gw = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(OUT, cache ? 'sy-cache' : 'sy'), demosDir: null });
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

/** RSS after the first 1,000 and after MEMORY_REQUESTS distinct requests (10 at a time). */
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
  const samples = {};
  const worker = async () => {
    while (next < MEMORY_REQUESTS) {
      const i = next++;
      await post(i);
      if (i === 999) samples.after1k = usage(server.pid).rss;
    }
  };
  const start = usage(server.pid).rss;
  await Promise.all(Array.from({ length: 10 }, worker));
  agents.destroy();
  return { start, after1k: samples.after1k, end: usage(server.pid).rss };
}

// ---------------------------------------------------------------------------------------------

const SERVERS = {
  bare: (up) => startBare(up),
  switchyard: (up) => startSwitchyard(up, false),
  'switchyard-hit': (up) => startSwitchyard(up, true),
  portkey: (up) => startPortkey(up),
};

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const upstream = await startChild(process.execPath, [path.join(ROOT, 'bench/gateway_upstream.mjs')]);
  const up = `http://127.0.0.1:${upstream.info.port}`;
  const servers = [];
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
      if (s.name !== 'switchyard-hit') r.addedTtfb = (await oneConnection(s, true)).ttfb50 - base.stream.ttfb50;
      if (MEMORY_REQUESTS > 0 && s.name !== 'portkey') r.memory = await memory(s);
    }
    report(rows, base);
  } finally {
    for (const s of servers) await s.stop();
    await stopChild(upstream.child);
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
