// The Node entry's on-disk cache tier (web/src/cache_fs.js, persist: 'fs'): an answer stored by
// one process is served by another process on the same directory with the upstream gone.
// Snapshots of a new instance hold the disk entries, and clear() empties the disk (the core asks
// the tier through CACHE_LIST / CACHE_CLEAR). Also the tier on its own: replace, expiry, byte
// budget, interrupted writes, clear.
// Needs the `web` build (web/dist/switchyard_core.{mjs,wasm}).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { openFsTier } from '../../web/src/cache_fs.js';
import { createSwitchyard } from '../../web/src/node.js';

const nodeEntry = fileURLToPath(new URL('../../web/src/node.js', import.meta.url));
const messages = [{ role: 'user', content: 'Remember me across processes' }];
const ANSWER = 'Stored on disk';

function configFor(port) {
  return {
    providers: { up: { type: 'openai-compatible', base_url: `http://127.0.0.1:${port}/v1`, api_key: 'sk-fs-test' } },
    models: { m: { provider: 'up', model: 'gpt-test' } },
    retry: { attempts: 0 },
    timeout_ms: 5000,
    cache: { enabled: true, persist: true },
  };
}

// A mock openai-compatible upstream counting its calls.
function mockUpstream() {
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls++;
      const model = JSON.parse(body || '{}').model;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'chatcmpl-fs', object: 'chat.completion', created: 1700000000, model,
        choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
      }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, calls: () => calls, close: () => new Promise((ok) => server.close(ok)) }),
    ),
  );
}

// Runs the second instance in a new Node process on the same directory.
function inChild(dir, config) {
  const script = `
    const { createSwitchyard } = await import(${JSON.stringify(nodeEntry)});
    const sy = await createSwitchyard({ config: ${JSON.stringify(JSON.stringify(config))}, persist: 'fs', persistOptions: { dir: ${JSON.stringify(dir)} } });
    try {
      const answer = await sy.chat.completions.create({ model: 'm', messages: ${JSON.stringify(messages)} });
      process.stdout.write(JSON.stringify({ content: answer.choices[0].message.content, info: answer._switchyard }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ failed: String(e.stack ?? e) }));
    } finally {
      sy.close();
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`child failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout));
    });
  });
}

describe("persist 'fs' (Node)", () => {
  let root;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-fs-test-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('an answer stored by one process is served from disk by another with the upstream unreachable', async () => {
    const dir = join(root, 'cache');
    const upstream = await mockUpstream();
    const config = configFor(upstream.port);
    try {
      const sy = await createSwitchyard({ config, persist: 'fs', persistOptions: { dir } });
      try {
        const answer = await sy.chat.completions.create({ model: 'm', messages });
        assert.equal(answer.choices[0].message.content, ANSWER);
        assert.equal(answer._switchyard.cache, 'MISS');
        assert.equal(upstream.calls(), 1);
        // The tier write is fire-and-forget for the caller: give it a moment to land.
        const deadline = Date.now() + 5000;
        while (!(await readdir(dir)).some((n) => n.endsWith('.entry')) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        sy.close();
      }
      const files = await readdir(dir);
      assert.equal(files.filter((n) => n.endsWith('.entry')).length, 1, `files: ${files}`);
    } finally {
      await upstream.close(); // the port is now unreachable
    }

    const result = await inChild(dir, config);
    assert.equal(result.failed, undefined, result.failed);
    assert.equal(result.content, ANSWER);
    assert.equal(result.info.cache, 'HIT');
    assert.equal(upstream.calls(), 1, 'no second upstream call');
  });

  it('a new instance exports the disk entries (the core lists the tier) and clear() empties the disk', async () => {
    const dir = join(root, 'cache'); // what the test above stored
    const sy = await createSwitchyard({ config: configFor(9), persist: 'fs', persistOptions: { dir } });
    try {
      const snapshot = await sy.cache.export();
      assert.equal(snapshot.format, 'switchyard.cache');
      assert.equal(snapshot.entries.length, 1, 'the entry on disk, though this instance never saw it');
      assert.equal(snapshot.entries[0].answer.choices[0].message.content, ANSWER);
      const ndjson = await sy.cache.export({ format: 'ndjson' });
      assert.equal(ndjson.trim().split('\n').length, 2);
      await sy.cache.clear();
      assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.entry')), [], 'the disk tier is empty');
      assert.equal((await sy.cache.export()).entries.length, 0);
    } finally {
      sy.close();
    }
  });

  it('is off by default and needs a directory', async () => {
    const sy = await createSwitchyard({ config: configFor(9) });
    sy.close();
    await assert.rejects(createSwitchyard({ config: configFor(9), persist: 'fs' }), (e) => e.name === 'SwitchyardError' && /dir/.test(e.message));
  });

  it('replaces, expires, keeps within its byte budget, and survives an interrupted write', async () => {
    const dir = join(root, 'tier');
    let clock = 1_000_000;
    const now = () => clock;
    const key = (c) => c.repeat(32);
    const entry = (k, size) => JSON.stringify({ key: k, target: 'up/m', expires_at: 0, answer: { pad: 'x'.repeat(size) } });

    let tier = await openFsTier({ dir, maxBytes: 2500, now });
    await tier.put(key('a'), new TextEncoder().encode(entry(key('a'), 10)), clock + 1000);
    await tier.put(key('a'), new TextEncoder().encode(entry(key('a'), 20)), clock + 3000); // replaces
    assert.match(await tier.get(key('a')), /x{20}/);
    await tier.put(key('b'), new TextEncoder().encode(entry(key('b'), 1000)), clock + 2000);
    await tier.put(key('c'), new TextEncoder().encode(entry(key('c'), 1000)), clock + 4000);
    assert.equal(await tier.get(key('d')), null);
    // Over budget: the oldest expiry (b) goes first.
    await tier.put(key('d'), new TextEncoder().encode(entry(key('d'), 1000)), clock + 5000);
    assert.equal(await tier.get(key('b')), null, 'b was evicted');
    assert.ok(await tier.get(key('a')));
    assert.ok(tier.stats().bytes <= 2500);

    // Expiry: a is gone once its time passed; an interrupted write leaves a temp file behind.
    clock += 3500;
    assert.equal(await tier.get(key('a')), null);
    await writeFile(join(dir, `${key('e')}.123.abcd.tmp`), 'half a wri');
    await tier.close();
    tier = await openFsTier({ dir, maxBytes: 2500, now });
    const names = await readdir(dir);
    assert.ok(!names.some((n) => n.endsWith('.tmp')), 'temp files are removed at open');
    const lines = [];
    for await (const line of tier.entries()) lines.push(JSON.parse(line).key);
    assert.deepEqual(lines.sort(), [key('c'), key('d')]);

    // Keys that are not cache keys never become paths.
    await tier.put('../escape', new TextEncoder().encode('{}'), clock + 1000);
    assert.equal(await tier.get('../escape'), null);
    assert.ok(!(await readdir(root)).includes('escape.entry'));

    await tier.clear();
    assert.deepEqual(await readdir(dir), []);
    await tier.close();
  });
});
