// The public package API (SPEC section 5), shared by the browser entry (index.js) and the Node
// entry (node.js), which differ only in how they load the core. Every call is expressed as the
// HTTP request the gateway would receive and handed to the core through the driver: routing,
// retries, caching, snapshots and errors are the core's; this file encodes and decodes JSON.

import { createDriver } from './driver.js';

import { SwitchyardError, packageError } from './errors.js';
import { chunkStream, messageEventStream, pipelineError, pipelineEventStream, responseEventStream } from './streams.js';

export { SwitchyardError } from './errors.js';
export { sseData, sseEvents } from './streams.js';

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

// A Response object gets `output_text` (its message items' output_text parts joined), as the
// official OpenAI SDK adds it; a stream is left as it is.
function withOutputText(response) {
  if (response?.object !== 'response' || !Array.isArray(response.output) || 'output_text' in response) return response;
  const texts = [];
  for (const item of response.output) {
    if (item?.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content) if (part?.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
  }
  response.output_text = texts.join('');
  return response;
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

/** True when `persist` is a tier object of the host-interface shape. */
function isTier(value) {
  return value !== null && typeof value === 'object' && typeof value.get === 'function' && typeof value.put === 'function';
}

// Refuses options the package cannot work with (SPEC section 5), before the core is loaded.
function checkOptions({ config, transport, persist, fetchImpl, wasmUrl, wasmModule }) {
  if (transport === 'emscripten' && typeof globalThis.XMLHttpRequest !== 'function') {
    throw packageError(
      400,
      'invalid_request',
      "transport 'emscripten' needs an XMLHttpRequest (the Emscripten Fetch API is built on it), and this environment " +
        "has none: in Node, install one, e.g. npm xhr2 (`globalThis.XMLHttpRequest = (await import('xhr2')).default`; " +
        "absolute upstream URLs only), or use transport 'fetch'",
      { param: 'transport' },
    );
  }
  if (transport !== 'fetch' && transport !== 'emscripten') {
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
  if (wasmUrl !== undefined && typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw packageError(400, 'invalid_request', 'wasmUrl must be a string or a URL', { param: 'wasmUrl' });
  }
  if (wasmModule !== undefined && !(wasmModule instanceof WebAssembly.Module)) {
    throw packageError(400, 'invalid_request', 'wasmModule must be a WebAssembly.Module', { param: 'wasmModule' });
  }
}

// `persist` other than 'memory' asks for a persistent response cache: the config's `cache` gets
// `enabled` and `persist` true where it leaves them unset (an explicit false stays false). The
// gateway's config semantics are unchanged: there, only `cache.persist` turns the tier on.
export function withPersistence(config, persist) {
  if (persist === 'memory') return config;
  let doc = config;
  if (typeof config === 'string') {
    try {
      doc = JSON.parse(config);
    } catch {
      return config; // the core reports what is wrong with it
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return config;
  const cache = doc.cache ?? {};
  if (cache === null || typeof cache !== 'object' || Array.isArray(cache)) return config;
  return { ...doc, cache: { ...cache, enabled: cache.enabled ?? true, persist: cache.persist ?? true } };
}

// Loads and configures a core; throws the core's config error (400, every problem listed).
async function startCore(loadCore, seed, config, env, wasm) {
  const core = await loadCore(seed, wasm);
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
 * @param {(seed: number|bigint, wasm: {wasmUrl?: string|URL, wasmModule?: WebAssembly.Module}) => Promise<object>} defaultLoadCore
 *   the entry's core loader
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
    wasmUrl,
    wasmModule,
  } = options ?? {};
  const fetchImpl = userFetch ?? globalThis.fetch;
  checkOptions({ config, transport, persist, fetchImpl, wasmUrl, wasmModule });
  const core = await startCore(loadCore, seed, withPersistence(config, persist), env, { wasmUrl, wasmModule });
  if (transport === 'emscripten' && typeof core.fetchWhole !== 'function') {
    core.free();
    throw packageError(400, 'invalid_request', "transport 'emscripten' needs the Emscripten build of the core (this core has no Emscripten Fetch API)", {
      param: 'transport',
    });
  }
  const tier = await openPersistentTier(core, persist, persistOptions, openTier);
  if (tier) core.enablePersistence(true); // the core now lists, fills and empties it
  const driver = createDriver(core, {
    fetch: (url, init) => fetchImpl(url, init), // unbound window.fetch throws
    // transport 'emscripten': whole (non-streaming) upstream requests go through C++.
    fetchWhole: transport === 'emscripten' ? core.fetchWhole : undefined,
    now: () => Date.now(),
    log,
    cache: tier ?? undefined,
  });
  let closed = false;
  let closing = null;

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

  // A POST whose answer is either JSON or, when the body asked for a stream and the core
  // answers one, the events of `makeStream`'s kind.
  async function jsonOrStream(path, body, requestOptions, makeStream) {
    const response = await request('POST', path, body, requestOptions);
    const type = response.headers.get('content-type') ?? '';
    if (response.ok && type.includes('text/event-stream')) return makeStream(response, switchyardInfo(response));
    return withInfo(await readJson(response), switchyardInfo(response));
  }

  const models = (requestOptions) => json('GET', '/v1/models', undefined, requestOptions);
  models.retrieve = (id, requestOptions) => json('GET', `/v1/models/${encodeURIComponent(id)}`, undefined, requestOptions);

  return {
    chat: {
      completions: {
        create: (body, requestOptions) => jsonOrStream('/v1/chat/completions', body, requestOptions, chunkStream),
      },
    },
    responses: {
      create: async (body, requestOptions) =>
        withOutputText(await jsonOrStream('/v1/responses', body, requestOptions, responseEventStream)),
    },
    messages: {
      create: (body, requestOptions) => jsonOrStream('/v1/messages', body, requestOptions, messageEventStream),
      countTokens: (body, requestOptions) => json('POST', '/v1/messages/count_tokens', body, requestOptions),
    },
    images: {
      generate: (body, requestOptions) => json('POST', '/v1/images/generations', body, requestOptions),
    },
    embeddings: {
      create: (body, requestOptions) => json('POST', '/v1/embeddings', body, requestOptions),
    },
    call: (service, input, requestOptions) =>
      json('POST', `/v1/services/${encodeURIComponent(service)}`, input ?? {}, requestOptions),
    pipeline: (name, input, requestOptions) => runPipeline(request, name, input, requestOptions),
    stats: (requestOptions) => json('GET', '/v1/stats', undefined, requestOptions),
    models,
    cache: cacheApi(request, send),
    // Frees the core at once (later calls reject); resolves once the cache tier writes already
    // asked for settled and the tier the package opened was closed. Twice: the same promise.
    close() {
      if (closing) return closing;
      closed = true;
      core.free();
      closing = driver
        .flush()
        .then(() => (isTier(persist) ? undefined : tier?.close?.())) // a tier passed in is the caller's
        .then(
          () => undefined,
          () => undefined,
        );
      return closing;
    },
  };
}

// sy.pipeline (exported for the package tests): POST /v1/pipelines/{name} with the input as the
// body; `stream: true` is sent as the body's `stream` member (the core reads and removes it).
// Answers the answer object, or the pipeline's event stream; a failure is a SwitchyardError
// naming the failing step.
export async function runPipeline(request, name, input, requestOptions = {}) {
  const { stream = false, ...rest } = requestOptions ?? {};
  const body = stream ? { ...(input ?? {}), stream: true } : (input ?? {});
  const response = await request('POST', `/v1/pipelines/${encodeURIComponent(name)}`, body, rest);
  const info = switchyardInfo(response);
  const type = response.headers.get('content-type') ?? '';
  if (response.ok && type.includes('text/event-stream')) return pipelineEventStream(response, info);
  const text = await response.text();
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {}
    throw pipelineError(SwitchyardError.fromBody(response.status, text, info.headers), parsed);
  }
  let answer;
  try {
    answer = JSON.parse(text);
  } catch (cause) {
    throw packageError(502, 'internal', 'the core answered a body that is not JSON', { code: 'bad_response', cause });
  }
  withInfo(answer, info);
  return stream ? answerAsStream(answer, info) : answer;
}

// A whole answer where a stream was asked for (a core that does not stream pipelines): its
// steps, then `done`.
function answerAsStream(answer, info) {
  const steps = answer?.steps && typeof answer.steps === 'object' ? answer.steps : {};
  return {
    response: null,
    get _switchyard() {
      return info;
    },
    async *[Symbol.asyncIterator]() {
      for (const [id, step] of Object.entries(steps)) yield { type: 'step', step: { id, ...step } };
      yield { type: 'done', answer };
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
