#include "stats/stats.h"

#include <gtest/gtest.h>

namespace sy::stats {
namespace {

TEST(Stats, HistogramQuantilesWithinTenPercent) {
  Histogram h;
  EXPECT_EQ(h.quantile(0.5), 0);
  for (int i = 1; i <= 1000; ++i) h.add(i);
  EXPECT_NEAR(h.quantile(0.5), 500, 50);
  EXPECT_NEAR(h.quantile(0.99), 990, 99);
  h.add(1e12);  // far past the last bucket: kept, not lost
  EXPECT_EQ(h.count(), 1001u);
}

TEST(Stats, RendersJsonAndPrometheus) {
  TargetStats s;
  s.requests = 3;
  s.errors = 1;
  s.latency.add(10);
  s.prompt_tokens = 7;
  s.cost = 0.25;
  std::vector<TargetRow> rows{{"a/m\"x", &s, "open", 2}};
  CacheRow cache{1, 200, 5, 6, 0};
  std::string json = render_json(rows, cache);
  EXPECT_NE(json.find(R"("target":"a/m\"x","requests":3,"errors":1)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("breaker":"open","outstanding":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("cache":{"entries":1,"bytes":200,"hits":5,"misses":6)"), std::string::npos) << json;
  std::string text = render_prometheus(rows, cache);
  EXPECT_NE(text.find("# TYPE switchyard_requests_total counter\nswitchyard_requests_total{target=\"a/m\\\"x\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("switchyard_breaker_open{target=\"a/m\\\"x\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("switchyard_cache_hits_total 5\n"), std::string::npos);
}

TEST(Stats, NoLatencyYetIsNullNotZero) {
  TargetStats s;
  s.requests = 1;
  s.errors = 1;
  std::vector<TargetRow> rows{{"a/m", &s, "closed", 0}};
  EXPECT_NE(render_json(rows, {}).find(R"("latency_ms":{"p50":null,"p99":null})"), std::string::npos);
  EXPECT_NE(render_prometheus(rows, {}).find("switchyard_latency_p50_ms{target=\"a/m\"} NaN\n"), std::string::npos);
}

}  // namespace
}  // namespace sy::stats
