// The public package API (SPEC section 5), shared by the browser entry (index.js) and the Node
// entry (node.js), which differ only in how they load the core. Every call is expressed as the
// HTTP request the gateway would receive and handed to the core through the driver: routing,
// retries, caching, snapshots and errors are the core's; this file encodes and decodes JSON.

import { createDriver } from './driver.js';

// error.type for each metadata.error_type (SPEC section 3), as the core's error bodies have it.
const BODY_TYPES = {
  invalid_request: 'invalid_request_error',
  context_length_exceeded: 'invalid_request_error',
  content_filtered: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  provider_unavailable: 'server_error',
  timeout: 'timeout_error',
  auth: 'authentication_error',
  no_healthy_target: 'server_error',
  cache_miss_offline: 'server_error',
  internal: 'server_error',
};

// The error_type of an answer that carried no error document, from its status.
function errorTypeOf(status) {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'internal';
  return 'invalid_request';
}

/** An error answered by the core (SPEC section 3), or a misuse of the package. */
export class SwitchyardError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, type?: string, code?: string|null, param?: string|null,
   *           metadata?: object, headers?: object, cause?: unknown }} [fields] what the error
   *   document says; the defaults follow the core's vocabulary (type from
   *   metadata.error_type, which comes from the status when not given)
   */
  constructor(message, { status = 500, type, code, param, metadata, headers, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    const errorType = metadata?.error_type ?? errorTypeOf(status);
    this.name = 'SwitchyardError';
    this.status = status;
    this.type = type ?? BODY_TYPES[errorType] ?? 'server_error';
    this.code = code ?? errorType;
    this.param = param ?? null;
    this.metadata = { error_type: errorType, ...(metadata ?? {}) };
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

// An error made by the package itself (not by the core), in the core's vocabulary.
function packageError(status, errorType, message, { code, param, cause } = {}) {
  return new SwitchyardError(message, { status, code, param, cause, metadata: { error_type: errorType } });
}

function notImplemented(what, param) {
  return packageError(501, 'internal', `${what} is not implemented by this version of switchyard`, {
    code: 'not_implemented',
    param,
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
    throw packageError(502, 'internal', 'the core answered a body that is not JSON', { code: 'bad_response', cause });
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
      if (used) throw packageError(400, 'invalid_request', 'a stream can be iterated only once');
      used = true;
      for await (const data of sseData(response.body)) {
        if (data.trim() === '[DONE]') return;
        let chunk;
        try {
          chunk = JSON.parse(data);
        } catch (cause) {
          throw packageError(502, 'internal', 'the stream carried an event that is not JSON', { code: 'bad_response', cause });
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

// Refuses options the package cannot work with (SPEC section 5), before the core is loaded.
function checkOptions({ config, transport, persist, fetchImpl }) {
  if (transport === 'emscripten') throw notImplemented("transport 'emscripten'", 'transport');
  if (transport !== 'fetch') {
    throw packageError(400, 'invalid_request', `unknown transport '${transport}' (expected 'fetch' or 'emscripten')`, {
      param: 'transport',
    });
  }
  if (!isTier(persist) && !['memory', 'indexeddb', 'fs'].includes(persist)) {
    throw packageError(400, 'invalid_request', `unknown persist '${persist}' (expected 'memory', 'indexeddb' or 'fs')`, {
      param: 'persist',
    });
  }
  if (config === undefined || config === null) {
    throw packageError(400, 'invalid_request', 'createSwitchyard needs a config', { param: 'config' });
  }
  if (typeof fetchImpl !== 'function') {
    throw packageError(400, 'invalid_request', 'no fetch() in this environment: pass options.fetch', { param: 'fetch' });
  }
}

// Loads and configures a core; throws the core's config error (400, every problem listed).
async function startCore(loadCore, seed, config, env) {
  const core = await loadCore(seed);
  const configText = typeof config === 'string' ? config : JSON.stringify(config);
  const envText = typeof env === 'string' ? env : JSON.stringify(env ?? {});
  const failure = core.configure(configText, envText);
  if (failure === null || failure === undefined) return core;
  core.free();
  const error = SwitchyardError.fromBody(400, failure);
  error.message = `invalid config: ${describeConfigErrors(error)}`;
  throw error;
}

// The persistent tier (L2) for `persist`, or null for 'memory'; the core decides what goes in
// and out. Frees the core when the tier cannot be had.
async function openPersistentTier(core, persist, persistOptions, openTier) {
  if (isTier(persist)) return persist;
  if (persist === 'memory') return null;
  let tier;
  try {
    tier = (await openTier?.(persist, persistOptions)) ?? null;
  } catch (cause) {
    core.free();
    throw packageError(500, 'internal', `persist '${persist}': the cache tier could not be opened: ${cause?.message ?? cause}`, {
      code: 'cache_tier_unavailable',
      param: 'persist',
      cause,
    });
  }
  if (!tier) {
    core.free();
    throw packageError(400, 'invalid_request', `persist '${persist}' is not available in this environment`, { param: 'persist' });
  }
  return tier;
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
  const fetchImpl = userFetch ?? globalThis.fetch;
  checkOptions({ config, transport, persist, fetchImpl });
  const core = await startCore(loadCore, seed, config, env);
  const tier = await openPersistentTier(core, persist, persistOptions, openTier);
  if (tier) core.enablePersistence(true); // the core now lists, fills and empties it
  const driver = createDriver(core, {
    fetch: (url, init) => fetchImpl(url, init), // unbound window.fetch throws
    now: () => Date.now(),
    log,
    cache: tier ?? undefined,
  });
  let closed = false;

  function send(method, path, headers, text, { signal, onSettled } = {}) {
    if (closed) return Promise.reject(packageError(400, 'invalid_request', 'this Switchyard was closed'));
    return driver.request(method, path, headers, text, { signal, onSettled });
  }

  // `body` is sent as JSON (none when undefined).
  function request(method, path, body, requestOptions = {}) {
    const headers = { ...(requestOptions.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return send(method, path, headers, body === undefined ? null : JSON.stringify(body), requestOptions);
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
    cache: cacheApi(request, send),
    close() {
      if (closed) return;
      closed = true;
      core.free();
      try {
        const closing = isTier(persist) ? undefined : tier?.close?.(); // a tier passed in is the caller's
        closing?.catch?.(() => {});
      } catch {}
    },
  };
}

// sy.cache: snapshots are the core's (GET/PUT/DELETE /v1/cache); with a persistent tier the core
// itself lists, fills and empties it through the driver (CACHE_LIST / CACHE_PUT / CACHE_CLEAR).
function cacheApi(request, send) {
  return {
    /** GET /v1/cache: the core's cache and the persistent tier's entries, one per key. */
    async export(exportOptions = {}) {
      const format = exportOptions.format ?? 'json';
      if (format !== 'json' && format !== 'ndjson') {
        throw packageError(400, 'invalid_request', `unknown snapshot format '${format}' (expected 'json' or 'ndjson')`, {
          param: 'format',
        });
      }
      const response = await request('GET', `/v1/cache${format === 'ndjson' ? '?format=ndjson' : ''}`, undefined, exportOptions);
      if (format === 'json') return withInfo(await readJson(response), switchyardInfo(response));
      const text = await response.text();
      if (!response.ok) throw SwitchyardError.fromBody(response.status, text, plainHeaders(response.headers));
      return text;
    },
    /**
     * PUT /v1/cache: a snapshot object, its JSON text, or NDJSON text. With a persistent tier
     * the core also hands every entry to it; this resolves once those writes settled.
     */
    async import(snapshot, requestOptions = {}) {
      if (snapshot instanceof Uint8Array || snapshot instanceof ArrayBuffer) snapshot = new TextDecoder().decode(snapshot);
      const text = typeof snapshot === 'string' ? snapshot : JSON.stringify(snapshot);
      const headers = { 'content-type': isNdjson(text) ? 'application/x-ndjson' : 'application/json', ...(requestOptions.headers ?? {}) };
      let settled = Promise.resolve();
      const response = await send('PUT', '/v1/cache', headers, text, {
        signal: requestOptions.signal,
        onSettled: (done) => (settled = done),
      });
      const result = await readJson(response);
      await settled.catch(() => {});
      return result;
    },
    /** DELETE /v1/cache: empties the core's cache and, through the core, the persistent tier. */
    clear: (requestOptions) => request('DELETE', '/v1/cache', undefined, requestOptions).then(readJson),
  };
}

// True for NDJSON snapshot text (a head line, then entry lines) rather than one JSON document.
function isNdjson(text) {
  try {
    const doc = JSON.parse(text);
    return !(doc && typeof doc === 'object' && Array.isArray(doc.entries));
  } catch {
    return true; // several lines of JSON
  }
}

function describeConfigErrors(error) {
  const errors = error.metadata?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return error.message;
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
}
