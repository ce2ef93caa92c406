// Which codec speaks for each provider type.
#include "providers/anthropic.h"
#include "providers/azure.h"
#include "providers/echo.h"
#include "providers/gemini.h"
#include "providers/openai.h"
#include "providers/provider.h"

namespace sy::providers {

const Codec& codec(config::ProviderType type) {
  switch (type) {
    case config::ProviderType::openai:
      return openai::kCodec;
    case config::ProviderType::openai_compatible:
      return openai::kCompatibleCodec;
    case config::ProviderType::azure_openai:
      return azure::kCodec;
    case config::ProviderType::anthropic:
      return anthropic::kCodec;
    case config::ProviderType::gemini:
      return gemini::kCodec;
    case config::ProviderType::echo:
      return echo::kCodec;
  }
  return echo::kCodec;
}

}  // namespace sy::providers
