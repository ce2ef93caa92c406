// SwitchyardError: an error answered by the core (SPEC section 3) in whichever shape the route
// speaks — OpenAI's {"error": {message, type, code, param, metadata}} on most routes,
// Anthropic's {"type": "error", "error": {type, message}} on /v1/messages — or a misuse of the
// package. Either way the caller gets status, type, code, param and metadata.error_type.

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

// Anthropic's error types: the HTTP status its API answers them with and the SPEC error_type.
const ANTHROPIC_TYPES = {
  invalid_request_error: [400, 'invalid_request'],
  authentication_error: [401, 'auth'],
  permission_error: [403, 'auth'],
  not_found_error: [404, 'invalid_request'],
  request_too_large: [413, 'invalid_request'],
  rate_limit_error: [429, 'rate_limited'],
  api_error: [500, 'internal'],
  timeout_error: [504, 'timeout'],
  overloaded_error: [529, 'provider_unavailable'],
};

// The HTTP status of an error known only by its SPEC error_type (a stream's error event).
const ERROR_TYPE_STATUS = {
  invalid_request: 400,
  context_length_exceeded: 400,
  content_filtered: 400,
  auth: 401,
  rate_limited: 429,
  internal: 500,
  provider_unavailable: 502,
  no_healthy_target: 503,
  cache_miss_offline: 504,
  timeout: 504,
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

  /**
   * From a failing answer's body: an OpenAI-shaped {"error": {...}}, an Anthropic-shaped
   * {"type": "error", "error": {type, message}}, or anything else (its text is the message).
   */
  static fromBody(status, text, headers = {}) {
    let error;
    try {
      error = JSON.parse(text).error;
    } catch {}
    if (!error || typeof error !== 'object') {
      return new SwitchyardError(text || `HTTP ${status}`, { status, headers });
    }
    return SwitchyardError.fromDocument(error, status, headers);
  }

  /**
   * From the inside of an error document (the object under "error"). `status` is the answer's
   * HTTP status when there was one (a stream's error event has none: it then comes from the
   * document's own status, metadata.status, Anthropic's type or the error_type, else 502).
   */
  static fromDocument(error, status, headers = {}) {
    const anthropic = ANTHROPIC_TYPES[error.type];
    const metadata = { ...(error.metadata ?? {}) };
    if (!metadata.error_type && anthropic && !BODY_TYPES[error.code]) metadata.error_type = anthropic[1];
    if (!metadata.error_type && BODY_TYPES[error.code]) metadata.error_type = error.code;
    status ??= Number(error.status ?? metadata.status ?? ERROR_TYPE_STATUS[error.metadata?.error_type] ?? anthropic?.[0] ??
      ERROR_TYPE_STATUS[metadata.error_type] ?? 502);
    if (!metadata.error_type) metadata.error_type = errorTypeOf(status);
    return new SwitchyardError(error.message ?? `HTTP ${status}`, {
      status,
      type: error.type,
      code: error.code,
      param: error.param,
      metadata,
      headers,
    });
  }
}

// An error made by the package itself (not by the core), in the core's vocabulary.
export function packageError(status, errorType, message, { code, param, cause } = {}) {
  return new SwitchyardError(message, { status, code, param, cause, metadata: { error_type: errorType } });
}
