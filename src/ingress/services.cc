#include "ingress/services.h"

#include "base/template.h"
#include "ingress/body.h"
#include "ingress/openai_chat.h"
#include "model/stored.h"

namespace sy::ingress::services {

namespace {

using json::Value;

// An input field as template text: strings as they are, anything else as JSON.
bool field(const Value& input, std::string_view name, std::string& out) {
  const Value* v = json::find(input, name);
  if (!v) return false;
  if (v->IsString()) out.append(json::view(*v));
  else json::append_value(out, *v);
  return true;
}

// A response_format json_schema name from a service name: [A-Za-z0-9_-] only (others become '_'),
// at most 64 characters, "schema" when nothing is left.
std::string schema_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "schema" : out;
}

bool decode(model::Envelope& env, const DecodeArgs& args, Error& error) {
  const config::Service* service = args.config.find_service(args.name);
  if (!service) {
    error = {404, ErrorType::invalid_request, "unknown service \"" + std::string(args.name) + "\"", "service_not_found"};
    return false;
  }
  if (!json::valid_utf8(env.text)) return body::refuse(error, "", "request body is not valid UTF-8", "invalid_json");
  json::Document input;
  std::string reason;
  if (!json::parse(env.text, input, reason))
    return body::refuse(error, "", "request body is not valid JSON: " + reason, "invalid_json");
  if (!input.IsObject()) return body::refuse(error, "", "service input must be a JSON object", "invalid_input");
  std::string built;
  if (!build_body(*service, {}, input, built, error)) return false;
  env.text = std::move(built);
  return openai_chat::kCodec.decode(env, args, error);
}

std::string answer_body(const model::Answer* answer) {
  const model::Output* output = answer && !answer->outputs.empty() ? &answer->outputs[0] : nullptr;
  std::string_view text = output ? std::string_view(output->text) : std::string_view();
  std::string out = "{\"text\":";
  json::append_string(out, text);
  json::Document structured;
  std::string error;
  if (!text.empty() && (text.front() == '{' || text.front() == '[') && json::parse(text, structured, error)) {
    out += ",\"json\":";
    json::append_value(out, structured);
  }
  if (answer && answer->usage.known) {
    out += ",\"usage\":";
    openai_chat::append_usage(out, answer->usage);
  }
  auto member = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += ",\"";
    out += name;
    out += "\":";
    json::append_string(out, value);
  };
  if (answer) {
    member("model", answer->model);
    member("provider", answer->provider);
  }
  out += '}';
  return out;
}

std::string answer(std::string_view stored, const model::Answer* answer, const Context&) {
  model::Answer parsed;
  std::string error;
  if (!answer && model::stored::parse(stored, parsed, error)) answer = &parsed;
  return answer_body(answer);
}

std::string error(const Error& e) { return error_body(e); }

}  // namespace

bool build_body(const config::Service& service, std::string_view model_override, const json::Value& input,
                std::string& body, Error& error) {
  auto lookup = [&](std::string_view name, std::string& out) { return field(input, name, out); };
  std::string system, prompt, image, missing;
  if (!render_template(service.system, lookup, system, missing) || !render_template(service.prompt, lookup, prompt, missing) ||
      !render_template(service.image, lookup, image, missing))
    return body::refuse(error, missing, "service \"" + service.name + "\" needs input field \"" + missing + "\"",
                        "missing_input");
  body = "{\"model\":";
  json::append_string(body, model_override.empty() ? std::string_view(service.model) : model_override);
  body += ",\"messages\":[";
  if (!system.empty()) {
    body += "{\"role\":\"system\",\"content\":";
    json::append_string(body, system);
    body += "},";
  }
  body += "{\"role\":\"user\",\"content\":";
  if (image.empty()) {
    json::append_string(body, prompt);
  } else {
    body += '[';
    if (!prompt.empty()) {
      body += "{\"type\":\"text\",\"text\":";
      json::append_string(body, prompt);
      body += "},";
    }
    body += "{\"type\":\"image_url\",\"image_url\":{\"url\":";
    json::append_string(body, image);
    body += "}}]";
  }
  body += "}]";
  if (!service.schema.empty()) {
    body += ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":";
    json::append_string(body, schema_name(service.name));
    body += ",\"schema\":";
    body += service.schema;
    body += ",\"strict\":false}}";
  }
  body += '}';
  return true;
}

const Codec kCodec{model::Format::openai_chat, decode, answer, nullptr, error};

}  // namespace sy::ingress::services
