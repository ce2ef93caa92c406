// Key budgets in memory (src/gateway/budgets.cc): what fits, settling, the view.
#include "gateway/budgets.h"

#include <gtest/gtest.h>

namespace sy::gateway {
namespace {

std::shared_ptr<const config::Config> two_keys() {
  std::vector<config::Problem> problems;
  auto c = config::load(R"({"providers": {"e": {"type": "echo"}},
                            "keys": {"sk-a": {"budget_usd": 0.05}, "sk-b": {}}})", "{}", problems);
  EXPECT_TRUE(c);
  return c;
}

TEST(LocalBudgets, ReservationsFitWithinWhatIsLeft) {
  auto config = two_keys();
  LocalBudgets b(*config);
  EXPECT_EQ(b.reserve(0, 0.02, 0).kind, Verdict::Kind::admitted);
  EXPECT_EQ(b.reserve(0, 0.03, 0).kind, Verdict::Kind::admitted);  // exactly the budget: fits
  Verdict refused = b.reserve(0, 0.001, 0);
  EXPECT_EQ(refused.kind, Verdict::Kind::refused);
  EXPECT_NEAR(refused.remaining_usd, 0, 1e-12);
  BudgetView v = b.view(0);
  EXPECT_EQ(v.budget_usd, 0.05);
  EXPECT_DOUBLE_EQ(v.reserved_usd, 0.05);
  EXPECT_EQ(v.spent_usd, 0);

  b.settle(0, 0.02, 0.01, 0);  // cost less than reserved: the rest is free again
  v = b.view(0);
  EXPECT_DOUBLE_EQ(v.reserved_usd, 0.03);
  EXPECT_DOUBLE_EQ(v.spent_usd, 0.01);
  EXPECT_NEAR(v.remaining_usd(), 0.01, 1e-12);
  EXPECT_EQ(b.reserve(0, 0.011, 0).kind, Verdict::Kind::refused);
  b.settle(0, 0.03, 0.045, 0);  // cost more than reserved: spend is what it cost
  v = b.view(0);
  EXPECT_EQ(v.reserved_usd, 0);  // nothing in flight: exactly 0, no rounding left
  EXPECT_DOUBLE_EQ(v.spent_usd, 0.055);
  EXPECT_EQ(v.remaining_usd(), 0);  // never below 0
  EXPECT_EQ(b.reserve(0, 0, 0).kind, Verdict::Kind::refused);  // used up: even a free request
}

TEST(LocalBudgets, AKeyWithoutABudgetAdmitsEverythingAndCountsSpend) {
  auto config = two_keys();
  LocalBudgets b(*config);
  EXPECT_EQ(b.reserve(1, 1e6, 0).kind, Verdict::Kind::admitted);
  b.settle(1, 1e6, 2.5, 0);
  EXPECT_EQ(b.view(1).budget_usd, 0);
  EXPECT_EQ(b.view(1).spent_usd, 2.5);
  EXPECT_EQ(b.view(1).reserved_usd, 0);
  EXPECT_EQ(b.view(0).spent_usd, 0);  // per key
}

}  // namespace
}  // namespace sy::gateway
