// Balancing: the order in which one request tries the children of a group.
// Strategies are rows of one table (balancer.cc). Each sees, per child, a
// Candidate summary of its health right now; unavailable children (breaker
// open, or over a limit) are never chosen and never advance a rotation: they
// go last, in listed order, after the available ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/config.h"
#include "base/rng.h"

namespace sy::balance {

struct Candidate {
  bool available = true;    // healthy and within its limits now
  bool healthy = true;      // breaker not open (a limited target is healthy but unavailable)
  int outstanding = 0;      // requests in flight below this child
  double latency_ms = 0;    // peak-EWMA of observed latency; 0 = not measured yet
  double throughput = 0;    // completion tokens per second (EWMA); 0 = unknown
  double price = -1;        // USD per million tokens, input + output; < 0 = unknown
  double input_price = -1;  // USD per million input tokens; < 0 = unknown
  double output_price = -1; // USD per million output tokens; < 0 = unknown
  double headroom = 1;      // 0..1: the remaining share of its tightest limit
};

struct GroupState {
  uint64_t turn = 0;            // rotation position (round_robin, tie-breaks)
  std::vector<double> current;  // weighted: smooth weighted round robin credit
};

// Writes the indices of `group.targets` in the order this request should try
// them: the strategy's choice first, then the other available children, then
// the unavailable ones.
void order(const config::Target& group, GroupState& state, Rng& rng, const std::vector<Candidate>& children,
           std::vector<size_t>& out);

// Whether the balancer implements a strategy (conditional is the router's).
bool supported(config::Strategy strategy);

}  // namespace sy::balance
