// A request body that arrives slowly, for the tests of streamed bodies (tests/js/driver.test.js,
// tests/js/core_suite.js): `size`-byte pieces every `everyMs`, forever or up to `total` bytes,
// counting what was pulled from it and whether it was cancelled.

const encoder = new TextEncoder();

/**
 * @param {{ size?: number, everyMs?: number, total?: number, text?: string }} [options] `text`:
 *   the bytes to send (piece by piece) instead of "x" repeated
 * @returns {{ stream: ReadableStream<Uint8Array>, pulled: number, cancelled: boolean }}
 */
export function slowBody({ size = 1, everyMs = 20, total = Infinity, text } = {}) {
  const bytes = text === undefined ? null : encoder.encode(text);
  const limit = bytes ? bytes.length : total;
  const seen = { pulled: 0, cancelled: false };
  seen.stream = new ReadableStream(
    {
      async pull(controller) {
        if (seen.pulled >= limit) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        const n = Math.min(size, limit - seen.pulled);
        controller.enqueue(bytes ? bytes.slice(seen.pulled, seen.pulled + n) : encoder.encode('x'.repeat(n)));
        seen.pulled += n;
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return seen;
}
