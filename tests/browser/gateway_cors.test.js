// The npm package in a Chromium page, pointing a provider at a Switchyard gateway on another
// origin (SPEC §5: provider keys stay server-side): the gateway's CORS config lets the page's
// origin in, and keeps another origin out. Needs the `web` and `wasi` builds and Debian's
// chromium, driven by playwright-core.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startGateway } from '../../worker/gateway.mjs';
import { close, launchChromium, originOf as origin, requireWebBuild, serveRepository } from './harness.js';

describe('a browser app calling a gateway on another origin', { timeout: 60000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cors-test-'));
  let allowed, denied, gateway, browser;

  before(async () => {
    await requireWebBuild();
    [allowed, denied] = await Promise.all([serveRepository(), serveRepository()]);
    const config = {
      providers: { echo: { type: 'echo' } },
      keys: { 'sk-web': { models: ['echo/echo-1'] } },
      cache: { enabled: true },
      gateway: { cors: { origins: [origin(allowed)] } },
    };
    gateway = await startGateway({ configText: JSON.stringify(config), port: 0, outDir: path.join(tmp, 'gw') });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
    await Promise.all([allowed, denied].map(close));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function openAt(server) {
    const page = await browser.newPage();
    await page.goto(`${origin(server)}/tests/browser/fixtures/blank.html`);
    return page;
  }

  it('the package in an allowed page answers through the gateway, headers readable', async () => {
    const page = await openAt(allowed);
    const result = await page.evaluate(async (gw) => {
      const { createSwitchyard } = await import('/web/src/index.js');
      const sy = await createSwitchyard({
        config: { providers: { edge: { type: 'openai-compatible', base_url: `${gw}/v1`, api_key: 'sk-web' } } },
      });
      const messages = [{ role: 'user', content: 'hello across origins' }];
      const answer = await sy.chat.completions.create({ model: 'edge/echo/echo-1', messages });
      let streamed = '';
      for await (const chunk of await sy.chat.completions.create({ model: 'edge/echo/echo-1', messages, stream: true }))
        streamed += chunk.choices[0]?.delta?.content ?? '';
      // The gateway's own headers, straight from the page.
      const raw = await fetch(`${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-web', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo/echo-1', messages }),
      });
      return { content: answer.choices[0].message.content, streamed, cache: raw.headers.get('x-switchyard-cache') };
    }, gateway.url);
    assert.equal(result.content, 'hello across origins');
    assert.equal(result.streamed, 'hello across origins');
    assert.equal(result.cache, 'HIT');  // the package's first call stored it at the gateway
    await page.close();
  });

  it('a page on another origin is kept out', async () => {
    const page = await openAt(denied);
    const outcome = await page.evaluate(async (gw) => {
      try {
        await fetch(`${gw}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk-web', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo/echo-1', messages: [{ role: 'user', content: 'x' }] }),
        });
        return 'answered';
      } catch (error) {
        return error.name;
      }
    }, gateway.url);
    assert.equal(outcome, 'TypeError');  // the browser's CORS refusal
    await page.close();
  });
});
