// The engine's private state, shared by front.cc (HTTP routes, validation,
// request-level routing) and engine.cc (attempts, health, queue, timers).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cache/store.h"
#include "config/config.h"
#include "engine/actions.h"
#include "engine/engine.h"
#include "base/errors.h"
#include "base/rng.h"
#include "health/breaker.h"
#include "health/error_class.h"
#include "health/limiter.h"
#include "json/json.h"
#include "providers/assemble.h"
#include "providers/provider.h"
#include "routing/router.h"
#include "stats/stats.h"

namespace sy::engine {

inline constexpr double kNever = std::numeric_limits<double>::infinity();

// The value of header `name` in "name: value\n" lines, or empty.
std::string_view header(std::string_view headers, std::string_view name);

// Health, limits and stats of one provider/model target.
struct TargetRuntime {
  int provider = -1;
  std::string model;
  health::Breaker breaker;
  health::Limiter limiter;
  int outstanding = 0;
  double latency_ms = 0;  // peak-EWMA
  double latency_at = 0;  // when latency_ms was last updated
  double throughput = 0;  // completion tokens per second, EWMA
  stats::TargetStats stats;
};

// One installed config and everything that lives and dies with it.
struct Runtime {
  explicit Runtime(std::shared_ptr<const config::Config> c);

  std::shared_ptr<const config::Config> config;
  routing::RoutingState routing;
  cache::Store cache;
  std::vector<TargetRuntime> targets;           // config targets first, then direct ones
  std::unordered_map<std::string, uint32_t> direct;  // "provider/model" -> index in targets
  std::vector<health::Limiter> providers;       // per provider
  std::unordered_map<std::string, uint32_t> sessions;  // tenant \0 session_id -> target
  std::unordered_map<std::string, uint32_t> leaders;   // cache key (hex) -> the request fetching it
  struct KeyRuntime {
    health::Limiter rpm;
    double spent_usd = 0;  // in this process, since the config was loaded
  };
  std::vector<KeyRuntime> keys;  // per gateway key, as config.keys
};

enum class CacheMode { normal, no_store, refresh, only };
enum class Endpoint { chat, service, embeddings, models };
enum class Phase { idle, cache_lookup, coalesced, backoff, queued, fetching, streaming };

// One caller request, from submit to its last action.
struct Call {
  uint32_t id = 0;
  std::shared_ptr<Runtime> rt;
  Endpoint endpoint = Endpoint::chat;
  std::string request_id;
  std::string completion_id;  // "chatcmpl-…", for answers a wire format synthesizes
  int64_t created = 0;
  json::Document body;
  std::string body_text;    // the chat request as received (or as a service built it)
  json::Document metadata;  // from the x-switchyard-metadata header, when sent
  std::string model;
  std::string tenant;
  int key_index = -1;       // the gateway key that asked, whose budget pays
  std::string session;      // tenant \0 session_id, when the request named one
  bool stream = false;
  int priority = 5;         // 0 is served first
  int64_t prompt_tokens = 0;
  bool token_input = false;  // embeddings whose input holds token ids, not text
  CacheMode cache_mode = CacheMode::normal;
  double cache_ttl_s = -1;
  bool cacheable = false;
  cache::Key key;
  std::string key_hex;           // the key as hosts and snapshots name it
  uint32_t leader = 0;           // coalesced: the request whose answer this one awaits
  std::vector<uint32_t> followers;  // identical requests awaiting this one's answer
  bool may_coalesce = true;      // false once released by a failed leader
  std::string answer;            // a successful answer, for followers and the cache
  std::string answer_target;     // provider/model that gave it
  std::unique_ptr<providers::StreamAssembler> assembler;  // a cacheable stream, assembled
  std::string provider_query;    // models: GET /v1/models?provider=NAME

  std::vector<routing::Leaf> plan;
  size_t leaf = 0;   // the next attempt's leaf
  size_t tried = 0;  // the leaf of the last attempt made
  int tries = 0;     // on the current leaf
  int attempts = 0;  // in all
  double timeout_ms = -1;  // the caller's whole-request deadline, relative
  double deadline = kNever;
  double wake_at = kNever;
  Phase phase = Phase::idle;
  uint64_t queue_seq = 0;
  double queue_deadline = kNever;

  bool attempt_open = false;  // an attempt holds its target's slot
  double attempt_started = 0;
  bool first_byte_seen = false;
  uint32_t fetch_id = 0;
  int upstream_status = 0;
  double retry_after_ms = -1;
  std::string upstream_body;
  std::unique_ptr<providers::StreamDecoder> decoder;
  bool committed = false;  // a streaming RESPOND went out: no more failover
  bool has_error = false;
  Error last_error;
};

struct Engine::Impl {
  explicit Impl(uint64_t seed) : rng(seed) {}

  Rng rng;
  ActionBatch batch;
  std::shared_ptr<Runtime> runtime;
  std::string last_error;
  std::unordered_map<uint32_t, std::unique_ptr<Call>> calls;
  std::unordered_map<uint32_t, uint32_t> fetches;  // fetch id -> request id
  // Requests waiting for a limit, in service order: (priority, arrival, request id).
  std::map<std::tuple<int, uint64_t, uint32_t>, bool> queue;
  uint32_t next_fetch_id = 1;
  uint64_t next_queue_seq = 1;
  double armed = kNever;  // the last WAKE_AT sent
  double now = 0;         // of the event being handled
  bool persistence = false;  // the host has a persistent cache tier
  bool slot_freed = false;  // an attempt ended during this event: the queue may move

  // front.cc: intake
  void submit(uint32_t id, std::string_view method, std::string_view path, std::string_view headers,
              std::string_view body, double now);
  bool validate_chat(Call& c, std::string_view headers, const config::GatewayKey* key, double now, Error& error);
  bool validate_embeddings(Call& c, std::string_view headers, const config::GatewayKey* key, double now, Error& error);
  bool read_controls(Call& c, std::string_view headers, Error& error);
  bool allowed(const config::GatewayKey* key, const Call& c, Error& error);
  void cache_route(uint32_t id, const std::string& request_id, std::string_view method, std::string_view query,
                   std::string_view body, double now);
  bool route(Call& c, const json::Value* models, const json::Value* provider, double now, Error& error);
  std::string models_list(const config::Config& config, const config::GatewayKey* key);
  std::string stats_rows(bool prometheus, double now);
  std::string new_request_id();
  void method_not_allowed(uint32_t id, const std::string& request_id, std::string_view allow);
  // The CORS answer for this request's Origin (empty when none is due); false for a preflight
  // that must be refused.
  std::string cors_headers(std::string_view headers, bool preflight);

  // CORS headers owed to requests not answered yet (request id -> header lines).
  std::unordered_map<uint32_t, std::string> cors;

  // engine.cc: answering
  void respond(uint32_t id, int status, bool streaming, std::string headers, std::string_view body);
  static std::string answer_headers(std::string_view content_type, std::string_view request_id,
                                    std::string_view target, int attempts, std::string_view cache);
  std::string target_of(const Call& c);
  std::string response_headers(const Call& c, std::string_view content_type, std::string_view cache);
  void finish(Call& c);
  void respond_error(Call& c, const Error& error);
  void respond_plain(uint32_t id, const std::string& request_id, int status, std::string_view body,
                     std::string_view extra_headers = {});
  void respond_success(Call& c, const std::string& completion, std::string_view cache_status);

  // engine.cc: the cache
  void lookup(Call& c, double now);
  void serve_cached(Call& c, std::string_view target, std::string_view answer, std::string_view status);
  void store(Call& c, double now);
  void settle_followers(Call& c, double now);
  std::string entry_of(std::string_view key_hex, std::string_view value, double expires_at);
  // Checks a snapshot entry and, with `apply`, stores it in L1 (and the host's
  // tier). An expired entry is valid and stored nowhere (returns false, no error).
  bool import_entry(const json::Value& entry, double now, std::string& error, bool apply);
  std::string snapshot(bool ndjson, double now);

  // engine.cc: the attempt state machine
  void start(Call& c, double now);
  cache::Key cache_key(const Call& c);
  balance::Candidate candidate(Runtime& rt, uint32_t target, double now);
  uint32_t direct_target(Runtime& rt, int provider, std::string_view model);
  const config::Provider& provider_of(const Call& c);
  TargetRuntime& target_of_leaf(Call& c);
  void attempt(Call& c, double now);
  void open_attempt(Call& c, double now);
  void close_attempt(Call& c, double now, bool success, bool counts_against_target, const providers::Usage* usage);
  void enqueue(Call& c, double now, double free_at);
  void drain_queue(double now);
  providers::DecodeContext decode_context(const Call& c);
  void on_head(Call& c, int status);
  void on_bytes(Call& c, std::string_view bytes, double now);
  void on_end(Call& c, double now);
  void abort_fetch(Call& c);
  void failed(Call& c, health::Outcome outcome, Error error, int upstream_status, double now);
  Call* call_of_fetch(uint32_t fetch_id);
  void timer(double now);
  void arm();
};

}  // namespace sy::engine
