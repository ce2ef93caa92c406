#include "pipeline/request.h"

#include "ingress/openai_chat.h"
#include "ingress/services.h"
#include "json/json.h"

namespace sy::pipeline {

namespace {

// The templates a step is built from: its service's, or its own (inline, named after the step).
config::Service templates_of(const config::Config& config, const config::PipelineStep& step) {
  if (const config::Service* named = step.service.empty() ? nullptr : config.find_service(step.service)) return *named;
  config::Service s;
  s.name = step.id;
  s.model = step.model;
  s.system = step.system;
  s.prompt = step.prompt;
  s.image = step.image;
  s.schema = step.schema;
  return s;
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
  if (!ingress::services::build_body(templates_of(config, step), step.model, doc, body, error)) return false;
  if (stream) body.insert(body.size() - 1, ",\"stream\":true");
  env.text = std::move(body);
  ingress::DecodeArgs args{config, step.service};
  return ingress::openai_chat::kCodec.decode(env, args, error);
}

}  // namespace sy::pipeline
