// GET /metrics and GET /v1/stats of the edge gateway (workerd, worker/gateway.mjs): a valid
// Prometheus exposition (a small strict parser below: every sample in a declared family, label
// syntax and escapes, buckets monotone, +Inf == _count), requests by target, status class and
// cache result, tokens and cost by key name (never the key), histograms, no quantile gauges; and
// the cache tiers of /v1/stats with the KV tier (worker/src/cache_kv.js): an answer a restarted
// gateway finds in KV is an L2 hit. Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startGateway } from '../../worker/gateway.mjs';
import { call, chat, track } from './gateway/helpers.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const ADMIN = 'sk-sy-metrics-admin-secret';
const OTHER = 'sk-sy-metrics-other-secret';
const admin = { authorization: `Bearer ${ADMIN}` };
const other = { authorization: `Bearer ${OTHER}` };
const ANSWER = 'Counted';

/** `a="x",b="y\\n"` → [['a', 'x'], ['b', 'y\n']]; throws on bad syntax, escapes or a repeated name. */
function parseLabels(text, line) {
  const labels = [];
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let at = 0;
  while (at < text.length) {
    labelRe.lastIndex = at;
    const l = labelRe.exec(text);
    assert.ok(l, `labels: ${line}`);
    assert.ok(!labels.some(([k]) => k === l[1]), `label repeated: ${line}`);
    labels.push([l[1], l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))]);
    at = labelRe.lastIndex;
  }
  return labels;
}

/** Parses Prometheus text strictly: throws on anything a scraper would refuse. */
function parseExposition(text) {
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const series = new Map();
  const types = new Map();
  const histograms = new Map();
  let family = null;
  let type = null;
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) {
    assert.notEqual(line, '', 'no empty lines');
    let m;
    if ((m = /^# HELP (\S+) (.+)$/.exec(line))) {
      assert.match(m[1], NAME, line);
      assert.ok(!types.has(m[1]) && family !== m[1], `one HELP per family: ${line}`);
      [family, type] = [m[1], null];
      continue;
    }
    if ((m = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line))) {
      assert.equal(m[1], family, `TYPE follows its HELP: ${line}`);
      assert.equal(type, null, line);
      type = m[2];
      types.set(family, type);
      continue;
    }
    assert.ok(!line.startsWith('#'), `unknown comment: ${line}`);
    assert.ok(type, `sample before its family's TYPE: ${line}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample syntax: ${line}`);
    const [, name, labelText = '', valueText] = m;
    const labels = parseLabels(labelText, line);
    assert.match(valueText, /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|NaN|\+Inf|-Inf)$/, line);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    const key = `${name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    assert.ok(!series.has(key), `repeated series: ${line}`);
    series.set(key, value);
    if (type !== 'histogram') {
      assert.equal(name, family, `sample outside its family ${family}: ${line}`);
      if (type === 'counter') assert.ok(value >= 0, line);
      continue;
    }
    const suffix = name.startsWith(family) ? name.slice(family.length) : '';
    assert.ok(['_bucket', '_sum', '_count'].includes(suffix), `not a series of histogram ${family}: ${line}`);
    const base = family + JSON.stringify(labels.filter(([k]) => k !== 'le'));
    const h = histograms.get(base) ?? { buckets: [], sum: false, count: -1 };
    histograms.set(base, h);
    const le = labels.find(([k]) => k === 'le');
    if (suffix === '_bucket') {
      assert.ok(le, `bucket without le: ${line}`);
      const bound = le[1] === '+Inf' ? Infinity : Number(le[1]);
      assert.ok(!Number.isNaN(bound), line);
      const last = h.buckets.at(-1);
      if (last) assert.ok(bound > last[0] && value >= last[1], `buckets monotone: ${line}`);
      h.buckets.push([bound, value]);
    } else {
      assert.ok(!le, line);
      if (suffix === '_sum') h.sum = true;
      else h.count = value;
    }
  }
  for (const [base, h] of histograms) {
    assert.equal(h.buckets.at(-1)?.[0], Infinity, `+Inf bucket of ${base}`);
    assert.ok(h.sum && h.count >= 0, `_sum and _count of ${base}`);
    assert.equal(h.buckets.at(-1)[1], h.count, `+Inf == _count of ${base}`);
  }
  /** The value of name{labels} (labels in the order written), or undefined. */
  const value = (name, labels = {}) =>
    series.get(`${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`);
  return { series, types, value };
}

function upstreamServer() {
  const state = { calls: 0 };
  state.server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      state.calls++;
      const request = JSON.parse(text);
      if (request.model === 'broken') {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: 'no such thing', type: 'invalid_request_error' } }));
      }
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta, finish = null) =>
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: request.model,
                                    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'Cou' }));
        return setTimeout(() => {
          res.write(chunk({ content: 'nted' }, 'stop'));
          res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: request.model,
                                              choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } })}\n\n`);
          res.end('data: [DONE]\n\n');
        }, 20);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'chatcmpl-m', object: 'chat.completion', created: 1700000000, model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: `${ANSWER} ${request.messages.at(-1).content}` },
                    finish_reason: 'stop' }],
        usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
      }));
    });
  });
  return new Promise((ok) => state.server.listen(0, '127.0.0.1', () => ok(state)));
}

// Resolves once some file under `dir` contains `text` (bounded: fails after 20 s).
async function waitForFileHolding(dir, text, limitMs = 20000) {
  const deadline = Date.now() + limitMs;
  const holds = (d) =>
    fs.existsSync(d) &&
    fs.readdirSync(d, { withFileTypes: true }).some((e) => {
      const p = path.join(d, e.name);
      return e.isDirectory() ? holds(p) : fs.readFileSync(p).includes(text);
    });
  while (!holds(dir)) {
    if (Date.now() > deadline) throw new Error(`no file under ${dir} holds "${text}" after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('edge gateway metrics', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-metrics-test-'));
  const kvDir = path.join(tmp, 'kv');
  let upstream;
  let config;
  let gateway;

  const start = async (name) => {
    gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, name), kvDir, wasmPath });
    track(gateway.child);
    return gateway;
  };
  const scrape = async (gw) => {
    const r = await call(`${gw.url}/metrics`, { headers: admin });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return { text: r.text, ...parseExposition(r.text) };
  };

  before(async () => {
    upstream = await upstreamServer();
    config = {
      providers: {
        up: {
          type: 'openai-compatible',
          base_url: `http://127.0.0.1:${upstream.server.address().port}/v1`,
          prices: { 'gpt-test': { input: 1, output: 2 } },
        },
      },
      models: { fast: { targets: [{ provider: 'up', model: 'gpt-test' }] } },
      retry: { attempts: 0 },
      timeout_ms: 10000,
      cache: { enabled: true, persist: true },
      keys: { [ADMIN]: { name: 'team-a', admin: true }, [OTHER]: {} },
    };
  });

  after(async () => {
    await gateway?.stop();
    if (upstream.server.listening) {
      upstream.server.closeAllConnections?.();
      await new Promise((ok) => upstream.server.close(ok));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('counters, histograms and labels that add up; never a key', { timeout: 90000 }, async () => {
    const gw = await start('first');
    const ask = (content, headers = admin, extra = {}) =>
      chat(gw.url, { model: 'fast', messages: [{ role: 'user', content }], ...extra }, headers);
    const miss = await ask('one');
    assert.equal(miss.status, 200, miss.text);
    assert.equal(miss.headers.get('x-switchyard-cache'), 'MISS');
    assert.equal((await ask('one')).headers.get('x-switchyard-cache'), 'HIT');
    assert.equal((await ask('two', other)).status, 200);
    const streamed = await ask('three', admin, { stream: true });
    assert.equal(streamed.status, 200, streamed.text);
    const broken = await chat(gw.url, { model: 'up/broken', messages: [{ role: 'user', content: 'x' }] }, admin);
    assert.equal(broken.status, 400, broken.text);

    const x = await scrape(gw);
    assert.equal(x.value('switchyard_requests_total', { target: 'up/gpt-test', status: '2xx', cache: 'miss' }), 3);
    assert.equal(x.value('switchyard_requests_total', { target: 'up/gpt-test', status: '2xx', cache: 'hit' }), 1);
    assert.equal(x.value('switchyard_requests_total', { target: 'up/broken', status: '4xx', cache: 'bypass' }), 1);
    assert.equal(x.value('switchyard_request_duration_seconds_count'), 5);
    assert.ok(x.value('switchyard_request_duration_seconds_sum') > 0);
    assert.equal(x.value('switchyard_gateway_overhead_seconds_count'), 5);
    assert.equal(x.value('switchyard_upstream_attempt_duration_seconds_count', { target: 'up/gpt-test' }), 3);
    assert.equal(x.value('switchyard_time_to_first_token_seconds_count', { target: 'up/gpt-test' }), 1);
    assert.equal(x.value('switchyard_tokens_total', { key: 'team-a', model: 'up/gpt-test', type: 'prompt' }), 1004);
    assert.equal(x.value('switchyard_tokens_total', { key: 'team-a', model: 'up/gpt-test', type: 'completion' }), 502);
    assert.ok(Math.abs(x.value('switchyard_cost_usd_total', { key: 'team-a', model: 'up/gpt-test' }) - 0.002008) < 1e-9);
    const defaultName = [...x.series.keys()].find((k) => /^switchyard_tokens_total\{key="key-[0-9a-f]{8}"/.test(k));
    assert.ok(defaultName, `the unnamed key is labelled by its default name:\n${x.text}`);
    for (const secret of [ADMIN, OTHER, 'sk-sy-metrics']) assert.ok(!x.text.includes(secret), `${secret} never appears`);
    assert.ok(!/p50|p99|quantile/.test(x.text), 'no quantile gauges');
    for (const family of ['switchyard_request_duration_seconds', 'switchyard_gateway_overhead_seconds',
                          'switchyard_queue_wait_seconds', 'switchyard_upstream_attempt_duration_seconds',
                          'switchyard_time_to_first_token_seconds'])
      assert.equal(x.types.get(family), 'histogram', family);

    const stats = await call(`${gw.url}/v1/stats`, { headers: admin });
    assert.equal(stats.status, 200, stats.text);
    const row = stats.json.targets.find((t) => t.target === 'up/gpt-test');
    for (const q of ['p50', 'p99']) assert.equal(typeof row.latency_ms[q], 'number', q);  // quantiles stay here
    assert.deepEqual(stats.json.cache.l2, { hits: 0, misses: 4 });  // every L1 miss asked KV, which had nothing
    assert.equal(stats.json.cache.l1.hits, 1);
    assert.equal(stats.json.cache.hits, 1);
  });

  test('/v1/stats counts hits from the KV tier (L2)', { timeout: 90000 }, async () => {
    await waitForFileHolding(kvDir, `${ANSWER} one`);  // the KV write runs after the answer
    await gateway.stop();
    const gw = await start('second');  // L1 empty; KV holds the answers
    const again = await chat(gw.url, { model: 'fast', messages: [{ role: 'user', content: 'one' }] }, admin);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get('x-switchyard-cache'), 'HIT');
    const stats = await call(`${gw.url}/v1/stats`, { headers: admin });
    assert.deepEqual(stats.json.cache.l2, { hits: 1, misses: 0 }, stats.text);
    assert.deepEqual(stats.json.cache.l1, { hits: 0, misses: 1 }, stats.text);
    assert.equal(stats.json.cache.hits, 1);
    assert.equal(stats.json.cache.misses, 0);
    const x = await scrape(gw);
    assert.equal(x.value('switchyard_cache_hits_total', { tier: 'l2' }), 1);
    assert.equal(x.value('switchyard_requests_total', { target: 'up/gpt-test', status: '2xx', cache: 'hit' }), 1);
  });
});
