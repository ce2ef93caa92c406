#include "gateway/shared_budgets.h"

#include <algorithm>

namespace sy::gateway {

SharedBudgets::SharedBudgets(const config::Config& config, ledger::Ledger& ledger)
    : config_(config), ledger_(ledger), local_(config) {}

ledger::Spec SharedBudgets::spec(int key) const {
  const config::GatewayKey& k = config_.keys[size_t(key)];
  ledger::Spec spec;
  spec.object = "key:" + k.name;
  spec.pool = "budget";
  spec.capacity = k.budget_usd;
  spec.window_ms = 0;
  spec.report_at_once = true;  // settled spend is acknowledged by the object
  return spec;
}

ledger::Spec SharedBudgets::rate_spec(int key) const {
  const config::GatewayKey& k = config_.keys[size_t(key)];
  ledger::Spec spec;
  spec.object = "key:" + k.name;
  spec.pool = "rpm";
  spec.capacity = k.rpm;
  spec.window_ms = 60000;
  spec.report_at_once = false;  // a start is reported with the next op
  spec.grow = true;
  return spec;
}

namespace {

Verdict verdict_of(const ledger::Decision& d) {
  switch (d.verdict) {
    case ledger::Verdict::admitted: return {Verdict::Kind::admitted, -1};
    case ledger::Verdict::refused: return {Verdict::Kind::refused, std::max(0.0, d.remaining), d.retry_after_ms};
    case ledger::Verdict::unavailable: return {Verdict::Kind::unavailable, -1};
    case ledger::Verdict::pending: break;
  }
  return {Verdict::Kind::pending, -1};
}

}  // namespace

Verdict SharedBudgets::reserve(int key, double usd, double now, uint32_t owner) {
  double budget = config_.keys[size_t(key)].budget_usd;
  if (budget <= 0) return local_.reserve(key, usd, now, owner);
  ledger::Decision d;
  if (auto it = decided_.find(owner); it != decided_.end()) {  // the answer it waited for
    d = it->second.second;
    decided_.erase(it);
  } else if (waiting_.count(owner)) {
    return {Verdict::Kind::pending, -1};  // still waiting: the ledger asks once per request
  } else {
    d = ledger_.reserve(spec(key), usd, std::max(usd, budget / 10), owner, config_.gateway.state_fail_open, now);
    if (d.verdict == ledger::Verdict::pending) {
      waiting_[owner] = key;
      return {Verdict::Kind::pending, -1};
    }
  }
  if (d.verdict == ledger::Verdict::admitted) held_[key].emplace(usd, Held{owner, d.ticket});
  return verdict_of(d);
}

bool SharedBudgets::shares_rpm(int key) const { return config_.keys[size_t(key)].rpm > 0; }

Verdict SharedBudgets::count_call(int key, double now, uint32_t owner) {
  if (auto it = rate_decided_.find(owner); it != rate_decided_.end()) {  // the answer it waited for
    Verdict v = it->second;
    rate_decided_.erase(it);
    return v;
  }
  if (rate_waiting_.count(owner)) return {Verdict::Kind::pending, -1};
  ledger::Decision d = ledger_.reserve(rate_spec(key), 1, 1, owner, config_.gateway.state_fail_open, now);
  if (d.verdict == ledger::Verdict::pending) {
    rate_waiting_[owner] = key;
    return {Verdict::Kind::pending, -1};
  }
  return counted(key, d, owner, now);
}

// A request admitted by the rpm pool has started: its one request is consumed at once.
Verdict SharedBudgets::counted(int key, const ledger::Decision& d, uint32_t owner, double now) {
  if (d.verdict == ledger::Verdict::admitted) ledger_.settle(rate_spec(key), d.ticket, 1, owner, now);
  return verdict_of(d);
}

void SharedBudgets::settle(int key, double reserved, double actual, double now) {
  if (config_.keys[size_t(key)].budget_usd <= 0) return local_.settle(key, reserved, actual, now);
  auto& tickets = held_[key];
  auto it = tickets.find(reserved);  // settle gives back exactly what reserve got
  if (it == tickets.end()) {  // no ticket of ours: the spend is still reported, nothing returned
    ledger_.settle(spec(key), ledger::Ticket{}, actual, 0, now);
    return;
  }
  Held held = it->second;
  tickets.erase(it);
  ledger_.settle(spec(key), held.ticket, actual, held.owner, now);
}

BudgetView SharedBudgets::view(int key) const {
  double budget = config_.keys[size_t(key)].budget_usd;
  if (budget <= 0) return local_.view(key);
  BudgetView v;
  v.budget_usd = budget;
  const ledger::Holder* holder = ledger_.peek(spec(key));
  if (!holder) {
    v.spent_usd = seen_.count(key) ? seen_.at(key) : 0;
    return v;
  }
  double seen = seen_.count(key) ? seen_.at(key) : 0;
  // What is consumed only grows (window 0): the later of the two answers is the larger.
  v.spent_usd = std::max({0.0, holder->consumed(), seen}) + holder->unreported();
  v.reserved_usd = holder->reserved();
  return v;
}

void SharedBudgets::deliver(const std::vector<ledger::Decision>& decisions, double now) {
  std::set<int> keys;
  for (const ledger::Decision& d : decisions) {
    if (auto r = rate_waiting_.find(d.owner); !d.is_view && r != rate_waiting_.end()) {
      rate_decided_[d.owner] = counted(r->second, d, d.owner, now);
      keys.insert(r->second);
      rate_waiting_.erase(r);
      continue;
    }
    if (auto v = viewing_.find(d.owner); d.is_view && v != viewing_.end()) {
      if (d.verdict == ledger::Verdict::admitted) seen_[v->second] = std::max(seen_[v->second], d.view.consumed);
      keys.insert(v->second);  // failed: /v1/key shows what this isolate knows
      viewed_.insert(d.owner);
      viewing_.erase(v);
      continue;
    }
    auto it = waiting_.find(d.owner);
    if (d.is_view || it == waiting_.end()) continue;
    keys.insert(it->second);
    decided_[d.owner] = {it->second, d};
    waiting_.erase(it);
  }
  for (int key : keys) ready(key, now);
  // A decision its request did not come back for (it went away, or its pipeline ended while the
  // step waited): what it was granted goes back to the lease.
  for (const auto& [owner, left] : decided_) {
    if (left.second.verdict == ledger::Verdict::admitted) ledger_.settle(spec(left.first), left.second.ticket, 0, owner, now);
  }
  decided_.clear();
  viewed_.clear();
}

bool SharedBudgets::view_ready(int key, double now, uint32_t owner) {
  if (config_.keys[size_t(key)].budget_usd <= 0 || viewed_.count(owner)) return true;
  if (viewing_.count(owner)) return false;
  ledger::Decision d = ledger_.view(spec(key), owner, now);
  if (d.verdict != ledger::Verdict::pending) return true;
  viewing_[owner] = key;
  return false;
}

void SharedBudgets::forget(uint32_t owner) {
  waiting_.erase(owner);
  viewing_.erase(owner);
  rate_waiting_.erase(owner);
  rate_decided_.erase(owner);
  ledger_.forget(owner);
}

}  // namespace sy::gateway
