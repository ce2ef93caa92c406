// OpenAI chat completions (https://platform.openai.com/docs/api-reference/chat), as
// OpenAI answers them; Azure OpenAI (azure.mjs) reuses the body validation and shapes.
import { argumentFragments, base64Floats, countTokens, embedVector, fnv1a, isObject, pieces, pngOf, refuse, sse } from './common.mjs';

// Request members OpenAI accepts; anything else is refused like the real API does
// ("Unrecognized request argument supplied: …").
const CHAT_MEMBERS = new Set([
  'model', 'messages', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs',
  'max_completion_tokens', 'max_tokens', 'metadata', 'modalities', 'n', 'parallel_tool_calls', 'prediction',
  'presence_penalty', 'prompt_cache_key', 'reasoning_effort', 'response_format', 'safety_identifier', 'seed',
  'service_tier', 'stop', 'store', 'stream', 'stream_options', 'temperature', 'tool_choice', 'tools',
  'top_logprobs', 'top_p', 'user', 'verbosity', 'web_search_options',
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);

const invalid = (message, param = null, code = null) => refuse(400, message, { type: 'invalid_request_error', param, code });

function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p?.type === 'text' ? p.text : p?.type === 'image_url' ? '[image]' : '')).filter(Boolean).join(' ');
}

/** Validates an OpenAI chat body the way the API does; `extraMembers` for Azure's additions. */
export function validateChat(body, extraMembers = []) {
  for (const k of Object.keys(body)) {
    if (!CHAT_MEMBERS.has(k) && !extraMembers.includes(k)) invalid(`Unrecognized request argument supplied: ${k}`);
  }
  if (!Array.isArray(body.messages)) invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (body.messages.length === 0) invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  if (body.temperature !== undefined && !(typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 2)) {
    invalid(`Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${body.temperature} instead.`, 'temperature', 'decimal_above_max_value');
  }
  if (body.stream_options !== undefined && !body.stream) invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  const pending = new Set();  // tool_call ids awaiting their tool message
  body.messages.forEach((m, i) => {
    if (!isObject(m) || !ROLES.has(m.role)) invalid(`Invalid value: '${m?.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, `messages[${i}].role`, 'invalid_value');
    if (m.role !== 'tool' && pending.size) {
      invalid(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`, `messages.[${i}].role`);
    }
    if (Array.isArray(m.content)) {
      m.content.forEach((p, j) => {
        if (!PART_TYPES.has(p?.type)) invalid(`Invalid value: '${p?.type}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.`, `messages[${i}].content[${j}].type`, 'invalid_value');
        if (p.type === 'image_url') {
          const url = p.image_url?.url;
          if (typeof url !== 'string' || !/^(https?:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/.test(url)) {
            invalid("Invalid image URL: 'url' should be a valid URL or a base64 data URL.", `messages[${i}].content[${j}].image_url.url`, 'invalid_image_url');
          }
        }
      });
    } else if (m.content !== undefined && m.content !== null && typeof m.content !== 'string') {
      invalid(`Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`, `messages[${i}].content`, 'invalid_type');
    }
    if (m.role === 'assistant') {
      if (m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls)) invalid(`Invalid type for 'messages[${i}].tool_calls'.`, `messages[${i}].tool_calls`);
        for (const [j, c] of m.tool_calls.entries()) {
          if (typeof c?.id !== 'string' || c.type !== 'function' || typeof c.function?.name !== 'string' || typeof c.function?.arguments !== 'string') {
            invalid(`Invalid 'messages[${i}].tool_calls[${j}]': each tool call needs id, type "function" and function {name, arguments (string)}.`, `messages[${i}].tool_calls[${j}]`);
          }
          pending.add(c.id);
        }
      }
    } else if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string') invalid("Missing required parameter: 'messages[" + i + "].tool_call_id'.", `messages[${i}].tool_call_id`, 'missing_required_parameter');
      if (!pending.delete(m.tool_call_id)) invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
    } else if (m.content === undefined || m.content === null) {
      invalid(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`, 'missing_required_parameter');
    }
  });
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) invalid("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
    body.tools.forEach((t, i) => {
      if (t?.type !== 'function' || typeof t.function?.name !== 'string') invalid(`Missing required parameter: 'tools[${i}].function'.`, `tools[${i}].function`, 'missing_required_parameter');
    });
  }
  if (body.tool_choice !== undefined && !body.tools) invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
}

/** The request as the mock's answer logic sees it (see common.mjs replyFor). */
export function chatView(body) {
  const messages = body.messages ?? [];
  const lastMsg = messages.at(-1);
  let last = { kind: 'user', pieces: [] };
  if (lastMsg?.role === 'tool') {
    const results = [];
    for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) results.unshift(contentText(messages[i].content));
    last = { kind: 'tool', pieces: results };
  } else {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]?.role === 'user') { last = { kind: 'user', pieces: [contentText(messages[i].content)] }; break; }
    }
  }
  const prompt = messages.map((m) => contentText(m?.content)).join(' ');
  const rf = body.response_format?.type;
  return {
    last,
    promptTokens: countTokens(prompt),
    tools: body.tool_choice === 'none' ? [] : (body.tools ?? []).map((t) => t.function?.name),
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    stop: body.stop === undefined ? [] : [].concat(body.stop),
    json: rf === 'json_object' || rf === 'json_schema',
  };
}

const FINISH = { stop: 'stop', stop_sequence: 'stop', length: 'length', tool_calls: 'tool_calls', content_filter: 'content_filter' };

function usageOf(reply) {
  const u = { prompt_tokens: reply.usage.prompt, completion_tokens: reply.usage.completion, total_tokens: reply.usage.prompt + reply.usage.completion };
  if (reply.usage.cached) u.prompt_tokens_details = { cached_tokens: reply.usage.cached, audio_tokens: 0 };
  return u;
}

const toolCallsOf = (reply, prefix) => reply.toolCalls.map((c) => ({ id: `${prefix}${c.index}_${c.name}`, type: 'function', function: { name: c.name, arguments: c.arguments } }));

export function completion(ctx, reply, extras = {}) {
  const message = { role: 'assistant', content: reply.toolCalls.length && !reply.text ? null : reply.text, refusal: null };
  if (reply.toolCalls.length) message.tool_calls = toolCallsOf(reply, 'call_mock');
  return {
    id: ctx.id, object: 'chat.completion', created: ctx.created, model: ctx.model, system_fingerprint: null,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.nativeFinish ?? FINISH[reply.finish], ...extras.choice }],
    usage: usageOf(reply),
    ...extras.top,
  };
}

// The stream as OpenAI sends it: a role chunk, content (or tool-call) chunks, a finish chunk,
// an optional usage chunk (stream_options.include_usage), [DONE].
export function streamEvents(ctx, reply, extras = {}) {
  const base = { id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: ctx.model, system_fingerprint: null };
  const withUsage = Boolean(ctx.body.stream_options?.include_usage);
  const chunk = (delta, finish_reason = null) => ({
    ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason, ...extras.choice }], ...(withUsage ? { usage: null } : {}),
  });
  const events = [...(extras.first ?? []), chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of pieces(reply.text)) events.push(chunk({ content: piece }));
  for (const [k, call] of toolCallsOf(reply, 'call_mock').entries()) {
    events.push(chunk({ tool_calls: [{ index: k, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
    for (const frag of argumentFragments(call.function.arguments)) events.push(chunk({ tool_calls: [{ index: k, function: { arguments: frag } }] }));
  }
  events.push(chunk({}, reply.nativeFinish ?? FINISH[reply.finish]));
  if (withUsage) events.push({ ...base, choices: [], usage: usageOf(reply) });
  return events.map((e) => sse(e)).concat('data: [DONE]\n\n');
}

export function errorBody(status, message, extra = {}) {
  const type = extra.type ?? (status === 429 ? 'rate_limit_error' : status === 401 ? 'invalid_request_error' : status >= 500 ? 'server_error' : 'invalid_request_error');
  const code = extra.code !== undefined ? extra.code : status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : null;
  return { error: { message, type, param: extra.param ?? null, code } };
}

function bearer(headers) {
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return m ? m[1] : undefined;
}

export const openai = {
  name: 'openai',
  routes: [
    { method: 'POST', pattern: /^\/v1\/chat\/completions$/, name: 'POST /v1/chat/completions', handler: 'chat' },
    { method: 'POST', pattern: /^\/v1\/embeddings$/, name: 'POST /v1/embeddings', handler: 'embeddings' },
    { method: 'POST', pattern: /^\/v1\/images\/generations$/, name: 'POST /v1/images/generations', handler: 'images' },
    // Anthropic's model list has the same path: a request with Anthropic's headers is its.
    { method: 'GET', pattern: /^\/v1\/models$/, name: 'GET /v1/models', handler: 'models',
      when: (h) => h['anthropic-version'] === undefined && h['x-api-key'] === undefined },
  ],

  errorBody,

  // OpenAI-compatible servers (local models) often take no key, so a key is only checked when
  // the scenario names one (`api_key`).
  authenticate(req, b) {
    if (b.api_key === undefined) return;
    const key = bearer(req.headers);
    if (key === undefined) refuse(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", { code: null });
    if (key !== b.api_key) refuse(401, 'Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.', { code: 'invalid_api_key' });
  },

  // Named errors (scenario `error`), each as this provider sends it.
  namedError(kind) {
    switch (kind) {
      case 'context_length':
        return { status: 400, body: errorBody(400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.", { param: 'messages', code: 'context_length_exceeded' }) };
      case 'content_filter':
        return { status: 400, body: errorBody(400, 'Your request was rejected as a result of our safety system.', { code: 'content_policy_violation' }) };
      case 'overloaded':
        return { status: 503, body: errorBody(503, 'The engine is currently overloaded, please try again later', { type: 'server_error', code: null }) };
      case 'rate_limit':
        return { status: 429, headers: { 'retry-after': '1' }, body: errorBody(429, 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', { code: 'rate_limit_exceeded', type: 'requests' }) };
      case 'auth':
        return { status: 401, body: errorBody(401, 'Incorrect API key provided: sk-****.', { code: 'invalid_api_key' }) };
      default:
        return null;
    }
  },

  validate(route, body) { if (route.handler === 'chat') validateChat(body); },
  view: (route, body) => chatView(body),
  isStream: (route, body) => Boolean(body.stream),
  model: (route, body) => body.model ?? 'mock',

  completion: (ctx, reply) => completion(ctx, reply),
  streamEvents: (ctx, reply) => streamEvents(ctx, reply),
  streamError: (message) => sse({ error: { message, type: 'server_error', param: null, code: null } }),
  malformedBody: '{"id": "chatcmpl-broken", "choices": [ {',
  malformedEvent: 'data: {"id": "chatcmpl-broken", "choices": [\n\n',

  models: (req, b) => modelList(b),
  embeddings: (route, body) => embeddings(body),
  // dall-e-2 when no model is named, as OpenAI defaults.
  images: (route, body) => images(body, { model: body.model ?? 'dall-e-2' }),
};

// ---------------------------------------------------------------------------
// Embeddings (https://platform.openai.com/docs/api-reference/embeddings) and the model list.

const EMBEDDING_MEMBERS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);

const isTokens = (v) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t));

/** Validates an embeddings body the way OpenAI does; returns the inputs as texts to embed. */
export function validateEmbeddings(body, extraMembers = [], { requireModel = true } = {}) {
  for (const k of Object.keys(body)) {
    if (!EMBEDDING_MEMBERS.has(k) && !extraMembers.includes(k)) invalid(`Unrecognized request argument supplied: ${k}`);
  }
  if (requireModel && typeof body.model !== 'string') invalid('you must provide a model parameter');
  const input = body.input;
  if (input === undefined) invalid("'input' is a required property");
  let items;
  if (typeof input === 'string' || isTokens(input)) items = [input];
  else if (Array.isArray(input) && input.length > 0 && (input.every((t) => typeof t === 'string') || input.every(isTokens))) items = input;
  else invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  if (items.some((t) => t === '')) invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  if (items.length > 2048) invalid("'$.input' is too long. Expected an array with maximum length 2048.", 'input');
  if (body.dimensions !== undefined && !(Number.isInteger(body.dimensions) && body.dimensions >= 1)) {
    invalid(`Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(body.dimensions)} instead.`, 'dimensions', 'integer_below_min_value');
  }
  if (body.encoding_format !== undefined && !['float', 'base64'].includes(body.encoding_format)) {
    invalid(`Invalid value for 'encoding_format': '${body.encoding_format}'. Supported values are: 'float' and 'base64'.`, 'encoding_format', 'invalid_value');
  }
  return items.map((t) => (typeof t === 'string' ? t : JSON.stringify(t)));
}

/** OpenAI's answer: one vector per input (embedVector, `dimensions` long or 8), usage in words. */
export function embeddings(body, { model = body.model, extraMembers = [], requireModel = true } = {}) {
  const texts = validateEmbeddings(body, extraMembers, { requireModel });
  const data = texts.map((text, index) => {
    const vector = embedVector(text, body.dimensions ?? 8);
    return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64Floats(vector) : vector };
  });
  const tokens = texts.reduce((n, t) => n + Math.max(1, countTokens(t)), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** GET /v1/models: scenario `models` (ids) or m1, m2, m3. */
export function modelList(b) {
  const ids = Array.isArray(b.models) ? b.models : ['m1', 'm2', 'm3'];
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })) };
}

// ---------------------------------------------------------------------------
// Images (https://platform.openai.com/docs/api-reference/images/create): the GPT image models
// answer base64 PNGs with usage; dall-e models answer URLs (or base64 with response_format
// b64_json), dall-e-3 with a revised prompt.

const IMAGE_MEMBERS = new Set(['model', 'prompt', 'n', 'quality', 'response_format', 'output_format', 'output_compression',
  'stream', 'partial_images', 'size', 'moderation', 'background', 'style', 'user']);
const IMAGE_RULES = {
  gpt: { sizes: ['auto', '1024x1024', '1536x1024', '1024x1536'], qualities: ['low', 'medium', 'high', 'auto'], prompt: 32000 },
  'dall-e-3': { sizes: ['1024x1024', '1792x1024', '1024x1792'], qualities: ['standard', 'hd', 'auto'], prompt: 4000 },
  'dall-e-2': { sizes: ['256x256', '512x512', '1024x1024'], qualities: ['standard', 'auto'], prompt: 1000 },
};
// Output tokens per image by quality (gpt-image-1 at 1024x1024).
const IMAGE_TOKENS = { low: 272, medium: 1056, high: 4160 };

/** The model family an image model (or Azure deployment) name means; GPT image rules by default. */
export function imageFamily(model) {
  const m = String(model).toLowerCase();
  if (/dall-?e-?3/.test(m)) return 'dall-e-3';
  if (/dall-?e-?2/.test(m)) return 'dall-e-2';
  return 'gpt';
}

const supported = (values) => values.map((v) => `'${v}'`).join(', ').replace(/, ([^,]*)$/, ', and $1');

function oneOf(body, name, values) {
  const v = body[name];
  if (v != null && !values.includes(v)) invalid(`Invalid value: '${v}'. Supported values are: ${supported(values)}.`, name, 'invalid_value');
}

function integerIn(body, name, lo, hi) {
  const v = body[name];
  if (v == null) return;
  if (!Number.isInteger(v)) invalid(`Invalid type for '${name}': expected an integer, but got ${typeof v} instead.`, name, 'invalid_type');
  if (v < lo) invalid(`Invalid '${name}': integer below minimum value. Expected a value >= ${lo}, but got ${v} instead.`, name, 'integer_below_min_value');
  if (v > hi) invalid(`Invalid '${name}': integer above maximum value. Expected a value <= ${hi}, but got ${v} instead.`, name, 'integer_above_max_value');
}

/** Validates an image-generation body the way OpenAI does for a model of `family`. */
export function validateImages(body, family) {
  for (const k of Object.keys(body)) if (!IMAGE_MEMBERS.has(k)) invalid(`Unknown parameter: '${k}'.`, k, 'unknown_parameter');
  // The GPT image models always answer base64 and refuse the parameter outright.
  if (family === 'gpt' && body.response_format !== undefined) invalid("Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter');
  const rules = IMAGE_RULES[family];
  if (body.prompt == null) invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (typeof body.prompt !== 'string') invalid(`Invalid type for 'prompt': expected a string, but got ${typeof body.prompt} instead.`, 'prompt', 'invalid_type');
  if (body.prompt.length > rules.prompt) {
    invalid(`Invalid 'prompt': string too long. Expected a string with maximum length ${rules.prompt}, but got a string with length ${body.prompt.length} instead.`, 'prompt', 'string_above_max_length');
  }
  integerIn(body, 'n', 1, 10);
  if (family === 'dall-e-3' && body.n != null && body.n !== 1) invalid('You must provide n=1 for this model.');
  oneOf(body, 'size', rules.sizes);
  oneOf(body, 'quality', rules.qualities);
  oneOf(body, 'style', ['vivid', 'natural']);
  oneOf(body, 'response_format', ['url', 'b64_json']);
  oneOf(body, 'output_format', ['png', 'jpeg', 'webp']);
  oneOf(body, 'background', ['transparent', 'opaque', 'auto']);
  oneOf(body, 'moderation', ['low', 'auto']);
  integerIn(body, 'output_compression', 0, 100);
  integerIn(body, 'partial_images', 0, 3);
  if (body.stream) invalid('mock: image streams are not implemented', 'stream');
}

/**
 * An ImagesResponse for a validated body: n pictures of the prompt (pngOf(prompt, i)). GPT image
 * models: base64 with background, output_format, size, quality and usage (input = prompt words,
 * output = per-image tokens by quality); dall-e: URLs unless response_format is b64_json,
 * dall-e-3 items with `revised_prompt`. `annotate(item)` adds a provider's own members per item.
 */
export function images(body, { model, family = imageFamily(model), annotate = (item) => item } = {}) {
  validateImages(body, family);
  const n = body.n ?? 1;
  const data = Array.from({ length: n }, (_, i) => {
    const png = pngOf(body.prompt, i);
    if (family === 'gpt') return annotate({ b64_json: png });
    const item = {};
    if (family === 'dall-e-3') item.revised_prompt = `mock revised: ${body.prompt}`;
    if (body.response_format === 'b64_json') item.b64_json = png;
    else item.url = `https://images.mock.test/${encodeURIComponent(model)}/${fnv1a(body.prompt).toString(16)}-${i}.png`;
    return annotate(item);
  });
  const answer = { created: 1700000000, data };
  if (family !== 'gpt') return answer;
  const quality = !body.quality || body.quality === 'auto' ? 'high' : body.quality;
  const input = countTokens(body.prompt);
  const output = IMAGE_TOKENS[quality] * n;
  return {
    ...answer,
    background: !body.background || body.background === 'auto' ? 'opaque' : body.background,
    output_format: body.output_format ?? 'png',
    size: !body.size || body.size === 'auto' ? '1024x1024' : body.size,
    quality,
    usage: { total_tokens: input + output, input_tokens: input, output_tokens: output, input_tokens_details: { text_tokens: input, image_tokens: 0 } },
  };
}
