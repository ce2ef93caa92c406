// The demos in Chromium (web/demos, README "Demos"): the playground runs the three seed examples
// on the echo provider with the package in the page and draws its stats; the offline demo
// answers its prompts from the shipped snapshot with the network cut; the gateway page at /
// keeps a conversation, draws GET /v1/stats and shows errors as sentences. The pages are
// served from the static build (web/demos/build.mjs) as a user would host it; the playground
// also runs from the repository as it is. Each test saves a screenshot of its page to
// build/screenshots/<page>.png (the build artifact). Needs the `web` and `wasi` builds.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildDemos } from '../../web/demos/build.mjs';
import { makeSnapshot } from '../../web/demos/offline/make-snapshot.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { close, launchChromium, originOf, requireWebBuild, root, serveDirectory, serveRepository } from './harness.js';

const SCREENSHOTS = path.join(root, 'build/screenshots');
const PROMPTS = JSON.parse(fs.readFileSync(path.join(root, 'web/demos/offline/prompts.json'), 'utf8'));

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// A page that records its uncaught errors and console errors.
async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  return { page, errors };
}

describe('demos', { timeout: 120000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-demos-test-'));
  const built = path.join(tmp, 'demos');
  let repo; // the repository as it is
  let site; // the static build, as any static server hosts it
  let browser;

  before(async () => {
    await requireWebBuild();
    await buildDemos(built);
    [repo, site] = await Promise.all([serveRepository(), serveDirectory(built)]);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([repo, site].map(close));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the committed offline snapshot answers what make-snapshot.mjs makes now', async () => {
    const committed = JSON.parse(fs.readFileSync(path.join(root, 'web/demos/offline/snapshot.json'), 'utf8'));
    const fresh = await makeSnapshot();
    const view = (s) => s.entries.map((e) => [e.key, e.target, e.answer.choices[0].message.content]);
    assert.deepEqual(view(committed), view(fresh), 'run `node web/demos/offline/make-snapshot.mjs` and commit the snapshot');
    assert.deepEqual(view(committed).map((e) => e[2]).sort(), PROMPTS.map((p) => p.answer).sort());
  });

  // The three examples on echo, clicked as a user would, then the stats panel.
  async function runPlayground(page) {
    await page.waitForFunction(() => window.playground?.ready === true);
    await page.click('#run-chain');
    await page.waitForFunction(() => window.playground.runs.chain === 1 || document.querySelector('#chain-output.error'));
    await page.fill('#calls', '7');
    await page.click('#run-balance');
    await page.waitForFunction(() => window.playground.runs.balance === 1 || !document.querySelector('#balance-output').hidden);
    await page.click('#run-cache');
    await page.waitForFunction(() => window.playground.runs.cache === 1 || document.querySelector('#cache-output.error'));
    await page.waitForFunction(() => window.playground.busy === 0);
    return page.evaluate(() => ({
      steps: [...document.querySelectorAll('#chain-steps tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
      chainOutput: document.querySelector('#chain-output').textContent,
      bars: [...document.querySelectorAll('#balance-chart rect.bar')].map((r) => [r.dataset.label, Number(r.dataset.value)]),
      cacheRows: [...document.querySelectorAll('#cache-calls tbody tr')].map((tr) => ({ cache: tr.dataset.cache, ms: Number(tr.dataset.ms), time: tr.cells[2].textContent })),
      cacheOutput: document.querySelector('#cache-output').textContent,
      statsCharts: [...document.querySelectorAll('#stats figcaption')].map((f) => f.textContent),
      requestBars: [...document.querySelectorAll('#stats figure:first-child rect.bar')].map((r) => [r.dataset.label, Number(r.dataset.value)]),
      breakers: [...document.querySelectorAll('#stats .breaker')].map((b) => [b.dataset.target, b.dataset.state]),
      hitRatio: Number(document.querySelector('#stats .ring-chart svg').dataset.ratio),
    }));
  }

  function assertPlayground(r) {
    // chaining: both steps shown, the output is the translation step's text
    assert.deepEqual(r.steps.map((s) => s[0]), ['describe', 'translate']);
    assert.ok(r.steps.every((s) => s[1] === 'echo/echo-1'));
    assert.match(r.chainOutput, /Describe this image in one sentence\.\n\[image\]/);
    // round robin: a bar per target, counts adding up to the calls made
    assert.deepEqual(r.bars.map((b) => b[0]), ['echo-a/echo-1', 'echo-b/echo-1']);
    assert.equal(r.bars.reduce((n, b) => n + b[1], 0), 7);
    assert.ok(r.bars.every((b) => b[1] >= 3));
    // caching: MISS, then HIT, each with a time
    assert.deepEqual(r.cacheRows.map((c) => c.cache), ['MISS', 'HIT']);
    assert.ok(r.cacheRows.every((c) => Number.isFinite(c.ms) && c.ms >= 0 && / ms$/.test(c.time)));
    assert.match(r.cacheOutput, /how rainbows form/);
    // stats: every chart, the round-robin targets' requests, breakers closed, some cache hits
    assert.deepEqual(r.statsCharts, ['Requests per target', 'Latency per target', 'Errors per target', 'Breakers', 'Cache hit rate']);
    const requests = Object.fromEntries(r.requestBars);
    assert.equal(requests['echo-a/echo-1'] + requests['echo-b/echo-1'], 7);
    assert.ok(requests['echo/echo-1'] >= 3, JSON.stringify(requests)); // describe, translate, explain (MISS)
    assert.ok(r.breakers.length >= 3 && r.breakers.every(([, state]) => state === 'closed'), JSON.stringify(r.breakers));
    assert.ok(r.hitRatio > 0 && r.hitRatio < 1, String(r.hitRatio));
  }

  it('playground (static build): the three examples run on echo, stats drawn', async () => {
    const context = await browser.newContext();
    const { page, errors } = await openPage(context, `${originOf(site)}/playground/`);
    assertPlayground(await runPlayground(page));
    await screenshot(page, 'playground');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('playground (repository as it is): the same, with the package from web/src', async () => {
    const context = await browser.newContext();
    const { page, errors } = await openPage(context, `${originOf(repo)}/web/demos/playground/`);
    assertPlayground(await runPlayground(page));
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('playground: a refused config reads as sentences naming the fields; keys stay in memory', async () => {
    const context = await browser.newContext();
    const { page } = await openPage(context, `${originOf(site)}/playground/`);
    await page.waitForFunction(() => window.playground?.ready === true);
    // A provider with a key: a key field appears, typed keys are not stored unless "remember".
    await page.selectOption('#provider', 'openai');
    await page.waitForSelector('#keys input[data-env="OPENAI_API_KEY"]');
    await page.fill('#keys input[data-env="OPENAI_API_KEY"]', 'sk-typed-in');
    assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);
    assert.equal(await page.isVisible('#key-note'), true);
    await page.click('#keys input[type="checkbox"]');
    assert.equal(await page.evaluate(() => localStorage.getItem('switchyard.playground.key.OPENAI_API_KEY')), 'sk-typed-in');
    await page.click('#keys input[type="checkbox"]');
    assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);
    // A config with two problems
    await page.selectOption('#provider', 'echo');
    await page.waitForFunction(() => window.playground.sy);
    await page.click('summary');
    await page.fill('#config', JSON.stringify({ providers: { x: { type: 'bogus' } }, models: { m: { targets: [] } } }));
    await page.click('#apply');
    await page.waitForSelector('#config-error:not([hidden])');
    const text = await page.textContent('#config-error');
    assert.match(text, /^The request was refused \(HTTP 400\): the core refused this config\./);
    assert.match(text, /The field “providers\.x\.type”: unknown provider type "bogus"/);
    assert.match(text, /The field “models\.m\.targets”: must be a non-empty array of targets\./);
    assert.doesNotMatch(text, /[{}]/);
    await page.fill('#config', '{ "providers": ');
    await page.click('#apply');
    assert.match(await page.textContent('#config-error'), /^The config is not valid JSON: /);
    await context.close();
  });

  it('playground: a typed key goes to the provider’s URL only, and the examples run on that provider', async () => {
    const context = await browser.newContext();
    const seen = []; // [url, authorization] of every request leaving the page's origin
    await context.route('**/*', async (route) => {
      const request = route.request();
      if (request.url().startsWith(`${originOf(site)}/`)) return route.continue();
      seen.push([request.method(), request.url(), (await request.allHeaders()).authorization ?? null]);
      const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-expose-headers': '*' };
      if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
      const body = JSON.parse(request.postData());
      const text = `stand-in answer to: ${body.messages.at(-1).content}`;
      return route.fulfill({
        status: 200,
        headers: { ...cors, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'chatcmpl-stand-in', object: 'chat.completion', created: 1, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
        }),
      });
    });
    const { page } = await openPage(context, `${originOf(site)}/playground/`);
    await page.waitForFunction(() => window.playground?.ready === true);
    await page.selectOption('#provider', 'openai');
    await page.waitForSelector('#config-error:not([hidden])'); // no key yet: refused, and said so
    assert.match(await page.textContent('#config-error'), /OPENAI_API_KEY is not set\. Type the key OPENAI_API_KEY above\.$/);
    await page.fill('#keys input[data-env="OPENAI_API_KEY"]', 'sk-typed-in');
    await page.click('#apply');
    await page.waitForFunction(() => window.playground.ready && window.playground.sy && document.querySelector('#config-error').hidden);
    await page.click('#run-cache');
    await page.waitForFunction(() => window.playground.runs.cache === 1 || document.querySelector('#cache-output.error'));
    assert.deepEqual(await page.$$eval('#cache-calls tbody tr', (r) => r.map((x) => [x.dataset.cache, x.cells[3].textContent])), [
      ['MISS', 'openai/gpt-4o'],
      ['HIT', 'openai/gpt-4o'],
    ]);
    assert.match(await page.textContent('#cache-output'), /^stand-in answer to: Explain how rainbows form/);
    const posts = seen.filter(([method]) => method === 'POST');
    assert.deepEqual(posts, [['POST', 'https://api.openai.com/v1/chat/completions', 'Bearer sk-typed-in']]);
    assert.ok(seen.every(([, url]) => url.startsWith('https://api.openai.com/')), JSON.stringify(seen));
    assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);
    await context.close();
  });

  // Clicks each shipped prompt and an unknown question; answers what the page showed.
  async function askOffline(page) {
    const buttons = await page.$$('#prompts button');
    assert.equal(buttons.length, PROMPTS.length);
    for (let i = 0; i < buttons.length; i++) {
      await buttons[i].click();
      await page.waitForFunction((n) => window.offline.answers.length + window.offline.failures.length === n, i + 1);
    }
    await page.fill('#question', 'What is the weather like?');
    await page.press('#question', 'Enter');
    await page.waitForFunction(() => window.offline.failures.length === 1);
    return page.evaluate(() => ({
      answers: window.offline.answers,
      failures: window.offline.failures,
      shown: document.querySelector('#answer').textContent,
      upstreamFetches: window.offline.upstreamFetches,
      hitRatio: Number(document.querySelector('#stats .ring-chart svg').dataset.ratio),
    }));
  }

  function assertOffline(r, { online }) {
    assert.deepEqual(r.answers.map((a) => a.text), PROMPTS.map((p) => p.answer));
    assert.ok(r.answers.every((a) => a.cache === 'HIT' && a.target === 'openai/gpt-4o-mini' && a.online === online), JSON.stringify(r.answers));
    // a question the snapshot does not hold: an error sentence, not a network call
    assert.equal(r.failures[0].status, 504);
    assert.equal(r.failures[0].errorType, 'cache_miss_offline');
    assert.equal(r.shown, r.failures[0].sentence);
    assert.match(r.shown, /^Not in the cache \(HTTP 504\): cache-only request and no cached answer for it\./);
    assert.equal(r.upstreamFetches, 0);
    assert.equal(r.hitRatio, 0.75);
  }

  it('offline demo: loaded, then the network cut: the prompts are answered from the snapshot', async () => {
    const context = await browser.newContext();
    const { page, errors } = await openPage(context, `${originOf(site)}/offline/`);
    await page.waitForFunction(() => window.offline?.ready === true);
    assert.equal(await page.evaluate(() => window.offline.imported), PROMPTS.length);
    await context.setOffline(true);
    await page.waitForFunction(() => navigator.onLine === false);
    // the network is really gone: the page's own origin cannot be reached either
    const reachable = await page.evaluate((url) => fetch(url).then(() => true, () => false), `${originOf(site)}/offline/prompts.json`);
    assert.equal(reachable, false);
    assertOffline(await askOffline(page), { online: false });
    await screenshot(page, 'offline');
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e)), []);
    await context.close();
  });

  it('offline demo: the provider unreachable from the start: nothing but the page\'s origin is asked', async () => {
    const context = await browser.newContext();
    const elsewhere = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${originOf(site)}/`)) return route.continue();
      elsewhere.push(url);
      return route.abort('addressunreachable');
    });
    const { page, errors } = await openPage(context, `${originOf(site)}/offline/`);
    await page.waitForFunction(() => window.offline?.ready === true);
    assertOffline(await askOffline(page), { online: true });
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  describe('the gateway page and /demos/ on the gateway', () => {
    let gateway;
    before(async () => {
      const config = {
        providers: { echo: { type: 'echo' } },
        models: { chat: { strategy: 'fallback', targets: [{ provider: 'echo', model: 'echo-1' }] } },
        cache: { enabled: true },
      };
      gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw'), demosDir: built });
    });
    after(async () => {
      await gateway?.stop();
    });

    async function send(page, text) {
      const turns = await page.$$eval('#history .turn', (t) => t.length);
      await page.fill('#message', text);
      await page.click('#send');
      await page.waitForFunction((n) => document.querySelectorAll('#history .turn').length === n + 2 || !document.querySelector('#error').hidden, turns);
      await page.waitForFunction(() => !document.querySelector('#send').disabled);
    }

    it('two turns keep the history (the second request carries the first), stats drawn, errors as sentences', async () => {
      const context = await browser.newContext();
      const { page, errors } = await openPage(context, `${gateway.url}/`);
      const bodies = [];
      page.on('request', (r) => r.url().endsWith('/v1/chat/completions') && bodies.push(JSON.parse(r.postData())));
      await page.waitForFunction(() => [...document.querySelectorAll('#model option')].some((o) => o.value === 'chat'));
      await page.selectOption('#model', 'chat');

      await send(page, 'What is a switchyard?');
      await page.uncheck('#stream'); // the second turn not streamed: both paths keep the history
      await send(page, 'And where is one?');
      const turns = await page.$$eval('#history .turn', (t) => t.map((d) => [d.dataset.role, d.querySelector('.text').textContent]));
      assert.deepEqual(turns, [
        ['user', 'What is a switchyard?'],
        ['assistant', 'What is a switchyard?'], // echo answers the last user message
        ['user', 'And where is one?'],
        ['assistant', 'And where is one?'],
      ]);
      assert.equal(bodies.length, 2);
      assert.deepEqual(bodies[0].messages, [{ role: 'user', content: 'What is a switchyard?' }]);
      assert.equal(bodies[0].stream, true);
      assert.deepEqual(bodies[1].messages, [
        { role: 'user', content: 'What is a switchyard?' },
        { role: 'assistant', content: 'What is a switchyard?' },
        { role: 'user', content: 'And where is one?' },
      ]);
      assert.equal(bodies[1].stream, false);
      // the conversation is kept in localStorage and listed
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('switchyard.gateway.conversations')));
      assert.equal(stored.length, 1);
      assert.equal(stored[0].messages.length, 4);
      assert.deepEqual(await page.$$eval('#conversations li', (l) => l.map((i) => i.textContent)), ['What is a switchyard?']);

      // the stats view: charts from GET /v1/stats, refreshed after the answers
      await page.waitForFunction(() => {
        const bar = document.querySelector('#stats figure:first-child rect.bar');
        return bar && Number(bar.dataset.value) === 2;
      });
      const captions = await page.$$eval('#stats figcaption', (f) => f.map((x) => x.textContent));
      assert.deepEqual(captions, ['Requests per target', 'Latency per target', 'Errors per target', 'Breakers', 'Cache hit rate']);
      assert.deepEqual(await page.$$eval('#stats .breaker', (b) => b.map((x) => [x.dataset.target, x.dataset.state])), [['echo/echo-1', 'closed']]);
      await screenshot(page, 'gateway');

      // an unknown model: a sentence with the status and the field at fault, the turn taken back
      await page.evaluate(() => document.querySelector('#model').append(new Option('no-such-model', 'no-such-model')));
      await page.selectOption('#model', 'no-such-model');
      await send(page, 'Hello?');
      const sentence = await page.textContent('#error');
      assert.match(sentence, /^Not found \(HTTP 404\): unknown model "no-such-model": [^{}]*\. The field at fault is “model”\.$/);
      assert.equal(await page.$$eval('#history .turn', (t) => t.length), 4);
      assert.equal(await page.inputValue('#message'), 'Hello?');
      await screenshot(page, 'gateway-error');

      // the gateway out of reach: the network failure explained
      await page.route('**/v1/chat/completions', (route) => route.abort('connectionrefused'));
      await page.selectOption('#model', 'chat');
      await send(page, 'Hello?');
      assert.match(await page.textContent('#error'), /^The gateway could not be reached \(Failed to fetch\): is it still running/);

      // a new conversation starts empty, the old one stays listed and opens again
      await page.click('#new');
      assert.equal(await page.$$eval('#history .turn', (t) => t.length), 0);
      await page.click('#conversations li button');
      assert.equal(await page.$$eval('#history .turn', (t) => t.length), 4);
      assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
      await context.close();
    });

    it('serves the demos at /demos/: the playground runs there', async () => {
      const context = await browser.newContext();
      const { page, errors } = await openPage(context, `${gateway.url}/demos/playground/`);
      await page.waitForFunction(() => window.playground?.ready === true);
      await page.click('#run-cache');
      await page.waitForFunction(() => window.playground.runs.cache === 1);
      assert.deepEqual(await page.$$eval('#cache-calls tbody tr', (r) => r.map((x) => x.dataset.cache)), ['MISS', 'HIT']);
      assert.equal(await page.isVisible('#gateway-link'), true);
      assert.deepEqual(errors, []);
      // the demos' index links both
      await page.goto(`${gateway.url}/demos`);
      assert.equal(page.url(), `${gateway.url}/demos/`);
      assert.deepEqual(await page.$$eval('a', (a) => a.map((x) => x.getAttribute('href'))), ['playground/', 'offline/']);
      await screenshot(page, 'demos');
      await context.close();
    });
  });

  it('the gateway page without the demos (none bound): chat, a stats table and plain sentences', async () => {
    const config = {
      providers: { echo: { type: 'echo' } },
      models: { chat: { strategy: 'fallback', targets: [{ provider: 'echo', model: 'echo-1' }] } },
    };
    const gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw-bare'), demosDir: null });
    const context = await browser.newContext();
    try {
      const r = await fetch(`${gateway.url}/demos/playground/`);
      assert.equal(r.status, 404);
      assert.match((await r.json()).error.message, /The demos are not built here/);
      const { page } = await openPage(context, `${gateway.url}/`);
      await page.waitForFunction(() => [...document.querySelectorAll('#model option')].some((o) => o.value === 'chat'));
      await page.selectOption('#model', 'chat');
      await page.fill('#message', 'plain page');
      await page.click('#send');
      await page.waitForSelector('#history .turn[data-role="assistant"]');
      await page.waitForFunction(() => document.querySelector('#stats table tbody tr'));
      assert.deepEqual(await page.$$eval('#stats tbody td', (c) => c.slice(0, 3).map((x) => x.textContent)), ['echo/echo-1', '1', '0']);
      await page.evaluate(() => document.querySelector('#model').append(new Option('nope', 'nope')));
      await page.selectOption('#model', 'nope');
      await page.fill('#message', 'again');
      await page.click('#send');
      await page.waitForSelector('#error:not([hidden])');
      assert.match(await page.textContent('#error'), /^Error 404: unknown model "nope"[^{}]* \(the field at fault is “model”\)\.$/);
    } finally {
      await context.close();
      await gateway.stop();
    }
  });
});
