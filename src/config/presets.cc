#include "config/presets.h"

#include <utility>

namespace sy::config::presets {

namespace {

constexpr std::pair<std::string_view, std::string_view> kPresets[] = {
    {"groq", "https://api.groq.com/openai/v1"},
    {"mistral", "https://api.mistral.ai/v1"},
    {"together", "https://api.together.xyz/v1"},
    {"deepseek", "https://api.deepseek.com/v1"},
    {"xai", "https://api.x.ai/v1"},
    {"fireworks", "https://api.fireworks.ai/inference/v1"},
    {"openrouter", "https://openrouter.ai/api/v1"},
    {"ollama", "http://localhost:11434/v1"},
    {"vllm", "http://localhost:8000/v1"},
    {"lmstudio", "http://localhost:1234/v1"},
};

}  // namespace

std::string_view base_url(std::string_view preset) {
  for (const auto& [name, url] : kPresets)
    if (name == preset) return url;
  return {};
}

std::string names() {
  std::string out;
  for (const auto& [name, url] : kPresets) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace sy::config::presets
