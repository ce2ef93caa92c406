// Rate and concurrency limits of one provider or target: rpm and tpm over a
// sliding 60-second window (exact: never more than the limit in any window),
// and a cap on requests in flight.
#pragma once

#include <cstdint>
#include <deque>

#include "config/config.h"

namespace sy::health {

class Limiter {
 public:
  static constexpr double kWindowMs = 60000;

  explicit Limiter(const config::Limits& limits = {}) : limits_(limits) {}

  bool limited() const { return limits_.any(); }

  // Whether a request that will use about `tokens` tokens may start now.
  bool admits(double now_ms, double tokens);

  // Records a start (call only after admits() said yes).
  void start(double now_ms, double tokens);

  // A request ended; `extra_tokens` (completion tokens learned from the
  // answer) are charged to the window at `now_ms`.
  void finish(double now_ms, double extra_tokens);

  // The earliest time at which a window-limited request could start, or now
  // when only concurrency holds it back (a finish will wake the queue).
  double next_free_at(double now_ms, double tokens);

  // Remaining share of the tightest of rpm/tpm in the current window, 0..1
  // (1 when unlimited).
  double headroom(double now_ms);

  int in_flight() const { return in_flight_; }

 private:
  struct Spend {
    double at;
    double tokens;
  };
  void expire(double now_ms);

  config::Limits limits_;
  std::deque<double> starts_;  // request start times in the window (rpm)
  std::deque<Spend> spent_;    // token charges in the window (tpm)
  double spent_tokens_ = 0;
  int in_flight_ = 0;
};

}  // namespace sy::health
