// The engine's shared-state side (docs/host-interface.md, "Shared state"): pools reserved from and
// settled to by name. Without shared state every pool lives in the core's memory (ledger::Objects)
// and every answer is immediate. With it (the host called enable_shared_state), each pool is a
// ledger::Holder: requests reserve from the local lease without a round trip; when it lacks an
// amount, a STATE action asks the object for more and the request waits (its decision comes out
// of take_decisions() after the host's state_result). Settles are reported right after they
// happen; renewals, idle returns and retries run on the engine's one timer.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "exchange/actions.h"
#include "ledger/holder.h"
#include "ledger/objects.h"

namespace sy::ledger {

enum class Verdict {
  admitted,     // the ticket holds the amount
  refused,      // the pool lacks it: `remaining` is what this engine could still get
  unavailable,  // the shared object did not answer (fail closed)
  pending,      // a decision for this owner comes later from take_decisions()
};

struct Decision {
  uint32_t owner = 0;
  std::string object;  // the shared object whose pool decided (empty for an in-memory answer)
  Verdict verdict = Verdict::pending;
  Ticket ticket;
  double remaining = 0;
  double retry_after_ms = -1;  // refused: when the pool frees something next (-1: not known)
  bool is_view = false;  // an answer to view(): `view` holds consumed, leased, capacity
  Answer view;
};

class Ledger {
 public:
  // A lease in the core's memory lasts as long as its ticket: no expiry, no timer.
  static constexpr double kLocalTtlMs = 1e15;

  Ledger(Rng& rng, exchange::ActionBatch& batch) : rng_(rng), batch_(batch) {}

  // The host performs STATE actions from now on (the holder id is drawn from the engine's Rng).
  void enable_shared(bool on);
  bool shared() const { return shared_; }
  const std::string& holder() const { return holder_; }

  // Reserves `amount` of pool `spec` for request `owner`. A refill asks for at least `chunk` (with
  // Spec::grow: the first refill; each later one doubles it).
  // `fail_open`: when the object does not answer, admit (from the lease, or without one).
  // `task`: the host request a STATE op made for this reservation is performed from (0: `owner`).
  Decision reserve(const Spec& spec, double amount, double chunk, uint32_t owner, bool fail_open, double now,
                   uint32_t task = 0);
  // The ticket's work ended having consumed `spent` (reported at once when nothing is in flight).
  void settle(const Spec& spec, const Ticket& ticket, double spent, uint32_t owner, double now);
  // The pool's consumed, leased and capacity: at once in memory, else pending (a get op).
  Decision view(const Spec& spec, uint32_t owner, double now);
  // A waiting request went away: it takes no decision any more.
  void forget(uint32_t owner);
  // Whether `ticket` still comes from a live lease of `spec`'s pool at `now` (true for tickets of
  // no lease: in memory, or admitted fail-open), and when that lease expires unless renewed.
  bool holds(const Spec& spec, const Ticket& ticket, double now);
  double expiry(const Spec& spec, const Ticket& ticket);

  // The host's answer to STATE `op_id` (empty: failed). False when the op is not this ledger's.
  bool result(uint32_t op_id, std::string_view data, double now);
  void timer(double now);
  double next_deadline() const;
  // Decisions reached since the last call, for requests that were told `pending`.
  std::vector<Decision> take_decisions();

  // The holder of `spec`'s pool (nullptr: never used). find() is for changing it (and marks it
  // for next_deadline()); peek() only reads it.
  Holder* find(const Spec& spec);
  const Holder* peek(const Spec& spec) const;
  // For tests.
  Objects& memory() { return memory_; }
  size_t ops_in_flight() const { return ops_.size(); }

 private:
  struct Waiter {
    uint32_t owner;
    double amount;
    bool fail_open;
    uint32_t task;  // the host request its STATE op is performed from
  };
  struct Entry {
    Holder holder;
    std::deque<Waiter> waiters;
    double chunk = 0;               // what a refill asks for at least (grows with Spec::grow)
    double indexed = Holder::kInf;  // its holder's deadline as deadlines_ has it
    bool touched = false;           // in touched_: its holder may have changed since
  };
  struct Pending {
    std::string key;  // the holder's entry; empty for a get
    uint32_t owner;
    bool refill = false;  // sent for waiting requests
  };

  Entry& entry(const Spec& spec);
  // Every way to an entry's holder marks it, so that next_deadline() reads only those again.
  Entry& touch(Entry& e);
  Decision reserve_in_memory(const Spec& spec, double amount, uint32_t owner, double now);
  void send(Entry& entry, const std::string& key, double want, double min, uint32_t owner, double now);
  void pump(Entry& entry, const std::string& key, uint32_t owner, double now);
  void serve(Entry& entry, bool failed, double frees_in_ms, double now);
  uint32_t next_op_id();

  Rng& rng_;
  exchange::ActionBatch& batch_;
  bool shared_ = false;
  std::string holder_;
  Objects memory_;
  std::map<std::string, Entry> entries_;
  // The holders' deadlines, earliest first, as of their entries' last touch (next_deadline()
  // runs after every event: it costs the entries touched since, not every pool ever used).
  mutable std::vector<Entry*> touched_;
  mutable std::set<std::pair<double, const Entry*>> deadlines_;
  std::map<uint32_t, Pending> ops_;
  uint32_t last_op_id_ = 0;
  std::vector<Decision> decisions_;
};

}  // namespace sy::ledger
