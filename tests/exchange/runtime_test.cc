#include "exchange/runtime.h"

#include <gtest/gtest.h>

namespace sy::exchange {
namespace {

std::shared_ptr<const config::Config> load(std::string_view text) {
  std::vector<config::Problem> problems;
  auto c = config::load(text, "{}", problems);
  EXPECT_TRUE(c) << (problems.empty() ? "" : problems[0].message);
  return c;
}

TEST(Runtime, DirectTargetsAreCreatedOnceAndBounded) {
  Runtime rt(load(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test"}}})"));
  uint32_t x = rt.direct_target(0, "x");
  EXPECT_EQ(rt.direct_target(0, "x"), x);
  EXPECT_NE(rt.direct_target(0, "y"), x);
  for (int i = 0; i < 1100; ++i) rt.direct_target(0, "m" + std::to_string(i));
  EXPECT_LE(rt.targets.size(), 1025u);  // past the bound, further models share "a/*"
  EXPECT_EQ(rt.targets.back().model, "*");
}

TEST(Runtime, CandidatesReflectBreakersLimitsAndPrices) {
  Runtime rt(load(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test", "prices": {"m": {"input": 1, "output": 2}},
            "limits": {"concurrency": 1}},
      "e": {"type": "echo"}},
    "models": {"x": {"targets": [{"provider": "a", "model": "m"}, {"provider": "e", "model": "e"}]}}})"));
  EXPECT_EQ(rt.candidate(0, 0).price, 3);
  EXPECT_EQ(rt.candidate(1, 0).price, 0);  // echo is free
  EXPECT_TRUE(rt.candidate(0, 0).available);
  rt.providers[0].start(0, 0);
  EXPECT_FALSE(rt.candidate(0, 0).available);  // the provider's one slot is taken
}

TEST(Runtime, LatencyIsPeakEwma) {
  TargetRuntime t;
  t.observe_latency(100, 0);
  EXPECT_EQ(t.latency_ms, 100);
  t.observe_latency(300, 1);
  EXPECT_EQ(t.latency_ms, 300);  // jumps up at once
  t.observe_latency(100, 10001);
  EXPECT_LT(t.latency_ms, 300);  // decays towards faster samples
  EXPECT_GT(t.latency_ms, 100);
  EXPECT_EQ(t.stats.latency.count(), 3u);
}

}  // namespace
}  // namespace sy::exchange
