#include "base/errors.h"

#include "json/json.h"

namespace sy {

namespace {

constexpr const char* kErrorTypeNames[] = {
    "invalid_request", "context_length_exceeded", "content_filtered", "rate_limited", "provider_unavailable",
    "timeout",         "auth",                    "no_healthy_target", "cache_miss_offline", "internal",
};

// OpenAI-style error.type by HTTP status, so OpenAI SDKs classify our errors.
const char* openai_type(int status) {
  switch (status) {
    case 400: case 413: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "insufficient_quota";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 405: return "invalid_request_error";
    case 408: case 504: return "timeout_error";
    case 429: return "rate_limit_error";
    case 502: case 503: return "upstream_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace

const char* error_type_name(ErrorType type) { return kErrorTypeNames[int(type)]; }

std::string error_body(const Error& error) {
  std::string out = "{\"error\":{\"message\":";
  json::append_string(out, error.message);
  out += ",\"type\":";
  json::append_string(out, openai_type(error.status));
  out += ",\"code\":";
  json::append_string(out, error.code.empty() ? error_type_name(error.type) : error.code);
  if (!error.param.empty()) {
    out += ",\"param\":";
    json::append_string(out, error.param);
  }
  out += ",\"metadata\":{\"error_type\":";
  json::append_string(out, error_type_name(error.type));
  if (!error.metadata_json.empty()) {
    out += ',';
    out += error.metadata_json;
  }
  out += "}}}";
  return out;
}

}  // namespace sy
