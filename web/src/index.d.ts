// Types for the switchyard npm package (SPEC section 5). The same API is exported by the
// browser entry (index.js) and the Node entry (node.js).

/** The config document (SPEC section 1): an object, or its JSON text. */
export type SwitchyardConfig = Record<string, unknown> | string;

export interface CreateSwitchyardOptions {
  config: SwitchyardConfig;
  /** 'fetch' (default). 'emscripten' is not implemented yet: a 501 SwitchyardError (code 'not_implemented'). */
  transport?: 'fetch' | 'emscripten';
  /**
   * The persistent cache tier (L2) under the core's own cache: 'memory' (default: none),
   * 'indexeddb' (browsers and web workers), 'fs' (the Node entry: a directory, see
   * persistOptions.dir), or a tier object of your own. The core uses it when the config's cache
   * has "persist": true (and "enabled": true): an L1 miss asks the tier before going upstream,
   * every stored answer is written to it, and cache.export() / cache.clear() list and empty it.
   */
  persist?: 'memory' | 'indexeddb' | 'fs' | CacheTier;
  persistOptions?: PersistOptions;
  /** Values for "env:NAME" in the config (e.g. provider keys). Never persisted. */
  env?: Record<string, string>;
  /** The fetch used for upstream calls (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** The core's only randomness (default: random). */
  seed?: number | bigint;
  /** Loads the core adapter; by default the entry's own loader of web/dist. */
  loadCore?: (seed: number | bigint) => Promise<CoreAdapter>;
  /** Receives the core's log lines. */
  log?: (line: string) => void;
}

export interface PersistOptions {
  /** 'fs': the directory holding one file per entry (created if missing). Required for 'fs'. */
  dir?: string;
  /** The tier's byte budget (default 64 MiB): expired entries go first, then the oldest expiry. */
  maxBytes?: number;
  /** 'indexeddb': the database name (default "switchyard"; one object store "cache"). */
  database?: string;
}

/**
 * A persistent cache tier (docs/host-interface.md). Keys are 32 hex characters that already
 * include the tenant; an entry is one snapshot line (JSON text) holding only the answer.
 */
export interface CacheTier {
  /** The entry stored under key, or null (absent, expired). A rejection counts as a miss. */
  get(key: string): Promise<Uint8Array | string | null>;
  /** Stores (replacing) the entry until expiresAtMs (Date.now() clock). */
  put(key: string, entry: Uint8Array, expiresAtMs: number): Promise<unknown>;
  /** Every live entry line (the core's CACHE_LIST, for cache.export()). A failure lists nothing. */
  entries?(): AsyncIterable<Uint8Array | string>;
  /** Removes every entry (the core's CACHE_CLEAR, for cache.clear()). */
  clear?(): Promise<unknown>;
  close?(): unknown;
}

/** A cache snapshot: SPEC section 5, docs/host-interface.md. */
export interface CacheSnapshot {
  format: 'switchyard.cache';
  version: 1;
  entries: Array<{ key: string; target?: string; expires_at: number; answer: unknown; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** How a request was served, from the x-switchyard-* response headers. */
export interface SwitchyardInfo {
  status: number;
  /** provider/model that answered */
  target: string | null;
  attempts: number | null;
  cache: 'HIT' | 'MISS' | 'BYPASS' | 'COALESCED' | string | null;
  requestId: string | null;
  headers: Record<string, string>;
}

export interface RequestOptions {
  /** Aborting cancels the request in the core (its upstream fetches are aborted). */
  signal?: AbortSignal;
  /** Extra request headers, e.g. { 'x-switchyard-cache': 'no-store' }. */
  headers?: Record<string, string>;
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  content: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  temperature?: number;
  max_tokens?: number;
  stop?: string | string[];
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  stream_options?: { include_usage?: boolean };
  /** OpenRouter-style fallback list, provider preferences and sticky sessions. */
  models?: string[];
  provider?: Record<string, unknown>;
  session_id?: string;
  /** Switchyard's own controls (SPEC section 2). */
  switchyard?: {
    cache?: 'default' | 'no-store' | 'refresh' | 'only';
    cache_ttl_s?: number;
    priority?: number;
    timeout_ms?: number;
    metadata?: Record<string, unknown>;
  };
  [field: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** USD, when prices are known */
  cost?: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  provider?: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: unknown[] };
    finish_reason: string | null;
  }>;
  usage: Usage;
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  provider?: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: unknown[] };
    finish_reason: string | null;
  }>;
  usage?: Usage | null;
  error?: { message: string; type?: string; code?: string | null; metadata?: Record<string, unknown> };
}

/**
 * A streamed completion: iterate it once with `for await`. It ends after `data: [DONE]`.
 * An upstream failure after the stream started (a chunk whose `error` is set) is thrown as a
 * SwitchyardError whose `chunk` is that chunk. Leaving the loop early cancels the request.
 */
export interface ChatCompletionStream extends AsyncIterable<ChatCompletionChunk> {
  readonly response: Response;
  readonly _switchyard: SwitchyardInfo;
}

export interface ServiceResult {
  text: string;
  json?: unknown;
  usage: Usage;
  model: string;
  readonly _switchyard: SwitchyardInfo;
}

export interface Switchyard {
  chat: {
    completions: {
      create(body: ChatCompletionRequest & { stream: true }, options?: RequestOptions): Promise<ChatCompletionStream>;
      create(body: ChatCompletionRequest & { stream?: false }, options?: RequestOptions): Promise<ChatCompletion>;
      create(body: ChatCompletionRequest, options?: RequestOptions): Promise<ChatCompletion | ChatCompletionStream>;
    };
  };
  /** POST /v1/embeddings through the core (answers as the core's version supports it). */
  embeddings: { create(body: { model: string; input: string | string[]; [field: string]: unknown }, options?: RequestOptions): Promise<any> };
  /** Calls a configured service: POST /v1/services/{name}. */
  call(service: string, input?: Record<string, unknown>, options?: RequestOptions): Promise<ServiceResult>;
  /** Runs a configured pipeline: POST /v1/pipelines/{name} (as the core's version supports it). */
  pipeline(name: string, input?: Record<string, unknown>, options?: RequestOptions): Promise<any>;
  /** Per-target and cache statistics (GET /v1/stats). Asynchronous: the core answers it. */
  stats(options?: RequestOptions): Promise<any>;
  /** Configured model names and provider/model targets (GET /v1/models). */
  models(options?: RequestOptions): Promise<any>;
  cache: {
    /**
     * The core's snapshot (GET /v1/cache), which also holds the persistent tier's entries
     * (one per key, the latest expires_at wins): an object, or NDJSON text with format
     * 'ndjson' (a header line, then one entry per line).
     */
    export(options?: RequestOptions & { format?: 'json' }): Promise<CacheSnapshot>;
    export(options: RequestOptions & { format: 'ndjson' }): Promise<string>;
    /**
     * Loads a snapshot (an object, its JSON text, or NDJSON text) into the core (PUT /v1/cache);
     * with a persistent tier, resolves once the entries were also written to it.
     */
    import(snapshot: CacheSnapshot | string | Uint8Array, options?: RequestOptions): Promise<any>;
    /** Empties the core's cache and, through the core, the persistent tier (DELETE /v1/cache). */
    clear(options?: RequestOptions): Promise<any>;
  };
  /** Frees the core. Finish or cancel pending requests first. */
  close(): void;
}

export function createSwitchyard(options: CreateSwitchyardOptions): Promise<Switchyard>;

/** An error answered by the core (SPEC section 3), or a misuse of the package. */
export class SwitchyardError extends Error {
  name: 'SwitchyardError';
  status: number;
  /** The error document's `type`. */
  type: string;
  code: string | null;
  param: string | null;
  /** metadata.error_type; for config errors metadata.errors = [{ path, message }]. */
  metadata: { error_type?: string; errors?: Array<{ path: string; message: string }>; [k: string]: unknown };
  headers: Record<string, string>;
  /** Set when a stream ended with an error chunk. */
  chunk?: ChatCompletionChunk;
}

// ---- lower level: the core adapter and the driver (docs/host-interface.md) ----

/** One build of the core behind a common interface. Returned records alias wasm memory: valid until the next call. */
export interface CoreAdapter {
  configure(configText: string, envText: string): string | null;
  /** The names the config references as "env:NAME": pass exactly these in configure's env. */
  envNames(configText: string): string[];
  /** A caller request whole: begin + body + end. */
  submit(rid: number, method: string, path: string, headersText: string, body: Uint8Array | string, now: number): Uint8Array;
  /** A caller request whose body streams in: its head, any number of body pieces, its end. */
  begin(rid: number, method: string, path: string, headersText: string, now: number): Uint8Array;
  body(rid: number, bytes: Uint8Array | string, now: number): Uint8Array;
  end(rid: number, now: number): Uint8Array;
  cancel(rid: number, now: number): Uint8Array;
  fetchResponse(fid: number, status: number, headersText: string, now: number): Uint8Array;
  fetchBody(fid: number, bytes: Uint8Array, now: number): Uint8Array;
  fetchEnd(fid: number, now: number): Uint8Array;
  fetchError(fid: number, message: string, now: number): Uint8Array;
  timer(now: number): Uint8Array;
  /** The earliest time timer() has work (ms, the host clock), or Infinity. Ask after every call. */
  nextDeadline(): number;
  /**
   * The answer to a CACHE_GET (the entry, or empty for a miss), a CACHE_LIST (the entry lines
   * joined by "\n") or a CACHE_CLEAR (empty). Exactly once per such action.
   */
  cacheResult(rid: number, data: Uint8Array | string, now: number): Uint8Array;
  /** The host has a persistent tier: the core may emit CACHE_GET / CACHE_PUT / CACHE_LIST / CACHE_CLEAR. */
  enablePersistence(on: boolean): void;
  free(): void;
}

export interface DriverHost {
  fetch: typeof fetch;
  now?: () => number;
  waitUntil?: (promise: Promise<unknown>) => void;
  log?: (line: string) => void;
  /** The persistent tier that performs CACHE_GET / CACHE_PUT / CACHE_LIST / CACHE_CLEAR. */
  cache?: CacheTier;
  /** A tier get, clear or listing step that has not answered by then failed (default 5000 ms). */
  cacheTimeoutMs?: number;
  /**
   * workerd: a request waiting with no I/O of its own (coalesced onto another request's upstream
   * call, queued behind a limit) keeps an idle timer of this length so that the runtime does not
   * cancel it as hung. 0 (default): none.
   */
  keepAliveMs?: number;
  /**
   * workerd: a request answered while its body still arrives (413, 408, 401…) reads and drops
   * the rest of that body for at most this long, its answer open meanwhile, so that a caller
   * still sending can finish and read the answer. 0 (default): the body is cancelled at once.
   */
  bodyLingerMs?: number;
}

export interface Driver {
  request(
    method: string,
    path: string,
    headers?: Record<string, string> | Headers | Array<[string, string]> | string,
    /** A stream is read piece by piece and cancelled once the core answered (e.g. 413, 408). */
    body?: string | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | null,
    options?: { signal?: AbortSignal; onSettled?: (done: Promise<void>) => void },
  ): Promise<Response>;
  /** For tests and diagnostics: the one timer (armed, fired, handed over) and task wake-ups. */
  counters(): { armed: number; fired: number; handovers: number; wakeups: number; keepAlives: number; live: number; deadline: number | undefined };
}

export function createDriver(core: CoreAdapter, host: DriverHost): Driver;
/** The Emscripten build's adapter over an instantiated module (events through its C exports). */
export function createEmscriptenCore(module: unknown, seed?: number | bigint): CoreAdapter;
/** The adapter over the C interface's exports (an initialized WASI reactor instance, or what createEmscriptenCore passes). */
export function createCCore(exports: WebAssembly.Exports | object, seed?: number | bigint): CoreAdapter;
/** Loads web/dist/switchyard_core.{mjs,wasm} and wraps it. */
export function loadEmscriptenCore(seed?: number | bigint, moduleOptions?: Record<string, unknown>): Promise<CoreAdapter>;
/** The IndexedDB tier (browsers, web workers). */
export function openIndexedDbTier(options?: PersistOptions & { indexedDB?: IDBFactory; now?: () => number }): Promise<CacheTier>;
/** The on-disk tier (Node entry only). */
export function openFsTier(options: PersistOptions & { dir: string; now?: () => number }): Promise<CacheTier>;
