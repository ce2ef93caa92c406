#include "gateway/budgets.h"

#include <algorithm>

namespace sy::gateway {

double BudgetView::remaining_usd() const { return std::max(0.0, budget_usd - spent_usd - reserved_usd); }

LocalBudgets::LocalBudgets(const config::Config& config) {
  for (const auto& k : config.keys) accounts_.push_back({{k.budget_usd, 0, 0}, 0});
}

Verdict LocalBudgets::reserve(int key, double usd, double, uint32_t) {
  Account& a = accounts_[size_t(key)];
  if (a.view.budget_usd > 0) {
    double remaining = a.view.budget_usd - a.view.spent_usd - a.view.reserved_usd;
    // (1e-12: a sum of reservations that equals the budget fits, whatever the rounding.)
    if (remaining <= 1e-12 || usd > remaining + 1e-12) return {Verdict::Kind::refused, std::max(0.0, remaining)};
  }
  a.view.reserved_usd += usd;
  ++a.in_flight;
  return {Verdict::Kind::admitted, -1};
}

void LocalBudgets::settle(int key, double reserved, double actual, double) {
  Account& a = accounts_[size_t(key)];
  a.view.spent_usd += std::max(0.0, actual);
  if (--a.in_flight <= 0) {
    a.in_flight = 0;
    a.view.reserved_usd = 0;  // no rounding left behind
  } else {
    a.view.reserved_usd = std::max(0.0, a.view.reserved_usd - reserved);
  }
}

BudgetView LocalBudgets::view(int key) const { return accounts_[size_t(key)].view; }

}  // namespace sy::gateway
