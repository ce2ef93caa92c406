// A Prometheus histogram with fixed bucket bounds, in seconds: per bucket a count, and the sum
// and count of every observation. Fixed memory, and the same bounds in every instance, so the
// buckets of many gateways add up (unlike quantiles).
//
// The bounds (upper, inclusive), in seconds, for every histogram Switchyard exports:
//   0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120 300, then +Inf.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sy::stats {

class Buckets {
 public:
  static constexpr std::array<double, 17> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                  1,     2.5,    5,     10,   30,    60,   120, 300};
  static constexpr size_t kCount = kBounds.size() + 1;  // the last one is +Inf

  // One observation, in milliseconds (the core's clock); negative values count as 0.
  void observe_ms(double ms);
  // Observations at or below bucket `i`'s bound (i == kBounds.size(): all of them).
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_; }

 private:
  std::array<uint64_t, kCount> counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace sy::stats
