// The state that lives and dies with one installed config: per-target health, limits and stats,
// request metrics, balancer state, the L1 cache, sticky sessions and single-flight leaders. Calls keep the
// Runtime they started with, so a new config never changes a request in flight.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "balance/balancer.h"
#include "cache/store.h"
#include "config/config.h"
#include "health/breaker.h"
#include "health/limiter.h"
#include "routing/router.h"
#include "stats/stats.h"

namespace sy::exchange {

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

  // A latency sample (the whole answer, or the first event of a stream): peak-EWMA.
  void observe_latency(double ms, double now);
};

struct Runtime {
  explicit Runtime(std::shared_ptr<const config::Config> c);

  // The target of a "provider/model" the config does not list, created on first use (bounded:
  // past 1024 such pairs, further models of a provider share one entry).
  uint32_t direct_target(int provider, std::string_view model);
  // A target's health right now, for balancers and request-level preferences.
  balance::Candidate candidate(uint32_t target, double now);

  std::shared_ptr<const config::Config> config;
  routing::RoutingState routing;
  cache::Store cache;
  std::vector<TargetRuntime> targets;                  // config targets first, then direct ones
  std::unordered_map<std::string, uint32_t> direct;    // "provider/model" -> index in targets
  std::vector<health::Limiter> providers;              // per provider
  std::unordered_map<std::string, uint32_t> sessions;  // tenant \0 session_id -> target
  std::unordered_map<std::string, uint32_t> leaders;   // cache key (hex) -> the call fetching it
  stats::Metrics metrics;                              // requests, tokens by key, the host tier
};

}  // namespace sy::exchange
