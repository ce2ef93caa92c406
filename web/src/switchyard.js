// The public package API (SPEC section 5), shared by the browser entry (index.js) and the
// Node entry (node.js), which differ only in how they load the core. Every call is expressed
// as the HTTP request the gateway would receive and handed to the core through the driver:
// routing, retries, caching and errors are the core's; this file encodes and decodes JSON.

import { createDriver } from './driver.js';
import { mergeSnapshotEntries, ndjsonOf } from './snapshot.js';

/** An error answered by the core (SPEC section 3), or a misuse of the package. */
export class SwitchyardError extends Error {
  constructor(message, { status = 500, type, code, param, metadata, headers, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SwitchyardError';
    this.status = status;
    this.type = type ?? 'switchyard_error';
    this.code = code ?? null;
    this.param = param ?? null;
    this.metadata = metadata ?? {};
    this.headers = headers ?? {};
  }

  /** From an error document {"error": {...}} (or anything else a failing answer carried). */
  static fromBody(status, text, headers = {}) {
    let error;
    try {
      error = JSON.parse(text).error;
    } catch {}
    if (!error || typeof error !== 'object') {
      return new SwitchyardError(text || `HTTP ${status}`, { status, headers });
    }
    return new SwitchyardError(error.message ?? `HTTP ${status}`, {
      status,
      type: error.type,
      code: error.code,
      param: error.param,
      metadata: error.metadata,
      headers,
    });
  }
}

function notSupported(what) {
  return new SwitchyardError(`${what} is not supported yet by this version of switchyard`, {
    status: 501,
    type: 'not_supported',
    code: 'not_supported',
  });
}

function plainHeaders(headers) {
  const out = {};
  for (const [name, value] of headers) out[name] = value;
  return out;
}

// What the x-switchyard-* headers say about how a request was served.
function switchyardInfo(response) {
  const h = response.headers;
  const attempts = h.get('x-switchyard-attempts');
  return {
    status: response.status,
    target: h.get('x-switchyard-target'),
    attempts: attempts === null ? null : Number(attempts),
    cache: h.get('x-switchyard-cache'),
    requestId: h.get('x-switchyard-request-id'),
    headers: plainHeaders(h),
  };
}

function withInfo(value, info) {
  if (value !== null && typeof value === 'object') {
    Object.defineProperty(value, '_switchyard', { value: info, enumerable: false, configurable: true });
  }
  return value;
}

async function readJson(response) {
  const text = await response.text();
  if (!response.ok) throw SwitchyardError.fromBody(response.status, text, plainHeaders(response.headers));
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SwitchyardError('the core answered a body that is not JSON', {
      status: 502,
      type: 'internal',
      code: 'bad_response',
      cause,
    });
  }
}

/** Parses a text/event-stream body into the `data` payload of each event. */
export async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
      if (done) {
        if (buffer.startsWith('data:')) data.push(buffer.slice(buffer.startsWith('data: ') ? 6 : 5));
        if (data.length > 0) yield data.join('\n');
        return;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * An async iterable of chat.completion.chunk objects. Ends after `data: [DONE]`. A chunk whose
 * `error` is set (an upstream failure after the stream started) is not yielded: the iterator
 * throws a SwitchyardError carrying it as `chunk`. Leaving the loop early cancels the request.
 */
function chunkStream(response) {
  const info = switchyardInfo(response);
  let used = false;
  return {
    response,
    get _switchyard() {
      return info;
    },
    async *[Symbol.asyncIterator]() {
      if (used) throw new SwitchyardError('a stream can be iterated only once', { status: 400 });
      used = true;
      for await (const data of sseData(response.body)) {
        if (data.trim() === '[DONE]') return;
        let chunk;
        try {
          chunk = JSON.parse(data);
        } catch (cause) {
          throw new SwitchyardError('the stream carried an event that is not JSON', {
            status: 502,
            type: 'internal',
            code: 'bad_response',
            cause,
          });
        }
        if (chunk && chunk.error) {
          const e = chunk.error;
          const error = new SwitchyardError(e.message ?? 'the stream failed', {
            status: Number(e.status ?? e.metadata?.status ?? 502),
            type: e.type,
            code: e.code,
            param: e.param,
            metadata: e.metadata,
            headers: info.headers,
          });
          error.chunk = chunk;
          throw error;
        }
        yield chunk;
      }
    },
  };
}

/** True when `persist` is a tier object of the host-interface shape. */
function isTier(value) {
  return value !== null && typeof value === 'object' && typeof value.get === 'function' && typeof value.put === 'function';
}

/**
 * @param {object} options see index.d.ts
 * @param {(seed: number|bigint) => Promise<object>} defaultLoadCore the entry's core loader
 * @param {(persist: string, options: object) => Promise<object|undefined>} [openTier] the
 *   entry's persistent tiers: a tier for a `persist` name it knows, undefined for one it does not
 */
export async function createSwitchyardWith(options, defaultLoadCore, openTier) {
  const {
    config,
    transport = 'fetch',
    persist = 'memory',
    persistOptions = {},
    env = {},
    fetch: userFetch,
    seed = Math.floor(Math.random() * 2 ** 52),
    loadCore = defaultLoadCore,
    log,
  } = options ?? {};
  if (transport === 'emscripten') throw notSupported("transport 'emscripten'");
  if (transport !== 'fetch') {
    throw new SwitchyardError(`unknown transport '${transport}' (expected 'fetch' or 'emscripten')`, {
      status: 400,
      type: 'invalid_request_error',
      param: 'transport',
    });
  }
  if (!isTier(persist) && !['memory', 'indexeddb', 'fs'].includes(persist)) {
    throw new SwitchyardError(`unknown persist '${persist}' (expected 'memory', 'indexeddb' or 'fs')`, {
      status: 400,
      type: 'invalid_request_error',
      param: 'persist',
    });
  }
  if (config === undefined || config === null) {
    throw new SwitchyardError('createSwitchyard needs a config', {
      status: 400,
      type: 'invalid_request_error',
      param: 'config',
    });
  }
  const fetchImpl = userFetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new SwitchyardError('no fetch() in this environment: pass options.fetch', { status: 400 });
  }

  const core = await loadCore(seed);
  const configText = typeof config === 'string' ? config : JSON.stringify(config);
  const envText = typeof env === 'string' ? env : JSON.stringify(env ?? {});
  const failure = core.configure(configText, envText);
  if (failure !== null && failure !== undefined) {
    core.free();
    const error = SwitchyardError.fromBody(400, failure);
    error.message = `invalid config: ${describeConfigErrors(error)}`;
    throw error;
  }

  // The persistent tier (L2): the host owns it, the core decides what goes in and out.
  let tier = null;
  const ownTier = !isTier(persist); // a tier passed in belongs to the caller
  if (isTier(persist)) {
    tier = persist;
  } else if (persist !== 'memory') {
    try {
      tier = (await openTier?.(persist, persistOptions)) ?? null;
    } catch (cause) {
      core.free();
      throw new SwitchyardError(`persist '${persist}': the cache tier could not be opened: ${cause?.message ?? cause}`, {
        status: 500,
        type: 'internal',
        code: 'cache_tier_unavailable',
        param: 'persist',
        cause,
      });
    }
    if (!tier) {
      core.free();
      throw new SwitchyardError(`persist '${persist}' is not available in this environment`, {
        status: 400,
        type: 'invalid_request_error',
        param: 'persist',
      });
    }
  }
  if (tier) {
    try {
      core.enablePersistence(true);
    } catch (cause) {
      core.free();
      if (ownTier) await tier.close?.();
      throw new SwitchyardError(`persist '${isTier(persist) ? 'custom' : persist}': ${cause?.message ?? cause}`, {
        status: 501,
        type: 'not_supported',
        code: 'not_supported',
        cause,
      });
    }
  }

  const driver = createDriver(core, {
    fetch: (url, init) => fetchImpl(url, init), // unbound window.fetch throws
    now: () => Date.now(),
    log,
    cache: tier ?? undefined,
  });
  let closed = false;

  function request(method, path, body, requestOptions = {}) {
    if (closed) return Promise.reject(new SwitchyardError('this Switchyard was closed', { status: 400 }));
    const headers = { ...(requestOptions.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = body === undefined ? null : JSON.stringify(body);
    return driver.request(method, path, headers, text, { signal: requestOptions.signal });
  }

  async function json(method, path, body, requestOptions) {
    const response = await request(method, path, body, requestOptions);
    return withInfo(await readJson(response), switchyardInfo(response));
  }

  return {
    chat: {
      completions: {
        async create(body, requestOptions) {
          const response = await request('POST', '/v1/chat/completions', body, requestOptions);
          const type = response.headers.get('content-type') ?? '';
          if (response.ok && type.includes('text/event-stream')) return chunkStream(response);
          return withInfo(await readJson(response), switchyardInfo(response));
        },
      },
    },
    embeddings: {
      create: (body, requestOptions) => json('POST', '/v1/embeddings', body, requestOptions),
    },
    call: (service, input, requestOptions) =>
      json('POST', `/v1/services/${encodeURIComponent(service)}`, input ?? {}, requestOptions),
    pipeline: (name, input, requestOptions) =>
      json('POST', `/v1/pipelines/${encodeURIComponent(name)}`, input ?? {}, requestOptions),
    stats: (requestOptions) => json('GET', '/v1/stats', undefined, requestOptions),
    models: (requestOptions) => json('GET', '/v1/models', undefined, requestOptions),
    cache: {
      /**
       * The core's snapshot (GET /v1/cache) merged with the persistent tier's entries:
       * deduplicated by key, the newest expires_at wins; expired tier entries are left out.
       */
      async export(exportOptions = {}) {
        const format = exportOptions.format ?? 'json';
        if (format !== 'json' && format !== 'ndjson') {
          throw new SwitchyardError(`unknown snapshot format '${format}' (expected 'json' or 'ndjson')`, {
            status: 400,
            type: 'invalid_request_error',
            param: 'format',
          });
        }
        const doc = await json('GET', '/v1/cache', undefined, exportOptions);
        const { entries: coreEntries = [], ...head } = doc ?? {};
        const entries = tier && typeof tier.entries === 'function' ? await mergeSnapshotEntries(coreEntries, tier.entries()) : coreEntries;
        const header = { format: 'switchyard.cache', version: 1, ...head };
        if (format === 'json') return { ...header, entries };
        return ndjsonOf(header, entries);
      },
      /**
       * PUT /v1/cache: a snapshot object, its JSON text, or NDJSON text. With a persistent tier
       * the core also hands every entry to it; this resolves once those writes settled.
       */
      async import(snapshot, requestOptions = {}) {
        if (closed) throw new SwitchyardError('this Switchyard was closed', { status: 400 });
        let text;
        let ndjson = false;
        if (typeof snapshot === 'string') {
          text = snapshot;
          try {
            const doc = JSON.parse(snapshot);
            ndjson = !(doc && typeof doc === 'object' && Array.isArray(doc.entries));
          } catch {
            ndjson = true; // several lines of JSON
          }
        } else if (snapshot instanceof Uint8Array || snapshot instanceof ArrayBuffer) {
          return this.import(new TextDecoder().decode(snapshot), requestOptions);
        } else {
          text = JSON.stringify(snapshot);
        }
        const headers = {
          'content-type': ndjson ? 'application/x-ndjson' : 'application/json',
          ...(requestOptions.headers ?? {}),
        };
        let settled = Promise.resolve();
        const response = await driver.request('PUT', '/v1/cache', headers, text, {
          signal: requestOptions.signal,
          onSettled: (done) => (settled = done),
        });
        const result = await readJson(response);
        await settled.catch(() => {});
        return result;
      },
      /** DELETE /v1/cache, and empties the persistent tier. */
      async clear(requestOptions) {
        const result = await json('DELETE', '/v1/cache', undefined, requestOptions);
        if (tier && typeof tier.clear === 'function') await tier.clear();
        return result;
      },
    },
    close() {
      if (closed) return;
      closed = true;
      core.free();
      try {
        const closing = ownTier ? tier?.close?.() : undefined;
        closing?.catch?.(() => {});
      } catch {}
    },
  };
}

function describeConfigErrors(error) {
  const errors = error.metadata?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return error.message;
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
}
