// The npm package in Chromium: a page and a module Web Worker import web/src/index.js (the
// browser entry, which loads web/dist/switchyard_core.mjs + .wasm), run an echo-only scenario
// (tests/browser/fixtures/scenario.js) and expose the results; this test asserts them.
// Needs the `web` build and Debian's chromium; playwright-core drives it (never a downloaded
// browser).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { close, launchChromium, originOf, requireWebBuild, serveRepository } from './harness.js';

function assertScenario(result) {
  assert.equal(result.failed, undefined, result.failed);
  const { answer, info, chunks, error } = result;
  assert.equal(answer.object, 'chat.completion');
  const content = answer.choices[0].message.content;
  assert.ok(typeof content === 'string' && content.length > 0);
  assert.equal(typeof answer.usage.total_tokens, 'number');
  assert.equal(info.target, 'demo/echo-1');
  assert.equal(info.attempts, 1);
  assert.ok(info.requestId);
  assert.ok(chunks.length >= 2);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), content);
  assert.equal(error.name, 'SwitchyardError');
  assert.equal(error.status, 404);
}

describe('npm package in Chromium', () => {
  let server;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    await requireWebBuild();
    server = await serveRepository();
    browser = await launchChromium();  // a fresh temporary profile of its own
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(`${originOf(server)}/tests/browser/fixtures/index.html`);
    await page.waitForFunction(() => window.pageResult !== undefined && window.workerResult !== undefined);
  });

  after(async () => {
    await browser?.close();
    await close(server);
  });

  it('runs in a page', async () => {
    assertScenario(await page.evaluate(() => window.pageResult));
    assert.deepEqual(pageErrors, []);
  });

  it('runs in a module Web Worker', async () => {
    assertScenario(await page.evaluate(() => window.workerResult));
  });
});
