// persist 'indexeddb' and close() in Chromium, in a page and in a module Web Worker: `persist`
// alone (no `cache` in the config) keeps answers in IndexedDB, and `await sy.close()` right after
// an answer resolves only once its IndexedDB write landed, so a new Switchyard answers it from
// IndexedDB (x-switchyard-cache HIT) without calling the upstream again.
// The upstream is tests/mock-upstream behind the harness's CORS proxy. Needs the `web` build
// and Debian's chromium; playwright-core drives it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startMock } from '../mock-upstream/server.mjs';
import { close, corsProxy, launchChromium, originOf, requireWebBuild, serveRepository } from './harness.js';

// Runs in the page or (as the source of a module worker) in a worker: two Switchyards one after
// the other on the same IndexedDB database, each closed right after its answer.
async function twoSwitchyards(entry, upstream, database) {
  const { createSwitchyard } = await import(entry);
  const config = {
    providers: { up: { type: 'openai-compatible', base_url: upstream, api_key: 'sk-persist' } },
    models: { m: { provider: 'up', model: 'gpt-test' } },
    retry: { attempts: 0 },
  };
  const messages = [{ role: 'user', content: 'keep me in indexeddb' }];
  const seen = [];
  for (let i = 0; i < 2; i++) {
    const sy = await createSwitchyard({ config, persist: 'indexeddb', persistOptions: { database } });
    const answer = await sy.chat.completions.create({ model: 'm', messages });
    const closing = sy.close();
    seen.push({ content: answer.choices[0].message.content, cache: answer._switchyard.cache, same: sy.close() === closing });
    await closing;
  }
  return seen;
}

describe("persist 'indexeddb' and close() in Chromium", () => {
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
    proxy = await corsProxy(mock.url);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${originOf(site)}/tests/browser/fixtures/blank.html`);
  });

  after(async () => {
    await browser?.close();
    await close(proxy);
    await mock?.close();
    await close(site);
  });

  const expected = [
    { content: 'mock: keep me in indexeddb', cache: 'MISS', same: true },
    { content: 'mock: keep me in indexeddb', cache: 'HIT', same: true },
  ];
  const calls = (scenario) => mock.counts()[scenario]?.['POST /v1/chat/completions'];

  it('in a page', { timeout: 60000 }, async () => {
    const upstream = `${originOf(proxy)}/s/page/v1`;
    const seen = await page.evaluate(
      ([source, entry, up]) => new Function(`return (${source})`)()(entry, up, 'switchyard-close-page'),
      [twoSwitchyards.toString(), `${originOf(site)}/web/src/index.js`, upstream],
    );
    assert.deepEqual(seen, expected);
    assert.equal(calls('page'), 1);
    assert.deepEqual(pageErrors, []);
  });

  it('in a module Web Worker', { timeout: 60000 }, async () => {
    const upstream = `${originOf(proxy)}/s/worker/v1`;
    const seen = await page.evaluate(
      ([source, entry, up]) =>
        new Promise((resolve) => {
          const code = `(${source})(${JSON.stringify(entry)}, ${JSON.stringify(up)}, 'switchyard-close-worker')` +
            '.then((r) => postMessage(r), (e) => postMessage({ failed: String(e.stack ?? e) }));';
          const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module' });
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => resolve({ failed: `worker error: ${event.message}` });
        }),
      [twoSwitchyards.toString(), `${originOf(site)}/web/src/index.js`, upstream],
    );
    assert.deepEqual(seen, expected);
    assert.equal(calls('worker'), 1);
  });
});
