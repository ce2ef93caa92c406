// Streamed answers as async iterables, one per wire format the core speaks to callers:
// chat.completion.chunk objects (POST /v1/chat/completions), the Responses API's typed events
// (POST /v1/responses), Anthropic's message events (POST /v1/messages) and a pipeline's
// step / delta / done events (POST /v1/pipelines/{name}). Each is iterated
// once; leaving the loop early cancels the request; a failure after the stream started is
// thrown as a SwitchyardError (status, type, code, param) carrying the event as `event`.

import { SwitchyardError, packageError } from './errors.js';

/**
 * Parses a text/event-stream body into its events: { event, data } with `event` the `event:`
 * field (null when absent) and `data` the `data:` lines joined by "\n". Comments, `id:` and
 * `retry:` fields are skipped; an event with no data is not yielded.
 */
export async function* sseEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  let event = null;
  const field = (line, name) => line.slice(line.startsWith(`${name}: `) ? name.length + 2 : name.length + 1);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (done) buffer += '\n\n'; // an unterminated last event still counts
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        if (newline === buffer.length - 1 && buffer[newline] === '\r' && !done) break; // maybe half a CRLF
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          data = [];
          event = null;
        } else if (line.startsWith('data:')) {
          data.push(field(line, 'data'));
        } else if (line.startsWith('event:')) {
          event = field(line, 'event');
        }
      }
      if (done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Parses a text/event-stream body into the `data` payload of each event. */
export async function* sseData(body) {
  for await (const { data } of sseEvents(body)) yield data;
}

function parseEvent(data) {
  try {
    return JSON.parse(data);
  } catch (cause) {
    throw packageError(502, 'internal', 'the stream carried an event that is not JSON', { code: 'bad_response', cause });
  }
}

/**
 * The iterable over a streamed answer. `step(sse)` turns one SSE event into the value to yield,
 * `undefined` to skip it, or `DONE` to end; it throws to fail the stream.
 */
function eventStream(response, info, step) {
  let used = false;
  return {
    response,
    get _switchyard() {
      return info;
    },
    async *[Symbol.asyncIterator]() {
      if (used) throw packageError(400, 'invalid_request', 'a stream can be iterated only once');
      used = true;
      for await (const sse of sseEvents(response.body)) {
        const value = step(sse);
        if (value === DONE) return;
        if (value !== undefined) yield value;
      }
    },
  };
}

const DONE = Symbol('done');

function streamError(document, info, event, name = 'event') {
  const error = SwitchyardError.fromDocument(document, undefined, info.headers);
  if (error.message === 'HTTP 502') error.message = 'the stream failed';
  error[name] = event;
  return error;
}

/**
 * chat.completion.chunk objects; ends after `data: [DONE]`. A chunk whose `error` is set (an
 * upstream failure after the stream started) is thrown as a SwitchyardError whose `chunk` is it.
 */
export function chunkStream(response, info) {
  return eventStream(response, info, ({ data }) => {
    if (data.trim() === '[DONE]') return DONE;
    const chunk = parseEvent(data);
    if (chunk && chunk.error) throw streamError(chunk.error, info, chunk, 'chunk');
    return chunk;
  });
}

/**
 * The Responses API's typed events ({type, sequence_number, …}). An `error` event, or a
 * `response.failed` one before it, is thrown as a SwitchyardError whose `event` is that event.
 */
export function responseEventStream(response, info) {
  return eventStream(response, info, ({ event: name, data }) => {
    if (data.trim() === '[DONE]') return DONE;
    const event = parseEvent(data);
    const type = event?.type ?? name;
    if (type === 'error') {
      const inner = event.error && typeof event.error === 'object' ? event.error : {};
      const { type: _eventType, error: _inner, sequence_number: _n, ...fields } = event;
      throw streamError({ ...fields, ...inner }, info, event);
    }
    if (type === 'response.failed') {
      throw streamError({ message: 'the response failed', ...(event.response?.error ?? {}) }, info, event);
    }
    return event;
  });
}

/**
 * Anthropic's message events (message_start, content_block_start, content_block_delta,
 * content_block_stop, message_delta, message_stop); `ping` events are skipped. An `error` event
 * ({type: "error", error: {type, message}}) is thrown as a SwitchyardError whose `event` is it.
 */
export function messageEventStream(response, info) {
  return eventStream(response, info, ({ event: name, data }) => {
    const event = parseEvent(data);
    const type = event?.type ?? name;
    if (type === 'ping') return undefined;
    if (type === 'error') throw streamError(event.error && typeof event.error === 'object' ? event.error : {}, info, event);
    return event;
  });
}

/**
 * The error a pipeline answered (a failing status's body, or a stream's `error` event's data):
 * {"error": {..., metadata: {step}}, "steps": {...}}. The SwitchyardError also carries `step`
 * (the failing step's id, null when no step is named: a deadline, an unknown pipeline) and
 * `steps` (the steps that finished before it, by id).
 */
export function pipelineError(error, body) {
  const steps = body && typeof body === 'object' && body.steps && typeof body.steps === 'object' ? body.steps : {};
  const step = error.metadata?.step;
  error.step = typeof step === 'string' ? step : null;
  error.steps = steps;
  return error;
}

/**
 * A pipeline's events: `step` ({id, text, json?, model, provider, cache, attempts, ms, usage,
 * skipped?, error?}, one per finished or skipped step) → {type: 'step', step}; `delta` ({text},
 * the output step's tokens) → {type: 'delta', text}; `done` (the whole answer) →
 * {type: 'done', answer}, which ends the stream. An `error` event ({error, steps}) is thrown
 * as a SwitchyardError with `step`, `steps` and `event` (its data). Other events are skipped.
 */
export function pipelineEventStream(response, info) {
  let done = false;
  return eventStream(response, info, ({ event: name, data }) => {
    if (done) return DONE;
    const event = parseEvent(data);
    switch (name) {
      case 'step':
        return { type: 'step', step: event };
      case 'delta':
        return { type: 'delta', text: typeof event?.text === 'string' ? event.text : '' };
      case 'done':
        done = true;
        return { type: 'done', answer: event };
      case 'error': {
        const inner = event?.error && typeof event.error === 'object' ? event.error : { message: 'the pipeline failed' };
        throw pipelineError(streamError(inner, info, event), event);
      }
      default:
        return undefined;
    }
  });
}
