// A circuit breaker per target: closed -> open after `failures` consecutive
// failures -> half-open (one probe) once `cooldown_ms` passed -> closed on
// the probe's success, open again on its failure. Time comes from callers.
#pragma once

namespace sy::health {

class Breaker {
 public:
  enum class State { closed, open, half_open };

  // Whether a new attempt may start now. In half-open only one probe runs at
  // a time; this does not reserve it (call on_start when the attempt starts).
  bool allows(double now_ms, double cooldown_ms) const {
    if (state_ == State::closed) return true;
    if (state_ == State::open) return now_ms >= opened_at_ + cooldown_ms;
    return !probing_;
  }

  void on_start(double now_ms, double cooldown_ms) {
    if (state_ == State::open && now_ms >= opened_at_ + cooldown_ms) state_ = State::half_open;
    if (state_ == State::half_open) probing_ = true;
  }

  void on_success() {
    state_ = State::closed;
    failures_ = 0;
    probing_ = false;
  }

  void on_failure(double now_ms, int threshold) {
    probing_ = false;
    if (state_ == State::half_open || ++failures_ >= threshold) {
      state_ = State::open;
      opened_at_ = now_ms;
      failures_ = 0;
    }
  }

  // An attempt ended without saying anything about the target's health
  // (cancelled, or the caller's own error): a probe slot is given back.
  void on_neutral() { probing_ = false; }

  // The state as an observer sees it at `now_ms` (open turns half-open when
  // its cooldown has passed).
  State state(double now_ms, double cooldown_ms) const {
    if (state_ == State::open && now_ms >= opened_at_ + cooldown_ms) return State::half_open;
    return state_;
  }

  // When an open breaker lets a probe through.
  double reopens_at(double cooldown_ms) const { return opened_at_ + cooldown_ms; }

 private:
  State state_ = State::closed;
  int failures_ = 0;
  double opened_at_ = 0;
  bool probing_ = false;
};

const char* breaker_state_name(Breaker::State state);

}  // namespace sy::health
