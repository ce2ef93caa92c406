// Shared objects in memory behind `host.state(objectName, opText)` (docs/host-interface.md,
// "Shared state"), for tests that need the other side of STATE without workerd: the pool protocol
// (lease and get ops) with the same semantics as src/ledger/pool.cc, on the clock `now()`.
// A bad op rejects with an Error whose `status` is 400, as the Durable Object answers it.

/**
 * @param {{ now?: () => number }} [options]
 * @returns {{ state: (name: string, opText: string) => Promise<string>, apply: (name: string, op: object) => object, ops: number }}
 */
export function createFakeState({ now = () => Date.now() } = {}) {
  const objects = new Map(); // name -> Map(pool -> { total, entries: [[at, amount]], leases: Map(holder -> { amount, expiresAt }) })

  function poolOf(name, pool) {
    if (!objects.has(name)) objects.set(name, new Map());
    const pools = objects.get(name);
    if (!pools.has(pool)) pools.set(pool, { total: 0, entries: [], leases: new Map() });
    return pools.get(pool);
  }

  const consumed = (p) => p.entries.reduce((n, [, amount]) => n + amount, p.total);
  const leased = (p) => [...p.leases.values()].reduce((n, l) => n + l.amount, 0);

  function expire(p, at, windowMs) {
    if (windowMs > 0) p.entries = p.entries.filter(([t]) => t > at - windowMs);
    for (const [holder, l] of p.leases) if (l.expiresAt <= at) p.leases.delete(holder);
  }

  function check(op) {
    const bad = (message) => Object.assign(new Error(message), { status: 400 });
    if (op === null || typeof op !== 'object' || Array.isArray(op)) throw bad('an op must be a JSON object');
    if (op.op !== 'lease' && op.op !== 'get') throw bad('"op" must be "lease" or "get"');
    if (typeof op.pool !== 'string' || op.pool.length === 0) throw bad('"pool" must be a string of 1 to 128 characters');
    const numbers = op.op === 'get' ? ['capacity', 'window_ms'] : ['capacity', 'window_ms', 'ttl_ms', 'want', 'min', 'spent', 'returned'];
    for (const name of numbers) {
      const v = op[name] ?? (['capacity', 'window_ms', 'ttl_ms'].includes(name) ? undefined : 0);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`"${name}" must be a number >= 0`);
    }
    if (op.op === 'lease' && op.ttl_ms <= 0) throw bad('"ttl_ms" must be a number > 0');
    if (op.op === 'lease' && (typeof op.holder !== 'string' || op.holder.length === 0)) {
      throw bad('"holder" must be a string of 1 to 128 characters');
    }
  }

  const fake = {
    ops: 0,
    apply(name, op) {
      check(op);
      fake.ops++;
      const at = now();
      const p = poolOf(name, op.pool);
      expire(p, at, op.window_ms);
      if (op.op === 'get') return { consumed: consumed(p), leased: leased(p), capacity: op.capacity };
      const row = p.leases.get(op.holder) ?? { amount: 0, expiresAt: 0 };
      row.amount = Math.max(0, row.amount - (op.returned ?? 0));
      if ((op.spent ?? 0) > 0) {
        if (op.window_ms > 0) p.entries.push([at, op.spent]);
        else p.total += op.spent;
      }
      p.leases.set(op.holder, row);
      const available = op.capacity - consumed(p) - leased(p);
      const min = op.min ?? 0;
      const grant = available >= min ? Math.max(0, Math.min(op.want ?? 0, available)) : 0;
      row.amount += grant;
      if (row.amount > 0) row.expiresAt = at + op.ttl_ms;
      else p.leases.delete(op.holder);
      const c = consumed(p);
      const answer = { consumed: c, granted: grant, lease: row.amount, available: op.capacity - c - leased(p), capacity: op.capacity };
      if (op.window_ms > 0) {
        // When something held is let go next: the oldest consumption leaves the window, or a lease expires.
        const ends = [...p.entries.map(([t]) => t + op.window_ms), ...[...p.leases.values()].map((l) => l.expiresAt)];
        answer.frees_in_ms = ends.length ? Math.max(0, Math.min(...ends) - at) : 0;
      }
      return answer;
    },
    async state(name, opText) {
      return JSON.stringify(fake.apply(name, JSON.parse(opText)));
    },
  };
  return fake;
}
