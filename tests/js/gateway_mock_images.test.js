// The mock upstream's image endpoints, talked to directly: OpenAI's and Azure's
// images/generations, Gemini image models through generateContent and Imagen's :predict —
// deterministic PNGs, the refusals the real APIs answer, and the scenario controls.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock-upstream/server.mjs';
import { call } from './gateway/helpers.js';
import { pngOf } from '../mock-upstream/formats/common.mjs';

let mock;
before(async () => (mock = await startMock()));
after(async () => mock?.close());

const PNG_SIGNATURE = '89504e470d0a1a0a';
const isPng = (b64) => Buffer.from(b64, 'base64').subarray(0, 8).toString('hex') === PNG_SIGNATURE;

describe('pngOf', () => {
  test('a valid, deterministic 8x8 PNG per text and index', () => {
    const a = pngOf('A cute baby sea otter');
    assert.ok(isPng(a));
    const bytes = Buffer.from(a, 'base64');
    assert.equal(bytes.readUInt32BE(16), 8);  // IHDR width
    assert.equal(bytes.readUInt32BE(20), 8);  // IHDR height
    assert.equal(pngOf('A cute baby sea otter'), a);
    assert.notEqual(pngOf('A cute baby sea lion'), a);
    assert.notEqual(pngOf('A cute baby sea otter', 1), a);
  });
});

describe('openai', () => {
  const generate = (scenario, body, headers) => call(`${mock.scenarioUrl(scenario)}/images/generations`, { method: 'POST', body, headers });

  test('GPT image models answer base64 PNGs with usage and the settings used', async () => {
    const r = await generate('o-img', { model: 'gpt-image-1', prompt: 'A cute baby sea otter', n: 2, quality: 'low' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.created, 1700000000);
    assert.deepEqual(r.json.data, [{ b64_json: pngOf('A cute baby sea otter', 0) }, { b64_json: pngOf('A cute baby sea otter', 1) }]);
    assert.equal(r.json.background, 'opaque');
    assert.equal(r.json.output_format, 'png');
    assert.equal(r.json.size, '1024x1024');
    assert.equal(r.json.quality, 'low');
    assert.deepEqual(r.json.usage, { total_tokens: 549, input_tokens: 5, output_tokens: 544, input_tokens_details: { text_tokens: 5, image_tokens: 0 } });
    assert.deepEqual(mock.counts()['o-img'], { 'POST /v1/images/generations': 1 });
  });

  test('dall-e answers URLs (or base64), dall-e-3 with its revised prompt; dall-e-2 is the default model', async () => {
    const url = await generate('o-img', { model: 'dall-e-3', prompt: 'a lighthouse', size: '1792x1024', quality: 'hd', style: 'natural' });
    assert.equal(url.status, 200, url.text);
    assert.equal(url.json.data.length, 1);
    assert.match(url.json.data[0].url, /^https:\/\/images\.mock\.test\/dall-e-3\/[0-9a-f]+-0\.png$/);
    assert.equal(url.json.data[0].revised_prompt, 'mock revised: a lighthouse');
    assert.equal(url.json.usage, undefined);
    const b64 = await generate('o-img', { model: 'dall-e-3', prompt: 'a lighthouse', response_format: 'b64_json' });
    assert.ok(isPng(b64.json.data[0].b64_json));
    const plain = await generate('o-img', { prompt: 'a lighthouse', n: 3, size: '256x256' });
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.json.data.length, 3);
    assert.match(plain.json.data[0].url, /\/dall-e-2\//);
    assert.equal(plain.json.data[0].revised_prompt, undefined);
  });

  test('refuses what OpenAI refuses, naming the parameter', async () => {
    const cases = [
      [{ model: 'gpt-image-1', prompt: 'p', response_format: 'url' }, 'response_format', 'unknown_parameter', "Unknown parameter: 'response_format'."],
      [{ model: 'gpt-image-1', prompt: 'p', messages: [] }, 'messages', 'unknown_parameter', "Unknown parameter: 'messages'."],
      [{ model: 'gpt-image-1' }, 'prompt', 'missing_required_parameter', "Missing required parameter: 'prompt'."],
      [{ model: 'dall-e-3', prompt: 'p', n: 2 }, null, null, 'You must provide n=1 for this model.'],
      [{ model: 'gpt-image-1', prompt: 'p', n: 11 }, 'n', 'integer_above_max_value'],
      [{ model: 'dall-e-3', prompt: 'p', size: '512x512' }, 'size', 'invalid_value', "Invalid value: '512x512'. Supported values are: '1024x1024', '1792x1024', and '1024x1792'."],
      [{ model: 'gpt-image-1', prompt: 'p', quality: 'hd' }, 'quality', 'invalid_value'],
      [{ model: 'dall-e-2', prompt: 'x'.repeat(1001) }, 'prompt', 'string_above_max_length'],
      [{ model: 'gpt-image-1', prompt: 'p', output_compression: 101 }, 'output_compression', 'integer_above_max_value'],
      [{ model: 'gpt-image-1', prompt: 'p', stream: true }, 'stream', null],
    ];
    for (const [body, param, code, message] of cases) {
      const r = await generate('o-img-bad', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.type, 'invalid_request_error');
      assert.equal(r.json.error.param, param, JSON.stringify(body));
      assert.equal(r.json.error.code, code, JSON.stringify(body));
      if (message) assert.equal(r.json.error.message, message);
    }
  });

  test('scenarios: status, named errors, malformed and truncated answers', async () => {
    mock.setScenario('o-img-503', { status: 503 });
    assert.equal((await generate('o-img-503', { model: 'gpt-image-1', prompt: 'p' })).status, 503);
    mock.setScenario('o-img-filter', { error: 'content_filter' });
    const filtered = await generate('o-img-filter', { model: 'gpt-image-1', prompt: 'p' });
    assert.equal(filtered.status, 400);
    assert.equal(filtered.json.error.code, 'content_policy_violation');
    mock.setScenario('o-img-broken', { malformed: true });
    const broken = await generate('o-img-broken', { model: 'gpt-image-1', prompt: 'p' });
    assert.equal(broken.status, 200);
    assert.equal(broken.json, undefined);
    mock.setScenario('o-img-key', { api_key: 'sk-right' });
    assert.equal((await generate('o-img-key', { model: 'gpt-image-1', prompt: 'p' }, { authorization: 'Bearer sk-wrong' })).status, 401);
    assert.equal((await generate('o-img-key', { model: 'gpt-image-1', prompt: 'p' }, { authorization: 'Bearer sk-right' })).status, 200);
  });
});

describe('azure', () => {
  const headers = { 'api-key': 'az-key' };
  const generate = (deployment, body, version = '2025-04-01-preview') =>
    call(`${mock.scenarioUrl('az-img', '')}/openai/deployments/${deployment}/images/generations${version ? `?api-version=${version}` : ''}`,
      { method: 'POST', body, headers });

  test('dall-e-3 deployments answer URLs with content filter annotations', async () => {
    const r = await generate('dalle3', { prompt: 'a sunset', model: 'dalle3' });
    assert.equal(r.status, 200, r.text);
    const [item] = r.json.data;
    assert.match(item.url, /\.png$/);
    assert.equal(item.revised_prompt, 'mock revised: a sunset');
    assert.equal(item.content_filter_results.violence.filtered, false);
    assert.equal(item.prompt_filter_results.hate.severity, 'safe');
  });

  test('gpt-image-1 deployments answer base64 without annotations; refusals as OpenAI', async () => {
    const r = await generate('gpt-image-1', { prompt: 'a sunset', n: 2 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.length, 2);
    assert.deepEqual(Object.keys(r.json.data[0]), ['b64_json']);
    assert.equal(r.json.usage.input_tokens, 2);
    const refused = await generate('gpt-image-1', { prompt: 'a sunset', response_format: 'url' });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.param, 'response_format');
    assert.equal((await generate('gpt-image-1', { prompt: 'p' }, null)).status, 404);
  });
});

describe('gemini', () => {
  const headers = { 'x-goog-api-key': 'g-key' };
  const url = (model, method) => `${mock.scenarioUrl('g-img', '/v1beta')}/models/${model}:${method}`;
  const generate = (model, body) => call(url(model, 'generateContent'), { method: 'POST', body, headers });
  const predict = (model, body, scenario = 'g-img') =>
    call(`${mock.scenarioUrl(scenario, '/v1beta')}/models/${model}:predict`, { method: 'POST', body, headers });
  const prompt = (text, generationConfig) => ({ contents: [{ role: 'user', parts: [{ text }] }], generationConfig });

  test('image models answer inlineData PNGs through generateContent', async () => {
    const r = await generate('gemini-2.5-flash-image', prompt('A cute baby sea otter', { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '16:9' } }));
    assert.equal(r.status, 200, r.text);
    const [candidate] = r.json.candidates;
    assert.equal(candidate.finishReason, 'STOP');
    assert.deepEqual(candidate.content.parts, [{ inlineData: { mimeType: 'image/png', data: pngOf('mock: A cute baby sea otter') } }]);
    assert.equal(r.json.usageMetadata.candidatesTokenCount, 1290);
    assert.equal(r.json.modelVersion, 'gemini-2.5-flash-image');
    const both = await generate('gemini-2.5-flash-image', prompt('otter', { response_modalities: ['Text', 'Image'] }));
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(both.json.candidates[0].content.parts.map((p) => Object.keys(p)[0]), ['text', 'inlineData']);
  });

  test('refuses image output from text models, several candidates, unknown ratios', async () => {
    const text = await generate('gemini-2.5-flash', prompt('p', { responseModalities: ['IMAGE'] }));
    assert.equal(text.status, 400);
    assert.equal(text.json.error.message, 'Model does not support the requested response modalities: image');
    const many = await generate('gemini-2.5-flash-image', prompt('p', { responseModalities: ['IMAGE'], candidateCount: 2 }));
    assert.equal(many.status, 400);
    assert.equal(many.json.error.message, 'Multiple candidates is not enabled for models/gemini-2.5-flash-image');
    const ratio = await generate('gemini-2.5-flash-image', prompt('p', { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '7:4' } }));
    assert.equal(ratio.status, 400);
    assert.equal(ratio.json.error.status, 'INVALID_ARGUMENT');
    const unknown = await generate('gemini-2.5-flash-image', prompt('p', { responseModalities: ['IMAGE'], imageConfig: { quality: 'hd' } }));
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error.message, /Unknown name "quality"/);
  });

  test('blocked prompts and answers', async () => {
    mock.setScenario('g-img-safety', { finish_reason: 'IMAGE_SAFETY' });
    const blocked = await call(`${mock.scenarioUrl('g-img-safety', '/v1beta')}/models/gemini-2.5-flash-image:generateContent`,
      { method: 'POST', body: prompt('p', { responseModalities: ['IMAGE'] }), headers });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.json.candidates[0].finishReason, 'IMAGE_SAFETY');
    assert.equal(blocked.json.candidates[0].content, undefined);
    mock.setScenario('g-img-prompt', { error: 'content_filter' });
    const prompted = await call(`${mock.scenarioUrl('g-img-prompt', '/v1beta')}/models/gemini-2.5-flash-image:generateContent`,
      { method: 'POST', body: prompt('p', { responseModalities: ['IMAGE'] }), headers });
    assert.equal(prompted.json.promptFeedback.blockReason, 'SAFETY');
  });

  test('Imagen predicts sampleCount PNGs and refuses what Imagen refuses', async () => {
    const r = await predict('imagen-4.0-generate-001', { instances: [{ prompt: 'A cute baby sea otter' }], parameters: { sampleCount: 2, aspectRatio: '16:9' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.predictions, [0, 1].map((i) => ({ mimeType: 'image/png', bytesBase64Encoded: pngOf('A cute baby sea otter', i) })));
    const four = await predict('imagen-4.0-fast-generate-001', { instances: [{ prompt: 'p' }] });
    assert.equal(four.json.predictions.length, 4, 'sampleCount defaults to 4');
    for (const [model, body, status] of [
      ['imagen-4.0-generate-001', { instances: [{ prompt: 'p' }], parameters: { sampleCount: 5 } }, 400],
      ['imagen-4.0-generate-001', { instances: [{ prompt: 'p' }], parameters: { aspectRatio: '3:2' } }, 400],
      ['imagen-4.0-fast-generate-001', { instances: [{ prompt: 'p' }], parameters: { imageSize: '2K' } }, 400],
      ['imagen-4.0-generate-001', { instances: [{ prompt: 'p' }], parameters: { quality: 'hd' } }, 400],
      ['imagen-4.0-generate-001', { instances: [] }, 400],
      ['imagen-4.0-generate-001', { prompt: 'p' }, 400],
      ['gemini-2.5-flash-image', { instances: [{ prompt: 'p' }] }, 404],
    ]) {
      const refused = await predict(model, body);
      assert.equal(refused.status, status, `${model} ${JSON.stringify(body)}: ${refused.text}`);
    }
    assert.equal((await generate('imagen-4.0-generate-001', prompt('p'))).status, 404, 'Imagen does not generateContent');
    mock.setScenario('g-imagen-filtered', { finish_reason: 'SAFETY' });
    const none = await predict('imagen-4.0-generate-001', { instances: [{ prompt: 'p' }] }, 'g-imagen-filtered');
    assert.deepEqual(none.json, {});
    const why = await predict('imagen-4.0-generate-001', { instances: [{ prompt: 'p' }], parameters: { includeRaiReason: true } }, 'g-imagen-filtered');
    assert.match(why.json.predictions[0].raiFilteredReason, /filtered out/);
  });
});
