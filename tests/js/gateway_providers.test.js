// Every provider type through the edge gateway (workerd + the WASI core) to the mock upstream
// speaking that provider's own wire format: non-stream and stream, a tool-call round trip with
// ids kept, an image part arriving in the provider's format, usage in the final chunk,
// mid-stream failures, and each provider's errors mapped to SPEC section 3.
// Needs worker/dist/switchyard.wasm (`cmake --preset wasi && cmake --build --preset wasi`);
// SWITCHYARD_WASM may point at another build.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock } from '../mock-upstream/server.mjs';
import { startGateway } from '../../worker/gateway.mjs';
import { call, chat, sseData, track, userMessage } from './gateway/helpers.js';

const KEY = 'sk-provider-key-4f9a';
const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-providers-test-'));
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const opts = { timeout: 20000 };

// The provider types under test: how each is configured against a mock scenario, the model
// name at the provider, and the route the mock counts its chat calls under.
const TYPES = {
  openai: {
    provider: (mock, s) => ({ type: 'openai', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'gpt-4o-mini',
    route: 'POST /v1/chat/completions',
    idPrefix: 'call_mock',
  },
  azure: {
    provider: (mock, s) => ({ type: 'azure-openai', base_url: mock.scenarioUrl(s, ''), api_key: 'env:SY_PROVIDER_KEY', api_version: '2024-10-21' }),
    model: 'my-deployment',
    route: 'POST /openai/deployments/{deployment}/chat/completions',
    idPrefix: 'call_mock',
  },
  anthropic: {
    provider: (mock, s) => ({ type: 'anthropic', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'claude-3-5-haiku-latest',
    route: 'POST /v1/messages',
    idPrefix: 'toolu_mock',
  },
  gemini: {
    provider: (mock, s) => ({ type: 'gemini', base_url: mock.scenarioUrl(s, '/v1beta'), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'gemini-2.0-flash',
    routes: ['POST /v1beta/models/{model}:generateContent', 'POST /v1beta/models/{model}:streamGenerateContent'],
    route: 'POST /v1beta/models/{model}:generateContent',
    idPrefix: null,  // Gemini's function calls carry no id: the gateway makes one up
  },
  compat: {  // openai-compatible with a preset, pointed at the mock by base_url
    provider: (mock, s) => ({ type: 'openai-compatible', preset: 'groq', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'llama-3.1-8b-instant',
    route: 'POST /v1/chat/completions',
    idPrefix: 'call_mock',
  },
};

// Each type gets one provider (and one model of the same name) per role, each on its own
// mock scenario `p-<type>-<role>`, so that failures in one test never trip another's breaker.
const ROLES = ['plain', 'tool', 'tools2', 'image', 'mid', 'cut', 'split', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
const name = (t, role) => `${t}-${role}`;
const scenario = (t, role) => `p-${t}-${role}`;

const WEATHER = { type: 'function', function: { name: 'get_weather', description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } };

let mock;
let gateway;

function config() {
  const providers = { echo: { type: 'echo' }, groq_default: { type: 'openai-compatible', preset: 'groq', api_key: 'env:SY_PROVIDER_KEY' } };
  const models = { 'groq-default': { strategy: 'fallback', targets: [{ provider: 'groq_default', model: 'llama-3.1-8b-instant' }] } };
  for (const [t, spec] of Object.entries(TYPES)) {
    for (const role of ROLES) {
      providers[name(t, role)] = spec.provider(mock, scenario(t, role));
      models[name(t, role)] = { strategy: 'fallback', targets: [{ provider: name(t, role), model: spec.model }] };
    }
    // e1 fails, plain answers
    models[name(t, 'fo')] = { strategy: 'fallback', targets: [{ provider: name(t, 'e1'), model: spec.model }, { provider: name(t, 'plain'), model: spec.model }] };
  }
  return {
    providers, models,
    retry: { attempts: 1, backoff_ms: 1, max_backoff_ms: 10 },
    breaker: { failures: 1000, cooldown_ms: 1000 },
    cache: { enabled: false },
  };
}

before(async () => {
  mock = await startMock();
  for (const t of Object.keys(TYPES)) {
    for (const role of ROLES) mock.setScenario(scenario(t, role), { api_key: KEY });
    mock.setScenario(scenario(t, 'tool'), { api_key: KEY, tool_call: { name: 'get_weather', arguments: { city: 'Paris' }, text: 'Let me check.' } });
    mock.setScenario(scenario(t, 'tools2'), { api_key: KEY, tool_call: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] });
    // fail after some answer text has gone out (azure's stream starts with a choice-less chunk,
    // anthropic's with message_start and ping, gemini's first event already carries text)
    const after = { openai: 3, compat: 3, azure: 4, anthropic: 5, gemini: 2 }[t];
    mock.setScenario(scenario(t, 'mid'), { api_key: KEY, stream_error_after: after, drip_ms: 5 });
    mock.setScenario(scenario(t, 'cut'), { api_key: KEY, truncate_stream_after: after, drip_ms: 5 });
    mock.setScenario(scenario(t, 'split'), { api_key: KEY, chunk_bytes: 3 });
  }
  gateway = await startGateway({
    configText: JSON.stringify(config()), port: 0, outDir: path.join(tmp, 'gw'), env: { SY_PROVIDER_KEY: KEY }, wasmPath,
  });
  track(gateway.child);
});

after(async () => {
  await gateway?.stop();
  await mock?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The last request the mock received for a scenario, its JSON body parsed. */
function seen(s) {
  const q = mock.requests().filter((r) => r.scenario === s).at(-1);
  assert.ok(q, `the mock received nothing for scenario ${s}`);
  let body;
  try { body = JSON.parse(q.body); } catch {}
  return { ...q, json: body };
}

const baselines = new Map();  // scenario → calls already counted before resetCounts()
const rawCount = (t, s) => {
  const counts = mock.counts()[s] ?? {};
  return (TYPES[t].routes ?? [TYPES[t].route]).reduce((n, r) => n + (counts[r] ?? 0), 0);
};
const chatCount = (t, s) => rawCount(t, s) - (baselines.get(s) ?? 0);
const resetCounts = (t, s) => baselines.set(s, rawCount(t, s));

/** The chunks of an SSE answer (parsed), checking it ends with [DONE]. */
function chunksOf(r) {
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const data = sseData(r.text);
  assert.equal(data.at(-1), '[DONE]', r.text);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk', JSON.stringify(c));
  return chunks;
}

/** Tool calls reassembled from stream deltas, by index. */
function streamedToolCalls(chunks) {
  const calls = [];
  for (const c of chunks) {
    for (const d of c.choices?.[0]?.delta?.tool_calls ?? []) {
      const call = (calls[d.index] ??= { id: undefined, name: '', arguments: '' });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name += d.function.name;
      if (d.function?.arguments) call.arguments += d.function.arguments;
    }
  }
  return calls;
}

function assertError(r, status, errorType) {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.json?.error?.message, 'string', r.text);
  assert.equal(r.json.error.metadata?.error_type, errorType, r.text);
  assert.ok(!r.text.includes(KEY), 'the provider key leaked');
}

/** The mock's own check of the key in the provider's header, plus the header's name. */
function assertAuth(t, q) {
  const h = q.headers;
  if (t === 'anthropic') {
    assert.equal(h['x-api-key'], KEY);
    assert.ok(h['anthropic-version'], 'anthropic-version header');
    assert.equal(h.authorization, undefined);
  } else if (t === 'gemini') {
    assert.equal(h['x-goog-api-key'] ?? q.query.key, KEY);
  } else if (t === 'azure') {
    assert.equal(h['api-key'], KEY);
    assert.equal(q.query['api-version'], '2024-10-21');
    assert.equal(q.path, '/openai/deployments/my-deployment/chat/completions');
  } else {
    assert.equal(h.authorization, `Bearer ${KEY}`);
  }
}

for (const [t, spec] of Object.entries(TYPES)) {
  describe(`provider type ${t}`, () => {
    test('non-stream: an OpenAI chat.completion with usage, from the provider format', opts, async () => {
      const r = await chat(gateway.url, { model: name(t, 'plain'), messages: [{ role: 'system', content: 'Be brief.' }, ...userMessage(`hello ${t}`)] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.object, 'chat.completion');
      assert.equal(r.json.choices[0].message.role, 'assistant');
      assert.equal(r.json.choices[0].message.content, `mock: hello ${t}`);
      assert.equal(r.json.choices[0].finish_reason, 'stop');
      assert.deepEqual(
        [r.json.usage?.prompt_tokens, r.json.usage?.completion_tokens, r.json.usage?.total_tokens], [4, 3, 7], JSON.stringify(r.json.usage));
      assert.equal(r.headers.get('x-switchyard-target'), `${name(t, 'plain')}/${spec.model}`);
      assert.equal(r.headers.get('x-switchyard-attempts'), '1');
      const q = seen(scenario(t, 'plain'));
      assert.equal(q.route, spec.route);
      assertAuth(t, q);
      assert.ok(!r.text.includes(KEY));
    });

    test('stream: chunks ending in [DONE], usage in the final chunk when include_usage is set', opts, async () => {
      const body = { model: name(t, 'plain'), stream: true, stream_options: { include_usage: true }, messages: userMessage('stream one two') };
      const chunks = chunksOf(await chat(gateway.url, body));
      assert.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), 'mock: stream one two');
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id for every chunk');
      assert.ok(chunks.some((c) => c.choices?.[0]?.finish_reason === 'stop'), 'a stop chunk');
      const last = chunks.at(-1);
      assert.equal(last.usage?.prompt_tokens, 3, JSON.stringify(last));
      assert.equal(last.usage?.completion_tokens, 4, JSON.stringify(last));
      assert.equal(last.usage?.total_tokens, 7, JSON.stringify(last));
      if (t === 'gemini') assert.equal(seen(scenario(t, 'plain')).route, 'POST /v1beta/models/{model}:streamGenerateContent');

      const plain = chunksOf(await chat(gateway.url, { model: name(t, 'plain'), stream: true, messages: userMessage('no usage') }));
      assert.ok(!plain.some((c) => c.usage), 'no usage without include_usage');
    });

    test('tool call round trip: tool_calls with ids kept, then a role "tool" follow-up', opts, async () => {
      const ask = userMessage('weather in Paris?');
      const r = await chat(gateway.url, { model: name(t, 'tool'), tools: [WEATHER], tool_choice: 'auto', messages: ask });
      assert.equal(r.status, 200, r.text);
      const choice = r.json.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls', r.text);
      assert.equal(choice.message.tool_calls?.length, 1, r.text);
      const [tc] = choice.message.tool_calls;
      assert.equal(tc.type, 'function');
      assert.equal(tc.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'Paris' });
      if (spec.idPrefix) assert.equal(tc.id, `${spec.idPrefix}0_get_weather`, 'the provider\'s tool call id is kept');
      else assert.ok(typeof tc.id === 'string' && tc.id.length > 0, 'a tool call id is made up');

      // the tools reached the provider in its own shape
      const sent = seen(scenario(t, 'tool')).json;
      if (t === 'anthropic') assert.equal(sent.tools?.[0]?.name, 'get_weather');
      else if (t === 'gemini') assert.equal((sent.tools?.[0]?.functionDeclarations ?? sent.tools?.[0]?.function_declarations)?.[0]?.name, 'get_weather');
      else assert.equal(sent.tools?.[0]?.function?.name, 'get_weather');

      const followUp = [...ask, { role: 'assistant', content: choice.message.content ?? null, tool_calls: choice.message.tool_calls },
        { role: 'tool', tool_call_id: tc.id, content: '21 C' }];
      const done = await chat(gateway.url, { model: name(t, 'tool'), tools: [WEATHER], messages: followUp });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.json.choices[0].finish_reason, 'stop');
      assert.match(done.json.choices[0].message.content, /^mock: tool result .*21 C/);
      if (t === 'anthropic') {
        const m = seen(scenario(t, 'tool')).json.messages;
        assert.equal(m.at(-1).content.find((b) => b.type === 'tool_result')?.tool_use_id, tc.id);
      }

      // as other clients send the same turn: assistant content "" and tool content as text parts
      const variant = [...ask, { role: 'assistant', content: '', tool_calls: choice.message.tool_calls },
        { role: 'tool', tool_call_id: tc.id, content: [{ type: 'text', text: '21 C' }] }];
      const again = await chat(gateway.url, { model: name(t, 'tool'), tools: [WEATHER], messages: variant });
      assert.equal(again.status, 200, again.text);
      assert.match(again.json.choices[0].message.content, /^mock: tool result .*21 C/);
    });

    test('stream: parallel tool calls arrive as tool_calls deltas with their indexes and ids', opts, async () => {
      const chunks = chunksOf(await chat(gateway.url, { model: name(t, 'tools2'), stream: true, tools: [WEATHER], messages: userMessage('Paris and Rome?') }));
      const calls = streamedToolCalls(chunks);
      assert.equal(calls.length, 2, JSON.stringify(chunks));
      assert.deepEqual(calls.map((c) => c.name), ['get_weather', 'get_weather']);
      assert.deepEqual(calls.map((c) => JSON.parse(c.arguments)), [{ city: 'Paris' }, { city: 'Rome' }]);
      assert.ok(calls.every((c) => c.id), 'every call has an id');
      assert.notEqual(calls[0].id, calls[1].id);
      if (spec.idPrefix) assert.deepEqual(calls.map((c) => c.id), [`${spec.idPrefix}0_get_weather`, `${spec.idPrefix}1_get_weather`]);
      assert.ok(chunks.some((c) => c.choices?.[0]?.finish_reason === 'tool_calls'), 'finish_reason tool_calls');
    });

    test('stream: any byte split (mid-line, mid-CRLF, mid-UTF-8) decodes to the same text', opts, async () => {
      const words = 'héllo 日本語 🙂 naïve Ωmega';
      const chunks = chunksOf(await chat(gateway.url, { model: name(t, 'split'), stream: true, stream_options: { include_usage: true }, messages: userMessage(words) }));
      assert.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), `mock: ${words}`);
      assert.equal(chunks.at(-1).usage?.completion_tokens, 6, JSON.stringify(chunks.at(-1)));
      mock.setScenario(scenario(t, 'split'), { api_key: KEY, chunk_bytes: 1, tool_call: { name: 'get_weather', arguments: { city: 'Zürich' } } });
      const tools = chunksOf(await chat(gateway.url, { model: name(t, 'split'), stream: true, tools: [WEATHER], messages: userMessage('weather?') }));
      assert.deepEqual(streamedToolCalls(tools).map((c) => JSON.parse(c.arguments)), [{ city: 'Zürich' }]);
      mock.setScenario(scenario(t, 'split'), { api_key: KEY, chunk_bytes: 3 });
    });

    test('an image part (data: URL) reaches the provider in its own format', opts, async () => {
      const url = `data:image/png;base64,${PNG}`;
      const r = await chat(gateway.url, { model: name(t, 'image'), messages: userMessage([{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url } }]) });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.choices[0].message.content, 'mock: what is this [image]');
      const sent = seen(scenario(t, 'image')).json;
      if (t === 'anthropic') {
        assert.deepEqual(sent.messages.at(-1).content.find((b) => b.type === 'image')?.source, { type: 'base64', media_type: 'image/png', data: PNG });
      } else if (t === 'gemini') {
        const part = sent.contents.at(-1).parts.find((p) => p.inlineData || p.inline_data);
        const inline = part?.inlineData ?? part?.inline_data;
        assert.deepEqual([inline?.mimeType ?? inline?.mime_type, inline?.data], ['image/png', PNG]);
      } else {
        assert.equal(sent.messages.at(-1).content.find((p) => p.type === 'image_url')?.image_url?.url, url);
      }
    });

    test('mid-stream failure: a final chunk with error and finish_reason "error", then [DONE]', opts, async () => {
      for (const role of ['mid', 'cut']) {
        const r = await chat(gateway.url, { model: name(t, role), stream: true, messages: userMessage('one two three four five six seven') });
        const chunks = chunksOf(r);
        const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
        assert.ok(text.length > 0 && 'mock: one two three four five six seven'.startsWith(text), `${role}: ${JSON.stringify(text)}`);
        const last = chunks.at(-1);
        assert.ok(last.error?.message, `${role}: ${r.text}`);
        assert.equal(last.choices?.[0]?.finish_reason, 'error', `${role}: ${r.text}`);
        assert.ok(!r.text.includes(KEY));
      }
    });

    test('a provider 5xx fails over to the next target; a 429 comes back with retry-after', opts, async () => {
      mock.setScenario(scenario(t, 'e1'), { api_key: KEY, error: 'overloaded' });
      const r = await chat(gateway.url, { model: name(t, 'fo'), messages: userMessage('fail over') });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.choices[0].message.content, 'mock: fail over');
      assert.equal(r.headers.get('x-switchyard-target'), `${name(t, 'plain')}/${spec.model}`);
      const tries = chatCount(t, scenario(t, 'e1'));
      assert.ok(tries >= 1 && tries <= 2, `the overloaded target was tried (and perhaps retried once): ${tries}`);

      mock.setScenario(scenario(t, 'e2'), { api_key: KEY, status: 429, retry_after: 1 });
      const limited = await chat(gateway.url, { model: name(t, 'e2'), messages: userMessage('too fast') });
      assertError(limited, 429, 'rate_limited');
      assert.ok(limited.headers.get('retry-after'), 'retry-after');
    });

    test('the provider refusing our key → 502 auth; a too-long prompt → 400 context_length_exceeded', opts, async () => {
      mock.setScenario(scenario(t, 'e3'), { api_key: 'some-other-key' });
      assertError(await chat(gateway.url, { model: name(t, 'e3'), messages: userMessage('who am i') }), 502, 'auth');
      mock.setScenario(scenario(t, 'e4'), { api_key: KEY, error: 'context_length' });
      const long = await chat(gateway.url, { model: name(t, 'e4'), messages: userMessage('very long') });
      assertError(long, 400, 'context_length_exceeded');
    });

    test('tool_choice auto / required / none / a named function, in the provider\'s terms', opts, async () => {
      const choices = ['auto', 'required', 'none', { type: 'function', function: { name: 'get_weather' } }];
      for (const tool_choice of choices) {
        const r = await chat(gateway.url, { model: name(t, 'tool'), tools: [WEATHER], tool_choice, messages: userMessage('weather?') });
        assert.equal(r.status, 200, `${JSON.stringify(tool_choice)}: ${r.text}`);
        assert.equal(r.json.choices[0].finish_reason, tool_choice === 'none' ? 'stop' : 'tool_calls', `${JSON.stringify(tool_choice)}: ${r.text}`);
        const sent = seen(scenario(t, 'tool')).json;
        const label = `${JSON.stringify(tool_choice)} sent as ${JSON.stringify(sent.tool_choice ?? sent.toolConfig ?? sent.tool_config)}`;
        if (t === 'anthropic') {
          const expected = { auto: 'auto', required: 'any', none: 'none' }[tool_choice] ?? 'tool';
          if (tool_choice === 'none' && sent.tool_choice === undefined) assert.equal(sent.tools, undefined, label);
          else assert.equal(sent.tool_choice?.type, expected, label);
          if (expected === 'tool') assert.equal(sent.tool_choice.name, 'get_weather', label);
        } else if (t === 'gemini') {
          const fc = (sent.toolConfig ?? sent.tool_config)?.functionCallingConfig ?? (sent.toolConfig ?? sent.tool_config)?.function_calling_config;
          const expected = { auto: 'AUTO', required: 'ANY', none: 'NONE' }[tool_choice] ?? 'ANY';
          if (tool_choice === 'none' && !fc) assert.equal(sent.tools, undefined, label);
          else assert.equal(fc?.mode, expected, label);
          if (typeof tool_choice === 'object') assert.deepEqual(fc.allowedFunctionNames ?? fc.allowed_function_names, ['get_weather'], label);
        } else {
          assert.deepEqual(sent.tool_choice, tool_choice, label);
        }
      }
    });

    test('a multi-turn conversation keeps its roles; developer and system become the system prompt', opts, async () => {
      const messages = [
        { role: 'developer', content: 'Answer in English.' },
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'text', text: 'question' }] },
      ];
      const r = await chat(gateway.url, { model: name(t, 'plain'), messages });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.choices[0].message.content, /^mock: second\s+question$/);
      const sent = seen(scenario(t, 'plain')).json;
      if (t === 'anthropic') {
        assert.deepEqual(sent.messages.map((m) => m.role), ['user', 'assistant', 'user']);
        const system = typeof sent.system === 'string' ? sent.system : sent.system.map((b) => b.text).join('\n');
        assert.match(system, /Answer in English\.[\s\S]*Be brief\./);
      } else if (t === 'gemini') {
        assert.deepEqual(sent.contents.map((c) => c.role), ['user', 'model', 'user']);
        const system = (sent.systemInstruction ?? sent.system_instruction).parts.map((p) => p.text).join('\n');
        assert.match(system, /Answer in English\.[\s\S]*Be brief\./);
      } else {
        assert.equal(sent.messages.length, 5);
      }
    });

    test('an upstream 200 that is an error or not JSON → retried, then 502 provider_unavailable', opts, async () => {
      for (const spec of [{ error_body_200: true }, { malformed: true }]) {
        mock.setScenario(scenario(t, 'e6'), { api_key: KEY, ...spec });
        const r = await chat(gateway.url, { model: name(t, 'e6'), messages: userMessage('nonsense') });
        assertError(r, 502, 'provider_unavailable');
        assert.equal(chatCount(t, scenario(t, 'e6')), 2, `${JSON.stringify(spec)}: tried, then retried once`);
        resetCounts(t, scenario(t, 'e6'));
      }
    });

    test('OpenAI parameters are translated or dropped, never sent where the provider refuses them', opts, async () => {
      const body = {
        model: name(t, 'plain'), messages: [{ role: 'system', content: 'Be brief.' }, ...userMessage('one two three four five')],
        temperature: 1.5, top_p: 0.9, max_tokens: 3, stop: ['four'], seed: 7, presence_penalty: 0.1, frequency_penalty: 0.1,
        user: 'u-1', n: 1,
        switchyard: { cache: 'no-store' }, session_id: 's-1',
      };
      const r = await chat(gateway.url, body);
      assert.equal(r.status, 200, r.text);
      // "mock: one two three" is cut at 3 words by max_tokens (the stop sequence comes later)
      assert.equal(r.json.choices[0].message.content, 'mock: one two');
      assert.equal(r.json.choices[0].finish_reason, 'length');
      const sent = seen(scenario(t, 'plain')).json;
      for (const k of ['switchyard', 'session_id']) assert.equal(sent[k], undefined, `${k} reached the provider`);
      if (t === 'anthropic') {
        assert.equal(sent.system === 'Be brief.' || sent.system?.[0]?.text === 'Be brief.', true, JSON.stringify(sent.system));
        assert.equal(sent.max_tokens, 3);
        assert.deepEqual(sent.stop_sequences, ['four']);
      } else if (t === 'gemini') {
        const g = sent.generationConfig ?? sent.generation_config;
        assert.equal(g?.maxOutputTokens ?? g?.max_output_tokens, 3);
        assert.deepEqual(g?.stopSequences ?? g?.stop_sequences, ['four']);
        const si = sent.systemInstruction ?? sent.system_instruction;
        assert.equal(si?.parts?.[0]?.text, 'Be brief.');
      }
    });
  });
}

describe('provider-specific behaviour', () => {
  test('anthropic: max_tokens is always sent (the API requires it)', opts, async () => {
    const r = await chat(gateway.url, { model: 'anthropic-plain', messages: userMessage('no max tokens') });
    assert.equal(r.status, 200, r.text);
    assert.ok(Number.isInteger(seen('p-anthropic-plain').json.max_tokens));
  });

  test('anthropic: an https image URL becomes a url image source; max_completion_tokens → max_tokens', opts, async () => {
    const r = await chat(gateway.url, { model: 'anthropic-image', max_completion_tokens: 2,
      messages: userMessage([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }, { type: 'text', text: 'what' }]) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'mock: [image]');
    assert.equal(r.json.choices[0].finish_reason, 'length');
    const sent = seen('p-anthropic-image').json;
    assert.deepEqual(sent.messages[0].content.find((b) => b.type === 'image')?.source, { type: 'url', url: 'https://example.com/cat.png' });
    assert.equal(sent.max_tokens, 2);
  });

  test('anthropic: 529 overloaded alone → retried, then 502 provider_unavailable', opts, async () => {
    mock.setScenario('p-anthropic-e5', { api_key: KEY, error: 'overloaded' });
    const r = await chat(gateway.url, { model: 'anthropic-e5', messages: userMessage('busy?') });
    assertError(r, 502, 'provider_unavailable');
    assert.ok(chatCount('anthropic', 'p-anthropic-e5') >= 1);
  });

  test('anthropic: cached prompt tokens are counted in prompt_tokens and reported as cached', opts, async () => {
    mock.setScenario('p-anthropic-e5', { api_key: KEY, cached_tokens: 2 });
    const r = await chat(gateway.url, { model: 'anthropic-e5', messages: userMessage('a b c d') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.usage.prompt_tokens, 4, JSON.stringify(r.json.usage));
    assert.equal(r.json.usage.prompt_tokens_details?.cached_tokens, 2, JSON.stringify(r.json.usage));
  });

  test('anthropic: a refusal stop_reason → finish_reason content_filter', opts, async () => {
    mock.setScenario('p-anthropic-e5', { api_key: KEY, error: 'content_filter' });
    const r = await chat(gateway.url, { model: 'anthropic-e5', messages: userMessage('bad idea') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'content_filter');
  });

  test('gemini: a prompt blocked for SAFETY → 400 content_filtered', opts, async () => {
    mock.setScenario('p-gemini-e5', { api_key: KEY, error: 'content_filter' });
    assertError(await chat(gateway.url, { model: 'gemini-e5', messages: userMessage('blocked') }), 400, 'content_filtered');
    assertError(await chat(gateway.url, { model: 'gemini-e5', stream: true, messages: userMessage('blocked') }), 400, 'content_filtered');
  });

  test('gemini: an answer stopped for SAFETY → 400 content_filtered, or finish_reason content_filter mid-stream', opts, async () => {
    mock.setScenario('p-gemini-e5', { api_key: KEY, finish_reason: 'SAFETY' });
    // nothing was answered: the whole answer was blocked
    assertError(await chat(gateway.url, { model: 'gemini-e5', messages: userMessage('risky') }), 400, 'content_filtered');
    // the mock streams two words, then a candidate with finishReason SAFETY and no content
    const chunks = chunksOf(await chat(gateway.url, { model: 'gemini-e5', stream: true, messages: userMessage('risky stuff') }));
    assert.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), 'mock: risky ');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'content_filter');
  });

  test('gemini: response_format json_object → responseMimeType application/json', opts, async () => {
    mock.setScenario('p-gemini-e5', { api_key: KEY });
    const r = await chat(gateway.url, { model: 'gemini-e5', response_format: { type: 'json_object' }, messages: userMessage('as json') });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { mock: 'mock: as json' });
  });

  test('azure: a content_filter refusal → 400 content_filtered', opts, async () => {
    mock.setScenario('p-azure-e5', { api_key: KEY, error: 'content_filter' });
    assertError(await chat(gateway.url, { model: 'azure-e5', messages: userMessage('filtered') }), 400, 'content_filtered');
  });

  test('openai-compatible presets: accepted without a base_url, refused when unknown or misplaced', { timeout: 30000 }, async () => {
    const models = await call(`${gateway.url}/v1/models`);
    assert.ok(models.json?.data?.some((m) => m.id === 'groq-default'), models.text);
    const bad = {
      providers: { a: { type: 'openai-compatible', preset: 'no-such-preset' }, b: { type: 'anthropic', preset: 'groq', api_key: 'k' } },
      models: {},
    };
    const gw = await startGateway({ configText: JSON.stringify(bad), port: 0, outDir: path.join(tmp, 'bad'), wasmPath });
    track(gw.child);
    try {
      const r = await call(`${gw.url}/health`);
      assert.equal(r.status, 500, r.text);
      assert.match(r.text, /providers\.a\.preset/);
      assert.match(r.text, /providers\.b\.preset/);
    } finally {
      await gw.stop();
    }
  });
});
