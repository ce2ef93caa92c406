#include "routing/router.h"

#include <algorithm>

namespace sy::routing {

namespace {

using balance::Candidate;

struct Expander {
  const config::Config& config;
  RoutingState& state;
  Rng& rng;
  const HealthOf& health;
  const condition::Facts& facts;
  std::vector<Leaf>& plan;

  // A group's summary for its parent's balancer: available if any child is;
  // the best latency, price, throughput and headroom among them; the sum in flight.
  Candidate summarize(const config::Target& node) {
    if (node.is_leaf()) return health(node.target);
    Candidate sum;
    sum.available = sum.healthy = false;
    sum.headroom = 0;
    for (const auto& child : node.targets) {
      Candidate c = summarize(child);
      sum.outstanding += c.outstanding;
      sum.healthy = sum.healthy || c.healthy;
      if (!c.available) continue;
      bool first = !sum.available;
      sum.available = true;
      sum.latency_ms = first ? c.latency_ms : std::min(sum.latency_ms, c.latency_ms);
      sum.throughput = std::max(sum.throughput, c.throughput);
      sum.price = first || sum.price < 0 ? c.price : (c.price < 0 ? sum.price : std::min(sum.price, c.price));
      sum.headroom = std::max(sum.headroom, c.headroom);
    }
    return sum;
  }

  void expand(const config::Target& node, std::vector<std::pair<std::string, std::string>> overrides) {
    overrides.insert(overrides.end(), node.override_params.begin(), node.override_params.end());
    if (node.is_leaf()) {
      plan.push_back({node.provider, node.model, node.target, std::move(overrides)});
      return;
    }
    if (node.strategy == config::Strategy::conditional) {
      size_t child = node.default_child;
      for (const auto& [when, then] : node.conditions)
        if (condition::matches(when, facts)) {
          child = then;
          break;
        }
      expand(node.targets[child], std::move(overrides));
      return;
    }
    std::vector<Candidate> children;
    children.reserve(node.targets.size());
    for (const auto& child : node.targets) children.push_back(summarize(child));
    std::vector<size_t> order;
    balance::order(node, state.groups[node.id], rng, children, order);
    for (size_t i : order) expand(node.targets[i], overrides);
  }
};

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

bool plan(const config::Config& config, RoutingState& state, Rng& rng, const HealthOf& health, const condition::Facts& facts,
          std::string_view model, std::vector<Leaf>& plan) {
  if (const config::Model* m = config.find_model(model)) {
    Expander{config, state, rng, health, facts, plan}.expand(m->root, {});
    return true;
  }
  size_t slash = model.find('/');
  if (slash == std::string_view::npos || slash + 1 == model.size()) return false;
  int provider = config.find_provider(model.substr(0, slash));
  if (provider < 0) return false;
  std::string_view name = model.substr(slash + 1);
  int known = config.find_target(provider, name);
  plan.push_back({provider, name, known < 0 ? kDirectTarget : uint32_t(known), {}});
  return true;
}

namespace {

void every_leaf(const config::Target& node, std::vector<std::pair<std::string, std::string>> overrides,
                std::vector<Leaf>& leaves) {
  overrides.insert(overrides.end(), node.override_params.begin(), node.override_params.end());
  if (node.is_leaf()) return leaves.push_back({node.provider, node.model, node.target, std::move(overrides)});
  for (const auto& child : node.targets) every_leaf(child, overrides, leaves);
}

// Orders `leaves` by `keys` (one per leaf), equal keys keeping their order: std::stable_sort's
// result. An insertion sort, as a plan holds few leaves: one small function in the wasm where a
// std::stable_sort per comparator was 2.6 KB each (bench/README.md, download size).
void stable_sort_by(std::vector<Leaf>& leaves, std::vector<double> keys) {
  for (size_t i = 1; i < leaves.size(); ++i)
    for (size_t j = i; j > 0 && keys[j] < keys[j - 1]; --j) {
      std::swap(keys[j], keys[j - 1]);
      std::swap(leaves[j], leaves[j - 1]);
    }
}

// The key of each leaf.
template <typename Key>
std::vector<double> keys_of(const std::vector<Leaf>& leaves, const Key& key) {
  std::vector<double> keys;
  keys.reserve(leaves.size());
  for (const Leaf& leaf : leaves) keys.push_back(double(key(leaf)));
  return keys;
}

}  // namespace

bool reachable(const config::Config& config, std::string_view model, std::vector<Leaf>& leaves) {
  if (const config::Model* m = config.find_model(model)) {
    every_leaf(m->root, {}, leaves);
    return true;
  }
  size_t slash = model.find('/');
  if (slash == std::string_view::npos || slash + 1 == model.size()) return false;
  int provider = config.find_provider(model.substr(0, slash));
  if (provider < 0) return false;
  int known = config.find_target(provider, model.substr(slash + 1));
  leaves.push_back({provider, model.substr(slash + 1), known < 0 ? kDirectTarget : uint32_t(known), {}});
  return true;
}

void apply(const Preferences& prefs, const config::Config& config, const HealthOf& health, std::vector<Leaf>& plan) {
  auto provider_name = [&](const Leaf& l) -> const std::string& { return config.providers[size_t(l.provider)].name; };
  std::vector<Leaf> kept;
  for (auto& leaf : plan) {
    const std::string& name = provider_name(leaf);
    if (!prefs.only.empty() && !listed(prefs.only, name)) continue;
    if (listed(prefs.ignore, name)) continue;
    balance::Candidate c = health(leaf.target);
    double in = c.input_price, out = c.output_price;
    if (prefs.max_prompt_price >= 0 && in > prefs.max_prompt_price) continue;
    if (prefs.max_completion_price >= 0 && out > prefs.max_completion_price) continue;
    if (std::any_of(kept.begin(), kept.end(), [&](const Leaf& k) {
          return k.provider == leaf.provider && k.model == leaf.model;
        }))
      continue;
    kept.push_back(std::move(leaf));
  }
  auto rank = [&](const Leaf& l) -> double {
    switch (prefs.sort) {
      case Preferences::Sort::price: {
        balance::Candidate c = health(l.target);
        double in = c.input_price, out = c.output_price;
        return in < 0 || out < 0 ? 1e300 : in + out;
      }
      case Preferences::Sort::latency: {
        double ms = health(l.target).latency_ms;
        return ms > 0 ? ms : 1e300;
      }
      case Preferences::Sort::throughput: {
        double tps = health(l.target).throughput;
        return tps > 0 ? -tps : 1e300;
      }
      default: return 0;
    }
  };
  if (prefs.sort != Preferences::Sort::none)
    stable_sort_by(kept, keys_of(kept, rank));
  if (!prefs.order.empty()) {
    auto position = [&](const Leaf& l) {
      auto it = std::find(prefs.order.begin(), prefs.order.end(), provider_name(l));
      return size_t(it - prefs.order.begin());
    };
    stable_sort_by(kept, keys_of(kept, position));
  }
  if (!prefs.allow_fallbacks) {
    if (!prefs.order.empty())
      kept.erase(std::remove_if(kept.begin(), kept.end(), [&](const Leaf& l) { return !listed(prefs.order, provider_name(l)); }),
                 kept.end());
    else if (kept.size() > 1)
      kept.resize(1);
  }
  plan = std::move(kept);
}

namespace {

bool string_list(const json::Value& v, std::vector<std::string>& out) {
  if (!v.IsArray()) return false;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) return false;
    out.emplace_back(json::view(e));
  }
  return true;
}

}  // namespace

bool parse_preferences(const json::Value& provider, Preferences& prefs, std::string& param, std::string& message) {
  auto bad = [&](std::string p, std::string m) {
    param = std::move(p);
    message = std::move(m);
    return false;
  };
  if (!provider.IsObject()) return bad("provider", "\"provider\" must be an object");
  for (auto [name, list] : {std::pair{"order", &prefs.order}, std::pair{"only", &prefs.only},
                            std::pair{"ignore", &prefs.ignore}}) {
    const json::Value* v = json::find(provider, name);
    if (v && !string_list(*v, *list))
      return bad(std::string("provider.") + name, std::string("provider.") + name + " must be an array of provider names");
  }
  if (const json::Value* v = json::find(provider, "allow_fallbacks")) {
    if (!v->IsBool()) return bad("provider.allow_fallbacks", "provider.allow_fallbacks must be true or false");
    prefs.allow_fallbacks = v->GetBool();
  }
  if (const json::Value* v = json::find(provider, "sort")) {
    std::string_view s = json::view(*v);
    if (s == "price") prefs.sort = Preferences::Sort::price;
    else if (s == "latency") prefs.sort = Preferences::Sort::latency;
    else if (s == "throughput") prefs.sort = Preferences::Sort::throughput;
    else return bad("provider.sort", "provider.sort must be one of price, latency, throughput");
  }
  if (const json::Value* v = json::find(provider, "max_price")) {
    const json::Value* p = json::find(*v, "prompt");
    const json::Value* o = json::find(*v, "completion");
    if (!v->IsObject() || (p && !p->IsNumber()) || (o && !o->IsNumber()))
      return bad("provider.max_price", "provider.max_price must be {prompt, completion} in USD per million tokens");
    if (p) prefs.max_prompt_price = p->GetDouble();
    if (o) prefs.max_completion_price = o->GetDouble();
  }
  return true;
}

std::string_view strip_suffix(const config::Config& config, std::string_view model, Preferences& prefs) {
  for (auto [suffix, sort] : {std::pair{std::string_view(":floor"), Preferences::Sort::price},
                              std::pair{std::string_view(":nitro"), Preferences::Sort::throughput}}) {
    if (model.size() > suffix.size() && model.substr(model.size() - suffix.size()) == suffix &&
        !config.find_model(model)) {
      model.remove_suffix(suffix.size());
      prefs.sort = sort;
    }
  }
  return model;
}

}  // namespace sy::routing
