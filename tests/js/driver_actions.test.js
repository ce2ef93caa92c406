// web/src/driver.js's decodeActions: the batch encoding of docs/host-interface.md read back
// field by field (the fake core's encodeActions writes it), with the body copied out of the
// batch (the next core call reuses that buffer) and the text fields decoded from it; a batch cut
// short or followed by stray bytes is refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeActions } from '../../web/src/driver.js';
import { encodeActions, KIND } from './fake_core.js';

describe('driver: decodeActions', () => {
  it('reads every field of every record, empty ones as empty', () => {
    const batch = encodeActions([
      { kind: KIND.FETCH, id: 7, status: 3, flags: 1, atMs: 1.5, method: 'POST', url: 'https://up.test/v1/x?é=1', headers: 'a: 1\nb: ü\n', body: 'data' },
      { kind: KIND.FETCH_ABORT, id: 7 },
      { kind: KIND.RESPOND, id: 3, status: 200, headers: 'content-type: text/plain\n', body: new Uint8Array([0, 255, 10]) },
    ]);
    const [fetch, abort, respond] = decodeActions(batch);
    assert.deepEqual(
      { ...fetch, body: [...fetch.body] },
      { kind: 1, id: 7, status: 3, flags: 1, atMs: 1.5, method: 'POST', url: 'https://up.test/v1/x?é=1', headers: 'a: 1\nb: ü\n', body: [...new TextEncoder().encode('data')] },
    );
    assert.deepEqual({ ...abort, body: abort.body.length }, { kind: 2, id: 7, status: 0, flags: 0, atMs: 0, method: '', url: '', headers: '', body: 0 });
    assert.deepEqual([...respond.body], [0, 255, 10]);
    assert.equal(respond.headers, 'content-type: text/plain\n');
  });

  it('copies the body out of the batch, which the next call may overwrite; the same views serve the next batch', () => {
    const memory = new Uint8Array(4096);
    const views = {};
    const one = encodeActions([{ kind: KIND.STREAM_CHUNK, id: 1, body: 'first' }]);
    memory.set(one, 100);
    const [a] = decodeActions(memory.subarray(100, 100 + one.length), views);
    const two = encodeActions([{ kind: KIND.STREAM_CHUNK, id: 1, body: 'other' }]);
    memory.set(two, 100);
    const [b] = decodeActions(memory.subarray(100, 100 + two.length), views);
    assert.equal(new TextDecoder().decode(a.body), 'first');
    assert.equal(new TextDecoder().decode(b.body), 'other');
    assert.equal(views.buffer, memory.buffer);
  });

  it('refuses a truncated batch and trailing bytes', () => {
    const batch = encodeActions([{ kind: KIND.RESPOND, id: 1, status: 200, headers: 'x: y\n', body: 'hello' }]);
    for (const cut of [batch.length - 1, 24 + 4 + 4 + 2, 30]) {
      assert.throws(() => decodeActions(batch.subarray(0, cut)), /truncated action batch|trailing bytes/);
    }
    const longer = new Uint8Array(batch.length + 3);
    longer.set(batch);
    assert.throws(() => decodeActions(longer), /trailing bytes/);
    assert.deepEqual(decodeActions(new Uint8Array(0)), []);
  });
});
