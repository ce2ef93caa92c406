// Provider and target limits shared by every instance of a gateway (exchange/limits.h over
// ledger::Ledger, docs/host-interface.md "Shared state"). A limited provider is the object
// `provider:<name>`, a limited target `target:<provider>/<model>`; each limit is one pool of it:
//   concurrency  window 0, 1 per request, taken at the start and returned at the end (reported
//                at once, so other instances can lease it again)
//   rpm          window 60000 ms, 1 per request, consumed at the start (reported with the
//                holder's next op, as key rpm is)
//   tpm          window 60000 ms, the prompt-token estimate taken at the start (capped at the
//                tpm), the real count (prompt + completion, or the estimate when the answer did
//                not say) reported at the end
// A call takes the pools of its leaf one after another (provider first, then target;
// concurrency, rpm, tpm), each from this instance's lease or through a refill (pending until the
// object answers). Refused or unavailable: what it took of the others goes back at once, nothing
// is consumed. rpm is consumed only once every pool admitted the call.
// Failure of the object: as for key budgets, unavailable (503) or, with gateway.state_fail_open,
// admitted without a lease (its consumption is still reported).
// A concurrency slot is held through the lease it came from, renewed while the attempt runs; if
// renewals fail until that lease expires, the attempt is stopped (lost()) before the object can
// hand the slot to another instance.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exchange/limits.h"
#include "ledger/ledger.h"

namespace sy::engine {

class LedgerLimits final : public exchange::SharedLimits {
 public:
  enum class Kind { concurrency, rpm, tpm };
  struct Pool {
    ledger::Spec spec;
    Kind kind = Kind::concurrency;
  };

  explicit LedgerLimits(ledger::Ledger& ledger) : ledger_(ledger) {}

  Verdict acquire(uint32_t call, uint32_t task, const config::Config& config, int provider, uint32_t target,
                  double tokens, double now, std::string& object) override;
  void release(uint32_t call, double tokens, double now) override;
  void forget(uint32_t call, double now) override;

  // The ledger's decisions (Ledger::take_decisions) for calls told pending; true when `d` is one
  // of this class's (an object "provider:…" or "target:…"), which the budgets must not see.
  static bool concerns(const ledger::Decision& d);
  void deliver(const std::vector<ledger::Decision>& decisions, double now);

  // Calls whose attempt holds a concurrency slot of a lease that is gone at `now` are lost()
  // (exchange/limits.h); next_deadline(): the earliest expiry of such a lease (+infinity: none).
  void timer(double now);
  double next_deadline() const;

  // The pools of a leaf, in the order a call takes them (empty: nothing limited).
  static std::vector<Pool> pools(const config::Config& config, int provider, uint32_t target);
  // For tests: calls holding or waiting.
  size_t claims() const { return claims_.size(); }

 private:
  struct Held {
    Pool pool;
    ledger::Ticket ticket;
  };
  // One call's way through its leaf's pools.
  struct Claim {
    const config::Config* config = nullptr;
    int provider = -1;
    uint32_t target = 0;
    uint32_t task = 0;
    double tokens = 0;
    std::vector<Pool> pools;
    std::vector<Held> held;  // pools[0 .. held.size()) admitted it
    bool waiting = false;    // told pending for pools[held.size()]
    std::optional<ledger::Decision> decided;  // its decision, until the call asks again
    bool started = false;    // every pool admitted it: rpm consumed
  };

  // The started calls holding a slot of one concurrency pool's lease (its epoch), counted, so that
  // next_deadline() (after every event) and timer() (every timer of the engine) cost the pools in
  // use, not the calls in flight.
  struct Slots {
    ledger::Spec spec;
    uint64_t epoch = 0;
    size_t calls = 0;
  };

  double amount(const Claim& c, const Pool& p) const;
  // Gives back what the claim holds (nothing consumed) and forgets its waiting.
  void drop(uint32_t call, Claim& c, double now);
  Verdict take_all(uint32_t call, Claim& c, double now, std::string& object);
  // Counts a started claim's concurrency slots in slots_ (add), or takes them out.
  void count_slots(const Claim& c, bool add);

  ledger::Ledger& ledger_;
  std::map<uint32_t, Claim> claims_;
  std::vector<Slots> slots_;
};

}  // namespace sy::engine
