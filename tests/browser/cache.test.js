// The persistent cache tier in Chromium (web/src/cache_indexeddb.js, persist: 'indexeddb'): a
// page answers through a local mock upstream; the mock is stopped; after a reload the same
// request is answered from IndexedDB (x-switchyard-cache HIT), in the page and in a module Web
// Worker. One browser context is kept across the reload so that its IndexedDB survives.
// Needs the `web` build and Debian's chromium; playwright-core drives it.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { close, launchChromium, listen, requireWebBuild, serveRepository } from './harness.js';

const ANSWER = 'Served once, then from IndexedDB';
const WAIT_MS = 20000;

// A mock openai-compatible upstream on another port (so: cross-origin, with CORS), counting
// the completions it answered.
function mockUpstream() {
  const state = { calls: 0 };
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type',
  };
  state.server = createServer((req, res) => {
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.calls++;
      const model = JSON.parse(body || '{}').model;
      res.writeHead(200, { 'content-type': 'application/json', ...cors });
      res.end(JSON.stringify({
        id: 'chatcmpl-browser', object: 'chat.completion', created: 1700000000, model,
        choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 },
      }));
    });
  });
  return listen(state.server).then(() => state);
}

describe("persist 'indexeddb' in Chromium", () => {
  let site;
  let upstream;
  let browser;
  let context;
  let page;
  const pageErrors = [];

  before(async () => {
    await requireWebBuild();
    site = await serveRepository();
    upstream = await mockUpstream();
    upstream.port = upstream.server.address().port; // kept after the mock stops
    browser = await launchChromium();
    context = await browser.newContext(); // its storage lives until it is closed
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await close(upstream?.server);
    await close(site);
  });

  const pageUrl = (extra = '') => {
    const base = `http://127.0.0.1:${upstream.port}/v1`;
    return `http://127.0.0.1:${site.address().port}/tests/browser/fixtures/cache.html?upstream=${encodeURIComponent(base)}${extra}`;
  };

  async function result() {
    await page.waitForFunction(() => window.cacheResult !== undefined, null, { timeout: WAIT_MS });
    return page.evaluate(() => window.cacheResult);
  }

  it('answers from IndexedDB after a reload with the upstream stopped', { timeout: 60000 }, async () => {
    await page.goto(pageUrl(), { timeout: WAIT_MS });
    const first = await result();
    assert.equal(first.failed, undefined, first.failed);
    assert.equal(first.content, ANSWER);
    assert.equal(first.cache, 'MISS');
    assert.equal(upstream.calls, 1);
    // The tier write does not hold up the answer: wait for it to land.
    assert.ok((await page.evaluate(() => window.idbEntries(1))) >= 1, 'the answer reached IndexedDB');

    await close(upstream.server); // the same URL now refuses connections
    const probe = await fetch(`http://127.0.0.1:${upstream.port}/v1/chat/completions`).then(() => 'answered', () => 'refused');
    assert.equal(probe, 'refused');

    await page.reload({ timeout: WAIT_MS });
    const second = await result();
    assert.equal(second.failed, undefined, second.failed);
    assert.equal(second.content, ANSWER);
    assert.equal(second.cache, 'HIT');
    assert.ok(second.exported >= 1, 'cache.export() includes the IndexedDB entry');
    assert.equal(upstream.calls, 1);
    assert.deepEqual(pageErrors, []);
  });

  it('a module Web Worker of the same origin answers from the same IndexedDB', { timeout: 60000 }, async () => {
    assert.equal(upstream.server.listening, false, 'the upstream is stopped');
    // The same upstream URL as before (its key must match), with the worker switch.
    await page.goto(pageUrl('&in=worker'), { timeout: WAIT_MS });
    const answer = await result();
    assert.equal(answer.failed, undefined, answer.failed);
    assert.equal(answer.content, ANSWER);
    assert.equal(answer.cache, 'HIT');
  });

  it('the IndexedDB tier replaces, expires and keeps within its byte budget', { timeout: 30000 }, async () => {
    const out = await page.evaluate(async () => {
      const { openIndexedDbTier } = await import('/web/src/cache_indexeddb.js');
      let clock = 1_000_000;
      const tier = await openIndexedDbTier({ database: 'switchyard-tier-test', maxBytes: 2500, now: () => clock });
      const key = (c) => c.repeat(32);
      const entry = (k, size) => new TextEncoder().encode(JSON.stringify({ key: k, answer: { pad: 'x'.repeat(size) } }));
      try {
        await tier.clear();
        await tier.put(key('a'), entry(key('a'), 10), clock + 1000);
        await tier.put(key('a'), entry(key('a'), 20), clock + 3000); // replaces
        const replaced = (await tier.get(key('a'))).includes('x'.repeat(20));
        await tier.put(key('b'), entry(key('b'), 1000), clock + 2000);
        await tier.put(key('c'), entry(key('c'), 1000), clock + 4000);
        await tier.put(key('d'), entry(key('d'), 1000), clock + 5000); // over budget: b goes
        const afterBudget = { a: !!(await tier.get(key('a'))), b: !!(await tier.get(key('b'))), stats: await tier.stats() };
        clock += 3500; // a expires
        const expired = await tier.get(key('a'));
        await tier.put(key('e'), entry(key('e'), 10), clock + 1000); // sweeps a
        const keys = [];
        for await (const line of tier.entries()) keys.push(JSON.parse(line).key[0]);
        await tier.clear();
        return { replaced, afterBudget, expired, keys: keys.sort(), cleared: (await tier.stats()).entries };
      } finally {
        tier.close();
        indexedDB.deleteDatabase('switchyard-tier-test');
      }
    });
    assert.equal(out.replaced, true);
    assert.deepEqual({ a: out.afterBudget.a, b: out.afterBudget.b }, { a: true, b: false });
    assert.ok(out.afterBudget.stats.bytes <= 2500, `bytes ${out.afterBudget.stats.bytes}`);
    assert.equal(out.expired, null);
    assert.deepEqual(out.keys, ['c', 'd', 'e']);
    assert.equal(out.cleared, 0);
  });
});
