#include "balance/balancer.h"

#include <gtest/gtest.h>

namespace sy::balance {
namespace {

config::Target group(config::Strategy strategy, std::vector<double> weights) {
  config::Target g;
  g.strategy = strategy;
  for (double w : weights) {
    config::Target leaf;
    leaf.provider = 0;
    leaf.weight = w;
    g.targets.push_back(leaf);
  }
  return g;
}

TEST(Balancer, FallbackKeepsTheListedOrder) {
  auto g = group(config::Strategy::fallback, {1, 1, 1});
  GroupState state;
  Rng rng(1);
  std::vector<size_t> order;
  balance::order(g, state, rng, order);
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2}));
}

TEST(Balancer, RoundRobinRotatesExactly) {
  auto g = group(config::Strategy::round_robin, {1, 1, 1});
  GroupState state;
  Rng rng(1);
  std::vector<size_t> order;
  for (size_t k = 0; k < 7; ++k) {
    balance::order(g, state, rng, order);
    EXPECT_EQ(order[0], k % 3);
    EXPECT_EQ(order.size(), 3u);
  }
}

TEST(Balancer, WeightedThreeToOneInEveryWindowOfFour) {
  auto g = group(config::Strategy::weighted, {3, 1});
  GroupState state;
  Rng rng(1);
  std::vector<size_t> order;
  std::vector<size_t> firsts;
  for (int k = 0; k < 40; ++k) {
    balance::order(g, state, rng, order);
    firsts.push_back(order[0]);
  }
  for (size_t w = 0; w + 4 <= firsts.size(); w += 4) {
    int zeros = 0;
    for (size_t i = w; i < w + 4; ++i) zeros += firsts[i] == 0;
    EXPECT_EQ(zeros, 3) << "window " << w;
  }
}

TEST(Balancer, RandomIsSeededAndFollowsWeights) {
  auto g = group(config::Strategy::random, {1, 3});
  GroupState state;
  Rng a(42), b(42);
  std::vector<size_t> oa, ob;
  int ones = 0;
  for (int k = 0; k < 4000; ++k) {
    balance::order(g, state, a, oa);
    balance::order(g, state, b, ob);
    EXPECT_EQ(oa, ob);
    ones += oa[0] == 1;
  }
  EXPECT_NEAR(ones / 4000.0, 0.75, 0.03);
}

}  // namespace
}  // namespace sy::balance
