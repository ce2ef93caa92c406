// The one loop that performs the core's actions, shared by the npm package (web/) and the edge
// worker (worker/). docs/host-interface.md is the contract. This file only moves bytes:
// routing, retries, timeouts and caching are decided by the core.
//
// Uses only fetch, Headers, Response, ReadableStream, AbortController, TextEncoder/Decoder and
// setTimeout/clearTimeout, so it runs in browsers, web workers, Node and workerd.
//
// The persistent cache tier (L2) is the host's `cache` object (cache_indexeddb.js, cache_fs.js,
// worker/src/cache_kv.js, or any object of that shape): CACHE_GET is looked up in the owning
// request's pump and always answered exactly once with core.cacheResult (a tier error, a
// missing tier or a tier that does not answer in time is a miss); CACHE_PUT is performed by the
// pump of the request on whose behalf the core emitted it, which stays alive until the write
// settled (the caller's answer never waits for it).
//
// workerd rule: I/O on behalf of one request must not be driven from another request's
// context. Each caller request therefore gets a task queue drained by its own pump (started
// by the request() call that created it); every action concerning that request — its
// upstream fetches, its response stream, the timer calls it waits on — is performed by its
// pump or by tasks that pump started. A core call made in one request's task may produce
// actions for another request: they are queued for that request's pump, never performed here.

const FETCH = 1;
const FETCH_ABORT = 2;
const RESPOND = 3;
const STREAM_CHUNK = 4;
const STREAM_END = 5;
const WAKE_AT = 6;
const LOG = 7;
const CACHE_GET = 8;
const CACHE_PUT = 9;

// A persistent tier that has not answered a CACHE_GET by then counts as a miss.
const DEFAULT_CACHE_TIMEOUT_MS = 5000;

const RECORD_HEAD = 24; // kind, id, status, flags (u32 each) + at_ms (f64)

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Decodes an action batch (the records after the u32 count) into plain objects, copying every
 * byte field so that the batch buffer may be reused by the next core call.
 * @param {Uint8Array} records
 */
export function decodeActions(records) {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const actions = [];
  let at = 0;
  while (at + RECORD_HEAD <= records.byteLength) {
    const action = {
      kind: view.getUint32(at, true),
      id: view.getUint32(at + 4, true),
      status: view.getUint32(at + 8, true),
      flags: view.getUint32(at + 12, true),
      atMs: view.getFloat64(at + 16, true),
      method: '',
      url: '',
      headers: '',
      body: null,
    };
    at += RECORD_HEAD;
    const fields = [];
    for (let i = 0; i < 4; i++) {
      if (at + 4 > records.byteLength) throw new Error('switchyard: truncated action batch');
      const len = view.getUint32(at, true);
      at += 4;
      if (at + len > records.byteLength) throw new Error('switchyard: truncated action batch');
      fields.push(records.slice(at, at + len));
      at += len;
    }
    action.method = decoder.decode(fields[0]);
    action.url = decoder.decode(fields[1]);
    action.headers = decoder.decode(fields[2]);
    action.body = fields[3];
    actions.push(action);
  }
  if (at !== records.byteLength) throw new Error('switchyard: trailing bytes in action batch');
  return actions;
}

/** "name: value\n" lines from a plain object, an array of pairs or a Headers. */
export function headersToText(headers) {
  if (headers == null) return '';
  if (typeof headers === 'string') return headers;
  const entries =
    typeof headers.entries === 'function' && !Array.isArray(headers)
      ? headers.entries()
      : Array.isArray(headers)
        ? headers
        : Object.entries(headers);
  let text = '';
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    text += `${String(name).toLowerCase()}: ${String(value).replace(/[\r\n]+/g, ' ')}\n`;
  }
  return text;
}

/** A Headers from "name: value\n" lines. */
export function textToHeaders(text) {
  const headers = new Headers();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

function toBytes(body) {
  if (body == null) return new Uint8Array(0);
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('switchyard: a request body must be a string, Uint8Array or ArrayBuffer');
}

function abortError() {
  const error = new Error('The request was aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * @param {object} core the adapter of web/src/core_emscripten.js or web/src/core_c.js
 * @param {{ fetch: typeof fetch, now?: () => number, waitUntil?: (p: Promise<unknown>) => void,
 *           log?: (line: string) => void, cache?: CacheTier, cacheTimeoutMs?: number }} host
 *   `cache` is the persistent tier, if any:
 *   { get(key) → Promise<Uint8Array|string|null>, put(key, entryBytes, expiresAtMs) → Promise,
 *     entries() → async iterable of entry lines, clear() → Promise }
 */
export function createDriver(core, host) {
  const now = host.now ?? (() => Date.now());
  const requests = new Map(); // request id -> RequestState
  const fetches = new Map(); // fetch id -> { owner, controller, aborted }
  let nextRid = 1;
  let wakeAt = Infinity; // the core's earliest deadline, global to the engine

  function newRid() {
    for (;;) {
      const rid = nextRid;
      nextRid = nextRid >= 0xffffffff ? 1 : nextRid + 1;
      if (!requests.has(rid)) return rid;
    }
  }

  function newState(rid) {
    const state = {
      rid,
      queue: [],
      inflight: new Set(), // fetch ids owned by this request and not yet settled
      tierOps: 0, // CACHE_GET / CACHE_PUT of this request's pump not yet settled
      finished: false, // RESPOND (non-stream), STREAM_END or cancel seen
      responded: false,
      wake: null, // resolves the pump's current wait
      resolve: null,
      reject: null,
      controller: null, // the caller's ReadableStream controller while streaming
    };
    requests.set(rid, state);
    return state;
  }

  function notify(state) {
    const wake = state.wake;
    state.wake = null;
    if (wake) wake();
  }

  // Routes a batch's actions to the queues of the requests they concern. `context` is the
  // request on whose behalf the core was just called (a FETCH the core does not attribute
  // belongs to it).
  function dispatch(records, context) {
    const actions = decodeActions(records);
    for (const action of actions) {
      switch (action.kind) {
        case FETCH: {
          const owner = stateFor(action.status || context.rid, context);
          fetches.set(action.id, { owner, controller: null, aborted: false });
          owner.inflight.add(action.id);
          enqueue(owner, action);
          break;
        }
        case FETCH_ABORT: {
          const f = fetches.get(action.id);
          if (!f) break;
          f.aborted = true; // report nothing more for it, from now on
          enqueue(f.owner, action);
          break;
        }
        case RESPOND:
        case STREAM_CHUNK:
        case STREAM_END: {
          const owner = requests.get(action.id);
          if (owner) enqueue(owner, action);
          break;
        }
        case WAKE_AT:
          // The engine's earliest deadline, which may also move later.
          if (action.atMs !== wakeAt) {
            wakeAt = action.atMs;
            for (const state of requests.values()) notify(state); // each re-arms its own timer
          }
          break;
        case LOG:
          host.log?.(decoder.decode(action.body));
          break;
        case CACHE_GET:
          // Owned by request `id`; answered even when that request already went away.
          enqueue(stateFor(action.id || context.rid, context), action);
          break;
        case CACHE_PUT:
          enqueue(stateFor(context.rid, context), action);
          break;
        default:
          break; // unknown kinds are ignored, for forward compatibility
      }
    }
  }

  // The state of a live request, or (for work owned by a request that already finished) a
  // pump of its own so that the work is still performed and awaited.
  function stateFor(rid, context) {
    const state = requests.get(rid);
    if (state) return state;
    const orphan = newState(newRid());
    orphan.finished = true;
    orphan.responded = true;
    const done = Promise.resolve().then(() => pump(orphan)); // after the FETCH is queued
    host.waitUntil?.(done);
    return orphan;
  }

  function enqueue(state, action) {
    state.queue.push(action);
    notify(state);
  }

  // Calls the core and routes what it answers; a failing core fails the request concerned.
  function call(context, fn) {
    try {
      dispatch(fn(), context);
    } catch (error) {
      fail(context, error);
    }
  }

  function fail(state, error) {
    if (!state.responded) {
      state.responded = true;
      state.reject(error);
    } else if (state.controller) {
      try {
        state.controller.error(error);
      } catch {}
      state.controller = null;
    }
    state.finished = true;
    notify(state);
  }

  function perform(state, action) {
    switch (action.kind) {
      case FETCH:
        startFetch(state, action);
        break;
      case FETCH_ABORT: {
        const f = fetches.get(action.id);
        fetches.delete(action.id);
        state.inflight.delete(action.id);
        f?.controller?.abort();
        break;
      }
      case RESPOND:
        respond(state, action);
        break;
      case STREAM_CHUNK:
        if (state.controller) {
          try {
            state.controller.enqueue(action.body);
          } catch {}
        }
        break;
      case STREAM_END:
        if (state.controller) {
          try {
            state.controller.close();
          } catch {}
          state.controller = null;
        }
        state.finished = true;
        break;
      case CACHE_GET:
        cacheGet(state, action);
        break;
      case CACHE_PUT:
        cachePut(state, action);
        break;
    }
  }

  // Runs as a task of the owning request: looks the key up in the tier, then answers the core
  // exactly once. Anything but an entry (no tier, an error, a timeout, an empty value) is a miss.
  function cacheGet(state, action) {
    const rid = action.id || state.rid;
    const key = action.url;
    state.tierOps++;
    (async () => {
      let entry = null;
      if (host.cache && typeof host.cache.get === 'function') {
        let timer = null;
        try {
          const timeoutMs = host.cacheTimeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS;
          const timeout = new Promise((resolve) => {
            timer = setTimeout(() => resolve(null), timeoutMs);
          });
          entry = await Promise.race([Promise.resolve().then(() => host.cache.get(key)), timeout]);
        } catch (error) {
          host.log?.(`switchyard: cache tier get failed (a miss): ${error?.message ?? error}`);
          entry = null;
        } finally {
          if (timer !== null) clearTimeout(timer);
        }
      }
      const bytes = entry == null ? new Uint8Array(0) : toBytes(entry);
      call(state, () => core.cacheResult(rid, bytes, now()));
    })()
      .catch((error) => fail(state, error))
      .finally(() => {
        state.tierOps--;
        notify(state);
      });
  }

  // Fire and forget for the caller; the pump waits for the write before it ends.
  function cachePut(state, action) {
    if (!host.cache || typeof host.cache.put !== 'function') return;
    state.tierOps++;
    Promise.resolve()
      .then(() => host.cache.put(action.url, action.body, action.atMs))
      .catch((error) => host.log?.(`switchyard: cache tier put failed: ${error?.message ?? error}`))
      .finally(() => {
        state.tierOps--;
        notify(state);
      });
  }

  function respond(state, action) {
    if (state.responded) return;
    state.responded = true;
    const headers = textToHeaders(action.headers);
    const status = action.status;
    if (action.flags & 1) {
      const body = new ReadableStream({
        start(controller) {
          state.controller = controller;
        },
        cancel() {
          // The caller went away: the core aborts the request's upstream work.
          state.controller = null;
          if (state.finished) return;
          state.finished = true;
          call(state, () => core.cancel(state.rid, now()));
          notify(state);
        },
      });
      state.resolve(new Response(body, { status, headers }));
    } else {
      const nullBody = status === 204 || status === 205 || status === 304;
      state.resolve(new Response(nullBody ? null : action.body, { status, headers }));
      state.finished = true;
    }
  }

  // Runs as a task of the owning request: fetch, then report response, body chunks and end.
  function startFetch(state, action) {
    const fid = action.id;
    const f = fetches.get(fid);
    if (!f || f.aborted) {
      state.inflight.delete(fid);
      return;
    }
    f.controller = new AbortController();
    const init = {
      method: action.method || 'GET',
      headers: textToHeaders(action.headers),
      signal: f.controller.signal,
    };
    if (action.body.length > 0) init.body = action.body;
    const settled = () => {
      fetches.delete(fid);
      state.inflight.delete(fid);
      notify(state);
    };
    (async () => {
      try {
        const response = await host.fetch(action.url, init);
        if (f.aborted) return;
        call(state, () =>
          core.fetchResponse(fid, response.status, headersToText(response.headers), now()),
        );
        if (response.body) {
          const reader = response.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (f.aborted) {
              reader.cancel().catch(() => {});
              return;
            }
            if (done) break;
            if (value.length > 0) call(state, () => core.fetchBody(fid, value, now()));
          }
        }
        if (f.aborted) return;
        call(state, () => core.fetchEnd(fid, now()));
      } catch (error) {
        if (f.aborted) return;
        const message = error instanceof Error ? error.message || error.name : String(error);
        call(state, () => core.fetchError(fid, message || 'network error', now()));
      } finally {
        settled();
      }
    })();
  }

  // The request's own task: performs its queued actions and calls the core's timer when the
  // engine's earliest deadline passes, until the request finished and its fetches settled.
  async function pump(state) {
    try {
      for (;;) {
        while (state.queue.length > 0) perform(state, state.queue.shift());
        if (state.finished && state.inflight.size === 0 && state.tierOps === 0) break;
        let timeout = null;
        const fired = await new Promise((resolve) => {
          state.wake = () => resolve(false);
          if (wakeAt !== Infinity) {
            timeout = setTimeout(() => resolve(true), Math.max(0, Math.ceil(wakeAt - now())));
          }
        });
        state.wake = null;
        if (timeout !== null) clearTimeout(timeout);
        if (fired && wakeAt !== Infinity) {
          const t = now();
          if (t >= wakeAt) {
            wakeAt = Infinity; // the core answers with its next deadline, if any
            call(state, () => core.timer(t));
          }
        }
      }
    } catch (error) {
      fail(state, error);
    } finally {
      requests.delete(state.rid);
      if (!state.responded) {
        state.responded = true;
        state.reject(new Error('switchyard: the core ended the request without an answer'));
      }
    }
  }

  return {
    /**
     * Submits a caller request to the core and performs its actions.
     * @param {string} method
     * @param {string} path e.g. "/v1/chat/completions"
     * @param {object|Headers|string|Array<[string,string]>} [headers]
     * @param {string|Uint8Array|ArrayBuffer|null} [body]
     * @param {{ signal?: AbortSignal, onSettled?: (done: Promise<void>) => void }} [options]
     *   aborting `signal` cancels the request in the core; `onSettled` receives a promise that
     *   resolves once every action of the request (its fetches, its cache tier writes) settled
     * @returns {Promise<Response>}
     */
    request(method, path, headers, body, options = {}) {
      const state = newState(newRid());
      const response = new Promise((resolve, reject) => {
        state.resolve = resolve;
        state.reject = reject;
      });
      const { signal } = options;
      if (signal?.aborted) {
        requests.delete(state.rid);
        return Promise.reject(signal.reason ?? abortError());
      }
      let bytes;
      try {
        bytes = toBytes(body);
      } catch (error) {
        requests.delete(state.rid);
        return Promise.reject(error);
      }
      const onAbort = () => {
        if (state.finished) return;
        state.finished = true;
        call(state, () => core.cancel(state.rid, now()));
        if (state.controller) {
          try {
            state.controller.error(signal.reason ?? abortError());
          } catch {}
          state.controller = null;
        }
        if (!state.responded) {
          state.responded = true;
          state.reject(signal.reason ?? abortError());
        }
        notify(state);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      call(state, () =>
        core.submit(state.rid, String(method), String(path), headersToText(headers), bytes, now()),
      );
      const done = pump(state).finally(() => signal?.removeEventListener('abort', onAbort));
      host.waitUntil?.(done);
      options.onSettled?.(done);
      return response;
    },
  };
}
