// worker/src/fetch_whole.js: the edge worker's host.fetchWhole over fetch(), against a loopback
// HTTP upstream. The answer comes back in one piece (status, header text, every body byte even
// when the upstream sends it in several writes); the action's method, header text and body go
// upstream; an abort while the body is still arriving rejects (the core reported the timeout).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { createFetchWhole } from '../../worker/src/fetch_whole.js';

const seen = [];
let server;
let base;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, raw: req.rawHeaders, body: Buffer.concat(chunks).toString() });
      if (req.url === '/pieces') {
        res.writeHead(201, [['content-type', 'application/json'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-empty', '']]);
        let n = 0;
        const tick = () => {
          if (n === 5) return res.end();
          res.write(`piece${n++};`);
          setTimeout(tick, 5);
        };
        tick();
      } else if (req.url === '/stall') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('the head and a first piece, then nothing');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

describe('worker: fetchWhole over fetch()', () => {
  it('answers status, header text and the whole body, sent upstream in several writes', async () => {
    const fetchWhole = createFetchWhole(fetch);
    const body = new TextEncoder().encode('{"q":1}');
    const answer = await fetchWhole(`${base}/pieces`, {
      method: 'POST',
      headers: 'content-type: application/json\nauthorization: Bearer sk-up\nx-multi: one\nx-multi: two\n',
      body,
      signal: new AbortController().signal,
    });
    assert.equal(answer.status, 201);
    assert.ok(answer.body instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(answer.body), 'piece0;piece1;piece2;piece3;piece4;');
    const lines = answer.headers.split('\n');
    assert.ok(lines.includes('content-type: application/json'), answer.headers);
    assert.ok(lines.includes('set-cookie: a=1') && lines.includes('set-cookie: b=2'), answer.headers);
    assert.ok(lines.includes('x-empty: '), answer.headers);
    const up = seen.at(-1);
    assert.equal(up.method, 'POST');
    assert.equal(up.body, '{"q":1}');
    assert.equal(up.headers.authorization, 'Bearer sk-up');
    assert.equal(up.headers['x-multi'], 'one, two');
  });

  it('without a body, sends none', async () => {
    const answer = await createFetchWhole(fetch)(`${base}/missing`, { method: 'GET', headers: '', signal: new AbortController().signal });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.length, 0);
    assert.equal(seen.at(-1).method, 'GET');
    assert.equal(seen.at(-1).body, '');
  });

  it('an abort while the body still arrives rejects', async () => {
    const controller = new AbortController();
    const pending = createFetchWhole(fetch)(`${base}/stall`, { method: 'GET', headers: '', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, (e) => e.name === 'AbortError');
  });
});
