// Cache snapshots in hosts with a persistent tier (docs/host-interface.md, "Cache snapshots"):
// the core exports what its own cache holds, the tier may hold more (entries from before a
// reload), so a host's export is the union. Shared by the package and the edge worker.

const decoder = new TextDecoder();

/**
 * The core's entries and the tier's entry lines, one per key: the newest `expires_at` wins;
 * expired or unreadable tier lines are left out.
 * @param {Array<object>} coreEntries
 * @param {AsyncIterable<string|Uint8Array>|Iterable<string|Uint8Array>} tierLines
 * @param {number} [now] the host clock (ms)
 */
export async function mergeSnapshotEntries(coreEntries, tierLines, now = Date.now()) {
  const byKey = new Map();
  const keep = (entry) => {
    if (!entry || typeof entry !== 'object' || typeof entry.key !== 'string') return;
    const old = byKey.get(entry.key);
    if (!old || Number(entry.expires_at ?? 0) > Number(old.expires_at ?? 0)) byKey.set(entry.key, entry);
  };
  for (const entry of coreEntries) keep(entry);
  for await (const line of tierLines) {
    let entry;
    try {
      entry = JSON.parse(typeof line === 'string' ? line : decoder.decode(line));
    } catch {
      continue; // a damaged tier entry is left out
    }
    if (Number(entry?.expires_at ?? Infinity) <= now) continue;
    keep(entry);
  }
  return [...byKey.values()];
}

/** A snapshot's text (JSON or NDJSON) as { head, entries }. */
export function parseSnapshot(text, ndjson) {
  if (ndjson) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return { head: JSON.parse(lines[0]), entries: lines.slice(1).map((l) => JSON.parse(l)) };
  }
  const { entries = [], ...head } = JSON.parse(text);
  return { head, entries };
}

/** NDJSON text of a snapshot: the head line, then one entry per line. */
export function ndjsonOf(head, entries) {
  return [head, ...entries].map((e) => JSON.stringify(e)).join('\n') + '\n';
}
