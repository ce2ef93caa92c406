// The mock upstream's OpenAI Responses API (tests/mock-upstream/formats/openai_responses.mjs):
// its answers and streams, checked with the official openai SDK's own stream accumulator where
// it is installed, and the requests it refuses as OpenAI does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock-upstream/server.mjs';
import { call } from './gateway/helpers.js';

let mock;
before(async () => (mock = await startMock()));
after(async () => mock?.close());

const create = (scenario, body, headers) => call(`${mock.scenarioUrl(scenario)}/responses`, { method: 'POST', body, headers });

// The typed events of an SSE text: [{event, data}] with data parsed.
function events(text) {
  return text.split('\n\n').filter(Boolean).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = JSON.parse(/^data: (.*)$/m.exec(block)[1]);
    return { event, data };
  });
}

const TOOLS = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];

test('answers a Response derived from the last user message', async () => {
  const r = await create('plain', { model: 'gpt-4.1', instructions: 'Be brief.', input: 'hello there' });
  assert.equal(r.status, 200);
  assert.equal(r.json.object, 'response');
  assert.equal(r.json.status, 'completed');
  assert.equal(r.json.model, 'gpt-4.1');
  assert.equal(r.json.instructions, 'Be brief.');
  assert.deepEqual(r.json.output[0].content[0], { type: 'output_text', text: 'mock: hello there', annotations: [], logprobs: [] });
  assert.deepEqual(r.json.usage, {
    input_tokens: 4, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3,
    output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7,
  });
  const items = await create('plain', { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'https://x/a.png' }] }] });
  assert.equal(items.json.output[0].content[0].text, 'mock: look [image]');
});

test('streams the typed events in order, numbered, ending in response.completed', async () => {
  const r = await create('plain', { model: 'm', input: 'a b', stream: true });
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const all = events(r.text);
  assert.deepEqual(all.map((e) => e.event), [
    'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done',
    'response.content_part.done', 'response.output_item.done', 'response.completed',
  ]);
  all.forEach((e, i) => { assert.equal(e.data.type, e.event); assert.equal(e.data.sequence_number, i); });
  assert.equal(all.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta).join(''), 'mock: a b');
  assert.equal(all.at(-1).data.response.usage.total_tokens, 5);
});

test('tool calls, reasoning items and the round trip of a function call', async () => {
  mock.setScenario('tools', { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } }, reasoning: 'Think first.' });
  const r = await create('tools', { model: 'o4-mini', input: 'weather?', tools: TOOLS, include: ['reasoning.encrypted_content'] });
  assert.equal(r.status, 200);
  const [reasoning, callItem] = r.json.output;
  assert.deepEqual(reasoning.summary, [{ type: 'summary_text', text: 'Think first.' }]);
  assert.match(reasoning.encrypted_content, /^mock-encrypted-/);
  assert.deepEqual(callItem, { id: 'fc_mock0_get_weather', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_mock0_get_weather', name: 'get_weather' });
  assert.equal(r.json.usage.output_tokens_details.reasoning_tokens, 2);
  const stream = events((await create('tools', { model: 'o4-mini', input: 'weather?', tools: TOOLS, stream: true })).text);
  const names = stream.map((e) => e.event);
  assert.ok(names.includes('response.reasoning_summary_text.delta'));
  assert.equal(stream.filter((e) => e.event === 'response.function_call_arguments.delta').map((e) => e.data.delta).join(''), '{"city":"Paris"}');
  const back = await create('tools', { model: 'o4-mini', tools: TOOLS, input: ['weather?', callItem, { type: 'function_call_output', call_id: callItem.call_id, output: '14C' }].map((i) => (typeof i === 'string' ? { role: 'user', content: i } : i)) });
  assert.equal(back.json.output.at(-1).content[0].text, 'mock: tool result 14C');
});

test('cut answers are incomplete, scenarios misbehave as for chat', async () => {
  const cut = await create('plain', { model: 'm', input: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen', max_output_tokens: 16 });
  assert.equal(cut.json.status, 'incomplete');
  assert.deepEqual(cut.json.incomplete_details, { reason: 'max_output_tokens' });
  mock.setScenario('fail', { stream_error_after: 2 });
  const failed = events((await create('fail', { model: 'm', input: 'a b c', stream: true })).text);
  assert.equal(failed.at(-1).event, 'error');
  assert.equal(failed.at(-1).data.code, 'server_error');
  mock.setScenario('limited', { error: 'rate_limit' });
  const limited = await create('limited', { model: 'm', input: 'x' });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'rate_limit_exceeded');
  mock.setScenario('keyed', { api_key: 'sk-right' });
  assert.equal((await create('keyed', { model: 'm', input: 'x' })).status, 401);
  assert.equal((await create('keyed', { model: 'm', input: 'x' }, { authorization: 'Bearer sk-right' })).status, 200);
});

test('refuses what OpenAI refuses', async () => {
  const cases = [
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'messages', /Unknown parameter: 'messages'/],
    [{ input: 'x' }, 'model', /Missing required parameter: 'model'/],
    [{ model: 'm' }, 'input', /Missing required parameter: 'input'/],
    [{ model: 'm', input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id', /Previous response with id 'resp_1' not found/],
    [{ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input', /Item with id 'msg_1' not found/],
    [{ model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role', /Invalid value: 'tool'/],
    [{ model: 'm', input: [{ role: 'assistant', content: [{ type: 'input_text', text: 'x' }] }] }, 'input[0].content[0].type', /'output_text' and 'refusal'/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] }, 'input[0].content[0].type', /Invalid value: 'output_text'/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://x' }] }] }, 'input[0].content[0].image_url', /invalid format/],
    [{ model: 'm', input: [{ type: 'function_call_output', call_id: 'call_9', output: 'x' }] }, 'input', /No tool call found for function call output with call_id call_9/],
    [{ model: 'm', input: [{ type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{}' }] }, 'input', /No tool output found for function call call_9/],
    [{ model: 'm', input: [{ type: 'reasoning', id: 'rs_1' }] }, 'input[0].summary', /Missing required parameter/],
    [{ model: 'm', input: [{ type: 'carrier_pigeon' }] }, 'input[0].type', /Invalid value: 'carrier_pigeon'/],
    [{ model: 'm', input: 'x', temperature: 3 }, 'temperature', /decimal above maximum value/],
    [{ model: 'm', input: 'x', max_output_tokens: 5 }, 'max_output_tokens', /Expected a value >= 16/],
    [{ model: 'm', input: 'x', stream_options: { include_obfuscation: false } }, 'stream_options', /only allowed when 'stream' is enabled/],
    [{ model: 'm', input: 'x', tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools[0].name', /Missing required parameter/],
    [{ model: 'm', input: 'x', tools: [{ type: 'teleport' }] }, 'tools[0].type', /Invalid value: 'teleport'/],
    [{ model: 'm', input: 'x', tool_choice: 'required' }, 'tool_choice', /must be specified with 'tools'/],
    [{ model: 'm', input: 'x', text: { format: { type: 'json_schema' } } }, 'text.format.name', /Missing required parameter/],
  ];
  for (const [body, param, message] of cases) {
    const r = await create('plain', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.equal(r.json.error.param, param, JSON.stringify(body));
    assert.match(r.json.error.message, message);
  }
  // Built-in tools and their items are OpenAI's own: accepted.
  const search = await create('plain', { model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'web_search_call', id: 'ws_1', status: 'completed' }], tools: [{ type: 'web_search_preview' }] });
  assert.equal(search.status, 200);
});

test("the official SDK's stream helper accumulates the mock's stream", async (t) => {
  let OpenAI;
  try { ({ default: OpenAI } = await import('openai')); } catch { return t.skip('npm openai is not installed here'); }
  const client = new OpenAI({ apiKey: 'sk-x', baseURL: mock.scenarioUrl('tools') });
  mock.setScenario('tools', { tool_call: { name: 'get_weather', arguments: { city: 'Oslo' }, text: 'Checking.' }, reasoning: 'Hmm.' });
  const stream = client.responses.stream({ model: 'o4-mini', input: 'weather?', tools: TOOLS });
  const final = await stream.finalResponse();
  assert.equal(final.status, 'completed');
  assert.equal(final.output_text, 'Checking.');
  assert.deepEqual(final.output.map((o) => o.type), ['reasoning', 'message', 'function_call']);
  assert.equal(final.output[2].arguments, '{"city":"Oslo"}');
});
