#include "stats/metrics.h"

namespace sy::stats {

const char* cache_result_name(CacheResult r) {
  switch (r) {
    case CacheResult::hit: return "hit";
    case CacheResult::miss: return "miss";
    case CacheResult::coalesced: return "coalesced";
    case CacheResult::bypass: break;
  }
  return "bypass";
}

CacheResult cache_result_of(std::string_view s) {
  if (s == "HIT") return CacheResult::hit;
  if (s == "MISS") return CacheResult::miss;
  if (s == "COALESCED") return CacheResult::coalesced;
  return CacheResult::bypass;
}

namespace {

uint8_t status_class(int status) {
  int c = status / 100;
  return uint8_t(c < 1 || c > 5 ? 5 : c);
}

}  // namespace

void Metrics::finished(const Finished& r) {
  ++requests_[{r.target, status_class(r.status), r.cache}];
  duration_.observe_ms(r.duration_ms);
  overhead_.observe_ms(r.duration_ms - r.upstream_ms);
  if (r.queued_ms >= 0) queue_wait_.observe_ms(r.queued_ms);
}

void Metrics::refused(int status) { ++requests_[{kNoTarget, status_class(status), CacheResult::bypass}]; }

void Metrics::usage(int key, uint32_t target, uint64_t prompt, uint64_t completion, double cost) {
  TokenUsage& u = usage_[{key, target}];
  u.prompt += prompt;
  u.completion += completion;
  if (cost > 0) u.cost += cost;
}

}  // namespace sy::stats
