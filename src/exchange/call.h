// One call's state (exchange/exchange.h keeps them; the files of src/exchange/ share this).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/store.h"
#include "exchange/exchange.h"
#include "exchange/limits.h"
#include "model/stream.h"
#include "providers/provider.h"
#include "routing/router.h"

namespace sy::exchange {

struct Call {
  uint32_t id = 0;
  uint32_t owner = 0;  // the host request its fetches belong to
  std::string request_id;
  std::shared_ptr<Runtime> rt;
  std::shared_ptr<const model::Envelope> env;
  std::unique_ptr<Caller> caller;
  Controls controls;
  std::string tenant;
  std::string session;  // tenant \0 session_id, when the request named one
  int64_t prompt_tokens = 0;
  int64_t created = 0;  // unix seconds of the start
  State state = State::routed;

  const model::Request& request() const { return env->request; }

  // Routing: the request's preferences, planned into `plan` once the cache has no answer
  routing::Preferences preferences;

  // The cache and single-flight
  bool cacheable = false;
  bool may_coalesce = true;  // false once released by a failed leader
  cache::Key key;
  std::string key_hex;
  uint32_t leader = 0;              // coalesced: the call whose answer this one awaits
  std::vector<uint32_t> followers;  // calls awaiting this one's answer
  std::string stored;               // the answer's stored form, once answered
  std::string answer_target;        // provider/model that gave it
  std::unique_ptr<model::Assembler> assembler;  // a cacheable stream, assembled

  // Targets and attempts
  std::vector<routing::Leaf> plan;
  size_t leaf = 0;   // the next attempt's leaf
  size_t tried = 0;  // the leaf of the last attempt made
  int tries = 0;     // on the current leaf
  int attempts = 0;  // in all
  std::optional<Error> last_error;  // of the last failed attempt
  providers::Refusal refused;       // the first capability a target lacked
  std::optional<Error> state_error;  // a leaf's shared limits could not be checked (this round)
  double shared_backoff_ms = 0;      // refused by shared limits: the wait before asking again

  // Time
  double deadline = kNever;        // the caller's whole-request deadline
  double wake_at = kNever;         // backoff end, attempt timeout, or when a limit frees
  uint64_t queue_seq = 0;          // arrival order in the queue (0: never queued)
  double queue_deadline = kNever;  // when waiting for a limit ends in 429
  double armed = kNever;           // the entry in Exchange::timers_

  // The attempt in flight
  bool holds_slot = false;  // its target's slot (concurrency, rpm/tpm, breaker probe) is taken
  SharedLimits* shared = nullptr;  // where it holds or waits for shared slots (exchange/limits.h)
  double attempt_started = 0;
  uint32_t fetch_id = 0;
  int upstream_status = 0;
  double retry_after_ms = -1;
  std::string upstream_body;
  std::unique_ptr<providers::StreamDecoder> decoder;

  // Metrics (exchange/metrics.cc)
  int key_index = -1;      // the gateway key's index in the config (from `tenant`), or -1
  double started_at = 0;
  double upstream_ms = 0;  // spent in attempts and retry backoff
  double queued_at = -1;   // waiting for a limit since then (< 0: not waiting)
  double queued_ms = -1;   // waited for limits in all (< 0: never)
  int told_status = 0;     // the status the caller got (0: none yet)
  stats::CacheResult told_cache = stats::CacheResult::bypass;
  uint32_t told_target = stats::kNoTarget;

  // Telemetry
  telemetry::Context trace;           // empty: no spans
  std::string_view failure;           // why the attempt being closed failed (health::outcome_name)
  std::string_view retry_reason;      // why the last attempt failed: the reason for the next one
  double lookup_started = 0;          // a tier lookup or a single-flight wait began

  const routing::Leaf& current() const { return plan[leaf]; }
  // Stops the queue-wait clock, if it runs.
  void stop_waiting(double now) {
    if (queued_at < 0) return;
    queued_ms = (queued_ms > 0 ? queued_ms : 0) + now - queued_at;
    queued_at = -1;
  }
};

}  // namespace sy::exchange
