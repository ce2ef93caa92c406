// GET /metrics: the Prometheus text exposition format (version 0.0.4) of a stats::View.
// Only counters and histograms with fixed buckets (stats/buckets.h) and a few gauges that add
// up across instances (attempts in flight, cache size, breaker state): no quantiles, since
// quantiles of several gateways cannot be combined. Every family has its HELP and TYPE lines;
// label values are escaped (\\, \", \n). Labels: `target` = "provider/model" ("-" for none),
// `key` = the gateway key's name (config keys.<key>.name; "-" when the config has no keys;
// the key itself never appears), `model` = the answering "provider/model".
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "stats/buckets.h"
#include "stats/stats.h"

namespace sy::stats {

using Label = std::pair<std::string_view, std::string_view>;

// Writes one exposition: declare a family, then its samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value);
  // name_bucket{…,le=…} (cumulative, +Inf last), name_sum, name_count.
  void histogram(std::string_view name, std::initializer_list<Label> labels, const Buckets& buckets);
  std::string take() { return std::move(out_); }

 private:
  void series(std::string_view name, std::string_view suffix, std::initializer_list<Label> labels,
              std::string_view le = {});
  std::string out_;
};

std::string render_prometheus(const View& view);

}  // namespace sy::stats
