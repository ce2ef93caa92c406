// Usage, cost, latency and health per target, and what they and the request metrics
// (stats/metrics.h) look like together: JSON for GET /v1/stats (this file), Prometheus text
// for GET /metrics (stats/prometheus.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/buckets.h"
#include "stats/metrics.h"

namespace sy::stats {

// Latencies in log-spaced buckets (each 10% wider than the last, from
// 0.1 ms to ~10 min): quantiles within 10%, fixed memory.
class Histogram {
 public:
  void add(double ms);
  // The upper bound of the bucket holding quantile `q` (0..1); 0 when empty.
  double quantile(double q) const;
  uint64_t count() const { return count_; }

 private:
  static constexpr int kBuckets = 200;
  std::array<uint32_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

struct TargetStats {
  uint64_t requests = 0;  // attempts started
  uint64_t errors = 0;    // attempts that failed
  Histogram latency;      // of successful attempts (to the first byte for streams): p50/p99
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  double cost = 0;         // USD, where prices are known
  Buckets attempt;         // every attempt, from its start to its end (a stream's last byte)
  Buckets first_token;     // streamed attempts: from the attempt's start to its first event
};

struct TargetRow {
  std::string target;  // provider/model
  const TargetStats* stats;
  const char* breaker;  // closed, open, half_open
  int outstanding;
};

// The L1 store's numbers (hits and misses of L1 lookups).
struct CacheRow {
  uint64_t entries, bytes, hits, misses, evictions;
};

// Everything one rendering shows. `targets` are in the order of the runtime's target indices
// (the labels of `metrics`); `keys` are the gateway keys' names, in config order.
struct View {
  std::vector<TargetRow> targets;
  CacheRow cache{};
  const Metrics* metrics = nullptr;  // null: no config installed yet
  std::vector<std::string> keys;
};

std::string render_json(const View& view);

}  // namespace sy::stats
