// The official `@anthropic-ai/sdk` client, unmodified, against the edge gateway (workerd + the
// WASI core): messages.create, messages.stream (text events, finalMessage()), a tool round trip
// (tool_use → tool_result), an image block, thinking blocks whose signature goes back intact,
// countTokens, and errors in Anthropic's shape as the SDK's typed errors. Against echo and the
// mock upstream speaking each provider format (anthropic: the same-format fast path; openai
// and openai-compatible: chat completions; gemini).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import { GATEWAY_KEY, TARGETS, WEATHER_CALL, WEATHER_RESULT, WEATHER_SCHEMA, afterTool, failAfterText, startSdkGateway } from './gateway/sdk.js';

const opts = { timeout: 30000 };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const WEATHER_TOOL = { name: 'get_weather', description: 'Current weather in a city', input_schema: WEATHER_SCHEMA };
const ANTHROPIC_ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'overloaded_error', 'timeout_error'];

let sdk;
let client;

before(async () => {
  sdk = await startSdkGateway({
    name: 'sdk-anthropic',
    roles: ['plain', 'tool', 'think', 'mid'],
    scenarios: {
      tool: { tool_call: WEATHER_CALL },
      think: { tool_call: WEATHER_CALL },
      mid: (target) => failAfterText(target),
    },
  });
  client = new Anthropic({ apiKey: GATEWAY_KEY, baseURL: sdk.url, maxRetries: 0, timeout: 15000 });
});

after(async () => sdk?.stop());

for (const [target, spec] of Object.entries(TARGETS)) {
  describe(`anthropic SDK → ${target}`, () => {
    const model = (role = 'plain') => `${target}-${role}`;

    test('messages.create answers a Message', opts, async () => {
      const message = await client.messages.create({
        model: model(),
        max_tokens: 256,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Say hello to Ada' }],
        temperature: 0.5,
        stop_sequences: ['STOP HERE'],
        metadata: { user_id: 'user-42' },
      });
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      assert.match(message.id, /^msg_/);
      assert.deepEqual(message.content, [{ type: 'text', text: spec.answer('Say hello to Ada') }]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0, JSON.stringify(message.usage));
      if (target === 'anthropic') {
        const sent = sdk.last(target);
        assert.equal(sent.route, 'POST /v1/messages');
        assert.equal(sent.json.model, spec.model);
        assert.equal(sent.json.system, 'Be brief.');
        assert.deepEqual(sent.json.stop_sequences, ['STOP HERE']);
        assert.deepEqual(sent.json.metadata, { user_id: 'user-42' });
      }
      if (target === 'compat' || target === 'openai') {
        const sent = sdk.last(target);
        assert.equal(sent.route, 'POST /v1/chat/completions');
        assert.deepEqual(sent.json.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello to Ada' }]);
        assert.deepEqual([sent.json.stop].flat(), ['STOP HERE']);
        assert.equal(sent.json.user, 'user-42');
      }
    });

    test('messages.stream: text events and finalMessage()', opts, async () => {
      const stream = client.messages.stream({ model: model(), max_tokens: 256, messages: [{ role: 'user', content: 'Stream three words' }] });
      let text = '';
      const types = [];
      stream.on('text', (delta) => (text += delta));
      stream.on('streamEvent', (event) => types.push(event.type));
      const final = await stream.finalMessage();
      assert.equal(text, spec.answer('Stream three words'));
      assert.equal(final.content.length, 1, JSON.stringify(final.content));
      assert.equal(final.content[0].type, 'text');
      assert.equal(final.content[0].text, text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.ok(final.usage.output_tokens > 0);
      assert.equal(types[0], 'message_start');
      assert.equal(types.at(-1), 'message_stop');
      assert.equal(types.at(-2), 'message_delta');
      assert.ok(types.indexOf('content_block_start') < types.indexOf('content_block_delta'), types.join());
      assert.ok(types.lastIndexOf('content_block_delta') < types.lastIndexOf('content_block_stop'), types.join());
    });

    test('messages.create with stream: true yields the raw events', opts, async () => {
      const stream = await client.messages.create({ model: model(), max_tokens: 64, messages: [{ role: 'user', content: 'raw events' }], stream: true });
      const events = [];
      for await (const e of stream) events.push(e);
      assert.equal(events[0].type, 'message_start');
      assert.deepEqual(events[0].message.content, []);
      const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
      assert.equal(text, spec.answer('raw events'));
      const delta = events.find((e) => e.type === 'message_delta');
      assert.equal(delta.delta.stop_reason, 'end_turn');
      assert.ok(delta.usage.output_tokens > 0);
    });

    test('a tool round trip: tool_use → tool_result, non-stream and stream', opts, async () => {
      const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await client.messages.create({ model: model('tool'), max_tokens: 256, tools: [WEATHER_TOOL], tool_choice: { type: 'any' }, messages: ask });
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(first.content));
      assert.equal(use.name, 'get_weather');
      assert.match(use.id, /^[a-zA-Z0-9_-]+$/);
      assert.equal(typeof use.input.city, 'string');
      if (target !== 'echo') assert.deepEqual(use.input, WEATHER_CALL.arguments);

      const stream = client.messages.stream({ model: model('tool'), max_tokens: 256, tools: [WEATHER_TOOL], tool_choice: { type: 'any' }, messages: ask });
      let json = '';
      stream.on('inputJson', (partial) => (json += partial));
      const streamed = await stream.finalMessage();
      const streamedUse = streamed.content.find((b) => b.type === 'tool_use');
      assert.deepEqual(streamedUse.input, use.input);
      assert.deepEqual(JSON.parse(json), use.input);
      assert.equal(streamed.stop_reason, 'tool_use');

      const second = await client.messages.create({
        model: model('tool'),
        max_tokens: 256,
        tools: [WEATHER_TOOL],
        messages: [...ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: WEATHER_RESULT }] }],
      });
      assert.equal(second.stop_reason, 'end_turn');
      assert.match(second.content[0].text, afterTool(target));
      if (target === 'anthropic') {
        const sent = sdk.last(target, 'tool').json;
        assert.deepEqual(sent.messages.at(-2).content.find((b) => b.type === 'tool_use'), use, 'the tool_use went back as it came');
      }
      if (target === 'compat' || target === 'openai') {
        const sent = sdk.last(target, 'tool').json;
        assert.equal(sent.messages.at(-1).role, 'tool');
        assert.equal(sent.messages.at(-1).tool_call_id, use.id);
        assert.equal(sent.messages.at(-2).tool_calls[0].id, use.id);
      }
    });

    test('an image block reaches the target in its own format', opts, async () => {
      const message = await client.messages.create({
        model: model(),
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }],
      });
      if (target === 'echo') assert.match(message.content[0].text, /^what is this\s+\[image\]$/);
      else assert.equal(message.content[0].text, 'mock: what is this [image]');
      if (target === 'anthropic') assert.deepEqual(sdk.last(target).json.messages[0].content[1].source, { type: 'base64', media_type: 'image/png', data: PNG });
    });
  });
}

// The mock answers extended thinking with a thinking block whose signature it checks when the
// block comes back (a 400 otherwise), as Anthropic does.
describe('anthropic SDK: thinking and cache_control against the mock anthropic (fast path)', () => {
  const thinking = { type: 'enabled', budget_tokens: 1024 };
  const system = [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }];
  const ask = { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?', cache_control: { type: 'ephemeral', ttl: '1h' } }] };

  test('thinking, its signature and a tool_use come back intact and go back intact', opts, async () => {
    const first = await client.messages.create({ model: 'anthropic-think', max_tokens: 2048, thinking, system, tools: [WEATHER_TOOL], messages: [ask] });
    assert.deepEqual(first.content.map((b) => b.type), ['thinking', 'tool_use']);
    const [block, use] = first.content;
    assert.match(block.thinking, /^mock thinking/);
    assert.ok(block.signature.length > 0);
    let sent = sdk.last('anthropic', 'think');
    assert.deepEqual(sent.json.thinking, thinking);
    assert.deepEqual(sent.json.system, system, 'cache_control on system blocks arrives intact');
    assert.deepEqual(sent.json.messages[0], ask, 'cache_control (with its ttl) on a text block arrives intact');

    // The tool-use turn goes back whole, thinking first, as extended thinking requires.
    const second = await client.messages.create({
      model: 'anthropic-think',
      max_tokens: 2048,
      thinking,
      system,
      tools: [WEATHER_TOOL],
      messages: [ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: WEATHER_RESULT }] }],
    });
    assert.equal(second.stop_reason, 'end_turn');
    assert.match(second.content.at(-1).text, afterTool('anthropic'));
    sent = sdk.last('anthropic', 'think');
    assert.deepEqual(sent.json.messages[1].content, first.content, 'thinking and signature went back as they came');
    assert.ok(sent.body.includes(JSON.stringify(block.signature)), 'the signature text is unchanged in the upstream body');
  });

  test('streamed: thinking and signature deltas; finalMessage() holds the signed block, which goes back intact', opts, async () => {
    const stream = client.messages.stream({ model: 'anthropic-plain', max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'Pick a prime' }] });
    let thought = '';
    let signature = '';
    stream.on('thinking', (delta) => (thought += delta));
    stream.on('streamEvent', (e) => {
      if (e.type === 'content_block_delta' && e.delta.type === 'signature_delta') signature += e.delta.signature;
    });
    const final = await stream.finalMessage();
    assert.equal(final.content[0].type, 'thinking');
    assert.equal(final.content[0].thinking, thought);
    assert.equal(final.content[0].signature, signature);
    assert.ok(signature.length > 0);
    assert.equal(final.content[1].text, 'mock: Pick a prime');
    const next = await client.messages.create({
      model: 'anthropic-plain',
      max_tokens: 2048,
      thinking,
      messages: [{ role: 'user', content: 'Pick a prime' }, { role: 'assistant', content: final.content }, { role: 'user', content: 'Another?' }],
    });
    assert.equal(next.content.at(-1).text, 'mock: Another?');
  });

  test('other targets take thinking as a reasoning budget and answer without thinking blocks', opts, async () => {
    for (const target of ['echo', 'compat', 'gemini']) {
      const message = await client.messages.create({ model: `${target}-plain`, max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'Think briefly' }] });
      assert.equal(message.content.at(-1).text, TARGETS[target].answer('Think briefly'), target);
    }
  });
});

describe('anthropic SDK: countTokens', () => {
  test('answers input_tokens from the gateway, with no upstream call', opts, async () => {
    const before = sdk.seen('anthropic').length;
    const short = await client.messages.countTokens({ model: 'anthropic-plain', messages: [{ role: 'user', content: 'hi' }] });
    const long = await client.messages.countTokens({
      model: 'anthropic-plain',
      system: 'You are a careful assistant who answers in full sentences.',
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Please tell me about the weather in Paris and Rome this weekend.' }],
    });
    assert.ok(Number.isInteger(short.input_tokens) && short.input_tokens > 0, JSON.stringify(short));
    assert.ok(long.input_tokens > short.input_tokens, `${long.input_tokens} > ${short.input_tokens}`);
    assert.equal(sdk.seen('anthropic').length, before);
    const echo = await client.messages.countTokens({ model: 'echo-plain', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(echo.input_tokens, short.input_tokens, 'the same estimate whatever the target');
  });
});

describe('anthropic SDK: errors in Anthropic shape', () => {
  const check = (Class, status, type) => (e) => {
    assert.ok(e instanceof Class, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status);
    assert.equal(e.type, type);
    assert.equal(e.error?.type, 'error', `the body is {"type":"error",…}: ${JSON.stringify(e.error)}`);
    assert.equal(typeof e.error.error.message, 'string');
    return true;
  };

  test('a bad key is an AuthenticationError, streamed or not', opts, async () => {
    const bad = new Anthropic({ apiKey: 'sk-wrong', baseURL: sdk.url, maxRetries: 0 });
    const body = { model: 'echo-plain', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    await assert.rejects(bad.messages.create(body), check(Anthropic.AuthenticationError, 401, 'authentication_error'));
    await assert.rejects(bad.messages.stream(body).finalMessage(), check(Anthropic.AuthenticationError, 401, 'authentication_error'));
    await assert.rejects(bad.messages.countTokens({ model: 'echo-plain', messages: body.messages }), check(Anthropic.AuthenticationError, 401, 'authentication_error'));
  });

  test('the key in Authorization: Bearer works too (Claude Code with ANTHROPIC_AUTH_TOKEN)', opts, async () => {
    const bearer = new Anthropic({ apiKey: null, authToken: GATEWAY_KEY, baseURL: sdk.url, maxRetries: 0 });
    const message = await bearer.messages.create({ model: 'echo-plain', max_tokens: 5, messages: [{ role: 'user', content: 'bearer' }] });
    assert.equal(message.content[0].text, 'bearer');
  });

  test('an unknown model is a NotFoundError; a bad field a BadRequestError', opts, async () => {
    await assert.rejects(client.messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      check(Anthropic.NotFoundError, 404, 'not_found_error'));
    await assert.rejects(client.messages.create({ model: 'echo-plain', messages: [{ role: 'user', content: 'x' }] }), (e) => {
      check(Anthropic.BadRequestError, 400, 'invalid_request_error')(e);
      assert.match(e.message, /max_tokens/);
      return true;
    });
    await assert.rejects(
      client.messages.create({ model: 'echo-plain', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '%%%' } }] }] }),
      (e) => {
        check(Anthropic.BadRequestError, 400, 'invalid_request_error')(e);
        assert.match(e.message, /messages\.0\.content\.0|messages\[0\]\.content\[0\]/);
        return true;
      },
    );
  });

  for (const target of ['anthropic', 'compat', 'gemini']) {
    test(`${target}: an upstream failure mid-stream is an error event the SDK throws as APIError`, opts, async () => {
      const stream = client.messages.stream({ model: `${target}-mid`, max_tokens: 256, messages: [{ role: 'user', content: 'one two three four five six seven' }] });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      await assert.rejects(stream.finalMessage(), (e) => {
        assert.ok(e instanceof Anthropic.APIError, `${e?.constructor?.name}: ${e?.message}`);
        assert.ok(ANTHROPIC_ERROR_TYPES.includes(e.type), `type ${e.type}`);
        return true;
      });
      assert.ok(text.length > 0, 'text came before the failure');
    });
  }
});
