// bench/gateway_profile.mjs (issue 13's profiler of the gateway): the profile arithmetic on a
// synthetic profile, then tiny runs of each mode (the worker's code in Node, workerd through its
// inspector, the memory sampling) checked for a sane report. Nothing here depends on timing:
// only the shape of the report, the request count and the invariants of the arithmetic.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { analyseProfile, checkHits, groupOf, parseArgs, profileReport, retainedSites, shortCppName } from '../../bench/gateway_profile.mjs';
import { REFERENCE_WORKERS } from '../../bench/bare_proxy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'bench/gateway_profile.mjs');

function run(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, ...args, '--json'], { cwd: ROOT, timeout: 240000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const frame = (functionName, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '0' });

// root → pump (driver.js) → call (driver.js) → a wasm function; pump → Response (native); idle.
const PROFILE = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5] },
    { id: 2, callFrame: frame('pump', 'file:///x/web/src/driver.js', 10), children: [3, 6] },
    { id: 3, callFrame: frame('call', 'file:///x/web/src/driver.js', 20), children: [4] },
    { id: 4, callFrame: frame('sy::exchange::Exchange::start(sy::exchange::Start, double)', 'wasm://wasm/abc') },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('Response') },
  ],
  // Each sample is charged the delta that follows it.
  samples: [4, 4, 3, 6, 5, 2],
  timeDeltas: [0, 100, 100, 100, 100, 100, 100],
};

describe('profile arithmetic', () => {
  it('groups frames by file, wasm, builtins and V8 pseudo-frames', () => {
    assert.equal(groupOf(frame('pump', 'file:///a/web/src/driver.js')), 'driver.js');
    assert.equal(groupOf(frame('place', 'worker/web/src/core_c.js')), 'core_c.js');
    assert.equal(groupOf(frame('fd_write', 'file:///a/worker/src/wasi_shim.js')), 'wasi_shim.js');
    assert.equal(groupOf(frame('f', 'wasm://wasm/1234')), 'wasm core');
    assert.equal(groupOf(frame('Response')), 'builtins (V8/runtime, native)');
    assert.equal(groupOf(frame('(garbage collector)')), 'GC');
    assert.equal(groupOf(frame('x', 'node:internal/webstreams/readablestream')), 'Node web streams');
  });

  it('charges self time to the leaf and total time once to every group on the stack', () => {
    const { busy, idle, groups, functions } = analyseProfile(PROFILE);
    assert.equal(idle, 100);
    assert.equal(busy, 500);
    assert.deepEqual(groups.get('driver.js'), { self: 200, total: 500, group: undefined });
    assert.equal(groups.get('wasm core').self, 200);
    assert.equal(groups.get('builtins (V8/runtime, native)').total, 100);
    const selfSum = [...groups.values()].reduce((a, g) => a + g.self, 0);
    assert.equal(selfSum, busy);
    assert.equal(functions.get('sy::exchange::Exchange::start wasm').self, 200);
    assert.equal(functions.get('pump driver.js:11').total, 500);
  });

  it("reports per request, and lists a group's own functions", () => {
    const r = profileReport(PROFILE, 2, 10, 'driver.js');
    assert.equal(r.sampledBusyUsPerRequest, 250);
    assert.equal(r.groupsBySelf[0].share, 0.4);
    assert.deepEqual(r.groupFunctions.map((f) => f.name).sort(), ['call driver.js:21', 'pump driver.js:11']);
  });

  it('shortens C++ names and finds retained allocation sites', () => {
    assert.equal(shortCppName('void rapidjson::GenericReader<rapidjson::UTF8<char>>::ParseString<0u>(char*)'), 'rapidjson::GenericReader::ParseString');
    assert.equal(shortCppName('operator new(unsigned long)'), 'operator new');
    const heap = { head: { callFrame: frame('(root)'), selfSize: 0, children: [{ callFrame: frame('newState', 'web/src/driver.js', 4), selfSize: 4096, children: [] }] } };
    const retained = retainedSites(heap, 5);
    assert.equal(retained.totalBytes, 4096);
    assert.match(retained.sites[0].site, /^newState driver\.js:5 \[driver\.js\] < \(root\)/);
  });

  it('refuses unknown or malformed options', () => {
    assert.throws(() => parseArgs(['--requests', 'many']), /--requests needs a non-negative integer/);
    assert.throws(() => parseArgs(['--target', 'deno']), /--target is node or workerd/);
    assert.throws(() => parseArgs(['--fast']), /unknown option --fast/);
    assert.equal(parseArgs(['--requests', '5', '--same']).requests, 5);
    assert.throws(() => parseArgs(['--stream']), /--stream needs --target workerd/);
    assert.equal(parseArgs(['--target', 'workerd', '--stream']).stream, true);
    assert.equal(parseArgs(['--target', 'workerd', '--stream', '--chunks', '200']).chunks, 200);
    assert.throws(() => parseArgs(['--target', 'workerd', '--chunks', '200']), /--chunks needs --stream/);
  });

  it('--hit means identical bodies, needs a cache, and fails a run with any answer not from it', () => {
    const o = parseArgs(['--hit']);
    assert.equal(o.same, true);
    assert.throws(() => parseArgs(['--hit', '--cache-bytes', '0']), /--hit needs the switchyard worker with a cache/);
    assert.throws(() => parseArgs(['--hit', '--worker', 'bare']), /--hit needs the switchyard worker with a cache/);
    assert.throws(() => parseArgs(['--worker', 'floor-none']), /--worker is one of switchyard, bare, floor-.*, got floor-none/);
    checkHits(o, { HIT: 10 });
    assert.throws(() => checkHits(o, { HIT: 9, MISS: 1 }), /not cache hits: \{"MISS":1\}/);
    checkHits(parseArgs(['--same']), { MISS: 1 }); // without --hit, nothing is checked
  });
});

const SWITCHYARD_FILES = ['driver.js', 'core_c.js', 'index.js', 'wasm core'];

function assertSaneProfile(r, requests) {
  assert.deepEqual(r.statuses, { 200: requests });
  assert.ok(r.cpuUsPerRequest > 0 && r.wallUsPerRequest > 0);
  assert.ok(r.sampledBusyUsPerRequest > 0);
  const shares = r.groupsBySelf.reduce((a, g) => a + g.share, 0);
  assert.ok(Math.abs(shares - 1) < 1e-6, `self shares add up to ${shares}`);
  for (const g of r.groupsByTotal) assert.ok(g.totalUs >= g.selfUs - 1e-9, `${g.name}: total below self`);
  assert.ok(r.groupsByTotal.some((g) => SWITCHYARD_FILES.includes(g.name)), 'no Switchyard code in the profile');
}

describe('gateway_profile.mjs runs', { timeout: 600000 }, () => {
  it('profiles the worker in Node', async () => {
    const r = await run(['--requests', '50', '--warmup', '5', '--concurrency', '4']);
    assert.equal(r.target, 'node');
    assertSaneProfile(r, 50);
    assert.ok(r.coreCallsPerRequest >= 2 && r.coreWallUsPerRequest > 0, 'the core\'s exports were not timed');
  });

  it('profiles workerd through its inspector', async () => {
    const r = await run(['--target', 'workerd', '--requests', '30', '--warmup', '3', '--concurrency', '3']);
    assert.equal(r.target, 'workerd');
    assertSaneProfile(r, 30);
  });

  it('profiles streamed calls in workerd (--stream)', async () => {
    const r = await run(['--target', 'workerd', '--stream', '--requests', '20', '--warmup', '3', '--concurrency', '2']);
    assert.equal(r.target, 'workerd');
    assertSaneProfile(r, 20);
  });

  it('runs each floor worker of bench/bare_proxy.mjs in workerd, every request answered', async () => {
    for (const worker of REFERENCE_WORKERS.filter((w) => w.startsWith('floor-'))) {
      const r = await run(['--target', 'workerd', '--worker', worker, '--requests', '20', '--warmup', '2', '--concurrency', '2']);
      assert.deepEqual(r.statuses, { 200: 20 }, worker);
      assert.ok(r.cpuUsPerRequest > 0, worker);
    }
  });

  it("samples memory in Node: RSS, heap and the core's linear memory", async () => {
    const r = await run(['--memory', '--requests', '40', '--every', '20', '--concurrency', '4']);
    assert.deepEqual(r.samples.map((s) => s.requests), [0, 20, 40]);
    for (const s of r.samples) assert.ok(s.rss > 0 && s.heapUsed > 0 && s.wasmMemory >= 65536, JSON.stringify(s));
    assert.ok(r.retained.totalBytes > 0);
  });
});
