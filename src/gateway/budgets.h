// Key budgets: what each gateway key has spent and has reserved for requests in flight, behind one
// small interface so that where the numbers live can change without the gateway noticing.
//
// A model request reserves its worst-case cost (gateway/reservation.h) before it goes to the
// exchange and settles its real cost when it ends, on every path, exactly once:
//   reserve(key, usd, now)              admitted | refused (with what remains) | pending
//   settle(key, reserved, actual, now)  `reserved` leaves `reserved_usd`, `actual` joins `spent_usd`
//   view(key)                           the numbers GET /v1/key shows
// A reservation fits when `remaining > 0` and `usd <= remaining`, where
// `remaining = budget_usd − spent_usd − reserved_usd`; a key without a budget admits everything.
//
// LocalBudgets keeps the numbers in this process's memory (the npm package, Node, a gateway
// without shared state): every answer is immediate. A shared implementation (leases of a budget
// held in a Durable Object: the ledger) answers `pending` when its local lease lacks `usd` and it
// must ask the host for more. The gateway then parks the request, as it parks a request waiting
// for CACHE_GET (gateway/conversations.cc), and when the implementation calls ready(key, now)
// (the host answered for that key) it calls reserve() again for each request parked on that key,
// in arrival order; those calls may answer pending again (the lease was drained meanwhile). A
// failure of the shared state answers `unavailable`: 503 `state_unavailable` naming the key.
// A pipeline step told `pending` waits too (its run is resumed from ready()). settle() never
// waits: a shared implementation keeps what it could not report yet and sends it with its next
// operation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "config/config.h"

namespace sy::gateway {

struct Verdict {
  enum class Kind { admitted, refused, pending, unavailable } kind = Kind::admitted;
  double remaining_usd = -1;  // refused: what the key has left (budget − spent − reserved), ≥ 0
  double retry_after_ms = -1;  // refused by a shared rpm pool: when a slot frees next (-1: not known)
};

struct BudgetView {
  double budget_usd = 0;  // 0: the key has no budget
  double spent_usd = 0;
  double reserved_usd = 0;
  double remaining_usd() const;  // budget − spent − reserved, never below 0; meaningless without a budget
};

class Budgets {
 public:
  virtual ~Budgets() = default;
  // `key` indexes config->keys; `usd` ≥ 0; `owner`: the request that reserves (0: none), which a
  // shared implementation names in the host operations it makes for it.
  virtual Verdict reserve(int key, double usd, double now, uint32_t owner = 0) = 0;
  virtual void settle(int key, double reserved, double actual, double now) = 0;
  virtual BudgetView view(int key) const = 0;
  // Before view(key) answers GET /v1/key for request `owner`: false when what it shows must come
  // from elsewhere first (the shared object); the request then waits for ready(key) and asks again.
  virtual bool view_ready(int /*key*/, double /*now*/, uint32_t /*owner*/) { return true; }
  // Whether the key's rpm is counted here (shared state: pool "rpm" of its object) rather than in
  // this process's memory (gateway Runtime::keys, health::Limiter).
  virtual bool shares_rpm(int /*key*/) const { return false; }
  // Counts one request of `owner` against the key's shared rpm: admitted, refused (over its rpm),
  // unavailable, or pending (ready(key) follows; the gateway asks again for the same owner).
  virtual Verdict count_call(int /*key*/, double /*now*/, uint32_t /*owner*/) { return {}; }
  // Request `owner` went away or was answered while told `pending`: it takes no decision any more.
  virtual void forget(uint32_t /*owner*/) {}

  // The gateway's callback for requests parked on `pending` (set when the budgets are installed).
  void on_ready(std::function<void(int key, double now)> ready) { ready_ = std::move(ready); }

 protected:
  // A shared implementation calls this once the host answered for `key`.
  void ready(int key, double now) {
    if (ready_) ready_(key, now);
  }

 private:
  std::function<void(int key, double now)> ready_;
};

// Budgets in this process's memory, from zero when the config is loaded.
class LocalBudgets final : public Budgets {
 public:
  explicit LocalBudgets(const config::Config& config);
  Verdict reserve(int key, double usd, double now, uint32_t owner = 0) override;
  void settle(int key, double reserved, double actual, double now) override;
  BudgetView view(int key) const override;

 private:
  struct Account {
    BudgetView view;
    int64_t in_flight = 0;  // reservations not settled yet: at 0, reserved_usd is exactly 0
  };
  std::vector<Account> accounts_;  // as config.keys
};

}  // namespace sy::gateway
