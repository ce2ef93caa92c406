// The S3 test server (tests/s3-server/server.mjs) honours what workerd's cluster mode needs from
// a bucket: conditional PUTs (If-None-Match: *, If-Match), GET / HEAD / DELETE, and paged
// ListObjectsV2 with prefixes and delimiters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startS3 } from '../s3-server/server.mjs';

let s3;
const url = (key) => `${s3.endpoint}/bkt/${key}`;
const put = (key, body, headers = {}) => fetch(url(key), { method: 'PUT', body, headers });

describe('the S3 test server', () => {
  before(async () => {
    s3 = await startS3();
  });
  after(() => s3.close());

  test('If-None-Match: * creates only; If-Match replaces only the version named', async () => {
    const created = await put('a/one', 'v1', { 'if-none-match': '*' });
    assert.equal(created.status, 200);
    const v1 = created.headers.get('etag');
    assert.match(v1, /^"[0-9a-f-]+"$/);
    const again = await put('a/one', 'v2', { 'if-none-match': '*' });
    assert.equal(again.status, 412);
    assert.match(await again.text(), /<Code>PreconditionFailed<\/Code>/);

    const replaced = await put('a/one', 'v2', { 'if-match': v1 });
    assert.equal(replaced.status, 200);
    const v2 = replaced.headers.get('etag');
    assert.notEqual(v2, v1);
    assert.equal((await put('a/one', 'v3', { 'if-match': v1 })).status, 412, 'a stale version');
    assert.equal((await put('a/absent', 'x', { 'if-match': v1 })).status, 412, 'no object to match');
    assert.equal(await (await fetch(url('a/one'))).text(), 'v2');
    assert.equal((await put('a/one', 'v3')).status, 200, 'unconditional');
  });

  test('GET, HEAD, ranges, conditional reads and DELETE', async () => {
    const etag = (await put('r/file', '0123456789')).headers.get('etag');
    const head = await fetch(url('r/file'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '10');
    assert.equal(head.headers.get('etag'), etag);
    const range = await fetch(url('r/file'), { headers: { range: 'bytes=2-4' } });
    assert.equal(range.status, 206);
    assert.equal(await range.text(), '234');
    assert.equal(range.headers.get('content-range'), 'bytes 2-4/10');
    assert.equal((await fetch(url('r/file'), { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(url('r/file'), { headers: { 'if-match': '"other"' } })).status, 412);
    const missing = await fetch(url('r/none'));
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<Code>NoSuchKey<\/Code>/);
    assert.equal((await fetch(url('r/file'), { method: 'DELETE', headers: { 'if-match': '"other"' } })).status, 412);
    assert.equal((await fetch(url('r/file'), { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(url('r/file'))).status, 404);
  });

  test('ListObjectsV2 pages with continuation tokens and groups by delimiter', async () => {
    for (const key of ['l/a', 'l/b', 'l/c', 'l/d/1', 'l/d/2', 'l/e', 'm/x']) await put(key, key);
    const list = async (query) => {
      const text = await (await fetch(`${s3.endpoint}/bkt?list-type=2&${new URLSearchParams(query)}`)).text();
      return {
        keys: [...text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
        prefixes: [...text.matchAll(/<Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]),
        next: /<NextContinuationToken>([^<]*)</.exec(text)?.[1],
        truncated: /<IsTruncated>true</.test(text),
      };
    };
    assert.deepEqual((await list({ prefix: 'l/' })).keys, ['l/a', 'l/b', 'l/c', 'l/d/1', 'l/d/2', 'l/e']);
    const seen = [];
    let token;
    do {
      const page = await list({ prefix: 'l/', 'max-keys': '2', ...(token ? { 'continuation-token': token } : {}) });
      seen.push(...page.keys);
      assert.equal(page.truncated, Boolean(page.next));
      token = page.next;
    } while (token);
    assert.deepEqual(seen, ['l/a', 'l/b', 'l/c', 'l/d/1', 'l/d/2', 'l/e']);
    const grouped = await list({ prefix: 'l/', delimiter: '/' });
    assert.deepEqual(grouped.keys, ['l/a', 'l/b', 'l/c', 'l/e']);
    assert.deepEqual(grouped.prefixes, ['l/d/']);
    const firstPage = await list({ prefix: 'l/', delimiter: '/', 'max-keys': '4' });
    assert.deepEqual([firstPage.keys, firstPage.prefixes], [['l/a', 'l/b', 'l/c'], ['l/d/']]);
    const rest = await list({ prefix: 'l/', delimiter: '/', 'continuation-token': firstPage.next });
    assert.deepEqual([rest.keys, rest.prefixes], [['l/e'], []]);
  });
});
