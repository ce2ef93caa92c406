#include "stats/prometheus.h"

#include <gtest/gtest.h>

#include "stats/exposition.h"

namespace sy::stats {
namespace {

using sy::testing::parse_exposition;

struct Fixture {
  TargetStats a, b;
  Metrics metrics;
  View view;

  Fixture() {
    a.requests = 3;
    a.errors = 1;
    a.latency.add(10);
    a.attempt.observe_ms(10);
    a.attempt.observe_ms(2000);
    a.first_token.observe_ms(3);
    view.targets = {{"p/m\"x\\y\nz", &a, "open", 2}, {"q/n", &b, "half_open", 0}};
    view.cache = {1, 200, 5, 6, 0};
    metrics.finished({0, 200, CacheResult::miss, 30, 20, -1});
    metrics.finished({0, 200, CacheResult::hit, 1, 0, -1});
    metrics.finished({kNoTarget, 429, CacheResult::bypass, 900, 0, 900});
    metrics.usage(1, 1, 10, 4, 0.002);
    metrics.usage(kNoKey, 0, 2, 1, 0);
    metrics.tier(true);
    view.metrics = &metrics;
    view.keys = {"team-a", "team-b"};
  }
};

TEST(Prometheus, AValidExpositionEveryFamilyDeclared) {
  Fixture f;
  std::string text = render_prometheus(f.view);
  auto x = parse_exposition(text);
  ASSERT_EQ(x.error, "") << text;
  for (auto [name, type] : {std::pair{"switchyard_requests_total", "counter"},
                            {"switchyard_request_duration_seconds", "histogram"},
                            {"switchyard_gateway_overhead_seconds", "histogram"},
                            {"switchyard_queue_wait_seconds", "histogram"},
                            {"switchyard_upstream_attempt_duration_seconds", "histogram"},
                            {"switchyard_time_to_first_token_seconds", "histogram"},
                            {"switchyard_upstream_attempts_total", "counter"},
                            {"switchyard_tokens_total", "counter"},
                            {"switchyard_cost_usd_total", "counter"},
                            {"switchyard_cache_hits_total", "counter"},
                            {"switchyard_cache_misses_total", "counter"}})
    EXPECT_EQ(x.types[name], type) << name;
  // No quantile gauges: they cannot be added up across instances.
  EXPECT_EQ(text.find("p50"), std::string::npos);
  EXPECT_EQ(text.find("p99"), std::string::npos);
  EXPECT_EQ(text.find("quantile"), std::string::npos);
}

TEST(Prometheus, LabelsEscapedAndCountsRight) {
  Fixture f;
  auto x = parse_exposition(render_prometheus(f.view));
  ASSERT_EQ(x.error, "");
  const std::string a = R"(p/m\"x\\y\nz)";
  EXPECT_EQ(x.value("switchyard_requests_total{target=\"" + a + "\",status=\"2xx\",cache=\"miss\"}"), 1);
  EXPECT_EQ(x.value("switchyard_requests_total{target=\"" + a + "\",status=\"2xx\",cache=\"hit\"}"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="-",status="4xx",cache="bypass"})"), 1);
  EXPECT_EQ(x.value("switchyard_upstream_attempts_total{target=\"" + a + "\"}"), 3);
  EXPECT_EQ(x.value("switchyard_upstream_errors_total{target=\"" + a + "\"}"), 1);
  EXPECT_EQ(x.value("switchyard_upstream_attempt_duration_seconds_count{target=\"" + a + "\"}"), 2);
  EXPECT_EQ(x.value("switchyard_upstream_attempt_duration_seconds_bucket{target=\"" + a + "\",le=\"0.01\"}"), 1);
  EXPECT_EQ(x.value("switchyard_upstream_attempt_duration_seconds_bucket{target=\"" + a + "\",le=\"2.5\"}"), 2);
  EXPECT_DOUBLE_EQ(x.value("switchyard_upstream_attempt_duration_seconds_sum{target=\"" + a + "\"}"), 2.01);
  EXPECT_EQ(x.value("switchyard_time_to_first_token_seconds_count{target=\"q/n\"}"), 0);
  EXPECT_EQ(x.value("switchyard_request_duration_seconds_count"), 3);
  EXPECT_EQ(x.value(R"(switchyard_request_duration_seconds_bucket{le="0.001"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_request_duration_seconds_bucket{le="+Inf"})"), 3);
  EXPECT_EQ(x.value("switchyard_queue_wait_seconds_count"), 1);
  EXPECT_DOUBLE_EQ(x.value("switchyard_gateway_overhead_seconds_sum"), (10 + 1 + 900) / 1000.0);
  EXPECT_EQ(x.value(R"(switchyard_tokens_total{key="team-b",model="q/n",type="prompt"})"), 10);
  EXPECT_EQ(x.value(R"(switchyard_tokens_total{key="team-b",model="q/n",type="completion"})"), 4);
  EXPECT_EQ(x.value("switchyard_tokens_total{key=\"-\",model=\"" + a + "\",type=\"prompt\"}"), 2);
  EXPECT_DOUBLE_EQ(x.value(R"(switchyard_cost_usd_total{key="team-b",model="q/n"})"), 0.002);
  EXPECT_EQ(x.value("switchyard_breaker_open{target=\"" + a + "\"}"), 1);
  EXPECT_EQ(x.value(R"(switchyard_breaker_open{target="q/n"})"), 0.5);
  EXPECT_EQ(x.value(R"(switchyard_cache_hits_total{tier="l1"})"), 5);
  EXPECT_EQ(x.value(R"(switchyard_cache_hits_total{tier="l2"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_cache_misses_total{tier="l1"})"), 6);
  EXPECT_EQ(x.value("switchyard_cache_entries"), 1);
}

TEST(Prometheus, BeforeAnyConfigOnlyTheCache) {
  View view;
  std::string text = render_prometheus(view);
  auto x = parse_exposition(text);
  ASSERT_EQ(x.error, "") << text;
  EXPECT_EQ(x.value("switchyard_cache_entries"), 0);
  EXPECT_EQ(x.types.count("switchyard_requests_total"), 0u);
}

TEST(Prometheus, WriterHistogramOfNothingIsAllZero) {
  Exposition w;
  w.family("h_seconds", "histogram", "h.");
  w.histogram("h_seconds", {{"a", "1"}}, Buckets{});
  std::string text = w.take();
  auto x = parse_exposition(text);
  ASSERT_EQ(x.error, "") << text;
  EXPECT_EQ(x.value(R"(h_seconds_bucket{a="1",le="300"})"), 0);
  EXPECT_EQ(x.value(R"(h_seconds_bucket{a="1",le="+Inf"})"), 0);
  EXPECT_EQ(x.value(R"(h_seconds_sum{a="1"})"), 0);
}

// The parser the tests rely on refuses what a scraper would.
TEST(Prometheus, TheStrictParserRefusesBadText) {
  auto bad = [](std::string_view text) { return !parse_exposition(text).error.empty(); };
  EXPECT_FALSE(bad("# HELP c_total C.\n# TYPE c_total counter\nc_total{a=\"x\"} 1\n"));
  EXPECT_TRUE(bad("c_total 1\n"));                                                 // no family
  EXPECT_TRUE(bad("# HELP c_total C.\n# TYPE c_total counter\nd_total 1\n"));      // another family
  EXPECT_TRUE(bad("# HELP c_total C.\n# TYPE c_total counter\nc_total{a=\"x\\q\"} 1\n"));  // bad escape
  EXPECT_TRUE(bad("# HELP c_total C.\n# TYPE c_total counter\nc_total -1\n"));     // counter below 0
  EXPECT_TRUE(bad("# HELP c_total C.\n# TYPE c_total counter\nc_total 1\nc_total 2\n"));  // repeated
  std::string head = "# HELP h H.\n# TYPE h histogram\n";
  EXPECT_FALSE(bad(head + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"));
  EXPECT_TRUE(bad(head + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"));  // not monotone
  EXPECT_TRUE(bad(head + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n"));  // +Inf != count
  EXPECT_TRUE(bad(head + "h_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n"));                          // no +Inf
}

}  // namespace
}  // namespace sy::stats
