#include "base/errors.h"

#include <iterator>

#include "json/json.h"

namespace sy {

namespace {

constexpr const char* kErrorTypeNames[] = {
    "invalid_request", "context_length_exceeded", "content_filtered", "rate_limited", "provider_unavailable",
    "timeout",         "auth",                    "no_healthy_target", "cache_miss_offline", "internal",
};

// error.type for each ErrorType (OpenAI's names, which OpenAI SDKs classify by); see errors.h.
constexpr const char* kBodyTypes[] = {
    "invalid_request_error",  // invalid_request
    "invalid_request_error",  // context_length_exceeded
    "invalid_request_error",  // content_filtered
    "rate_limit_error",       // rate_limited
    "server_error",           // provider_unavailable
    "timeout_error",          // timeout
    "authentication_error",   // auth
    "server_error",           // no_healthy_target
    "server_error",           // cache_miss_offline
    "server_error",           // internal
};
static_assert(std::size(kBodyTypes) == std::size(kErrorTypeNames));

}  // namespace

const char* error_type_name(ErrorType type) { return kErrorTypeNames[int(type)]; }

const char* error_body_type(ErrorType type) { return kBodyTypes[int(type)]; }

void append_error_details(std::string& out, const Error& error) {
  out += "\"code\":";
  json::append_string(out, error.code_name());
  out += ",\"param\":";
  if (error.param.empty()) out += "null";
  else json::append_string(out, error.param);
  out += ",\"metadata\":{\"error_type\":";
  json::append_string(out, error_type_name(error.type));
  if (!error.metadata_json.empty()) {
    out += ',';
    out += error.metadata_json;
  }
  out += '}';
}

std::string error_body(const Error& error) {
  std::string out = "{\"error\":{\"message\":";
  json::append_string(out, error.message);
  out += ",\"type\":";
  json::append_string(out, error_body_type(error.type));
  out += ',';
  append_error_details(out, error);
  out += "}}";
  return out;
}

}  // namespace sy
