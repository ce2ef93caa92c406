// The Vercel AI SDK (`ai` + `@ai-sdk/openai`), unmodified, against the edge gateway (workerd +
// the WASI core): createOpenAI({ baseURL, apiKey }) and its default model, which speaks the
// Responses API (POST /v1/responses). generateText and streamText, a tool call executed by the
// SDK and answered in a second step, and an error as the SDK's APICallError. Against echo and
// the mock upstream speaking each provider format (openai: the Responses fast path; anthropic;
// gemini; openai-compatible: chat completions).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';

import { GATEWAY_KEY, TARGETS, WEATHER_CALL, WEATHER_RESULT, WEATHER_SCHEMA, startSdkGateway } from './gateway/sdk.js';

const opts = { timeout: 30000 };

let sdk;
let openai;

before(async () => {
  sdk = await startSdkGateway({ name: 'sdk-ai', roles: ['plain', 'tool'], scenarios: { tool: { tool_call: WEATHER_CALL } } });
  openai = createOpenAI({ baseURL: `${sdk.url}/v1`, apiKey: GATEWAY_KEY });
});

after(async () => sdk?.stop());

// The weather tool, executed by the SDK; records the arguments it was called with.
function weatherTools(calls) {
  return {
    get_weather: tool({
      description: 'Current weather in a city',
      inputSchema: jsonSchema(WEATHER_SCHEMA),
      execute: async (input) => {
        calls.push(input);
        return WEATHER_RESULT;
      },
    }),
  };
}

// The first step must call the tool (echo calls one only when forced); the next may answer.
const forceFirstCall = ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'auto' });

for (const [target, spec] of Object.entries(TARGETS)) {
  describe(`ai SDK (@ai-sdk/openai default model) → ${target}`, () => {
    const model = (role = 'plain') => openai(`${target}-${role}`);

    test('the default model is the Responses API', () => {
      assert.equal(model().provider, 'openai.responses');
    });

    test('generateText', opts, async () => {
      const result = await generateText({ model: model(), system: 'Be brief.', prompt: 'Hello AI SDK', maxRetries: 0 });
      assert.equal(result.text, spec.answer('Hello AI SDK'));
      assert.equal(result.finishReason, 'stop');
      assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0, JSON.stringify(result.usage));
      assert.match(result.response.id, /^resp_/);
      if (target === 'openai') {
        const sent = sdk.last(target);
        assert.equal(sent.route, 'POST /v1/responses');
        assert.equal(sent.json.model, spec.model);
      }
    });

    test('streamText', opts, async () => {
      const result = streamText({ model: model(), prompt: 'Stream for the AI SDK', maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      assert.equal(text, spec.answer('Stream for the AI SDK'));
      assert.equal(await result.finishReason, 'stop');
      const usage = await result.usage;
      assert.ok(usage.outputTokens > 0, JSON.stringify(usage));
    });

    test('a tool call: generateText runs the tool and answers in a second step', opts, async () => {
      const calls = [];
      const result = await generateText({
        model: model('tool'),
        prompt: 'What is the weather in Paris?',
        tools: weatherTools(calls),
        prepareStep: forceFirstCall,
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      assert.equal(result.steps.length, 2, JSON.stringify(result.steps.map((s) => s.finishReason)));
      assert.equal(result.steps[0].toolCalls[0].toolName, 'get_weather');
      assert.equal(result.steps[0].finishReason, 'tool-calls');
      assert.equal(calls.length, 1);
      assert.equal(typeof calls[0].city, 'string');
      if (target !== 'echo') assert.deepEqual(calls[0], WEATHER_CALL.arguments);
      assert.match(result.text, new RegExp(WEATHER_RESULT));
      assert.equal(result.finishReason, 'stop');
    });

    test('a tool call: streamText streams the call, its result and the answer', opts, async () => {
      const calls = [];
      const result = streamText({
        model: model('tool'),
        prompt: 'What is the weather in Paris?',
        tools: weatherTools(calls),
        prepareStep: forceFirstCall,
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      const parts = [];
      for await (const part of result.fullStream) {
        if (part.type === 'error') throw part.error;
        parts.push(part);
      }
      const types = parts.map((p) => p.type);
      assert.ok(types.indexOf('tool-call') < types.indexOf('tool-result'), types.join());
      assert.ok(types.indexOf('tool-result') < types.lastIndexOf('text-delta'), types.join());
      assert.equal(parts.find((p) => p.type === 'tool-call').toolName, 'get_weather');
      assert.equal(calls.length, 1);
      assert.match(await result.text, new RegExp(WEATHER_RESULT));
    });
  });
}

// A chat app's second turn: the SDK sends the first turn's assistant text back as an
// item_reference to the response item it came from (store defaults to true), which only a
// gateway that keeps responses (a host tier) can resolve; with store: false it sends the text.
describe('ai SDK: a second turn with the first turn\'s response.messages', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sdk-ai-kv-'));
  let kept;
  before(async () => {
    kept = await startSdkGateway({ name: 'sdk-ai-kv', kvDir: path.join(tmp, 'kv') });
  });
  after(async () => {
    await kept?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const secondTurn = async (provider, model, providerOptions) => {
    const first = await generateText({ model: provider(model), prompt: 'My name is Ada.', providerOptions, maxRetries: 0 });
    const messages = [{ role: 'user', content: 'My name is Ada.' }, ...first.response.messages, { role: 'user', content: 'What is my name?' }];
    return { first, second: await generateText({ model: provider(model), messages, providerOptions, maxRetries: 0 }) };
  };

  for (const target of ['echo', 'openai', 'anthropic']) {
    test(`${target}: with a host tier the item reference is resolved`, opts, async () => {
      const provider = createOpenAI({ baseURL: `${kept.url}/v1`, apiKey: GATEWAY_KEY });
      const { first, second } = await secondTurn(provider, `${target}-plain`);
      assert.equal(second.text, TARGETS[target].answer('What is my name?'));
      assert.ok(second.usage.inputTokens > first.usage.inputTokens, 'the earlier turns count');
      if (target !== 'echo') {
        const sent = JSON.stringify(kept.last(target).json);
        assert.ok(sent.includes(TARGETS[target].answer('My name is Ada.')), `the first answer went upstream: ${sent}`);
        assert.ok(!sent.includes('item_reference'), 'the gateway resolved the reference itself');
      }
    });
  }

  test('without a host tier: store: false sends the text itself and works; the default is a clear 400', opts, async () => {
    const { second } = await secondTurn(openai, 'compat-plain', { openai: { store: false } });
    assert.equal(second.text, 'mock: What is my name?');
    assert.ok(JSON.stringify(sdk.last('compat').json).includes('mock: My name is Ada.'));
    await assert.rejects(secondTurn(openai, 'echo-plain'), (e) => {
      assert.ok(APICallError.isInstance(e), `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.statusCode, 400);
      assert.match(JSON.parse(e.responseBody).error.param, /^input\[\d+\]/);
      return true;
    });
  });
});

describe('ai SDK: errors', () => {
  test('an unknown model is an APICallError with the status and the error document', opts, async () => {
    await assert.rejects(generateText({ model: openai('no-such-model'), prompt: 'x', maxRetries: 0 }), (e) => {
      assert.ok(APICallError.isInstance(e), `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.statusCode, 404);
      assert.equal(JSON.parse(e.responseBody).error.param, 'model');
      return true;
    });
  });

  test('a bad key is an APICallError 401', opts, async () => {
    const wrong = createOpenAI({ baseURL: `${sdk.url}/v1`, apiKey: 'sk-wrong' });
    await assert.rejects(generateText({ model: wrong('echo-plain'), prompt: 'x', maxRetries: 0 }), (e) => {
      assert.ok(APICallError.isInstance(e), `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.statusCode, 401);
      return true;
    });
  });
});
