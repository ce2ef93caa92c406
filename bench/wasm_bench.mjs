// Engine costs through the wasm builds in Node: the same complete request cycle as
// bench/engine_bench.cc's BM_FullCycleUpstream (submit a 1 KB chat request for an
// openai-compatible target → FETCH → fetch_response → fetch_body with a 1 KB OpenAI answer →
// fetch_end → RESPOND), driven through the core adapters the hosts use, each call followed by
// next_deadline() as a host's timer needs (docs/host-interface.md):
//
//   wasi        createCCore over worker/dist/switchyard.wasm (node:wasi), as the edge worker
//   emscripten  createEmscriptenCore over web/dist/switchyard_core.{mjs,wasm}, as the npm package
//   body/*      the same cycle with the request body streamed in (begin, body, end), as the edge
//               worker hands over request.body
//   hit/*       a cache hit (as BM_CacheHit): one submit with one header line
//   edge-hit/*  the same hit as the edge worker hands it over: an official SDK's header lines,
//               the body streamed in
//   driver/*    the same cycle through web/src/driver.js with an in-memory fetch: what a host
//               pays per request (Response objects, streams, promises) on top of the core
//
// No network. Reports ns per request cycle (median of rounds, and the best round). The core
// rows of all builds run their rounds in turn (core/wasi round 1, core/emscripten round 1, ...,
// round 2, ...), so that a shared machine's load falls on every build alike; --base-wasi and
// --base-emscripten add other builds (rows "... (base)") to compare side by side in one run.
//
//   node bench/wasm_bench.mjs [--rounds N] [--iterations N] [--only wasi,emscripten,driver] [--json]
//                             [--wasi other.wasm] [--emscripten dir/of/other/build]
//                             [--base-wasi base.wasm] [--base-emscripten dir/of/base/build]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WASI } from 'node:wasi';
import { gzipSync } from 'node:zlib';

import { createCCore } from '../web/src/core_c.js';
import { createEmscriptenCore } from '../web/src/core_emscripten.js';
import { createDriver, decodeActions } from '../web/src/driver.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const root = new URL('../', import.meta.url);
const fileUrl = (p) => pathToFileURL(path.resolve(p));
// Other builds to compare: --wasi <file.wasm>, --emscripten <dir with switchyard_core.{mjs,wasm}>.
const WASI_WASM = arg('wasi') ? fileUrl(arg('wasi')) : new URL('worker/dist/switchyard.wasm', root);
const dirUrl = (p) => new URL(`${fileUrl(p).href}/`);
const EM_DIR = arg('emscripten') ? dirUrl(arg('emscripten')) : new URL('web/dist/', root);
const EM_MJS = new URL('switchyard_core.mjs', EM_DIR);
const EM_WASM = new URL('switchyard_core.wasm', EM_DIR);
const BASE_WASI_WASM = arg('base-wasi') ? fileUrl(arg('base-wasi')) : null;
const BASE_EM_DIR = arg('base-emscripten') ? dirUrl(arg('base-emscripten')) : null;
const ROUNDS = Number(arg('rounds', 7));
const ITERATIONS = Number(arg('iterations', 20000)); // per round, core benchmarks
const DRIVER_ITERATIONS = Math.max(1, Math.floor(ITERATIONS / 4));
const ONLY = new Set(String(arg('only', 'wasi,emscripten,driver')).split(','));
const JSON_OUT = args.includes('--json');

// The same config, request and answer as bench/engine_bench.cc.
const CONFIG = JSON.stringify({
  providers: {
    a: { type: 'openai-compatible', base_url: 'http://a.test/v1', api_key: 'sk-a' },
    b: { type: 'openai-compatible', base_url: 'http://b.test/v1' },
    echo: { type: 'echo' },
  },
  models: {
    fast: {
      strategy: 'fallback',
      targets: [
        { strategy: 'round_robin', targets: [{ provider: 'a', model: 'm-a' }, { provider: 'b', model: 'm-b' }] },
        { provider: 'echo', model: 'echo-1' },
      ],
    },
  },
});
const encoder = new TextEncoder();
const REQUEST = encoder.encode(
  `{"model": "fast", "temperature": 0.2,"messages": [{"role": "user", "content": "${'x'.repeat(900)}"}]}`,
);
const ANSWER = encoder.encode(
  `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m-a","choices":[{"index":0,"message":{"role":"assistant","content":"${'y'.repeat(850)}","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":230,"completion_tokens":213,"total_tokens":443}}`,
);
const HEADERS = 'content-type: application/json\n';
const FETCH = 1;
const RESPOND = 3;

async function loadWasi(file, seed) {
  const module = await WebAssembly.compile(await readFile(file));
  const wasi = new WASI({ version: 'preview1' });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  wasi.initialize(instance);
  return createCCore(instance.exports, seed);
}

async function loadEmscripten(dir, seed) {
  const wasmBinary = await readFile(new URL('switchyard_core.wasm', dir));
  const { default: factory } = await import(new URL('switchyard_core.mjs', dir).href);
  return createEmscriptenCore(await factory({ wasmBinary }), seed);
}

function configure(core) {
  const error = core.configure(CONFIG, '{}');
  if (error) throw new Error(`configure refused the bench config: ${error}`);
}

// One cycle, checked: the FETCH goes to a provider of the group and the RESPOND is a 200.
function checkedCycle(core, rid, now) {
  const submitted = decodeActions(core.submit(rid, 'POST', '/v1/chat/completions', HEADERS, REQUEST, now));
  const fetch = submitted.find((a) => a.kind === FETCH);
  if (!fetch || !/^http:\/\/[ab]\.test\/v1\/chat\/completions$/.test(fetch.url)) {
    throw new Error(`submit did not answer with a FETCH upstream: ${JSON.stringify(submitted.map((a) => [a.kind, a.url]))}`);
  }
  core.fetchResponse(fetch.id, 200, HEADERS, now);
  core.fetchBody(fetch.id, ANSWER, now);
  const ended = decodeActions(core.fetchEnd(fetch.id, now));
  const respond = ended.find((a) => a.kind === RESPOND && a.id === rid);
  if (!respond || respond.status !== 200) {
    throw new Error(`fetch_end did not RESPOND 200: ${JSON.stringify(ended.map((a) => [a.kind, a.status]))}`);
  }
  const answer = JSON.parse(new TextDecoder().decode(respond.body));
  if (answer.choices?.[0]?.message?.content !== 'y'.repeat(850)) throw new Error('the answer did not come through');
}

// The request's head and body, whole (submit) or streamed in (begin, body, end), each call
// followed by next_deadline(); returns the FETCH id, read from the batch in place (record 0:
// kind at +0, id at +4), nothing else decoded.
function sendRequest(core, rid, now, streamed) {
  let batch;
  if (streamed) {
    core.begin(rid, 'POST', '/v1/chat/completions', HEADERS, now);
    core.nextDeadline();
    core.body(rid, REQUEST, now);
    core.nextDeadline();
    batch = core.end(rid, now);
  } else {
    batch = core.submit(rid, 'POST', '/v1/chat/completions', HEADERS, REQUEST, now);
  }
  const fid = new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getUint32(4, true);
  core.nextDeadline();
  return fid;
}

// The timed cycle, as a host's hot path does it, warmed up; returns a function that times one
// round (ns per cycle), and checks the core still answers correctly when called with `true`.
function coreRounds(core, streamed = false) {
  let rid = 0;
  let now = 1;
  for (let i = 0; i < 200; i++) checkedCycle(core, ++rid, (now += 0.01));
  const cycle = () => {
    const fid = sendRequest(core, ++rid, (now += 0.01), streamed);
    core.fetchResponse(fid, 200, HEADERS, now);
    core.nextDeadline();
    core.fetchBody(fid, ANSWER, now);
    core.nextDeadline();
    const n = core.fetchEnd(fid, now).byteLength;
    return core.nextDeadline() === Infinity ? n : 0; // nothing is pending once answered
  };
  for (let i = 0; i < ITERATIONS; i++) cycle(); // warm-up: JIT tiers, wasm tier-up, allocator
  let sink = 0;
  return (check = false) => {
    if (check) {
      checkedCycle(core, ++rid, (now += 0.01)); // still answering correctly after the timed runs
      if (sink === 0) throw new Error('no output, or a deadline left pending after an answered request');
      return 0;
    }
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) sink += cycle();
    return Number(process.hrtime.bigint() - start) / ITERATIONS;
  };
}

// A cache hit (as BM_CacheHit): the same 1 KB request to a direct target with the cache on,
// answered once from upstream, then timed: submit → RESPOND from the core's cache.
const CACHE_CONFIG = JSON.stringify({
  providers: { a: { type: 'openai-compatible', base_url: 'http://a.test/v1' } },
  cache: { enabled: true },
});
const CACHED_REQUEST = encoder.encode(
  `{"model": "a/m-a", "temperature": 0.2,"messages": [{"role": "user", "content": "${'x'.repeat(900)}"}]}`,
);

// The header lines an official SDK's request reaches the edge worker with (the OpenAI JS SDK's
// own, and what workerd adds), for the edge-hit rows.
const SDK_HEADERS = [
  'accept: application/json',
  'authorization: Bearer sk-bench',
  'connection: keep-alive',
  `content-length: ${CACHED_REQUEST.length}`,
  'content-type: application/json',
  'host: 127.0.0.1:8787',
  'user-agent: OpenAI/JS 4.77.0',
  'x-stainless-arch: x64',
  'x-stainless-lang: js',
  'x-stainless-os: Linux',
  'x-stainless-package-version: 4.77.0',
  'x-stainless-retry-count: 0',
  'x-stainless-runtime: node',
  'x-stainless-runtime-version: v20.20.2',
].join('\n') + '\n';

// Warmed up; returns a function that times one round (ns per hit). `edge`: the request as the
// edge worker hands it over (an SDK's headers, the body streamed in: begin, body, end), not one
// submit with one header line.
function hitRounds(core, edge = false) {
  const error = core.configure(CACHE_CONFIG, '{}');
  if (error) throw new Error(`configure refused the cache config: ${error}`);
  const first = decodeActions(core.submit(1, 'POST', '/v1/chat/completions', HEADERS, CACHED_REQUEST, 1));
  const fetch = first.find((a) => a.kind === FETCH);
  core.fetchResponse(fetch.id, 200, HEADERS, 1);
  core.fetchBody(fetch.id, ANSWER, 1);
  core.fetchEnd(fetch.id, 1);
  let rid = 1;
  const submit = () => core.submit(++rid, 'POST', '/v1/chat/completions', HEADERS, CACHED_REQUEST, 2);
  const streamed = () => {
    core.begin(++rid, 'POST', '/v1/chat/completions', SDK_HEADERS, 2);
    core.nextDeadline();
    core.body(rid, CACHED_REQUEST, 2);
    return core.end(rid, 2);
  };
  const send = edge ? streamed : submit;
  const hit = () => {
    const n = send().byteLength;
    core.nextDeadline();
    return n;
  };
  const check = decodeActions(send());
  if (check[0]?.kind !== RESPOND || !/x-switchyard-cache: HIT/.test(check[0].headers)) {
    throw new Error('the cached request was not answered from the cache');
  }
  for (let i = 0; i < ITERATIONS; i++) hit();
  return () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) hit();
    return Number(process.hrtime.bigint() - start) / ITERATIONS;
  };
}

// The same cycle through the JS driver, with an in-memory upstream.
async function benchDriver(core) {
  const fakeFetch = async (url, init) => {
    if (!init.signal || !url.startsWith('http://')) throw new Error('unexpected fetch');
    return new Response(ANSWER, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const driver = createDriver(core, { fetch: fakeFetch, now: () => performance.now() });
  const headers = { 'content-type': 'application/json' };
  const cycle = async () => {
    const response = await driver.request('POST', '/v1/chat/completions', headers, REQUEST);
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`driver answered ${response.status}: ${new TextDecoder().decode(body)}`);
    return body.byteLength;
  };
  for (let i = 0; i < DRIVER_ITERATIONS; i++) await cycle();
  const perRound = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < DRIVER_ITERATIONS; i++) await cycle();
    perRound.push(Number(process.hrtime.bigint() - start) / DRIVER_ITERATIONS);
  }
  return perRound;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function sizes() {
  const out = [];
  for (const url of [...builds.map((b) => b.file), EM_MJS]) {
    const name = path.relative(fileURLToPath(root), fileURLToPath(url));
    try {
      const bytes = await readFile(url);
      out.push({ file: name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
    } catch {
      out.push({ file: name, missing: true });
    }
  }
  return out;
}

const results = [];
const builds = [
  { name: 'wasi', kind: 'wasi', load: (seed) => loadWasi(WASI_WASM, seed), file: WASI_WASM },
  { name: 'emscripten', kind: 'emscripten', load: (seed) => loadEmscripten(EM_DIR, seed), file: EM_WASM },
];
if (BASE_WASI_WASM) builds.push({ name: 'wasi (base)', kind: 'wasi', load: (seed) => loadWasi(BASE_WASI_WASM, seed), file: BASE_WASI_WASM });
if (BASE_EM_DIR) {
  const file = new URL('switchyard_core.wasm', BASE_EM_DIR);
  builds.push({ name: 'emscripten (base)', kind: 'emscripten', load: (seed) => loadEmscripten(BASE_EM_DIR, seed), file });
}
const cores = []; // [build, core]: the core, body and hit rows each use a core of their own
for (const build of builds) {
  const loaded = [];
  try {
    for (let i = 0; i < 4; i++) loaded.push(await build.load(1));
  } catch (error) {
    console.error(`${build.name}: cannot load ${fileURLToPath(build.file)} (${error.message}); build it first (./dev build)`);
    process.exitCode = 1;
    for (const core of loaded) core.free();
    continue;
  }
  for (const core of loaded) configure(core);
  cores.push([build, loaded]);
}

// Every build's round r, then every build's round r + 1 (in the reverse order), so that load
// drifts the same for all.
function interleaved(rows) {
  const perRound = rows.map(() => []);
  const order = rows.map((_, i) => i);
  for (let r = 0; r < ROUNDS; r++) {
    for (const i of r % 2 ? [...order].reverse() : order) perRound[i].push(rows[i][1]());
  }
  rows.forEach(([name, round, check], i) => {
    if (check) round(true);
    results.push({ name, ns_median: median(perRound[i]), ns_best: Math.min(...perRound[i]), iterations: ITERATIONS, rounds: ROUNDS });
  });
}

const timed = cores.filter(([build]) => ONLY.has(build.kind));
interleaved(timed.map(([build, [core]]) => [`core/${build.name}`, coreRounds(core), true]));
interleaved(timed.map(([build, [, core]]) => [`body/${build.name}`, coreRounds(core, true), true]));
interleaved(timed.map(([build, [, , core]]) => [`hit/${build.name}`, hitRounds(core), false]));
interleaved(timed.map(([build, [, , , core]]) => [`edge-hit/${build.name}`, hitRounds(core, true), false]));
for (const [build, [core]] of cores) {
  if (ONLY.has('driver')) {
    const rounds = await benchDriver(core);
    results.push({ name: `driver/${build.name}`, ns_median: median(rounds), ns_best: Math.min(...rounds), iterations: DRIVER_ITERATIONS, rounds: ROUNDS });
  }
}
for (const [, loaded] of cores) for (const core of loaded) core.free();

const files = await sizes();
if (JSON_OUT) {
  console.log(JSON.stringify({ node: process.version, results, files }, null, 2));
} else {
  console.log(`Full engine cycle, 1 KB request + 1 KB answer (Node ${process.version}, ${ROUNDS} rounds)`);
  console.log(`${'benchmark'.padEnd(24)}${'ns/cycle (median)'.padStart(20)}${'best round'.padStart(14)}${'iterations'.padStart(12)}`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(24)}${r.ns_median.toFixed(0).padStart(20)}${r.ns_best.toFixed(0).padStart(14)}${String(r.iterations).padStart(12)}`,
    );
  }
  console.log('\nwasm sizes');
  for (const f of files) {
    console.log(f.missing ? `${f.file.padEnd(32)} missing` : `${f.file.padEnd(32)}${String(f.bytes).padStart(9)} B raw${String(f.gzip).padStart(9)} B gzip -9`);
  }
}
