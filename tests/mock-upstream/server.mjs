// A mock AI provider for tests: zero dependencies, deterministic answers, and
// per-scenario misbehaviour set through a control API (see README.md).
//
//   import { startMock } from './server.mjs';
//   const mock = await startMock();               // { url, port, setScenario, counts, requests, reset, close }
//   node tests/mock-upstream/server.mjs --port 9100
//
// It speaks OpenAI (chat completions and the Responses API), Azure OpenAI, Anthropic and Gemini
// (formats/*.mjs), each picked by its route, and refuses requests the real API would refuse. A
// provider's base_url selects a scenario with a path prefix:
//   http://127.0.0.1:PORT/s/<scenario>/v1      → OpenAI (/chat/completions, /responses) or Anthropic (/messages)
//   http://127.0.0.1:PORT/s/<scenario>/v1beta  → Gemini (/models/{model}:generateContent…)
//   http://127.0.0.1:PORT/s/<scenario>         → Azure (/openai/deployments/{deployment}/…)
//   http://127.0.0.1:PORT/v1                   → scenario "default"
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { Refusal, replyFor } from './formats/common.mjs';
import { openai } from './formats/openai.mjs';
import { openaiResponses } from './formats/openai_responses.mjs';
import { azure } from './formats/azure.mjs';
import { anthropic } from './formats/anthropic.mjs';
import { gemini } from './formats/gemini.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Wire formats (formats/*.mjs). Each names its routes, validates requests the way
// the real API does, and writes the answers, streams and errors in its own shape;
// misbehaviour (status, latency, resets…) is applied around them, the same for all.

const formats = { openai, openai_responses: openaiResponses, azure, anthropic, gemini };

// OpenAI and Anthropic share `GET /v1/models`: a route's `when(headers)` tells them apart.
function matchRoute(method, path, headers) {
  for (const [format, spec] of Object.entries(formats)) {
    for (const route of spec.routes) {
      const match = route.method === method && (route.when?.(headers) ?? true) ? route.pattern.exec(path) : null;
      if (match) return { format, route, match };
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// The server.

export async function startMock({ port = 0, host = '127.0.0.1', log = false } = {}) {
  let scenarios = new Map();    // name → spec
  let calls = new Map();        // name → number of calls answered so far (indexes `sequence`)
  let counts = {};              // scenario → route name → n
  let requests = [];            // the last 100 requests, for assertions
  let serial = 0;

  const reset = () => { scenarios = new Map(); calls = new Map(); counts = {}; requests = []; };

  // The behaviour for this call: the scenario's base spec, overlaid by the
  // sequence entry for this call number (when the sequence has one).
  function behaviourFor(name) {
    const spec = scenarios.get(name) ?? {};
    const n = calls.get(name) ?? 0;
    calls.set(name, n + 1);
    const { sequence, ...base } = spec;
    return Array.isArray(sequence) && n < sequence.length ? { ...base, ...sequence[n] } : base;
  }

  async function control(req, res, path, body) {
    const send = (status, value) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    const m = path.match(/^\/_mock\/scenarios\/([^/]+)$/);
    if (m && req.method === 'PUT') {
      let spec;
      try { spec = body.length ? JSON.parse(body) : {}; } catch { return send(400, { error: 'scenario spec is not JSON' }); }
      scenarios.set(decodeURIComponent(m[1]), spec);
      calls.delete(decodeURIComponent(m[1]));
      return send(200, { ok: true });
    }
    if (m && req.method === 'DELETE') { scenarios.delete(decodeURIComponent(m[1])); return send(200, { ok: true }); }
    if (path === '/_mock/scenarios' && req.method === 'GET') return send(200, Object.fromEntries(scenarios));
    if (path === '/_mock/counts' && req.method === 'GET') return send(200, counts);
    if (path === '/_mock/requests' && req.method === 'GET') return send(200, requests);
    if (path === '/_mock/reset' && req.method === 'POST') { reset(); return send(200, { ok: true }); }
    return send(404, { error: `no control route ${req.method} ${path}` });
  }

  async function answer(req, res, scenario, format, route, match, body, query) {
    const spec = formats[format];
    const b = behaviourFor(scenario);
    const n = ++serial;
    const ctx = { serial: n, id: `chatcmpl-mock${n}`, created: 1700000000, sse: query.get('alt') === 'sse', behaviour: b };
    const sendJson = (status, value, extra = {}) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra });
      res.end(text);
    };
    const refused = (e) => sendJson(e.status, spec.errorBody(e.status, e.message, e.extra));

    if (b.latency_ms) await sleep(b.latency_ms);
    if (b.reset) { req.socket.destroy(); return; }

    // What the real API checks before anything else: the route (Azure's api-version and
    // deployment, Gemini's model) and the key.
    try {
      spec.route?.({ headers: req.headers, query }, route, match, b, ctx);
      spec.authenticate?.({ headers: req.headers, query }, b);
    } catch (e) {
      if (e instanceof Refusal) return refused(e);
      throw e;
    }

    const retryHeaders = b.retry_after !== undefined ? { 'retry-after': String(b.retry_after) } : {};
    const status = b.status ?? 200;
    if (status !== 200) {
      return sendJson(status, b.body ?? spec.errorBody(status, `mock ${scenario}: status ${status}`, {}), retryHeaders);
    }
    const named = b.error !== undefined ? spec.namedError(b.error) : null;
    if (b.error !== undefined && !named) return sendJson(500, { error: { message: `mock: no error kind "${b.error}" for ${format}` } });
    if (named?.status) return sendJson(named.status, named.body, { ...(named.headers ?? {}), ...retryHeaders });
    if (b.error_body_200) return sendJson(200, spec.errorBody(500, `mock ${scenario}: error in a 200 body`, {}));
    if (b.body !== undefined) return sendJson(200, b.body, retryHeaders);

    let parsed = {};
    if (route.method === 'POST') {
      try { parsed = JSON.parse(body || '{}'); } catch {
        return sendJson(400, spec.errorBody(400, 'mock: request body is not JSON', {}));
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return sendJson(400, spec.errorBody(400, 'mock: request body is not a JSON object', {}));
    }

    // Embeddings, model lists and images: one JSON answer, validated like the real API.
    if (route.handler === 'models' || route.handler === 'embeddings' || route.handler === 'images') {
      let value;
      try {
        if (route.handler === 'models') value = spec.models({ headers: req.headers, query }, b, ctx);
        else if (route.handler === 'images') value = spec.images(route, parsed, ctx, b);
        else value = spec.embeddings(route, parsed, ctx, b);
      } catch (e) {
        if (e instanceof Refusal) return refused(e);
        throw e;
      }
      const malformed = { models: spec.malformedModels ?? '{"data": [', images: spec.malformedImages ?? '{"created": 1700000000, "data": [' };
      if (b.malformed) return sendJson(200, malformed[route.handler] ?? spec.malformedEmbeddings ?? '{"object": "list", "data": [');
      const full = JSON.stringify(value);
      if (b.truncate_stream_after !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => req.socket.destroy(), 10);
        return;
      }
      return sendJson(200, full, retryHeaders);
    }

    let reply;
    try {
      spec.validate(route, parsed, ctx);
      reply = replyFor(spec.view(route, parsed, ctx), b);
    } catch (e) {
      if (e instanceof Refusal) return refused(e);
      throw e;
    }
    if (named?.finish) reply.finish = named.finish;
    if (named?.blockReason) ctx.blockReason = named.blockReason;
    ctx.model = spec.model(route, parsed, ctx);
    ctx.body = parsed;

    if (!spec.isStream(route, parsed)) {
      if (b.malformed) return sendJson(200, spec.malformedBody);
      const full = JSON.stringify(ctx.blockReason ? spec.blocked(ctx, reply, ctx.blockReason) : spec.completion(ctx, reply));
      if (b.truncate_stream_after !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => req.socket.destroy(), 10);
        return;
      }
      return sendJson(200, full);
    }

    const sseStream = format !== 'gemini' || ctx.sse;
    res.writeHead(200, sseStream
      ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' }
      : { 'content-type': 'application/json; charset=UTF-8' });
    res.flushHeaders();
    let events = spec.streamEvents(ctx, reply);
    if (b.malformed) events = [events[0], spec.malformedEvent, ...events.slice(1)];
    if (b.stream_error_after !== undefined) {
      const k = Math.max(1, Math.min(b.stream_error_after, events.length));
      events = [...events.slice(0, k), spec.streamError(`mock ${scenario}: failure mid-stream`, ctx)];
    }
    if (b.chunk_bytes) {
      // The whole stream re-cut into n-byte writes: lines, CRLFs, JSON and UTF-8 sequences
      // end up split across reads (truncate_stream_after then counts writes, not events).
      const bytes = Buffer.from(events.join(''), 'utf8');
      const size = Math.max(1, b.chunk_bytes);
      events = [];
      for (let at = 0; at < bytes.length; at += size) events.push(bytes.subarray(at, at + size));
    }
    for (let i = 0; i < events.length; i++) {
      if (b.truncate_stream_after !== undefined && i >= b.truncate_stream_after) {
        await sleep(10);
        req.socket.destroy();
        return;
      }
      if (i > 0 && b.drip_ms) await sleep(b.drip_ms);
      else if (i > 0 && b.chunk_bytes) await new Promise((resolve) => setImmediate(resolve));
      if (res.destroyed) return;
      res.write(events[i]);
    }
    res.end();
  }

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://mock');
    let path = url.pathname;
    try {
      if (path.startsWith('/_mock/')) return await control(req, res, path, body);

      let scenario = 'default';
      const m = path.match(/^\/s\/([^/]+)(\/.*)$/);
      if (m) { scenario = decodeURIComponent(m[1]); path = m[2]; }
      const found = matchRoute(req.method, path, req.headers);
      if (log) console.log(`mock ${scenario} ${req.method} ${path}${url.search}`);
      const entry = {
        scenario, method: req.method, path, query: Object.fromEntries(url.searchParams), route: found?.route.name ?? null,
        format: found?.format ?? null, headers: req.headers, body, aborted: false,
      };
      res.once('close', () => { if (!res.writableFinished) entry.aborted = true; }); // the caller went away first
      requests.push(entry);
      if (requests.length > 100) requests.shift();
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: `mock: no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
      }
      const byRoute = (counts[scenario] ??= {});
      byRoute[found.route.name] = (byRoute[found.route.name] ?? 0) + 1;
      await answer(req, res, scenario, found.format, found.route, found.match, body, url.searchParams);
    } catch (err) {
      if (!res.headersSent) { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(`mock failure: ${err.message}`); }
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;

  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const actualPort = server.address().port;
  const url = `http://${host}:${actualPort}`;
  return {
    url,
    port: actualPort,
    scenarioUrl: (name, suffix = '/v1') => `${url}/s/${encodeURIComponent(name)}${suffix}`,
    setScenario(name, spec) { scenarios.set(name, spec ?? {}); calls.delete(name); },
    counts: () => structuredClone(counts),
    requests: () => structuredClone(requests),
    reset,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 9100;
  const mock = await startMock({ port, log: process.argv.includes('--log') });
  console.log(`mock upstream on ${mock.url} (scenario URLs: ${mock.url}/s/<name>/v1)`);
  const stop = async () => { await mock.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
