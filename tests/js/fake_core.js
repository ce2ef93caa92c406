// A small core written in JS behind the adapter interface (docs/host-interface.md), for the
// driver's own tests (tests/js/driver.test.js): it emits action batches in the real encoding and
// keeps the contract the driver relies on (one RESPOND per request, body limit and deadline,
// next deadline, CACHE_LIST / CACHE_CLEAR answered through cacheResult), with routes made for
// those tests. It is not the core: tests/js/core_suite.js runs the real builds.
//
// Routes (the path's first segment):
//   /echo           200 with the request body
//   /reject         401 as soon as the head arrives
//   /wait?ms=N      200 once N ms passed after the body ended (a pure core deadline)
//   /upstream       a FETCH to http://up.test/ with the body; 200 with what it answered, 504
//                   when it has not answered within 5 s (the fetch is aborted)
//   /stream         the same FETCH, streamed (flags bit0): the first piece of its answer opens a
//                   streamed 200 (RESPOND flags bit0), each piece is a STREAM_CHUNK, its end the
//                   STREAM_END
//   /cache          GET: CACHE_LIST, answered with the lines; DELETE: CACHE_CLEAR
//   /send           a SEND (telemetry) of the body to http://collector.test/v1/traces owned by the
//                   request, then 200 "sent" at once
//   /state?object=N a STATE action on object N with the body as its op, owned by the request:
//                   200 with the answer stateResult gave, 503 when it was empty; with &owner=none
//                   the action has no owner (status 0) and the request is answered 202 at once
// Every request's body must end within bodyTimeoutMs (408) and stay under maxBodyBytes (413).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const KIND = { FETCH: 1, FETCH_ABORT: 2, RESPOND: 3, STREAM_CHUNK: 4, STREAM_END: 5, LOG: 7, CACHE_LIST: 10, CACHE_CLEAR: 11, STATE: 12, SEND: 13 };

/** Encodes action records as the core does (docs/host-interface.md, "the batch encoding"). */
export function encodeActions(actions) {
  const parts = [];
  for (const a of actions) {
    const fields = [a.method ?? '', a.url ?? '', a.headers ?? '', a.body ?? ''].map((f) => (typeof f === 'string' ? encoder.encode(f) : f));
    const head = new DataView(new ArrayBuffer(24));
    head.setUint32(0, a.kind, true);
    head.setUint32(4, a.id ?? 0, true);
    head.setUint32(8, a.status ?? 0, true);
    head.setUint32(12, a.flags ?? 0, true);
    head.setFloat64(16, a.atMs ?? 0, true);
    parts.push(new Uint8Array(head.buffer));
    for (const f of fields) {
      const len = new DataView(new ArrayBuffer(4));
      len.setUint32(0, f.length, true);
      parts.push(new Uint8Array(len.buffer), f);
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * @param {{ bodyTimeoutMs?: number, maxBodyBytes?: number, upstreamTimeoutMs?: number }} [options]
 */
export function createFakeCore({ bodyTimeoutMs = 300, maxBodyBytes = 1024, upstreamTimeoutMs = 5000 } = {}) {
  const requests = new Map(); // rid -> { path, method, chunks, size, deadline, kind, fid }
  const fetches = new Map(); // fid -> rid
  const calls = {}; // adapter method -> count
  const cacheResults = new Map(); // rid -> count
  const stateResults = new Map(); // op id -> [answers given]
  const stateOps = new Map(); // op id -> owning rid (0: none)
  const shared = { enabled: false };
  let nextOp = 1;
  let out = [];
  let nextFid = 1;

  const respond = (rid, status, body = '') => {
    requests.delete(rid);
    out.push({ kind: KIND.RESPOND, id: rid, status, headers: 'content-type: text/plain\n', body });
  };

  function finishBody(rid, r, now) {
    const body = concat(r.chunks);
    r.deadline = Infinity;
    const route = r.path.split('?')[0];
    if (route === '/echo') return respond(rid, 200, body);
    if (route === '/send') {
      out.push({ kind: KIND.SEND, status: rid, method: 'POST', url: 'http://collector.test/v1/traces?x=1', headers: 'content-type: application/json\n', body });
      return respond(rid, 200, 'sent');
    }
    if (route === '/wait') {
      r.kind = 'wait';
      r.deadline = now + Number(new URLSearchParams(r.path.split('?')[1]).get('ms'));
      return;
    }
    if (route === '/upstream' || route === '/stream') {
      r.kind = route === '/stream' ? 'stream' : 'fetch';
      r.fid = nextFid++;
      r.deadline = now + upstreamTimeoutMs;
      fetches.set(r.fid, rid);
      const flags = r.kind === 'stream' ? 1 : 0;
      return out.push({ kind: KIND.FETCH, id: r.fid, status: rid, flags, method: 'POST', url: 'http://up.test/', body });
    }
    if (route === '/state') {
      const query = new URLSearchParams(r.path.split('?')[1]);
      const op = nextOp++;
      const owner = query.get('owner') === 'none' ? 0 : rid;
      stateOps.set(op, owner);
      out.push({ kind: KIND.STATE, id: op, status: owner, url: query.get('object') ?? '', body });
      if (owner === 0) return respond(rid, 202, String(op));
      r.kind = 'state';
      return;
    }
    if (route === '/cache') {
      r.kind = 'tier';
      return out.push({ kind: r.method === 'DELETE' ? KIND.CACHE_CLEAR : KIND.CACHE_LIST, id: rid });
    }
    respond(rid, 404, 'no such route');
  }

  // A streamed answer opens at its first piece (or its end); from then on no deadline applies.
  function openStream(rid, r) {
    if (r.open) return;
    r.open = true;
    r.deadline = Infinity;
    out.push({ kind: KIND.RESPOND, id: rid, status: 200, flags: 1, headers: 'content-type: text/event-stream\n' });
  }

  function expire(rid, r) {
    if (r.kind === 'wait') return respond(rid, 200, 'waited');
    if (r.kind === 'fetch' || r.kind === 'stream') {
      fetches.delete(r.fid);
      out.push({ kind: KIND.FETCH_ABORT, id: r.fid });
      return respond(rid, 504, 'upstream timeout');
    }
    respond(rid, 408, 'body timeout');
  }

  const batch = (name, fn) => (...args) => {
    calls[name] = (calls[name] ?? 0) + 1;
    out = [];
    fn(...args);
    return encodeActions(out);
  };

  function begin(rid, method, path, now) {
    requests.set(rid, { method, path, chunks: [], size: 0, deadline: now + bodyTimeoutMs, kind: 'body', upstream: [] });
    if (path === '/reject') respond(rid, 401, 'no key');
  }

  function body(rid, bytes) {
    const r = requests.get(rid);
    if (!r || r.kind !== 'body') return;
    r.size += bytes.length;
    if (r.size > maxBodyBytes) return respond(rid, 413, 'too large');
    r.chunks.push(typeof bytes === 'string' ? encoder.encode(bytes) : bytes.slice());
  }

  function end(rid, now) {
    const r = requests.get(rid);
    if (r && r.kind === 'body') finishBody(rid, r, now);
  }

  const core = {
    configure: () => null,
    envNames: () => [],
    begin: batch('begin', (rid, method, path, headers, now) => begin(rid, method, path, now)),
    body: batch('body', (rid, bytes) => body(rid, bytes)),
    end: batch('end', (rid, now) => end(rid, now)),
    submit: batch('submit', (rid, method, path, headers, bytes, now) => {
      begin(rid, method, path, now);
      body(rid, bytes);
      end(rid, now);
    }),
    cancel: batch('cancel', (rid) => {
      const r = requests.get(rid);
      requests.delete(rid);
      if (r?.kind === 'fetch' || r?.kind === 'stream') {
        fetches.delete(r.fid);
        out.push({ kind: KIND.FETCH_ABORT, id: r.fid });
      }
    }),
    fetchResponse: batch('fetchResponse', () => {}),
    fetchBody: batch('fetchBody', (fid, bytes) => {
      const rid = fetches.get(fid);
      const r = requests.get(rid);
      if (r?.kind === 'stream') {
        openStream(rid, r);
        out.push({ kind: KIND.STREAM_CHUNK, id: rid, body: bytes.slice() });
      } else r?.upstream.push(bytes.slice());
    }),
    fetchEnd: batch('fetchEnd', (fid) => {
      const rid = fetches.get(fid);
      fetches.delete(fid);
      const r = requests.get(rid);
      if (r?.kind === 'stream') {
        openStream(rid, r);
        requests.delete(rid);
        out.push({ kind: KIND.STREAM_END, id: rid });
      } else if (r) respond(rid, 200, concat(r.upstream));
    }),
    fetchError: batch('fetchError', (fid) => {
      const rid = fetches.get(fid);
      fetches.delete(fid);
      if (requests.get(rid)?.open) {
        requests.delete(rid);
        out.push({ kind: KIND.STREAM_END, id: rid });
      } else if (requests.has(rid)) respond(rid, 502, 'upstream failed');
    }),
    timer: batch('timer', (now) => {
      for (const [rid, r] of [...requests]) if (r.deadline <= now) expire(rid, r);
    }),
    nextDeadline() {
      calls.nextDeadline = (calls.nextDeadline ?? 0) + 1;
      let at = Infinity;
      for (const r of requests.values()) at = Math.min(at, r.deadline);
      return at;
    },
    cacheResult: batch('cacheResult', (rid, data) => {
      cacheResults.set(rid, (cacheResults.get(rid) ?? 0) + 1);
      const r = requests.get(rid);
      if (r?.kind === 'tier') respond(rid, 200, typeof data === 'string' ? data : decoder.decode(data));
    }),
    enablePersistence: () => {},
    enableSharedState: (on) => {
      shared.enabled = on;
    },
    stateResult: batch('stateResult', (op, data) => {
      const text = typeof data === 'string' ? data : decoder.decode(data);
      stateResults.set(op, [...(stateResults.get(op) ?? []), text]);
      const rid = stateOps.get(op);
      const r = requests.get(rid);
      if (r?.kind === 'state') respond(rid, text === '' ? 503 : 200, text === '' ? 'state_unavailable' : text);
    }),
    free: () => {},
  };
  return { core, calls, cacheResults, stateResults, shared, pending: () => requests.size };
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
