#include "health/limiter.h"

#include <gtest/gtest.h>

namespace sy::health {
namespace {

TEST(Limiter, RpmIsExactOverASlidingWindow) {
  Limiter l({2, 0, 0});
  EXPECT_TRUE(l.admits(0, 0));
  l.start(0, 0);
  l.finish(1, 0);
  l.start(30000, 0);
  l.finish(30001, 0);
  EXPECT_FALSE(l.admits(59999, 0));
  EXPECT_EQ(l.next_free_at(59999, 0), 60000);
  EXPECT_TRUE(l.admits(60000, 0));
}

TEST(Limiter, TpmChargesPromptAtStartAndCompletionAtFinish) {
  Limiter l({0, 1000, 0});
  l.start(0, 600);
  EXPECT_TRUE(l.admits(1, 400));
  EXPECT_FALSE(l.admits(1, 401));
  l.finish(10, 300);  // 900 spent
  EXPECT_FALSE(l.admits(11, 200));
  EXPECT_EQ(l.next_free_at(11, 200), 60000);  // the 600 leave first
  EXPECT_TRUE(l.admits(60000, 200));
  EXPECT_FALSE(l.admits(60000, 800));
  EXPECT_EQ(l.next_free_at(60000, 800), 60010);
}

TEST(Limiter, AnOversizedRequestStartsOnceTheWindowIsEmpty) {
  Limiter l({0, 100, 0});
  EXPECT_TRUE(l.admits(0, 5000));
}

TEST(Limiter, Concurrency) {
  Limiter l({0, 0, 2});
  l.start(0, 0);
  l.start(0, 0);
  EXPECT_FALSE(l.admits(0, 0));
  EXPECT_EQ(l.next_free_at(5, 0), 5);  // no time helps: a finish does
  l.finish(1, 0);
  EXPECT_TRUE(l.admits(1, 0));
  EXPECT_DOUBLE_EQ(l.headroom(1), 0.5);
}

TEST(Limiter, UnlimitedAlwaysAdmits) {
  Limiter l;
  EXPECT_FALSE(l.limited());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(l.admits(i, 1e9));
    l.start(i, 1e9);
  }
  EXPECT_DOUBLE_EQ(l.headroom(0), 1);
}

}  // namespace
}  // namespace sy::health
