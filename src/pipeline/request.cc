#include "pipeline/request.h"

#include "base/template.h"
#include "ingress/openai_chat.h"
#include "json/json.h"

namespace sy::pipeline {

namespace {

using json::Value;

bool field(const Value& input, std::string_view name, std::string& out) {
  const Value* v = json::find(input, name);
  if (!v) return false;
  if (v->IsString()) out.append(json::view(*v));
  else json::append_value(out, *v);
  return true;
}

// The templates a step is built from: its service's, or its own (inline).
config::Service templates_of(const config::Config& config, const config::PipelineStep& step) {
  config::Service s;
  if (const config::Service* named = step.service.empty() ? nullptr : config.find_service(step.service)) s = *named;
  else s = {step.id, step.model, step.system, step.prompt, step.image, step.schema};
  if (!step.model.empty()) s.model = step.model;
  return s;
}

void append_message(std::string& body, std::string_view prompt, std::string_view image) {
  body += "{\"role\":\"user\",\"content\":";
  if (image.empty()) {
    json::append_string(body, prompt);
    body += '}';
    return;
  }
  body += '[';
  if (!prompt.empty()) {
    body += "{\"type\":\"text\",\"text\":";
    json::append_string(body, prompt);
    body += "},";
  }
  body += "{\"type\":\"image_url\",\"image_url\":{\"url\":";
  json::append_string(body, image);
  body += "}}]}";
}

// The chat body of one call of `s` with `input` (the services route's shape), plus a
// response_format when `s` has a schema and "stream" when asked. (Swap for the services
// ingress's builder once it is exported.)
bool build_body(const config::Service& s, const Value& input, bool stream, std::string& body, Error& error) {
  auto lookup = [&](std::string_view name, std::string& out) { return field(input, name, out); };
  std::string system, prompt, image, missing;
  if (!render_template(s.system, lookup, system, missing) || !render_template(s.prompt, lookup, prompt, missing) ||
      !render_template(s.image, lookup, image, missing)) {
    error = {400, ErrorType::invalid_request, "\"" + s.name + "\" needs input field \"" + missing + "\"", "missing_input",
             missing};
    return false;
  }
  body = "{\"model\":";
  json::append_string(body, s.model);
  body += ",\"messages\":[";
  if (!system.empty()) {
    body += "{\"role\":\"system\",\"content\":";
    json::append_string(body, system);
    body += "},";
  }
  append_message(body, prompt, image);
  body += ']';
  if (!s.schema.empty()) {
    body += ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":";
    json::append_string(body, s.name);
    body += ",\"schema\":" + s.schema + "}}";
  }
  if (stream) body += ",\"stream\":true";
  body += '}';
  return true;
}

}  // namespace

bool structured(const config::Config& config, const config::PipelineStep& step) {
  return !templates_of(config, step).schema.empty();
}

bool step_request(const config::Config& config, const config::PipelineStep& step, std::string_view input, bool stream,
                  model::Envelope& env, Error& error) {
  if (!step.service.empty() && !config.find_service(step.service)) {
    error = {404, ErrorType::invalid_request, "unknown service \"" + step.service + "\"", "service_not_found"};
    return false;
  }
  json::Document doc;
  std::string reason;
  if (!json::parse(input, doc, reason) || !doc.IsObject()) {
    error = {500, ErrorType::internal, "step input is not a JSON object: " + reason, "internal"};
    return false;
  }
  std::string body;
  if (!build_body(templates_of(config, step), doc, stream, body, error)) return false;
  env.text = std::move(body);
  ingress::DecodeArgs args{config, step.service};
  return ingress::openai_chat::kCodec.decode(env, args, error);
}

}  // namespace sy::pipeline
