#include "stats/stats.h"

#include <cmath>

#include "json/json.h"

namespace sy::stats {

namespace {

constexpr double kFirst = 0.1;
constexpr double kGrowth = 1.1;

double upper_bound(int bucket) { return kFirst * std::pow(kGrowth, bucket); }

void prometheus_labels(std::string& out, const std::string& target) {
  out += "{target=\"";
  for (char c : target) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += "\"}";
}

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

std::string render_json(const std::vector<TargetRow>& targets, const CacheRow& cache) {
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
  out += "],\"cache\":{\"entries\":" + std::to_string(cache.entries) + ",\"bytes\":" + std::to_string(cache.bytes) +
         ",\"hits\":" + std::to_string(cache.hits) + ",\"misses\":" + std::to_string(cache.misses) +
         ",\"evictions\":" + std::to_string(cache.evictions) + "}}";
  return out;
}

std::string render_prometheus(const std::vector<TargetRow>& targets, const CacheRow& cache) {
  std::string out;
  auto head = [&](const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  };
  auto series = [&](const char* name, const char* type, const char* help, auto value) {
    head(name, type, help);
    for (const auto& t : targets) {
      out += name;
      prometheus_labels(out, t.target);
      out += ' ';
      double v = value(t);
      if (v != v) out += "NaN";  // Prometheus' "no value"
      else json::append_number(out, v);
      out += '\n';
    }
  };
  auto scalar = [&](const char* name, const char* type, const char* help, uint64_t v) {
    head(name, type, help);
    out += name;
    out += ' ' + std::to_string(v) + '\n';
  };
  series("switchyard_requests_total", "counter", "Upstream attempts started.", [](auto& t) { return double(t.stats->requests); });
  series("switchyard_errors_total", "counter", "Upstream attempts that failed.", [](auto& t) { return double(t.stats->errors); });
  auto latency = [](double q) {
    return [q](auto& t) { return t.stats->latency.count() ? t.stats->latency.quantile(q) : std::nan(""); };
  };
  series("switchyard_latency_p50_ms", "gauge", "Median attempt latency.", latency(0.5));
  series("switchyard_latency_p99_ms", "gauge", "99th percentile attempt latency.", latency(0.99));
  series("switchyard_prompt_tokens_total", "counter", "Prompt tokens used.", [](auto& t) { return double(t.stats->prompt_tokens); });
  series("switchyard_completion_tokens_total", "counter", "Completion tokens produced.", [](auto& t) { return double(t.stats->completion_tokens); });
  series("switchyard_cost_usd_total", "counter", "Cost in USD where prices are known.", [](auto& t) { return t.stats->cost; });
  series("switchyard_outstanding", "gauge", "Attempts in flight.", [](auto& t) { return double(t.outstanding); });
  series("switchyard_breaker_open", "gauge", "1 when the target's circuit breaker is open (0.5 half-open).",
         [](auto& t) { return t.breaker[0] == 'o' ? 1.0 : t.breaker[0] == 'h' ? 0.5 : 0.0; });
  scalar("switchyard_cache_entries", "gauge", "Entries in the response cache.", cache.entries);
  scalar("switchyard_cache_bytes", "gauge", "Bytes charged to the response cache.", cache.bytes);
  scalar("switchyard_cache_hits_total", "counter", "Cache hits.", cache.hits);
  scalar("switchyard_cache_misses_total", "counter", "Cache misses.", cache.misses);
  scalar("switchyard_cache_evictions_total", "counter", "Cache evictions.", cache.evictions);
  return out;
}

}  // namespace sy::stats
