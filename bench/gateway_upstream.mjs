// The upstream of bench/gateway_bench.mjs: an OpenAI-compatible chat endpoint on loopback that
// answers every POST …/chat/completions with the same ~600-byte chat.completion (or, for
// `"stream": true`, the same text as 8 SSE chunks and [DONE], the first at once and the rest
// `--chunk-ms` apart), without parsing more of the body than the stream flag. It does as little
// as it can, so that what is measured is the proxy in front of it. `--chunks N`: N content
// chunks of one word each instead (the text's words in turn, repeated as needed: as OpenAI
// streams a long answer). Run as a child process:
//
//   node bench/gateway_upstream.mjs [--port 0] [--chunk-ms 2] [--chunks N]   → prints {"port": N} on stdout
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '0' }, 'chunk-ms': { type: 'string', default: '2' }, chunks: { type: 'string' } },
});
const CHUNK_MS = Number(args['chunk-ms']);

const TEXT =
  'Switchyard routes, balances, retries and caches calls to AI providers from one small core. ' +
  'This fixed answer is what the benchmark upstream sends for every request, stream or not.';
const ANSWER = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1767225600,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 250, completion_tokens: 40, total_tokens: 290 },
  system_fingerprint: 'fp_bench',
});

function chunk(delta, finish) {
  const body = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1767225600,
    model: 'bench-model',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}
const WORDS = TEXT.split(/(?<= )/);
const CHUNKS = [chunk({ role: 'assistant', content: '' }, null)];
if (args.chunks === undefined) {
  const perChunk = Math.ceil(WORDS.length / 7);
  for (let i = 0; i < WORDS.length; i += perChunk) CHUNKS.push(chunk({ content: WORDS.slice(i, i + perChunk).join('') }, null));
} else {
  for (let i = 0; i < Number(args.chunks); i++) CHUNKS.push(chunk({ content: WORDS[i % WORDS.length] }, null));
}
CHUNKS.push(chunk({}, 'stop') + 'data: [DONE]\n\n');

function stream(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    res.write(CHUNKS[i++]);
    if (i < CHUNKS.length) setTimeout(next, CHUNK_MS);
    else res.end();
  };
  next();
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    // The stream flag is all this upstream reads of the body.
    if (/"stream"\s*:\s*true/.test(Buffer.concat(parts).toString('latin1'))) return stream(res);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
    res.end(ANSWER);
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
