#include "services/service.h"

namespace sy::services {

namespace {

using json::Value;

// Writes an input field as template text: strings raw, anything else as JSON.
bool field(const Value& input, std::string_view name, std::string& out) {
  const Value* v = json::find(input, name);
  if (!v) return false;
  if (v->IsString()) out.append(json::view(*v));
  else json::append_value(out, *v);
  return true;
}

}  // namespace

bool build_request(const config::Service& service, const Value& input, std::string& body, Error& error) {
  auto lookup = [&](std::string_view name, std::string& out) { return field(input, name, out); };
  std::string system, prompt, image, missing;
  if (!render(service.system, lookup, system, missing) || !render(service.prompt, lookup, prompt, missing) ||
      !render(service.image, lookup, image, missing)) {
    error = {400, ErrorType::invalid_request,
             "service \"" + service.name + "\" needs input field \"" + missing + "\"", "missing_input",
             missing};
    return false;
  }
  body = "{\"model\":";
  json::append_string(body, service.model);
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
  body += "}]}";
  return true;
}

std::string answer(std::string_view completion) {
  json::Document doc;
  std::string error;
  std::string out = "{\"text\":";
  std::string_view text;
  if (json::parse(completion, doc, error)) {
    const Value* choices = json::find(doc, "choices");
    if (choices && choices->IsArray() && !choices->Empty()) {
      const Value* message = json::find((*choices)[0], "message");
      if (const Value* content = message ? json::find(*message, "content") : nullptr) text = json::view(*content);
    }
  }
  json::append_string(out, text);
  json::Document structured;
  if (!text.empty() && (text.front() == '{' || text.front() == '[') && json::parse(text, structured, error)) {
    out += ",\"json\":";
    json::append_value(out, structured);
  }
  for (const char* name : {"usage", "model", "provider"}) {
    if (const Value* v = json::find(doc, name)) {
      out += ",\"";
      out += name;
      out += "\":";
      json::append_value(out, *v);
    }
  }
  out += '}';
  return out;
}

}  // namespace sy::services
