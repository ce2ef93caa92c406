#include "telemetry/request.h"

#include <algorithm>
#include <cmath>

#include "json/json.h"

namespace sy::telemetry {

namespace {

void member(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_string(out, value);
}

void member(std::string& out, const char* name, double value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_number(out, std::isfinite(value) ? value : 0);
}

}  // namespace

std::string log_line(const RequestFacts& f, bool bodies) {
  std::string out;
  out.reserve(512 + (bodies ? f.request_text.size() + f.answer_text.size() : 0));
  out += "{\"type\":\"request\"";
  member(out, "request_id", f.request_id);
  member(out, "method", f.method);
  member(out, "path", f.path);
  if (!f.key.empty()) member(out, "key", f.key);
  if (!f.model.empty()) member(out, "model", f.model);
  if (!f.target.empty()) member(out, "target", f.target);
  member(out, "attempts", double(f.attempts));
  if (!f.cache.empty()) member(out, "cache", f.cache);
  member(out, "status", double(f.status));
  if (!f.error.empty()) member(out, "error", f.error);
  if (f.stream) out += ",\"stream\":true";
  member(out, "prompt_tokens", double(f.prompt_tokens));
  member(out, "completion_tokens", double(f.completion_tokens));
  member(out, "cost_usd", f.cost_usd);
  member(out, "ms", std::round(std::max(0.0, f.ended_ms - f.started_ms) * 1000) / 1000);
  if (f.trace.valid()) member(out, "trace_id", f.trace.trace_id);
  if (bodies) {
    member(out, "request_body", f.request_text);
    member(out, "answer_body", f.answer_text);
  }
  return out + "}";
}

}  // namespace sy::telemetry
