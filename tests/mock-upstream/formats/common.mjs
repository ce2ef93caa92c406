// What every wire format of the mock shares: deterministic answers derived from
// the request, word-count "tokens", and the provider-independent reply that each
// format then writes in its own shape.
import zlib from 'node:zlib';

export const countTokens = (text) => (String(text ?? '').match(/\S+/g) ?? []).length;

/** A 400-class refusal raised while validating a request: `format.errorBody` renders it. */
export class Refusal extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;  // format-specific fields (type, code, param, status, details…)
  }
}

export const refuse = (status, message, extra) => { throw new Refusal(status, message, extra); };

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const isBase64 = (s) => typeof s === 'string' && s.length > 0 && s.length % 4 === 0 && BASE64.test(s);

/**
 * The provider-independent reply, from a format's view of the request:
 *   view = { last: { kind: 'user' | 'tool', pieces: [string] }, promptTokens, tools: [names],
 *            maxTokens?, stop: [string], json: bool }
 * and the scenario behaviour `b` (text, tool_call, finish_reason, cached_tokens).
 *
 * Returns { text, toolCalls: [{ index, name, args, arguments }], finish, nativeFinish?,
 *           stopSequence?, usage: { prompt, completion, cached } } where `finish` is one of
 * stop | length | tool_calls | stop_sequence | content_filter.
 */
export function replyFor(view, b) {
  let text;
  if (b.text !== undefined) text = String(b.text);
  else if (view.last.kind === 'tool') text = `mock: tool result ${view.last.pieces.join(' ')}`;
  else text = `mock: ${view.last.pieces.join(' ')}`;
  if (view.json && b.text === undefined) text = JSON.stringify({ mock: text });

  let finish = 'stop';
  let stopSequence;
  const calls = b.tool_call === undefined ? [] : Array.isArray(b.tool_call) ? b.tool_call : [b.tool_call];
  let toolCalls = [];
  if (calls.length && view.tools.length && view.last.kind !== 'tool') {
    toolCalls = calls.map((c, index) => {
      const args = typeof c.arguments === 'string' ? JSON.parse(c.arguments) : (c.arguments ?? {});
      return { index, name: c.name, args, arguments: JSON.stringify(args), preamble: c.text };
    });
    for (const c of toolCalls) {
      if (!view.tools.includes(c.name)) refuse(400, `mock: the scenario calls tool "${c.name}" but the request declares only ${JSON.stringify(view.tools)}`);
    }
    text = toolCalls[0].preamble ?? '';
    finish = 'tool_calls';
  } else {
    for (const s of view.stop ?? []) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0) { text = text.slice(0, at); finish = 'stop_sequence'; stopSequence = s; break; }
    }
    if (view.maxTokens !== undefined && countTokens(text) > view.maxTokens) {
      text = (text.match(/\S+\s*/g) ?? []).slice(0, view.maxTokens).join('').trimEnd();
      finish = 'length';
    }
  }
  const completion = countTokens(text) + toolCalls.reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments), 0);
  return {
    text, toolCalls, finish, stopSequence,
    nativeFinish: b.finish_reason,
    usage: { prompt: view.promptTokens, completion, cached: Number(b.cached_tokens ?? 0) },
  };
}

/** The answer text split as streams send it: one piece per word, trailing space kept. */
export const pieces = (text) => text.match(/\S+\s*/g) ?? [];

/** JSON arguments split into a few fragments, like providers stream them. */
export function argumentFragments(json) {
  if (json.length <= 4) return [json];
  const step = Math.ceil(json.length / 3);
  const out = [];
  for (let i = 0; i < json.length; i += step) out.push(json.slice(i, i + step));
  return out;
}

export const sse = (data, event) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/**
 * The mock's embedding of a text: `dims` numbers in [-1, 1] with 6 decimals, drawn from a
 * PRNG (mulberry32) seeded by the FNV-1a hash of the text's UTF-8 bytes. Deterministic, so
 * tests can compute the vector they expect.
 */
export function embedVector(text, dims = 8) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(String(text), 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  const out = [];
  for (let i = 0; i < dims; i++) {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(Math.round((r * 2 - 1) * 1e6) / 1e6 || 0);
  }
  return out;
}

/** A vector as OpenAI's encoding_format "base64": little-endian float32s. */
export const base64Floats = (vector) => Buffer.from(new Float32Array(vector).buffer).toString('base64');

/** The FNV-1a hash of a text's UTF-8 bytes (32 bits). */
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(String(text), 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/**
 * The mock's picture of a text: a valid 8×8 RGB PNG of one colour drawn from the FNV-1a hash
 * of `text` and `index` (the n-th image of a request), as base64. Deterministic, so tests can
 * compute the image they expect.
 */
export function pngOf(text, index = 0) {
  const h = fnv1a(`${text}\u0000${index}`);
  const side = 8;
  const row = Buffer.alloc(1 + side * 3);  // filter byte 0, then RGB pixels
  for (let x = 0; x < side; x++) row.set([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff], 1 + x * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);  // 8 bits, RGB, deflate, no filter method, no interlace
  const raw = Buffer.concat(Array.from({ length: side }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })), pngChunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}
