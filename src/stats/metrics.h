// What finished requests add up to, for GET /metrics and GET /v1/stats: requests by target,
// status class and cache result; the request-level histograms (duration, gateway overhead,
// queue wait); tokens and cost by gateway key and model; the host cache tier's hits and misses.
// Memory is fixed per label set, and every label set is bounded by the config: targets (the
// configured ones plus at most 1024 unconfigured provider/model pairs, exchange/runtime.h),
// gateway keys, 5 status classes, 4 cache results.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <utility>

#include "stats/buckets.h"

namespace sy::stats {

inline constexpr uint32_t kNoTarget = UINT32_MAX;  // answered without any target (label "-")
inline constexpr int kNoKey = -1;                   // no gateway keys configured (label "-")

enum class CacheResult : uint8_t { hit, miss, bypass, coalesced };
const char* cache_result_name(CacheResult r);  // "hit", "miss", "bypass", "coalesced"
// From an x-switchyard-cache value (HIT, MISS, BYPASS, COALESCED); anything else is bypass.
CacheResult cache_result_of(std::string_view text);

// One request that got an answer (a status), as the exchange saw it.
struct Finished {
  uint32_t target = kNoTarget;  // of the answer: the last attempt's, or the cached answer's
  int status = 0;               // the HTTP status the caller got
  CacheResult cache = CacheResult::bypass;
  double duration_ms = 0;  // from the exchange's start to the answer's end (a stream's last byte)
  double upstream_ms = 0;  // of it, spent in attempts and in retry backoff
  double queued_ms = -1;   // of it, spent waiting for a limit; < 0: never waited
};

struct TokenUsage {
  uint64_t prompt = 0, completion = 0;
  double cost = 0;  // USD, where prices are known
};

class Metrics {
 public:
  struct RequestKey {
    uint32_t target;
    uint8_t status_class;  // 1..5
    CacheResult cache;
    auto operator<=>(const RequestKey&) const = default;
  };

  void finished(const Finished& r);
  // A model request the gateway refused before the exchange (401, 402, 413, a bad body...):
  // counted by status class (target "-", cache bypass), in no histogram.
  void refused(int status);
  void usage(int key, uint32_t target, uint64_t prompt, uint64_t completion, double cost);
  // The host cache tier answered a lookup (CACHE_GET): an entry, or nothing.
  void tier(bool hit) { ++(hit ? tier_hits_ : tier_misses_); }

  const std::map<RequestKey, uint64_t>& requests() const { return requests_; }
  const std::map<std::pair<int, uint32_t>, TokenUsage>& usage() const { return usage_; }
  const Buckets& duration() const { return duration_; }
  const Buckets& overhead() const { return overhead_; }
  const Buckets& queue_wait() const { return queue_wait_; }
  uint64_t tier_hits() const { return tier_hits_; }
  uint64_t tier_misses() const { return tier_misses_; }

 private:
  std::map<RequestKey, uint64_t> requests_;
  std::map<std::pair<int, uint32_t>, TokenUsage> usage_;  // (key, target)
  Buckets duration_, overhead_, queue_wait_;
  uint64_t tier_hits_ = 0, tier_misses_ = 0;
};

}  // namespace sy::stats
