// A small S3-compatible object server for tests: what workerd's cluster mode needs from a bucket
// (tests/s3-server/README.md). In memory, zero dependencies, path-style URLs
// (`/<bucket>/<key>`), any bucket name. Requests are not authenticated: signatures are ignored.
//
//   import { startS3 } from './tests/s3-server/server.mjs';
//   const s3 = await startS3();          // port 0 = any free port
//   s3.endpoint                          // 'http://127.0.0.1:PORT' (aws_endpoint=…)
//   s3.keys('bucket')                    // the keys stored, sorted
//   s3.read('bucket', key)               // an object's bytes (a Buffer), or undefined
//   s3.counts()                          // { 'PUT object': 12, 'PUT 412': 1, … }
//   await s3.close();
//
//   const s3 = await startS3Process();   // the same in a child process, with its own event loop:
//                                        // a busy test process then never delays the bucket
//   await s3.keys('bucket', 'prefix/')   // (async here, over HTTP), await s3.read(bucket, key)
//
// Standalone: `node tests/s3-server/server.mjs --port 9000 [--log]`.
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

const XML = 'application/xml';

const escapeXml = (text) => String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function xmlError(res, status, code, message, resource = '') {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource></Error>`;
  res.writeHead(status, { 'content-type': XML, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// The ETags an If-Match / If-None-Match header lists ('*' included), quotes kept.
const etagList = (header) => header.split(',').map((t) => t.trim().replace(/^W\//, '')).filter(Boolean);

/** Whether `header` (If-Match) allows a write or read of `object` (undefined: absent). */
function ifMatchHolds(header, object) {
  if (!object) return false;
  const tags = etagList(header);
  return tags.includes('*') || tags.includes(object.etag);
}

/** Whether `header` (If-None-Match) allows it: no listed tag matches ('*': no object at all). */
function ifNoneMatchHolds(header, object) {
  if (!object) return true;
  const tags = etagList(header);
  return !tags.includes('*') && !tags.includes(object.etag);
}

function listObjectsV2(res, name, objects, query) {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = Math.max(0, Math.min(1000, Number(query.get('max-keys') ?? 1000) || 0));
  const after = query.get('continuation-token')
    ? Buffer.from(query.get('continuation-token'), 'base64url').toString()
    : query.get('start-after') ?? '';
  const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const contents = [];
  const prefixes = new Set();
  let truncated = false;
  let last = '';
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const common = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : null;
    if (common && prefixes.has(common)) continue;
    if (contents.length + prefixes.size >= maxKeys) {
      truncated = true;
      break;
    }
    if (common) prefixes.add(common);
    else contents.push(key);
    last = common ?? key;
  }
  const items = contents.map((key) => {
    const o = objects.get(key);
    return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  });
  const common = [...prefixes].map((p) => `<CommonPrefixes><Prefix>${escapeXml(p)}</Prefix></CommonPrefixes>`);
  // A truncated listing continues after the last key or common prefix it held.
  const next = truncated ? `<NextContinuationToken>${Buffer.from(last.endsWith(delimiter) && delimiter ? last + '\uffff' : last).toString('base64url')}</NextContinuationToken>` : '';
  const token = query.get('continuation-token') ? `<ContinuationToken>${escapeXml(query.get('continuation-token'))}</ContinuationToken>` : '';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(name)}</Name><Prefix>${escapeXml(prefix)}</Prefix>${delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : ''}<KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token}${next}${items.join('')}${common.join('')}</ListBucketResult>`;
  res.writeHead(200, { 'content-type': XML, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function objectHeaders(o) {
  return {
    etag: o.etag,
    'last-modified': o.modified.toUTCString(),
    'content-type': o.type,
    'accept-ranges': 'bytes',
  };
}

// GET / HEAD of one object, with If-Match / If-None-Match and a single `bytes=a-b` range.
function readObject(req, res, o, resource) {
  if (!o) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', resource);
  if (req.headers['if-match'] && !ifMatchHolds(req.headers['if-match'], o)) {
    return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', resource);
  }
  if (req.headers['if-none-match'] && !ifNoneMatchHolds(req.headers['if-none-match'], o)) {
    res.writeHead(304, { etag: o.etag });
    return res.end();
  }
  let body = o.body;
  let status = 200;
  const headers = objectHeaders(o);
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    const size = o.body.length;
    let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    let end = range[1] && range[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
    if (start >= size || start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      return res.end();
    }
    body = o.body.subarray(start, end + 1);
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = body.length;
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Starts the server. Every PUT honours `If-None-Match: *` (only when the key is absent) and
 * `If-Match: <etag>` (only when the key holds that version), else 412 PreconditionFailed; so do
 * DELETE (If-Match) and GET / HEAD. ListObjectsV2 (`GET /<bucket>?list-type=2`) pages with
 * continuation tokens and honours prefix, delimiter, max-keys and start-after.
 */
export async function startS3({ port = 0, host = '127.0.0.1', log = false } = {}) {
  const buckets = new Map(); // name → Map(key → { body, etag, type, modified })
  const counts = {};
  const count = (what) => (counts[what] = (counts[what] ?? 0) + 1);
  const bucket = (name) => {
    if (!buckets.has(name)) buckets.set(name, new Map());
    return buckets.get(name);
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const url = new URL(req.url, 'http://s3');
      const [, name = '', ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const objects = bucket(decodeURIComponent(name));
      const body = Buffer.concat(chunks);
      const resource = url.pathname;
      if (log) console.error(`s3: ${req.method} ${req.url} ${req.headers['if-match'] ? `if-match=${req.headers['if-match']} ` : ''}${req.headers['if-none-match'] ? `if-none-match=${req.headers['if-none-match']}` : ''}`);
      if (!name) return (count('unsupported'), xmlError(res, 501, 'NotImplemented', 'Listing buckets is not supported.', resource));
      if (!key) {
        if ((req.method === 'GET' || req.method === 'HEAD') && url.searchParams.get('list-type') === '2') {
          count('LIST');
          return listObjectsV2(res, name, objects, url.searchParams);
        }
        if (req.method === 'HEAD' || req.method === 'PUT') {
          count(`${req.method} bucket`);
          res.writeHead(200);
          return res.end();
        }
        count('unsupported');
        return xmlError(res, 501, 'NotImplemented', `${req.method} ${url.search || ''} on a bucket is not supported by this test server.`, resource);
      }
      const current = objects.get(key);
      switch (req.method) {
        case 'GET':
        case 'HEAD':
          count(`${req.method} object`);
          return readObject(req, res, current, resource);
        case 'PUT': {
          const ifNone = req.headers['if-none-match'];
          const ifMatch = req.headers['if-match'];
          if ((ifNone && !ifNoneMatchHolds(ifNone, current)) || (ifMatch && !ifMatchHolds(ifMatch, current))) {
            count('PUT 412');
            return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', resource);
          }
          count('PUT object');
          const etag = `"${crypto.createHash('md5').update(body).digest('hex')}-${crypto.randomBytes(4).toString('hex')}"`;
          objects.set(key, { body, etag, type: req.headers['content-type'] ?? 'application/octet-stream', modified: new Date() });
          res.writeHead(200, { etag, 'content-length': 0 });
          return res.end();
        }
        case 'DELETE':
          if (req.headers['if-match'] && !ifMatchHolds(req.headers['if-match'], current)) {
            count('DELETE 412');
            return xmlError(res, current ? 412 : 404, current ? 'PreconditionFailed' : 'NoSuchKey', 'The precondition did not hold', resource);
          }
          count('DELETE object');
          objects.delete(key);
          res.writeHead(204);
          return res.end();
        default:
          count('unsupported');
          return xmlError(res, 501, 'NotImplemented', `${req.method} is not supported by this test server.`, resource);
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const endpoint = `http://${host}:${server.address().port}`;
  return {
    endpoint,
    port: server.address().port,
    keys: (name) => [...(buckets.get(name)?.keys() ?? [])].sort(),
    read: (name, key) => buckets.get(name)?.get(key)?.body,
    counts: () => ({ ...counts }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * startS3 in a child process (`node server.mjs --port 0`); keys and read go over HTTP
 * (ListObjectsV2, GET), so they are async. close() ends the process.
 */
export async function startS3Process({ log = false } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--port', '0', ...(log ? ['--log'] : [])], {
    stdio: ['ignore', 'pipe', log ? 'inherit' : 'ignore'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const endpoint = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /S3 test server on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the S3 test server exited with code ${code}: ${out}`)));
  });
  const keys = async (name, prefix = '') => {
    const found = [];
    let token = '';
    for (;;) {
      const query = new URLSearchParams({ 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) });
      const text = await (await fetch(`${endpoint}/${name}?${query}`)).text();
      for (const m of text.matchAll(/<Key>([^<]*)<\/Key>/g)) found.push(m[1].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(c)));
      token = /<NextContinuationToken>([^<]*)</.exec(text)?.[1] ?? '';
      if (!token) return found;
    }
  };
  const read = async (name, key) => {
    const response = await fetch(`${endpoint}/${name}/${key.split('/').map(encodeURIComponent).join('/')}`);
    return response.ok ? Buffer.from(await response.arrayBuffer()) : (await response.arrayBuffer(), undefined);
  };
  const close = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { endpoint, port: Number(new URL(endpoint).port), keys, read, close, child };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--port');
  const s3 = await startS3({ port: at > 0 ? Number(process.argv[at + 1]) : 9000, log: process.argv.includes('--log') });
  process.once('SIGTERM', () => s3.close().then(() => process.exit(0)));
  console.log(`S3 test server on ${s3.endpoint} (path-style, in memory)`);
}
