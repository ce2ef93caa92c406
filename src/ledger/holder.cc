#include "ledger/holder.h"

#include <algorithm>
#include <utility>

namespace sy::ledger {

namespace {

// Amounts are money or counts as doubles: a sum of settled parts may miss the whole by rounding.
constexpr double kSlack = 1e-12;
constexpr double kFirstRetryMs = 1000, kLastRetryMs = 30000;

}  // namespace

Holder::Holder(Spec spec, std::string holder) : spec_(std::move(spec)), holder_(std::move(holder)) {}

void Holder::expire(double now) {
  if (expires_at_ == 0 || now < expires_at_) return;
  // The object takes the lease back at its expiry (never earlier than ours): tickets of it
  // report their spend only, and returns not yet sent are void.
  lease_ = 0;
  expires_at_ = 0;
  reserved_ = 0;
  tickets_ = 0;
  unsent_returned_ = 0;
  ++epoch_;
}

double Holder::free(double now) {
  expire(now);
  if (uncertain_) return 0;
  double pending = unsent_returned_ + (in_flight_ && in_flight_epoch_ == epoch_ ? in_flight_returned_ : 0);
  return std::max(0.0, lease_ - reserved_ - pending);
}

std::optional<Ticket> Holder::take(double amount, double now) {
  if (amount > free(now) * (1 + kSlack) + kSlack) return std::nullopt;
  reserved_ += amount;
  ++tickets_;
  last_use_ = now;
  return Ticket{amount, epoch_};
}

Ticket Holder::force(double amount, double now) {
  last_use_ = now;
  return Ticket{amount, 0};
}

void Holder::settle(const Ticket& ticket, double spent, double now) {
  expire(now);
  if (ticket.epoch == epoch_) {
    // Counted too, so rounding never leaves a lease looking busy with nothing reserved.
    if (tickets_ > 0) --tickets_;
    reserved_ = tickets_ == 0 ? 0 : std::max(0.0, reserved_ - ticket.amount);
    // Spend beyond the ticket comes out of the lease's free part first: a holder never keeps
    // admitting from a lease its excesses have used up.
    unsent_returned_ += ticket.amount;
    unsent_returned_ += std::min(std::max(0.0, spent - ticket.amount), free(now));
  }
  unsent_spent_ += spent;
  last_use_ = now;
}

Op Holder::op(double want, double min, double now) {
  expire(now);
  Op op;
  op.pool = spec_.pool;
  op.holder = holder_;
  op.capacity = spec_.capacity;
  op.window_ms = spec_.window_ms;
  op.ttl_ms = spec_.ttl_ms;
  op.want = want;
  op.min = min;
  returning_ = want == 0 && reserved_ == 0 && lease_ > 0 && now >= idle_at();
  if (returning_) unsent_returned_ = lease_;  // give the whole idle lease back
  op.spent = unsent_spent_;
  op.returned = unsent_returned_;
  in_flight_ = true;
  in_flight_spent_ = std::exchange(unsent_spent_, 0);
  in_flight_returned_ = std::exchange(unsent_returned_, 0);
  in_flight_epoch_ = epoch_;
  sent_at_ = now;
  return op;
}

void Holder::answered(const Answer& answer, double now) {
  // Past our expiry, the object may have applied the op after taking the old lease back: what
  // the answer holds is then a new lease, and tickets of the old one are on their own.
  expire(now);
  in_flight_ = false;
  uncertain_ = false;
  retry_at_ = kInf;
  backoff_ = 0;
  available_ = answer.available;
  consumed_ = answer.consumed;
  // The object's row after our op: it must still cover what our tickets hold and the returns not
  // sent yet. If it does not (the object lost the lease, or a retried return counted twice), that
  // lease is gone: its tickets report spend only.
  if (in_flight_epoch_ == epoch_ && answer.lease + kSlack < reserved_ + unsent_returned_) {
    reserved_ = 0;
    tickets_ = 0;
    unsent_returned_ = 0;
    ++epoch_;
  }
  lease_ = answer.lease;
  expires_at_ = lease_ > 0 ? sent_at_ + spec_.ttl_ms : 0;
  in_flight_spent_ = in_flight_returned_ = 0;
  returning_ = false;
  expire(now);
}

void Holder::failed(double now) {
  in_flight_ = false;
  returning_ = false;
  // The op may have been applied with only its answer lost. Its reports are sent again (spend
  // counted twice at worst: never lost), and nothing is taken from the lease until an answer
  // says what the object holds for us (a return applied twice shrinks it).
  unsent_spent_ += std::exchange(in_flight_spent_, 0);
  double returned = std::exchange(in_flight_returned_, 0);
  if (in_flight_epoch_ == epoch_) unsent_returned_ += returned;
  uncertain_ = true;
  // Nothing but a waiting request sends again before the backoff ends.
  backoff_ = backoff_ == 0 ? kFirstRetryMs : std::min(backoff_ * 2, kLastRetryMs);
  retry_at_ = now + backoff_;
}

bool Holder::due(double now) {
  if (in_flight_) return false;
  expire(now);
  if (retry_at_ != kInf && now < retry_at_) return false;
  bool reports = unsent_spent_ > 0 || unsent_returned_ > 0;
  if (reports && (spec_.report_at_once || lease_ <= 0)) return true;
  if (lease_ <= 0) return false;
  if (reserved_ == 0 && now >= idle_at()) return true;
  return now >= renew_at();
}

double Holder::next_deadline() const {
  if (in_flight_) return kInf;
  double at = kInf;
  bool reports = unsent_spent_ > 0 || unsent_returned_ > 0;
  if (reports && (spec_.report_at_once || lease_ <= 0)) {
    at = 0;  // due at once
  } else if (lease_ > 0) {
    at = reserved_ == 0 ? std::min(renew_at(), idle_at()) : renew_at();
  }
  return at == kInf ? kInf : std::max(at, retry_at_ == kInf ? at : retry_at_);
}

}  // namespace sy::ledger
