// The persistent cache tier (L2) of the browser and web workers: IndexedDB.
// docs/host-interface.md describes the tier contract (CACHE_GET / CACHE_PUT); the driver calls
// get / put, the package's cache API calls entries / clear.
//
// One database ("switchyard" by default), one object store "cache" keyed by the cache key.
// A value is { key, entry, expires_at, bytes }: `entry` is the snapshot line the core handed
// over (text), `expires_at` the expiry on the Date.now() clock, `bytes` what the record counts
// against the budget. One extra record under META_KEY (not a cache key: those are 32 hex
// characters) holds the total of `bytes`, updated in the same transaction as every write, so
// that the budget needs no scan. The index "expires_at" orders eviction: expired entries first,
// then the oldest expiry until the total fits the byte budget (64 MiB by default).

const STORE = 'cache';
const INDEX = 'expires_at';
const META_KEY = '#meta';
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const PAGE = 256; // records per transaction when exporting

const decoder = new TextDecoder();

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function asText(entry) {
  if (typeof entry === 'string') return entry;
  if (entry instanceof Uint8Array) return decoder.decode(entry);
  if (entry instanceof ArrayBuffer) return decoder.decode(new Uint8Array(entry));
  return String(entry);
}

// Bytes a record counts against the budget: its key and entry as UTF-8 (an upper bound of
// the UTF-16 length × 3 would be cheaper but overcounts ASCII threefold).
function sizeOf(key, entry) {
  let n = 16; // expires_at, bytes and record overhead, roughly
  for (const s of [key, entry]) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
  }
  return n;
}

/**
 * Opens (creating if needed) the IndexedDB tier.
 * @param {{ database?: string, maxBytes?: number, indexedDB?: IDBFactory, now?: () => number }} [options]
 * @returns {Promise<{ get, put, entries, clear, close, stats }>}
 */
export async function openIndexedDbTier(options = {}) {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available in this environment');
  const name = options.database ?? 'switchyard';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = options.now ?? (() => Date.now());

  const open = factory.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(STORE)) {
      const store = db.createObjectStore(STORE, { keyPath: 'key' });
      store.createIndex(INDEX, INDEX);
      store.put({ key: META_KEY, total: 0 }); // no expires_at: not in the index
    }
  };
  const blocked = new Promise((_, reject) => {
    open.onblocked = () => reject(new Error(`the IndexedDB database "${name}" is blocked by another tab`));
  });
  let db = await Promise.race([promised(open), blocked]);
  // Another tab upgrading the database: step aside (later calls fail, which the driver treats
  // as misses).
  db.onversionchange = () => {
    db.close();
    db = null;
  };

  const live = () => {
    if (!db) throw new Error('the IndexedDB tier is closed');
    return db;
  };

  // The running total, recomputed by one scan when the meta record is missing or damaged.
  async function total(store) {
    const meta = await promised(store.get(META_KEY));
    if (meta && Number.isFinite(meta.total) && meta.total >= 0) return meta.total;
    let sum = 0;
    await new Promise((resolve, reject) => {
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return resolve();
        if (c.value.key !== META_KEY) sum += Number(c.value.bytes) || 0;
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
    return sum;
  }

  // Deletes expired records, then the oldest expiry first while over the budget.
  function evict(store, sum, budget, t) {
    return new Promise((resolve, reject) => {
      const cursor = store.index(INDEX).openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || (c.value.expires_at > t && sum <= budget)) return resolve(sum);
        sum -= Number(c.value.bytes) || 0;
        c.delete();
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
  }

  return {
    kind: 'indexeddb',

    /** The entry line for `key`, or null when absent or expired. */
    async get(key) {
      const tx = live().transaction(STORE, 'readonly');
      const record = await promised(tx.objectStore(STORE).get(String(key)));
      if (!record || record.key === META_KEY) return null;
      if (!(record.expires_at > now())) return null; // evicted by the next write
      return record.entry;
    },

    /** Stores (replacing) the entry under `key` until `expiresAtMs`, then evicts. */
    async put(key, entryBytes, expiresAtMs) {
      key = String(key);
      if (key === META_KEY) return;
      const entry = asText(entryBytes);
      const expires = Number(expiresAtMs);
      const t = now();
      if (!(expires > t)) return; // already expired
      const bytes = sizeOf(key, entry);
      const tx = live().transaction(STORE, 'readwrite');
      const done = finished(tx);
      const store = tx.objectStore(STORE);
      let sum = await total(store);
      const old = await promised(store.get(key));
      if (old) sum -= Number(old.bytes) || 0;
      if (bytes > maxBytes) {
        if (old) store.delete(key); // too large for the budget: never stored
      } else {
        store.put({ key, entry, expires_at: expires, bytes });
        sum += bytes;
        // Every write sweeps what expired; a full tier also drops the oldest expiries.
        sum = await evict(store, sum, maxBytes, t);
      }
      store.put({ key: META_KEY, total: Math.max(0, sum) });
      await done;
    },

    /** Every live entry line, a page of records per transaction. */
    async *entries() {
      let after = null;
      for (;;) {
        const tx = live().transaction(STORE, 'readonly');
        const range = after === null ? null : IDBKeyRange.lowerBound(after, true);
        const records = await promised(tx.objectStore(STORE).getAll(range, PAGE));
        if (records.length === 0) return;
        after = records[records.length - 1].key;
        const t = now();
        for (const record of records) {
          if (record.key !== META_KEY && record.expires_at > t) yield record.entry;
        }
        if (records.length < PAGE) return;
      }
    },

    /** Removes every entry. */
    async clear() {
      const tx = live().transaction(STORE, 'readwrite');
      const done = finished(tx);
      const store = tx.objectStore(STORE);
      store.clear();
      store.put({ key: META_KEY, total: 0 });
      await done;
    },

    /** { entries, bytes } of the tier. */
    async stats() {
      const tx = live().transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const [count, bytes] = await Promise.all([promised(store.count()), total(store)]);
      return { entries: Math.max(0, count - 1), bytes, max_bytes: maxBytes };
    },

    close() {
      db?.close();
      db = null;
    },
  };
}
