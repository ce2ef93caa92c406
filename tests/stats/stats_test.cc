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

TEST(Stats, RendersJson) {
  TargetStats s;
  s.requests = 3;
  s.errors = 1;
  s.latency.add(10);
  s.prompt_tokens = 7;
  s.cost = 0.25;
  View view;
  view.targets = {{"a/m\"x", &s, "open", 2}};
  view.cache = {1, 200, 5, 6, 0};
  std::string json = render_json(view);
  EXPECT_NE(json.find(R"("target":"a/m\"x","requests":3,"errors":1)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("breaker":"open","outstanding":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("cache":{"entries":1,"bytes":200,"hits":5,"misses":6,"evictions":0,)"
                      R"("l1":{"hits":5,"misses":6},"l2":{"hits":0,"misses":0}})"),
            std::string::npos)
      << json;
}

// Both tiers: `hits` were answered by either, `misses` by neither (an L1 miss the host's tier
// answered is a hit, not a miss).
TEST(Stats, CacheCountsBothTiers) {
  Metrics m;
  m.tier(true);
  m.tier(true);
  m.tier(false);
  View view;
  view.cache = {4, 100, 1, 3, 0};  // L1: 1 hit, 3 misses (2 of which the tier answered)
  view.metrics = &m;
  std::string json = render_json(view);
  EXPECT_NE(json.find(R"("hits":3,"misses":1,"evictions":0,"l1":{"hits":1,"misses":3},"l2":{"hits":2,"misses":1})"),
            std::string::npos)
      << json;
}

TEST(Stats, NoLatencyYetIsNullNotZero) {
  TargetStats s;
  s.requests = 1;
  s.errors = 1;
  View view;
  view.targets = {{"a/m", &s, "closed", 0}};
  EXPECT_NE(render_json(view).find(R"("latency_ms":{"p50":null,"p99":null})"), std::string::npos);
}

}  // namespace
}  // namespace sy::stats
