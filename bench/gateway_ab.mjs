// Two trees' gateways side by side with the bare proxy and the floor workers of
// bench/bare_proxy.mjs (floor-pass; floor-tee and floor-stream too unless --whole), request by
// request: one streamed and one whole call to each in turn (the order rotating), at one
// connection each, so that the load of a shared machine hits all alike. Prints
// the p50 of the stream's time to first byte and of the whole call's time, and each minus the
// bare proxy's.
//
//   node bench/gateway_ab.mjs [--samples 1000] [--whole] [--same | --distinct] A=/path/to/tree B=/path/to/other/tree
//   node bench/gateway_ab.mjs --load 10 [--rounds 7] [--duration 4] [--same | --distinct] [--cache] [--system N]
//                             [--stream [--chunks N]] A=… B=…
//
// --load C: instead, CPU per request under load: each server in turn takes C connections of
// whole calls (streamed ones with --stream) for --duration seconds (autocannon, from
// bench/node_modules), the order rotating each of --rounds rounds after a warm-up round; prints
// the median CPU µs per request of each workerd process (/proc/<pid>/stat) and its req/s, then
// each later tree's CPU per request less the first tree's, round by round (their median). What
// a change saves per request shows there, where the same comparison through separate `./dev
// bench gateway` runs drifts with the machine's load by more than a few percent.
//
// --whole: only the whole (non-streamed) calls. --same: every whole call has the same body and
// the gateways get a 256 KiB response cache, so that after the first they are cache hits (the
// run fails unless the answers say x-switchyard-cache: HIT). --distinct: every body numbered
// (a miss on every call, whatever the cache). --cache: the 256 KiB response cache without --same
// too (with --distinct: misses that are keyed, stored and evict, as the issue's miss measure).
// --system N: every body starts with the same system message of N bytes, as an app's requests
// share their system prompt. --stream (with --load): the calls under load are streamed, and the
// upstream sends --chunks N content chunks of a word each (its default otherwise: 7), at once
// (--chunk-ms 0): the CPU per streamed call, most of it per chunk when N is large. The
// `floor-stream` worker (bench/bare_proxy.mjs: each chunk read and enqueued in JS, nothing else)
// runs beside the bare proxy then: what any gateway that sees each chunk pays.
//
// Each tree needs worker/dist (its gateway runs from its own worker/src); the bare proxy and
// the upstream (bench/gateway_upstream.mjs) are this tree's. The sequential one-connection
// measures of bench/gateway_bench.mjs drift with the load between runs of different trees by
// more than the differences between them; interleaved, they do not.
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { usage } from './proc_usage.mjs';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
let N = 1000;
let wholeOnly = false;
let same = false;
let distinct = false;
let cache = false;
let system = 0; // --system N
let streamLoad = false; // --stream
let chunks = null; // --chunks N
let load = 0; // --load C
let rounds = 7;
let duration = 4;
const trees = {};
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--samples') N = Number(argv[++i]);
  else if (argv[i] === '--whole') wholeOnly = true;
  else if (argv[i] === '--same') same = true;
  else if (argv[i] === '--distinct') distinct = true;
  else if (argv[i] === '--cache') cache = true;
  else if (argv[i] === '--system') system = Number(argv[++i]);
  else if (argv[i] === '--stream') streamLoad = true;
  else if (argv[i] === '--chunks') chunks = Number(argv[++i]);
  else if (argv[i] === '--load') load = Number(argv[++i]);
  else if (argv[i] === '--rounds') rounds = Number(argv[++i]);
  else if (argv[i] === '--duration') duration = Number(argv[++i]);
  else if (/^[A-Za-z]\w*=/.test(argv[i])) trees[argv[i].split('=')[0]] = path.resolve(argv[i].slice(argv[i].indexOf('=') + 1));
  else throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/gateway_ab.mjs)`);
}
if (!(N > 0) || Object.keys(trees).length === 0) throw new Error('usage: node bench/gateway_ab.mjs [--samples N] NAME=tree …');
if (streamLoad && !(load > 0)) throw new Error('--stream needs --load (the one-connection mode streams every other call already)');
if (chunks !== null && !streamLoad) throw new Error('--chunks needs --stream');
const bareMod = await import(pathToFileURL(path.join(ROOT, 'bench/bare_proxy.mjs')).href);
const gwMods = {};
for (const [t, dir] of Object.entries(trees)) gwMods[t] = await import(pathToFileURL(path.join(dir, 'worker/gateway.mjs')).href);
const here = await import(pathToFileURL(path.join(ROOT, 'worker/gateway.mjs')).href);
const upArgs = streamLoad ? ['--chunk-ms', '0', ...(chunks ? ['--chunks', String(chunks)] : [])] : [];
const up = spawn(process.execPath, [path.join(ROOT, 'bench/gateway_upstream.mjs'), ...upArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
const upPort = await new Promise((r) => up.stdout.once('data', (d) => r(JSON.parse(String(d)).port)));
const upstream = `http://127.0.0.1:${upPort}`;
const servers = {};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-ab-'));
// A reference worker of bench/bare_proxy.mjs in its own workerd, written into `where`: its process and URL.
async function startReference(kind, where) {
  bareMod.writeBareProxy(where, upstream, here.DEFAULT_V8_FLAGS, kind);
  const child = spawn(here.workerdBinary(), ['serve', 'bare.capnp', '--control-fd=3'], { cwd: where, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const port = await new Promise((r) => child.stdio[3].on('data', (d) => { for (const l of String(d).split('\n')) if (l.includes('"listen"')) r(JSON.parse(l).port); }));
  return { child, url: `http://127.0.0.1:${port}` };
}
const { child: bare, url: bareUrl } = await startReference('bare', dir);
servers.bare = bareUrl;
// Reference workers beside the bare proxy (name → process): floor-stream under --stream --load; in
// the one-connection mode floor-pass (the answer piped untouched), and for the streamed calls
// floor-tee (piped, a copy read in JS) and floor-stream (relayed through JS) too.
const references = {};
const kinds = load > 0 ? (streamLoad ? ['floor-stream'] : []) : wholeOnly ? ['floor-pass'] : ['floor-pass', 'floor-tee', 'floor-stream'];
for (const kind of kinds) {
  const started = await startReference(kind, path.join(dir, kind));
  references[kind] = started.child;
  servers[kind] = started.url;
}
const gws = [];
for (const t of Object.keys(trees)) {
  const config = { providers: { up: { type: 'openai-compatible', base_url: `${upstream}/v1` } }, models: { bench: { provider: 'up', model: 'bench-model' } } };
  if (same || cache) config.cache = { enabled: true, policy: 'lru', max_bytes: 262144, ttl_s: 3600 };
  const gw = await gwMods[t].startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(dir, t), demosDir: null });
  gws.push(gw);
  servers[t] = gw.url;
}
const agents = Object.fromEntries(Object.keys(servers).map((k) => [k, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
const PROMPT = 'Summarise the following for a release note. '.repeat(21).slice(0, 900);
let serial = 0; // --distinct
const SYSTEM = system > 0 ? [{ role: 'system', content: 'You write release notes. '.repeat(Math.ceil(system / 25)).slice(0, system) }] : [];
const body = (stream) => JSON.stringify({ model: 'bench', messages: [...SYSTEM, { role: 'user', content: distinct ? `${serial++} ${PROMPT}` : PROMPT }], max_tokens: 64, ...(stream ? { stream: true } : {}) });
function timed(name, stream) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(`${servers[name]}/v1/chat/completions`, { method: 'POST', agent: agents[name], headers: { 'content-type': 'application/json' } }, (res) => {
      let first = null;
      res.on('data', () => (first ??= process.hrtime.bigint()));
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode !== 200) return reject(new Error(`${name} ${res.statusCode}`));
        if (same && !stream && trees[name] && warm && res.headers['x-switchyard-cache'] !== 'HIT') return reject(new Error(`${name}: not a cache hit`));
        resolve({ ttfb: Number(first - start) / 1e6, total: Number(end - start) / 1e6 });
      });
    });
    req.on('error', reject);
    req.end(body(stream));
  });
}
const names = Object.keys(servers);
let warm = false;
if (load > 0) {
  try {
    await underLoad();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
  await stopAll();
}
const res = Object.fromEntries(names.map((n) => [n, { ttfb: [], total: [] }]));
for (let i = 0; i < N + 50; i++) {
  warm = i >= 50;
  const order = names.map((_, k) => names[(i + k) % names.length]);
  for (const n of order) {
    const s = wholeOnly ? { ttfb: NaN } : await timed(n, true);
    const w = await timed(n, false);
    if (warm) { res[n].ttfb.push(s.ttfb); res[n].total.push(w.total); }
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r = Object.fromEntries(names.map((n) => [n, { ttfb: med(res[n].ttfb), total: med(res[n].total) }]));
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${N} interleaved samples each, 1 connection${same ? ', cache hits' : distinct ? ', distinct bodies' : ''}`);
for (const n of names) {
  const stream = wholeOnly ? '' : `stream TTFB p50 ${r[n].ttfb.toFixed(3)} ms (−bare ${(r[n].ttfb - r.bare.ttfb).toFixed(3)})  `;
  console.log(`${n.padEnd(12)} ${stream}non-stream p50 ${r[n].total.toFixed(3)} ms (−bare ${(r[n].total - r.bare.total).toFixed(3)})`);
}
await stopAll();

async function stopAll() {
  for (const g of gws) await g.stop();
  bare.kill();
  for (const child of Object.values(references)) child.kill();
  up.kill();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(); // with process.exitCode
}

// --load: CPU µs per request and req/s of each server at `load` connections, rounds rotating.
async function underLoad() {
  const loader = path.join(ROOT, 'bench/node_modules/autocannon/autocannon.js');
  if (!fs.existsSync(loader)) throw new Error(`${loader} is missing: run \`npm ci --prefix bench\` (./dev bench gateway does)`);
  const { default: autocannon } = await import(pathToFileURL(loader).href);
  const pids = { bare: bare.pid, ...Object.fromEntries(Object.entries(references).map(([k, c]) => [k, c.pid])), ...Object.fromEntries(Object.keys(trees).map((t, k) => [t, gws[k].child.pid])) };
  const runs = Object.fromEntries(names.map((n) => [n, { us: [], rps: [] }]));
  for (let round = -1; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(round + 1 + k) % names.length];
      if (round === 0 && same && trees[n]) {
        warm = true;
        await timed(n, false); // throws unless it is a cache hit
      }
      const before = usage(pids[n]).cpuMs;
      const out = await autocannon({
        url: `${servers[n]}/v1/chat/completions`, method: 'POST', connections: load, duration: round < 0 ? 2 : duration,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: body(streamLoad) }) }],
      });
      if (out.non2xx || out.errors) throw new Error(`${n}: ${out.non2xx} answers not 2xx, ${out.errors} errors`);
      if (round < 0) continue; // warm-up
      runs[n].us.push(((usage(pids[n]).cpuMs - before) * 1000) / out.requests.total);
      runs[n].rps.push(out.requests.total / duration);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${load} connections, ${rounds} rounds of ${duration} s${same ? ', cache hits' : distinct ? ', distinct bodies' : ''}${streamLoad ? `, streamed (${chunks ?? 7} content chunks)` : ''}`);
  for (const n of names) {
    console.log(`${n.padEnd(12)} CPU µs/request ${med(runs[n].us).toFixed(0)} [${runs[n].us.map((x) => x.toFixed(0)).join(' ')}]  req/s ${med(runs[n].rps).toFixed(0)}`);
  }
  // Each later tree against the first, round by round: the machine's drift falls on both sides.
  const [first, ...others] = Object.keys(trees);
  for (const n of others) {
    const diffs = runs[n].us.map((us, r) => us - runs[first].us[r]);
    const lower = diffs.filter((d) => d < 0).length;
    console.log(`${n} − ${first}, paired by round: median ${med(diffs) >= 0 ? '+' : ''}${med(diffs).toFixed(0)} µs/request, lower in ${lower} of ${rounds} rounds`);
  }
}
