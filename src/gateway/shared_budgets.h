// Key budgets shared by every isolate of a gateway (gateway/budgets.h over ledger::Ledger): the
// budget of a key is pool "budget" (window 0) of the object `key:<key name>`, and this isolate
// reserves from its lease of it. A reservation the lease lacks asks the object for a refill of
// max(usd, 10% of the budget) and answers `pending`; when the ledger's decision arrives (the
// host answered the STATE op), deliver() keeps it for the request and calls ready(key), and the
// gateway's second reserve() for that request takes it. Settling reports the real cost as
// `spent` and the reservation as `returned` right away (the ledger retries a report that fails).
//
// Failure (the object did not answer): `unavailable` (503 state_unavailable naming the key), or
// with gateway.state_fail_open the request is admitted from the local lease.
// Key rpm (keys.*.rpm > 0): pool "rpm" (window 60000 ms) of the same object, one per request,
// taken from this isolate's lease of it; a request the lease lacks waits for a refill (sizes start
// at 1 and double while demand drains them, ledger::Spec::grow); its consumption is reported with
// the holder's next op. Refused: 429; no answer: as for budgets (503, or admitted when fail open).
// Keys without a budget are counted in this isolate's memory (LocalBudgets), as before.
// view(): spend as the object last said (every isolate's) plus what this isolate settled and has
// not had acknowledged yet, and this isolate's reservations in flight. Before this isolate's first
// op for the key was answered, the object's spend is not known here (view shows this isolate's
// only).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "gateway/budgets.h"
#include "ledger/ledger.h"

namespace sy::gateway {

class SharedBudgets final : public Budgets {
 public:
  SharedBudgets(const config::Config& config, ledger::Ledger& ledger);
  Verdict reserve(int key, double usd, double now, uint32_t owner = 0) override;
  void settle(int key, double reserved, double actual, double now) override;
  BudgetView view(int key) const override;
  // GET /v1/key asks the object (a get op) for the spend of every isolate, once per request.
  bool view_ready(int key, double now, uint32_t owner) override;

  // The ledger's decisions since the last event (Ledger::take_decisions), for requests that were
  // told `pending`; the keys they concern are then ready().
  void deliver(const std::vector<ledger::Decision>& decisions, double now);
  bool shares_rpm(int key) const override;
  Verdict count_call(int key, double now, uint32_t owner) override;
  // A request told `pending` went away (the ledger forgets it too).
  void forget(uint32_t owner) override;
  // The ledger's spec of a key's budget pool, and of its rpm pool.
  ledger::Spec spec(int key) const;
  ledger::Spec rate_spec(int key) const;

 private:
  struct Held {
    uint32_t owner;
    ledger::Ticket ticket;
  };

  Verdict counted(int key, const ledger::Decision& d, uint32_t owner, double now);

  const config::Config& config_;
  ledger::Ledger& ledger_;
  LocalBudgets local_;                              // keys without a budget
  std::map<uint32_t, int> waiting_;                 // owner → key, told pending, no decision yet
  std::map<uint32_t, std::pair<int, ledger::Decision>> decided_;  // owner → key, decision: until it asks again
  std::map<int, std::multimap<double, Held>> held_;  // key → tickets by amount, until settled
  std::map<uint32_t, int> viewing_;                  // owner → key, a get op in flight for it
  std::set<uint32_t> viewed_;                        // owners whose get op was answered
  std::map<uint32_t, int> rate_waiting_;            // owner → key, told pending for its rpm
  std::map<uint32_t, Verdict> rate_decided_;         // owner → its rpm verdict, until it asks again
  std::map<int, double> seen_;                       // key → the consumption a get op last showed
};

}  // namespace sy::gateway
