// The package's pipeline calls (sy.pipeline: web/src/switchyard.js runPipeline, web/src/streams.js
// pipelineEventStream) on their own, with no core: what is sent, the answer and its errors, and
// the event stream (step / delta / done / error) under random splits, against canned answers in
// the shape of the contract of POST /v1/pipelines/{name}. The gateway tests run the real thing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SwitchyardError } from '../../web/src/errors.js';
import { pipelineEventStream } from '../../web/src/streams.js';
import { runPipeline } from '../../web/src/switchyard.js';
import { responseOf, splitBytes } from './pieces.js';

async function collect(iterable) {
  const out = [];
  for await (const value of iterable) out.push(value);
  return out;
}

const sse = (events, eol = '\n') =>
  events.map(([name, data]) => `event: ${name}${eol}data: ${JSON.stringify(data)}${eol}${eol}`).join('');

const info = { headers: { 'x-switchyard-request-id': 'r1' } };
const usage = (p, c) => ({ prompt_tokens: p, completion_tokens: c, total_tokens: p + c, cost: 0 });
const DESCRIBE = { text: 'A lighthouse at dusk.', model: 'echo-1', provider: 'echo', cache: 'MISS', attempts: 1, ms: 3, usage: usage(12, 5) };
const TRANSLATE = { text: 'Un phare au crépuscule 🌅', model: 'echo-1', provider: 'echo', cache: 'HIT', attempts: 0, ms: 0, usage: usage(9, 6) };
const SKIPPED = { text: null, model: '', provider: '', cache: 'BYPASS', attempts: 0, ms: 0, usage: usage(0, 0), skipped: true };
const ANSWER = {
  output: TRANSLATE.text,
  steps: { describe: DESCRIBE, check: SKIPPED, translate: TRANSLATE },
  usage: usage(21, 11),
  cost: 0,
};
const STREAM = [
  ['step', { id: 'describe', ...DESCRIBE }],
  ['step', { id: 'check', ...SKIPPED }],
  ['delta', { text: 'Un phare ' }],
  ['delta', { text: 'au crépuscule 🌅' }],
  ['step', { id: 'translate', ...TRANSLATE }],
  ['done', ANSWER],
];
const EXPECTED = [
  { type: 'step', step: { id: 'describe', ...DESCRIBE } },
  { type: 'step', step: { id: 'check', ...SKIPPED } },
  { type: 'delta', text: 'Un phare ' },
  { type: 'delta', text: 'au crépuscule 🌅' },
  { type: 'step', step: { id: 'translate', ...TRANSLATE } },
  { type: 'done', answer: ANSWER },
];

const FAILURE = {
  error: {
    message: "step 'translate' failed: upstream answered 429",
    type: 'rate_limit_error',
    code: 'rate_limited',
    param: 'steps.translate',
    metadata: { error_type: 'rate_limited', step: 'translate' },
  },
  steps: { describe: DESCRIBE },
};

describe('pipelineEventStream', () => {
  test('yields step, delta and done events under random splits, LF or CRLF', async () => {
    for (const eol of ['\n', '\r\n']) {
      for (let seed = 1; seed <= 25; seed++) {
        const events = await collect(pipelineEventStream(responseOf(splitBytes(sse(STREAM, eol), seed)), info));
        assert.deepEqual(events, EXPECTED, `seed ${seed}`);
      }
    }
  });

  test('ends at done; unknown events and comments are skipped', async () => {
    const text = `: keep-alive\n\n${sse([['progress', { n: 1 }], ...STREAM, ['step', { id: 'late', ...DESCRIBE }]])}`;
    const events = await collect(pipelineEventStream(responseOf([text]), info));
    assert.deepEqual(events, EXPECTED);
  });

  test('an error event is thrown as SwitchyardError naming the step, after the events before it', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const text = sse([STREAM[0], ['error', FAILURE], STREAM[5]]);
      const seen = [];
      await assert.rejects(
        (async () => {
          for await (const e of pipelineEventStream(responseOf(splitBytes(text, seed)), info)) seen.push(e);
        })(),
        (e) => {
          assert.ok(e instanceof SwitchyardError);
          assert.deepEqual(
            [e.status, e.type, e.code, e.param, e.message, e.metadata.error_type],
            [429, 'rate_limit_error', 'rate_limited', 'steps.translate', FAILURE.error.message, 'rate_limited'],
          );
          assert.equal(e.step, 'translate');
          assert.deepEqual(e.steps, FAILURE.steps);
          assert.deepEqual(e.event, FAILURE);
          assert.deepEqual(e.headers, info.headers);
          return true;
        },
      );
      assert.deepEqual(seen, [EXPECTED[0]]);
    }
  });

  test('a deadline error names no step; the status comes from the error type', async () => {
    const timeout = { error: { message: "pipeline deadline passed; still running: 'translate'", type: 'timeout_error', code: 'timeout', param: null, metadata: { error_type: 'timeout' } }, steps: {} };
    await assert.rejects(collect(pipelineEventStream(responseOf([sse([['error', timeout]])]), info)), (e) => {
      assert.deepEqual([e.status, e.code, e.step, e.steps], [504, 'timeout', null, {}]);
      return true;
    });
  });

  test('iterates once; an event that is not JSON is a 502 bad_response', async () => {
    const stream = pipelineEventStream(responseOf([sse(STREAM)]), info);
    await collect(stream);
    await assert.rejects(collect(stream), (e) => e instanceof SwitchyardError && e.status === 400);
    await assert.rejects(collect(pipelineEventStream(responseOf(['event: step\ndata: {nope\n\n']), info)), (e) => e.status === 502 && e.code === 'bad_response');
  });
});

// A `request(method, path, body, options)` as switchyard.js hands to runPipeline, recording the
// call and answering `response`.
function fakeRequest(response) {
  const calls = [];
  const request = async (method, path, body, options) => {
    calls.push({ method, path, body, options });
    return response;
  };
  return { calls, request };
}

const headers = { 'x-switchyard-request-id': 'req-7', 'x-switchyard-cache': 'MISS' };

describe('sy.pipeline', () => {
  test('POSTs the input to /v1/pipelines/{name} and answers the answer with _switchyard', async () => {
    const { calls, request } = fakeRequest(responseOf([JSON.stringify(ANSWER)], { type: 'application/json', headers }));
    const signal = new AbortController().signal;
    const answer = await runPipeline(request, 'describe/translate', { image: 'data:,x', lang: 'fr' }, { signal, headers: { a: 'b' } });
    assert.deepEqual(answer, ANSWER);
    assert.equal(answer._switchyard.requestId, 'req-7');
    assert.equal(answer._switchyard.cache, 'MISS');
    assert.deepEqual(calls, [{ method: 'POST', path: '/v1/pipelines/describe%2Ftranslate', body: { image: 'data:,x', lang: 'fr' }, options: { signal, headers: { a: 'b' } } }]);
  });

  test('no input sends {}', async () => {
    const { calls, request } = fakeRequest(responseOf([JSON.stringify(ANSWER)], { type: 'application/json' }));
    await runPipeline(request, 'p');
    assert.deepEqual(calls[0].body, {});
  });

  test('stream: true is sent in the body (not as an option) and answers the event stream', async () => {
    const { calls, request } = fakeRequest(responseOf(splitBytes(sse(STREAM), 3), { headers }));
    const stream = await runPipeline(request, 'p', { lang: 'fr' }, { stream: true });
    assert.deepEqual(calls[0].body, { lang: 'fr', stream: true });
    assert.deepEqual(calls[0].options, {});
    assert.equal(stream._switchyard.requestId, 'req-7');
    assert.deepEqual(await collect(stream), EXPECTED);
  });

  test('a whole answer to a stream request is read as its steps, then done', async () => {
    const { request } = fakeRequest(responseOf([JSON.stringify(ANSWER)], { type: 'application/json' }));
    const events = await collect(await runPipeline(request, 'p', {}, { stream: true }));
    assert.deepEqual(events, [
      { type: 'step', step: { id: 'describe', ...DESCRIBE } },
      { type: 'step', step: { id: 'check', ...SKIPPED } },
      { type: 'step', step: { id: 'translate', ...TRANSLATE } },
      { type: 'done', answer: ANSWER },
    ]);
  });

  test('a failing step is a SwitchyardError with status, type, code, param, step and the finished steps', async () => {
    for (const stream of [false, true]) {
      const { request } = fakeRequest(responseOf([JSON.stringify(FAILURE)], { status: 429, type: 'application/json', headers }));
      await assert.rejects(runPipeline(request, 'p', {}, { stream }), (e) => {
        assert.ok(e instanceof SwitchyardError);
        assert.deepEqual(
          [e.status, e.type, e.code, e.param, e.message, e.step],
          [429, 'rate_limit_error', 'rate_limited', 'steps.translate', FAILURE.error.message, 'translate'],
        );
        assert.deepEqual(e.steps, FAILURE.steps);
        assert.equal(e.headers['x-switchyard-request-id'], 'req-7');
        return true;
      });
    }
  });

  test('an error naming no step (unknown pipeline, not implemented) has step null and no steps', async () => {
    const body = { error: { message: "unknown pipeline 'nope'", type: 'invalid_request_error', code: 'not_found', param: null, metadata: { error_type: 'invalid_request' } } };
    const { request } = fakeRequest(responseOf([JSON.stringify(body)], { status: 404, type: 'application/json' }));
    await assert.rejects(runPipeline(request, 'nope', {}), (e) => {
      assert.deepEqual([e.status, e.code, e.step, e.steps], [404, 'not_found', null, {}]);
      return true;
    });
    const { request: plain } = fakeRequest(responseOf(['upstream connect error'], { status: 503, type: 'text/plain' }));
    await assert.rejects(runPipeline(plain, 'p', {}), (e) => e.status === 503 && e.step === null);
  });

  test('a 200 that is not JSON is a 502 bad_response', async () => {
    const { request } = fakeRequest(responseOf(['<html>'], { type: 'text/html' }));
    await assert.rejects(runPipeline(request, 'p', {}), (e) => e.status === 502 && e.code === 'bad_response');
  });
});
