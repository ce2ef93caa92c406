// A mock AI provider for tests: zero dependencies, deterministic answers, and
// per-scenario misbehaviour set through a control API (see README.md).
//
//   import { startMock } from './server.mjs';
//   const mock = await startMock();               // { url, port, setScenario, counts, requests, reset, close }
//   node tests/mock-upstream/server.mjs --port 9100
//
// A provider's base_url selects a scenario with a path prefix:
//   http://127.0.0.1:PORT/s/<scenario>/v1  → OpenAI format, behaviour of <scenario>
//   http://127.0.0.1:PORT/v1               → scenario "default"
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Answers derived from the request, so that tests can predict them.

function lastUserText(messages) {
  for (let i = (messages ?? []).length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.filter((p) => p?.type === 'text').map((p) => p.text).join(' ');
    }
  }
  return '';
}

const countTokens = (text) => (text.match(/\S+/g) ?? []).length;

function usageFor(messages, answer) {
  const prompt = (messages ?? []).map((m) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? ''))).join(' ');
  const prompt_tokens = countTokens(prompt);
  const completion_tokens = countTokens(answer);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

// ---------------------------------------------------------------------------
// Wire formats. Each format names its routes and knows how to answer them
// normally; misbehaviour (status, latency, resets…) is applied around them.
// Add Azure / Anthropic / Gemini here as `formats.<name>`.

const formats = {
  openai: {
    routes: [
      { method: 'POST', pattern: /^\/v1\/chat\/completions$/, name: 'POST /v1/chat/completions', handler: 'chat' },
      { method: 'POST', pattern: /^\/v1\/embeddings$/, name: 'POST /v1/embeddings', handler: 'embeddings' },
      { method: 'GET', pattern: /^\/v1\/models$/, name: 'GET /v1/models', handler: 'models' },
    ],

    errorBody(status, message) {
      const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
      return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
    },

    models() {
      return { object: 'list', data: ['m1', 'm2', 'm3'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })) };
    },

    embeddings(req) {
      const inputs = Array.isArray(req.input) ? req.input : [req.input ?? ''];
      const data = inputs.map((text, index) => {
        const s = String(text);
        const vector = [0, 1, 2, 3].map((k) => ((s.length * (k + 1)) % 97) / 97);
        return { object: 'embedding', index, embedding: vector };
      });
      const tokens = inputs.reduce((n, t) => n + countTokens(String(t)), 0);
      return { object: 'list', data, model: req.model ?? 'mock-embed', usage: { prompt_tokens: tokens, total_tokens: tokens } };
    },

    completion(req, text, id, created) {
      return {
        id, object: 'chat.completion', created, model: req.model ?? 'mock', system_fingerprint: null,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: usageFor(req.messages, text),
      };
    },

    // The stream as OpenAI sends it: a role chunk, content chunks, a finish
    // chunk, an optional usage chunk (stream_options.include_usage), [DONE].
    streamEvents(req, text, id, created) {
      const base = { id, object: 'chat.completion.chunk', created, model: req.model ?? 'mock', system_fingerprint: null };
      const chunk = (delta, finish_reason = null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }] });
      const events = [chunk({ role: 'assistant', content: '', refusal: null })];
      for (const piece of text.match(/\S+\s*/g) ?? []) events.push(chunk({ content: piece }));
      events.push(chunk({}, 'stop'));
      if (req.stream_options?.include_usage) events.push({ ...base, choices: [], usage: usageFor(req.messages, text) });
      return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).concat('data: [DONE]\n\n');
    },
  },
};

function matchRoute(method, path) {
  for (const [format, spec] of Object.entries(formats)) {
    for (const route of spec.routes) {
      if (route.method === method && route.pattern.test(path)) return { format, route };
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

  async function answer(req, res, scenario, format, route, body) {
    const spec = formats[format];
    const b = behaviourFor(scenario);
    const sendJson = (status, value, extra = {}) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(text);
    };

    if (b.latency_ms) await sleep(b.latency_ms);
    if (b.reset) { req.socket.destroy(); return; }

    const retryHeaders = b.retry_after !== undefined ? { 'retry-after': String(b.retry_after) } : {};
    const status = b.status ?? 200;
    if (status !== 200) {
      return sendJson(status, b.body ?? spec.errorBody(status, `mock ${scenario}: status ${status}`), retryHeaders);
    }
    if (b.error_body_200) return sendJson(200, spec.errorBody(500, `mock ${scenario}: error in a 200 body`));
    if (b.body !== undefined) return sendJson(200, b.body, retryHeaders);

    let parsed = {};
    if (route.method === 'POST') {
      try { parsed = JSON.parse(body || '{}'); } catch { return sendJson(400, spec.errorBody(400, 'mock: request body is not JSON')); }
    }

    if (route.handler === 'models') return sendJson(200, spec.models());
    if (route.handler === 'embeddings') return sendJson(200, b.malformed ? '{"object": "list", "data": [' : spec.embeddings(parsed));

    const text = b.text ?? `mock: ${lastUserText(parsed.messages)}`;
    const id = `chatcmpl-mock${++serial}`;
    const created = 1700000000;
    if (!parsed.stream) {
      if (b.malformed) return sendJson(200, '{"id": "chatcmpl-broken", "choices": [ {');
      const full = JSON.stringify(spec.completion(parsed, text, id, created));
      if (b.truncate_stream_after !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => req.socket.destroy(), 10);
        return;
      }
      return sendJson(200, full);
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    let events = spec.streamEvents(parsed, text, id, created);
    if (b.malformed) events = [events[0], 'data: {"id": "chatcmpl-broken", "choices": [\n\n', ...events.slice(1)];
    for (let i = 0; i < events.length; i++) {
      if (b.truncate_stream_after !== undefined && i >= b.truncate_stream_after) {
        await sleep(10);
        req.socket.destroy();
        return;
      }
      if (i > 0 && b.drip_ms) await sleep(b.drip_ms);
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
      const found = matchRoute(req.method, path);
      if (log) console.log(`mock ${scenario} ${req.method} ${path}`);
      const entry = { scenario, method: req.method, path, headers: req.headers, body, aborted: false };
      res.once('close', () => { if (!res.writableFinished) entry.aborted = true; }); // the caller went away first
      requests.push(entry);
      if (requests.length > 100) requests.shift();
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: `mock: no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
      }
      const byRoute = (counts[scenario] ??= {});
      byRoute[found.route.name] = (byRoute[found.route.name] ?? 0) + 1;
      await answer(req, res, scenario, found.format, found.route, body);
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
