#include "stats/metrics.h"

#include <gtest/gtest.h>

namespace sy::stats {
namespace {

TEST(Metrics, CountsRequestsByTargetStatusClassAndCache) {
  Metrics m;
  m.finished({3, 200, CacheResult::miss, 100, 90, -1});
  m.finished({3, 201, CacheResult::miss, 100, 90, -1});
  m.finished({3, 200, CacheResult::hit, 1, 0, -1});
  m.finished({kNoTarget, 429, CacheResult::bypass, 50, 0, 50});
  m.finished({1, 502, CacheResult::bypass, 10, 10, -1});
  m.finished({1, 0, CacheResult::bypass, 10, 10, -1});  // no status: counted as 5xx, never lost
  using K = Metrics::RequestKey;
  EXPECT_EQ(m.requests().at(K{3, 2, CacheResult::miss}), 2u);
  EXPECT_EQ(m.requests().at(K{3, 2, CacheResult::hit}), 1u);
  EXPECT_EQ(m.requests().at(K{kNoTarget, 4, CacheResult::bypass}), 1u);
  EXPECT_EQ(m.requests().at(K{1, 5, CacheResult::bypass}), 2u);
  EXPECT_EQ(m.requests().size(), 4u);
}

TEST(Metrics, RefusalsCountOnlyAsRequests) {
  Metrics m;
  m.refused(402);
  m.refused(401);
  m.refused(503);
  EXPECT_EQ(m.requests().at(Metrics::RequestKey{kNoTarget, 4, CacheResult::bypass}), 2u);
  EXPECT_EQ(m.requests().at(Metrics::RequestKey{kNoTarget, 5, CacheResult::bypass}), 1u);
  EXPECT_EQ(m.duration().count(), 0u);
  EXPECT_EQ(m.overhead().count(), 0u);
}

TEST(Metrics, DurationOverheadAndQueueWait) {
  Metrics m;
  m.finished({0, 200, CacheResult::miss, 1500, 1400, -1});  // 100 ms of the gateway's own
  m.finished({0, 429, CacheResult::bypass, 2000, 0, 2000});  // waited for a limit, then gave up
  EXPECT_EQ(m.duration().count(), 2u);
  EXPECT_DOUBLE_EQ(m.duration().sum_seconds(), 3.5);
  EXPECT_EQ(m.overhead().count(), 2u);
  EXPECT_DOUBLE_EQ(m.overhead().sum_seconds(), 2.1);
  EXPECT_EQ(m.queue_wait().count(), 1u);  // only requests that waited
  EXPECT_DOUBLE_EQ(m.queue_wait().sum_seconds(), 2);
}

TEST(Metrics, TokensAndCostByKeyAndTarget) {
  Metrics m;
  m.usage(0, 2, 10, 5, 0.5);
  m.usage(0, 2, 1, 1, -1);  // no price known: no cost, tokens still count
  m.usage(kNoKey, 2, 7, 0, 0);
  EXPECT_EQ(m.usage().at({0, 2}).prompt, 11u);
  EXPECT_EQ(m.usage().at({0, 2}).completion, 6u);
  EXPECT_DOUBLE_EQ(m.usage().at({0, 2}).cost, 0.5);
  EXPECT_EQ(m.usage().at({kNoKey, 2}).prompt, 7u);
}

TEST(Metrics, TierAndCacheResultNames) {
  Metrics m;
  m.tier(true);
  m.tier(false);
  m.tier(false);
  EXPECT_EQ(m.tier_hits(), 1u);
  EXPECT_EQ(m.tier_misses(), 2u);
  EXPECT_EQ(cache_result_of("HIT"), CacheResult::hit);
  EXPECT_EQ(cache_result_of("MISS"), CacheResult::miss);
  EXPECT_EQ(cache_result_of("COALESCED"), CacheResult::coalesced);
  EXPECT_EQ(cache_result_of("BYPASS"), CacheResult::bypass);
  EXPECT_EQ(cache_result_of(""), CacheResult::bypass);
  EXPECT_STREQ(cache_result_name(CacheResult::coalesced), "coalesced");
  EXPECT_STREQ(cache_result_name(CacheResult::bypass), "bypass");
}

}  // namespace
}  // namespace sy::stats
