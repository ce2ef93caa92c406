// Routing (src/routing/router.cc): plans from model trees and provider/model names, request-level
// preferences, and OpenRouter's suffixes.
#include "routing/router.h"

#include <gtest/gtest.h>

namespace sy::routing {
namespace {

std::shared_ptr<const config::Config> load(std::string_view text) {
  std::vector<config::Problem> problems;
  auto c = config::load(text, "{}", problems);
  EXPECT_TRUE(c) << (problems.empty() ? "" : problems[0].message);
  return c;
}

const char* kConfig = R"({"providers": {
    "a": {"type": "openai-compatible", "base_url": "http://a.test", "prices": {"m": {"input": 3, "output": 3}}},
    "b": {"type": "openai-compatible", "base_url": "http://b.test", "prices": {"m": {"input": 1, "output": 1}}}},
  "models": {"x": {"targets": [{"provider": "a", "model": "m", "override_params": {"seed": 1}},
                               {"provider": "b", "model": "m"}]},
             "x:floor": {"targets": [{"provider": "b", "model": "m"}]}}})";

// Health as the exchange reports it: here, only the configured prices.
HealthOf priced(const config::Config& config) {
  return [&config](uint32_t target) {
    balance::Candidate c;
    const config::TargetKey& key = config.targets[target];
    const auto& prices = config.providers[size_t(key.provider)].prices;
    if (auto it = prices.find(key.model); it != prices.end()) {
      c.input_price = it->second.input_per_million;
      c.output_price = it->second.output_per_million;
      c.price = c.input_price + c.output_price;
    }
    return c;
  };
}

std::string providers_of(const config::Config& c, const std::vector<Leaf>& plan) {
  std::string out;
  for (const auto& l : plan) out += c.providers[size_t(l.provider)].name;
  return out;
}

TEST(Router, PlansModelsAndDirectNames) {
  auto config = load(kConfig);
  RoutingState state(*config);
  Rng rng(1);
  HealthOf health = [](uint32_t) { return balance::Candidate{}; };
  std::vector<Leaf> plan;
  ASSERT_TRUE(routing::plan(*config, state, rng, health, {}, "x", plan));
  EXPECT_EQ(providers_of(*config, plan), "ab");
  EXPECT_EQ(plan[0].overrides.size(), 1u);
  plan.clear();
  ASSERT_TRUE(routing::plan(*config, state, rng, health, {}, "b/other", plan));
  EXPECT_EQ(plan[0].target, kDirectTarget);
  EXPECT_EQ(plan[0].model, "other");
  EXPECT_FALSE(routing::plan(*config, state, rng, health, {}, "zz/m", plan));
  EXPECT_FALSE(routing::plan(*config, state, rng, health, {}, "nope", plan));
}

TEST(Router, ReachableListsEveryLeafWhateverTheConditions) {
  auto config = load(R"({"providers": {"a": {"type": "echo"}, "b": {"type": "echo"}},
    "models": {"c": {"strategy": "conditional", "targets": [
        {"name": "big", "provider": "a", "model": "m", "override_params": {"max_tokens": 9}},
        {"name": "small", "strategy": "round_robin", "targets": [{"provider": "b", "model": "m"}, {"provider": "a", "model": "n"}]}],
      "conditions": [{"when": {"prompt_tokens": {"$gt": 100}}, "then": "big"}], "default": "small"}}})");
  std::vector<Leaf> leaves;
  ASSERT_TRUE(reachable(*config, "c", leaves));
  EXPECT_EQ(providers_of(*config, leaves), "aba");
  EXPECT_EQ(leaves[0].overrides.size(), 1u);
  EXPECT_EQ(leaves[2].model, "n");
  leaves.clear();
  ASSERT_TRUE(reachable(*config, "b/other", leaves));
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].target, kDirectTarget);
  EXPECT_FALSE(reachable(*config, "zz/m", leaves));
  EXPECT_FALSE(reachable(*config, "nope", leaves));
}

TEST(Router, PreferencesParseAndApply) {
  auto config = load(kConfig);
  json::Document doc;
  std::string error, param, message;
  json::parse(R"({"order": ["b"], "sort": "price", "max_price": {"prompt": 2}})", doc, error);
  Preferences prefs;
  ASSERT_TRUE(parse_preferences(doc, prefs, param, message));
  EXPECT_EQ(prefs.order, std::vector<std::string>{"b"});
  EXPECT_EQ(prefs.sort, Preferences::Sort::price);
  EXPECT_EQ(prefs.max_prompt_price, 2);
  RoutingState state(*config);
  Rng rng(1);
  HealthOf health = priced(*config);
  std::vector<Leaf> plan;
  routing::plan(*config, state, rng, health, {}, "x", plan);
  apply(prefs, *config, health, plan);
  EXPECT_EQ(providers_of(*config, plan), "b");  // a is over the prompt price
  for (const char* bad : {R"({"order": "b"})", R"({"sort": "vibes"})", R"({"allow_fallbacks": 1})",
                          R"({"max_price": {"prompt": "x"}})", "[]"}) {
    Preferences p;
    json::parse(bad, doc, error);
    EXPECT_FALSE(parse_preferences(doc, p, param, message)) << bad;
    EXPECT_FALSE(param.empty());
  }
}

TEST(Router, SuffixesUnlessConfigured) {
  auto config = load(kConfig);
  Preferences prefs;
  EXPECT_EQ(strip_suffix(*config, "b/m:nitro", prefs), "b/m");
  EXPECT_EQ(prefs.sort, Preferences::Sort::throughput);
  Preferences none;
  EXPECT_EQ(strip_suffix(*config, "x:floor", none), "x:floor");  // a model of that name exists
  EXPECT_EQ(none.sort, Preferences::Sort::none);
}

}  // namespace
}  // namespace sy::routing
