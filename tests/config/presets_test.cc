// openai-compatible presets and the provider config fields wire formats read.
#include "config/presets.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace sy::config::presets {
namespace {

std::shared_ptr<const config::Config> load(const std::string& providers, std::vector<config::Problem>& problems) {
  return config::load(R"({"providers":)" + providers + "}", "{}", problems);
}

TEST(Presets, KnownBaseUrls) {
  EXPECT_EQ(base_url("groq"), "https://api.groq.com/openai/v1");
  EXPECT_EQ(base_url("ollama"), "http://localhost:11434/v1");
  EXPECT_EQ(base_url("lmstudio"), "http://localhost:1234/v1");
  EXPECT_EQ(base_url("vllm"), "http://localhost:8000/v1");
  EXPECT_EQ(base_url("nope"), "");
  for (const char* name : {"groq", "mistral", "together", "deepseek", "xai", "fireworks", "openrouter", "ollama", "vllm", "lmstudio"})
    EXPECT_FALSE(base_url(name).empty()) << name;
}

TEST(Presets, ConfigFillsBaseUrlFromPreset) {
  std::vector<config::Problem> problems;
  auto c = load(R"({"g": {"type": "openai-compatible", "preset": "groq"},
                    "own": {"type": "openai-compatible", "preset": "groq", "base_url": "https://proxy.example/v1/"}})",
                problems);
  ASSERT_TRUE(c) << (problems.empty() ? "" : problems[0].path + ": " + problems[0].message);
  EXPECT_EQ(c->providers[size_t(c->find_provider("g"))].base_url, "https://api.groq.com/openai/v1");
  EXPECT_EQ(c->providers[size_t(c->find_provider("own"))].base_url, "https://proxy.example/v1");
}

TEST(Presets, ConfigRefusesUnknownOrMisplacedPresets) {
  std::vector<config::Problem> problems;
  EXPECT_FALSE(load(R"({"g": {"type": "openai-compatible", "preset": "nope"}})", problems));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].path, "providers.g.preset");
  problems.clear();
  EXPECT_FALSE(load(R"({"g": {"type": "openai", "preset": "groq"}})", problems));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].path, "providers.g.preset");
}

TEST(Presets, ApiVersionDefaults) {
  std::vector<config::Problem> problems;
  auto c = load(R"({"az": {"type": "azure-openai", "base_url": "https://r.openai.azure.com"},
                    "az2": {"type": "azure-openai", "base_url": "https://r.openai.azure.com", "api_version": "2025-01-01-preview"},
                    "claude": {"type": "anthropic"}, "gem": {"type": "gemini"}})",
                problems);
  ASSERT_TRUE(c) << (problems.empty() ? "" : problems[0].path + ": " + problems[0].message);
  EXPECT_EQ(c->providers[size_t(c->find_provider("az"))].api_version, "2024-10-21");
  EXPECT_EQ(c->providers[size_t(c->find_provider("az2"))].api_version, "2025-01-01-preview");
  EXPECT_EQ(c->providers[size_t(c->find_provider("claude"))].api_version, "2023-06-01");
  EXPECT_EQ(c->providers[size_t(c->find_provider("claude"))].base_url, "https://api.anthropic.com/v1");
  EXPECT_EQ(c->providers[size_t(c->find_provider("gem"))].base_url, "https://generativelanguage.googleapis.com/v1beta");
  problems.clear();
  EXPECT_FALSE(load(R"({"az": {"type": "azure-openai"}})", problems));  // an Azure resource has no default URL
}

}  // namespace
}  // namespace sy::config::presets
