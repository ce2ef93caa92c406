#include "gateway/controls.h"

#include <string>

#include "base/headers.h"

namespace sy::gateway {

namespace {

using json::Value;

bool bad(Error& error, std::string param, std::string message) {
  error = {400, ErrorType::invalid_request, std::move(message), "invalid_request", std::move(param)};
  return false;
}

// The header's number as atof reads it (0 when none starts it), -1 when the header is empty.
double number_of(std::string_view text) {
  double value = 0;
  if (text.empty()) return -1;
  json::parse_decimal(text, value);
  return value;
}

bool from_headers(std::string_view headers, exchange::Controls& out, Error& error) {
  if (auto t = header(headers, "x-switchyard-timeout"); !t.empty() && (out.timeout_ms = number_of(t)) <= 0)
    return bad(error, "x-switchyard-timeout", "x-switchyard-timeout must be a positive number of milliseconds");
  if (auto t = header(headers, "x-switchyard-cache-ttl"); !t.empty() && (out.cache_ttl_s = number_of(t)) < 0)
    return bad(error, "x-switchyard-cache-ttl", "x-switchyard-cache-ttl must be seconds >= 0");
  if (auto p = header(headers, "x-switchyard-priority"); !p.empty()) {
    if (p.size() != 1 || p[0] < '0' || p[0] > '9')
      return bad(error, "x-switchyard-priority", "x-switchyard-priority must be a whole number from 0 to 9");
    out.priority = p[0] - '0';
  }
  if (auto m = header(headers, "x-switchyard-metadata"); !m.empty()) {
    std::string parse_error;
    if (!json::parse(m, out.metadata, parse_error) || !out.metadata.IsObject())
      return bad(error, "x-switchyard-metadata", "x-switchyard-metadata must be a JSON object");
  }
  return true;
}

bool from_body(const Value& sy, exchange::Controls& out, std::string_view& mode, Error& error) {
  if (!sy.IsObject()) return bad(error, "switchyard", "\"switchyard\" must be an object");
  if (const Value* m = json::find(sy, "cache")) {
    if (!m->IsString()) return bad(error, "switchyard.cache", "switchyard.cache must be a string");
    mode = json::view(*m);
  }
  if (const Value* t = json::find(sy, "timeout_ms")) {
    if (!t->IsNumber() || t->GetDouble() <= 0)
      return bad(error, "switchyard.timeout_ms", "switchyard.timeout_ms must be a positive number");
    out.timeout_ms = t->GetDouble();
  }
  if (const Value* t = json::find(sy, "cache_ttl_s")) {
    if (!t->IsNumber() || t->GetDouble() < 0)
      return bad(error, "switchyard.cache_ttl_s", "switchyard.cache_ttl_s must be a number >= 0");
    out.cache_ttl_s = t->GetDouble();
  }
  if (const Value* p = json::find(sy, "priority")) {
    if (!p->IsInt() || p->GetInt() < 0 || p->GetInt() > 9)
      return bad(error, "switchyard.priority", "switchyard.priority must be a whole number from 0 to 9");
    out.priority = p->GetInt();
  }
  if (const Value* m = json::find(sy, "metadata")) {
    if (!m->IsObject()) return bad(error, "switchyard.metadata", "switchyard.metadata must be an object");
    out.metadata.SetNull();
    json::Value copy = json::copy(*m, out.metadata.GetAllocator());
    static_cast<json::Value&>(out.metadata).Swap(copy);
  }
  return true;
}

}  // namespace

bool read_controls(std::string_view headers, const Value* body, exchange::Controls& out, Error& error) {
  std::string_view mode;
  if (has_header_prefix(headers, "x-switchyard-")) {  // most callers send none: one pass, not five
    if (!from_headers(headers, out, error)) return false;
    mode = header(headers, "x-switchyard-cache");
  }
  std::string_view param = "x-switchyard-cache";
  if (body) {
    std::string_view from_body_mode;
    if (!from_body(*body, out, from_body_mode, error)) return false;
    if (!from_body_mode.empty() || json::find(*body, "cache")) {
      mode = from_body_mode;
      param = "switchyard.cache";
    }
  }
  if (mode.empty() || mode == "default") out.cache = exchange::CacheMode::normal;
  else if (mode == "no-store") out.cache = exchange::CacheMode::no_store;
  else if (mode == "refresh") out.cache = exchange::CacheMode::refresh;
  else if (mode == "only") out.cache = exchange::CacheMode::only;
  else return bad(error, std::string(param), std::string(param) + " must be one of default, no-store, refresh, only");
  return true;
}

}  // namespace sy::gateway
