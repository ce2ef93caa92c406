// The OpenAI Responses API (https://platform.openai.com/docs/api-reference/responses), as OpenAI
// answers it: POST /v1/responses, stream and non-stream. The mock keeps no responses, so a
// request that still names previous_response_id (the gateway resolves it itself) or an
// item_reference is refused the way OpenAI refuses an id it does not know.
import { argumentFragments, countTokens, isObject, pieces, refuse, sse } from './common.mjs';
import { errorBody, openai } from './openai.mjs';

// CreateResponse's members; anything else is refused ("Unknown parameter: 'x'.").
const MEMBERS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'reasoning',
  'max_output_tokens', 'max_tool_calls', 'temperature', 'top_p', 'top_logprobs', 'metadata', 'store',
  'previous_response_id', 'stream', 'stream_options', 'user', 'include', 'truncation', 'background',
  'service_tier', 'prompt', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'conversation',
  'context_management',
]);
const ROLES = ['user', 'assistant', 'system', 'developer'];
const INPUT_PARTS = ['input_text', 'input_image', 'input_file'];
const OUTPUT_PARTS = ['output_text', 'refusal'];
// Items of built-in tools that may come back as input (OpenAI validates them further).
const TOOL_ITEMS = new Set([
  'web_search_call', 'file_search_call', 'computer_call', 'computer_call_output', 'image_generation_call',
  'code_interpreter_call', 'local_shell_call', 'local_shell_call_output', 'mcp_list_tools', 'mcp_approval_request',
  'mcp_approval_response', 'mcp_call', 'custom_tool_call', 'custom_tool_call_output',
]);
const BUILT_IN_TOOLS = new Set([
  'web_search', 'web_search_preview', 'file_search', 'computer_use_preview', 'code_interpreter', 'image_generation',
  'mcp', 'local_shell', 'custom',
]);

const invalid = (message, param = null, code = null) => refuse(400, message, { type: 'invalid_request_error', param, code });

function checkNumber(body, name, lo, hi) {
  const v = body[name];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number') invalid(`Invalid type for '${name}': expected a decimal, but got ${typeof v} instead.`, name, 'invalid_type');
  if (v < lo) invalid(`Invalid '${name}': decimal below minimum value. Expected a value >= ${lo}, but got ${v} instead.`, name, 'decimal_below_min_value');
  if (v > hi) invalid(`Invalid '${name}': decimal above maximum value. Expected a value <= ${hi}, but got ${v} instead.`, name, 'decimal_above_max_value');
}

function checkParts(item, at) {
  const allowed = item.role === 'assistant' ? OUTPUT_PARTS : INPUT_PARTS;
  item.content.forEach((p, j) => {
    const param = `${at}.content[${j}]`;
    if (!isObject(p) || !allowed.includes(p.type)) {
      invalid(`Invalid value: '${p?.type}'. Supported values are: ${allowed.map((t) => `'${t}'`).join(' and ')}.`, `${param}.type`, 'invalid_value');
    }
    if ((p.type === 'input_text' || p.type === 'output_text') && typeof p.text !== 'string') invalid(`Missing required parameter: '${param}.text'.`, `${param}.text`, 'missing_required_parameter');
    if (p.type === 'refusal' && typeof p.refusal !== 'string') invalid(`Missing required parameter: '${param}.refusal'.`, `${param}.refusal`, 'missing_required_parameter');
    if (p.type === 'input_image') {
      const url = p.image_url;
      if (url === undefined && p.file_id === undefined) invalid(`Missing required parameter: '${param}.image_url'.`, `${param}.image_url`, 'missing_required_parameter');
      if (url !== undefined && !/^(https?:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/.test(String(url))) {
        invalid("Invalid 'input[0].content[0].image_url'. Expected a valid URL, but got a value with an invalid format.".replace('input[0].content[0]', param), `${param}.image_url`, 'invalid_value');
      }
    }
  });
}

// The input items, checked the way OpenAI checks them: roles and part types, function calls
// answered by outputs of the same call_id (and outputs answering a call), no item references.
function checkInput(input) {
  if (typeof input === 'string') return;
  if (!Array.isArray(input)) invalid("Invalid type for 'input': expected one of a string or array of input items.", 'input', 'invalid_type');
  const calls = new Map();  // call_id -> index of the call awaiting its output
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) invalid(`Invalid type for '${at}': expected an object.`, at, 'invalid_type');
    const type = item.type ?? (item.role !== undefined ? 'message' : item.id !== undefined ? 'item_reference' : undefined);
    if (type === 'message') {
      if (!ROLES.includes(item.role)) invalid(`Invalid value: '${item.role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `${at}.role`, 'invalid_value');
      if (Array.isArray(item.content)) checkParts(item, at);
      else if (typeof item.content !== 'string') invalid(`Missing required parameter: '${at}.content'.`, `${at}.content`, 'missing_required_parameter');
    } else if (type === 'function_call') {
      for (const k of ['call_id', 'name', 'arguments']) {
        if (typeof item[k] !== 'string') invalid(`Missing required parameter: '${at}.${k}'.`, `${at}.${k}`, 'missing_required_parameter');
      }
      calls.set(item.call_id, i);
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') invalid(`Missing required parameter: '${at}.call_id'.`, `${at}.call_id`, 'missing_required_parameter');
      if (!calls.delete(item.call_id)) invalid(`No tool call found for function call output with call_id ${item.call_id}.`, 'input');
      if (typeof item.output !== 'string' && !Array.isArray(item.output)) invalid(`Missing required parameter: '${at}.output'.`, `${at}.output`, 'missing_required_parameter');
    } else if (type === 'reasoning') {
      if (!Array.isArray(item.summary)) invalid(`Missing required parameter: '${at}.summary'.`, `${at}.summary`, 'missing_required_parameter');
    } else if (type === 'item_reference') {
      invalid(`Item with id '${item.id}' not found.`, 'input');
    } else if (!TOOL_ITEMS.has(type)) {
      invalid(`Invalid value: '${type}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning', 'item_reference', and the built-in tools' items.`, `${at}.type`, 'invalid_value');
    }
  });
  for (const [id] of calls) invalid(`No tool output found for function call ${id}.`, 'input');
}

function checkTools(body) {
  if (body.tools === undefined || body.tools === null) {
    if (body.tool_choice !== undefined && body.tool_choice !== 'none' && body.tool_choice !== 'auto') {
      invalid("Tool choice 'required' must be specified with 'tools' parameter.", 'tool_choice');
    }
    return;
  }
  if (!Array.isArray(body.tools)) invalid("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
  body.tools.forEach((t, i) => {
    if (t?.type === 'function') {
      if (typeof t.name !== 'string') invalid(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`, 'missing_required_parameter');
    } else if (!BUILT_IN_TOOLS.has(t?.type)) {
      invalid(`Invalid value: '${t?.type}'. Supported values are: 'function', 'file_search', 'computer_use_preview', 'web_search', …`, `tools[${i}].type`, 'invalid_value');
    }
  });
}

/** Validates a CreateResponse body the way the API does. */
export function validateResponses(body) {
  for (const k of Object.keys(body)) if (!MEMBERS.has(k)) invalid(`Unknown parameter: '${k}'.`, k, 'unknown_parameter');
  if (typeof body.model !== 'string') invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    invalid(`Previous response with id '${body.previous_response_id}' not found.`, 'previous_response_id', 'previous_response_not_found');
  }
  if (body.input === undefined && body.prompt === undefined) invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (body.input !== undefined) checkInput(body.input);
  checkNumber(body, 'temperature', 0, 2);
  checkNumber(body, 'top_p', 0, 1);
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && max >= 16)) {
    invalid(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${max} instead.`, 'max_output_tokens', 'integer_below_min_value');
  }
  if (body.stream_options !== undefined && body.stream_options !== null && !body.stream) {
    invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  const format = body.text?.format;
  if (format?.type === 'json_schema' && (typeof format.name !== 'string' || !isObject(format.schema))) {
    invalid("Missing required parameter: 'text.format.name'.", 'text.format.name', 'missing_required_parameter');
  }
  checkTools(body);
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p?.type === 'input_image' ? '[image]' : p?.text ?? p?.refusal ?? '')).filter(Boolean).join(' ');
}

const outputText = (output) => (typeof output === 'string' ? output : textOf(output));

/** The request as the mock's answer logic sees it (see common.mjs replyFor). */
export function responsesView(body) {
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input ?? [];
  let last = { kind: 'user', pieces: [] };
  if (items.at(-1)?.type === 'function_call_output') {
    const results = [];
    for (let i = items.length - 1; i >= 0 && items[i].type === 'function_call_output'; i--) results.unshift(outputText(items[i].output));
    last = { kind: 'tool', pieces: results };
  } else {
    const user = items.findLast((item) => item?.role === 'user');
    if (user) last = { kind: 'user', pieces: [textOf(user.content)] };
  }
  const texts = items.map((item) => (item?.type === 'function_call_output' ? outputText(item.output) : textOf(item?.content)));
  const format = body.text?.format?.type;
  return {
    last,
    promptTokens: countTokens([body.instructions ?? '', ...texts].join(' ')),
    tools: body.tool_choice === 'none' ? [] : (body.tools ?? []).filter((t) => t?.type === 'function').map((t) => t.name),
    maxTokens: body.max_output_tokens ?? undefined,
    stop: [],
    json: format === 'json_object' || format === 'json_schema',
  };
}

// ---------------------------------------------------------------------------
// Answers: the Response object and its stream.

function usageOf(reply, reasoning) {
  const output = reply.usage.completion + reasoning;
  return {
    input_tokens: reply.usage.prompt, input_tokens_details: { cached_tokens: reply.usage.cached },
    output_tokens: output, output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: reply.usage.prompt + output,
  };
}

// The incomplete reason, or null when the response is complete.
function incompleteReason(reply) {
  if (reply.nativeFinish) return reply.nativeFinish;
  return reply.finish === 'length' ? 'max_output_tokens' : null;
}

// The output items: a reasoning item (scenario `reasoning`), the message (when there is text),
// the function calls.
function outputItems(ctx, reply) {
  const items = [];
  const reasoning = ctx.behaviour?.reasoning;
  if (reasoning !== undefined) {
    const item = { id: `rs_mock${ctx.serial}`, type: 'reasoning', summary: [{ type: 'summary_text', text: String(reasoning) }] };
    if ((ctx.body.include ?? []).includes('reasoning.encrypted_content')) item.encrypted_content = `mock-encrypted-${ctx.serial}`;
    items.push(item);
  }
  if (reply.text || !reply.toolCalls.length) {
    items.push({
      id: `msg_mock${ctx.serial}`, type: 'message', status: incompleteReason(reply) ? 'incomplete' : 'completed', role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  for (const c of reply.toolCalls) {
    items.push({ id: `fc_mock${c.index}_${c.name}`, type: 'function_call', status: 'completed', arguments: c.arguments, call_id: `call_mock${c.index}_${c.name}`, name: c.name });
  }
  return items;
}

function response(ctx, reply, status, output, usage) {
  const body = ctx.body;
  const reason = incompleteReason(reply);
  return {
    id: `resp_mock${ctx.serial}`, object: 'response', created_at: ctx.created, status, background: false, error: null,
    incomplete_details: status === 'incomplete' ? { reason } : null,
    instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, max_tool_calls: null,
    model: ctx.model, output, parallel_tool_calls: body.parallel_tool_calls ?? true, previous_response_id: null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    service_tier: 'default', store: body.store ?? true, temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } }, tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [],
    top_logprobs: 0, top_p: body.top_p ?? 1, truncation: body.truncation ?? 'disabled', usage,
    user: body.user ?? null, metadata: body.metadata ?? {},
  };
}

function finalResponse(ctx, reply) {
  const reasoning = countTokens(ctx.behaviour?.reasoning ?? '');
  return response(ctx, reply, incompleteReason(reply) ? 'incomplete' : 'completed', outputItems(ctx, reply), usageOf(reply, reasoning));
}

// The typed events, one delta per word (arguments in a few fragments), numbered.
function streamEvents(ctx, reply) {
  const events = [];
  const emit = (type, fields) => events.push(sse({ type, ...fields, sequence_number: events.length }, type));
  const done = finalResponse(ctx, reply);
  emit('response.created', { response: response(ctx, reply, 'in_progress', [], null) });
  emit('response.in_progress', { response: response(ctx, reply, 'in_progress', [], null) });
  done.output.forEach((item, output_index) => {
    const item_id = item.id;
    if (item.type === 'reasoning') {
      emit('response.output_item.added', { output_index, item: { id: item_id, type: 'reasoning', summary: [] } });
      const text = item.summary[0].text;
      emit('response.reasoning_summary_part.added', { item_id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
      for (const delta of pieces(text)) emit('response.reasoning_summary_text.delta', { item_id, output_index, summary_index: 0, delta });
      emit('response.reasoning_summary_text.done', { item_id, output_index, summary_index: 0, text });
      emit('response.reasoning_summary_part.done', { item_id, output_index, summary_index: 0, part: { type: 'summary_text', text } });
    } else if (item.type === 'message') {
      const text = item.content[0].text;
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      emit('response.content_part.added', { item_id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
      for (const delta of pieces(text)) emit('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] });
      emit('response.output_text.done', { item_id, output_index, content_index: 0, text, logprobs: [] });
      emit('response.content_part.done', { item_id, output_index, content_index: 0, part: item.content[0] });
    } else {
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of argumentFragments(item.arguments)) emit('response.function_call_arguments.delta', { item_id, output_index, delta });
      emit('response.function_call_arguments.done', { item_id, output_index, name: item.name, arguments: item.arguments });
    }
    emit('response.output_item.done', { output_index, item });
  });
  emit(done.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: done });
  ctx.sequence = events.length;
  return events;
}

export const openaiResponses = {
  name: 'openai_responses',
  routes: [{ method: 'POST', pattern: /^\/v1\/responses$/, name: 'POST /v1/responses', handler: 'responses' }],

  errorBody,
  authenticate: openai.authenticate,
  namedError: openai.namedError,

  validate: (route, body) => validateResponses(body),
  view: (route, body) => responsesView(body),
  isStream: (route, body) => Boolean(body.stream),
  model: (route, body) => body.model ?? 'mock',

  completion: (ctx, reply) => finalResponse(ctx, reply),
  streamEvents,
  // OpenAI's ResponseErrorEvent: code, message, param at the top level.
  streamError: (message, ctx) => sse({ type: 'error', code: 'server_error', message, param: null, sequence_number: ctx?.sequence ?? 0 }, 'error'),
  malformedBody: '{"id": "resp_broken", "output": [ {',
  malformedEvent: 'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": \n\n',
};
