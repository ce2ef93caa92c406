// A loopback OpenAI-compatible upstream for limit tests: it answers every chat completion after
// `delayMs`, and counts the requests it has in flight at once (`maxInFlight`) and in all
// (`total`), so a test can check what a provider's `limits` let through; `reset()` starts both
// counts again (between tests, with nothing in flight).
import http from 'node:http';

/**
 * @param {{ delayMs?: number }} [options]
 * @returns {Promise<{ url: string, inFlight: number, maxInFlight: number, total: number, reset: () => void, close: () => Promise<void> }>}
 */
export async function startCountingUpstream({ delayMs = 150 } = {}) {
  const counts = { inFlight: 0, maxInFlight: 0, total: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      counts.inFlight++;
      counts.total++;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      setTimeout(() => {
        counts.inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          id: `chatcmpl-${counts.total}`, object: 'chat.completion', created: 1, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'counted' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        }));
      }, delayMs);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    get inFlight() { return counts.inFlight; },
    get maxInFlight() { return counts.maxInFlight; },
    get total() { return counts.total; },
    reset() {
      counts.maxInFlight = counts.inFlight;
      counts.total = 0;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
  return upstream;
}
