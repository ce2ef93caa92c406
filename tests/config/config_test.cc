#include "config/config.h"

#include <gtest/gtest.h>

namespace sy::config {
namespace {

std::shared_ptr<const Config> load_ok(std::string_view text, std::string_view env = "") {
  std::vector<Problem> problems;
  auto config = load(text, env, problems);
  for (const auto& p : problems) ADD_FAILURE() << p.path << ": " << p.message;
  return config;
}

std::vector<Problem> problems_of(std::string_view text, std::string_view env = "") {
  std::vector<Problem> problems;
  EXPECT_EQ(load(text, env, problems), nullptr);
  return problems;
}

bool has(const std::vector<Problem>& problems, std::string_view path, std::string_view words) {
  for (const auto& p : problems)
    if (p.path == path && p.message.find(words) != std::string::npos) return true;
  return false;
}

TEST(Config, LoadsTheSpecExampleShape) {
  auto config = load_ok(R"({
    "providers": {
      "openai": {"type": "openai", "api_key": "env:OPENAI_API_KEY"},
      "groq": {"type": "openai-compatible", "base_url": "https://api.groq.com/openai/v1/",
               "api_key": "env:GROQ_API_KEY", "limits": {"rpm": 30, "concurrency": 4},
               "prices": {"llama": {"input": 0.05, "output": 0.08}}},
      "demo": {"type": "echo"}
    },
    "models": {
      "fast": {"strategy": "fallback", "targets": [
        {"strategy": "round_robin", "targets": [{"provider": "openai", "model": "gpt-4o-mini"},
                                                {"provider": "groq", "model": "llama"}]},
        {"provider": "demo", "model": "echo-1", "override_params": {"temperature": 0}}]}
    },
    "services": {"t": {"model": "fast", "system": "To {{lang}}", "prompt": "{{text}}"}},
    "pipelines": {"p": [{"id": "a", "service": "t", "input": {"text": "{{input.x}}", "lang": "es"}}]},
    "retry": {"attempts": 2, "on_status": [429, 503], "backoff_ms": 50},
    "timeout_ms": 1000,
    "cache": {"enabled": true, "policy": "lfu", "max_bytes": 4096, "ttl_s": 60},
    "keys": {"sk-a": {"models": ["fast"]}, "env:OPS_KEY": {"admin": true}}
  })",
                        R"({"OPENAI_API_KEY": "sk-1", "GROQ_API_KEY": "gsk-2", "OPS_KEY": "sk-ops"})");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->providers.size(), 3u);
  EXPECT_EQ(config->providers[0].base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config->providers[0].api_key, "sk-1");
  EXPECT_EQ(config->providers[1].base_url, "https://api.groq.com/openai/v1");
  EXPECT_EQ(config->providers[1].limits.concurrency, 4);
  EXPECT_DOUBLE_EQ(config->providers[1].prices.at("llama").output_per_million, 0.08);
  const Model* fast = config->find_model("fast");
  ASSERT_NE(fast, nullptr);
  EXPECT_EQ(fast->root.targets.size(), 2u);
  EXPECT_EQ(fast->root.targets[0].strategy, Strategy::round_robin);
  EXPECT_EQ(fast->root.targets[1].override_params[0].second, "0");
  EXPECT_EQ(config->retry.attempts, 2);
  EXPECT_EQ(config->retry.on_status, (std::vector<int>{429, 503}));
  EXPECT_EQ(config->cache.policy, CachePolicy::lfu);
  EXPECT_EQ(config->keys[1].key, "sk-ops");
  EXPECT_TRUE(config->keys[1].admin);
  EXPECT_EQ(config->node_count, 5u);
}

TEST(Config, NamesEveryKeyWithoutShowingIt) {
  auto config = load_ok(R"({"providers": {"e": {"type": "echo"}},
    "keys": {"sk-one": {"name": "team.a-1"}, "sk-two": {}, "sk-three": {}}})");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->keys[0].name, "team.a-1");
  EXPECT_EQ(config->keys[1].name.size(), 12u);
  EXPECT_EQ(config->keys[1].name.substr(0, 4), "key-");
  EXPECT_EQ(config->keys[1].name.find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_NE(config->keys[1].name, config->keys[2].name);
  EXPECT_EQ(config->keys[1].name.find("two"), std::string::npos);
  // The default is stable: the same key gets the same name in every load (and every isolate).
  auto again = load_ok(R"({"providers": {"e": {"type": "echo"}}, "keys": {"sk-two": {}}})");
  EXPECT_EQ(again->keys[0].name, config->keys[1].name);
}

TEST(Config, RefusesBadOrSharedKeyNames) {
  auto problems = problems_of(R"({"providers": {"e": {"type": "echo"}},
    "keys": {"sk-1": {"name": "a b"}, "sk-2": {"name": "dup"}, "sk-3": {"name": "dup"}, "sk-4": {"name": ""}}})");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].path, "keys[0].name");
  EXPECT_EQ(problems[1].path, "keys[3].name");
  EXPECT_EQ(problems[2].path, "keys[2].name");
  EXPECT_NE(problems[2].message.find("keys[1]"), std::string::npos);
  for (const auto& p : problems) EXPECT_EQ(p.message.find("sk-"), std::string::npos);
}

TEST(Config, ListsEveryProblemWithItsPath) {
  auto problems = problems_of(R"({
    "providers": {"a": {"type": "nope"}, "b": {"type": "openai-compatible"}, "c": {"type": "echo", "colour": 1}},
    "models": {"m": {"strategy": "sideways", "targets": [{"provider": "zz", "model": "x"}, {"provider": "c"}]}},
    "services": {"s": {"model": "missing", "prompt": "hi"}},
    "retry": {"attempts": -1, "on_status": [99]},
    "cache": {"policy": "fifo"},
    "surprise": true
  })");
  EXPECT_TRUE(has(problems, "providers.a.type", "unknown provider type \"nope\"")) << problems.size();
  EXPECT_TRUE(has(problems, "providers.b.base_url", "is required"));
  EXPECT_TRUE(has(problems, "providers.c.colour", "unknown field"));
  EXPECT_TRUE(has(problems, "models.m.strategy", "unknown strategy"));
  EXPECT_TRUE(has(problems, "models.m.targets[0].provider", "unknown provider \"zz\""));
  EXPECT_TRUE(has(problems, "models.m.targets[1].model", "is required"));
  EXPECT_TRUE(has(problems, "services.s.model", "unknown model"));
  EXPECT_TRUE(has(problems, "retry.attempts", "from 0 to 10"));
  EXPECT_TRUE(has(problems, "retry.on_status[0]", "HTTP status"));
  EXPECT_TRUE(has(problems, "cache.policy", "lru"));
  EXPECT_TRUE(has(problems, "surprise", "unknown field"));
}

TEST(Config, AcceptsAndIgnoresASchemaMemberForEditors) {
  auto config = load_ok(R"({"$schema": "./node_modules/switchyard/config.schema.json",
                            "providers": {"e": {"type": "echo"}}})");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->providers.size(), 1u);
  auto problems = problems_of(R"({"$schema": 7, "providers": {"e": {"type": "echo"}}})");
  EXPECT_TRUE(has(problems, "$schema", "must be a string"));
}

TEST(Config, MissingEnvironmentVariableIsAProblem) {
  auto problems = problems_of(R"({"providers": {"o": {"type": "openai", "api_key": "env:NOPE"}}})", "{}");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "providers.o.api_key");
  EXPECT_NE(problems[0].message.find("NOPE is not set"), std::string::npos);
}

TEST(Config, GatewayKeysAreNeverNamedInProblems) {
  auto problems = problems_of(R"({"providers": {"e": {"type": "echo"}}, "keys": {"sk-secret-123": {"rpm": -5}}})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "keys[0].rpm");
}

TEST(Config, Telemetry) {
  auto config = load_ok(R"({"providers": {"e": {"type": "echo"}}, "telemetry": {"logs": "json", "log_bodies": true,
      "otlp": {"endpoint": "https://otel.example.com:4318/", "headers": {"Authorization": "env:OTEL_TOKEN", "x-team": "a"}}}})",
                        R"({"OTEL_TOKEN": "Bearer t0k"})");
  ASSERT_TRUE(config);
  const Telemetry& t = config->telemetry;
  EXPECT_TRUE(t.json_logs);
  EXPECT_TRUE(t.log_bodies);
  EXPECT_EQ(t.otlp.endpoint, "https://otel.example.com:4318");
  ASSERT_EQ(t.otlp.headers.size(), 2u);
  EXPECT_EQ(t.otlp.headers[0], std::make_pair(std::string("authorization"), std::string("Bearer t0k")));
  EXPECT_EQ(t.otlp.headers[1].second, "a");
  auto none = load_ok(R"({"providers": {"e": {"type": "echo"}}, "telemetry": {"logs": "none"}})");
  EXPECT_FALSE(none->telemetry.json_logs);
  EXPECT_TRUE(none->telemetry.otlp.endpoint.empty());
}

TEST(Config, TelemetryProblemsNameTheirField) {
  auto problems = problems_of(R"({"providers": {"e": {"type": "echo"}}, "telemetry": {"logs": "text", "log_bodies": 1,
      "otlp": {"endpoint": "otel:4318", "headers": {"a b": "x", "x-n": 3, "x-t": "env:NOPE", "x-l": "a\nb"}, "port": 1},
      "sample": 1}})", "{}");
  EXPECT_TRUE(has(problems, "telemetry.logs", "\"json\" or \"none\""));
  EXPECT_TRUE(has(problems, "telemetry.log_bodies", "true or false"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.endpoint", "http:// or https://"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.headers.a b", "not a valid header name"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.headers.x-n", "must be a string"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.headers.x-t", "NOPE is not set"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.headers.x-l", "line breaks"));
  EXPECT_TRUE(has(problems, "telemetry.otlp.port", "unknown field"));
  EXPECT_TRUE(has(problems, "telemetry.sample", "unknown field"));
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "telemetry": {"otlp": {}}})"),
                  "telemetry.otlp.endpoint", "is required"));
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "telemetry": []})"), "telemetry", "must be an object"));
}

TEST(Config, ReserveOutputTokens) {
  EXPECT_EQ(load_ok(R"({"providers": {"e": {"type": "echo"}}})")->gateway.reserve_output_tokens, 4096u);
  auto set = load_ok(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"reserve_output_tokens": 0}})");
  EXPECT_EQ(set->gateway.reserve_output_tokens, 0u);
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"reserve_output_tokens": -1}})"),
                  "gateway.reserve_output_tokens", ""));
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"reserve_output_tokens": 2.5}})"),
                  "gateway.reserve_output_tokens", "whole number"));
  EXPECT_FALSE(load_ok(R"({"providers": {"e": {"type": "echo"}}})")->gateway.state_fail_open);
  EXPECT_TRUE(load_ok(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"state_fail_open": true}})")->gateway.state_fail_open);
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"state_fail_open": "yes"}})"),
                  "gateway.state_fail_open", ""));
}

TEST(Config, RefusesInvalidJsonAndNonObjects) {
  EXPECT_NE(problems_of("{nope")[0].message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(problems_of("[]")[0].message.find("must be a JSON object"), std::string::npos);
  EXPECT_TRUE(has(problems_of("{}"), "providers", "is required"));
}

TEST(Config, RefusesFieldsGivenTwice) {
  EXPECT_TRUE(has(problems_of(R"({"providers": {"e": {"type": "echo"}}, "retry": {}, "retry": {"attempts": 1}})"),
                  "retry", "given twice"));
}

TEST(Config, RefusesProviderNamesWithSlashes) {
  EXPECT_TRUE(has(problems_of(R"({"providers": {"a/b": {"type": "echo"}}})"), "providers.a/b", "no '/'"));
}

TEST(Config, ServiceModelsMayBeProviderSlashModel) {
  auto config = load_ok(R"({"providers": {"e": {"type": "echo"}},
                            "services": {"s": {"model": "e/any", "prompt": "{{x}}"}}})");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->services[0].model, "e/any");
}

TEST(Config, DeepTreesAreRefused) {
  std::string text = R"({"providers": {"e": {"type": "echo"}}, "models": {"m": )";
  for (int i = 0; i < 20; ++i) text += R"({"targets": [)";
  text += R"({"provider": "e", "model": "x"})";
  for (int i = 0; i < 20; ++i) text += "]}";
  text += "}}";
  auto problems = problems_of(text);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].message.find("at most 16 levels"), std::string::npos);
}

TEST(Config, ConditionalGroups) {
  auto config = load_ok(R"({"providers": {"e": {"type": "echo"}},
    "models": {"m": {"strategy": "conditional", "default": "b",
      "conditions": [{"when": {"metadata.tier": {"$in": ["gold"]}}, "then": "a"}],
      "targets": [{"name": "a", "provider": "e", "model": "x"}, {"name": "b", "provider": "e", "model": "y"}]}}})");
  ASSERT_NE(config, nullptr);
  const auto& root = config->models[0].root;
  EXPECT_EQ(root.conditions.size(), 1u);
  EXPECT_EQ(root.conditions[0].second, 0u);
  EXPECT_EQ(root.default_child, 1u);
  auto problems = problems_of(R"({"providers": {"e": {"type": "echo"}},
    "models": {"m": {"strategy": "conditional", "default": "zz",
      "conditions": [{"when": {"oops": 1}, "then": "a"}, {"when": {"metadata.x": 1}, "then": "nope"}],
      "targets": [{"name": "a", "provider": "e", "model": "x"}]},
      "n": {"strategy": "fallback", "conditions": [], "targets": [{"provider": "e", "model": "x"}]}}})");
  EXPECT_TRUE(has(problems, "models.m.default", "no target in this group is named \"zz\""));
  EXPECT_TRUE(has(problems, "models.m.conditions[0].when.oops", "unknown field"));
  EXPECT_TRUE(has(problems, "models.m.conditions[1].then", "named \"nope\""));
  EXPECT_TRUE(has(problems, "models.n.conditions", "only a \"conditional\" group"));
}

TEST(Config, TargetsAreSharedAndCarryTheirLimits) {
  auto config = load_ok(R"({"providers": {"e": {"type": "echo"}},
    "models": {"m": {"targets": [{"provider": "e", "model": "x", "limits": {"rpm": 5}}, {"provider": "e", "model": "y"}]},
               "n": {"targets": [{"provider": "e", "model": "x"}]}}})");
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(config->targets.size(), 2u);
  EXPECT_EQ(config->targets[0].limits.rpm, 5);
  EXPECT_EQ(config->models[1].root.targets[0].target, 0u);
  auto problems = problems_of(R"({"providers": {"e": {"type": "echo"}},
    "models": {"m": {"targets": [{"provider": "e", "model": "x", "limits": {"rpm": 5}}]},
               "n": {"targets": [{"provider": "e", "model": "x", "limits": {"rpm": 6}}]}}})");
  EXPECT_TRUE(has(problems, "models.n.targets[0].limits", "differs"));
}

}  // namespace
}  // namespace sy::config
