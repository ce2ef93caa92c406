// persist and close() of the package in Node (web/src/switchyard.js, persist: 'fs'):
// `persist` alone turns the persistent response cache on (no `cache` in the config), an explicit
// `cache.persist: false` keeps it off, and close() resolves only once the tier writes already
// asked for settled, so a new Switchyard on the same directory right after `await sy.close()`
// answers from disk. close() twice gives the same promise; calls after close reject.
// Needs the `web` build (web/dist/switchyard_core.{mjs,wasm}).

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startMock } from '../mock-upstream/server.mjs';
import { withPersistence } from '../../web/src/switchyard.js';
import { createSwitchyard } from '../../web/src/node.js';

const messages = [{ role: 'user', content: 'keep me on disk' }];

describe("persist 'fs' and close() (Node)", () => {
  let root;
  let mock;
  let dirs = 0;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-persist-close-'));
    mock = await startMock();
  });

  after(async () => {
    await mock?.close();
    await rm(root, { recursive: true, force: true });
  });

  // A config with no `cache` member at all, unless `cache` is given.
  const configFor = (cache) => ({
    providers: { up: { type: 'openai-compatible', base_url: mock.scenarioUrl('persist'), api_key: 'sk-persist' } },
    models: { m: { provider: 'up', model: 'gpt-test' } },
    retry: { attempts: 0 },
    ...(cache ? { cache } : {}),
  });
  const calls = () => mock.counts().persist?.['POST /v1/chat/completions'] ?? 0;
  const entries = async (dir) => (await readdir(dir)).filter((n) => n.endsWith('.entry')).length;

  async function answerAndClose(config, dir) {
    const sy = await createSwitchyard({ config, persist: 'fs', persistOptions: { dir } });
    const answer = await sy.chat.completions.create({ model: 'm', messages });
    await sy.close(); // right after the answer: the disk write is still pending here
    return answer;
  }

  it('persist alone turns the disk tier on; an answer survives close() and a new Switchyard', async () => {
    mock.reset();
    const dir = join(root, `d${++dirs}`);
    const first = await answerAndClose(configFor(), dir);
    assert.equal(first.choices[0].message.content, 'mock: keep me on disk');
    assert.equal(first._switchyard.cache, 'MISS');
    assert.equal(await entries(dir), 1);
    const again = await answerAndClose(configFor(), dir);
    assert.equal(again._switchyard.cache, 'HIT');
    assert.equal(again.choices[0].message.content, 'mock: keep me on disk');
    assert.equal(calls(), 1);
  });

  it('a config with cache settings but no cache.persist persists too', async () => {
    mock.reset();
    const dir = join(root, `d${++dirs}`);
    await answerAndClose(configFor({ enabled: true, ttl_s: 60 }), dir);
    const again = await answerAndClose(configFor({ enabled: true, ttl_s: 60 }), dir);
    assert.equal(again._switchyard.cache, 'HIT');
    assert.equal(calls(), 1);
  });

  it('an explicit cache.persist: false keeps the disk tier off', async () => {
    mock.reset();
    const dir = join(root, `d${++dirs}`);
    await answerAndClose(configFor({ enabled: true, persist: false }), dir);
    assert.equal(await entries(dir), 0);
    const again = await answerAndClose(configFor({ enabled: true, persist: false }), dir);
    assert.equal(again._switchyard.cache, 'MISS');
    assert.equal(calls(), 2);
  });

  it("persist 'memory' leaves the config as it is", () => {
    const config = configFor();
    assert.equal(withPersistence(config, 'memory'), config);
    assert.deepEqual(withPersistence(JSON.stringify(config), 'fs').cache, { enabled: true, persist: true });
    assert.equal(withPersistence('not json', 'fs'), 'not json');
  });

  it('close() twice gives the same promise; calls after close reject', async () => {
    const dir = join(root, `d${++dirs}`);
    const sy = await createSwitchyard({ config: configFor(), persist: 'fs', persistOptions: { dir } });
    const first = sy.close();
    assert.ok(first instanceof Promise);
    assert.equal(sy.close(), first);
    assert.equal(await first, undefined);
    await assert.rejects(sy.chat.completions.create({ model: 'm', messages }), (e) => e.status === 400 && /closed/.test(e.message));
  });
});
