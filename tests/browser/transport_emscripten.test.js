// transport 'emscripten' in Chromium, in a page and in a module Web Worker
// (tests/browser/fixtures/transport_scenario.js): non-streaming upstream calls go through
// XMLHttpRequest (the Emscripten Fetch API of bindings/emscripten/web_fetch.cc), never through
// the fetch handed to the package; outcomes (answer, retry after a 500, a 500 without retry,
// fallback, connection reset, timeout) equal transport 'fetch''s; an AbortSignal and a timeout
// abort the XHR (the mock sees the request aborted); stream: true goes through fetch().
// The upstream is tests/mock-upstream behind a small CORS proxy (another origin, as real
// providers are). Needs the `web` build and Debian's chromium; playwright-core drives it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startMock } from '../mock-upstream/server.mjs';
import { close, corsProxy, launchChromium, originOf, requireWebBuild, serveRepository } from './harness.js';

const WAIT_MS = 60000;
const CONTENT = 'mock: hello over xhr';

function assertScenario(out, where) {
  assert.equal(out.failed, undefined, out.failed);
  // Every non-streaming upstream call through XHR, none through fetch.
  assert.deepEqual(out.answer, { result: { content: CONTENT, target: 'up/gpt-test', attempts: 1 }, xhr: 1, fetch: 0 }, where);
  assert.deepEqual(out.retry, { result: { content: CONTENT, target: 'up/gpt-test', attempts: 2 }, xhr: 2, fetch: 0 }, where);
  for (const name of ['down', 'fallback', 'reset', 'timeout']) {
    const { emscripten, fetch } = out[name];
    assert.deepEqual(emscripten.result, fetch.result, `${where} ${name}: the same outcome as transport 'fetch'`);
    assert.equal(emscripten.fetch, 0, `${where} ${name}`);
    assert.equal(emscripten.xhr, fetch.fetch, `${where} ${name}: as many XHRs as fetches`);
    assert.ok(emscripten.xhr >= 1, `${where} ${name}`);
  }
  assert.equal(out.down.emscripten.result.status, 502);
  assert.deepEqual(out.fallback.emscripten.result, { content: CONTENT, target: 'spare/gpt-spare', attempts: 2 });
  assert.equal(out.reset.emscripten.result.status, 502);
  assert.equal(out.timeout.emscripten.result.status, 408);
  assert.equal(out.abort.result.error, 'AbortError', where);
  assert.deepEqual([out.abort.xhr, out.abort.fetch], [1, 0], where);
  assert.deepEqual(out.stream, { result: { content: CONTENT }, xhr: 0, fetch: 1 }, where);
}

describe("transport 'emscripten' in Chromium", () => {
  let site;
  let mock;
  let proxy;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    await requireWebBuild();
    site = await serveRepository();
    mock = await startMock();
    mock.setScenario('flaky-page', { sequence: [{ status: 500 }] });
    mock.setScenario('flaky-worker', { sequence: [{ status: 500 }] });
    for (const tag of ['page', 'worker']) {
      mock.setScenario(`down-${tag}`, { status: 500 });
      mock.setScenario(`reset-${tag}`, { reset: true });
      mock.setScenario(`slow-${tag}`, { latency_ms: 3000 });
    }
    proxy = await corsProxy(mock.url);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${originOf(site)}/tests/browser/fixtures/transport.html?upstream=${encodeURIComponent(originOf(proxy))}`);
    await page.waitForFunction(() => window.workerResult !== undefined, null, { timeout: WAIT_MS });
    await page.evaluate(() => window.workerResult);
  });

  after(async () => {
    await browser?.close();
    await close(proxy);
    await mock?.close();
    await close(site);
  });

  it('performs whole requests through XHR in a page, with the outcomes of fetch', async () => {
    assertScenario(await page.evaluate(() => window.pageResult), 'page');
    assert.deepEqual(pageErrors, []);
  });

  it('does the same in a module Web Worker', async () => {
    assertScenario(await page.evaluate(() => window.workerResult), 'worker');
  });

  it('the timeout and the abort closed their XHRs (the upstream saw the requests go away)', async () => {
    for (const tag of ['page', 'worker']) {
      // slow-<tag>: timeout via emscripten, timeout via fetch, then the aborted one.
      const slow = () => mock.requests().filter((r) => r.scenario === `slow-${tag}`);
      assert.equal(slow().length, 3, tag);
      await waitFor(() => slow().every((r) => r.aborted));
    }
  });
});

async function waitFor(condition, ms = 5000) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
