// Balancing: the order in which one request tries the children of a group.
// Strategies are rows of one table (balancer.cc); each gets the group, its
// per-group state and the engine's seeded randomness.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/config.h"
#include "engine/rng.h"

namespace sy::balance {

struct GroupState {
  uint64_t turn = 0;                  // round_robin position
  std::vector<double> current;        // weighted: smooth weighted round robin credit
};

// Writes the indices of `group.targets` in the order this request should try
// them (the first is the balancer's choice; the rest are its fallbacks).
void order(const config::Target& group, GroupState& state, Rng& rng, std::vector<size_t>& out);

// Whether a strategy is implemented (config refuses the others).
bool supported(config::Strategy strategy);

}  // namespace sy::balance
