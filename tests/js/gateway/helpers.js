// Helpers for the edge gateway tests (tests/js/gateway*.test.js).
import net from 'node:net';

export const TIMEOUT_MS = 10000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** fetch with a bounded time; `json` is the parsed body when it is JSON. */
export async function call(url, { method = 'GET', headers = {}, body } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

export const chat = (url, body, headers) => call(`${url}/v1/chat/completions`, { method: 'POST', body, headers });

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text) {
  return text
    .split(/\n\n/)
    .map((event) => event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'))
    .filter((data) => data !== '');
}

export const userMessage = (content) => [{ role: 'user', content }];

/** A gateway config whose openai-compatible providers point at the mock's scenarios. */
export function testConfig(mock) {
  const provider = (scenario, extra = {}) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(scenario), ...extra });
  return {
    providers: {
      up: provider('ok'),
      bad: provider('fail'),
      cached: provider('cache'),
      keyed: provider('keyed', { api_key: 'env:SY_TEST_UPSTREAM_KEY' }),
      cut: provider('cut'),
      slow: provider('slow', { timeout_ms: 300 }),
      flaky: provider('flaky'),
      echo: { type: 'echo' },
    },
    models: {
      plain: { strategy: 'fallback', targets: [{ provider: 'up', model: 'm1' }] },
      fo: { strategy: 'fallback', targets: [{ provider: 'bad', model: 'm1' }, { provider: 'up', model: 'm2' }] },
      cachey: { strategy: 'fallback', targets: [{ provider: 'cached', model: 'm1' }] },
      keyed: { strategy: 'fallback', targets: [{ provider: 'keyed', model: 'm1' }] },
      echo: { strategy: 'fallback', targets: [{ provider: 'echo', model: 'echo-1' }] },
      cut: { strategy: 'fallback', targets: [{ provider: 'cut', model: 'm1' }] },
      slow: { strategy: 'fallback', targets: [{ provider: 'slow', model: 'm1' }] },
      flaky: { strategy: 'fallback', targets: [{ provider: 'flaky', model: 'm1' }] },
    },
    services: {
      greet: { model: 'plain', system: 'Be brief.', prompt: 'Say hello to {{name}}' },
    },
    retry: { attempts: 1, backoff_ms: 1, max_backoff_ms: 10 },
    cache: { enabled: true },
  };
}

/**
 * Spawned processes killed at exit, whatever happened to the test. `group`: the child was spawned
 * `detached` (a process group of its own), and its whole group goes with it.
 */
const children = new Map();
export function track(child, { group = false } = {}) {
  children.set(child, group);
  child.once('exit', () => children.delete(child));
  return child;
}
/** Kills a detached child's process group: the child and whatever it started. */
export function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already
  }
}
process.once('exit', () => {
  for (const [child, group] of children) group ? killGroup(child) : child.kill('SIGKILL');
});
