// The one loop that performs the core's actions, shared by the npm package (web/) and the edge
// worker (worker/). docs/host-interface.md is the contract. This file only moves bytes:
// routing, retries, timeouts, body limits and caching are decided by the core.
//
// Uses only fetch, Headers, Response, ReadableStream, AbortController, TextEncoder/Decoder and
// setTimeout/clearTimeout, so it runs in browsers, web workers, Node and workerd.
//
// workerd rule: I/O on behalf of one request must not be driven from another request's
// context, and a timer dies with the request that set it. Each caller request therefore gets a
// task queue drained by its own pump (started by the request() call that created it); every
// action concerning that request — its upstream fetches, its response stream, reading its body,
// its cache tier work — is performed by its pump or by tasks that pump started, or right where
// the core emitted it when that core call was made in the request's own task and nothing of it is
// queued (its upstream fetch, its answer, its stream's chunks: no wake-up of the pump in
// between). A core call made in one request's task may produce actions for another request: they
// are queued for that request's pump, never performed here.
//
// Time: the driver keeps ONE timer at the core's next deadline (core.nextDeadline(), asked
// after every core call). It is armed from the task that made the call, so it lives in that
// request's context; it is re-armed only when the deadline came earlier (a deadline that moved
// later keeps it: it fires early, and the core call it makes finds nothing due and re-arms it).
// When the request owning it finishes while a deadline is pending, the timer is handed to one
// other live request (the newest still waiting for its answer), whose pump arms it again.
// Firing calls core.timer(now) in the owner's task.
//
// workerd also cancels a request as hung when its context has nothing pending (no fetch, no
// timer, no body being read) while it waits, e.g. a caller coalesced onto another request's
// upstream call, or queued behind a limit. With `host.keepAliveMs`, a request that waits with
// no I/O of its own keeps one idle timer of that length in its own context; it only re-arms
// itself, and no deadline ever moves it.
//
// Request bodies stream into the core; once it answered (a 413 over the limit, a 408 past the
// body deadline, any error), nothing more is fed to it and the body is cancelled. workerd
// closes the connection under a caller that is still sending, which then sees a broken pipe
// instead of the answer: with `host.bodyLingerMs`, the rest of the body is read and dropped for
// at most that long while the answer (sent at once) stays open, as servers do with a lingering
// close.
//
// The persistent cache tier (L2) is the host's `cache` object (cache_indexeddb.js, cache_fs.js,
// worker/src/cache_kv.js, or any object of that shape). CACHE_GET, CACHE_LIST and CACHE_CLEAR
// are performed in the owning request's task and always answered exactly once with
// core.cacheResult (with a tier that fails, is missing or does not answer in time: a miss, an
// empty list, a clear answered all the same and logged); CACHE_PUT is performed by the pump of
// the request on whose behalf the core emitted it, which stays alive until the write settled
// (the caller's answer never waits for it).
//
// SEND (telemetry: OTLP exports) is fire and forget: performed by the pump of the request that
// owns it (or, with no owner, of the request whose core call emitted it; an orphan pump under
// host.waitUntil when that one already ended), never awaited by an answer, bounded by
// host.sendTimeoutMs, never retried; a failure is logged.
//
// Shared state (docs/host-interface.md): a host with `state(objectName, opText) → Promise<string>`
// (the edge worker's Durable Objects) has the core lease its pools from those objects; the driver
// then enables shared state and performs each STATE action in the owning request's task (or, for
// none, in the task of the core call that emitted it), answering it exactly once with
// core.stateResult: the object's answer, or empty when it failed or took longer than
// `stateTimeoutMs` (default 5000).

const FETCH = 1;
const FETCH_ABORT = 2;
const RESPOND = 3;
const STREAM_CHUNK = 4;
const STREAM_END = 5;
const LOG = 7;
const CACHE_GET = 8;
const CACHE_PUT = 9;
const CACHE_LIST = 10;
const CACHE_CLEAR = 11;
const STATE = 12;
const SEND = 13;

// A persistent tier that has not answered by then (a get, a clear, one step of a listing)
// counts as having failed.
const DEFAULT_CACHE_TIMEOUT_MS = 5000;
// A telemetry SEND that has not completed by then is aborted (and logged).
const DEFAULT_SEND_TIMEOUT_MS = 10000;
// A shared-state operation that has not answered by then has failed.
const DEFAULT_STATE_TIMEOUT_MS = 5000;
// setTimeout's longest delay; a later deadline is simply re-armed when this one fires.
const MAX_DELAY_MS = 0x7fffffff;
// A body taken whole (host.fetchWhole) is given to the core in pieces of at most this size.
const WHOLE_PIECE = 64 * 1024;

const RECORD_HEAD = 24; // kind, id, status, flags (u32 each) + at_ms (f64)

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const EMPTY = new Uint8Array(0);

/**
 * Decodes an action batch (the records after the u32 count) into plain objects. The body is the
 * one field copied (it outlives the batch, whose buffer the next core call reuses); method, URL
 * and headers are decoded straight from the batch, and only when not empty (most kinds leave
 * them so).
 * @param {Uint8Array} records
 * @param {{ buffer?: ArrayBufferLike, view?: DataView }} [views] one DataView over the whole
 *   buffer the batches are in (the core's memory), kept here and reused while it stays the same
 */
export function decodeActions(records, views = {}) {
  if (records.buffer !== views.buffer) {
    views.buffer = records.buffer;
    views.view = new DataView(records.buffer);
  }
  const view = views.view;
  const base = records.byteOffset;
  const size = records.byteLength;
  const actions = [];
  let at = 0;
  while (at + RECORD_HEAD <= size) {
    const o = base + at;
    const action = {
      kind: view.getUint32(o, true),
      id: view.getUint32(o + 4, true),
      status: view.getUint32(o + 8, true),
      flags: view.getUint32(o + 12, true),
      atMs: view.getFloat64(o + 16, true),
      method: '',
      url: '',
      headers: '',
      body: EMPTY,
    };
    at += RECORD_HEAD;
    for (let i = 0; i < 4; i++) {
      if (at + 4 > size) throw new Error('switchyard: truncated action batch');
      const len = view.getUint32(base + at, true);
      at += 4;
      if (at + len > size) throw new Error('switchyard: truncated action batch');
      if (len > 0) {
        if (i === 3) action.body = records.slice(at, at + len);
        else {
          const text = decoder.decode(records.subarray(at, at + len));
          if (i === 0) action.method = text;
          else if (i === 1) action.url = text;
          else action.headers = text;
        }
      }
      at += len;
    }
    actions.push(action);
  }
  if (at !== size) throw new Error('switchyard: trailing bytes in action batch');
  return actions;
}

/** "name: value\n" lines from a plain object, an array of pairs or a Headers. */
export function headersToText(headers) {
  if (headers == null) return '';
  if (typeof headers === 'string') return headers;
  if (typeof Headers === 'function' && headers instanceof Headers) {
    // A Headers yields lower-case names and values without CR or LF (and each set-cookie on
    // its own): nothing to normalise. forEach visits the same pairs as its iterator, at about
    // half the cost in workerd (no iterator result and no [name, value] array per header).
    let text = '';
    headers.forEach((value, name) => {
      text += name + ': ' + value + '\n';
    });
    return text;
  }
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

/**
 * A Headers from "name: value\n" lines: both sides trimmed, a line without a name skipped,
 * repeated names kept (append validates: a value outside ISO-8859-1 or with a NUL is a
 * TypeError). Built by append: workerd takes a Headers into fetch() faster than an array of
 * pairs it must convert. (An answer's headers go into its Response's own: respond().)
 */
export function textToHeaders(text) {
  return appendLines(new Headers(), text);
}

// Appends "name: value\n" lines to `headers` (as textToHeaders reads them); returns it.
function appendLines(headers, text) {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', at);
    if (colon > at && colon < end) headers.append(text.slice(at, colon).trim(), text.slice(colon + 1, end).trim());
    at = end + 1;
  }
  return headers;
}

function toBytes(body) {
  if (body == null) return new Uint8Array(0);
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('switchyard: a request body must be a string, Uint8Array, ArrayBuffer or ReadableStream');
}

function isStream(body) {
  return body !== null && typeof body === 'object' && typeof body.getReader === 'function';
}

function abortError() {
  const error = new Error('The request was aborted');
  error.name = 'AbortError';
  return error;
}

function messageOf(error) {
  return error instanceof Error ? error.message || error.name : String(error);
}

// Rejects with a timeout error when `promise` has not settled within `ms`.
function bounded(promise, ms) {
  let timer = null;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * @param {object} core the adapter of web/src/core_c.js (or web/src/core_emscripten.js)
 * @param {{ fetch: typeof fetch, now?: () => number, waitUntil?: (p: Promise<unknown>) => void,
 *           log?: (line: string) => void, cache?: CacheTier, cacheTimeoutMs?: number,
 *           keepAliveMs?: number, bodyLingerMs?: number, fetchWhole?: Function,
 *           state?: (objectName: string, opText: string) => Promise<string>, stateTimeoutMs?: number }} host
 *   `cache` is the persistent tier, if any:
 *   { get(key) → Promise<Uint8Array|string|null>, put(key, entryBytes, expiresAtMs) → Promise,
 *     entries() → async iterable of entry lines, clear() → Promise }
 *   `keepAliveMs` (workerd): the idle timer of a request waiting with no I/O of its own; 0 = none
 *   `fetchWhole(url, { method, headers (text), body?, signal })` → Promise<{ status, headers
 *   (text), body: Uint8Array }>, if given, performs every FETCH the core takes whole (flags bit0
 *   clear; transport 'emscripten', the edge worker); streaming ones always use `fetch`
 *   `bodyLingerMs` (workerd): how long a request answered while its body still arrives keeps
 *   reading (and dropping) that body before its answer completes; 0 = stop reading at once
 *   `sendTimeoutMs`: a telemetry SEND still running after this long is aborted (default 10000)
 *   `state(objectName, opText)` → Promise<string>, if given: the shared objects (STATE actions);
 *   `stateTimeoutMs` bounds each (default 5000)
 * @returns {{ request: Function, flush: () => Promise<void>, counters: () => object }}
 */
export function createDriver(core, host) {
  const now = host.now ?? (() => Date.now());
  const tierTimeoutMs = host.cacheTimeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS;
  const keepAliveMs = Math.min(MAX_DELAY_MS, host.keepAliveMs ?? 0);
  const bodyLingerMs = Math.min(MAX_DELAY_MS, host.bodyLingerMs ?? 0);
  const sendTimeoutMs = Math.min(MAX_DELAY_MS, host.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
  const stateTimeoutMs = host.stateTimeoutMs ?? DEFAULT_STATE_TIMEOUT_MS;
  if (typeof host.state === 'function') core.enableSharedState?.(true);
  const requests = new Map(); // request id -> RequestState, while its pump runs
  const fetches = new Map(); // fetch id -> { owner, controller, aborted }
  // The one timer: the deadline it was armed for (undefined: none armed), the request whose
  // context holds it, and the setTimeout handle (null while a hand-over is pending).
  const timer = { at: undefined, owner: null, handle: null };
  const counters = { armed: 0, fired: 0, handovers: 0, wakeups: 0, keepAlives: 0 };
  const writes = new Set(); // one promise per CACHE_PUT or SEND dispatched and not yet settled
  const batchViews = {}; // decodeActions' DataView over the core's memory
  let nextRid = 1;

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
      tierOps: 0, // cache tier operations of this request's pump not yet settled
      finished: false, // RESPOND (non-stream), STREAM_END or cancel seen
      responded: false,
      ended: false, // its pump returned: it can hold no timer
      timerDue: false, // the one timer fired in this request's context
      takesTimer: false, // the one timer was handed to this request
      body: null, // a ReadableStream body not yet being read
      reader: null, // its reader while the body is read
      readWhole: null, // request()'s options.readWhole: reads the body stream in one piece
      keepAlive: null, // its idle timer (host.keepAliveMs), while it waits with no I/O of its own
      linger: null, // closes its answer once the rest of its body was dropped (host.bodyLingerMs)
      wake: null, // resolves the pump's current wait
      resolve: null,
      reject: null,
      controller: null, // the caller's ReadableStream controller while streaming
      signal: null, // the caller's AbortSignal, and its listener, until the pump ends
      onAbort: null,
    };
    requests.set(rid, state);
    return state;
  }

  // Wakes the request's pump if it waits and has work now; a pump with nothing to do would only
  // look and wait again (a promise hop and a new promise for nothing).
  function notify(state) {
    const wake = state.wake;
    if (wake === null || !pumpHasWork(state)) return;
    state.wake = null;
    counters.wakeups++;
    wake();
  }

  function enqueue(state, action) {
    state.queue.push(action);
    notify(state);
  }

  // Calls the core from `context`'s task, routes what it answers, and keeps the one timer at
  // the core's next deadline. A failing core fails the request concerned.
  function call(context, fn) {
    try {
      dispatch(fn(), context);
      syncTimer(context);
    } catch (error) {
      fail(context, error);
    }
  }

  // Routes a batch's actions to the queues of the requests they concern. `context` is the
  // request on whose behalf the core was just called (a FETCH the core does not attribute
  // belongs to it).
  function dispatch(records, context) {
    for (const action of decodeActions(records, batchViews)) {
      switch (action.kind) {
        case FETCH: {
          const owner = stateFor(action.status || context.rid);
          fetches.set(action.id, { owner, controller: null, aborted: false });
          owner.inflight.add(action.id);
          if (own(owner, context)) startFetch(owner, action);
          else enqueue(owner, action);
          break;
        }
        case FETCH_ABORT: {
          const f = fetches.get(action.id);
          if (!f) break;
          f.aborted = true; // report nothing more for it, from now on
          if (own(f.owner, context)) abortFetch(f.owner, action.id); // (a stream's end)
          else enqueue(f.owner, action);
          break;
        }
        case RESPOND: {
          // Answered at once when the core was called in the owner's own task with nothing
          // queued before it (a cache hit): no wake-up of the pump between the core's answer and
          // the caller's Response.
          const owner = requests.get(action.id);
          if (own(owner, context)) respond(owner, action);
          else if (owner) enqueue(owner, action);
          break;
        }
        case STREAM_CHUNK: {
          // A chunk of the caller's own upstream stream goes into its answer right here: the
          // first byte waits for no wake-up of the pump.
          const owner = requests.get(action.id);
          if (own(owner, context)) streamChunk(owner, action);
          else if (owner) enqueue(owner, action);
          break;
        }
        case STREAM_END: {
          const owner = requests.get(action.id);
          if (own(owner, context)) streamEnd(owner); // dispatch then wakes its pump to end
          else if (owner) enqueue(owner, action);
          break;
        }
        case LOG:
          host.log?.(decoder.decode(action.body));
          break;
        case CACHE_GET:
        case CACHE_LIST:
        case CACHE_CLEAR:
          // Owned by request `id`; answered even when that request already went away.
          enqueue(stateFor(action.id || context.rid), action);
          break;
        case STATE:
          // Owned by request `status` (0: the request the core was called for); answered even
          // when that request already went away.
          enqueue(stateFor(action.status || context.rid), action);
          break;
        case CACHE_PUT: // status is 0: performed by the request the core was called for
        case SEND: {
          // Tracked until settled, so that flush() can wait for it; the answer never does.
          const written = new Promise((resolve) => (action.written = resolve));
          writes.add(written);
          written.then(() => writes.delete(written));
          enqueue(stateFor(action.status || context.rid), action);
          break;
        }
        default:
          break; // unknown kinds are ignored, for forward compatibility
      }
    }
    notify(context); // what was performed here may have ended its work (an answer, a stream's end)
  }

  // An action for `owner` may be performed right where the core emitted it, instead of by
  // `owner`'s pump, when the core was called in `owner`'s own task (workerd's rule holds) and
  // nothing is queued before it (the order of its actions holds). Saves a wake-up of the pump
  // (a promise hop) between the core's action and the bytes or call it stands for.
  function own(owner, context) {
    return owner !== undefined && owner === context && !owner.ended && owner.queue.length === 0;
  }

  // The state of a live request, or (for work owned by a request that already finished) a
  // pump of its own so that the work is still performed and awaited.
  function stateFor(rid) {
    const state = requests.get(rid);
    if (state) return state;
    const orphan = newState(newRid());
    orphan.finished = true;
    orphan.responded = true;
    const done = Promise.resolve().then(() => pump(orphan)); // after the action is queued
    host.waitUntil?.(done);
    return orphan;
  }

  // ---- the one timer -----------------------------------------------------------------------

  // After a core call made in `context`'s task: re-arms the timer there when the deadline came
  // earlier (or none is armed). A deadline that moved later (the oldest request finished) keeps
  // the armed timer: it fires early, the core finds nothing due, and that call re-arms it.
  function syncTimer(context) {
    const at = core.nextDeadline();
    if (at === timer.at || (timer.handle !== null && at > timer.at)) return;
    disarm();
    timer.at = at;
    if (!(at < Infinity)) return; // nothing pending
    if (context && !context.ended) arm(context, at);
    else handTo(successor(context));
  }

  // One millisecond past the deadline: Node's timers may fire up to 1 ms before Date.now()
  // reaches their due time, and a wakeup before the deadline only re-arms the timer.
  function arm(state, at) {
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(at - now()) + 1));
    const handle = setTimeout(() => {
      if (timer.handle !== handle) return; // re-armed or released since
      timer.handle = null;
      timer.at = undefined; // fired: the core call it leads to arms the next one
      counters.fired++;
      state.timerDue = true;
      notify(state);
    }, delay);
    timer.owner = state;
    timer.handle = handle;
    counters.armed++;
  }

  // Cancels the armed timer. In workerd a timer of another request's context cannot be
  // cleared from here; it then fires in its own context and finds itself stale.
  function disarm() {
    if (timer.handle !== null) clearTimeout(timer.handle);
    timer.handle = null;
    timer.owner = null;
  }

  // Gives the timer to `state` (or to nobody: the next core call arms it). Wakes only `state`.
  function handTo(state) {
    timer.owner = state;
    if (!state) {
      timer.at = undefined;
      return;
    }
    counters.handovers++;
    state.takesTimer = true;
    notify(state);
  }

  // A live request other than `except` to hold the timer: the newest caller request still
  // waiting for its answer if there is one (it is likely to live longest: with requests answered
  // in about the order they came, such as cache hits, the timer then moves once per that many
  // requests instead of at every request's end), else any request whose pump still runs.
  function successor(except) {
    let newest = null;
    let fallback = null;
    for (const state of requests.values()) {
      if (state === except || state.ended) continue;
      if (!state.finished) newest = state;
      else fallback ??= state;
    }
    return newest ?? fallback;
  }

  // In the pump of the request the timer was handed to.
  function takeTimer(state) {
    state.takesTimer = false;
    if (timer.owner !== state || timer.handle !== null) return; // re-armed elsewhere since
    timer.at = core.nextDeadline();
    if (timer.at < Infinity) arm(state, timer.at);
    else timer.owner = null;
  }

  // In the pump of the request that owns the timer, when it fired.
  function fireTimer(state) {
    state.timerDue = false;
    call(state, () => core.timer(now()));
  }

  // When a request's pump ends: a timer it holds goes to another live request if the core
  // still has a deadline, else it is dropped.
  function releaseTimer(state) {
    if (timer.owner !== state) return;
    disarm();
    let pending = false;
    try {
      pending = core.nextDeadline() < Infinity;
    } catch {} // a freed core has no deadlines
    if (pending) handTo(successor(state));
    else timer.at = Infinity; // nothing armed, nothing pending
  }

  // ---- requests ------------------------------------------------------------------------------

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
    stopBody(state);
    notify(state);
  }

  // The caller went away (aborted, cancelled its stream, or its body failed): the core cancels
  // the request and emits nothing more for it.
  function abandon(state, reason) {
    if (state.finished) return;
    state.finished = true;
    stopBody(state);
    call(state, () => core.cancel(state.rid, now()));
    if (state.controller) {
      try {
        state.controller.error(reason);
      } catch {}
      state.controller = null;
    }
    if (!state.responded) {
      state.responded = true;
      state.reject(reason);
    }
    notify(state);
  }

  function perform(state, action) {
    switch (action.kind) {
      case FETCH:
        startFetch(state, action);
        break;
      case FETCH_ABORT:
        abortFetch(state, action.id);
        break;
      case RESPOND:
        respond(state, action);
        break;
      case STREAM_CHUNK:
        streamChunk(state, action);
        break;
      case STREAM_END:
        streamEnd(state);
        break;
      case CACHE_GET:
        tierTask(state, () => cacheGet(state, action));
        break;
      case CACHE_LIST:
        tierTask(state, () => cacheList(state, action));
        break;
      case CACHE_CLEAR:
        tierTask(state, () => cacheClear(state, action));
        break;
      case CACHE_PUT:
        cachePut(state, action);
        break;
      case SEND:
        send(state, action);
        break;
      case STATE:
        tierTask(state, () => stateOp(state, action));
        break;
    }
  }

  function abortFetch(state, fid) {
    const f = fetches.get(fid);
    fetches.delete(fid);
    state.inflight.delete(fid);
    f?.controller?.abort();
  }

  function streamChunk(state, action) {
    if (state.controller) {
      try {
        state.controller.enqueue(action.body);
      } catch {}
    }
  }

  function streamEnd(state) {
    if (state.controller) {
      try {
        state.controller.close();
      } catch {}
      state.controller = null;
    }
    state.finished = true;
  }

  function respond(state, action) {
    if (state.responded) return;
    const init = { status: action.status };
    if (action.flags & 1) {
      let controller = null; // set at once: a ReadableStream calls start() in its constructor
      const body = new ReadableStream({
        start(c) {
          controller = c;
        },
        cancel() {
          state.controller = null; // the caller went away
          abandon(state, abortError());
        },
      });
      const response = answered(state, new Response(body, init), action);
      stopBody(state);
      state.controller = controller;
      state.resolve(response);
    } else {
      const response = answered(state, new Response(answerBody(state, action), init), action);
      state.finished = true;
      state.resolve(response);
    }
  }

  // The answer's headers go straight into the Response's own (a Headers given to its
  // constructor is built, then copied: about twice the work in workerd). Before the request
  // counts as answered: a header a Headers refuses throws here and fails the request (its caller
  // gets the error) instead of leaving it without an answer.
  function answered(state, response, action) {
    appendLines(response.headers, action.headers);
    state.responded = true;
    return response;
  }

  // The body of a whole answer. When the caller's body is still arriving, it is not read any
  // more, at once; or, with host.bodyLingerMs, it is read and dropped until it ends (at most that
  // long) while the answer's stream stays open, so that a caller still sending can finish and
  // read the answer (workerd closes the connection under a caller still sending otherwise).
  function answerBody(state, action) {
    const status = action.status;
    const nullBody = status === 204 || status === 205 || status === 304;
    const arriving = state.body !== null || state.reader !== null;
    if (nullBody || !arriving || !bodyLingerMs) {
      stopBody(state);
      return nullBody ? null : action.body;
    }
    let controller;
    const body = new ReadableStream({
      start(c) {
        controller = c;
      },
      cancel: () => stopBody(state),
    });
    if (action.body.length > 0) controller.enqueue(action.body);
    const timer = setTimeout(() => stopBody(state), bodyLingerMs);
    state.linger = () => {
      clearTimeout(timer);
      try {
        controller.close();
      } catch {}
    };
    return body;
  }

  // ---- the caller's body ---------------------------------------------------------------------

  // Runs as a task of the request: feeds the body stream to the core piece by piece, then ends
  // it. Stops (and cancels the stream) as soon as the request was answered or abandoned, unless
  // its answer lingers (answerBody): then what still arrives is read and dropped.
  function readBody(state) {
    const stream = state.body;
    state.body = null;
    if ((state.responded || state.finished) && !state.linger) {
      stream.cancel().catch(() => {});
      return;
    }
    if (state.readWhole && !state.responded && !state.finished) {
      readWholeBody(state, state.readWhole);
      return;
    }
    let reader;
    try {
      reader = stream.getReader();
    } catch (error) {
      abandon(state, error); // e.g. a stream already locked
      endLinger(state);
      return;
    }
    state.reader = reader;
    (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            if (!state.responded && !state.finished) call(state, () => core.end(state.rid, now()));
            return;
          }
          if (state.linger) continue;
          if (state.responded || state.finished) return;
          const bytes = toBytes(value);
          if (bytes.length > 0) call(state, () => core.body(state.rid, bytes, now()));
        }
      } catch (error) {
        abandon(state, error);
      } finally {
        state.reader = null;
        reader.cancel().catch(() => {}); // harmless after the end; stops a body not read to its end
        endLinger(state);
        notify(state);
      }
    })();
  }

  // readBody for a body the host can take in one piece (request()'s `readWhole`): one read,
  // then body + end, with the same rules. It cannot be cancelled: once the request is answered
  // or abandoned (stopBody), its result is dropped and nothing waits for it any more. The read
  // starts at once (no promise hop before it), and the body counts as arrived (state.reader
  // cleared) before the core hears of it: an answer the core gives to `end` (a cache hit) is
  // then a plain body, not a lingering stream.
  function readWholeBody(state, readWhole) {
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (state.reader === handle) state.reader = null;
      endLinger(state);
      notify(state);
    };
    const handle = { cancel: () => Promise.resolve(stop()) }; // what stopBody calls
    state.reader = handle;
    let read;
    try {
      read = Promise.resolve(readWhole());
    } catch (error) {
      read = Promise.reject(error);
    }
    read.then(
      (data) => {
        if (stopped) return;
        stop(); // it all arrived (a pump it wakes runs after the core was fed below)
        try {
          if (!state.responded && !state.finished) feedWhole(state, toBytes(data));
        } catch (error) {
          fail(state, error);
        }
      },
      (error) => {
        if (stopped) return;
        abandon(state, error);
        stop();
      },
    );
  }

  // A body read whole: one `body` and `end` with one clock reading, and the timer synced once.
  function feedWhole(state, bytes) {
    const at = now();
    const rid = state.rid;
    try {
      if (bytes.length > 0) dispatch(core.body(rid, bytes, at), state);
      // Not when the core just answered (a 413): it has no more of it.
      if (!state.responded && !state.finished && !state.queue.some((action) => action.kind === RESPOND)) {
        dispatch(core.end(rid, at), state);
      }
      syncTimer(state);
    } catch (error) {
      fail(state, error);
    }
  }

  function stopBody(state) {
    state.reader?.cancel().catch(() => {});
  }

  // The caller's body ended or stopped being read: a lingering answer completes.
  function endLinger(state) {
    const close = state.linger;
    state.linger = null;
    close?.();
  }

  // ---- upstream fetches ----------------------------------------------------------------------

  // Runs as a task of the owning request: fetch, then report response, body chunks and end.
  function startFetch(state, action) {
    const fid = action.id;
    const f = fetches.get(fid);
    if (!f || f.aborted) {
      state.inflight.delete(fid);
      return;
    }
    f.controller = new AbortController();
    const whole = host.fetchWhole && !(action.flags & 1);
    const init = {
      method: action.method || 'GET',
      headers: whole ? action.headers : textToHeaders(action.headers),
      signal: f.controller.signal,
    };
    if (action.body.length > 0) init.body = action.body;
    if (whole) {
      // Taken whole (transport 'emscripten', the edge worker): the answer arrives in one piece.
      settleFetch(state, f, fid, async () => {
        const answer = await host.fetchWhole(action.url, init);
        if (!f.aborted) feedAnswer(state, f, fid, answer);
        return true; // its end is reported (or it was aborted)
      });
      return;
    }
    settleFetch(state, f, fid, async () => {
      const response = await host.fetch(action.url, init);
      if (f.aborted) return;
      call(state, () => core.fetchResponse(fid, response.status, headersToText(response.headers), now()));
      if (response.body) await readUpstream(state, f, fid, response.body.getReader());
    });
  }

  // An answer taken whole, given to the core at once: its head, its body, its end, with one
  // clock reading and the timer synced once (the core's answer to the caller, which comes with
  // the end, waits for no promise hop). The body goes in pieces of at most WHOLE_PIECE bytes: the
  // adapter's scratch block (which stays as large as the largest input) need not grow to the
  // size of a large answer. A FETCH_ABORT among the actions (f.aborted) stops it.
  function feedAnswer(state, f, fid, answer) {
    const at = now();
    try {
      dispatch(core.fetchResponse(fid, answer.status, answer.headers, at), state);
      const body = answer.body;
      for (let from = 0; from < body.length && !f.aborted; from += WHOLE_PIECE) {
        dispatch(core.fetchBody(fid, body.subarray(from, from + WHOLE_PIECE), at), state);
      }
      if (!f.aborted) dispatch(core.fetchEnd(fid, at), state);
      syncTimer(state);
    } catch (error) {
      fail(state, error);
    }
  }

  // Runs `deliver` (which reports the response and its body), then reports the end, or the
  // error it threw; nothing once the fetch was aborted. The fetch is forgotten either way.
  // `deliver` resolving to true has reported the end itself.
  function settleFetch(state, f, fid, deliver) {
    (async () => {
      try {
        if ((await deliver()) === true || f.aborted) return;
        call(state, () => core.fetchEnd(fid, now()));
      } catch (error) {
        if (f.aborted) return;
        call(state, () => core.fetchError(fid, messageOf(error) || 'network error', now()));
      } finally {
        fetches.delete(fid);
        state.inflight.delete(fid);
        notify(state);
      }
    })();
  }

  async function readUpstream(state, f, fid, reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (f.aborted) {
        reader.cancel().catch(() => {});
        return;
      }
      if (done) return;
      if (value.length > 0) call(state, () => core.fetchBody(fid, value, now()));
    }
  }

  // ---- the persistent cache tier -------------------------------------------------------------

  // Runs `work` as a task of the request; its pump waits for it before it ends.
  function tierTask(state, work) {
    state.tierOps++;
    Promise.resolve()
      .then(work)
      .catch((error) => fail(state, error))
      .finally(() => {
        state.tierOps--;
        notify(state);
      });
  }

  // The tier's answer to `op`, or `fallback` when there is no tier or it failed (logged).
  async function tierAnswer(what, op, fallback) {
    if (!host.cache) return fallback;
    try {
      return await op(host.cache);
    } catch (error) {
      host.log?.(`switchyard: cache tier ${what} failed: ${messageOf(error)}`);
      return fallback;
    }
  }

  // A lookup; anything but an entry (no tier, an error, a timeout, an empty value) is a miss.
  async function cacheGet(state, action) {
    const get = (tier) => bounded(Promise.resolve().then(() => tier.get(action.url)), tierTimeoutMs);
    const entry = await tierAnswer('get', get, null);
    const bytes = entry == null ? new Uint8Array(0) : toBytes(entry);
    call(state, () => core.cacheResult(action.id || state.rid, bytes, now()));
  }

  // Every tier entry, one per line; an empty list when the tier fails or stalls.
  async function cacheList(state, action) {
    const lines = await tierAnswer('list', (tier) => entryLines(tier), []);
    call(state, () => core.cacheResult(action.id || state.rid, lines.join('\n'), now()));
  }

  async function entryLines(tier) {
    if (typeof tier.entries !== 'function') return [];
    const source = tier.entries();
    const iterator = source[Symbol.asyncIterator]?.() ?? source[Symbol.iterator]();
    const lines = [];
    try {
      for (;;) {
        const step = await bounded(Promise.resolve(iterator.next()), tierTimeoutMs);
        if (step.done) return lines;
        const line = typeof step.value === 'string' ? step.value : decoder.decode(toBytes(step.value));
        if (line !== '') lines.push(line);
      }
    } catch (error) {
      Promise.resolve(iterator.return?.()).catch(() => {});
      throw error;
    }
  }

  // Empties the tier, then tells the core (also when the tier failed: that is logged).
  async function cacheClear(state, action) {
    const clear = async (tier) => {
      if (typeof tier.clear === 'function') await bounded(Promise.resolve().then(() => tier.clear()), tierTimeoutMs);
    };
    await tierAnswer('clear', clear, null);
    call(state, () => core.cacheResult(action.id || state.rid, new Uint8Array(0), now()));
  }

  // Fire and forget for the caller; the pump waits for the write before it ends, and so does
  // flush().
  function cachePut(state, action) {
    if (!host.cache || typeof host.cache.put !== 'function') {
      action.written?.();
      return;
    }
    state.tierOps++;
    Promise.resolve()
      .then(() => host.cache.put(action.url, action.body, action.atMs))
      .catch((error) => host.log?.(`switchyard: cache tier put failed: ${messageOf(error)}`))
      .finally(() => {
        action.written?.();
        state.tierOps--;
        notify(state);
      });
  }

  // ---- telemetry ----------------------------------------------------------------------------

  // Fire and forget: the request's pump stays alive until it settled, its answer never waits.
  // Bounded by sendTimeoutMs; a failure (network, timeout, non-2xx) is logged, never retried.
  function send(state, action) {
    state.tierOps++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${sendTimeoutMs} ms`)), sendTimeoutMs);
    const where = action.url.split('?')[0];
    Promise.resolve()
      .then(async () => {
        const init = { method: action.method || 'POST', headers: textToHeaders(action.headers), signal: controller.signal };
        if (action.body.length > 0) init.body = action.body;
        const response = await host.fetch(action.url, init);
        await response.arrayBuffer().catch(() => {}); // read to the end: the connection is reused
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      })
      .catch((error) => host.log?.(`switchyard: telemetry send to ${where} failed: ${messageOf(controller.signal.reason ?? error)}`))
      .finally(() => {
        clearTimeout(timer);
        action.written?.();
        state.tierOps--;
        notify(state);
      });
  }

  // ---- shared state ------------------------------------------------------------------------------

  // One STATE action, answered exactly once: the object's answer, or empty when there is no
  // `host.state`, it failed or it took longer than stateTimeoutMs (logged).
  async function stateOp(state, action) {
    let answer = '';
    if (typeof host.state === 'function') {
      try {
        const op = decoder.decode(action.body);
        const text = await bounded(Promise.resolve().then(() => host.state(action.url, op)), stateTimeoutMs);
        answer = typeof text === 'string' ? text : decoder.decode(toBytes(text));
      } catch (error) {
        host.log?.(`switchyard: state ${action.url} failed: ${messageOf(error)}`);
      }
    }
    call(state, () => core.stateResult(action.id, answer, now()));
  }

  // ---- the pump ------------------------------------------------------------------------------

  function idle(state) {
    return state.finished && state.inflight.size === 0 && state.tierOps === 0 && state.reader === null;
  }

  // Whether a waiting pump would do anything if woken: each step of its loop (pump()), and the
  // idle timer keepAlive() would set before it waits again.
  function pumpHasWork(state) {
    return (
      state.queue.length > 0 ||
      state.body !== null ||
      state.timerDue ||
      state.takesTimer ||
      idle(state) ||
      needsKeepAlive(state)
    );
  }

  // Before a wait: a request with no fetch, body or tier work of its own in flight keeps an
  // idle timer in its context (host.keepAliveMs), so that workerd does not take it for hung.
  function keepAlive(state) {
    if (!needsKeepAlive(state)) return;
    counters.keepAlives++;
    state.keepAlive = setTimeout(() => {
      state.keepAlive = null;
      notify(state); // the pump looks again, and keeps one if it still waits
    }, keepAliveMs);
  }

  // Whether keepAlive() would set the idle timer: keep-alive is on, none is set, and the request
  // has no fetch, body read or tier work of its own in flight.
  function needsKeepAlive(state) {
    return keepAliveMs > 0 && state.keepAlive === null && state.inflight.size === 0 && state.reader === null && state.tierOps === 0;
  }

  // The request's own task: reads its body, performs its queued actions, fires or takes the one
  // timer, until the request finished and all its work settled.
  async function pump(state) {
    try {
      for (;;) {
        while (state.queue.length > 0) perform(state, state.queue.shift());
        if (state.body) readBody(state); // once, after what the head alone caused
        if (state.timerDue) fireTimer(state);
        else if (state.takesTimer) takeTimer(state);
        else if (idle(state)) break;
        else {
          keepAlive(state);
          await new Promise((resolve) => (state.wake = resolve));
        }
      }
    } catch (error) {
      fail(state, error);
    } finally {
      state.ended = true;
      state.wake = null;
      state.signal?.removeEventListener('abort', state.onAbort);
      if (state.keepAlive !== null) clearTimeout(state.keepAlive);
      requests.delete(state.rid);
      for (const action of state.queue) action.written?.(); // a failed pump performs no more
      state.queue.length = 0;
      releaseTimer(state);
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
     * @param {string|Uint8Array|ArrayBuffer|ReadableStream|null} [body] a stream is read piece
     *   by piece in the request's own task (and cancelled once the request is answered)
     * @param {{ signal?: AbortSignal, onSettled?: (done: Promise<void>) => void,
     *   readWhole?: () => Promise<ArrayBuffer|Uint8Array> }} [options]
     *   aborting `signal` cancels the request in the core; `onSettled` receives a promise that
     *   resolves once every action of the request (its fetches, its cache tier writes) settled;
     *   `readWhole`, with a stream body, reads that body in one piece (e.g. `request.arrayBuffer()`
     *   for a small body of known length): the head still goes first (`begin`, so the core's body
     *   deadline runs while it arrives), then one `body` and `end` instead of a reader loop. The
     *   stream is then read only when the core answered from the head (dropped or lingering)
     * @returns {Promise<Response>} resolves with the core's answer (rejects only when the
     *   request was aborted, its body failed, or the core failed)
     */
    request(method, path, headers, body, options = {}) {
      const { signal } = options;
      if (signal?.aborted) return Promise.reject(signal.reason ?? abortError());
      let bytes = null;
      try {
        if (!isStream(body)) bytes = toBytes(body);
      } catch (error) {
        return Promise.reject(error);
      }
      const state = newState(newRid());
      const response = new Promise((resolve, reject) => {
        state.resolve = resolve;
        state.reject = reject;
      });
      if (signal) {
        state.signal = signal;
        state.onAbort = () => abandon(state, signal.reason ?? abortError());
        signal.addEventListener('abort', state.onAbort, { once: true });
      }
      const rid = state.rid;
      const m = String(method);
      const p = String(path);
      const h = headersToText(headers);
      if (bytes) {
        call(state, () => core.submit(rid, m, p, h, bytes, now()));
      } else {
        state.body = body;
        state.readWhole = typeof options.readWhole === 'function' ? options.readWhole : null;
        call(state, () => core.begin(rid, m, p, h, now()));
      }
      const done = pump(state);
      host.waitUntil?.(done);
      options.onSettled?.(done);
      return response;
    },

    /**
     * Resolves once every cache tier write (CACHE_PUT) and telemetry send (SEND) dispatched so far
     * has settled, whether it succeeded or failed (failures are logged). What the core asks for
     * later is not waited for.
     */
    flush() {
      return Promise.all([...writes]).then(() => undefined);
    },

    /**
     * For tests and diagnostics: how often the one timer was armed (setTimeout calls), fired,
     * handed to another request, how often any request's task was woken, and how many idle
     * timers (keepAliveMs) were set.
     */
    counters() {
      return { ...counters, live: requests.size, deadline: timer.at };
    },
  };
}
