#include "balance/balancer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sy::balance {

namespace {

using config::Strategy;
using config::Target;
constexpr size_t kNone = std::numeric_limits<size_t>::max();

using Children = std::vector<Candidate>;

// The available child with the lowest score; ties go to the first one at or
// after the rotation point, so equal children share the load.
template <class Score>
size_t lowest(const Children& c, GroupState& state, Score score) {
  size_t n = c.size(), best = kNone;
  double best_score = 0;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (state.turn + k) % n;
    if (!c[i].available) continue;
    double s = score(i);
    if (best == kNone || s < best_score) best = i, best_score = s;
  }
  ++state.turn;
  return best;
}

size_t fallback(const Target&, GroupState&, Rng&, const Children&) { return kNone; }

// Exact rotation among the available children.
size_t round_robin(const Target&, GroupState& state, Rng&, const Children& c) {
  size_t n = c.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (state.turn + k) % n;
    if (c[i].available) {
      state.turn = i + 1;
      return i;
    }
  }
  return kNone;
}

// Smooth weighted round robin (as in nginx) over the available children:
// each gains its weight, the richest is chosen and pays the total. A 3:1
// split is 3:1 in every window of 4 requests.
size_t weighted(const Target& group, GroupState& state, Rng&, const Children& c) {
  state.current.resize(c.size(), 0);
  double total = 0;
  size_t best = kNone;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i].available) continue;
    state.current[i] += group.targets[i].weight;
    total += group.targets[i].weight;
    if (best == kNone || state.current[i] > state.current[best]) best = i;
  }
  if (best != kNone) state.current[best] -= total;
  return best;
}

size_t pick_by_weight(const Children& c, Rng& rng, const std::vector<double>& weight) {
  double total = 0;
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].available) total += weight[i];
  if (total <= 0) return kNone;
  double pick = rng.uniform() * total;
  size_t last = kNone;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i].available) continue;
    last = i;
    if ((pick -= weight[i]) < 0) return i;
  }
  return last;
}

size_t random(const Target& group, GroupState&, Rng& rng, const Children& c) {
  std::vector<double> weight(c.size());
  for (size_t i = 0; i < c.size(); ++i) weight[i] = group.targets[i].weight;
  return pick_by_weight(c, rng, weight);
}

// Fewest requests in flight relative to weight.
size_t least_outstanding(const Target& group, GroupState& state, Rng&, const Children& c) {
  return lowest(c, state, [&](size_t i) { return c[i].outstanding / group.targets[i].weight; });
}

// Peak-EWMA: expected latency times the queue it would join. An unmeasured
// child is tried at once when idle, but while its first answers are pending it
// ranks last (as Finagle's PeakEwma does), so a slow newcomer is not flooded.
size_t latency(const Target&, GroupState& state, Rng&, const Children& c) {
  return lowest(c, state, [&](size_t i) {
    if (c[i].latency_ms == 0) return c[i].outstanding == 0 ? 0.0 : 1e9 + c[i].outstanding;
    return c[i].latency_ms * (c[i].outstanding + 1);
  });
}

// OpenRouter's price weighting: chance proportional to 1 / price^2 among the
// available children. Free children (price 0) take all traffic, in turn; an
// unknown price counts as the dearest known one.
size_t cost(const Target&, GroupState& state, Rng& rng, const Children& c) {
  double dearest = 0;
  bool any_free = false;
  for (const auto& x : c) {
    if (!x.available) continue;
    dearest = std::max(dearest, x.price);
    any_free = any_free || x.price == 0;
  }
  if (any_free) return lowest(c, state, [&](size_t i) { return c[i].price == 0 ? 0.0 : 1.0; });
  if (dearest <= 0) dearest = 1;
  std::vector<double> weight(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    double p = c[i].price < 0 ? dearest : c[i].price;
    weight[i] = 1 / (p * p);
  }
  return pick_by_weight(c, rng, weight);
}

// Most remaining rpm/tpm/concurrency headroom.
size_t usage(const Target&, GroupState& state, Rng&, const Children& c) {
  return lowest(c, state, [&](size_t i) { return -c[i].headroom; });
}

struct Row {
  Strategy strategy;
  size_t (*choose)(const Target&, GroupState&, Rng&, const Children&);
};

constexpr Row kStrategies[] = {
    {Strategy::fallback, fallback},
    {Strategy::round_robin, round_robin},
    {Strategy::weighted, weighted},
    {Strategy::random, random},
    {Strategy::least_outstanding, least_outstanding},
    {Strategy::latency, latency},
    {Strategy::cost, cost},
    {Strategy::usage, usage},
};

}  // namespace

bool supported(Strategy strategy) {
  return strategy == Strategy::conditional ||
         std::any_of(std::begin(kStrategies), std::end(kStrategies), [&](const Row& r) { return r.strategy == strategy; });
}

void order(const Target& group, GroupState& state, Rng& rng, const Children& children, std::vector<size_t>& out) {
  out.clear();
  out.reserve(children.size());  // one allocation, not one per doubling
  size_t chosen = kNone;
  for (const auto& row : kStrategies)
    if (row.strategy == group.strategy) chosen = row.choose(group, state, rng, children);
  if (chosen != kNone) out.push_back(chosen);
  for (size_t i = 0; i < children.size(); ++i)
    if (children[i].available && i != chosen) out.push_back(i);
  for (size_t i = 0; i < children.size(); ++i)
    if (!children[i].available) out.push_back(i);
}

}  // namespace sy::balance
