// Anthropic Messages API (https://docs.anthropic.com/en/api/messages):
//   POST /v1/messages   x-api-key: <key>   anthropic-version: 2023-06-01
// Validation follows the API's own refusals (max_tokens required, no "system" role, content
// block types, tool_use/tool_result pairing, temperature 0..1, no unknown members, at most four
// cache_control breakpoints, extended thinking's rules and signatures).
import { argumentFragments, countTokens, isBase64, isObject, pieces, refuse, sse } from './common.mjs';

const MEMBERS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p',
  'top_k', 'tools', 'tool_choice', 'thinking', 'service_tier', 'container', 'mcp_servers', 'context_management',
  'inference_geo', 'output_config', 'cache_control',
]);
const BLOCK_TYPES = ['text', 'image', 'document', 'search_result', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'];
const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

const invalid = (message) => refuse(400, message, { type: 'invalid_request_error' });

const ERROR_TYPES = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

function errorBody(status, message, extra = {}) {
  const type = extra.type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message } };
}

function blocksOf(content) {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content : [];
}

function validate(body) {
  if (typeof body.model !== 'string') invalid('model: Field required');
  if (body.max_tokens === undefined) invalid('max_tokens: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) invalid('max_tokens: Input should be a valid integer greater than or equal to 1');
  if (!Array.isArray(body.messages)) invalid('messages: Field required');
  for (const k of Object.keys(body)) if (!MEMBERS.has(k)) invalid(`${k}: Extra inputs are not permitted`);
  if (body.temperature !== undefined && !(typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 1)) {
    invalid('temperature: Input should be less than or equal to 1');
  }
  if (body.top_p !== undefined && !(typeof body.top_p === 'number' && body.top_p >= 0 && body.top_p <= 1)) invalid('top_p: Input should be less than or equal to 1');
  if (body.stop_sequences !== undefined && !(Array.isArray(body.stop_sequences) && body.stop_sequences.every((s) => typeof s === 'string'))) {
    invalid('stop_sequences: Input should be a valid list');
  }
  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) invalid('system: Input should be a valid string or list of text blocks');
    body.system.forEach((b, i) => { if (b?.type !== 'text' || typeof b.text !== 'string') invalid(`system.${i}: Input should be a text block`); });
  }
  if (body.metadata !== undefined) {
    if (!isObject(body.metadata)) invalid('metadata: Input should be a valid dictionary');
    for (const k of Object.keys(body.metadata)) if (k !== 'user_id') invalid(`metadata.${k}: Extra inputs are not permitted`);
  }

  let previousToolUses = new Set();
  body.messages.forEach((m, i) => {
    if (m?.role === 'system') invalid('messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.');
    if (m?.role !== 'user' && m?.role !== 'assistant') invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const isFinalAssistant = i === body.messages.length - 1 && m.role === 'assistant';
    if (typeof m.content === 'string') {
      if (!m.content && !isFinalAssistant) invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    } else if (!Array.isArray(m.content)) {
      invalid(`messages.${i}.content: Input should be a valid string or list of content blocks`);
    } else if (m.content.length === 0 && !isFinalAssistant) {
      invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    }
    const toolUses = new Set();
    const results = [];
    blocksOf(m.content).forEach((b, j) => {
      const at = `messages.${i}.content.${j}`;
      if (!BLOCK_TYPES.includes(b?.type)) {
        invalid(`${at}: Input tag '${b?.type}' found using 'type' does not match any of the expected tags: ${BLOCK_TYPES.map((t) => `'${t}'`).join(', ')}`);
      }
      for (const k of Object.keys(b)) {
        const allowed = { text: ['text', 'citations'], image: ['source'], document: ['source', 'title', 'context', 'citations'], tool_use: ['id', 'name', 'input'],
          tool_result: ['tool_use_id', 'content', 'is_error'], thinking: ['thinking', 'signature'], redacted_thinking: ['data'],
          search_result: ['source', 'title', 'content', 'citations'] }[b.type];
        if (k !== 'type' && k !== 'cache_control' && !allowed.includes(k)) invalid(`${at}.${b.type}.${k}: Extra inputs are not permitted`);
      }
      if (b.type === 'text' && (typeof b.text !== 'string' || !b.text)) invalid('messages: text content blocks must be non-empty');
      if (b.type === 'thinking') {
        if (typeof b.thinking !== 'string') invalid(`${at}.thinking.thinking: Field required`);
        if (typeof b.signature !== 'string') invalid(`${at}.thinking.signature: Field required`);
        if (b.signature !== signatureOf(b.thinking)) invalid(`${at}: Invalid \`signature\` in \`thinking\` block`);
        if (m.role !== 'assistant') invalid(`${at}: thinking blocks may only appear in assistant messages`);
      }
      if (b.type === 'redacted_thinking' && typeof b.data !== 'string') invalid(`${at}.redacted_thinking.data: Field required`);
      if (b.type === 'image') {
        const s = b.source;
        if (s?.type === 'base64') {
          if (!MEDIA_TYPES.includes(s.media_type)) invalid(`${at}.image.source.base64.media_type: Input should be ${MEDIA_TYPES.map((t) => `'${t}'`).join(', ')}`);
          if (!isBase64(s.data)) invalid(`${at}.image.source.base64.data: The image data is not valid base64 (send the base64 payload only, without a data: URL prefix)`);
        } else if (s?.type === 'url') {
          if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) invalid(`${at}.image.source.url.url: Input should be a valid URL`);
        } else {
          invalid(`${at}.image.source: Input tag '${s?.type}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`);
        }
      }
      if (b.type === 'tool_use') {
        if (m.role !== 'assistant') invalid(`${at}: tool_use blocks may only appear in assistant messages`);
        if (typeof b.id !== 'string' || !TOOL_ID.test(b.id)) invalid(`${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
        if (typeof b.name !== 'string') invalid(`${at}.tool_use.name: Field required`);
        if (!isObject(b.input)) invalid(`${at}.tool_use.input: Input should be a valid dictionary`);
        toolUses.add(b.id);
      }
      if (b.type === 'tool_result') {
        if (m.role !== 'user') invalid(`${at}: tool_result blocks may only appear in user messages`);
        if (typeof b.tool_use_id !== 'string') invalid(`${at}.tool_result.tool_use_id: Field required`);
        if (b.content !== undefined && typeof b.content !== 'string' && !Array.isArray(b.content)) invalid(`${at}.tool_result.content: Input should be a valid string or list`);
        results.push([j, b.tool_use_id]);
      }
    });
    for (const [j, id] of results) {
      if (!previousToolUses.has(id)) {
        invalid(`messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      }
    }
    const answered = new Set(results.map(([, id]) => id));
    const missing = [...previousToolUses].filter((id) => !answered.has(id));
    if (missing.length) {
      invalid(`messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
    }
    previousToolUses = toolUses;
  });
  if (previousToolUses.size) {
    invalid(`messages.${body.messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...previousToolUses].join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
  }

  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) invalid('tools: Input should be a valid list');
    body.tools.forEach((t, i) => {
      if (!isObject(t)) invalid(`tools.${i}: Input should be a valid dictionary`);
      if (t.type !== undefined && t.type !== 'custom' && !/_\d{8}$/.test(t.type)) {
        invalid(`tools.${i}: Input tag '${t.type}' found using 'type' does not match any of the expected tags: 'custom', 'bash_20250124', 'web_search_20250305', …`);
      }
      if (t.type === undefined || t.type === 'custom') {
        for (const k of Object.keys(t)) if (!['type', 'name', 'description', 'input_schema', 'cache_control'].includes(k)) invalid(`tools.${i}.custom.${k}: Extra inputs are not permitted`);
        if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
        if (!isObject(t.input_schema)) invalid(`tools.${i}.custom.input_schema: Field required`);
        if (t.input_schema.type !== 'object') invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
      }
    });
  }
  validateThinking(body);
  validateCacheControl(body);
  if (body.tool_choice !== undefined) {
    const c = body.tool_choice;
    if (!isObject(c)) invalid('tool_choice: Input should be a valid dictionary');
    if (!['auto', 'any', 'tool', 'none'].includes(c.type)) invalid(`tool_choice: Input tag '${c.type}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`);
    if (c.type === 'tool' && typeof c.name !== 'string') invalid('tool_choice.tool.name: Field required');
    if (!body.tools && c.type !== 'none') invalid('tool_choice may only be specified while providing tools.');
  }
}

// Extended thinking (https://docs.claude.com/en/docs/build-with-claude/extended-thinking): the
// budget, the parameters thinking excludes, and the signed thinking a tool-use turn must keep.
function validateThinking(body) {
  const t = body.thinking;
  if (t === undefined) return;
  if (!isObject(t) || !['enabled', 'disabled', 'adaptive'].includes(t.type)) {
    invalid(`thinking: Input tag '${t?.type}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`);
  }
  if (t.type === 'disabled') return;
  if (t.type === 'enabled') {
    if (!Number.isInteger(t.budget_tokens) || t.budget_tokens < 1024) invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    if (!(body.max_tokens > t.budget_tokens)) invalid('`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
  }
  if (body.temperature !== undefined && body.temperature !== 1) invalid('`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility');
  if (body.top_k !== undefined) invalid('`top_k` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility');
  if (['any', 'tool'].includes(body.tool_choice?.type)) invalid('Thinking may not be enabled when tool_choice forces tool use.');
  const messages = body.messages;
  const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
  const blocks = lastAssistant >= 0 ? blocksOf(messages[lastAssistant].content) : [];
  if (blocks.some((b) => b.type === 'tool_use') && !['thinking', 'redacted_thinking'].includes(blocks[0]?.type)) {
    invalid(`messages.${lastAssistant}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blocks[0]?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`);
  }
}

// Prompt caching: cache_control is {type: "ephemeral", ttl?: "5m" | "1h"}, on at most four blocks
// (system blocks, tools, message blocks; a top-level cache_control counts as one).
function validateCacheControl(body) {
  const marked = [];
  const visit = (b, at) => {
    if (!isObject(b) || b.cache_control === undefined || b.cache_control === null) return;
    const cc = b.cache_control;
    if (!isObject(cc) || cc.type !== 'ephemeral') invalid(`${at}.cache_control.type: Input should be 'ephemeral'`);
    if (cc.ttl !== undefined && !['5m', '1h'].includes(cc.ttl)) invalid(`${at}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'`);
    marked.push(at);
  };
  visit(body, 'cache_control');
  if (Array.isArray(body.system)) body.system.forEach((b, i) => visit(b, `system.${i}`));
  (Array.isArray(body.tools) ? body.tools : []).forEach((t, i) => visit(t, `tools.${i}`));
  body.messages.forEach((m, i) => blocksOf(m.content).forEach((b, j) => {
    visit(b, `messages.${i}.content.${j}`);
    if (b?.type === 'tool_result' && Array.isArray(b.content)) b.content.forEach((c, k) => visit(c, `messages.${i}.content.${j}.content.${k}`));
  }));
  if (marked.length > 4) invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${marked.length}.`);
}

// The mock's thinking text and the signature it checks when the block comes back.
function fnv(text) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(String(text), 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
export const signatureOf = (thinking) => Buffer.from(`mock-signature:${fnv(thinking)}`).toString('base64');
const thinkingOf = (ctx) => (['enabled', 'adaptive'].includes(ctx.body?.thinking?.type) ? `mock thinking #${ctx.serial}` : null);

function blockText(b) {
  if (b.type === 'text') return b.text;
  if (b.type === 'image') return '[image]';
  return '';
}

function view(body) {
  const messages = body.messages ?? [];
  let last = { kind: 'user', pieces: [] };
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== 'user') continue;
    const blocks = blocksOf(messages[i].content);
    const results = blocks.filter((b) => b.type === 'tool_result');
    if (results.length && i === messages.length - 1) {
      last = { kind: 'tool', pieces: results.map((r) => blocksOf(r.content ?? '').map(blockText).filter(Boolean).join(' ')) };
    } else {
      last = { kind: 'user', pieces: [blocks.map(blockText).filter(Boolean).join(' ')] };
    }
    break;
  }
  const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((b) => b.text).join(' ');
  const prompt = [system, ...messages.flatMap((m) => blocksOf(m.content).map((b) => (b.type === 'tool_result' ? blocksOf(b.content ?? '').map(blockText).join(' ') : blockText(b))))].join(' ');
  return {
    last,
    promptTokens: countTokens(prompt),
    tools: body.tool_choice?.type === 'none' ? [] : (body.tools ?? []).map((t) => t.name),
    maxTokens: body.max_tokens,
    stop: body.stop_sequences ?? [],
    json: false,
  };
}

const STOP = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', stop_sequence: 'stop_sequence', content_filter: 'refusal' };

// Anthropic's input_tokens excludes cached prompt tokens (they are cache_read_input_tokens).
function usageOf(reply, outputTokens = reply.usage.completion) {
  return {
    input_tokens: reply.usage.prompt - reply.usage.cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: reply.usage.cached,
    output_tokens: outputTokens,
  };
}

const toolUseId = (c) => `toolu_mock${c.index}_${c.name}`;

function content(ctx, reply) {
  const blocks = [];
  const thinking = thinkingOf(ctx);
  if (thinking) blocks.push({ type: 'thinking', thinking, signature: signatureOf(thinking) });
  if (reply.text) blocks.push({ type: 'text', text: reply.text });
  for (const c of reply.toolCalls) blocks.push({ type: 'tool_use', id: toolUseId(c), name: c.name, input: c.args });
  return blocks;
}

export const anthropic = {
  name: 'anthropic',
  routes: [
    { method: 'POST', pattern: /^\/v1\/messages$/, name: 'POST /v1/messages', handler: 'chat' },
    { method: 'GET', pattern: /^\/v1\/models$/, name: 'GET /v1/models', handler: 'models',
      when: (h) => h['anthropic-version'] !== undefined || h['x-api-key'] !== undefined },
  ],

  // GET /v1/models (https://docs.anthropic.com/en/api/models-list): newest first, pages of
  // `limit` (default 20, 1..1000) after `after_id`, with has_more / first_id / last_id.
  models(req, b) {
    const ids = Array.isArray(b.models) ? b.models : ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022', 'claude-3-haiku-20240307'];
    const limit = Number(req.query.get('limit') ?? 20);
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) refuse(400, 'limit: Input should be less than or equal to 1000');
    const after = req.query.get('after_id');
    const from = after ? ids.indexOf(after) + 1 : 0;
    const page = ids.slice(from, from + limit).map((id) => {
      const date = /(\d{4})(\d{2})(\d{2})$/.exec(id);
      return { type: 'model', id, display_name: id, created_at: date ? `${date[1]}-${date[2]}-${date[3]}T00:00:00Z` : '2025-01-01T00:00:00Z' };
    });
    return { data: page, has_more: from + limit < ids.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null };
  },
  malformedModels: '{"data": [{"type": "model", "id": "claude-',

  errorBody,

  authenticate(req, b) {
    const key = req.headers['x-api-key'];
    if (key === undefined) {
      refuse(401, req.headers.authorization ? 'invalid x-api-key (the Messages API takes the key in the x-api-key header)' : 'x-api-key header is required');
    }
    if (b.api_key !== undefined && key !== b.api_key) refuse(401, 'invalid x-api-key');
    if (!req.headers['anthropic-version']) refuse(400, 'anthropic-version: header is required');
  },

  namedError(kind) {
    switch (kind) {
      case 'context_length':
        return { status: 400, body: errorBody(400, 'prompt is too long: 210034 tokens > 200000 maximum') };
      case 'overloaded':
        return { status: 529, body: errorBody(529, 'Overloaded') };
      case 'rate_limit':
        return { status: 429, headers: { 'retry-after': '1' }, body: errorBody(429, 'This request would exceed the rate limit for your organization of 50 requests per minute.') };
      case 'auth':
        return { status: 401, body: errorBody(401, 'invalid x-api-key') };
      case 'content_filter':
        return { finish: 'content_filter' };  // Claude refuses in a 200: stop_reason "refusal"
      default:
        return null;
    }
  },

  validate: (route, body) => validate(body),
  view: (route, body) => view(body),
  isStream: (route, body) => Boolean(body.stream),
  model: (route, body) => body.model,

  completion(ctx, reply) {
    return {
      id: `msg_mock${ctx.serial}`, type: 'message', role: 'assistant', model: ctx.model,
      content: content(ctx, reply),
      stop_reason: reply.nativeFinish ?? STOP[reply.finish],
      stop_sequence: reply.stopSequence ?? null,
      usage: usageOf(reply),
    };
  },

  // message_start, a ping, per block content_block_start / deltas / content_block_stop,
  // message_delta (stop_reason, output usage), message_stop.
  streamEvents(ctx, reply) {
    const events = [
      sse({ type: 'message_start', message: {
        id: `msg_mock${ctx.serial}`, type: 'message', role: 'assistant', model: ctx.model, content: [],
        stop_reason: null, stop_sequence: null, usage: usageOf(reply, 1),
      } }, 'message_start'),
      sse({ type: 'ping' }, 'ping'),
    ];
    let index = 0;
    const thinking = thinkingOf(ctx);
    if (thinking) {
      events.push(sse({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }, 'content_block_start'));
      for (const piece of pieces(thinking)) events.push(sse({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }, 'content_block_delta'));
      events.push(sse({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: signatureOf(thinking) } }, 'content_block_delta'));
      events.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
      index++;
    }
    if (reply.text) {
      events.push(sse({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start'));
      for (const piece of pieces(reply.text)) events.push(sse({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }, 'content_block_delta'));
      events.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
      index++;
    }
    for (const c of reply.toolCalls) {
      events.push(sse({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolUseId(c), name: c.name, input: {} } }, 'content_block_start'));
      events.push(sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }, 'content_block_delta'));
      for (const frag of argumentFragments(c.arguments)) events.push(sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: frag } }, 'content_block_delta'));
      events.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
      index++;
    }
    events.push(sse({ type: 'message_delta', delta: { stop_reason: reply.nativeFinish ?? STOP[reply.finish], stop_sequence: reply.stopSequence ?? null }, usage: { output_tokens: reply.usage.completion } }, 'message_delta'));
    events.push(sse({ type: 'message_stop' }, 'message_stop'));
    return events;
  },

  streamError: () => sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'),
  malformedBody: '{"id": "msg_broken", "type": "message", "content": [ {',
  malformedEvent: 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n',
};
