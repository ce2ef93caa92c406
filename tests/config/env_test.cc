#include "config/env.h"

#include <gtest/gtest.h>

namespace sy::config {
namespace {

TEST(EnvNames, OnlyWhereTheLoaderResolvesThem) {
  auto names = env_names(R"({"providers": {"a": {"type": "openai", "api_key": "env:B_KEY"},
                                           "b": {"type": "openai", "api_key": "env:A_KEY"},
                                           "c": {"type": "openai", "api_key": "env:A_KEY"},
                                           "d": {"type": "openai", "base_url": "env:NOT_RESOLVED"}},
                             "keys": {"env:GATEWAY_KEY": {}, "plain": {}}})");
  EXPECT_EQ(names, (std::vector<std::string>{"A_KEY", "B_KEY", "GATEWAY_KEY"}));
  EXPECT_TRUE(env_names("[]").empty());
  EXPECT_TRUE(env_names("{").empty());
  EXPECT_TRUE(env_names(R"({"providers": {"a": {"api_key": "env:"}}})").empty());
}

TEST(EnvNames, TelemetryHeadersMayReferToTheEnvironment) {
  auto names = env_names(R"({"providers": {"e": {"type": "echo"}},
      "telemetry": {"otlp": {"endpoint": "env:NOT_RESOLVED", "headers": {"authorization": "env:OTEL_TOKEN", "x": "plain", "n": 1}}}})");
  EXPECT_EQ(names, (std::vector<std::string>{"OTEL_TOKEN"}));
}

}  // namespace
}  // namespace sy::config
