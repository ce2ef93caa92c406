// web/src/driver.js's header conversion between the host's Headers / objects / pairs and the
// core's "name: value\n" text, both ways: repeated headers and set-cookie kept one per line,
// empty values kept, names lower-cased and CR/LF removed from plain objects, lines without a
// name skipped; a value outside ISO-8859-1 is still refused (a TypeError).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver, headersToText, textToHeaders } from '../../web/src/driver.js';
import { createFakeCore, encodeActions, KIND } from './fake_core.js';

describe('driver: headers to text', () => {
  it('a Headers: one line per value, set-cookie each on its own, names lower case', () => {
    const h = new Headers();
    h.append('Content-Type', 'application/json');
    h.append('X-Multi', 'one');
    h.append('x-multi', 'two');
    h.append('Set-Cookie', 'a=1; Path=/');
    h.append('set-cookie', 'b=2');
    h.append('x-empty', '');
    h.append('x-latin', 'caf\u00e9');
    assert.equal(
      headersToText(h),
      'content-type: application/json\nset-cookie: a=1; Path=/\nset-cookie: b=2\nx-empty: \nx-latin: caf\u00e9\nx-multi: one, two\n',
    );
  });

  it('a plain object or pairs: names lower-cased, CR/LF replaced, null and undefined dropped', () => {
    assert.equal(headersToText({ 'X-A': 'v', 'X-B': 'line1\r\nline2', 'x-c': undefined, 'x-d': null, 'x-e': '' }), 'x-a: v\nx-b: line1 line2\nx-e: \n');
    assert.equal(headersToText([['X-A', '1'], ['x-a', '2']]), 'x-a: 1\nx-a: 2\n');
    assert.equal(headersToText(null), '');
    assert.equal(headersToText('x: y\n'), 'x: y\n');
  });

  it('a Headers-like object with entries() (not a Headers) takes the general path', () => {
    const like = { entries: () => [['X-Up', 'a\nb']][Symbol.iterator]() };
    assert.equal(headersToText(like), 'x-up: a b\n');
  });
});

describe('driver: text to headers', () => {
  it('both sides trimmed, repeated names kept, lines without a name skipped', () => {
    const h = textToHeaders('content-type: text/plain\nset-cookie: a=1\nset-cookie: b=2\nx-empty:\n: nameless\nno colon\n  x-pad  :  v  \r\nx-multi: one\nx-multi: two\nlast: one');
    assert.deepEqual([...h], [
      ['content-type', 'text/plain'],
      ['last', 'one'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-empty', ''],
      ['x-multi', 'one, two'],
      ['x-pad', 'v'],
    ]);
    assert.deepEqual(h.getSetCookie(), ['a=1', 'b=2']);
    assert.deepEqual([...textToHeaders('')], []);
    assert.deepEqual([...textToHeaders('\n\n')], []);
  });

  it('round trip: text from a Headers gives the same Headers back', () => {
    const text = 'x-multi: one\nx-multi: two\nset-cookie: a=1\nset-cookie: b=2\nx-empty: \n';
    const headers = textToHeaders(text);
    assert.equal(headersToText(headers), 'set-cookie: a=1\nset-cookie: b=2\nx-empty: \nx-multi: one, two\n');
    assert.deepEqual([...textToHeaders(headersToText(headers))], [...headers]);
  });

  it('a value outside ISO-8859-1, or a name that is not a token, is refused (a TypeError)', () => {
    for (const text of ['x-word: \u65e5\u672c\n', 'bad name: v\n', ' : v\n']) {
      assert.throws(() => textToHeaders(text), TypeError, text);
    }
    assert.equal(textToHeaders('x-latin: caf\u00e9\n').get('x-latin'), 'caf\u00e9');
  });

  it("through the driver: the upstream's headers reach the core as text, the core's reach the caller", async () => {
    const fake = createFakeCore();
    const seen = [];
    const fetchResponse = fake.core.fetchResponse;
    fake.core.fetchResponse = (fid, status, text, now) => {
      seen.push(text);
      return fetchResponse(fid, status, text, now);
    };
    const pending = [];
    const fetch = async () => new Response('up', { headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-empty', ''], ['X-Multi', 'one'], ['x-multi', 'two']] });
    const driver = createDriver(fake.core, { fetch, waitUntil: (p) => pending.push(p) });
    const response = await driver.request('POST', '/upstream', {}, 'q');
    assert.equal(await response.text(), 'up');
    assert.deepEqual(seen, ['content-type: text/plain;charset=UTF-8\nset-cookie: a=1\nset-cookie: b=2\nx-empty: \nx-multi: one, two\n']);
    assert.equal(response.headers.get('content-type'), 'text/plain');
    await Promise.all(pending);
  });

  it('an answer whose headers a Headers refuses fails the request with that error, never hangs it', async () => {
    const fake = createFakeCore();
    const pending = [];
    const core = { ...fake.core };
    core.submit = (rid) => encodeActions([{ kind: KIND.RESPOND, id: rid, status: 200, headers: 'x-bad: caf\u00e9\u2603\n', body: new Uint8Array(0) }]);
    const driver = createDriver(core, { fetch: () => Promise.reject(new Error('no fetch')), waitUntil: (p) => pending.push(p) });
    await assert.rejects(driver.request('POST', '/echo', {}, 'x'), TypeError);
    await Promise.all(pending);
    assert.equal(driver.counters().live, 0);
  });

  it('a streamed answer whose headers a Headers refuses fails the request too, and its chunks go nowhere', async () => {
    const fake = createFakeCore();
    const pending = [];
    const core = { ...fake.core };
    core.submit = (rid) =>
      encodeActions([
        { kind: KIND.RESPOND, id: rid, status: 200, flags: 1, headers: 'x-bad: caf\u00e9\u2603\n', body: new Uint8Array(0) },
        { kind: KIND.STREAM_CHUNK, id: rid, body: new TextEncoder().encode('data: {}\n\n') },
        { kind: KIND.STREAM_END, id: rid },
      ]);
    const driver = createDriver(core, { fetch: () => Promise.reject(new Error('no fetch')), waitUntil: (p) => pending.push(p) });
    await assert.rejects(driver.request('POST', '/echo', {}, 'x'), TypeError);
    await Promise.all(pending);
    assert.equal(driver.counters().live, 0);
  });
});
