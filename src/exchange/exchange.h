// The exchange: from a validated canonical request to its answer, through the cache, single-
// flight, routing, balancing, limits, attempts, retries, fallback and streams. Format-neutral: it
// reads model::Request, hands model::Answer and stream events to the call's Caller, and asks
// egress codecs (providers::codec) to speak to providers. Each call is one state machine
// (exchange/state.h); its events arrive from the host through the engine.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "base/rng.h"
#include "cache/store.h"
#include "exchange/actions.h"
#include "exchange/caller.h"
#include "exchange/runtime.h"
#include "exchange/state.h"
#include "json/json.h"
#include "model/request.h"
#include "providers/provider.h"
#include "routing/router.h"
#include "telemetry/tracer.h"

namespace sy::exchange {

inline constexpr double kNever = std::numeric_limits<double>::infinity();

enum class CacheMode { normal, no_store, refresh, only };

// Switchyard's own controls of one request (SPEC section 2).
struct Controls {
  CacheMode cache = CacheMode::normal;
  double cache_ttl_s = -1;  // < 0: the config's TTL
  int priority = 5;         // 0 is served first
  double timeout_ms = -1;   // whole-request deadline; < 0: none
  json::Document metadata;  // an object, or null: for routing conditions
};

struct Start {
  uint32_t id = 0;          // the host's request id, or an id the gateway made for a call of its own
  uint32_t owner = 0;       // the host request its fetches belong to (FETCH names it); 0: `id`
  std::string request_id;   // "req_…"
  // Shared and never changed once started: a repeat of an earlier request may share its envelope
  // (gateway/repeats.h).
  std::shared_ptr<const model::Envelope> envelope;
  // The request's cache key (cache::key_of of it and `tenant`) when the starter knows it already.
  std::optional<cache::Key> key;
  Controls controls;
  routing::Preferences preferences;
  std::string tenant;       // whose cache partition (the gateway key; empty for none)
  std::unique_ptr<Caller> caller;
  telemetry::Context trace;  // the request's trace: its attempts and cache lookups are spans in it
};

struct Call;
class SharedLimits;

class Exchange {
 public:
  Exchange(Rng& rng, ActionBatch& batch);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Calls started from now on use this config's Runtime.
  void install(std::shared_ptr<const config::Config> config);
  const std::shared_ptr<Runtime>& runtime() const { return runtime_; }
  // Where spans of attempts and cache lookups go (calls started with a trace only).
  void set_tracer(telemetry::Tracer* tracer) { tracer_ = tracer; }
  // Provider/target limits shared with other instances (exchange/limits.h), or nullptr: in this
  // engine's memory only. Not owned: it outlives the exchange; a call that holds or waits for
  // slots gives them back to the one it took them from.
  void use_limits(SharedLimits* limits);
  // The host has a persistent cache tier (CACHE_GET / CACHE_PUT).
  void set_persistence(bool on) { persistence_ = on; }
  bool persists() const;
  // The host has a persistent tier at all (whatever cache.persist says): a place to keep things.
  bool has_tier() const { return persistence_; }

  // Starts a call; its Caller hears exactly one outcome (exchange/caller.h), now or later.
  void start(Start start, double now);
  void cancel(uint32_t id, double now);
  void fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now);
  void fetch_body(uint32_t fetch_id, std::string_view bytes, double now);
  void fetch_end(uint32_t fetch_id, double now);
  void fetch_error(uint32_t fetch_id, std::string_view message, double now);
  // The answer to a CACHE_GET: a snapshot entry line, or empty for a miss. False when no call
  // was waiting for one under that id.
  bool cache_result(uint32_t id, std::string_view entry, double now);
  void timer(double now);

  // After every host event: calls waiting for a limit start in slots that freed meanwhile.
  void after_event(double now);

  // The earliest time timer() has work to do, or kNever.
  double next_deadline() const;
  size_t in_flight() const { return calls_.size(); }
  // How often each row of kTransitions fired (for tests that prove every row is reachable).
  const std::array<uint64_t, kTransitionCount>& transitions_fired() const { return fired_; }
  // Fires `event` on call `id` as if the exchange had (tests only: illegal transitions end the
  // call with an internal error).
  void fire_for_test(uint32_t id, Event event, double now);

  // One snapshot entry line for a stored value (exchange/lookup.cc), shared with the gateway's
  // snapshot import/export.
  static std::string entry_of(std::string_view key_hex, std::string_view value, double expires_at);

 private:
  friend class CallSink;
  // state
  bool move(Call& c, Event event);
  void illegal(Call& c, Event event);
  void finish(Call& c);
  void schedule(Call& c);
  void on_timer(Call& c);
  // lookup.cc: the cache and single-flight
  void lookup(Call& c);
  void serve_stored(Call& c, std::string_view target, std::string_view stored, std::string_view status);
  bool replay_stored(Call& c, std::string_view stored, const Meta& m);
  void store(Call& c, const model::Answer& answer);
  void settle_followers(Call& c);
  void upstream(Call& c);
  // attempt.cc: targets, attempts, failures
  bool plan(Call& c, Error& error);
  void attempt(Call& c);
  // The shared slots of leaf `i` (exchange/limits.h): true to start it; false with `limited` and
  // `free_at` (refused: a bounded backoff) or `pending` set, or c.state_error (unavailable).
  bool shared_admits(Call& c, size_t i, double tokens, bool& limited, bool& pending, double& free_at);
  void open_attempt(Call& c);
  void answer_locally(Call& c);
  void close_attempt(Call& c, bool success, bool unhealthy, const model::Usage* usage);
  void enqueue(Call& c, double free_at);
  // Stops the attempt of a call whose shared concurrency slot was lost (exchange/limits.h).
  void stop_lost(Call& c);
  void drain_queue();
  // Calls `ids` that still wait in the queue try again now, in that order.
  void retry_queued(const std::vector<uint32_t>& ids);
  void failed(Call& c, health::Outcome outcome, Error error, int upstream_status);
  void fail(Call& c, const Error& error);
  // answer.cc: upstream answers and streams
  void on_head(Call& c, int status);
  void on_bytes(Call& c, std::string_view bytes);
  void on_end(Call& c);
  void on_decoded(Call& c, providers::Decoded decoded);
  void stream_events(Call& c, std::span<const model::StreamEvent> events, const model::RawEvent& raw);
  void stream_done(Call& c, const model::Usage& usage);
  void abort_fetch(Call& c);
  Call* call_of_fetch(uint32_t fetch_id);
  Meta meta(const Call& c, std::string_view cache) const;
  // metrics.cc
  void meter(Call& c);
  // Notes the outcome a caller is told (every answer, fail and stream_open goes through it).
  const Meta& noted(Call& c, int status, const Meta& meta);
  void record(Call& c);
  // telemetry (trace.cc): spans of the call's attempts and cache lookups
  void trace_attempt(Call& c, bool success);
  void trace_lookup(Call& c, std::string_view tier, std::string_view result, double started);

  Rng& rng_;
  ActionBatch& batch_;
  telemetry::Tracer* tracer_ = nullptr;
  SharedLimits* limits_ = nullptr;
  std::shared_ptr<Runtime> runtime_;
  bool persistence_ = false;
  double now_ = 0;           // of the event being handled
  bool slot_freed_ = false;  // an attempt ended during this event: the queue may move
  std::vector<uint32_t> woken_;  // calls whose shared limits decided during this event
  std::vector<uint32_t> lost_;   // calls whose shared concurrency slot was lost during this event
  std::unordered_map<uint32_t, std::unique_ptr<Call>> calls_;
  std::unordered_map<uint32_t, uint32_t> fetches_;  // fetch id -> call id
  uint32_t next_fetch_id_ = 1;
  // Calls waiting for a limit, in service order: (priority, arrival, call id).
  std::set<std::tuple<int, uint64_t, uint32_t>> queue_;
  uint64_t next_queue_seq_ = 1;
  // Each call's earliest deadline: (when, call id).
  std::set<std::pair<double, uint32_t>> timers_;
  std::array<uint64_t, kTransitionCount> fired_{};
};

}  // namespace sy::exchange
