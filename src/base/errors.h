// Error answers (SPEC section 3): one JSON shape, the right status, the field at fault.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace sy {

enum class ErrorType {
  invalid_request,
  context_length_exceeded,
  content_filtered,
  rate_limited,
  provider_unavailable,
  timeout,
  auth,
  no_healthy_target,
  cache_miss_offline,
  internal,
};

// The SPEC name of `type` ("invalid_request", "rate_limited", …): metadata.error_type.
const char* error_type_name(ErrorType type);

// The error body's `type` for `type` (OpenAI's names), from one table (never from the status, so
// error.type always agrees with metadata.error_type):
//   invalid_request, context_length_exceeded, content_filtered   -> "invalid_request_error"
//   rate_limited -> "rate_limit_error"    auth -> "authentication_error"    timeout -> "timeout_error"
//   provider_unavailable, no_healthy_target, cache_miss_offline, internal -> "server_error"
const char* error_body_type(ErrorType type);

struct Error {
  Error() = default;
  Error(int status, ErrorType type, std::string message, std::string code = {}, std::string param = {})
      : status(status), type(type), message(std::move(message)), code(std::move(code)), param(std::move(param)) {}

  int status = 500;
  ErrorType type = ErrorType::internal;
  std::string message;
  std::string code;   // machine-readable, e.g. "model_not_found"; the error_type name when empty
  std::string param;  // the request field at fault, if any
  double retry_after_s = -1;  // sent as retry-after when >= 0
  std::string metadata_json;  // extra members for error.metadata (a JSON object's inside), may be empty

  // `code`, or the error_type name when it is empty: what the error body's "code" says.
  std::string_view code_name() const { return code.empty() ? std::string_view(error_type_name(type)) : code; }
};

// {"error":{"message","type","code","param","metadata":{"error_type",...}}}: type from
// error_body_type(error.type); code never null (the error_type name when error.code is empty);
// param null when no field is at fault.
std::string error_body(const Error& error);

// Appends the members every error shape shares: "code" (never null), "param" (null when none)
// and "metadata" {"error_type", …metadata_json}, comma-separated, without a leading comma.
void append_error_details(std::string& out, const Error& error);

}  // namespace sy
