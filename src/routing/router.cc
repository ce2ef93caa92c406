#include "routing/router.h"

namespace sy::routing {

namespace {

void expand(const config::Target& node, RoutingState& state, Rng& rng,
            std::vector<std::pair<std::string, std::string>> overrides, std::vector<Leaf>& plan) {
  overrides.insert(overrides.end(), node.override_params.begin(), node.override_params.end());
  if (node.is_leaf()) {
    plan.push_back({node.provider, node.model, node.id, std::move(overrides)});
    return;
  }
  std::vector<size_t> order;
  balance::order(node, state.groups[node.id], rng, order);
  for (size_t i : order) expand(node.targets[i], state, rng, overrides, plan);
}

}  // namespace

bool plan(const config::Config& config, RoutingState& state, Rng& rng, std::string_view model,
          std::vector<Leaf>& plan) {
  plan.clear();
  if (const config::Model* m = config.find_model(model)) {
    expand(m->root, state, rng, {}, plan);
    return true;
  }
  size_t slash = model.find('/');
  if (slash == std::string_view::npos || slash + 1 == model.size()) return false;
  int provider = config.find_provider(model.substr(0, slash));
  if (provider < 0) return false;
  plan.push_back({provider, model.substr(slash + 1), config.node_count + uint32_t(provider), {}});
  return true;
}

}  // namespace sy::routing
