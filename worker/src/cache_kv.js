// The edge gateway's persistent cache tier (L2): a Workers KV namespace bound as
// SWITCHYARD_CACHE (wrangler.toml `kv_namespaces`, or locally workerd's bundled KV worker, see
// worker/gateway.mjs). Without that binding the gateway keeps L1 only.
// docs/host-interface.md describes the tier contract (CACHE_GET / CACHE_PUT).
//
// A value is the entry line; its metadata holds `expires_at` (ms). KV expires keys itself
// (`expirationTtl`, at least 60 s), and a get checks `expires_at` too, so an entry never
// outlives the expiry the core gave it. KV's own limits bound the tier; eviction is KV's.

const PREFIX = 'switchyard:cache:';
const MIN_TTL_S = 60; // KV refuses a shorter expirationTtl
const decoder = new TextDecoder();

/**
 * @param {KVNamespace} namespace the binding
 * @param {{ prefix?: string, now?: () => number }} [options]
 */
export function createKvTier(namespace, options = {}) {
  const prefix = options.prefix ?? PREFIX;
  const now = options.now ?? (() => Date.now());

  async function get(key) {
    const { value, metadata } = await namespace.getWithMetadata(prefix + key, { type: 'text' });
    if (value === null || value === undefined) return null;
    const expires = Number(metadata?.expires_at);
    if (!(expires > now())) return null;
    return value;
  }

  return {
    kind: 'kv',
    get,

    async put(key, entryBytes, expiresAtMs) {
      const expires = Number(expiresAtMs);
      const t = now();
      if (!(expires > t)) return;
      const text = typeof entryBytes === 'string' ? entryBytes : decoder.decode(entryBytes);
      await namespace.put(prefix + key, text, {
        expirationTtl: Math.max(MIN_TTL_S, Math.ceil((expires - t) / 1000)),
        metadata: { expires_at: expires },
      });
    },

    /** Every live entry line (KV's list is eventually consistent). */
    async *entries() {
      let cursor;
      do {
        const page = await namespace.list({ prefix, cursor });
        for (const { name, metadata } of page.keys) {
          if (metadata && !(Number(metadata.expires_at) > now())) continue;
          const line = await get(name.slice(prefix.length));
          if (line !== null) yield line;
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    },

    async clear() {
      let cursor;
      do {
        const page = await namespace.list({ prefix, cursor });
        await Promise.all(page.keys.map(({ name }) => namespace.delete(name)));
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    },
  };
}
