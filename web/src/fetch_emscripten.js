// transport 'emscripten': the driver's `fetchWhole` over the Emscripten Fetch API of the web
// build (bindings/emscripten/web_fetch.cc, XMLHttpRequest underneath). Performs the core's
// non-streaming upstream requests; streaming ones stay on JS fetch() (the Fetch API of
// Emscripten 3.1.6 does not stream).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** True when `module` (an instantiated web build) carries the Emscripten Fetch host piece. */
export function hasEmscriptenFetch(module) {
  return typeof module?._sy_web_fetch_start === 'function' && typeof module?._sy_web_fetch_abort === 'function';
}

function abortError(signal) {
  if (signal?.reason !== undefined) return signal.reason;
  const error = new Error('The request was aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * @param {object} module an instantiated Emscripten module of the web build
 * @returns {(url: string, init: { method?: string, headers?: string, body?: Uint8Array,
 *   signal?: AbortSignal }) => Promise<{ status: number, headers: string, body: Uint8Array }>}
 *   resolves with any HTTP answer (any status), rejects on a network failure or an abort
 */
export function createEmscriptenFetch(module) {
  const pending = new Map(); // fid -> { resolve, reject, handle }
  let nextFid = 1;

  module.syWebFetchDone = (fid, status, headersPtr, headersLen, bodyPtr, bodyLen) => {
    const p = pending.get(fid);
    if (!p) return;
    pending.delete(fid);
    if (status === 0) {
      p.reject(new TypeError('network error (XMLHttpRequest failed)'));
      return;
    }
    const heap = module.HEAPU8;
    const headers = decoder.decode(heap.subarray(headersPtr, headersPtr + headersLen)).replace(/\r\n/g, '\n');
    p.resolve({ status, headers, body: heap.slice(bodyPtr, bodyPtr + bodyLen) });
  };

  // Copies NUL-terminated strings and bytes into one block of wasm memory; the caller frees it.
  function place(parts) {
    const encoded = parts.map((p) => (typeof p === 'string' ? encoder.encode(`${p}\0`) : p));
    const size = encoded.reduce((n, b) => n + b.length, 0);
    const block = module._malloc(Math.max(size, 1));
    if (!block) throw new Error('switchyard: out of wasm memory');
    const out = [];
    let at = block;
    for (const bytes of encoded) {
      module.HEAPU8.set(bytes, at);
      out.push(at, bytes.length);
      at += bytes.length;
    }
    return { block, out };
  }

  return function fetchWhole(url, init = {}) {
    const { signal } = init;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const fid = nextFid;
    nextFid = nextFid >= 0xffffffff ? 1 : nextFid + 1;
    return new Promise((resolve, reject) => {
      const p = { resolve, reject, handle: 0 };
      const onAbort = () => {
        if (!pending.has(fid)) return;
        pending.delete(fid);
        if (p.handle) module._sy_web_fetch_abort(p.handle);
        reject(abortError(signal));
      };
      p.resolve = (v) => (signal?.removeEventListener('abort', onAbort), resolve(v));
      p.reject = (e) => (signal?.removeEventListener('abort', onAbort), reject(e));
      pending.set(fid, p);
      signal?.addEventListener('abort', onAbort, { once: true });
      const headers = encoder.encode(init.headers ?? '');
      const body = init.body ?? new Uint8Array(0);
      let placed;
      try {
        placed = place([init.method || 'GET', String(url), headers, body]);
        const [m, , u, , h, hn, b, bn] = placed.out;
        const handle = module._sy_web_fetch_start(fid, m, u, h, hn, b, bn);
        if (pending.has(fid)) p.handle = handle; // else it already answered (and was closed)
      } catch (error) {
        if (pending.delete(fid)) p.reject(error);
      } finally {
        if (placed) module._free(placed.block);
      }
    });
  };
}
