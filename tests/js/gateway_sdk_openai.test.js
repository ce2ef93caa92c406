// The official `openai` npm client, unmodified, against the edge gateway (workerd + the WASI
// core): responses.create non-stream and stream, the responses.stream helper and
// finalResponse(), a function-call round trip, previous_response_id with and without a
// persistent tier, models.list / models.retrieve (ids with '/'), images.generate, and errors
// as the SDK's typed APIError subclasses. Against echo and the mock upstream speaking each
// provider format (openai: the Responses fast path; anthropic; gemini; openai-compatible: chat).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { GATEWAY_KEY, TARGETS, WEATHER_CALL, WEATHER_RESULT, WEATHER_SCHEMA, afterTool, failAfterText, startSdkGateway } from './gateway/sdk.js';

const opts = { timeout: 30000 };
const WEATHER_TOOL = { type: 'function', name: 'get_weather', description: 'Current weather in a city', parameters: WEATHER_SCHEMA, strict: true };

let sdk;
let client;

before(async () => {
  sdk = await startSdkGateway({
    name: 'sdk-openai',
    roles: ['plain', 'tool', 'image', 'mid', 'early'],
    scenarios: { tool: { tool_call: WEATHER_CALL }, mid: (target) => failAfterText(target, 'responses'), early: { stream_error_after: 1 } },
  });
  client = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${sdk.url}/v1`, maxRetries: 0, timeout: 15000 });
});

after(async () => sdk?.stop());

// The event types of a Responses stream in the order the SDK's accumulator needs them.
function assertEventOrder(events, { text }) {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'response.created', types.join());
  assert.equal(types.at(-1), 'response.completed', types.join());
  const at = (t) => types.indexOf(t);
  const last = (t) => types.lastIndexOf(t);
  assert.ok(at('response.output_item.added') > 0, types.join());
  if (text) {
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    assert.ok(deltas.length >= 1, types.join());
    assert.ok(at('response.output_item.added') < at('response.content_part.added'), types.join());
    assert.ok(at('response.content_part.added') < at('response.output_text.delta'), types.join());
    assert.ok(last('response.output_text.delta') < at('response.output_text.done'), types.join());
    assert.ok(at('response.output_text.done') < at('response.content_part.done'), types.join());
    assert.ok(at('response.content_part.done') < last('response.output_item.done'), types.join());
  }
  assert.ok(last('response.output_item.done') < at('response.completed'), types.join());
  const numbers = events.map((e) => e.sequence_number);
  assert.ok(numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n > numbers[i - 1])), `sequence_number increases: ${numbers}`);
  const ids = new Set(events.filter((e) => e.response).map((e) => e.response.id));
  assert.equal(ids.size, 1, 'one response id across the stream');
}

for (const [target, spec] of Object.entries(TARGETS)) {
  describe(`openai SDK → ${target}`, () => {
    const model = (role = 'plain') => `${target}-${role}`;

    test('responses.create answers a Response', opts, async () => {
      const response = await client.responses.create({
        model: model(),
        input: 'Say hello to Ada',
        instructions: 'Be brief.',
        max_output_tokens: 200,
        temperature: 0.5,
        top_p: 0.9,
        metadata: { case: 'non-stream' },
      });
      assert.equal(response.object, 'response');
      assert.match(response.id, /^resp_/);
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, spec.answer('Say hello to Ada'));
      const message = response.output.find((i) => i.type === 'message');
      assert.equal(message.role, 'assistant');
      assert.equal(message.content[0].type, 'output_text');
      assert.ok(Array.isArray(message.content[0].annotations));
      const u = response.usage;
      assert.ok(u.input_tokens > 0 && u.output_tokens > 0, JSON.stringify(u));
      assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
      assert.equal(typeof u.input_tokens_details.cached_tokens, 'number');
      assert.equal(typeof u.output_tokens_details.reasoning_tokens, 'number');
      assert.equal(response.instructions, 'Be brief.');
      assert.equal(response.temperature, 0.5);
      assert.deepEqual(response.metadata, { case: 'non-stream' });
      if (target === 'openai') {
        const sent = sdk.last(target);
        assert.equal(sent.route, 'POST /v1/responses', 'a type openai target is sent the Responses request itself');
        assert.equal(sent.json.model, spec.model);
        assert.equal(sent.json.input, 'Say hello to Ada');
        assert.equal(sent.json.instructions, 'Be brief.');
        assert.deepEqual(sent.json.metadata, { case: 'non-stream' });
      }
      if (target === 'compat') {
        const sent = sdk.last(target);
        assert.equal(sent.route, 'POST /v1/chat/completions');
        assert.deepEqual(sent.json.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello to Ada' }]);
        assert.equal(sent.json.max_tokens ?? sent.json.max_completion_tokens, 200);
      }
    });

    test('responses.create with stream: true yields the typed events in order', opts, async () => {
      const stream = await client.responses.create({ model: model(), input: [{ role: 'user', content: 'Stream three words' }], stream: true });
      const events = [];
      for await (const event of stream) events.push(event);
      assertEventOrder(events, { text: true });
      const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
      assert.equal(text, spec.answer('Stream three words'));
      assert.equal(events.find((e) => e.type === 'response.output_text.done').text, text);
      const completed = events.at(-1).response;
      assert.equal(completed.status, 'completed');
      assert.equal(completed.output.find((i) => i.type === 'message').content[0].text, text);
      assert.ok(completed.usage.output_tokens > 0, JSON.stringify(completed.usage));
      if (target === 'openai') assert.equal(sdk.last(target).route, 'POST /v1/responses');
    });

    test('responses.stream: text events and finalResponse()', opts, async () => {
      const stream = client.responses.stream({ model: model(), input: 'Helper stream please' });
      let deltas = '';
      stream.on('response.output_text.delta', (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      assert.equal(final.output_text, spec.answer('Helper stream please'));
      assert.equal(deltas, final.output_text);
      assert.equal(final.status, 'completed');
    });

    // Anthropic has no JSON mode: its codec asks for a forced tool, which the mock answers only
    // when a scenario names the tool; so Anthropic is left out here.
    if (target !== 'anthropic') {
      test('responses.parse: text.format json_schema gives output_parsed', opts, async () => {
        const schema = { type: 'object', properties: { mock: { type: 'string' } }, required: ['mock'], additionalProperties: false };
        const response = await client.responses.parse({ model: model(), input: 'json please', text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } } });
        assert.deepEqual(response.output_parsed, { mock: target === 'echo' ? 'json please' : 'mock: json please' });
        assert.equal(response.text.format.type, 'json_schema');
        if (target === 'compat') assert.equal(sdk.last(target).json.response_format.type, 'json_schema');
      });
    }

    test('reasoning.effort is taken (mapped where the target has an equivalent, else dropped)', opts, async () => {
      const response = await client.responses.create({ model: model(), input: 'think a little', reasoning: { effort: 'low' } });
      assert.equal(response.output_text, spec.answer('think a little'));
      assert.equal(response.reasoning.effort, 'low');
      const sent = target === 'echo' ? null : sdk.last(target).json;
      if (target === 'openai') assert.deepEqual(sent.reasoning, { effort: 'low' });
      if (target === 'compat') assert.equal(sent.reasoning_effort, 'low');
    });

    test('a function call round trip: function_call → function_call_output', opts, async () => {
      const input = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await client.responses.create({ model: model('tool'), input, tools: [WEATHER_TOOL], tool_choice: 'required' });
      const call = first.output.find((i) => i.type === 'function_call');
      assert.ok(call, JSON.stringify(first.output));
      assert.equal(call.name, 'get_weather');
      assert.equal(typeof call.call_id, 'string');
      assert.ok(call.call_id.length > 0);
      const args = JSON.parse(call.arguments);
      assert.equal(typeof args.city, 'string');
      if (target !== 'echo') assert.deepEqual(args, WEATHER_CALL.arguments);

      // The same call, streamed: its arguments arrive as function_call_arguments deltas.
      const events = [];
      for await (const e of await client.responses.create({ model: model('tool'), input, tools: [WEATHER_TOOL], tool_choice: 'required', stream: true })) events.push(e);
      assertEventOrder(events, { text: false });
      const streamedArgs = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
      assert.deepEqual(JSON.parse(streamedArgs), args);
      assert.equal(events.find((e) => e.type === 'response.function_call_arguments.done').arguments, streamedArgs);
      const added = events.find((e) => e.type === 'response.output_item.added' && e.item.type === 'function_call');
      assert.equal(added.item.name, 'get_weather');

      const second = await client.responses.create({
        model: model('tool'),
        tools: [WEATHER_TOOL],
        input: [...input, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: WEATHER_RESULT }],
      });
      assert.match(second.output_text, afterTool(target));
      if (target === 'anthropic') {
        const sent = sdk.last(target, 'tool').json;
        const result = sent.messages.at(-1).content.find((b) => b.type === 'tool_result');
        const use = sent.messages.at(-2).content.find((b) => b.type === 'tool_use');
        assert.equal(result.tool_use_id, use.id, 'the tool_result answers the tool_use of the previous turn');
      }
      if (target === 'openai') {
        const sent = sdk.last(target, 'tool').json;
        assert.equal(sent.input.at(-1).type, 'function_call_output');
        assert.equal(sent.input.at(-1).call_id, call.call_id);
      }
    });
  });
}

describe('openai SDK: previous_response_id', () => {
  test('without a persistent tier: 400 that names previous_response_id', opts, async () => {
    const first = await client.responses.create({ model: 'echo-plain', input: 'My name is Ada.' });
    await assert.rejects(
      client.responses.create({ model: 'echo-plain', input: 'What is my name?', previous_response_id: first.id }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 400);
        assert.equal(e.param, 'previous_response_id');
        assert.equal(e.type, 'invalid_request_error');
        assert.match(e.message, /persist/i);
        return true;
      },
    );
  });

  describe('with a persistent tier (the gateway KV)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sdk-kv-'));
    let kept;
    let keptClient;
    before(async () => {
      kept = await startSdkGateway({ name: 'sdk-openai-kv', kvDir: path.join(tmp, 'kv') });
      keptClient = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${kept.url}/v1`, maxRetries: 0, timeout: 15000 });
    });
    after(async () => {
      await kept?.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    for (const target of ['echo', 'openai', 'compat', 'anthropic']) {
      test(`${target}: the next turn carries the kept conversation, non-stream and stream`, opts, async () => {
        const model = `${target}-plain`;
        const first = await keptClient.responses.create({ model, input: `My name is Ada ${target}.`, instructions: 'Be kind.' });
        const alone = await keptClient.responses.create({ model, input: 'What is my name?', store: false });
        const next = await keptClient.responses.create({ model, input: 'What is my name?', previous_response_id: first.id });
        assert.equal(next.previous_response_id, first.id);
        assert.notEqual(next.id, first.id);
        assert.ok(next.usage.input_tokens > alone.usage.input_tokens, `the history counts: ${next.usage.input_tokens} > ${alone.usage.input_tokens}`);
        if (target !== 'echo') {
          const sent = kept.last(target).json;
          const text = JSON.stringify(sent);
          assert.ok(text.includes(`My name is Ada ${target}.`), `the first input went upstream again: ${text}`);
          assert.ok(text.includes(`mock: My name is Ada ${target}.`), `the first answer went upstream as the assistant turn: ${text}`);
          assert.ok(!text.includes('Be kind.'), 'instructions are not carried over');
          if (target === 'openai') assert.equal(sent.previous_response_id, undefined, 'the gateway resolved previous_response_id itself');
        }
        const events = [];
        for await (const e of await keptClient.responses.create({ model, input: 'And again?', previous_response_id: next.id, stream: true })) events.push(e);
        assert.equal(events.at(-1).type, 'response.completed');
        const third = events.at(-1).response;
        assert.ok(third.usage.input_tokens > next.usage.input_tokens, 'three turns count more than two');
        const fourth = await keptClient.responses.create({ model, input: 'Last one', previous_response_id: third.id });
        assert.equal(fourth.status, 'completed', 'a streamed response is kept too');
      });
    }

    test('store: false is not kept; an unknown id is a 400 not found', opts, async () => {
      const unkept = await keptClient.responses.create({ model: 'echo-plain', input: 'Forget me', store: false });
      for (const id of [unkept.id, 'resp_does_not_exist']) {
        await assert.rejects(keptClient.responses.create({ model: 'echo-plain', input: 'x', previous_response_id: id }), (e) => {
          assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
          assert.equal(e.param, 'previous_response_id');
          assert.match(e.message, /not found/);
          return true;
        });
      }
    });
  });
});

describe('openai SDK: models', () => {
  test('models.list lists the configured models and provider/model targets; retrieve finds each, ids with / included', opts, async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    for (const target of Object.keys(TARGETS)) assert.ok(ids.includes(`${target}-plain`), ids.join());
    const slashed = ids.filter((id) => id.includes('/'));
    assert.ok(slashed.includes('openai-plain/gpt-4o-mini'), slashed.join());
    for (const id of [...slashed, 'echo-plain']) {
      const model = await client.models.retrieve(id);
      assert.equal(model.id, id);
      assert.equal(model.object, 'model');
    }
    await assert.rejects(client.models.retrieve('nobody/no-model'), (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
  });
});

describe('openai SDK: images', () => {
  test('echo: b64_json decodes to an SVG of the prompt', opts, async () => {
    const prompt = 'A red <lighthouse> & a "boat"';
    const images = await client.images.generate({ model: 'echo-image', prompt, response_format: 'b64_json' });
    assert.equal(typeof images.created, 'number');
    assert.equal(images.data.length, 1);
    const svg = Buffer.from(images.data[0].b64_json, 'base64').toString('utf8');
    assert.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s>]/);
    assert.ok(svg.includes('A red &lt;lighthouse&gt; &amp; a'), svg);
    const url = await client.images.generate({ model: 'echo-image', prompt, response_format: 'url' });
    assert.match(url.data[0].url, /^data:image\/svg\+xml/);
  });

  test('openai: the mock image endpoint, b64_json and n', opts, async () => {
    const images = await client.images.generate({ model: 'openai-image', prompt: 'a small red square', n: 2, size: '1024x1024', response_format: 'b64_json' });
    assert.equal(images.data.length, 2);
    for (const d of images.data) assert.equal(Buffer.from(d.b64_json, 'base64').subarray(1, 4).toString('latin1'), 'PNG');
    const sent = sdk.last('openai', 'image');
    assert.equal(sent.route, 'POST /v1/images/generations');
    assert.equal(sent.json.prompt, 'a small red square');
    assert.equal(sent.json.n, 2);
  });

  test('openai: url answers (dall-e-3 the provider\'s URL, gpt-image-1 a data: URL); dall-e-3 refuses n > 1 naming n', opts, async () => {
    const dalle = await client.images.generate({ model: 'openai-image/dall-e-3', prompt: 'a red square', response_format: 'url' });
    assert.match(dalle.data[0].url, /^https:\/\//);
    assert.equal(typeof dalle.data[0].revised_prompt, 'string');
    assert.equal(sdk.last('openai', 'image').json.model, 'dall-e-3');
    const gpt = await client.images.generate({ model: 'openai-image', prompt: 'a red square', response_format: 'url' });
    assert.match(gpt.data[0].url, /^data:image\/png;base64,/);
    assert.ok(gpt.usage.total_tokens > 0, 'gpt-image-1 reports its tokens');
    await assert.rejects(client.images.generate({ model: 'openai-image/dall-e-3', prompt: 'x', n: 2 }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.param, 'n');
      return true;
    });
  });

  test('gemini: an image model through generateContent', opts, async () => {
    const images = await client.images.generate({ model: 'gemini-image', prompt: 'a small blue square', response_format: 'b64_json' });
    assert.equal(images.data.length, 1);
    assert.ok(Buffer.from(images.data[0].b64_json, 'base64').length > 8);
    assert.match(sdk.last('gemini', 'image').route, /^POST \/v1beta\/models\/\{model\}:(generateContent|predict)$/);
  });

  test('anthropic cannot draw: a 400 naming model', opts, async () => {
    await assert.rejects(client.images.generate({ model: 'anthropic-image', prompt: 'x' }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.param, 'model');
      return true;
    });
  });
});

describe('openai SDK: errors', () => {
  test('errors surface as the SDK typed errors with status, type, code and param', opts, async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${sdk.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.responses.create({ model: 'echo-plain', input: 'x' }), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 401);
      assert.equal(e.type, 'authentication_error');
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'no-such-model', input: 'x' }), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.param, 'model');
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'echo-plain', input: 'x', temperature: 7 }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.param, 'temperature');
      assert.equal(e.type, 'invalid_request_error');
      assert.equal(typeof e.code, 'string');
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'echo-plain', input: [{ type: 'function_call_output' }] }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e?.message}`);
      assert.match(e.param, /^input\[0\]/);
      return true;
    });
  });

  for (const target of ['compat', 'anthropic', 'openai']) {
    test(`${target}: an upstream failure mid-stream ends the SDK stream with an error`, opts, async () => {
      const seen = [];
      await assert.rejects(
        (async () => {
          const stream = await client.responses.create({ model: `${target}-mid`, input: 'one two three four five six', stream: true });
          for await (const e of stream) seen.push(e);
        })(),
        (e) => {
          // The SDK throws the Responses `error` event as an APIError (openai 6 yielded it).
          assert.ok(e instanceof OpenAI.APIError, `${e?.constructor?.name}: ${e?.message}`);
          assert.match(e.message, /failed mid-stream/);
          assert.equal(typeof e.code, 'string');
          return true;
        },
      );
      assert.ok(seen.some((e) => e.type === 'response.output_text.delta'), `text came first: ${seen.map((e) => e.type)}`);
      assert.ok(!seen.some((e) => e.type === 'response.completed'), 'no response.completed after a failure');
    });
  }

  // An Anthropic stream's opening events (message_start, ping…) are held back until content
  // comes, so a failure before any is an HTTP error (and could fail over). A chat-completions
  // upstream commits at its first chunk, so the same failure there is an `error` event instead.
  for (const target of ['anthropic']) {
    test(`${target}: an upstream failure before any text is an HTTP error, thrown as APIError`, opts, async () => {
      await assert.rejects(
        (async () => {
          for await (const e of await client.responses.create({ model: `${target}-early`, input: 'one two three', stream: true })) assert.fail(`no event: ${e.type}`);
        })(),
        (e) => {
          assert.ok(e instanceof OpenAI.APIError, `${e?.constructor?.name}: ${e?.message}`);
          assert.ok(e.status >= 500, `status ${e.status}`);
          return true;
        },
      );
    });
  }
});
