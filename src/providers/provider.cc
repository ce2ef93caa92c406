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

StreamDecoder::State StreamDecoder::feed(std::string_view bytes, std::string& out) {
  if (state_ != State::open) return state_;
  bool ok = parser_.feed(bytes, [&](const sse::Event& e) {
    if (state_ == State::open) on_event(e, out);
  });
  if (!ok && state_ == State::open) fail("upstream stream event too large");
  return state_;
}

StreamDecoder::State StreamDecoder::finish() {
  if (state_ == State::open) fail("upstream stream ended before " + std::string(end_marker_));
  return state_;
}

void StreamDecoder::fail(std::string message) {
  state_ = State::failed;
  error_.status = 502;
  error_.type = ErrorType::provider_unavailable;
  error_.message = std::move(message);
  if (error_.code.empty()) error_.code = "upstream_stream_failed";
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
