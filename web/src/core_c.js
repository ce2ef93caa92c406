// The core adapter over the C interface (bindings/c_api/switchyard.h), whichever build exports
// it: the WASI reactor (worker/dist/switchyard.wasm, under node:wasi or in workerd, already
// initialized) or the Emscripten module (web/src/core_emscripten.js passes its exports).
// docs/host-interface.md describes the adapter.
//
// Inputs are written once into one scratch block of linear memory (grown with malloc as
// needed; strings are encoded straight into it); outputs are Uint8Array views over the
// engine's batch, valid until the next call. Memory can grow during any call (its buffer is
// then a new one), so the views over it are checked before every use and re-taken when it grew.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Strings up to this length that are all ASCII (a method, a path, header lines) are copied into
// memory by a loop: workerd's and Node's encodeInto are calls into C++, which cost more than the
// loop for a few hundred characters (issue 13: 5–10 µs of a gateway request in workerd).
const ASCII_LOOP_MAX = 1024;

// Writes `s` at heap[at…] when it is short and ASCII: returns its length, or -1 (then part of
// it may have been written; encodeInto writes over it).
function writeAscii(heap, at, s) {
  const n = s.length;
  if (n > ASCII_LOOP_MAX) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    heap[at + i] = c;
  }
  return n;
}

/**
 * @param {object} exports `memory` (anything with a current `buffer`), `malloc`, `free` and the
 *   sy_* functions, with 64-bit integers as BigInt.
 * @param {number|bigint} [seed] the core's only source of randomness (a u64).
 */
export function createCCore(exports, seed = 0) {
  const { memory, malloc, free } = exports;
  let engine = exports.sy_engine_new(BigInt.asUintN(64, BigInt(seed)));
  if (!engine) throw new Error('switchyard: sy_engine_new failed (out of memory)');
  let scratch = 0;
  let scratchSize = 0;
  // Views over the memory, taken again only when it grew (its buffer is then a new one).
  let buffer = null;
  let heap = null;
  let dataView = null;
  const views = () => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      heap = new Uint8Array(buffer);
      dataView = new DataView(buffer);
    }
  };

  const live = () => {
    if (!engine) throw new Error('switchyard: the core was freed');
    return engine;
  };

  // Writes each argument into the scratch block; returns [ptr, len] pairs. Strings are
  // encoded in place (at most 3 bytes per UTF-16 unit), so nothing is copied twice.
  function place(...args) {
    let bound = 0;
    for (const a of args) bound += typeof a === 'string' ? a.length * 3 : toBytes(a).length;
    if (bound > scratchSize) {
      if (scratch) free(scratch);
      scratchSize = Math.max(bound, 2 * scratchSize, 4096);
      scratch = malloc(scratchSize);
      if (!scratch) {
        scratchSize = 0;
        throw new Error('switchyard: out of wasm memory');
      }
    }
    views();
    const out = [];
    let at = scratch;
    for (const a of args) {
      let n;
      if (typeof a === 'string') {
        n = writeAscii(heap, at, a);
        if (n < 0) n = encoder.encodeInto(a, heap.subarray(at, at + a.length * 3)).written;
      } else {
        const bytes = toBytes(a);
        heap.set(bytes, at);
        n = bytes.length;
      }
      out.push(at, n);
      at += n;
    }
    return out;
  }

  // The bytes after a u32 length (an action batch, or a framed text answer).
  function framed(ptr) {
    if (!ptr) return new Uint8Array(0);
    views();
    const n = dataView.getUint32(ptr, true);
    return heap.subarray(ptr + 4, ptr + 4 + n);
  }

  return {
    configure(configText, envText) {
      const [c, cn, e, en] = place(configText, envText);
      if (exports.sy_engine_configure(live(), c, cn, e, en) === 0) return null;
      return decoder.decode(framed(exports.sy_engine_last_error(engine)));
    },
    // The names the config references as "env:NAME" (an array; empty for text that is not a
    // JSON object): a host passes exactly these to configure().
    envNames(configText) {
      const [c, cn] = place(configText);
      const names = JSON.parse(decoder.decode(framed(exports.sy_engine_env_names(live(), c, cn))));
      return Array.isArray(names) ? names : [];
    },
    submit(rid, method, path, headersText, body, now) {
      const [m, mn, p, pn, h, hn, b, bn] = place(method, path, headersText, body);
      return framed(exports.sy_request_submit(live(), rid, m, mn, p, pn, h, hn, b, bn, now));
    },
    begin(rid, method, path, headersText, now) {
      const [m, mn, p, pn, h, hn] = place(method, path, headersText);
      return framed(exports.sy_request_begin(live(), rid, m, mn, p, pn, h, hn, now));
    },
    body(rid, bytes, now) {
      const [b, bn] = place(bytes);
      return framed(exports.sy_request_body(live(), rid, b, bn, now));
    },
    end(rid, now) {
      return framed(exports.sy_request_end(live(), rid, now));
    },
    cancel(rid, now) {
      return framed(exports.sy_request_cancel(live(), rid, now));
    },
    fetchResponse(fid, status, headersText, now) {
      const [h, hn] = place(headersText);
      return framed(exports.sy_fetch_response(live(), fid, status, h, hn, now));
    },
    fetchBody(fid, data, now) {
      const [d, dn] = place(data);
      return framed(exports.sy_fetch_body(live(), fid, d, dn, now));
    },
    fetchEnd(fid, now) {
      return framed(exports.sy_fetch_end(live(), fid, now));
    },
    fetchError(fid, message, now) {
      const [m, mn] = place(String(message));
      return framed(exports.sy_fetch_error(live(), fid, m, mn, now));
    },
    timer(now) {
      return framed(exports.sy_timer(live(), now));
    },
    // The earliest time timer() has work (ms on the host clock), or Infinity.
    nextDeadline() {
      return exports.sy_engine_next_deadline(live());
    },
    // The answer to a CACHE_GET (the entry, or empty for a miss), a CACHE_LIST (entry lines
    // joined by "\n") or a CACHE_CLEAR (empty); bytes or text.
    cacheResult(rid, data, now) {
      const [d, dn] = place(data ?? new Uint8Array(0));
      return framed(exports.sy_cache_result(live(), rid, d, dn, now));
    },
    // The host has a persistent tier: only then does the core emit CACHE_* actions.
    enablePersistence(on) {
      exports.sy_engine_enable_persistence(live(), on ? 1 : 0);
    },
    // The answer to a STATE action: the object's JSON answer, or empty when it failed.
    stateResult(opId, data, now) {
      const [d, dn] = place(data ?? new Uint8Array(0));
      return framed(exports.sy_state_result(live(), opId, d, dn, now));
    },
    // The host has shared objects: only then does the core emit STATE actions.
    enableSharedState(on) {
      exports.sy_engine_enable_shared_state(live(), on ? 1 : 0);
    },
    free() {
      if (engine) exports.sy_engine_free(engine);
      if (scratch) free(scratch);
      engine = 0;
      scratch = 0;
      scratchSize = 0;
      buffer = heap = dataView = null;
    },
  };
}

function toBytes(data) {
  if (data == null) return new Uint8Array(0);
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return encoder.encode(String(data));
}
