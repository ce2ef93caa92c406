#include "stats/stats.h"

#include <cmath>

#include "json/json.h"

namespace sy::stats {

namespace {

constexpr double kFirst = 0.1;
constexpr double kGrowth = 1.1;

double upper_bound(int bucket) { return kFirst * std::pow(kGrowth, bucket); }

}  // namespace

void Histogram::add(double ms) {
  int bucket = ms <= kFirst ? 0 : int(std::ceil(std::log(ms / kFirst) / std::log(kGrowth)));
  if (bucket >= kBuckets) bucket = kBuckets - 1;
  ++counts_[size_t(bucket)];
  ++count_;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = uint64_t(std::ceil(q * double(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[size_t(i)];
    if (seen >= rank) return upper_bound(i);
  }
  return upper_bound(kBuckets - 1);
}

namespace {

// The cache: L1's numbers, the host tier's, and both together: `hits` were answered by either
// tier, `misses` by neither (an L1 miss the tier answered is no miss).
void append_cache(std::string& out, const CacheRow& cache, const Metrics* metrics) {
  uint64_t tier_hits = metrics ? metrics->tier_hits() : 0, tier_misses = metrics ? metrics->tier_misses() : 0;
  uint64_t misses = cache.misses > tier_hits ? cache.misses - tier_hits : 0;
  out += "\"cache\":{\"entries\":" + std::to_string(cache.entries) + ",\"bytes\":" + std::to_string(cache.bytes) +
         ",\"hits\":" + std::to_string(cache.hits + tier_hits) + ",\"misses\":" + std::to_string(misses) +
         ",\"evictions\":" + std::to_string(cache.evictions) + ",\"l1\":{\"hits\":" + std::to_string(cache.hits) +
         ",\"misses\":" + std::to_string(cache.misses) + "},\"l2\":{\"hits\":" + std::to_string(tier_hits) +
         ",\"misses\":" + std::to_string(tier_misses) + "}}";
}

}  // namespace

std::string render_json(const View& view) {
  const std::vector<TargetRow>& targets = view.targets;
  std::string out = "{\"object\":\"switchyard.stats\",\"targets\":[";
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    const auto& s = *t.stats;
    if (i) out += ',';
    out += "{\"target\":";
    json::append_string(out, t.target);
    out += ",\"requests\":" + std::to_string(s.requests) + ",\"errors\":" + std::to_string(s.errors);
    // No successful attempt yet: no latency (null, not 0).
    out += ",\"latency_ms\":{\"p50\":";
    if (s.latency.count()) json::append_number(out, s.latency.quantile(0.5));
    else out += "null";
    out += ",\"p99\":";
    if (s.latency.count()) json::append_number(out, s.latency.quantile(0.99));
    else out += "null";
    out += "},\"tokens\":{\"prompt\":" + std::to_string(s.prompt_tokens) +
           ",\"completion\":" + std::to_string(s.completion_tokens) + "},\"cost_usd\":";
    json::append_number(out, s.cost);
    out += ",\"breaker\":\"";
    out += t.breaker;
    out += "\",\"outstanding\":" + std::to_string(t.outstanding) + "}";
  }
  out += "],";
  append_cache(out, view.cache, view.metrics);
  return out + "}";
}

}  // namespace sy::stats
