#include "stats/buckets.h"

#include <algorithm>

namespace sy::stats {

void Buckets::observe_ms(double ms) {
  double seconds = ms > 0 ? ms / 1000 : 0;
  size_t i = size_t(std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin());
  ++counts_[i];
  ++count_;
  sum_ += seconds;
}

uint64_t Buckets::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b < kCount; ++b) total += counts_[b];
  return total;
}

}  // namespace sy::stats
