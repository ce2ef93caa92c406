// OpenAI chat completions: the caller's own format, so requests are forwarded
// with minimal edits. Also spoken by openai-compatible providers and echo.
#pragma once

#include "providers/provider.h"

namespace sy::providers::openai {

extern const WireFormat kWireFormat;

// Reads an OpenAI error body ({"error":{"message","code","type","param"}}) into
// `error` (message redacted of the provider key) and tells which class of
// problem it describes (context length, content filter, or internal = other).
ErrorType read_error(std::string_view body, const config::Provider& provider, Error& error);

// One entry of a model list, and the OpenAI list document
// {"object":"list","data":[{"id","object":"model","created","owned_by"}]} of them.
struct ModelEntry {
  std::string id;
  int64_t created = 0;  // unix seconds; 0 when unknown
  std::string owned_by;
};
std::string model_list_json(const std::vector<ModelEntry>& models);

}  // namespace sy::providers::openai
