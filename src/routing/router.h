// Routing: from the model(s) a request names to the ordered list of leaf
// targets it may try, given each target's health right now.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "balance/balancer.h"
#include "config/config.h"
#include "condition/condition.h"

namespace sy::routing {

// Leaf::target for a "provider/model" the config does not list; the engine
// gives such targets ids of their own before preferences are applied.
inline constexpr uint32_t kDirectTarget = 0xffffffffu;

struct Leaf {
  int provider = -1;
  std::string_view model;
  uint32_t target = kDirectTarget;
  std::vector<std::pair<std::string, std::string>> overrides;  // parent first; later entries win
};

// Balancer state for every group node of one config.
struct RoutingState {
  explicit RoutingState(const config::Config& config) : groups(config.node_count) {}
  std::vector<balance::GroupState> groups;
};

// The health of a target (by id) at this instant.
using HealthOf = std::function<balance::Candidate(uint32_t target)>;

// Appends to `plan` the leaves to try, in order, for `model`: a configured
// model's tree (conditional groups pick a child from `facts`, other groups
// order their children by strategy, depth first) or the one target
// "provider/model" names. Returns false when the model is unknown.
bool plan(const config::Config& config, RoutingState& state, Rng& rng, const HealthOf& health, const condition::Facts& facts,
          std::string_view model, std::vector<Leaf>& plan);

// Every leaf `model` may reach, whatever its conditions, the targets' health or the balancers
// pick: a configured model's whole tree (overrides as plan() gives them), or the one target
// "provider/model" names. Returns false when the model is unknown. (Budget reservations price the
// worst of them.)
bool reachable(const config::Config& config, std::string_view model, std::vector<Leaf>& leaves);

// OpenRouter's request-level provider preferences.
struct Preferences {
  std::vector<std::string> order, only, ignore;
  bool allow_fallbacks = true;
  enum class Sort { none, price, latency, throughput } sort = Sort::none;
  double max_prompt_price = -1;  // USD per million tokens; < 0 = no cap
  double max_completion_price = -1;

  bool any() const {
    return !order.empty() || !only.empty() || !ignore.empty() || !allow_fallbacks || sort != Sort::none ||
           max_prompt_price >= 0 || max_completion_price >= 0;
  }
};

// Filters and reorders a plan: only/ignore/max_price drop leaves; order puts
// the named providers first in that order; sort orders by price (unknown
// last), latency or throughput (unmeasured last); allow_fallbacks = false
// keeps only the providers in `order` (or only the first leaf without one).
// Duplicate leaves (same target) are dropped, keeping the first.
void apply(const Preferences& prefs, const config::Config& config, const HealthOf& health, std::vector<Leaf>& plan);

// Reads OpenRouter's `provider` object ({order, only, ignore, allow_fallbacks, sort, max_price})
// into `prefs`. On a bad member returns false with `param` ("provider.sort") and `message`.
bool parse_preferences(const json::Value& provider, Preferences& prefs, std::string& param, std::string& message);

// OpenRouter's model suffixes: "m:floor" sorts by price and "m:nitro" by throughput, unless a
// model is configured with that exact name. Returns the model without its suffix.
std::string_view strip_suffix(const config::Config& config, std::string_view model, Preferences& prefs);

}  // namespace sy::routing
