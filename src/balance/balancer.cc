#include "balance/balancer.h"

#include <algorithm>
#include <numeric>

namespace sy::balance {

namespace {

using config::Strategy;
using config::Target;

void fallback(const Target&, GroupState&, Rng&, std::vector<size_t>&) {}

// Exact rotation: request k starts at child k mod n.
void round_robin(const Target& group, GroupState& state, Rng&, std::vector<size_t>& out) {
  std::rotate(out.begin(), out.begin() + long(state.turn++ % group.targets.size()), out.end());
}

// Smooth weighted round robin (nginx's): every child gains its weight, the
// richest is chosen and pays the total. A 3:1 split is 3:1 in every window
// of 4 requests.
void weighted(const Target& group, GroupState& state, Rng&, std::vector<size_t>& out) {
  size_t n = group.targets.size();
  state.current.resize(n, 0);
  double total = 0;
  size_t best = 0;
  for (size_t i = 0; i < n; ++i) {
    state.current[i] += group.targets[i].weight;
    total += group.targets[i].weight;
    if (state.current[i] > state.current[best]) best = i;
  }
  state.current[best] -= total;
  std::rotate(out.begin(), out.begin() + long(best), out.begin() + long(best) + 1);
}

// Weighted random choice first (seeded), the rest in their listed order.
void random(const Target& group, GroupState&, Rng& rng, std::vector<size_t>& out) {
  double total = 0;
  for (const auto& t : group.targets) total += t.weight;
  double pick = rng.uniform() * total;
  size_t chosen = 0;
  for (size_t i = 0; i < group.targets.size(); ++i) {
    pick -= group.targets[i].weight;
    if (pick < 0) {
      chosen = i;
      break;
    }
  }
  std::rotate(out.begin(), out.begin() + long(chosen), out.begin() + long(chosen) + 1);
}

struct Row {
  Strategy strategy;
  void (*order)(const Target&, GroupState&, Rng&, std::vector<size_t>&);
};

constexpr Row kStrategies[] = {
    {Strategy::fallback, fallback},
    {Strategy::round_robin, round_robin},
    {Strategy::weighted, weighted},
    {Strategy::random, random},
};

}  // namespace

bool supported(Strategy strategy) {
  return std::any_of(std::begin(kStrategies), std::end(kStrategies),
                     [&](const Row& r) { return r.strategy == strategy; });
}

void order(const Target& group, GroupState& state, Rng& rng, std::vector<size_t>& out) {
  out.resize(group.targets.size());
  std::iota(out.begin(), out.end(), size_t(0));
  for (const auto& row : kStrategies)
    if (row.strategy == group.strategy) row.order(group, state, rng, out);
}

}  // namespace sy::balance
