// Usage, cost, latency and health per target, and their two renderings:
// JSON for GET /v1/stats, Prometheus text for GET /metrics.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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
  Histogram latency;      // of successful attempts (to the first byte for streams)
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  double cost = 0;  // USD, where prices are known
};

struct TargetRow {
  std::string target;  // provider/model
  const TargetStats* stats;
  const char* breaker;  // closed, open, half_open
  int outstanding;
};

struct CacheRow {
  uint64_t entries, bytes, hits, misses, evictions;
};

std::string render_json(const std::vector<TargetRow>& targets, const CacheRow& cache);
std::string render_prometheus(const std::vector<TargetRow>& targets, const CacheRow& cache);

}  // namespace sy::stats
