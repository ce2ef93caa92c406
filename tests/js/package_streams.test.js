// The package's stream readers and error mapping (web/src/streams.js, web/src/errors.js) on
// their own, with no core: SSE framing under random splits and CRLF, each format's event
// stream (chat chunks, Responses events, Anthropic events), errors mid-stream, and error
// bodies in OpenAI's and Anthropic's shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SwitchyardError } from '../../web/src/errors.js';
import { chunkStream, messageEventStream, responseEventStream, sseEvents } from '../../web/src/streams.js';
import { responseOf, splitBytes } from './pieces.js';

const info = { headers: { 'x-switchyard-request-id': 'r1' } };

async function collect(iterable) {
  const out = [];
  for await (const value of iterable) out.push(value);
  return out;
}

const sse = (events, eol = '\n') => events.map(([name, data]) => `${name ? `event: ${name}${eol}` : ''}data: ${JSON.stringify(data)}${eol}${eol}`).join('');

const RESPONSE_EVENTS = [
  ['response.created', { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } }],
  ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] } }],
  ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Grüße ', logprobs: [] }],
  ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: '🌍', logprobs: [] }],
  ['response.completed', { type: 'response.completed', sequence_number: 4, response: { id: 'resp_1', object: 'response', status: 'completed', output: [] } }],
];

const MESSAGE_EVENTS = [
  ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 1 } } }],
  ['ping', { type: 'ping' }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Grüße 🌍' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } }],
  ['message_stop', { type: 'message_stop' }],
];

describe('sseEvents', () => {
  test('frames events with names, multi-line data, comments, CRLF and an unterminated last event', async () => {
    const text = ': comment\r\nevent: a\r\ndata: one\r\ndata: two\r\n\r\nid: 7\nretry: 10\ndata:{"x":1}\n\nevent: b\ndata: last';
    for (let seed = 1; seed <= 30; seed++) {
      const events = await collect(sseEvents(responseOf(splitBytes(text, seed)).body));
      assert.deepEqual(events, [
        { event: 'a', data: 'one\ntwo' },
        { event: null, data: '{"x":1}' },
        { event: 'b', data: 'last' },
      ], `seed ${seed}`);
    }
  });
});

describe('responseEventStream', () => {
  test('yields the typed events under random splits, LF or CRLF', async () => {
    for (const eol of ['\n', '\r\n']) {
      for (let seed = 1; seed <= 20; seed++) {
        const events = await collect(responseEventStream(responseOf(splitBytes(sse(RESPONSE_EVENTS, eol), seed)), info));
        assert.deepEqual(events, RESPONSE_EVENTS.map(([, data]) => data));
      }
    }
  });

  test('an error event is thrown as SwitchyardError with the event; the events before it were yielded', async () => {
    const error = { type: 'error', sequence_number: 3, code: 'rate_limited', message: 'slow down', param: null };
    const stream = responseEventStream(responseOf([sse([...RESPONSE_EVENTS.slice(0, 3), ['error', error], RESPONSE_EVENTS[4]])]), info);
    const seen = [];
    await assert.rejects(
      (async () => {
        for await (const e of stream) seen.push(e);
      })(),
      (e) => {
        assert.ok(e instanceof SwitchyardError);
        assert.equal(e.message, 'slow down');
        assert.equal(e.status, 429);
        assert.equal(e.code, 'rate_limited');
        assert.equal(e.type, 'rate_limit_error');
        assert.equal(e.metadata.error_type, 'rate_limited');
        assert.deepEqual(e.event, error);
        assert.deepEqual(e.headers, info.headers);
        return true;
      },
    );
    assert.equal(seen.length, 3);
  });

  test('an error event with the core metadata keeps status and error_type; response.failed throws too', async () => {
    const error = { type: 'error', sequence_number: 1, code: 'provider_unavailable', message: 'upstream broke', param: null,
      metadata: { error_type: 'provider_unavailable', status: 502 } };
    await assert.rejects(collect(responseEventStream(responseOf([sse([RESPONSE_EVENTS[0], ['error', error]])]), info)), (e) => {
      assert.deepEqual([e.status, e.type, e.code, e.metadata.error_type], [502, 'server_error', 'provider_unavailable', 'provider_unavailable']);
      return true;
    });
    const failed = { type: 'response.failed', sequence_number: 1, response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'it broke' } } };
    await assert.rejects(collect(responseEventStream(responseOf([sse([RESPONSE_EVENTS[0], ['response.failed', failed]])]), info)), (e) => {
      assert.ok(e instanceof SwitchyardError);
      assert.equal(e.message, 'it broke');
      assert.equal(e.status, 502);
      assert.deepEqual(e.event, failed);
      return true;
    });
  });

  test('iterates once; an event that is not JSON is a 502 bad_response', async () => {
    const stream = responseEventStream(responseOf([sse(RESPONSE_EVENTS)]), info);
    await collect(stream);
    await assert.rejects(collect(stream), (e) => e instanceof SwitchyardError && e.status === 400);
    await assert.rejects(collect(responseEventStream(responseOf(['event: x\ndata: {nope\n\n']), info)), (e) => e.status === 502 && e.code === 'bad_response');
  });
});

describe('messageEventStream', () => {
  test('yields Anthropic events without ping, under random splits', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const events = await collect(messageEventStream(responseOf(splitBytes(sse(MESSAGE_EVENTS), seed)), info));
      assert.deepEqual(events, MESSAGE_EVENTS.filter(([name]) => name !== 'ping').map(([, data]) => data));
    }
  });

  test('an error event in Anthropic shape is thrown with status, type and code', async () => {
    const cases = [
      [{ type: 'overloaded_error', message: 'Overloaded' }, 529, 'provider_unavailable'],
      [{ type: 'api_error', message: 'Internal' }, 500, 'internal'],
      [{ type: 'rate_limit_error', message: 'Slow' }, 429, 'rate_limited'],
      // the core's own code and metadata win over the type's defaults
      [{ type: 'api_error', message: 'upstream', code: 'provider_unavailable', metadata: { error_type: 'provider_unavailable' } }, 502, 'provider_unavailable'],
    ];
    for (const [inner, status, errorType] of cases) {
      const event = { type: 'error', error: inner };
      await assert.rejects(collect(messageEventStream(responseOf([sse([...MESSAGE_EVENTS.slice(0, 4), ['error', event]])]), info)), (e) => {
        assert.ok(e instanceof SwitchyardError);
        assert.equal(e.status, status, JSON.stringify(inner));
        assert.equal(e.type, inner.type);
        assert.equal(e.metadata.error_type, errorType);
        assert.equal(e.code, inner.code ?? errorType);
        assert.equal(e.message, inner.message);
        assert.deepEqual(e.event, event);
        return true;
      });
    }
  });

  test('events without an event: line are read by their type', async () => {
    const events = await collect(messageEventStream(responseOf([sse(MESSAGE_EVENTS.map(([, d]) => [null, d]))]), info));
    assert.equal(events.length, MESSAGE_EVENTS.length - 1);
  });
});

describe('chunkStream', () => {
  test('ends at [DONE]; an error chunk is thrown with the chunk', async () => {
    const chunk = { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] };
    const ok = await collect(chunkStream(responseOf([`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\ndata: ${JSON.stringify(chunk)}\n\n`]), info));
    assert.deepEqual(ok, [chunk]);
    const bad = { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'error' }],
      error: { message: 'gone', type: 'server_error', code: 'provider_unavailable', param: null, metadata: { error_type: 'provider_unavailable' } } };
    await assert.rejects(collect(chunkStream(responseOf([`data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify(bad)}\n\n`]), info)), (e) => {
      assert.deepEqual([e.status, e.type, e.code, e.message], [502, 'server_error', 'provider_unavailable', 'gone']);
      assert.deepEqual(e.chunk, bad);
      return true;
    });
  });
});

describe('SwitchyardError.fromBody', () => {
  test("OpenAI's shape: every field as the core wrote it", () => {
    const body = { error: { message: 'bad temperature', type: 'invalid_request_error', code: 'invalid_value', param: 'temperature', metadata: { error_type: 'invalid_request' } } };
    const e = SwitchyardError.fromBody(400, JSON.stringify(body), { a: 'b' });
    assert.deepEqual([e.status, e.type, e.code, e.param, e.message, e.metadata.error_type], [400, 'invalid_request_error', 'invalid_value', 'temperature', 'bad temperature', 'invalid_request']);
    assert.deepEqual(e.headers, { a: 'b' });
  });

  test("Anthropic's shape: status from the answer, type kept, code and error_type derived", () => {
    const cases = [
      [401, 'authentication_error', 'auth'],
      [404, 'not_found_error', 'invalid_request'],
      [429, 'rate_limit_error', 'rate_limited'],
      [529, 'overloaded_error', 'provider_unavailable'],
      [400, 'invalid_request_error', 'invalid_request'],
    ];
    for (const [status, type, errorType] of cases) {
      const e = SwitchyardError.fromBody(status, JSON.stringify({ type: 'error', error: { type, message: `m ${type}` } }));
      assert.deepEqual([e.status, e.type, e.code, e.metadata.error_type, e.message, e.param], [status, type, errorType, errorType, `m ${type}`, null]);
    }
    const withParam = SwitchyardError.fromBody(400, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'x', param: 'messages[1].content[0].source.data', code: 'invalid_value' } }));
    assert.deepEqual([withParam.param, withParam.code], ['messages[1].content[0].source.data', 'invalid_value']);
  });

  test('a body that is not an error document keeps its text', () => {
    const e = SwitchyardError.fromBody(503, 'upstream connect error');
    assert.deepEqual([e.status, e.message, e.type, e.metadata.error_type], [503, 'upstream connect error', 'server_error', 'internal']);
  });
});
