// The mock upstream (tests/mock-upstream) that the gateway tests stand on: its normal answers
// and the misbehaviour scenarios they rely on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock-upstream/server.mjs';
import { base64Floats, embedVector } from '../mock-upstream/formats/common.mjs';
import { call, sseData, userMessage } from './gateway/helpers.js';

let mock;
before(async () => (mock = await startMock()));
after(async () => mock?.close());

const chatAt = (scenario, body) => call(`${mock.scenarioUrl(scenario)}/chat/completions`, { method: 'POST', body });

test('answers an OpenAI chat completion derived from the last user message', async () => {
  const r = await chatAt('plain', { model: 'm1', messages: userMessage('hello there') });
  assert.equal(r.status, 200);
  assert.equal(r.json.object, 'chat.completion');
  assert.equal(r.json.model, 'm1');
  assert.equal(r.json.choices[0].message.content, 'mock: hello there');
  assert.deepEqual(r.json.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
});

test('streams OpenAI chunks, a usage chunk when asked, then [DONE]', async () => {
  const r = await chatAt('plain', { model: 'm1', stream: true, stream_options: { include_usage: true }, messages: userMessage('a b') });
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const data = sseData(r.text);
  assert.equal(data.at(-1), '[DONE]');
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'mock: a b');
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.equal(chunks.at(-1).usage.total_tokens, 5);
});

test('scenarios: status with retry-after, sequences, counts, control API over HTTP', async () => {
  const put = await call(`${mock.url}/_mock/scenarios/seq`, { method: 'PUT', body: { sequence: [{ status: 429, retry_after: 1 }, { status: 500 }] } });
  assert.equal(put.status, 200);
  const first = await chatAt('seq', { messages: userMessage('x') });
  assert.equal(first.status, 429);
  assert.equal(first.headers.get('retry-after'), '1');
  assert.equal(first.json.error.type, 'rate_limit_error');
  assert.equal((await chatAt('seq', { messages: userMessage('x') })).status, 500);
  assert.equal((await chatAt('seq', { messages: userMessage('x') })).status, 200);
  const counts = await call(`${mock.url}/_mock/counts`);
  assert.equal(counts.json.seq['POST /v1/chat/completions'], 3);
  await call(`${mock.url}/_mock/reset`, { method: 'POST' });
  assert.deepEqual(mock.counts(), {});
});

test('scenarios: reset, truncated stream, malformed body, error in a 200', async () => {
  mock.setScenario('reset', { reset: true });
  await assert.rejects(chatAt('reset', { messages: userMessage('x') }));
  mock.setScenario('cut', { truncate_stream_after: 2 });
  await assert.rejects(chatAt('cut', { stream: true, messages: userMessage('a b c d') }));
  mock.setScenario('bad', { malformed: true });
  const bad = await chatAt('bad', { messages: userMessage('x') });
  assert.equal(bad.status, 200);
  assert.equal(bad.json, undefined);
  mock.setScenario('err', { error_body_200: true });
  const err = await chatAt('err', { messages: userMessage('x') });
  assert.equal(err.status, 200);
  assert.ok(err.json.error.message);
});

test('lists models and answers embeddings', async () => {
  const models = await call(`${mock.scenarioUrl('any')}/models`);
  assert.deepEqual(models.json.data.map((m) => m.id), ['m1', 'm2', 'm3']);
  const emb = await call(`${mock.scenarioUrl('any')}/embeddings`, { method: 'POST', body: { model: 'e', input: ['a', 'bb'] } });
  assert.equal(emb.json.data.length, 2);
  assert.deepEqual(emb.json.data[1].embedding, embedVector('bb', 8));
  assert.deepEqual(emb.json.usage, { prompt_tokens: 2, total_tokens: 2 });
  const dims = await call(`${mock.scenarioUrl('any')}/embeddings`, { method: 'POST', body: { model: 'e', input: 'a', dimensions: 3, encoding_format: 'base64' } });
  assert.equal(dims.json.data[0].embedding, base64Floats(embedVector('a', 3)));
  const refused = await call(`${mock.scenarioUrl('any')}/embeddings`, { method: 'POST', body: { model: 'e', input: 'a', switchyard: {} } });
  assert.equal(refused.status, 400);
  assert.match(refused.json.error.message, /Unrecognized request argument supplied: switchyard/);
  mock.setScenario('listed', { models: ['gpt-4o', 'text-embedding-3-small'] });
  assert.deepEqual((await call(`${mock.scenarioUrl('listed')}/models`)).json.data.map((m) => m.id), ['gpt-4o', 'text-embedding-3-small']);
});
