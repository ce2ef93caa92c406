// Routing, balancing and health end to end: workerd running worker/ with the WASI core, in front
// of the mock upstream. Every claim is checked where it happens — at the mock (call counts) or at
// a recording tap in front of it (arrival times, calls in flight) — not only in the gateway's
// own headers. Needs worker/dist/switchyard.wasm (`cmake --preset wasi && cmake --build --preset
// wasi`); SWITCHYARD_WASM may point at another build.
//
// Two gateways, started in parallel: `main` (no breaker in practice, retries with Retry-After
// up to 3 s, limits) and `brk` (breaker: 3 failures, 1 s cooldown), so that the breaker never
// changes what the balancing tests count.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { call, chat, track, userMessage } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-routing-test-'));
const ROUTE = 'POST /v1/chat/completions';
const BREAKER = { failures: 3, cooldown_ms: 1000 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A recording pass-through in front of the mock: for each scenario, when each call arrived and
 * ended, and the most calls it ever had in flight at once. Providers that need timing point
 * their base_url here (`tap.scenarioUrl(name)`); the mock still answers and counts every call.
 */
async function startTap(mock) {
  const target = new URL(mock.url);
  let calls = {}; // scenario -> [{ at, end, body }]
  let inflight = {};
  let maxInflight = {};
  const server = http.createServer((req, res) => {
    const scenario = decodeURIComponent(req.url.match(/^\/s\/([^/]+)\//)?.[1] ?? 'default');
    const record = { at: performance.now(), end: null, body: '' };
    (calls[scenario] ??= []).push(record);
    inflight[scenario] = (inflight[scenario] ?? 0) + 1;
    maxInflight[scenario] = Math.max(maxInflight[scenario] ?? 0, inflight[scenario]);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      record.end = performance.now();
      inflight[scenario]--;
    };
    res.once('close', finish);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      record.body = body.toString('utf8');
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
          answer.once('error', () => res.destroy());
        },
      );
      upstream.once('error', () => res.destroy()); // the mock reset the connection: so do we
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    scenarioUrl: (name) => `${url}/s/${encodeURIComponent(name)}/v1`,
    calls: (scenario) => (calls[scenario] ?? []).map((c) => ({ ...c })),
    maxInflight: (scenario) => maxInflight[scenario] ?? 0,
    reset() {
      calls = {};
      inflight = {};
      maxInflight = {};
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

let mock;
let tap;
let main; // gateway without an effective breaker
let brk; // gateway with BREAKER

function mainConfig() {
  const p = (scenario, extra = {}) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario), ...extra });
  const t = (scenario, extra = {}) => ({ type: 'openai-compatible', base_url: tap.scenarioUrl(scenario), ...extra });
  const leaf = (provider, model = 'm1', extra = {}) => ({ provider, model, ...extra });
  return {
    providers: {
      'rr-a': p('rr-a'), 'rr-b': p('rr-b'), 'rr-c': p('rr-c'),
      'rr2-a': p('rr2-a'), 'rr2-b': p('rr2-b'),
      'w-a': p('w-a'), 'w-b': p('w-b'),
      'fo-bad': p('fo-bad'), 'fo-good': p('fo-good'),
      'rrfo-bad': p('rrfo-bad'), 'rrfo-good': p('rrfo-good'),
      limited: t('limited'),
      serial: t('serial', { limits: { concurrency: 1 } }),
      queue: t('queue', { limits: { concurrency: 1 } }),
      prio: t('prio', { limits: { concurrency: 1 } }),
    },
    models: {
      rr3: { strategy: 'round_robin', targets: [leaf('rr-a'), leaf('rr-b'), leaf('rr-c')] },
      rr2: { strategy: 'round_robin', targets: [leaf('rr2-a'), leaf('rr2-b')] },
      w31: { strategy: 'weighted', targets: [leaf('w-a', 'm1', { weight: 3 }), leaf('w-b', 'm1', { weight: 1 })] },
      fo: { strategy: 'fallback', targets: [leaf('fo-bad'), leaf('fo-good')] },
      rrfo: { strategy: 'round_robin', targets: [leaf('rrfo-bad'), leaf('rrfo-good')] },
      limited: { strategy: 'fallback', targets: [leaf('limited')] },
      serial: { strategy: 'fallback', targets: [leaf('serial')] },
      queue: { strategy: 'fallback', targets: [leaf('queue')] },
      prio: { strategy: 'fallback', targets: [leaf('prio')] },
    },
    retry: { attempts: 1, on_status: [408, 429, 500, 502, 503, 504], backoff_ms: 1, max_backoff_ms: 3000 },
    breaker: { failures: 1000000, cooldown_ms: 60000 },
    cache: { enabled: false },
  };
}

function breakerConfig() {
  const p = (scenario) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario) });
  return {
    providers: {
      dead: p('dead'), live: p('live'), gone: p('gone'), live2: p('live2'),
      capped: { type: 'openai-compatible', base_url: tap.scenarioUrl('capped') },
    },
    models: {
      capped: { strategy: 'fallback', targets: [{ provider: 'capped', model: 'm1' }] },
      brk: { strategy: 'round_robin', targets: [{ provider: 'dead', model: 'm1' }, { provider: 'live', model: 'm1' }] },
      brk2: { strategy: 'round_robin', targets: [{ provider: 'gone', model: 'm1' }, { provider: 'live2', model: 'm1' }] },
    },
    retry: { attempts: 1, backoff_ms: 1, max_backoff_ms: 10 },
    breaker: BREAKER,
    cache: { enabled: false },
  };
}

before(async () => {
  mock = await startMock();
  tap = await startTap(mock);
  mock.setScenario('fo-bad', { status: 500 });
  mock.setScenario('rrfo-bad', { status: 500 });
  mock.setScenario('dead', { status: 500 });
  mock.setScenario('gone', { reset: true });
  mock.setScenario('limited', { sequence: [{ status: 429, retry_after: 1 }] });
  mock.setScenario('capped', { sequence: [{ status: 429, retry_after: 30 }] });
  mock.setScenario('serial', { latency_ms: 250 });
  mock.setScenario('queue', { latency_ms: 800 });
  mock.setScenario('prio', { latency_ms: 300 });
  const start = (name, config) =>
    startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, name), wasmPath }).then((g) => {
      track(g.child);
      return g;
    });
  [main, brk] = await Promise.all([start('main', mainConfig()), start('brk', breakerConfig())]);
});

after(async () => {
  await Promise.all([main?.stop(), brk?.stop()]);
  await tap?.close();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = { timeout: 15000 };
const count = (scenario) => mock.counts()[scenario]?.[ROUTE] ?? 0;
let serial = 0;
const ask = (gw, model, extra = {}, headers) =>
  chat(gw.url, { model, messages: userMessage(`hello ${model} ${++serial}`), ...extra }, headers);

async function statsRow(gw, target) {
  const r = await call(`${gw.url}/v1/stats`);
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json?.targets), r.text);
  const row = r.json.targets.find((t) => t.target === target);
  assert.ok(row, `${target} in /v1/stats: ${r.text}`);
  return row;
}

function assertOk(r) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json?.object, 'chat.completion', r.text);
}

describe('balancing, counted at the mock', () => {
  test('round_robin over 3 upstreams: exact rotation, exactly even counts', opts, async () => {
    const targets = [];
    for (let i = 0; i < 12; i++) {
      const r = await ask(main, 'rr3');
      assertOk(r);
      assert.equal(r.headers.get('x-switchyard-attempts'), '1');
      targets.push(r.headers.get('x-switchyard-target'));
    }
    assert.deepEqual([count('rr-a'), count('rr-b'), count('rr-c')], [4, 4, 4]);
    // exact rotation: every window of 3 names each upstream once
    for (let i = 0; i + 3 <= targets.length; i++) {
      assert.equal(new Set(targets.slice(i, i + 3)).size, 3, `window at ${i}: ${targets}`);
    }
  });

  test('round_robin over 2 upstreams with 10 concurrent requests: 5 and 5', opts, async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(main, 'rr2')));
    for (const r of answers) assertOk(r);
    assert.deepEqual([count('rr2-a'), count('rr2-b')], [5, 5]);
  });

  test('weighted 3:1: 30/10 at the mock, and 3:1 in every window of 4', opts, async () => {
    const targets = [];
    for (let i = 0; i < 40; i++) {
      const r = await ask(main, 'w31');
      assertOk(r);
      targets.push(r.headers.get('x-switchyard-target'));
    }
    assert.deepEqual([count('w-a'), count('w-b')], [30, 10]);
    for (let i = 0; i + 4 <= targets.length; i++) {
      const a = targets.slice(i, i + 4).filter((t) => t === 'w-a/m1').length;
      assert.equal(a, 3, `window at ${i}: ${targets.slice(i, i + 4)}`);
    }
  });
});

describe('failover and retries', () => {
  test('fallback: the first upstream answers 500 every time, every request succeeds', opts, async () => {
    const n = 5;
    for (let i = 0; i < n; i++) {
      const r = await ask(main, 'fo');
      assertOk(r);
      assert.equal(r.headers.get('x-switchyard-target'), 'fo-good/m1');
      // the first try and its one retry on fo-bad, then fo-good
      assert.equal(r.headers.get('x-switchyard-attempts'), '3');
    }
    assert.equal(count('fo-bad'), 2 * n);
    assert.equal(count('fo-good'), n);
  });

  test('round_robin with one upstream answering 500: every request succeeds', opts, async () => {
    const attempts = [];
    for (let i = 0; i < 8; i++) {
      const r = await ask(main, 'rrfo');
      assertOk(r);
      assert.equal(r.headers.get('x-switchyard-target'), 'rrfo-good/m1');
      attempts.push(r.headers.get('x-switchyard-attempts'));
    }
    // half the requests start at the failing upstream (tried twice), half at the good one
    assert.deepEqual(attempts.toSorted(), ['1', '1', '1', '1', '3', '3', '3', '3'], String(attempts));
    assert.equal(count('rrfo-bad'), 8);
    assert.equal(count('rrfo-good'), 8);
  });

  test('429 with Retry-After: 1 from the upstream: the retry reaches it ~1 s later', opts, async () => {
    const started = performance.now();
    const r = await ask(main, 'limited');
    assertOk(r);
    assert.equal(r.headers.get('x-switchyard-attempts'), '2');
    assert.equal(r.headers.get('x-switchyard-target'), 'limited/m1');
    const calls = tap.calls('limited');
    assert.equal(calls.length, 2);
    assert.equal(count('limited'), 2);
    const gap = calls[1].at - calls[0].end;
    assert.ok(gap >= 950, `retried ${gap.toFixed(0)} ms after the 429, before Retry-After`);
    assert.ok(gap < 2500, `retried ${gap.toFixed(0)} ms after the 429: far too late`);
    assert.ok(performance.now() - started >= 950);
  });

  test('a Retry-After longer than retry.max_backoff_ms is capped by it', opts, async () => {
    // the `brk` gateway has max_backoff_ms 10; the upstream asks for 30 s
    const r = await ask(brk, 'capped');
    assertOk(r);
    assert.equal(r.headers.get('x-switchyard-attempts'), '2');
    const calls = tap.calls('capped');
    assert.equal(calls.length, 2);
    const gap = calls[1].at - calls[0].end;
    assert.ok(gap < 500, `retried ${gap.toFixed(0)} ms after the 429: the cap was not applied`);
  });
});

describe('limits', () => {
  test('concurrency 1: three concurrent requests reach the upstream one at a time, all succeed', opts, async () => {
    const started = performance.now();
    const answers = await Promise.all([1, 2, 3].map(() => ask(main, 'serial')));
    for (const r of answers) assertOk(r);
    assert.equal(count('serial'), 3);
    assert.equal(tap.maxInflight('serial'), 1, 'more than one call in flight at the upstream');
    const calls = tap.calls('serial').sort((x, y) => x.at - y.at);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i].at >= calls[i - 1].end - 1, 'calls overlap');
    assert.ok(performance.now() - started >= 3 * 250 - 20);
  });

  test('queued past its deadline: 429 with retry-after, never sent upstream', opts, async () => {
    const first = ask(main, 'queue');
    await sleep(100); // the first one holds the only slot for 800 ms
    const r = await ask(main, 'queue', {}, { 'x-switchyard-timeout': '200' });
    assert.equal(r.status, 429, r.text);
    assert.ok(r.headers.get('retry-after'), 'retry-after header');
    assert.equal(r.json?.error?.metadata?.error_type, 'rate_limited', r.text);
    assertOk(await first);
    assert.equal(count('queue'), 1);
  });

  test('queue order follows switchyard.priority (0 first)', opts, async () => {
    const first = ask(main, 'prio');
    await sleep(50);
    const low = chat(main.url, { model: 'prio', messages: userMessage('priority low'), switchyard: { priority: 9 } });
    await sleep(50);
    const high = chat(main.url, { model: 'prio', messages: userMessage('priority high'), switchyard: { priority: 0 } });
    const answers = await Promise.all([first, low, high]);
    for (const r of answers) assertOk(r);
    const order = tap.calls('prio').sort((x, y) => x.at - y.at).map((c) => JSON.parse(c.body).messages.at(-1).content);
    assert.deepEqual(order.slice(1), ['priority high', 'priority low']);
    assert.equal(tap.maxInflight('prio'), 1);
  });
});

describe('circuit breaker', () => {
  test('a dead upstream (500) stops getting traffic after `failures` failures, then is probed', opts, async () => {
    const ask10 = async () => {
      for (let i = 0; i < 10; i++) {
        const r = await ask(brk, 'brk');
        assertOk(r);
      }
    };
    await ask10();
    assert.equal(count('dead'), BREAKER.failures, 'calls to the dead upstream before its breaker opened');
    const opened = performance.now();
    let row = await statsRow(brk, 'dead/m1');
    assert.equal(row.breaker, 'open');
    assert.ok(row.errors >= BREAKER.failures, JSON.stringify(row));

    await ask10(); // while open: nothing reaches the dead upstream
    assert.equal(count('dead'), BREAKER.failures, 'the dead upstream got traffic while its breaker was open');
    assert.ok(performance.now() - opened < BREAKER.cooldown_ms, 'the test was too slow to observe the open state');

    // after the cooldown one probe goes through; it fails, so the breaker opens again
    await sleep(BREAKER.cooldown_ms + 100);
    await ask10();
    assert.equal(count('dead') - BREAKER.failures, 1, 'one probe after the cooldown');
    row = await statsRow(brk, 'dead/m1');
    assert.equal(row.breaker, 'open');

    // the upstream recovers: the next probe succeeds and closes the breaker; traffic resumes
    mock.setScenario('dead', {});
    await sleep(BREAKER.cooldown_ms + 100);
    const before = count('dead');
    await ask10();
    assert.ok(count('dead') - before >= 4, `calls after recovery: ${count('dead') - before}`);
    row = await statsRow(brk, 'dead/m1');
    assert.equal(row.breaker, 'closed');
  });

  test('an upstream that resets the connection: breaker opens, traffic stops', opts, async () => {
    for (let i = 0; i < 10; i++) assertOk(await ask(brk, 'brk2'));
    assert.equal(count('gone'), BREAKER.failures);
    assert.equal((await statsRow(brk, 'gone/m1')).breaker, 'open');
    for (let i = 0; i < 6; i++) {
      const r = await ask(brk, 'brk2');
      assertOk(r);
      assert.equal(r.headers.get('x-switchyard-target'), 'live2/m1');
      assert.equal(r.headers.get('x-switchyard-attempts'), '1');
    }
    assert.equal(count('gone'), BREAKER.failures);
  });
});

describe('stats', () => {
  test('GET /v1/stats: per-target counts match the mock', opts, async () => {
    const r = await call(`${main.url}/v1/stats`);
    assert.equal(r.status, 200, r.text);
    for (const field of ['entries', 'bytes', 'hits', 'misses']) assert.equal(typeof r.json.cache?.[field], 'number', field);
    const row = r.json.targets.find((t) => t.target === 'rr-a/m1');
    assert.ok(row, r.text);
    assert.equal(row.requests, count('rr-a'));
    assert.equal(row.errors, 0);
    assert.equal(row.breaker, 'closed');
    for (const q of ['p50', 'p99']) assert.equal(typeof row.latency_ms?.[q], 'number', q);
    assert.equal(typeof row.tokens?.prompt, 'number');
    assert.equal(typeof row.tokens?.completion, 'number');
    assert.equal(typeof row.outstanding, 'number');
    const bad = r.json.targets.find((t) => t.target === 'fo-bad/m1');
    assert.ok(bad.errors >= count('fo-bad') - 1, JSON.stringify(bad));
    assert.equal(bad.latency_ms.p50, null, 'no success yet: no latency, not 0');
  });

  test('GET /metrics is Prometheus text', opts, async () => {
    const r = await call(`${brk.url}/metrics`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const lines = r.text.split('\n').filter((l) => l !== '');
    assert.ok(lines.length > 0);
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? -?(\d+(\.\d+)?([eE][+-]?\d+)?|NaN|\+Inf|-Inf)( \d+)?$/;
    for (const line of lines) {
      if (line.startsWith('#')) assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /, line);
      else assert.match(line, sample, line);
    }
    assert.ok(lines.some((l) => l.startsWith('# TYPE ')), 'TYPE lines');
    assert.ok(lines.some((l) => /target="dead\/m1"/.test(l)), 'a sample for dead/m1');
  });
});
