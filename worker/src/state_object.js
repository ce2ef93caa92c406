// Shared gateway state: the pool protocol (the STATE action's operations) on a Durable
// Object's SQLite storage, and the client the worker hands the driver as `host.state`.
//
// One object per name (`key:<key name>`, `provider:<provider name>`, `target:<provider>/<model>`);
// inside it, pools by name.
// A pool has a capacity C, a window W (0: consumption stays, like spend; > 0: a consumption
// expires W ms after it was recorded, like rpm), its consumptions and its leases
// {holder → amount, expires_at}. available = C − consumed (in window) − Σ live leases.
// The object keeps no config: capacity, window_ms and ttl_ms come with every operation.
//
//   {"op":"lease","pool":"budget","holder":"h-…","capacity":0.05,"window_ms":0,"ttl_ms":30000,
//    "want":0.01,"min":0.004,"spent":0.0123,"returned":0.018}
// at the object's clock `now`: 1. drop window entries recorded W ms ago or more and leases past
// expires_at; 2. lease[holder] = max(0, lease[holder] − returned), record `spent` as consumed
// at now; 3. grant = available >= min ? min(want, available) : 0 (want 0: only report),
// lease[holder] += grant, expires_at = now + ttl_ms while it holds > 0 (else the row goes);
// 4. answer {"granted", "lease" (the holder's now), "available" (after), "consumed" (in window),
// "capacity"}, and for W > 0 "frees_in_ms": the ms until the oldest consumption leaves the window
// or a lease expires, whichever is first (0 when the pool holds nothing). `{"op":"get","pool","capacity","window_ms"}` answers {"consumed", "leased",
// "capacity"}. want, min, spent and returned default to 0; a bad operation answers 400
// {"error": "..."} naming the field.
//
// Each operation runs as one SQLite transaction (transactionSync): an answered operation is
// durable, so it survives a restart of workerd, and in a workerd cluster, the object moving to
// another instance.

const MAX_NAME = 128; // pool and holder names
const MAX_BODY = 4096; // an operation's JSON text

// A number rounded to 12 decimals, so that sums of prices such as 0.01 + 0.02 compare as
// written (0.03, not 0.030000000000000002) and a lease of exactly what is left is granted.
function norm(x) {
  return Math.abs(x) < 1e21 ? Number(x.toFixed(12)) : x;
}

export class StateOpError extends Error {}

// A non-negative finite number member of `op`; `fallback` when absent (undefined: required).
function amount(op, name, fallback) {
  const value = op[name];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StateOpError(`"${name}" must be a finite number >= 0${value === undefined ? ' (it is missing)' : `, got ${JSON.stringify(value)}`}`);
  }
  return value;
}

function name(op, member) {
  const value = op[member];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) {
    throw new StateOpError(`"${member}" must be a string of 1 to ${MAX_NAME} characters${value === undefined ? ' (it is missing)' : ''}`);
  }
  return value;
}

/**
 * An operation's text, parsed and checked: { op, pool, capacity, window, ttl?, holder?, want,
 * min, spent, returned }. Throws StateOpError naming the field at fault.
 */
export function parseOp(text) {
  if (text.length > MAX_BODY || new TextEncoder().encode(text).length > MAX_BODY) {
    throw new StateOpError(`the operation is larger than ${MAX_BODY} bytes`);
  }
  let op;
  try {
    op = JSON.parse(text);
  } catch (error) {
    throw new StateOpError(`the operation is not valid JSON: ${error.message}`);
  }
  if (!op || typeof op !== 'object' || Array.isArray(op)) throw new StateOpError('the operation must be a JSON object');
  if (op.op !== 'lease' && op.op !== 'get') {
    throw new StateOpError(`"op" must be "lease" or "get", got ${JSON.stringify(op.op)}`);
  }
  const parsed = { op: op.op, pool: name(op, 'pool'), capacity: amount(op, 'capacity'), window: amount(op, 'window_ms') };
  if (op.op === 'get') return parsed;
  parsed.holder = name(op, 'holder');
  parsed.ttl = amount(op, 'ttl_ms');
  if (parsed.ttl === 0) throw new StateOpError('"ttl_ms" must be > 0');
  for (const member of ['want', 'min', 'spent', 'returned']) parsed[member] = amount(op, member, 0);
  return parsed;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS spent_total (pool TEXT PRIMARY KEY, amount REAL NOT NULL);
  CREATE TABLE IF NOT EXISTS spent_window (pool TEXT NOT NULL, at REAL NOT NULL, amount REAL NOT NULL, PRIMARY KEY (pool, at));
  CREATE TABLE IF NOT EXISTS leases (pool TEXT NOT NULL, holder TEXT NOT NULL, amount REAL NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (pool, holder));
`;

/** The pool protocol on a SQLite storage (`ctx.storage.sql`), one pool operation at a time. */
export class PoolStore {
  constructor(sql) {
    this.sql = sql;
    sql.exec(SCHEMA);
  }

  one(query, ...args) {
    return this.sql.exec(query, ...args).toArray()[0];
  }

  // Step 1: drops what has expired at `now`; a window of 0 keeps every consumption.
  expire(pool, window, now) {
    if (window > 0) this.sql.exec('DELETE FROM spent_window WHERE pool = ? AND at <= ?', pool, now - window);
    this.sql.exec('DELETE FROM leases WHERE pool = ? AND expires_at <= ?', pool, now);
  }

  consumed(pool, window) {
    const row = window > 0
      ? this.one('SELECT total(amount) AS v FROM spent_window WHERE pool = ?', pool)
      : this.one('SELECT amount AS v FROM spent_total WHERE pool = ?', pool);
    return norm(row?.v ?? 0);
  }

  leased(pool) {
    return norm(this.one('SELECT total(amount) AS v FROM leases WHERE pool = ?', pool).v);
  }

  record(pool, window, spent, now) {
    if (spent <= 0) return;
    if (window > 0) {
      this.sql.exec(
        'INSERT INTO spent_window (pool, at, amount) VALUES (?, ?, ?) ON CONFLICT (pool, at) DO UPDATE SET amount = amount + excluded.amount',
        pool, now, spent);
    } else {
      this.sql.exec(
        'INSERT INTO spent_total (pool, amount) VALUES (?, ?) ON CONFLICT (pool) DO UPDATE SET amount = amount + excluded.amount',
        pool, spent);
    }
  }

  /** `{"op":"get"}`: { consumed, leased, capacity }. */
  get({ pool, capacity, window }, now) {
    this.expire(pool, window, now);
    return { consumed: this.consumed(pool, window), leased: this.leased(pool), capacity };
  }

  /** `{"op":"lease"}`: steps 1–4 of the protocol; { granted, lease, available, consumed, capacity }. */
  lease({ pool, capacity, window, ttl, holder, want, min, spent, returned }, now) {
    this.expire(pool, window, now);
    const row = this.one('SELECT amount FROM leases WHERE pool = ? AND holder = ?', pool, holder);
    let held = norm(Math.max(0, (row?.amount ?? 0) - returned));
    this.record(pool, window, spent, now);
    const consumed = this.consumed(pool, window);
    const others = this.one('SELECT total(amount) AS v FROM leases WHERE pool = ? AND holder <> ?', pool, holder).v;
    const available = Math.max(0, norm(capacity - consumed - others - held));
    const granted = want > 0 && available > 0 && available >= min ? Math.min(want, available) : 0;
    held = norm(held + granted);
    if (held > 0) {
      this.sql.exec(
        'INSERT INTO leases (pool, holder, amount, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (pool, holder) DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at',
        pool, holder, held, now + ttl);
    } else if (row) {
      this.sql.exec('DELETE FROM leases WHERE pool = ? AND holder = ?', pool, holder);
    }
    const answer = { granted, lease: held, available: Math.max(0, norm(available - granted)), consumed, capacity };
    if (window > 0) answer.frees_in_ms = this.freesIn(pool, window, now);
    return answer;
  }

  // A windowed pool: ms until something it holds is let go next (its oldest consumption leaves
  // the window, or a lease expires unless renewed first); 0 when it holds nothing.
  freesIn(pool, window, now) {
    const oldest = this.one('SELECT min(at) AS v FROM spent_window WHERE pool = ?', pool).v;
    const lapse = this.one('SELECT min(expires_at) AS v FROM leases WHERE pool = ?', pool).v;
    const ends = [oldest === null ? null : oldest + window, lapse].filter((v) => v !== null);
    return ends.length ? Math.max(0, Math.min(...ends) - now) : 0;
  }

  apply(op, now) {
    return op.op === 'get' ? this.get(op, now) : this.lease(op, now);
  }
}

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}

/**
 * The Durable Object (bound as SWITCHYARD_STATE, SQLite storage): `POST /op` with one operation
 * as its body answers the operation's JSON; a bad operation answers 400 {"error": "..."}.
 */
export class SwitchyardState {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.store = new PoolStore(ctx.storage.sql);
  }

  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path !== '/op') return json(404, { error: `no route ${path}: operations are POSTed to /op` });
    if (request.method !== 'POST') return json(405, { error: `operations are POSTed to /op, not sent with ${request.method}` });
    let op;
    try {
      op = parseOp(await request.text());
    } catch (error) {
      if (error instanceof StateOpError) return json(400, { error: error.message });
      throw error;
    }
    const now = Date.now();
    return json(200, this.ctx.storage.transactionSync(() => this.store.apply(op, now)));
  }
}

/**
 * `host.state` for the driver over a SWITCHYARD_STATE namespace: (objectName, opText) →
 * Promise of the object's JSON answer text; rejects on a non-2xx answer (the driver then
 * reports an empty result: failure).
 */
export function stateClient(namespace) {
  return async (objectName, opText) => {
    const stub = namespace.get(namespace.idFromName(objectName));
    const response = await stub.fetch('https://state/op', { method: 'POST', body: opText });
    const text = await response.text();
    if (!response.ok) throw new Error(`the state object ${objectName} answered ${response.status}: ${text}`);
    return text;
  };
}
