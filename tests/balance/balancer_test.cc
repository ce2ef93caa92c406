#include "balance/balancer.h"

#include <gtest/gtest.h>

#include <map>

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

struct Fixture {
  config::Target g;
  std::vector<Candidate> children;
  GroupState state;
  Rng rng{1};
  std::vector<size_t> out;

  Fixture(config::Strategy s, std::vector<double> weights) : g(group(s, weights)), children(weights.size()) {}
  size_t first() {
    order(g, state, rng, children, out);
    return out[0];
  }
};

// Config accepts every strategy name; each must be one the balancer (or the router, for
// conditional) implements.
TEST(Balancer, EveryConfigStrategyIsImplemented) {
  for (int s = 0; s <= int(config::Strategy::conditional); ++s)
    EXPECT_TRUE(supported(config::Strategy(s))) << config::strategy_name(config::Strategy(s));
}

TEST(Balancer, FallbackKeepsTheListedOrderAvailableFirst) {
  Fixture f(config::Strategy::fallback, {1, 1, 1});
  f.first();
  EXPECT_EQ(f.out, (std::vector<size_t>{0, 1, 2}));
  f.children[0].available = false;
  f.first();
  EXPECT_EQ(f.out, (std::vector<size_t>{1, 2, 0}));
}

TEST(Balancer, RoundRobinRotatesExactly) {
  Fixture f(config::Strategy::round_robin, {1, 1, 1});
  for (size_t k = 0; k < 7; ++k) {
    EXPECT_EQ(f.first(), k % 3);
    EXPECT_EQ(f.out.size(), 3u);
  }
}

TEST(Balancer, UnavailableChildrenAreNotCountedAsAChoice) {
  Fixture f(config::Strategy::round_robin, {1, 1, 1});
  f.children[1].available = false;
  std::vector<size_t> firsts;
  for (int k = 0; k < 6; ++k) firsts.push_back(f.first());
  EXPECT_EQ(firsts, (std::vector<size_t>{0, 2, 0, 2, 0, 2}));
  EXPECT_EQ(f.out.back(), 1u);  // still tried last
  f.children[1].available = true;
  EXPECT_EQ(f.first(), 0u);
  EXPECT_EQ(f.first(), 1u);
}

TEST(Balancer, WeightedThreeToOneInEveryWindowOfFour) {
  Fixture f(config::Strategy::weighted, {3, 1});
  std::vector<size_t> firsts;
  for (int k = 0; k < 40; ++k) firsts.push_back(f.first());
  for (size_t w = 0; w + 4 <= firsts.size(); w += 4)
    EXPECT_EQ(std::count(firsts.begin() + long(w), firsts.begin() + long(w) + 4, 0u), 3) << "window " << w;
}

TEST(Balancer, WeightedSkipsUnavailableWithoutCredit) {
  Fixture f(config::Strategy::weighted, {1, 1});
  f.children[0].available = false;
  for (int k = 0; k < 5; ++k) EXPECT_EQ(f.first(), 1u);
  f.children[0].available = true;
  std::vector<size_t> firsts;
  for (int k = 0; k < 4; ++k) firsts.push_back(f.first());
  EXPECT_EQ(std::count(firsts.begin(), firsts.end(), 0u), 2);  // no burst to "catch up"
}

TEST(Balancer, RandomIsSeededAndFollowsWeights) {
  Fixture a(config::Strategy::random, {1, 3}), b(config::Strategy::random, {1, 3});
  int ones = 0;
  for (int k = 0; k < 4000; ++k) {
    size_t x = a.first();
    EXPECT_EQ(x, b.first());
    ones += x == 1;
  }
  EXPECT_NEAR(ones / 4000.0, 0.75, 0.03);
}

TEST(Balancer, LeastOutstandingPicksTheIdlest) {
  Fixture f(config::Strategy::least_outstanding, {1, 1, 1});
  f.children[0].outstanding = 3;
  f.children[1].outstanding = 1;
  f.children[2].outstanding = 2;
  EXPECT_EQ(f.first(), 1u);
  f.children[1].outstanding = 3;
  f.children[2].outstanding = 3;
  std::map<size_t, int> ties;  // equal load: spread, not always the first
  for (int k = 0; k < 30; ++k) ++ties[f.first()];
  EXPECT_EQ(ties.size(), 3u);
}

TEST(Balancer, LatencyPrefersFastAndTriesUnmeasured) {
  Fixture f(config::Strategy::latency, {1, 1, 1});
  f.children[0].latency_ms = 200;
  f.children[1].latency_ms = 50;
  f.children[2].latency_ms = 0;  // never measured
  EXPECT_EQ(f.first(), 2u);
  f.children[2].latency_ms = 120;
  EXPECT_EQ(f.first(), 1u);
  f.children[1].outstanding = 3;  // 50 * 4 > 120
  EXPECT_EQ(f.first(), 2u);
  f.children[1].outstanding = 1;  // 50 * 2 = 100, a: 200
  f.children[2].latency_ms = 0;  // unmeasured but already busy: last, not flooded
  f.children[2].outstanding = 1;
  EXPECT_EQ(f.first(), 1u);
}

TEST(Balancer, CostWeightsByInverseSquarePrice) {
  Fixture f(config::Strategy::cost, {1, 1});
  f.children[0].price = 1;
  f.children[1].price = 2;  // 1/4 the weight of child 0
  int cheap = 0;
  for (int k = 0; k < 5000; ++k) cheap += f.first() == 0;
  EXPECT_NEAR(cheap / 5000.0, 0.8, 0.03);
  f.children[1].price = 0;  // free wins outright
  for (int k = 0; k < 10; ++k) EXPECT_EQ(f.first(), 1u);
}

TEST(Balancer, UsagePicksTheMostHeadroom) {
  Fixture f(config::Strategy::usage, {1, 1, 1});
  f.children[0].headroom = 0.2;
  f.children[1].headroom = 0.9;
  f.children[2].headroom = 0.5;
  EXPECT_EQ(f.first(), 1u);
  f.children[1].available = false;
  EXPECT_EQ(f.first(), 2u);
}

TEST(Balancer, NothingAvailableKeepsListedOrder) {
  Fixture f(config::Strategy::round_robin, {1, 1});
  f.children[0].available = f.children[1].available = false;
  f.first();
  EXPECT_EQ(f.out, (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace sy::balance
