#include "providers/provider.h"

#include "providers/anthropic.h"
#include "providers/azure.h"
#include "providers/gemini.h"
#include "providers/openai.h"

namespace sy::providers {

const WireFormat* wire_format(config::ProviderType type) {
  switch (type) {
    case config::ProviderType::openai:
    case config::ProviderType::openai_compatible:
    case config::ProviderType::echo:
      return &openai::kWireFormat;
    case config::ProviderType::azure_openai:
      return &azure::kWireFormat;
    case config::ProviderType::anthropic:
      return &anthropic::kWireFormat;
    case config::ProviderType::gemini:
      return &gemini::kWireFormat;
  }
  return nullptr;
}

double cost_of(const config::Provider& provider, std::string_view model, int64_t prompt_tokens,
               int64_t completion_tokens) {
  if (provider.type == config::ProviderType::echo) return 0;
  auto it = provider.prices.find(model);
  if (it == provider.prices.end()) return -1;
  return (double(prompt_tokens) * it->second.input_per_million +
          double(completion_tokens) * it->second.output_per_million) /
         1e6;
}

void redact(const config::Provider& provider, std::string& text) {
  const std::string& key = provider.api_key;
  if (key.size() < 4) return;
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at))
    text.replace(at, key.size(), "[redacted]");
}

}  // namespace sy::providers
