// Types for the switchyard npm package (SPEC section 5). The same API is exported by the
// browser entry (index.js) and the Node entry (node.js); the CommonJS entry (index.cjs, types in
// index.d.cts) exports createSwitchyard and SwitchyardError with these types. The config types
// (ConfigDocument, Config*) are generated from config.schema.json: scripts/schema-to-dts.mjs.

/**
 * The config document (SPEC section 1): an object, or its JSON text. Its type is generated from
 * the JSON Schema the package ships (switchyard/config.schema.json; a config file may name it in
 * "$schema" for editor completion). Rules across members (a target's provider must exist…) are
 * the core's: createSwitchyard refuses such a config with every problem listed.
 */
export type SwitchyardConfig = ConfigDocument | string;

// ---- generated from web/config.schema.json by scripts/schema-to-dts.mjs: do not edit ----
/** The Switchyard configuration document (SPEC section 1), the same for the npm package and the edge gateway. The core's loader (src/config) is the truth: tests/js/config_schema.test.js checks that this schema and the core accept and refuse the same documents. Rules across members (a target naming an unknown provider, a pipeline step naming an unknown service or step, a cycle between steps, a missing env: variable) are checked by the core only. */
export interface ConfigDocument {
  /** The JSON Schema of this document, for editors (e.g. "./node_modules/switchyard/config.schema.json"). Ignored by Switchyard. */
  $schema?: string;
  /** The providers, by name. Targets refer to them by name; a request for "<provider>/<model>" goes straight to that provider. */
  providers: {
    [member: string]: ConfigProvider;
  };
  /** Model names callers use, each a target tree (a leaf {provider, model} or a group {strategy, targets}). */
  models?: {
    [member: string]: ConfigTarget;
  };
  /** Named calls: a model plus templates; {{name}} takes a field of the call's input (sy.call(name, input), POST /v1/services/{name}). */
  services?: {
    [member: string]: ConfigService;
  };
  /** Named chains of steps (sy.pipeline(name, input), POST /v1/pipelines/{name}): an array of steps, or {steps, output, timeout_ms}. A step runs once the steps it refers to are done. */
  pipelines?: {
    [member: string]: ConfigPipeline;
  };
  /** Retries of one target before falling back to the next. */
  retry?: {
    /**
     * Retries of one target after its first try.
     * @default 3
     */
    attempts?: number;
    /**
     * Upstream statuses that are retried.
     * @default [408,429,500,502,503,504]
     */
    on_status?: ConfigStatusList;
    /**
     * The first backoff (doubles per retry).
     * @default 100
     */
    backoff_ms?: number;
    /**
     * The longest backoff.
     * @default 5000
     */
    max_backoff_ms?: number;
  };
  /**
   * The whole-request deadline (ms).
   * @default 60000
   */
  timeout_ms?: number;
  /** The circuit breaker per target. */
  breaker?: {
    /**
     * Consecutive failures that open the breaker.
     * @default 5
     */
    failures?: number;
    /**
     * How long an open breaker keeps the target out.
     * @default 30000
     */
    cooldown_ms?: number;
  };
  /** The response cache (L1 in the core; with persist, a host tier under it: IndexedDB, a directory, KV). */
  cache?: {
    /**
     * Cache answers.
     * @default false
     */
    enabled?: boolean;
    /**
     * What is evicted first when max_bytes is reached.
     * @default "lru"
     */
    policy?: "lru" | "lfu";
    /**
     * The in-core cache's byte budget.
     * @default 67108864
     */
    max_bytes?: number;
    /**
     * How long an answer is kept (s).
     * @default 3600
     */
    ttl_s?: number;
    /**
     * Also keep answers in the host's persistent tier (the package's persist option).
     * @default false
     */
    persist?: boolean;
    /**
     * Also store answers cut short by max_tokens.
     * @default false
     */
    store_truncated?: boolean;
  };
  /** Gateway keys (Authorization: Bearer <key>). With keys configured every route but /health needs one. A key may be written "env:NAME". */
  keys?: {
    [member: string]: ConfigKey;
  };
  /** The HTTP front: request bodies, CORS and budget reservations. */
  gateway?: {
    /**
     * Larger request bodies get 413.
     * @default 4194304
     */
    max_body_bytes?: number;
    /**
     * A request body must arrive within this time (408 otherwise).
     * @default 30000
     */
    body_timeout_ms?: number;
    /**
     * Output tokens a key's budget reservation assumes when a request gives no max_tokens (worst-case cost = prompt estimate at the highest input price + these at the highest output price among the targets it may reach).
     * @default 4096
     */
    reserve_output_tokens?: number;
    /**
     * With shared state (a host with Durable Objects): when the state object of a key with a budget or an rpm does not answer, admit the request from the isolate's local lease (true) instead of answering 503 state_unavailable (false).
     * @default false
     */
    state_fail_open?: boolean;
    /** Cross-origin callers allowed (default: none). */
    cors?: {
      /** Origins like "https://app.example.com" (scheme and host, no path), or ["*"] for any. */
      origins: string[];
      /**
       * access-control-max-age of preflight answers.
       * @default 600
       */
      max_age_s?: number;
    };
  };
  /** Request logs and traces. Nothing here ever carries a gateway key (keys are named by keys.*.name) or a provider key. */
  telemetry?: {
    /**
     * "json": one JSON line per finished request (request id, key name, model, target, attempts, cache, status, tokens, cost, ms) through the host's log.
     * @default "none"
     */
    logs?: "json" | "none";
    /**
     * Also put the request body and the answer text in each log line (off: no prompt or answer text is logged).
     * @default false
     */
    log_bodies?: boolean;
    /** Export traces as OTLP/HTTP JSON: a span per request, per upstream attempt and per cache lookup, batched (64 spans, or 1 s after the first unsent one) and sent by the host without delaying any answer. */
    otlp?: {
      /** The collector's base URL (a trailing / is dropped); spans are POSTed to {endpoint}/v1/traces. */
      endpoint: string;
      /** Headers sent with every export (e.g. authorization); a value may be "env:NAME". */
      headers?: {
        [member: string]: string;
      };
    };
  };
}

/** One provider account. */
export interface ConfigProvider {
  /** The API it speaks. echo is built in, offline and deterministic: it answers from the request itself. */
  type: "openai" | "azure-openai" | "anthropic" | "gemini" | "openai-compatible" | "echo";
  /** The API's base URL (a trailing / is dropped). Required for azure-openai and for openai-compatible without a preset; openai, anthropic and gemini have a default. */
  base_url?: string;
  /** openai-compatible only: a known service's base URL (base_url wins when both are given). */
  preset?: "groq" | "mistral" | "together" | "deepseek" | "xai" | "fireworks" | "openrouter" | "ollama" | "vllm" | "lmstudio";
  /** A literal key, or "env:NAME" resolved by the host (the package's env option, the gateway's secrets). */
  api_key?: string;
  /** Extra headers sent upstream. */
  headers?: {
    [member: string]: string;
  };
  limits?: ConfigLimits;
  /** This provider's deadline per attempt (default: the config's timeout_ms). */
  timeout_ms?: number;
  /** USD per million tokens, per model name. */
  prices?: {
    [member: string]: {
      /** USD per million prompt tokens. */
      input?: number;
      /** USD per million completion tokens. */
      output?: number;
    };
  };
  /** azure-openai: the api-version query parameter (default "2024-10-21"); anthropic: the anthropic-version header (default "2023-06-01"). */
  api_version?: string;
}

/** Rate and concurrency limits (0 = unlimited); over them requests queue by priority. */
export interface ConfigLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (prompt estimate + max_tokens). */
  tpm?: number;
  /** Requests in flight at once. */
  concurrency?: number;
}

export type ConfigStatusList = number[];

/**
 * The share of a weighted group.
 * @default 1
 */
export type ConfigWeight = number;

/** Request members set for this target (a child's win over its group's), e.g. {"temperature": 0}. */
export interface ConfigOverrideParams {
  [member: string]: unknown;
}

/** A leaf {provider, model} or a group {strategy, targets}. */
export type ConfigTarget = ConfigLeaf | ConfigGroup;

/** One provider/model. */
export interface ConfigLeaf {
  /** A provider of this config. */
  provider: string;
  /** The provider's model name. */
  model: string;
  weight?: ConfigWeight;
  override_params?: ConfigOverrideParams;
  /** How a conditional group's conditions and default name this target. */
  name?: string;
  limits?: ConfigLimits;
}

/** Targets balanced by a strategy. */
export interface ConfigGroup {
  /**
   * fallback: in order; round_robin; weighted (by weight); random; least_outstanding; latency (peak-EWMA); cost (cheapest first); usage (most rpm/tpm headroom); conditional (conditions pick a child).
   * @default "fallback"
   */
  strategy?: "fallback" | "round_robin" | "weighted" | "random" | "least_outstanding" | "latency" | "cost" | "usage" | "conditional";
  /** The children (nest at most 16 levels). */
  targets: ConfigTarget[];
  /** Upstream statuses on which this group falls back to its next target. */
  on_status?: ConfigStatusList;
  weight?: ConfigWeight;
  override_params?: ConfigOverrideParams;
  /** How a conditional parent names this group. */
  name?: string;
  /** conditional only: the first condition that holds picks the child named by then. */
  conditions?: {
    when: ConfigRoutingCondition;
    /** The name of a child target. */
    then: string;
  }[];
  /** conditional only: the name of the child used when no condition holds. */
  default?: string;
}

/** A value (shorthand for $eq) or an object of operators that must all hold. */
export type ConfigFieldTest = (string | number | boolean | null | unknown[]) | {
  $eq?: unknown;
  $ne?: unknown;
  $gt?: unknown;
  $gte?: unknown;
  $lt?: unknown;
  $lte?: unknown;
  $in?: unknown[];
  $nin?: unknown[];
};

/** Fields metadata.<path>, params.<path>, prompt_tokens, model, each with a value or operators; $and / $or combine; several members must all hold. */
export interface ConfigRoutingCondition {
  $and?: ConfigRoutingCondition[];
  $or?: ConfigRoutingCondition[];
  [member: string]: ConfigFieldTest | ConfigRoutingCondition[] | undefined;
}

/** Fields input.<path>, <step>.text, <step>.json.<path>, each with a value or operators; $and / $or combine. False skips the step. */
export interface ConfigStepCondition {
  $and?: ConfigStepCondition[];
  $or?: ConfigStepCondition[];
  [member: string]: ConfigFieldTest | ConfigStepCondition[] | undefined;
}

/** A JSON Schema the answer must follow: the call asks for structured output and exposes the parsed answer as .json. */
export interface ConfigJsonSchema {
  [member: string]: unknown;
}

/** A named call: a model plus templates. */
export interface ConfigService {
  /** A configured model, or provider/model. */
  model: string;
  /** The system message template. */
  system?: string;
  /** The user message template. */
  prompt?: string;
  /** An image URL or data: URL template, sent with the prompt. */
  image?: string;
  schema?: ConfigJsonSchema;
}

export type ConfigPipeline = ConfigSteps | {
  steps: ConfigSteps;
  /** A template whose value is the answer's output (default: the last step's text). */
  output?: string;
  /** The whole pipeline's deadline. */
  timeout_ms?: number;
};

export type ConfigSteps = ConfigStep[];

/** A service call, or a model with inline templates. Its input templates take {{input.x}}, {{step.text}} or {{step.json.a.b}}. */
export interface ConfigStep {
  /** Unique in the pipeline; later steps refer to {{id.text}}. */
  id: string;
  /** A configured service. */
  service?: string;
  /** Overrides the service's model; the model when there is no service. */
  model?: string;
  /** Without a service: the system message template. */
  system?: string;
  /** Without a service: the user message template. */
  prompt?: string;
  /** Without a service: the image template. */
  image?: string;
  schema?: ConfigJsonSchema;
  /** The step's input fields, each a template. */
  input?: {
    [member: string]: string;
  };
  when?: ConfigStepCondition;
  /**
   * The step's cache control.
   * @default "default"
   */
  cache?: "default" | "no-store" | "refresh" | "only";
  /** The step's deadline. */
  timeout_ms?: number;
  /**
   * What a failure of this step does.
   * @default "fail"
   */
  on_error?: "fail" | "skip" | "fallback_value";
  /** on_error fallback_value: the step's output when it fails. */
  fallback_value?: unknown;
}

/** One gateway key. */
export interface ConfigKey {
  /** How the key is named in metrics, logs, traces and GET /v1/key (unique among keys); default "key-" + 8 hex digits of a hash of the key. The key itself is never shown. */
  name?: string;
  /**
   * Models this key may use; "*" for all.
   * @default ["*"]
   */
  models?: string[];
  /** Requests per minute (0 = unlimited). */
  rpm?: number;
  /** Spend limit (0 = none); over it: 402. */
  budget_usd?: number;
  /**
   * May export, import and clear the cache.
   * @default false
   */
  admin?: boolean;
}
// ---- end of generated config types ----

export interface CreateSwitchyardOptions {
  config: SwitchyardConfig;
  /**
   * 'fetch' (default): upstream requests through `fetch`. 'emscripten': non-streaming upstream
   * requests go from C++ through the Emscripten Fetch API (XMLHttpRequest); streaming ones still
   * use `fetch`. Outcomes (errors, retries, fallbacks) are the same. Needs a global
   * XMLHttpRequest: in Node install one (e.g. npm xhr2 as globalThis.XMLHttpRequest; absolute
   * URLs only), else createSwitchyard throws a 400 SwitchyardError (param 'transport').
   */
  transport?: 'fetch' | 'emscripten';
  /**
   * The persistent cache tier (L2) under the core's own cache: 'memory' (default: none),
   * 'indexeddb' (browsers and web workers), 'fs' (the Node entry: a directory, see
   * persistOptions.dir), or a tier object of your own. Any of these but 'memory' turns the
   * config's cache "enabled" and "persist" on where the config leaves them unset (an explicit
   * false stays false): an L1 miss asks the tier before going upstream, every stored answer is
   * written to it, and cache.export() / cache.clear() list and empty it.
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
  /**
   * Where the core's WebAssembly is fetched from (default: the package's dist/switchyard_core.wasm
   * next to its glue, which Vite and webpack 5 copy into the build; the file is exported as
   * 'switchyard/wasm'). In Node: a file path, a file: URL or an http(s) URL. A wasm that cannot
   * be loaded rejects with a SwitchyardError (500, code 'wasm_unavailable') naming the URL.
   * Unset, in a browser, a default URL that no bundler rewrote and that cannot be loaded (esbuild,
   * Rollup without an assets plugin) is replaced by the inline copy dist/switchyard_core_wasm_*.js.
   */
  wasmUrl?: string | URL;
  /** An already compiled core (a WebAssembly.Module), used instead of fetching one. */
  wasmModule?: WebAssembly.Module;
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

/** Switchyard's own controls and routing members, accepted in every request body (SPEC section 2). */
export interface SwitchyardControls {
  /** OpenRouter-style fallback list, provider preferences and sticky sessions. */
  models?: string[];
  provider?: Record<string, unknown>;
  session_id?: string;
  switchyard?: {
    cache?: 'default' | 'no-store' | 'refresh' | 'only';
    cache_ttl_s?: number;
    priority?: number;
    timeout_ms?: number;
    metadata?: Record<string, unknown>;
  };
}

export interface ChatCompletionRequest extends SwitchyardControls {
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

// ---- pipelines (POST /v1/pipelines/{name}) ----

export interface PipelineOptions extends RequestOptions {
  /** Stream the pipeline's events (sent as the body's `stream` member, which is not input). */
  stream?: boolean;
}

/** One step's result in a pipeline's answer (`steps[id]`). */
export interface PipelineStepResult {
  /** The step's answer text; null when it was skipped. */
  text: string | null;
  /** The parsed answer, when the step's service has a `schema`. */
  json?: unknown;
  model: string;
  provider: string;
  cache: 'HIT' | 'MISS' | 'BYPASS' | 'COALESCED' | string;
  attempts: number;
  /** How long the step took. */
  ms: number;
  usage: Usage;
  /** Set when `when` was false or the step failed with on_error "skip". */
  skipped?: true;
  /** The error of a failed step whose on_error is "skip" or "fallback_value". */
  error?: { message: string; type: string; code: string | null; param?: string | null; metadata?: Record<string, unknown> };
}

export interface PipelineAnswer {
  /** The output template's value: a string, or JSON when it is one {{step.json…}} / {{input…}} placeholder. */
  output: unknown;
  steps: Record<string, PipelineStepResult>;
  /** Summed over the steps. */
  usage: Usage;
  /** USD, summed over the steps. */
  cost: number;
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

/** A streamed pipeline's events, in order: `step` per finished or skipped step, `delta` per token of the output step, then `done`. */
export type PipelineStreamEvent =
  | { type: 'step'; step: PipelineStepResult & { id: string } }
  | { type: 'delta'; text: string }
  | { type: 'done'; answer: Omit<PipelineAnswer, '_switchyard'> };

/**
 * A streamed pipeline: iterate it once with `for await`; it ends after `done`. An `error` event
 * (a failing step, the deadline) is thrown as a SwitchyardError with `step`, `steps` and `event`.
 * Leaving the loop early cancels the pipeline and every step in flight.
 */
export interface PipelineStream extends AsyncIterable<PipelineStreamEvent> {
  readonly response: Response | null;
  readonly _switchyard: SwitchyardInfo;
}

// ---- OpenAI Responses API (POST /v1/responses) ----

export type ResponseInputContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url?: string | null; file_id?: string | null; detail?: 'low' | 'high' | 'auto' }
  | { type: 'input_file'; file_id?: string | null; file_data?: string; file_url?: string; filename?: string };

export type ResponseOutputContent =
  | { type: 'output_text'; text: string; annotations: unknown[]; logprobs?: unknown[] }
  | { type: 'refusal'; refusal: string };

/** A message in `input`: a string or parts; `type: 'message'` may be left out. */
export interface ResponseInputMessage {
  type?: 'message';
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | Array<ResponseInputContent | ResponseOutputContent>;
  id?: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export interface ResponseOutputMessage {
  type: 'message';
  id: string;
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: ResponseOutputContent[];
}

/** A function call the model made; send it back in `input` with its function_call_output. */
export interface ResponseFunctionCall {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** JSON text */
  arguments: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export interface ResponseFunctionCallOutput {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: string | ResponseInputContent[];
  status?: 'in_progress' | 'completed' | 'incomplete';
}

/** Reasoning the model did; passed back as it came (encrypted_content included) in later turns. */
export interface ResponseReasoningItem {
  type: 'reasoning';
  id: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  content?: Array<{ type: 'reasoning_text'; text: string }>;
  encrypted_content?: string | null;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export type ResponseInputItem =
  | ResponseInputMessage
  | ResponseOutputMessage
  | ResponseFunctionCall
  | ResponseFunctionCallOutput
  | ResponseReasoningItem
  | { type: 'item_reference'; id: string };

/** The output items Switchyard's targets produce (an openai target may also answer built-in tool items). */
export type ResponseOutputItem = ResponseOutputMessage | ResponseFunctionCall | ResponseReasoningItem;

export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  /** JSON Schema of the arguments */
  parameters: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponseToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; name: string } | { type: string; [field: string]: unknown };

export type ResponseTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

export interface ResponseCreateRequest extends SwitchyardControls {
  model: string;
  input: string | ResponseInputItem[];
  /** A system message first; not carried over from previous_response_id. */
  instructions?: string | null;
  /** Function tools; built-in tools ({type: 'web_search', …}) only where the target can run them. */
  tools?: Array<ResponseFunctionTool | { type: string; [field: string]: unknown }>;
  tool_choice?: ResponseToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: { format?: ResponseTextFormat; verbosity?: 'low' | 'medium' | 'high' | null };
  reasoning?: { effort?: 'minimal' | 'low' | 'medium' | 'high' | null; summary?: 'auto' | 'concise' | 'detailed' | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  metadata?: Record<string, string> | null;
  /** false: the response is not kept (it cannot be a previous_response_id). */
  store?: boolean | null;
  /** Continues a kept response: needs a persistent tier (cache.persist), else a 400. */
  previous_response_id?: string | null;
  user?: string;
  stream?: boolean | null;
  [field: string]: unknown;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; [field: string]: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number; [field: string]: number };
  total_tokens: number;
  /** USD, when prices are known */
  cost?: number;
}

/** The Response object, as the Responses API answers it (the OpenAI SDK's `Response`). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';
  error: { code: string; message: string } | null;
  incomplete_details: { reason?: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: ResponseOutputItem[];
  /** Not on the wire: the output_text parts of the message items joined, as the OpenAI SDK adds it. */
  output_text: string;
  usage?: ResponseUsage;
  instructions: string | null | unknown[];
  tools: unknown[];
  tool_choice: ResponseToolChoice;
  parallel_tool_calls: boolean;
  text?: { format?: ResponseTextFormat; [field: string]: unknown };
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens?: number | null;
  previous_response_id?: string | null;
  store?: boolean;
  metadata: Record<string, string> | null;
  [field: string]: unknown;
}

interface ResponseEventBase {
  sequence_number: number;
}
type ItemEvent = ResponseEventBase & { item_id: string; output_index: number };

/**
 * The typed events of a streamed response, in the order the Responses API sends them (an openai
 * target may also forward events of built-in tools, e.g. response.web_search_call.*).
 */
export type ResponseStreamEvent =
  | (ResponseEventBase & { type: 'response.created' | 'response.in_progress' | 'response.queued'; response: ResponseObject })
  | (ResponseEventBase & { type: 'response.completed' | 'response.incomplete' | 'response.failed'; response: ResponseObject })
  | (ResponseEventBase & { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: ResponseOutputItem })
  | (ItemEvent & { type: 'response.content_part.added' | 'response.content_part.done'; content_index: number; part: ResponseOutputContent })
  | (ItemEvent & { type: 'response.output_text.delta'; content_index: number; delta: string; logprobs?: unknown[] })
  | (ItemEvent & { type: 'response.output_text.done'; content_index: number; text: string; logprobs?: unknown[] })
  | (ItemEvent & { type: 'response.refusal.delta'; content_index: number; delta: string })
  | (ItemEvent & { type: 'response.refusal.done'; content_index: number; refusal: string })
  | (ItemEvent & { type: 'response.function_call_arguments.delta'; delta: string })
  | (ItemEvent & { type: 'response.function_call_arguments.done'; name?: string; arguments: string })
  | (ItemEvent & { type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'; summary_index: number; part: { type: 'summary_text'; text: string } })
  | (ItemEvent & { type: 'response.reasoning_summary_text.delta'; summary_index: number; delta: string })
  | (ItemEvent & { type: 'response.reasoning_summary_text.done'; summary_index: number; text: string })
  | (ItemEvent & { type: 'response.reasoning_text.delta'; content_index: number; delta: string })
  | (ItemEvent & { type: 'response.reasoning_text.done'; content_index: number; text: string });

/** The `error` event of a Responses stream (thrown, never yielded). */
export interface ResponseErrorEvent extends ResponseEventBase {
  type: 'error';
  code: string | null;
  message: string;
  param: string | null;
  [field: string]: unknown;
}

/**
 * A streamed response: iterate it once with `for await`; the last event is response.completed
 * (or response.incomplete), whose `response` is the whole ResponseObject. An `error` event (or
 * response.failed) is thrown as a SwitchyardError whose `event` is that event. Leaving the loop
 * early cancels the request.
 */
export interface ResponseStream extends AsyncIterable<ResponseStreamEvent> {
  readonly response: Response;
  readonly _switchyard: SwitchyardInfo;
}

// ---- Anthropic Messages API (POST /v1/messages, /v1/messages/count_tokens) ----

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export type ImageSource =
  | { type: 'base64'; media_type: 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp'; data: string }
  | { type: 'url'; url: string };

export type TextBlockParam = { type: 'text'; text: string; cache_control?: CacheControl | null; citations?: unknown[] | null };
export type ImageBlockParam = { type: 'image'; source: ImageSource; cache_control?: CacheControl | null };
export type DocumentBlockParam = {
  type: 'document';
  source:
    | { type: 'base64'; media_type: 'application/pdf'; data: string }
    | { type: 'text'; media_type: 'text/plain'; data: string }
    | { type: 'url'; url: string }
    | { type: 'content'; content: string | Array<TextBlockParam | ImageBlockParam> };
  title?: string | null;
  context?: string | null;
  cache_control?: CacheControl | null;
};
export type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: unknown };
export type ToolResultBlockParam = {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<TextBlockParam | ImageBlockParam>;
  is_error?: boolean;
  cache_control?: CacheControl | null;
};
/** Thinking comes back with a signature: pass the block back unchanged in the next turn. */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string };
export type RedactedThinkingBlock = { type: 'redacted_thinking'; data: string };
export type TextBlock = { type: 'text'; text: string; citations?: unknown[] | null };

export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | (ToolUseBlock & { cache_control?: CacheControl | null })
  | ToolResultBlockParam
  | ThinkingBlock
  | RedactedThinkingBlock;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

export interface MessageTool {
  name: string;
  description?: string;
  /** JSON Schema of the input */
  input_schema: { type: 'object'; properties?: Record<string, unknown> | null; required?: string[] | null; [field: string]: unknown };
  type?: 'custom';
  cache_control?: CacheControl | null;
}

export type MessageToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface MessageCreateRequest extends SwitchyardControls {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | TextBlockParam[];
  /** Client tools; server tools ({type: 'web_search_20250305', …}) only where the target can run them. */
  tools?: Array<MessageTool | { type: string; name: string; [field: string]: unknown }>;
  tool_choice?: MessageToolChoice;
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' };
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string | null };
  stream?: boolean;
  [field: string]: unknown;
}

export type MessageCountTokensRequest = Omit<MessageCreateRequest, 'max_tokens' | 'stream'> & { max_tokens?: number };

export type ContentBlock = TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock;

export interface MessageUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
  [field: string]: unknown;
}

/** A Message, as the Messages API answers it. */
export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | null;
  stop_sequence: string | null;
  usage: MessageUsage;
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

export type MessageDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: unknown };

/** The events of a streamed message, in Anthropic's order (ping events are skipped). */
export type MessageStreamEvent =
  | { type: 'message_start'; message: Omit<Message, '_switchyard'> }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: MessageDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: Message['stop_reason']; stop_sequence: string | null };
      usage: { output_tokens: number; input_tokens?: number | null; [field: string]: unknown };
    }
  | { type: 'message_stop' };

/**
 * A streamed message: iterate it once with `for await`. An `error` event ({type: 'error',
 * error: {type, message}}) is thrown as a SwitchyardError whose `event` is that event. Leaving
 * the loop early cancels the request.
 */
export interface MessageStream extends AsyncIterable<MessageStreamEvent> {
  readonly response: Response;
  readonly _switchyard: SwitchyardInfo;
}

// ---- Images (POST /v1/images/generations) ----

export interface ImageGenerateRequest extends SwitchyardControls {
  prompt: string;
  model?: string;
  /** 1–10 (dall-e-3: 1) */
  n?: number | null;
  size?: 'auto' | '256x256' | '512x512' | '1024x1024' | '1536x1024' | '1024x1536' | '1792x1024' | '1024x1792' | (string & {}) | null;
  quality?: 'standard' | 'hd' | 'low' | 'medium' | 'high' | 'auto' | null;
  style?: 'vivid' | 'natural' | null;
  /** gpt-image-1 answers b64_json only */
  response_format?: 'url' | 'b64_json' | null;
  background?: 'transparent' | 'opaque' | 'auto' | null;
  output_format?: 'png' | 'jpeg' | 'webp' | null;
  output_compression?: number | null;
  moderation?: 'low' | 'auto' | null;
  user?: string;
  [field: string]: unknown;
}

export interface ImagesResponse {
  created: number;
  /** b64_json or url per image; the echo provider answers an SVG of the prompt. */
  data: Array<{ b64_json?: string; url?: string; revised_prompt?: string }>;
  background?: 'transparent' | 'opaque';
  output_format?: 'png' | 'webp' | 'jpeg';
  size?: string;
  quality?: string;
  usage?: {
    input_tokens: number;
    input_tokens_details?: { image_tokens: number; text_tokens: number };
    output_tokens: number;
    total_tokens: number;
  };
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

// ---- Embeddings (POST /v1/embeddings) ----

export interface EmbeddingRequest extends SwitchyardControls {
  model: string;
  /** A text, texts (at most 2048), an array of token ids, or arrays of token ids. */
  input: string | string[] | number[] | number[][];
  /** 1–65536, where the target's model can shorten its vectors. */
  dimensions?: number | null;
  /** 'float' (default): arrays of numbers; 'base64': little-endian float32 bytes in base64. */
  encoding_format?: 'float' | 'base64' | null;
  user?: string;
  [field: string]: unknown;
}

/** The embeddings answer; `embedding` is number[] or, with encoding_format 'base64', a string. */
export interface EmbeddingsResponse<Vector extends number[] | string = number[]> {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: Vector }>;
  model: string;
  provider?: string;
  usage: { prompt_tokens: number; total_tokens: number; cost?: number };
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

// ---- Statistics (GET /v1/stats) and cache answers ----

/** One provider/model target's counters since the core started. */
export interface TargetStats {
  /** provider/model */
  target: string;
  /** Upstream attempts started. */
  requests: number;
  /** Upstream attempts that failed. */
  errors: number;
  /** Latency of successful attempts (to the first byte for streams); null before the first. */
  latency_ms: { p50: number | null; p99: number | null };
  tokens: { prompt: number; completion: number };
  /** USD, where prices are known. */
  cost_usd: number;
  breaker: 'closed' | 'open' | 'half_open';
  /** Attempts in flight. */
  outstanding: number;
}

/** What sy.stats() answers (GET /v1/stats). */
export interface Stats {
  object: 'switchyard.stats';
  targets: TargetStats[];
  /**
   * The response cache. `entries`, `bytes` and `evictions` are the core's own (L1); `hits` are
   * lookups answered by either tier, `misses` lookups answered by neither; `l1` and `l2` (the
   * host's persistent tier: IndexedDB, disk, KV) count each tier's own lookups.
   */
  cache: {
    entries: number;
    bytes: number;
    hits: number;
    misses: number;
    evictions: number;
    l1: { hits: number; misses: number };
    l2: { hits: number; misses: number };
  };
  /** Not enumerable: how the request was served. */
  readonly _switchyard: SwitchyardInfo;
}

/** What cache.import() answers: entries stored, and entries skipped as already expired. */
export interface CacheImportResult {
  imported: number;
  expired: number;
  readonly _switchyard: SwitchyardInfo;
}

/** What cache.clear() answers: how many entries were removed. */
export interface CacheClearResult {
  deleted: number;
  readonly _switchyard: SwitchyardInfo;
}

/** One entry of GET /v1/models, or GET /v1/models/{id}. */
export interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  [field: string]: unknown;
}

export interface Switchyard {
  chat: {
    completions: {
      create(body: ChatCompletionRequest & { stream: true }, options?: RequestOptions): Promise<ChatCompletionStream>;
      create(body: ChatCompletionRequest & { stream?: false }, options?: RequestOptions): Promise<ChatCompletion>;
      create(body: ChatCompletionRequest, options?: RequestOptions): Promise<ChatCompletion | ChatCompletionStream>;
    };
  };
  /** POST /v1/responses: the OpenAI Responses API, routed like chat (any target answers it). */
  responses: {
    create(body: ResponseCreateRequest & { stream: true }, options?: RequestOptions): Promise<ResponseStream>;
    create(body: ResponseCreateRequest & { stream?: false | null }, options?: RequestOptions): Promise<ResponseObject & { readonly _switchyard: SwitchyardInfo }>;
    create(body: ResponseCreateRequest, options?: RequestOptions): Promise<(ResponseObject & { readonly _switchyard: SwitchyardInfo }) | ResponseStream>;
  };
  /**
   * POST /v1/messages: the Anthropic Messages API, routed like chat (any target answers it).
   * Errors on this route come in Anthropic's shape; SwitchyardError has status, type and code.
   */
  messages: {
    create(body: MessageCreateRequest & { stream: true }, options?: RequestOptions): Promise<MessageStream>;
    create(body: MessageCreateRequest & { stream?: false }, options?: RequestOptions): Promise<Message>;
    create(body: MessageCreateRequest, options?: RequestOptions): Promise<Message | MessageStream>;
    /** POST /v1/messages/count_tokens: the core's estimate of the prompt's tokens. */
    countTokens(body: MessageCountTokensRequest, options?: RequestOptions): Promise<{ input_tokens: number; readonly _switchyard: SwitchyardInfo }>;
  };
  /** POST /v1/images/generations, routed like chat. */
  images: { generate(body: ImageGenerateRequest, options?: RequestOptions): Promise<ImagesResponse> };
  /** POST /v1/embeddings through the core (answers as the core's version supports it). */
  embeddings: {
    create(body: EmbeddingRequest & { encoding_format: 'base64' }, options?: RequestOptions): Promise<EmbeddingsResponse<string>>;
    create(body: EmbeddingRequest & { encoding_format?: 'float' | null }, options?: RequestOptions): Promise<EmbeddingsResponse<number[]>>;
    create(body: EmbeddingRequest, options?: RequestOptions): Promise<EmbeddingsResponse<number[] | string>>;
  };
  /** Calls a configured service: POST /v1/services/{name}. */
  call(service: string, input?: Record<string, unknown>, options?: RequestOptions): Promise<ServiceResult>;
  /**
   * Runs a configured pipeline: POST /v1/pipelines/{name} with `input` as the body. Answers the
   * whole answer, or with `stream: true` its events (each step as it finishes, the output step's
   * tokens, then the answer). A failure is a SwitchyardError whose `step` names the failing step
   * and whose `steps` holds the steps that finished.
   */
  pipeline(name: string, input: Record<string, unknown> | undefined, options: PipelineOptions & { stream: true }): Promise<PipelineStream>;
  pipeline(name: string, input?: Record<string, unknown>, options?: PipelineOptions & { stream?: false }): Promise<PipelineAnswer>;
  pipeline(name: string, input?: Record<string, unknown>, options?: PipelineOptions): Promise<PipelineAnswer | PipelineStream>;
  /** Per-target and cache statistics (GET /v1/stats). Asynchronous: the core answers it. */
  stats(options?: RequestOptions): Promise<Stats>;
  /** Configured model names and provider/model targets (GET /v1/models). */
  models: {
    (options?: RequestOptions): Promise<{ object: 'list'; data: Model[]; readonly _switchyard: SwitchyardInfo }>;
    /** GET /v1/models/{id}: one id that models() lists (ids may contain '/'); a 404 otherwise. */
    retrieve(id: string, options?: RequestOptions): Promise<Model & { readonly _switchyard: SwitchyardInfo }>;
  };
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
    import(snapshot: CacheSnapshot | string | Uint8Array, options?: RequestOptions): Promise<CacheImportResult>;
    /** Empties the core's cache and, through the core, the persistent tier (DELETE /v1/cache). */
    clear(options?: RequestOptions): Promise<CacheClearResult>;
  };
  /**
   * Frees the core at once (later calls reject with a 400). Resolves once the cache tier writes
   * already asked for have settled and a tier the package opened is closed, so a new Switchyard
   * on the same store finds them. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

export function createSwitchyard(options: CreateSwitchyardOptions): Promise<Switchyard>;

/** An error answered by the core (SPEC section 3), or a misuse of the package. */
export class SwitchyardError extends Error {
  /** What the error document says; type and code default from metadata.error_type (from the status when not given). */
  constructor(
    message: string,
    fields?: {
      status?: number;
      type?: string;
      code?: string | null;
      param?: string | null;
      metadata?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    },
  );
  name: 'SwitchyardError';
  status: number;
  /** The error document's `type`. */
  type: string;
  code: string | null;
  param: string | null;
  /** metadata.error_type; for config errors metadata.errors = [{ path, message }]. */
  metadata: { error_type?: string; errors?: Array<{ path: string; message: string }>; [k: string]: unknown };
  headers: Record<string, string>;
  /** Set when a chat stream ended with an error chunk. */
  chunk?: ChatCompletionChunk;
  /** Set when a responses, messages or pipeline stream ended with an error event (that event, or a pipeline's error event data). */
  event?:
    | ResponseErrorEvent
    | ResponseStreamEvent
    | { type: 'error'; error: { type: string; message: string } }
    | { error: Record<string, unknown>; steps?: Record<string, PipelineStepResult> };
  /** A pipeline's error: the id of the step that failed (metadata.step), null when none is named (a deadline, an unknown pipeline). */
  step?: string | null;
  /** A pipeline's error: the steps that finished before it. */
  steps?: Record<string, PipelineStepResult>;
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
  /** The answer to a STATE (the shared object's answer, or empty: failed or timed out). Exactly once per STATE. */
  stateResult(opId: number, data: Uint8Array | string, now: number): Uint8Array;
  /** The host has shared objects: the core may emit STATE (pools leased from them). */
  enableSharedState(on: boolean): void;
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
  /**
   * Shared objects (Durable Objects): applies one pool op (JSON text) to the object of that name
   * and resolves to its answer. A driver whose host has it enables shared state.
   */
  state?: (objectName: string, opText: string) => Promise<string>;
  /** A STATE that has not answered by then failed (default 5000 ms). */
  stateTimeoutMs?: number;
  /** Performs the FETCHes whose body is not streamed (transport 'emscripten', the edge worker); `fetch` the rest. */
  fetchWhole?: (
    url: string,
    init: { method: string; headers: string; body?: Uint8Array; signal: AbortSignal },
  ) => Promise<{ status: number; headers: string; body: Uint8Array }>;
}

export interface Driver {
  request(
    method: string,
    path: string,
    headers?: Record<string, string> | Headers | Array<[string, string]> | string,
    /** A stream is read piece by piece and cancelled once the core answered (e.g. 413, 408). */
    body?: string | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | null,
    options?: {
      signal?: AbortSignal;
      onSettled?: (done: Promise<void>) => void;
      /** With a stream body: reads it in one piece (e.g. request.arrayBuffer()) after the head went to the core. */
      readWhole?: () => Promise<ArrayBuffer | Uint8Array>;
    },
  ): Promise<Response>;
  /** Resolves once every cache tier write (CACHE_PUT) dispatched so far has settled. */
  flush(): Promise<void>;
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
