// Error bodies in Anthropic's shape (anthropic_messages.h).
#include <algorithm>

#include "ingress/anthropic_messages_impl.h"

namespace sy::ingress::anthropic_messages {

namespace {

// Anthropic's error types (its API reference, "Errors").
constexpr std::string_view kTypes[] = {
    "invalid_request_error", "authentication_error", "billing_error",   "permission_error", "not_found_error",
    "request_too_large",     "rate_limit_error",     "api_error",       "timeout_error",    "overloaded_error",
};

}  // namespace

std::string_view error_type(const Error& error) {
  switch (error.status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408:
    case 504: return "timeout_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    default: break;
  }
  if (error.status >= 500 && std::find(std::begin(kTypes), std::end(kTypes), error.code) != std::end(kTypes))
    return error.code;  // what the upstream itself said, e.g. overloaded_error mid-stream
  if (error.status == 503 || error.status == 529) return "overloaded_error";
  return error.status >= 500 ? "api_error" : "invalid_request_error";
}

void append_error(std::string& out, const Error& error) {
  out += "\"type\":";
  json::append_string(out, error_type(error));
  out += ",\"message\":";
  json::append_string(out, error.message);
  out += ',';
  append_error_details(out, error);
}

std::string error_body(const Error& error) {
  std::string out = "{\"type\":\"error\",\"error\":{";
  append_error(out, error);
  out += "}}";
  return out;
}

}  // namespace sy::ingress::anthropic_messages
