#include "pipeline/answer.h"

#include "ingress/openai_chat.h"

namespace sy::pipeline {

namespace {

void member(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_string(out, value);
}

// The inside of error_body's {"error": …}: the error object itself.
std::string error_object(const Error& error) {
  std::string body = error_body(error);
  const std::string_view prefix = "{\"error\":";
  if (body.compare(0, prefix.size(), prefix) != 0) return body;
  return body.substr(prefix.size(), body.size() - prefix.size() - 1);
}

}  // namespace

std::string step_object(const StepState& s, std::string_view id) {
  std::string out = "{";
  if (!id.empty()) {
    out += "\"id\":";
    json::append_string(out, id);
    out += ',';
  }
  out += "\"text\":";
  if (s.has_text) json::append_string(out, s.text);
  else out += "null";
  if (s.has_text && s.structured && s.json) {
    out += ",\"json\":";
    json::append_value(out, *s.json);
  }
  member(out, "model", s.model);
  member(out, "provider", s.provider);
  member(out, "cache", s.cache);
  out += ",\"attempts\":" + std::to_string(s.attempts) + ",\"ms\":";
  json::append_number(out, s.ms);
  out += ",\"usage\":";
  ingress::openai_chat::append_usage(out, s.usage);
  if (s.status == StepState::Status::skipped && !s.has_text) out += ",\"skipped\":true";
  if (s.error && s.status != StepState::Status::failed) out += ",\"error\":" + error_object(*s.error);
  return out + "}";
}

std::string steps_object(const Scope& scope) {
  std::string out = "{";
  for (size_t i = 0; i < scope.steps.size(); ++i) {
    if (!scope.steps[i].finished() || scope.steps[i].status == StepState::Status::failed) continue;
    if (out.size() > 1) out += ',';
    json::append_string(out, scope.pipeline.steps[i].id);
    out += ':' + step_object(scope.steps[i]);
  }
  return out + "}";
}

std::string answer_body(const Scope& scope) {
  model::Usage total;
  total.known = true;
  double cost = 0;
  for (const StepState& s : scope.steps) {
    total.prompt_tokens += s.usage.prompt_tokens;
    total.completion_tokens += s.usage.completion_tokens;
    if (s.usage.cost > 0) cost += s.usage.cost;
  }
  total.cost = cost;
  std::string out = "{\"output\":" + output_value(scope) + ",\"steps\":" + steps_object(scope) + ",\"usage\":";
  ingress::openai_chat::append_usage(out, total);
  out += ",\"cost\":";
  json::append_number(out, cost);
  return out + "}";
}

Error step_error(std::string_view id, const Error& cause) {
  Error e{cause.status, cause.type, "step '" + std::string(id) + "' failed: " + cause.message, cause.code,
          "steps." + std::string(id)};
  e.retry_after_s = cause.retry_after_s;
  e.metadata_json = "\"step\":";
  json::append_string(e.metadata_json, id);
  return e;
}

std::string error_with_steps(const Error& error, const Scope& scope) {
  return "{\"error\":" + error_object(error) + ",\"steps\":" + steps_object(scope) + "}";
}

}  // namespace sy::pipeline
