// What every Chromium test needs: the repository served on a loopback origin, and Debian's
// chromium driven by playwright-core (never a downloaded browser); a CORS proxy for upstreams.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

export function listen(server) {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

export function close(server) {
  if (!server?.listening) return Promise.resolve();
  server.closeAllConnections?.();
  return new Promise((ok) => server.close(ok));
}

/** A static file server for the repository on loopback: each one is an origin of its own. */
export function serveRepository() {
  return serveDirectory(root);
}

/**
 * A static file server for one directory (a built app, say) on loopback; `headers` go on every
 * answer. A path ending in / serves its index.html.
 */
export function serveDirectory(base, { headers = {} } = {}) {
  base = resolve(base);
  return listen(createServer(async (req, res) => {
    let path = resolve(join(base, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (path !== base && !path.startsWith(base + sep)) return res.writeHead(403).end();
    if (req.url.split('?')[0].endsWith('/')) path = join(path, 'index.html');
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a file');
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...headers });
    createReadStream(path).pipe(res);
  }));
}

export const originOf = (server) => `http://127.0.0.1:${server.address().port}`;

/** Debian's chromium, headless, with a fresh profile and no background networking. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Fails clearly when the browser build is missing. */
export async function requireWebBuild() {
  await stat(join(root, 'web/dist/switchyard_core.wasm')).catch(() => {
    throw new Error('web/dist/switchyard_core.wasm is missing: build the `web` preset first');
  });
}

/**
 * Forwards to `target` (the mock's origin) with CORS for any origin; a client that goes away
 * aborts the forwarded request, and a reset upstream resets the client. For upstreams without
 * CORS (tests/mock-upstream) reached from a page of another origin.
 */
export function corsProxy(target) {
  return listen(createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
      'access-control-expose-headers': '*',
    };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    const headers = { ...req.headers };
    delete headers.host;
    const up = request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode, { ...answer.headers, ...cors });
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }));
}
