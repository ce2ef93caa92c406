// The floor of the gateway benchmarks: a workerd worker that forwards every request to one
// upstream and returns its answer untouched (what any worker pays to proxy). Used by
// bench/gateway_bench.mjs, bench/gateway_profile.mjs and bench/gateway_ab.mjs. More reference
// workers show the least a gateway pays for the I/O it cannot avoid (no parsing, no policy):
// - `floor-pass`, the least any router pays: it reads the caller's body whole (the model to
//   route by is in it), sends it upstream with headers of its own (the provider's key) and
//   answers the upstream's body untouched, piped by workerd, under headers of its own (nothing
//   cached, counted or translated);
// - `floor-tee`: floor-pass with a copy of the answer read chunk by chunk in JS (tee()), as a
//   gateway would that pipes the answer natively and still sees it;
// - `floor-miss` reads the answer whole too and answers it in a new Response (a gateway must, to
//   cache it, count its usage or translate it);
// - `floor-stream` is floor-miss for a streamed answer: it reads the upstream's body chunk by
//   chunk in JS and enqueues each chunk into its answer's stream as it arrives (a gateway must
//   see each chunk to translate it, collect it or count it);
// - `floor-hit` reads the caller's body and answers a stored ~600-byte answer (a cache hit).
import fs from 'node:fs';
import path from 'node:path';

const STORED = JSON.stringify({
  id: 'chatcmpl-floor',
  object: 'chat.completion',
  created: 1767225600,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'A stored answer of the floor worker. '.repeat(10).trim() }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 212, completion_tokens: 61, total_tokens: 273 },
});

// The floor workers' first step: the caller's body read whole and sent upstream (worker source).
const CALL_UPSTREAM = `    const url = new URL(request.url);
    const body = await request.arrayBuffer();
    const upstream = await fetch(env.UPSTREAM + url.pathname + url.search, {
      method: request.method,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-floor' },
      body,
    });
`;

// Their last step: `body` (a worker-source expression) answered with the upstream's status and
// content type (`fallbackType` when it sent none) and a request id of its own.
const answerWith = (body, fallbackType) => `    return new Response(${body}, {
      status: upstream.status,
      headers: { 'content-type': upstream.headers.get('content-type') ?? '${fallbackType}', 'x-request-id': crypto.randomUUID() },
    });
`;

const WORKERS = {
  bare: `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, request);
  },
};
`,
  'floor-miss': `export default {
  async fetch(request, env) {
${CALL_UPSTREAM}    const answer = await upstream.arrayBuffer();
    return new Response(answer, {
      status: upstream.status,
      headers: { 'content-type': 'application/json', 'x-request-id': crypto.randomUUID() },
    });
  },
};
`,
  'floor-pass': `export default {
  async fetch(request, env) {
${CALL_UPSTREAM}${answerWith('upstream.body', 'application/json')}  },
};
`,
  'floor-tee': `export default {
  async fetch(request, env, ctx) {
${CALL_UPSTREAM}    const [mine, theirs] = upstream.body.tee();
    const reader = mine.getReader();
    ctx.waitUntil((async () => {
      for (;;) if ((await reader.read()).done) return;
    })());
${answerWith('theirs', 'application/json')}  },
};
`,
  'floor-stream': `export default {
  async fetch(request, env) {
${CALL_UPSTREAM}    const reader = upstream.body.getReader();
    let controller;
    const answer = new ReadableStream({ start(c) { controller = c; } });
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
      }
    })().catch((error) => controller.error(error));
${answerWith('answer', 'text/event-stream')}  },
};
`,
  'floor-hit': `const STORED = ${JSON.stringify(STORED)};
export default {
  async fetch(request) {
    await request.arrayBuffer();
    return new Response(STORED, {
      headers: { 'content-type': 'application/json', 'x-request-id': crypto.randomUUID(), 'x-switchyard-cache': 'HIT' },
    });
  },
};
`,
};

/** The reference workers' names: 'bare' and the floors above. */
export const REFERENCE_WORKERS = Object.keys(WORKERS);

/**
 * Writes the bare proxy (bare.js) and its workerd config (bare.capnp, listening on 127.0.0.1:0)
 * into `dir`, forwarding to `upstream` (scheme, host and port: the request's path is appended),
 * with workerd's `v8Flags` (strings, as worker/gateway.mjs gives the gateway); `kind` is 'bare'
 * or one of the floor workers above. Returns the config's path.
 */
export function writeBareProxy(dir, upstream, v8Flags = [], kind = 'bare') {
  if (!WORKERS[kind]) throw new Error(`no reference worker ${JSON.stringify(kind)} (known: ${Object.keys(WORKERS).join(', ')})`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bare.js'), WORKERS[kind]);
  const file = path.join(dir, 'bare.capnp');
  fs.writeFileSync(
    file,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (${v8Flags.length ? `\n  v8Flags = [${v8Flags.map((f) => JSON.stringify(f)).join(', ')}],` : ''}
  services = [(name = "main", worker = .bare), (name = "upstream", network = (allow = ["local", "private"]))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const bare :Workerd.Worker = (
  modules = [(name = "bare.js", esModule = embed "bare.js")],
  compatibilityDate = "2025-06-01",
  bindings = [(name = "UPSTREAM", text = ${JSON.stringify(upstream)})],
  globalOutbound = "upstream",
);
`,
  );
  return file;
}
