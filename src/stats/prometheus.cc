#include "stats/prometheus.h"

#include "json/json.h"

namespace sy::stats {

namespace {

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
}

std::string_view name_of(const std::vector<std::string>& names, size_t i) {
  return i < names.size() ? std::string_view(names[i]) : std::string_view("-");
}

std::string_view target_of(const View& view, uint32_t target) {
  return target < view.targets.size() ? std::string_view(view.targets[target].target) : std::string_view("-");
}

constexpr std::string_view kClasses[] = {"1xx", "1xx", "2xx", "3xx", "4xx", "5xx"};

}  // namespace

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void Exposition::series(std::string_view name, std::string_view suffix, std::initializer_list<Label> labels,
                        std::string_view le) {
  out_ += name;
  out_ += suffix;
  if (labels.size() == 0 && le.empty()) return;
  char sep = '{';
  for (const auto& [label, value] : labels) {
    out_ += sep;
    out_ += label;
    out_ += "=\"";
    append_label_value(out_, value);
    out_ += '"';
    sep = ',';
  }
  if (!le.empty()) {
    out_ += sep;
    out_ += "le=\"";
    out_ += le;
    out_ += '"';
  }
  out_ += '}';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
  series(name, {}, labels);
  out_ += ' ';
  if (value != value) out_ += "NaN";
  else json::append_number(out_, value);
  out_ += '\n';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value) {
  series(name, {}, labels);
  out_ += ' ' + std::to_string(value) + '\n';
}

void Exposition::histogram(std::string_view name, std::initializer_list<Label> labels, const Buckets& buckets) {
  std::string le;
  for (size_t i = 0; i < Buckets::kCount; ++i) {
    le.clear();
    if (i < Buckets::kBounds.size()) json::append_number(le, Buckets::kBounds[i]);
    else le = "+Inf";
    series(name, "_bucket", labels, le);
    out_ += ' ' + std::to_string(buckets.cumulative(i)) + '\n';
  }
  series(name, "_sum", labels);
  out_ += ' ';
  json::append_number(out_, buckets.sum_seconds());
  out_ += '\n';
  series(name, "_count", labels);
  out_ += ' ' + std::to_string(buckets.count()) + '\n';
}

namespace {

// Requests, their histograms, and tokens and cost by key and model.
void render_requests(Exposition& x, const View& view) {
  const Metrics& m = *view.metrics;
  x.family("switchyard_requests_total", "counter",
           "Requests answered by the exchange, by target of the answer, status class and cache result.");
  for (const auto& [k, n] : m.requests())
    x.sample("switchyard_requests_total",
             {{"target", target_of(view, k.target)}, {"status", kClasses[k.status_class]},
              {"cache", cache_result_name(k.cache)}},
             n);
  x.family("switchyard_request_duration_seconds", "histogram",
           "From the exchange's start to the answer's last byte, in seconds.");
  x.histogram("switchyard_request_duration_seconds", {}, m.duration());
  x.family("switchyard_gateway_overhead_seconds", "histogram",
           "Request duration minus the time spent in upstream attempts and retry backoff, in seconds.");
  x.histogram("switchyard_gateway_overhead_seconds", {}, m.overhead());
  x.family("switchyard_queue_wait_seconds", "histogram",
           "Time a request waited for a rate or concurrency limit (requests that waited), in seconds.");
  x.histogram("switchyard_queue_wait_seconds", {}, m.queue_wait());
  x.family("switchyard_tokens_total", "counter", "Tokens of successful attempts, by gateway key name and model.");
  for (const auto& [k, u] : m.usage()) {
    std::string_view key = k.first >= 0 ? name_of(view.keys, size_t(k.first)) : "-";
    x.sample("switchyard_tokens_total", {{"key", key}, {"model", target_of(view, k.second)}, {"type", "prompt"}}, u.prompt);
    x.sample("switchyard_tokens_total", {{"key", key}, {"model", target_of(view, k.second)}, {"type", "completion"}},
             u.completion);
  }
  x.family("switchyard_cost_usd_total", "counter", "Cost in USD where prices are known, by gateway key name and model.");
  for (const auto& [k, u] : m.usage()) {
    std::string_view key = k.first >= 0 ? name_of(view.keys, size_t(k.first)) : "-";
    x.sample("switchyard_cost_usd_total", {{"key", key}, {"model", target_of(view, k.second)}}, u.cost);
  }
}

// Per target: attempts, their histograms, health.
void render_targets(Exposition& x, const View& view) {
  auto each = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
    x.family(name, type, help);
    for (const auto& t : view.targets) x.sample(name, {{"target", t.target}}, value(t));
  };
  each("switchyard_upstream_attempts_total", "counter", "Upstream attempts started.",
       [](const TargetRow& t) { return t.stats->requests; });
  each("switchyard_upstream_errors_total", "counter", "Upstream attempts that failed.",
       [](const TargetRow& t) { return t.stats->errors; });
  x.family("switchyard_upstream_attempt_duration_seconds", "histogram",
           "Upstream attempts, from the request sent to the answer's last byte (success or not), in seconds.");
  for (const auto& t : view.targets)
    x.histogram("switchyard_upstream_attempt_duration_seconds", {{"target", t.target}}, t.stats->attempt);
  x.family("switchyard_time_to_first_token_seconds", "histogram",
           "Streamed attempts, from the request sent to the first stream event, in seconds.");
  for (const auto& t : view.targets)
    x.histogram("switchyard_time_to_first_token_seconds", {{"target", t.target}}, t.stats->first_token);
  each("switchyard_outstanding", "gauge", "Attempts in flight.",
       [](const TargetRow& t) { return uint64_t(t.outstanding > 0 ? t.outstanding : 0); });
  each("switchyard_breaker_open", "gauge", "1 when the target's circuit breaker is open (0.5 half-open).",
       [](const TargetRow& t) { return t.breaker[0] == 'o' ? 1.0 : t.breaker[0] == 'h' ? 0.5 : 0.0; });
}

void render_cache(Exposition& x, const View& view) {
  uint64_t tier_hits = view.metrics ? view.metrics->tier_hits() : 0;
  uint64_t tier_misses = view.metrics ? view.metrics->tier_misses() : 0;
  x.family("switchyard_cache_entries", "gauge", "Entries in the response cache (L1).");
  x.sample("switchyard_cache_entries", {}, view.cache.entries);
  x.family("switchyard_cache_bytes", "gauge", "Bytes charged to the response cache (L1).");
  x.sample("switchyard_cache_bytes", {}, view.cache.bytes);
  x.family("switchyard_cache_hits_total", "counter", "Cache lookups answered, by tier (l1: in memory, l2: the host's).");
  x.sample("switchyard_cache_hits_total", {{"tier", "l1"}}, view.cache.hits);
  x.sample("switchyard_cache_hits_total", {{"tier", "l2"}}, tier_hits);
  x.family("switchyard_cache_misses_total", "counter",
           "Cache lookups not answered, by tier (an l1 miss asks l2 when the host has a tier).");
  x.sample("switchyard_cache_misses_total", {{"tier", "l1"}}, view.cache.misses);
  x.sample("switchyard_cache_misses_total", {{"tier", "l2"}}, tier_misses);
  x.family("switchyard_cache_evictions_total", "counter", "Cache evictions (L1).");
  x.sample("switchyard_cache_evictions_total", {}, view.cache.evictions);
}

}  // namespace

std::string render_prometheus(const View& view) {
  Exposition x;
  if (view.metrics) render_requests(x, view);
  render_targets(x, view);
  render_cache(x, view);
  return x.take();
}

}  // namespace sy::stats
