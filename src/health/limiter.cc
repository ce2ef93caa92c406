#include "health/limiter.h"

#include <algorithm>

namespace sy::health {

void Limiter::expire(double now_ms) {
  double cutoff = now_ms - kWindowMs;
  while (!starts_.empty() && starts_.front() <= cutoff) starts_.pop_front();
  while (!spent_.empty() && spent_.front().at <= cutoff) {
    spent_tokens_ -= spent_.front().tokens;
    spent_.pop_front();
  }
  if (spent_.empty()) spent_tokens_ = 0;  // no drift from float sums
}

bool Limiter::admits(double now_ms, double tokens) {
  expire(now_ms);
  if (limits_.concurrency > 0 && in_flight_ >= limits_.concurrency) return false;
  if (limits_.rpm > 0 && double(starts_.size()) + 1 > limits_.rpm) return false;
  // A request larger than the whole tpm budget may still start once the window is empty.
  if (limits_.tpm > 0 && spent_tokens_ > 0 && spent_tokens_ + tokens > limits_.tpm) return false;
  return true;
}

void Limiter::start(double now_ms, double tokens) {
  ++in_flight_;
  if (limits_.rpm > 0) starts_.push_back(now_ms);
  if (limits_.tpm > 0 && tokens > 0) {
    spent_.push_back({now_ms, tokens});
    spent_tokens_ += tokens;
  }
}

void Limiter::finish(double now_ms, double extra_tokens) {
  if (in_flight_ > 0) --in_flight_;
  if (limits_.tpm > 0 && extra_tokens > 0) {
    spent_.push_back({now_ms, extra_tokens});
    spent_tokens_ += extra_tokens;
  }
}

double Limiter::next_free_at(double now_ms, double tokens) {
  expire(now_ms);
  double at = now_ms;
  if (limits_.rpm > 0 && double(starts_.size()) + 1 > limits_.rpm) {
    // The start that must leave the window before one more fits.
    size_t must_leave = starts_.size() + 1 - size_t(limits_.rpm);
    at = std::max(at, starts_[must_leave - 1] + kWindowMs);
  }
  if (limits_.tpm > 0 && spent_tokens_ > 0 && spent_tokens_ + tokens > limits_.tpm) {
    double left = spent_tokens_;
    for (const auto& e : spent_) {
      left -= e.tokens;
      if (left <= 0 || left + tokens <= limits_.tpm) {
        at = std::max(at, e.at + kWindowMs);
        break;
      }
    }
  }
  return at;
}

double Limiter::headroom(double now_ms) {
  expire(now_ms);
  double h = 1;
  if (limits_.rpm > 0) h = std::min(h, 1 - double(starts_.size()) / limits_.rpm);
  if (limits_.tpm > 0) h = std::min(h, 1 - spent_tokens_ / limits_.tpm);
  if (limits_.concurrency > 0) h = std::min(h, 1 - double(in_flight_) / limits_.concurrency);
  return std::max(0.0, h);
}

}  // namespace sy::health
