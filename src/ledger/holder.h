// The holder side of one pool (docs/host-interface.md, "Shared state"): this engine's lease on a
// pool of a shared object. Amounts are taken from the lease locally (no round trip); what was
// taken is settled locally and reported (`spent`, `returned`) with the next op; the lease is
// renewed while it is needed, returned when idle, and treated as gone at its expiry on the
// engine's clock, which is never later than the object's (the expiry counts from when the op was
// sent). One op at a time: the caller (ledger::Ledger) sends what op() builds and hands the
// answer to answered() or failed().
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "ledger/pool.h"

namespace sy::ledger {

// Which pool, and the config that is the truth for it.
struct Spec {
  std::string object, pool;
  double capacity = 0, window_ms = 0, ttl_ms = 30000;
  // Settles are reported at once (budget: settled spend is acknowledged by the object), or with
  // the holder's next op (rpm, tpm: a consumption per request would cost a round trip each).
  bool report_at_once = true;
  // Refills start at the chunk reserve() is given and double while demand keeps draining the
  // lease, capped at a quarter of what the object said is available (rpm, tpm).
  bool grow = false;
};

// What a take() reserved. `epoch` names the lease it came from (0: none, admitted without one);
// settling a ticket of a lease that is gone returns nothing to the object, only reports spend.
struct Ticket {
  double amount = 0;
  uint64_t epoch = 0;
  bool local = false;  // from a pool in the core's memory (ledger::Ledger without shared state)
};

class Holder {
 public:
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  Holder(Spec spec, std::string holder);
  const Spec& spec() const { return spec_; }
  void respec(const Spec& spec) { spec_ = spec; }

  // The part of the live lease nothing holds (0 once it expired at `now`).
  double free(double now);
  // Reserves `amount` from the lease when it is there.
  std::optional<Ticket> take(double amount, double now);
  // Admitted without a lease (fail open): its spend is still reported.
  Ticket force(double amount, double now);
  // The ticket's work ended having consumed `spent`: its amount goes back to the object and the
  // spend is recorded there, with the next op. Spend beyond the amount is taken from the free
  // lease too (returned with it) as far as the lease has it.
  void settle(const Ticket& ticket, double spent, double now);

  bool busy() const { return in_flight_; }
  // Builds the next op (carrying every unreported settle) and marks it in flight.
  Op op(double want, double min, double now);
  void answered(const Answer& answer, double now);
  // The op failed or timed out: its reports are kept and sent again (retried with backoff), and
  // the lease is not used until an answer says what the object holds.
  void failed(double now);
  // An op is due at `now` without anyone waiting: reports to send, a renewal of a lease still
  // needed, or the return of an idle one.
  bool due(double now);
  // When due() next becomes true on its own (+infinity: never).
  double next_deadline() const;

  double available() const { return available_; }  // the object's, at its last answer
  double consumed() const { return consumed_; }    // the object's (every holder's), at its last answer
  bool answered_once() const { return consumed_ >= 0; }
  double reserved() const { return reserved_; }
  double unreported() const { return unsent_spent_ + in_flight_spent_; }
  double expires_at() const { return expires_at_; }
  uint64_t epoch() const { return epoch_; }

 private:
  void expire(double now);
  double renew_at() const { return expires_at_ - spec_.ttl_ms / 3; }
  double idle_at() const { return last_use_ + spec_.ttl_ms / 2; }

  Spec spec_;
  std::string holder_;
  double lease_ = 0;       // the object's row for us, as of its last answer
  double expires_at_ = 0;  // local expiry (0: no lease)
  uint64_t epoch_ = 1;     // which lease tickets come from; moves on when a lease is gone
  double reserved_ = 0;    // tickets of this epoch not settled
  uint64_t tickets_ = 0;   // how many
  double unsent_spent_ = 0, unsent_returned_ = 0;
  bool in_flight_ = false;
  double in_flight_spent_ = 0, in_flight_returned_ = 0, sent_at_ = 0;
  uint64_t in_flight_epoch_ = 0;
  double last_use_ = 0;
  double retry_at_ = kInf, backoff_ = 0;
  bool returning_ = false;
  bool uncertain_ = false;  // an op failed: the lease is not used until the next answer  // the op in flight gives an idle lease back
  double available_ = 0;
  double consumed_ = -1;  // -1: no answer yet
};

}  // namespace sy::ledger
