// One pool of a shared object (docs/host-interface.md, "Shared state"): a capacity, what was
// consumed (a running total, or entries that expire after a window) and the leases its holders
// hold. The same semantics as the host's shared objects (worker/src/state_object.js), applied in
// the core's memory when the host has none, and by tests as the object on the other side.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

namespace sy::ledger {

// One operation (the STATE body, src/ledger/op.h encodes it). `capacity`, `window_ms` and
// `ttl_ms` come with every op: the config is the truth, the pool keeps none.
struct Op {
  enum class Kind { lease, get };
  Kind kind = Kind::lease;
  std::string pool, holder;
  double capacity = 0, window_ms = 0, ttl_ms = 0;
  double want = 0, min = 0, spent = 0, returned = 0;
};

// A lease op's answer (granted, lease, available, consumed, capacity; frees_in_ms for a pool with
// a window), or a get's (consumed, leased, capacity).
struct Answer {
  double granted = 0, lease = 0, available = 0, consumed = 0, leased = 0, capacity = 0;
  // A windowed pool: ms from the op until something the pool holds is let go as things stand (its
  // oldest consumption leaves the window, or a live lease expires unless its holder renews it
  // first); 0 when it holds nothing.
  // -1: not known (window 0, or an object that does not say).
  double frees_in_ms = -1;
};

class Pool {
 public:
  // A lease op, atomically at `now`: expire; the holder's lease shrinks by `returned` and `spent`
  // is recorded as consumed; then a grant of min(want, available) if available >= min (else 0),
  // and the holder's lease expires ttl_ms after now (dropped when it holds nothing).
  Answer lease(const Op& op, double now);
  // What is consumed (in the window) and leased, after expiring at `now`.
  Answer get(const Op& op, double now);

  // For tests: the holder's lease and its expiry (0, 0 when it holds none).
  std::pair<double, double> lease_of(const std::string& holder) const;

 private:
  struct Row {
    double amount = 0, expires_at = 0;
  };
  void expire(double now, double window_ms);
  double consumed() const;
  double leased() const;
  double frees_in(double now, double window_ms) const;

  double total_ = 0;                               // consumption with window 0: it stays
  std::deque<std::pair<double, double>> entries_;  // (at, amount), consumption within a window
  std::map<std::string, Row> leases_;
};

}  // namespace sy::ledger
