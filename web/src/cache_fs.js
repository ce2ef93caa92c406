// The persistent cache tier (L2) of the Node entry: one file per key in a directory. Off by
// default: createSwitchyard({ persist: 'fs', persistOptions: { dir } }).
// docs/host-interface.md describes the tier contract (CACHE_GET / CACHE_PUT).
//
// File `<dir>/<key>.entry` holds one line with the expiry (ms on the Date.now() clock), then the
// entry line. A write goes to a temporary file in the same directory, is flushed, and is then
// renamed over the old file: a crash leaves either the old entry or the new one, never half of
// one (stray temporary files are removed when the tier is opened). The file's mtime is set to
// the expiry as well, so that eviction (expired first, then the oldest expiry while over the
// byte budget, 64 MiB by default) needs only a directory listing.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';

const SUFFIX = '.entry';
const TMP_SUFFIX = '.tmp';
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const KEY = /^[A-Za-z0-9_-]{1,200}$/; // cache keys are 32 lowercase hex characters

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function asBytes(entry) {
  if (typeof entry === 'string') return encoder.encode(entry);
  if (entry instanceof Uint8Array) return entry;
  if (entry instanceof ArrayBuffer) return new Uint8Array(entry);
  return encoder.encode(String(entry));
}

/**
 * Opens (creating if needed) the on-disk tier.
 * @param {{ dir: string, maxBytes?: number, now?: () => number }} options
 */
export async function openFsTier(options = {}) {
  const dir = options.dir;
  if (typeof dir !== 'string' || dir === '') throw new Error("persist 'fs' needs persistOptions.dir (a directory)");
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = options.now ?? (() => Date.now());
  await mkdir(dir, { recursive: true });

  // key -> { bytes, expires } for every file, from one listing at open; kept up to date by
  // this process (another process on the same directory is seen by get(), not by eviction).
  const index = new Map();
  let total = 0;
  for (const name of await readdir(dir)) {
    const file = join(dir, name);
    if (name.endsWith(TMP_SUFFIX)) {
      await unlink(file).catch(() => {}); // an interrupted write
      continue;
    }
    if (!name.endsWith(SUFFIX)) continue;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    index.set(name.slice(0, -SUFFIX.length), { bytes: info.size, expires: info.mtimeMs });
    total += info.size;
  }

  const pathOf = (key) => join(dir, key + SUFFIX);
  let chain = Promise.resolve(); // writes and eviction run one at a time

  function serial(task) {
    const run = chain.then(task, task);
    chain = run.catch(() => {});
    return run;
  }

  function forget(key) {
    const known = index.get(key);
    if (known) total -= known.bytes;
    index.delete(key);
  }

  async function evict() {
    const t = now();
    const expired = [...index].filter(([, v]) => !(v.expires > t));
    for (const [key] of expired) {
      forget(key);
      await unlink(pathOf(key)).catch(() => {});
    }
    if (total <= maxBytes) return;
    const oldest = [...index].sort((a, b) => a[1].expires - b[1].expires);
    for (const [key] of oldest) {
      if (total <= maxBytes) break;
      forget(key);
      await unlink(pathOf(key)).catch(() => {});
    }
  }

  return {
    kind: 'fs',
    dir,

    /** The entry line for `key`, or null when absent, expired or unreadable. */
    async get(key) {
      key = String(key);
      if (!KEY.test(key)) return null;
      let text;
      try {
        text = decoder.decode(await readFile(pathOf(key)));
      } catch {
        return null;
      }
      const newline = text.indexOf('\n');
      const expires = Number(text.slice(0, newline));
      if (newline < 0 || !(expires > now())) return null;
      return text.slice(newline + 1);
    },

    /** Stores (replacing) the entry under `key` until `expiresAtMs`: temp file, flush, rename. */
    put(key, entryBytes, expiresAtMs) {
      key = String(key);
      const expires = Number(expiresAtMs);
      if (!KEY.test(key) || !(expires > now())) return Promise.resolve();
      const head = encoder.encode(`${Math.round(expires)}\n`);
      const body = asBytes(entryBytes);
      const bytes = head.length + body.length;
      if (bytes > maxBytes) return Promise.resolve();
      return serial(async () => {
        const tmp = join(dir, `${key}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
        try {
          const handle = await open(tmp, 'w', 0o600);
          try {
            await handle.write(head);
            await handle.write(body);
            await handle.sync();
          } finally {
            await handle.close();
          }
          const seconds = expires / 1000;
          await utimes(tmp, seconds, seconds); // the expiry, for eviction after a restart
          await rename(tmp, pathOf(key));
        } catch (error) {
          await unlink(tmp).catch(() => {});
          throw error;
        }
        forget(key);
        index.set(key, { bytes, expires });
        total += bytes;
        await evict();
      });
    },

    /** Every live entry line. */
    async *entries() {
      let names;
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const name of names) {
        if (!name.endsWith(SUFFIX)) continue;
        const line = await this.get(name.slice(0, -SUFFIX.length));
        if (line !== null) yield line;
      }
    },

    /** Removes every entry (and nothing else in the directory). */
    clear() {
      return serial(async () => {
        for (const name of await readdir(dir)) {
          if (name.endsWith(SUFFIX) || name.endsWith(TMP_SUFFIX)) await rm(join(dir, name), { force: true });
        }
        index.clear();
        total = 0;
      });
    },

    stats() {
      return { entries: index.size, bytes: total, max_bytes: maxBytes };
    },

    /** Waits for pending writes. */
    close() {
      return chain;
    },
  };
}
