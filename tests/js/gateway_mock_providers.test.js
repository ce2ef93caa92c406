// The mock upstream's Azure, Anthropic and Gemini wire formats, talked to directly: normal
// answers, streams, tool calls, images, the refusals of requests the real APIs would refuse,
// and the scenario controls in each format's own error shapes.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock-upstream/server.mjs';
import { call, sseData } from './gateway/helpers.js';
import { embedVector } from '../mock-upstream/formats/common.mjs';

let mock;
before(async () => (mock = await startMock()));
after(async () => mock?.close());

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const WEATHER_TOOL = { name: 'get_weather', arguments: { city: 'Paris' } };

/** SSE events as {event, data} (data parsed when JSON). */
function sseEvents(text) {
  return text.split(/\r?\n\r?\n/).filter((e) => e.trim()).map((e) => {
    const lines = e.split(/\r?\n/);
    const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    let json;
    try { json = JSON.parse(data); } catch {}
    return { event, data, json };
  });
}

describe('anthropic', () => {
  const headers = { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' };
  const messages = (scenario, body, h = headers) => call(`${mock.scenarioUrl(scenario)}/messages`, { method: 'POST', body, headers: h });
  const base = { model: 'claude-3-5-haiku-latest', max_tokens: 100 };

  test('answers a message derived from the last user turn, usage in Anthropic terms', async () => {
    const r = await messages('a-plain', { ...base, system: 'Be brief.', messages: [{ role: 'user', content: 'hello there' }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.type, 'message');
    assert.equal(r.json.role, 'assistant');
    assert.equal(r.json.model, base.model);
    assert.deepEqual(r.json.content, [{ type: 'text', text: 'mock: hello there' }]);
    assert.equal(r.json.stop_reason, 'end_turn');
    assert.deepEqual(r.json.usage, { input_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 });
    assert.deepEqual(mock.counts()['a-plain'], { 'POST /v1/messages': 1 });
  });

  test('streams message_start, ping, content blocks, message_delta, message_stop', async () => {
    const r = await messages('a-plain', { ...base, stream: true, messages: [{ role: 'user', content: 'a b' }] });
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    const events = sseEvents(r.text);
    assert.deepEqual(events.map((e) => e.event), ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_delta',
      'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) assert.equal(e.json.type, e.event);
    assert.equal(events.filter((e) => e.event === 'content_block_delta').map((e) => e.json.delta.text).join(''), 'mock: a b');
    assert.equal(events[0].json.message.usage.input_tokens, 2);
    assert.deepEqual(events.at(-2).json.usage, { output_tokens: 3 });
    assert.equal(events.at(-2).json.delta.stop_reason, 'end_turn');
  });

  test('tool use: a tool_use block, streamed as input_json_delta; then the tool_result turn', async () => {
    mock.setScenario('a-tool', { tool_call: { ...WEATHER_TOOL, text: 'Let me check.' } });
    const tools = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const ask = [{ role: 'user', content: 'weather in Paris?' }];
    const r = await messages('a-tool', { ...base, tools, messages: ask });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stop_reason, 'tool_use');
    assert.deepEqual(r.json.content, [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_mock0_get_weather', name: 'get_weather', input: { city: 'Paris' } },
    ]);

    const s = sseEvents((await messages('a-tool', { ...base, tools, stream: true, messages: ask })).text);
    const start = s.find((e) => e.event === 'content_block_start' && e.json.content_block.type === 'tool_use');
    assert.equal(start.json.index, 1);
    assert.deepEqual(start.json.content_block, { type: 'tool_use', id: 'toolu_mock0_get_weather', name: 'get_weather', input: {} });
    const json = s.filter((e) => e.json?.delta?.type === 'input_json_delta').map((e) => e.json.delta.partial_json).join('');
    assert.deepEqual(JSON.parse(json), { city: 'Paris' });
    assert.equal(s.find((e) => e.event === 'message_delta').json.delta.stop_reason, 'tool_use');

    const followUp = [...ask, { role: 'assistant', content: r.json.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_mock0_get_weather', content: '21 C' }] }];
    const done = await messages('a-tool', { ...base, tools, messages: followUp });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.content[0].text, 'mock: tool result 21 C');

    const orphan = await messages('a-tool', { ...base, tools, messages: [...ask, { role: 'assistant', content: r.json.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_other', content: 'x' }] }] });
    assert.equal(orphan.status, 400);
    assert.match(orphan.json.error.message, /unexpected `tool_use_id`/);
    const unanswered = await messages('a-tool', { ...base, tools, messages: [...ask, { role: 'assistant', content: r.json.content }, { role: 'user', content: 'well?' }] });
    assert.equal(unanswered.status, 400);
    assert.match(unanswered.json.error.message, /without `tool_result` blocks/);
  });

  test('an image block is reflected as [image]; a data: URL in it is refused', async () => {
    const r = await messages('a-plain', { ...base, messages: [{ role: 'user', content: [
      { type: 'text', text: 'what is this' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.content[0].text, 'mock: what is this [image]');
    const bad = await messages('a-plain', { ...base, messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: `data:image/png;base64,${PNG}` } }] }] });
    assert.equal(bad.status, 400);
    const openaiPart = await messages('a-plain', { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    assert.equal(openaiPart.status, 400);
    assert.match(openaiPart.json.error.message, /Input tag 'image_url'/);
  });

  test('refuses what the Messages API refuses, in its error shape', async () => {
    const cases = [
      [{ model: base.model, messages: [{ role: 'user', content: 'x' }] }, 400, /max_tokens: Field required/],
      [{ ...base, messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'x' }] }, 400, /Unexpected role "system"/],
      [{ ...base, messages: [{ role: 'user', content: 'x' }], stop: ['a'] }, 400, /stop: Extra inputs are not permitted/],
      [{ ...base, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }, 400, /temperature/],
      [{ ...base, messages: [{ role: 'user', content: '' }] }, 400, /non-empty content/],
      [{ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 400, /Input tag 'function'/],
      [{ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: 'auto' }, 400, /tool_choice/],
    ];
    for (const [body, status, message] of cases) {
      const r = await messages('a-plain', body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.text}`);
      assert.equal(r.json.type, 'error');
      assert.equal(r.json.error.type, 'invalid_request_error');
      assert.match(r.json.error.message, message);
    }
    const noKey = await messages('a-plain', { ...base, messages: [{ role: 'user', content: 'x' }] }, { 'anthropic-version': '2023-06-01', authorization: 'Bearer test-key' });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.json.error.type, 'authentication_error');
    const noVersion = await messages('a-plain', { ...base, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'k' });
    assert.equal(noVersion.status, 400);
    mock.setScenario('a-keyed', { api_key: 'right' });
    assert.equal((await messages('a-keyed', { ...base, messages: [{ role: 'user', content: 'x' }] })).status, 401);
    assert.equal((await messages('a-keyed', { ...base, messages: [{ role: 'user', content: 'x' }] }, { ...headers, 'x-api-key': 'right' })).status, 200);
  });

  test('named errors, statuses and stream failures in Anthropic shapes', async () => {
    const body = { ...base, messages: [{ role: 'user', content: 'x y z' }] };
    mock.setScenario('a-529', { error: 'overloaded' });
    let r = await messages('a-529', body);
    assert.equal(r.status, 529);
    assert.deepEqual(r.json, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    mock.setScenario('a-long', { error: 'context_length' });
    r = await messages('a-long', body);
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /^prompt is too long: \d+ tokens > \d+ maximum$/);
    mock.setScenario('a-429', { status: 429, retry_after: 2 });
    r = await messages('a-429', body);
    assert.equal(r.json.error.type, 'rate_limit_error');
    assert.equal(r.headers.get('retry-after'), '2');
    mock.setScenario('a-refusal', { error: 'content_filter' });
    assert.equal((await messages('a-refusal', body)).json.stop_reason, 'refusal');
    mock.setScenario('a-200err', { error_body_200: true });
    r = await messages('a-200err', body);
    assert.equal(r.status, 200);
    assert.equal(r.json.type, 'error');
    mock.setScenario('a-midfail', { stream_error_after: 3 });
    const events = sseEvents((await messages('a-midfail', { ...body, stream: true })).text);
    assert.equal(events.length, 4);
    assert.deepEqual(events.at(-1).json, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    mock.setScenario('a-cut', { truncate_stream_after: 2 });
    await assert.rejects(messages('a-cut', { ...body, stream: true }));
    mock.setScenario('a-len', {});
    r = await messages('a-len', { ...body, max_tokens: 2 });
    assert.equal(r.json.stop_reason, 'max_tokens');
    assert.equal(r.json.content[0].text, 'mock: x');
  });
});

describe('anthropic: extended thinking and prompt caching', () => {
  const headers = { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' };
  const messages = (scenario, body) => call(`${mock.scenarioUrl(scenario)}/messages`, { method: 'POST', body, headers });
  const base = { model: 'claude-sonnet-4-20250514', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } };
  const tools = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];

  test('a signed thinking block first, streamed as thinking_delta then signature_delta', async () => {
    const r = await messages('t-plain', { ...base, messages: [{ role: 'user', content: 'why?' }] });
    assert.equal(r.status, 200, r.text);
    const [thinking, text] = r.json.content;
    assert.equal(thinking.type, 'thinking');
    assert.match(thinking.thinking, /^mock thinking #\d+$/);
    assert.equal(typeof thinking.signature, 'string');
    assert.deepEqual(text, { type: 'text', text: 'mock: why?' });
    const events = sseEvents((await messages('t-plain', { ...base, stream: true, messages: [{ role: 'user', content: 'why?' }] })).text);
    const first = events.find((e) => e.event === 'content_block_start');
    assert.deepEqual(first.json, { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    const deltas = events.filter((e) => e.json?.index === 0 && e.event === 'content_block_delta').map((e) => e.json.delta.type);
    assert.equal(deltas.at(-1), 'signature_delta');
    assert.ok(deltas.slice(0, -1).every((t) => t === 'thinking_delta'));
    assert.equal(events.find((e) => e.event === 'content_block_start' && e.json.index === 1).json.content_block.type, 'text');
    // Without thinking asked for, none.
    const none = await messages('t-plain', { model: base.model, max_tokens: 100, messages: [{ role: 'user', content: 'why?' }] });
    assert.equal(none.json.content[0].type, 'text');
  });

  test('thinking must come back with its signature in a tool-use turn', async () => {
    mock.setScenario('t-tool', { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } } });
    const ask = [{ role: 'user', content: 'weather?' }];
    const first = await messages('t-tool', { ...base, tools, messages: ask });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.content.map((b) => b.type), ['thinking', 'tool_use']);
    const result = { role: 'user', content: [{ type: 'tool_result', tool_use_id: first.json.content[1].id, content: '21 C' }] };
    const ok = await messages('t-tool', { ...base, tools, messages: [...ask, { role: 'assistant', content: first.json.content }, result] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.content.at(-1).text, 'mock: tool result 21 C');
    const tampered = first.json.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: `${b.thinking}!` } : b));
    const bad = await messages('t-tool', { ...base, tools, messages: [...ask, { role: 'assistant', content: tampered }, result] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /Invalid `signature` in `thinking` block/);
    const dropped = await messages('t-tool', { ...base, tools, messages: [...ask, { role: 'assistant', content: [first.json.content[1]] }, result] });
    assert.equal(dropped.status, 400);
    assert.match(dropped.json.error.message, /must start with a thinking block/);
    // Without thinking the same history needs no thinking block.
    const { thinking, ...plain } = base;
    assert.equal((await messages('t-tool', { ...plain, tools, messages: [...ask, { role: 'assistant', content: [first.json.content[1]] }, result] })).status, 200);
  });

  test('refuses what extended thinking and prompt caching refuse', async () => {
    const ask = [{ role: 'user', content: 'x' }];
    const marked = (n) => Array.from({ length: n }, (_, i) => ({ type: 'text', text: `t${i}`, cache_control: { type: 'ephemeral' } }));
    const cases = [
      [{ ...base, thinking: { type: 'enabled', budget_tokens: 512 }, messages: ask }, /greater than or equal to 1024/],
      [{ ...base, max_tokens: 1024, messages: ask }, /must be greater than `thinking.budget_tokens`/],
      [{ ...base, temperature: 0.5, messages: ask }, /temperature/],
      [{ ...base, top_k: 5, messages: ask }, /top_k/],
      [{ ...base, tools, tool_choice: { type: 'any' }, messages: ask }, /forces tool use/],
      [{ ...base, thinking: { type: 'on' }, messages: ask }, /Input tag 'on'/],
      [{ model: base.model, max_tokens: 10, system: marked(3), messages: [{ role: 'user', content: marked(2) }] }, /maximum of 4 blocks with cache_control/],
      [{ model: base.model, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '2h' } }] }] }, /ttl/],
      [{ model: base.model, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'persistent' } }] }] }, /ephemeral/],
    ];
    for (const [body, message] of cases) {
      const r = await messages('t-plain', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.equal(r.json.error.type, 'invalid_request_error');
      assert.match(r.json.error.message, message);
    }
    const fine = await messages('t-plain', { model: base.model, max_tokens: 10, cache_control: { type: 'ephemeral' }, system: marked(1),
      tools: [{ ...tools[0], cache_control: { type: 'ephemeral', ttl: '1h' } }], messages: [{ role: 'user', content: marked(1) }],
      thinking: { type: 'adaptive' }, output_config: { effort: 'low' }, inference_geo: 'us' });
    assert.equal(fine.status, 200, fine.text);
    assert.equal(fine.json.content[0].type, 'thinking');
  });
});

describe('gemini', () => {
  const headers = { 'x-goog-api-key': 'k' };
  const gen = (scenario, model, body, { stream = false, sse = true, h = headers, query = '' } = {}) => {
    const method = stream ? `streamGenerateContent${sse ? '?alt=sse' : ''}` : 'generateContent';
    const sep = method.includes('?') ? '&' : '?';
    return call(`${mock.scenarioUrl(scenario, '/v1beta')}/models/${model}:${method}${query ? sep + query : ''}`, { method: 'POST', body, headers: h });
  };
  const user = (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

  test('answers generateContent from the last user turn, usageMetadata, modelVersion', async () => {
    const r = await gen('g-plain', 'gemini-2.0-flash', { ...user('hello there'), systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    assert.equal(r.status, 200, r.text);
    const [c] = r.json.candidates;
    assert.deepEqual(c.content, { parts: [{ text: 'mock: hello there' }], role: 'model' });
    assert.equal(c.finishReason, 'STOP');
    assert.equal(r.json.usageMetadata.promptTokenCount, 4);
    assert.equal(r.json.usageMetadata.candidatesTokenCount, 3);
    assert.equal(r.json.usageMetadata.totalTokenCount, 7);
    assert.equal(r.json.modelVersion, 'gemini-2.0-flash');
    assert.deepEqual(mock.counts()['g-plain'], { 'POST /v1beta/models/{model}:generateContent': 1 });
    const byQuery = await gen('g-plain', 'gemini-2.0-flash', user('q'), { h: {}, query: 'key=k' });
    assert.equal(byQuery.status, 200, byQuery.text);
    assert.equal((await gen('g-plain', 'gemini-2.0-flash', { system_instruction: { parts: [{ text: 's' }] }, ...user('snake') })).status, 200);
  });

  test('streams CRLF-framed SSE with alt=sse, a JSON array without it', async () => {
    const r = await gen('g-plain', 'gemini-2.0-flash', user('a b'), { stream: true });
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    assert.ok(r.text.includes('\r\n\r\n'));
    const chunks = sseEvents(r.text).map((e) => e.json);
    assert.equal(chunks.map((c) => c.candidates[0].content.parts[0].text).join(''), 'mock: a b');
    assert.equal(chunks.at(-1).candidates[0].finishReason, 'STOP');
    assert.ok(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined));
    assert.equal(chunks.at(-1).usageMetadata.totalTokenCount, 5);
    const array = await gen('g-plain', 'gemini-2.0-flash', user('a b'), { stream: true, sse: false });
    assert.match(array.headers.get('content-type'), /^application\/json/);
    assert.equal(array.json.length, 3);
    assert.deepEqual(mock.counts()['g-plain']['POST /v1beta/models/{model}:streamGenerateContent'], 2);
  });

  test('function calling: functionCall parts (no ids), then functionResponse turns', async () => {
    mock.setScenario('g-tool', { tool_call: WEATHER_TOOL });
    const tools = [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }];
    const r = await gen('g-tool', 'gemini-2.0-flash', { ...user('weather in Paris?'), tools, toolConfig: { functionCallingConfig: { mode: 'AUTO' } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.candidates[0].content.parts, [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]);
    assert.equal(r.json.candidates[0].finishReason, 'STOP');
    const s = sseEvents((await gen('g-tool', 'gemini-2.0-flash', { ...user('weather in Paris?'), tools }, { stream: true })).text);
    assert.deepEqual(s.at(-1).json.candidates[0].content.parts, [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]);

    const turns = [...user('weather in Paris?').contents, { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] }];
    const done = await gen('g-tool', 'gemini-2.0-flash', { tools, contents: [...turns, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: '21 C' } } }] }] });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.candidates[0].content.parts[0].text, 'mock: tool result 21 C');
    const wrongName = await gen('g-tool', 'gemini-2.0-flash', { tools, contents: [...turns, { role: 'user', parts: [{ functionResponse: { name: 'call_1', response: { result: 'x' } } }] }] });
    assert.equal(wrongName.status, 400);
    const notStruct = await gen('g-tool', 'gemini-2.0-flash', { tools, contents: [...turns, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: '21 C' } }] }] });
    assert.equal(notStruct.status, 400);
    const additional = await gen('g-tool', 'gemini-2.0-flash', { ...user('x'), tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', additionalProperties: false } }] }] });
    assert.equal(additional.status, 400);
    assert.match(additional.json.error.message, /Unknown name "additionalProperties"/);
  });

  test('an inlineData part is reflected as [image]; an OpenAI-shaped body is refused', async () => {
    const r = await gen('g-plain', 'gemini-2.0-flash', { contents: [{ role: 'user', parts: [{ text: 'what is this' }, { inlineData: { mimeType: 'image/png', data: PNG } }] }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.candidates[0].content.parts[0].text, 'mock: what is this [image]');
    const cases = [
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }] }, /Unknown name "model"/],
      [{ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role: user, model/],
      [{ contents: [{ role: 'user', parts: [] }] }, /must not be empty/],
      [{ ...user('x'), generationConfig: { max_tokens: 5 } }, /Unknown name "max_tokens"/],
      [{ ...user('x'), toolConfig: { functionCallingConfig: { mode: 'auto' } } }, /mode/],
      [{ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: `data:image/png;base64,${PNG}` } }] }] }, /Base64 decoding failed/],
      [{ systemInstruction: 'Be brief.', ...user('x') }, /system_instruction/],
    ];
    for (const [body, message] of cases) {
      const bad = await gen('g-plain', 'gemini-2.0-flash', body);
      assert.equal(bad.status, 400, `${JSON.stringify(body)} → ${bad.text}`);
      assert.equal(bad.json.error.status, 'INVALID_ARGUMENT');
      assert.equal(bad.json.error.code, 400);
      assert.match(bad.json.error.message, message);
    }
  });

  test('keys, blocks, named errors and stream failures in Gemini shapes', async () => {
    const noKey = await gen('g-plain', 'gemini-2.0-flash', user('x'), { h: { authorization: 'Bearer k' } });
    assert.equal(noKey.status, 403);
    assert.equal(noKey.json.error.status, 'PERMISSION_DENIED');
    mock.setScenario('g-keyed', { api_key: 'right' });
    const wrong = await gen('g-keyed', 'gemini-2.0-flash', user('x'));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error.details[0].reason, 'API_KEY_INVALID');

    mock.setScenario('g-block', { error: 'content_filter' });
    const blocked = await gen('g-block', 'gemini-2.0-flash', user('x'));
    assert.equal(blocked.status, 200);
    assert.equal(blocked.json.promptFeedback.blockReason, 'SAFETY');
    assert.equal(blocked.json.candidates, undefined);
    mock.setScenario('g-safety', { finish_reason: 'SAFETY' });
    const safety = await gen('g-safety', 'gemini-2.0-flash', user('x'));
    assert.equal(safety.json.candidates[0].finishReason, 'SAFETY');
    assert.equal(safety.json.candidates[0].content, undefined);

    mock.setScenario('g-503', { error: 'overloaded' });
    const over = await gen('g-503', 'gemini-2.0-flash', user('x'));
    assert.equal(over.status, 503);
    assert.equal(over.json.error.status, 'UNAVAILABLE');
    mock.setScenario('g-429', { status: 429, retry_after: 1 });
    const limited = await gen('g-429', 'gemini-2.0-flash', user('x'));
    assert.deepEqual(limited.json.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(limited.headers.get('retry-after'), '1');

    mock.setScenario('g-midfail', { stream_error_after: 2 });
    const mid = sseEvents((await gen('g-midfail', 'gemini-2.0-flash', user('a b c d'), { stream: true })).text);
    assert.equal(mid.length, 3);
    assert.equal(mid.at(-1).json.error.status, 'UNAVAILABLE');
    mock.setScenario('g-models', { models: ['gemini-2.0-flash'] });
    assert.equal((await gen('g-models', 'gemini-nope', user('x'))).status, 404);
    mock.setScenario('g-len', {});
    const cut = await gen('g-len', 'gemini-2.0-flash', { ...user('x y z'), generationConfig: { maxOutputTokens: 2 } });
    assert.equal(cut.json.candidates[0].finishReason, 'MAX_TOKENS');
  });
});

describe('azure', () => {
  const headers = { 'api-key': 'k' };
  const chatAt = (scenario, deployment, body, { h = headers, version = '2024-10-21' } = {}) =>
    call(`${mock.scenarioUrl(scenario, '')}/openai/deployments/${deployment}/chat/completions${version ? `?api-version=${version}` : ''}`, { method: 'POST', body, headers: h });
  const msgs = (content) => ({ messages: [{ role: 'user', content }] });

  test('answers OpenAI-shaped completions with content-filter annotations', async () => {
    const r = await chatAt('z-plain', 'my-gpt4o', msgs('hello there'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, 'mock: hello there');
    assert.equal(r.json.model, 'gpt-4o-2024-08-06');
    assert.ok(r.json.prompt_filter_results);
    assert.ok(r.json.choices[0].content_filter_results);
    assert.deepEqual(mock.counts()['z-plain'], { 'POST /openai/deployments/{deployment}/chat/completions': 1 });
    assert.equal(mock.requests().at(-1).query['api-version'], '2024-10-21');
  });

  test('streams with a first chunk that has no choices, usage when asked, then [DONE]', async () => {
    const r = await chatAt('z-plain', 'd', { ...msgs('a b'), stream: true, stream_options: { include_usage: true } });
    const data = sseData(r.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.deepEqual(chunks[0].choices, []);
    assert.equal(chunks[0].id, '');
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'mock: a b');
    assert.equal(chunks.at(-1).usage.total_tokens, 5);
  });

  test('tool calls with ids, image parts, and OpenAI validation', async () => {
    mock.setScenario('z-tool', { tool_call: WEATHER_TOOL });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const r = await chatAt('z-tool', 'd', { ...msgs('weather?'), tools });
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    const call0 = r.json.choices[0].message.tool_calls[0];
    assert.deepEqual(call0, { id: 'call_mock0_get_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const follow = await chatAt('z-tool', 'd', { tools, messages: [{ role: 'user', content: 'weather?' }, r.json.choices[0].message, { role: 'tool', tool_call_id: call0.id, content: '21 C' }] });
    assert.equal(follow.json.choices[0].message.content, 'mock: tool result 21 C');
    const orphan = await chatAt('z-tool', 'd', { tools, messages: [{ role: 'user', content: 'weather?' }, { role: 'tool', tool_call_id: 'nope', content: 'x' }] });
    assert.equal(orphan.status, 400);
    const img = await chatAt('z-plain', 'd', msgs([{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }]));
    assert.equal(img.json.choices[0].message.content, 'mock: see [image]');
    const extra = await chatAt('z-plain', 'd', { ...msgs('x'), switchyard: { cache: 'no-store' } });
    assert.equal(extra.status, 400);
    assert.match(extra.json.error.message, /Unrecognized request argument supplied: switchyard/);
  });

  test('api-version, api-key, deployments and the content_filter error', async () => {
    assert.equal((await chatAt('z-plain', 'd', msgs('x'), { version: null })).status, 404);
    const noKey = await chatAt('z-plain', 'd', msgs('x'), { h: {} });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.json.error.code, '401');
    assert.equal((await chatAt('z-plain', 'd', msgs('x'), { h: { authorization: 'Bearer entra' } })).status, 200);
    mock.setScenario('z-deps', { deployments: ['only-this'] });
    assert.equal((await chatAt('z-deps', 'other', msgs('x'))).json.error.code, 'DeploymentNotFound');
    mock.setScenario('z-filter', { error: 'content_filter' });
    const filtered = await chatAt('z-filter', 'd', msgs('x'));
    assert.equal(filtered.status, 400);
    assert.equal(filtered.json.error.code, 'content_filter');
    assert.equal(filtered.json.error.innererror.code, 'ResponsibleAIPolicyViolation');
    mock.setScenario('z-seq', { sequence: [{ status: 429, retry_after: 1 }] });
    const first = await chatAt('z-seq', 'd', msgs('x'));
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '1');
    assert.equal((await chatAt('z-seq', 'd', msgs('x'))).status, 200);
  });
});

describe('openai additions', () => {
  const chatAt = (scenario, body, headers) => call(`${mock.scenarioUrl(scenario)}/chat/completions`, { method: 'POST', body, headers });

  test('tool calls stream as tool_calls deltas; a key is checked when the scenario names one', async () => {
    mock.setScenario('o-tool', { tool_call: WEATHER_TOOL });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const r = await chatAt('o-tool', { model: 'm', stream: true, tools, messages: [{ role: 'user', content: 'w?' }] });
    const chunks = sseData(r.text).slice(0, -1).map((d) => JSON.parse(d));
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    assert.equal(deltas[0].id, 'call_mock0_get_weather');
    assert.equal(deltas.map((d) => d.function.arguments).join(''), '{"city":"Paris"}');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
    mock.setScenario('o-keyed', { api_key: 'sk-right' });
    assert.equal((await chatAt('o-keyed', { model: 'm', messages: [{ role: 'user', content: 'x' }] })).status, 401);
    assert.equal((await chatAt('o-keyed', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, { authorization: 'Bearer sk-right' })).status, 200);
  });

  test('named errors and a mid-stream error event', async () => {
    mock.setScenario('o-long', { error: 'context_length' });
    const r = await chatAt('o-long', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'context_length_exceeded');
    mock.setScenario('o-mid', { stream_error_after: 2 });
    const data = sseData((await chatAt('o-mid', { model: 'm', stream: true, messages: [{ role: 'user', content: 'a b c' }] })).text);
    assert.equal(data.length, 3);
    assert.ok(JSON.parse(data.at(-1)).error.message);
  });
});

test('chunk_bytes re-cuts a stream into tiny writes without changing its bytes', async () => {
  const body = { model: 'claude-3-5-haiku-latest', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'héllo 日本語 🙂' }] };
  const headers = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
  const whole = await call(`${mock.scenarioUrl('c-whole')}/messages`, { method: 'POST', body, headers });
  mock.setScenario('c-split', { chunk_bytes: 1 });
  const split = await call(`${mock.scenarioUrl('c-split')}/messages`, { method: 'POST', body, headers });
  assert.equal(split.text.replace(/msg_mock\d+/, 'msg'), whole.text.replace(/msg_mock\d+/, 'msg'));
  assert.match(split.text, /日本語/);
});

describe('embeddings and model lists', () => {
  const gHeaders = { 'x-goog-api-key': 'test-key' };
  const aHeaders = { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' };
  const batch = (scenario, model, body) =>
    call(`${mock.scenarioUrl(scenario, '/v1beta')}/models/${model}:batchEmbedContents`, { method: 'POST', body, headers: gHeaders });
  const req = (model, text, extra = {}) => ({ model: `models/${model}`, content: { parts: [{ text }] }, ...extra });

  test('gemini batchEmbedContents: one vector per request, outputDimensionality, no usage', async () => {
    const r = await batch('ge-plain', 'gemini-embedding-001', { requests: [req('gemini-embedding-001', 'a b'), req('gemini-embedding-001', 'c', { outputDimensionality: 3 })] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { embeddings: [{ values: embedVector('a b', 8) }, { values: embedVector('c', 3) }] });
    const single = await call(`${mock.scenarioUrl('ge-plain', '/v1beta')}/models/gemini-embedding-001:embedContent`,
      { method: 'POST', body: { content: { parts: [{ text: 'c' }] } }, headers: gHeaders });
    assert.deepEqual(single.json, { embedding: { values: embedVector('c', 8) } });
  });

  test('gemini refuses what Google refuses', async () => {
    const cases = [
      [{ requests: [req('other', 'x')] }, /must be the model of the URL/],
      [{ requests: [{ model: 'models/gemini-embedding-001', content: { parts: [] } }] }, /must not be empty/],
      [{ requests: [req('gemini-embedding-001', 'x', { outputDimensionality: 0 })] }, /between 1 and 3072/],
      [{ requests: [req('gemini-embedding-001', 'x', { dimensions: 3 })] }, /Unknown name "dimensions"/],
      [{ input: 'x' }, /Unknown name "input"/],
    ];
    for (const [body, message] of cases) {
      const r = await batch('ge-refuse', 'gemini-embedding-001', body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.status, 'INVALID_ARGUMENT');
      assert.match(r.json.error.message, message);
    }
    mock.setScenario('ge-models', { models: ['gemini-embedding-001'] });
    assert.equal((await batch('ge-models', 'text-embedding-004', { requests: [req('text-embedding-004', 'x')] })).json.error.status, 'NOT_FOUND');
    assert.equal((await call(`${mock.scenarioUrl('ge-plain', '/v1beta')}/models/m:batchEmbedContents`, { method: 'POST', body: {} })).status, 403);
  });

  test('gemini models.list: models/ names, supportedGenerationMethods, pages', async () => {
    const list = (q = '') => call(`${mock.scenarioUrl('ge-list', '/v1beta')}/models${q}`, { headers: gHeaders });
    const all = await list();
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.json.models.map((m) => m.name), ['models/gemini-2.0-flash', 'models/gemini-2.5-flash', 'models/gemini-2.5-pro',
      'models/gemini-embedding-001', 'models/imagen-4.0-generate-001']);
    assert.ok(all.json.models[3].supportedGenerationMethods.includes('embedContent'));
    assert.equal(all.json.nextPageToken, undefined);
    const first = await list('?pageSize=2');
    assert.equal(first.json.models.length, 2);
    const second = await list(`?pageSize=2&pageToken=${first.json.nextPageToken}`);
    assert.equal(second.json.models[0].name, 'models/gemini-2.5-pro');
    assert.deepEqual(mock.counts()['ge-list'], { 'GET /v1beta/models': 3 });
  });

  test('azure embeddings at the deployment; anthropic GET /v1/models with its headers', async () => {
    const az = await call(`${mock.scenarioUrl('az-emb', '')}/openai/deployments/emb/embeddings?api-version=2024-10-21`,
      { method: 'POST', body: { input: ['x', 'y'], dimensions: 4 }, headers: { 'api-key': 'k' } });
    assert.equal(az.status, 200, az.text);
    assert.equal(az.json.model, 'text-embedding-3-small');
    assert.deepEqual(az.json.data[1].embedding, embedVector('y', 4));
    const an = await call(`${mock.scenarioUrl('an-list')}/models?limit=2`, { headers: aHeaders });
    assert.equal(an.status, 200, an.text);
    assert.deepEqual(an.json.data.map((m) => m.id), ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022']);
    assert.equal(an.json.data[0].type, 'model');
    assert.equal(an.json.data[0].created_at, '2025-05-14T00:00:00Z');
    assert.equal(an.json.has_more, true);
    const noVersion = await call(`${mock.scenarioUrl('an-list')}/models`, { headers: { 'x-api-key': 'k' } });
    assert.equal(noVersion.json.error.type, 'invalid_request_error');
    assert.equal(mock.requests().at(-1).format, 'anthropic');
  });

  test('scenario controls apply: status, malformed, error kinds', async () => {
    mock.setScenario('ge-503', { error: 'overloaded' });
    assert.equal((await batch('ge-503', 'gemini-embedding-001', { requests: [req('gemini-embedding-001', 'x')] })).json.error.status, 'UNAVAILABLE');
    mock.setScenario('ge-bad', { malformed: true });
    const bad = await call(`${mock.scenarioUrl('ge-bad', '/v1beta')}/models`, { headers: gHeaders });
    assert.equal(bad.status, 200);
    assert.equal(bad.json, undefined);
    mock.setScenario('an-429', { error: 'rate_limit' });
    const limited = await call(`${mock.scenarioUrl('an-429')}/models`, { headers: aHeaders });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.type, 'rate_limit_error');
  });
});
