#include "ledger/pool.h"

#include <algorithm>

namespace sy::ledger {

void Pool::expire(double now, double window_ms) {
  if (window_ms > 0) {
    while (!entries_.empty() && entries_.front().first <= now - window_ms) entries_.pop_front();
  }
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.expires_at <= now ? leases_.erase(it) : std::next(it);
  }
}

double Pool::consumed() const {
  double sum = total_;
  for (const auto& [at, amount] : entries_) sum += amount;
  return sum;
}

double Pool::leased() const {
  double sum = 0;
  for (const auto& [holder, row] : leases_) sum += row.amount;
  return sum;
}

double Pool::frees_in(double now, double window_ms) const {
  if (window_ms <= 0) return -1;
  double at = entries_.empty() ? -1 : entries_.front().first + window_ms;
  for (const auto& [holder, row] : leases_) at = at < 0 ? row.expires_at : std::min(at, row.expires_at);
  return at < 0 ? 0 : std::max(0.0, at - now);
}

Answer Pool::lease(const Op& op, double now) {
  expire(now, op.window_ms);
  Row& row = leases_[op.holder];
  row.amount = std::max(0.0, row.amount - op.returned);
  if (op.spent > 0) {
    if (op.window_ms > 0) {
      entries_.emplace_back(now, op.spent);
    } else {
      total_ += op.spent;
    }
  }
  double available = op.capacity - consumed() - leased();
  double grant = available >= op.min ? std::max(0.0, std::min(op.want, available)) : 0.0;
  row.amount += grant;
  Answer answer;
  answer.granted = grant;
  answer.lease = row.amount;
  if (row.amount > 0) {
    row.expires_at = now + op.ttl_ms;
  } else {
    leases_.erase(op.holder);
  }
  answer.consumed = consumed();
  answer.leased = leased();
  answer.available = op.capacity - answer.consumed - answer.leased;
  answer.capacity = op.capacity;
  answer.frees_in_ms = frees_in(now, op.window_ms);
  return answer;
}

Answer Pool::get(const Op& op, double now) {
  expire(now, op.window_ms);
  Answer answer;
  answer.consumed = consumed();
  answer.leased = leased();
  answer.available = op.capacity - answer.consumed - answer.leased;
  answer.capacity = op.capacity;
  return answer;
}

std::pair<double, double> Pool::lease_of(const std::string& holder) const {
  auto it = leases_.find(holder);
  if (it == leases_.end()) return {0, 0};
  return {it->second.amount, it->second.expires_at};
}

}  // namespace sy::ledger
