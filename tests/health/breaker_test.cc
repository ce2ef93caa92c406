#include "health/breaker.h"

#include <gtest/gtest.h>

namespace sy::health {
namespace {

TEST(Breaker, OpensAfterConsecutiveFailuresAndRecoversThroughOneProbe) {
  Breaker b;
  const double cooldown = 1000;
  b.on_failure(0, 3);
  b.on_failure(1, 3);
  b.on_success();  // resets the count
  b.on_failure(2, 3);
  b.on_failure(3, 3);
  EXPECT_TRUE(b.allows(3, cooldown));
  b.on_failure(4, 3);
  EXPECT_EQ(b.state(4, cooldown), Breaker::State::open);
  EXPECT_FALSE(b.allows(1003, cooldown));
  EXPECT_TRUE(b.allows(1004, cooldown));
  EXPECT_EQ(b.state(1004, cooldown), Breaker::State::half_open);
  b.on_start(1004, cooldown);
  EXPECT_FALSE(b.allows(1005, cooldown));  // one probe at a time
  b.on_success();
  EXPECT_EQ(b.state(1006, cooldown), Breaker::State::closed);
}

TEST(Breaker, FailedProbeReopens) {
  Breaker b;
  b.on_failure(0, 1);
  b.on_start(500, 500);
  b.on_failure(600, 1);
  EXPECT_EQ(b.state(700, 500), Breaker::State::open);
  EXPECT_EQ(b.reopens_at(500), 1100);
}

TEST(Breaker, NeutralOutcomeGivesTheProbeBack) {
  Breaker b;
  b.on_failure(0, 1);
  b.on_start(10, 10);
  EXPECT_FALSE(b.allows(11, 10));
  b.on_neutral();
  EXPECT_TRUE(b.allows(11, 10));
}

}  // namespace
}  // namespace sy::health
