// Routing: from the model a request names to the ordered list of leaf
// targets it may try.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "balance/balancer.h"
#include "config/config.h"

namespace sy::routing {

struct Leaf {
  int provider = -1;
  std::string_view model;
  uint32_t id = 0;  // per-target state index: tree node id, or node_count + provider for direct targets
  std::vector<std::pair<std::string, std::string>> overrides;  // parent first; later entries win
};

// Balancer state for every group node of one config.
struct RoutingState {
  explicit RoutingState(const config::Config& config) : groups(config.node_count) {}
  std::vector<balance::GroupState> groups;
};

// Fills `plan` with the leaves to try, in order, for `model`: a configured
// model's tree (each group ordered by its strategy, depth first), or the one
// target "provider/model" names. Returns false when the model is unknown.
bool plan(const config::Config& config, RoutingState& state, Rng& rng, std::string_view model,
          std::vector<Leaf>& plan);

}  // namespace sy::routing
