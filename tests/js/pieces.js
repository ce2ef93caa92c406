// Stream bodies for the package's reader tests: a fetch Response fed in chosen pieces, and text
// cut into pseudo-random pieces (seeded), so that lines, CRLFs and UTF-8 sequences end up split
// across reads.
const encoder = new TextEncoder();

/** A fetch Response whose body arrives in the given pieces (strings or byte arrays). */
export function responseOf(pieces, { status = 200, type = 'text/event-stream', headers = {} } = {}) {
  const queue = pieces.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const body = new ReadableStream({
    pull(controller) {
      if (queue.length === 0) return controller.close();
      controller.enqueue(queue.shift());
    },
  });
  return new Response(body, { status, headers: { 'content-type': type, ...headers } });
}

/** The bytes of `text` in pieces of 1 to 7 bytes, cut where the seed says. */
export function splitBytes(text, seed) {
  const bytes = encoder.encode(text);
  const out = [];
  let state = seed;
  for (let at = 0; at < bytes.length; ) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const n = 1 + (state % 7);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}
