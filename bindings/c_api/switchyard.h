/* Switchyard: the one C interface to the core.
 *
 * The core is sans-IO: it never reads a clock, never draws randomness it was
 * not seeded with, never touches a socket or storage. A host feeds it events
 * (each carrying `now_ms`, the host's clock in milliseconds), performs the
 * actions it answers with, and keeps one timer at sy_engine_next_deadline().
 * docs/host-interface.md describes the action batch encoding and the loop a
 * host runs; web/src/driver.js is that loop, written once for the browser
 * package, Node and the edge worker.
 *
 * Every event function returns a pointer to an action batch owned by the
 * engine: a little-endian u32 byte count N, then N bytes of action records.
 * The batch stays valid until the next call on the same engine; copy what you
 * keep. All byte arguments may be NULL when their length is 0.
 */
#ifndef SWITCHYARD_H
#define SWITCHYARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sy_engine sy_engine;

/* Action kinds found in a batch (see docs/host-interface.md). Kind 6 is unused
 * (it was WAKE_AT: hosts now ask sy_engine_next_deadline). */
enum {
  SY_ACTION_FETCH = 1,        /* id = fetch id; status = owning request id; flags bit0 = stream the body; fields: method, url, headers, body */
  SY_ACTION_FETCH_ABORT = 2,  /* id = fetch id; abort it and report nothing more for it */
  SY_ACTION_RESPOND = 3,      /* id = request id; status; flags bit0 = body follows as STREAM_CHUNKs; fields: -, -, headers, body */
  SY_ACTION_STREAM_CHUNK = 4, /* id = request id; field body = bytes to write */
  SY_ACTION_STREAM_END = 5,   /* id = request id; the response is complete */
  SY_ACTION_LOG = 7,          /* field body = one log line (never contains a secret) */
  SY_ACTION_CACHE_GET = 8,    /* id = request id; field url = key: answer with sy_cache_result (the entry, or empty) */
  SY_ACTION_CACHE_PUT = 9,    /* field url = key, body = entry, at_ms = expiry: store it */
  SY_ACTION_CACHE_LIST = 10,  /* id = request id: answer with sy_cache_result (every tier entry, one per line) */
  SY_ACTION_CACHE_CLEAR = 11, /* id = request id: empty the tier, then answer with an empty sy_cache_result */
  SY_ACTION_STATE = 12,       /* id = state-op id; status = owning request id (0: none); fields: -, url = object name, -, body = one JSON op: answer with sy_state_result */
  SY_ACTION_SEND = 13         /* status = owning request id (0: none); fields: method, url, headers, body: send it, fire and forget (telemetry); report nothing */
};

/* Creates an engine with no configuration; every request answers 503 until
 * sy_engine_configure succeeds. `seed` is the only randomness the core uses.
 * Never returns NULL except when memory is exhausted. */
sy_engine* sy_engine_new(uint64_t seed);
void sy_engine_free(sy_engine* engine);

/* Validates a config document (SPEC section 1) and, only if it is entirely
 * valid, replaces the engine's configuration. `env` is a JSON object of
 * strings used to resolve "env:NAME" values. Returns 0 on success. Otherwise
 * returns the HTTP-like status 400 and leaves the previous configuration in
 * force; sy_engine_last_error then holds {"error":{..., "metadata":{"errors":
 * [{"path","message"}...]}}}. */
int sy_engine_configure(sy_engine* engine, const char* config, size_t config_len,
                        const char* env, size_t env_len);

/* The JSON error document of the last failed sy_engine_configure: a u32 byte
 * count followed by the bytes, valid until the next call on the engine. */
const uint8_t* sy_engine_last_error(sy_engine* engine);

/* The environment variables a config references as "env:NAME": a u32 byte
 * count followed by a JSON array of names, valid until the next call on the
 * engine. A host passes exactly these to sy_engine_configure. */
const uint8_t* sy_engine_env_names(sy_engine* engine, const char* config, size_t config_len);

/* A caller request (an HTTP request to the gateway, or a package call
 * expressed as one): its head, its body in any number of pieces, its end.
 * `request_id` is chosen by the host and must be unique among requests still
 * in flight; `target` is the path with its query; `headers` is "name: value\n"
 * lines. The engine answers with exactly one RESPOND for it (possibly before
 * the body ended: a body over gateway.max_body_bytes gets 413, one that does
 * not arrive within gateway.body_timeout_ms gets 408; the host then stops
 * reading it), then, if RESPOND's flags bit0 is set, STREAM_CHUNKs and exactly
 * one STREAM_END. sy_request_submit is begin + body + end in one call. */
const uint8_t* sy_request_begin(sy_engine* engine, uint32_t request_id,
                                const char* method, size_t method_len,
                                const char* target, size_t target_len,
                                const char* headers, size_t headers_len, double now_ms);
const uint8_t* sy_request_body(sy_engine* engine, uint32_t request_id,
                               const uint8_t* bytes, size_t len, double now_ms);
const uint8_t* sy_request_end(sy_engine* engine, uint32_t request_id, double now_ms);
const uint8_t* sy_request_submit(sy_engine* engine, uint32_t request_id,
                                 const char* method, size_t method_len,
                                 const char* target, size_t target_len,
                                 const char* headers, size_t headers_len,
                                 const uint8_t* body, size_t body_len, double now_ms);

/* The caller went away: the engine aborts the request's upstream work and
 * emits nothing more for it. Unknown ids are ignored. */
const uint8_t* sy_request_cancel(sy_engine* engine, uint32_t request_id, double now_ms);

/* Upstream answered a FETCH with a status and headers ("name: value\n"). */
const uint8_t* sy_fetch_response(sy_engine* engine, uint32_t fetch_id, uint32_t status,
                                 const char* headers, size_t headers_len, double now_ms);
/* Bytes of the upstream body, in any chunking. */
const uint8_t* sy_fetch_body(sy_engine* engine, uint32_t fetch_id,
                             const uint8_t* data, size_t len, double now_ms);
/* The upstream body is complete. */
const uint8_t* sy_fetch_end(sy_engine* engine, uint32_t fetch_id, double now_ms);
/* The fetch failed at the network level (before or after the response). */
const uint8_t* sy_fetch_error(sy_engine* engine, uint32_t fetch_id,
                              const char* message, size_t message_len, double now_ms);

/* The host has (1) or lacks (0) a persistent cache tier. With one, and a
 * config whose cache has "persist": true, the engine asks it on L1 misses
 * (CACHE_GET), hands it every answer it stores (CACHE_PUT), and reads or
 * empties it for cache snapshots (CACHE_LIST, CACHE_CLEAR). Off by default. */
void sy_engine_enable_persistence(sy_engine* engine, int enabled);

/* The answer to a CACHE_GET (the stored entry line, or len 0 for a miss), a
 * CACHE_LIST (every tier entry, one per line) or a CACHE_CLEAR (len 0) for
 * `request_id`. Call it exactly once per such action, even when the tier
 * failed (a miss, an empty list). */
const uint8_t* sy_cache_result(sy_engine* engine, uint32_t request_id,
                               const uint8_t* data, size_t len, double now_ms);

/* The host has (1) or lacks (0) shared objects (Durable Objects): with them,
 * pools (key budgets, limits) are leased from the objects through STATE
 * actions; without, they live in the engine's memory. Off by default. */
void sy_engine_enable_shared_state(sy_engine* engine, int enabled);

/* The answer to the STATE action `op_id`: the object's JSON answer, or len 0
 * when the operation failed or took longer than the host's timeout. Call it
 * exactly once per STATE action. Unknown ids are ignored. */
const uint8_t* sy_state_result(sy_engine* engine, uint32_t op_id,
                               const uint8_t* data, size_t len, double now_ms);

/* Time passed: everything due at `now_ms` happens. Calling it early or
 * spuriously is harmless. */
const uint8_t* sy_timer(sy_engine* engine, double now_ms);

/* The earliest time sy_timer has work, in ms on the host's clock, or +infinity
 * when nothing is pending. Ask after every call; keep one timer armed at it. */
double sy_engine_next_deadline(sy_engine* engine);

#ifdef __cplusplus
}
#endif

#endif
