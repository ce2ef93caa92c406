#include "stats/buckets.h"

#include <gtest/gtest.h>

namespace sy::stats {
namespace {

TEST(Buckets, CountsEachObservationOnceAtOrBelowItsBound) {
  Buckets b;
  EXPECT_EQ(b.count(), 0u);
  EXPECT_EQ(b.cumulative(Buckets::kCount - 1), 0u);
  b.observe_ms(1);       // 0.001 s: exactly the first bound (inclusive)
  b.observe_ms(1.0001);  // just above: the second bucket
  b.observe_ms(700);     // 0.7 s: the bucket of 1 s
  b.observe_ms(1e9);     // past the last bound: only +Inf
  b.observe_ms(-5);      // a clock that went back counts as 0
  EXPECT_EQ(b.count(), 5u);
  EXPECT_EQ(b.cumulative(0), 2u);  // 1 ms and the clamped -5 ms
  EXPECT_EQ(b.cumulative(1), 3u);
  size_t one_second = 9;
  ASSERT_EQ(Buckets::kBounds[one_second], 1);
  EXPECT_EQ(b.cumulative(one_second - 1), 3u);
  EXPECT_EQ(b.cumulative(one_second), 4u);
  EXPECT_EQ(b.cumulative(Buckets::kBounds.size() - 1), 4u);
  EXPECT_EQ(b.cumulative(Buckets::kBounds.size()), 5u);  // +Inf == count
  EXPECT_NEAR(b.sum_seconds(), 0.001 + 0.0010001 + 0.7 + 1e6, 1e-6);
}

TEST(Buckets, BoundsIncreaseAndCumulativeCountsNeverDrop) {
  for (size_t i = 1; i < Buckets::kBounds.size(); ++i) EXPECT_LT(Buckets::kBounds[i - 1], Buckets::kBounds[i]);
  Buckets b;
  for (int ms = 0; ms < 400000; ms += 997) b.observe_ms(ms);
  for (size_t i = 1; i < Buckets::kCount; ++i) EXPECT_LE(b.cumulative(i - 1), b.cumulative(i));
  EXPECT_EQ(b.cumulative(Buckets::kCount - 1), b.count());
}

}  // namespace
}  // namespace sy::stats
