#include "ingress/body.h"

#include <algorithm>

#include "model/params.h"

namespace sy::ingress::body {

using json::Value;

bool refuse(Error& error, std::string param, std::string message, std::string code) {
  error = {400, ErrorType::invalid_request, std::move(message), std::move(code), std::move(param)};
  return false;
}

bool parse(model::Envelope& env, Error& error) {
  if (!json::valid_utf8(env.text)) return refuse(error, "", "request body is not valid UTF-8", "invalid_json");
  std::string reason;
  if (!json::parse(env.text, env.doc, reason))
    return refuse(error, "", "request body is not valid JSON: " + reason, "invalid_json");
  if (!env.doc.IsObject()) return refuse(error, "", "request body must be a JSON object", "invalid_json");
  return true;
}

namespace {

bool non_empty_string(const Value& v) { return v.IsString() && v.GetStringLength() > 0; }

bool read_models(model::Request& request, const Value& models, Error& error) {
  if (!models.IsArray() || !std::all_of(models.Begin(), models.End(), non_empty_string))
    return refuse(error, "models", "models must be an array of model names");
  request.routing.models.clear();
  for (const Value& m : models.GetArray()) request.routing.models.push_back(json::view(m));
  return true;
}

}  // namespace

Member routing(model::Request& request, std::string_view name, const Value& value, Error& error) {
  auto result = [](bool ok) { return ok ? Member::routing : Member::invalid; };
  if (name == "model") {
    if (value.IsNull()) return Member::routing;
    if (!non_empty_string(value)) return result(refuse(error, "model", "model must be a non-empty string"));
    request.model = json::view(value);
  } else if (name == "models") {
    if (!value.IsNull()) return result(read_models(request, value, error));
  } else if (name == "provider") {
    if (!value.IsNull() && !value.IsObject())
      return result(refuse(error, "provider", "provider must be an object of provider preferences"));
    request.routing.provider = value.IsObject() ? &value : nullptr;
  } else if (name == "session_id") {
    if (!value.IsNull() && !value.IsString()) return result(refuse(error, "session_id", "session_id must be a string"));
    request.routing.session_id = json::view(value);
  } else if (name == "switchyard") {
    if (!value.IsNull() && !value.IsObject()) return result(refuse(error, "switchyard", "switchyard must be an object"));
    request.controls = value.IsObject() ? &value : nullptr;
  } else {
    return Member::other;
  }
  return Member::routing;
}

bool resolve_model(model::Request& request, Error& error) {
  if (request.model.empty() && !request.routing.models.empty()) request.model = request.routing.models.front();
  if (request.model.empty()) return refuse(error, "model", "model is required", "missing_model");
  return true;
}

bool param(model::Request& request, std::string_view name, const Value& value, Error& error) {
  model::ParamError problem;
  switch (model::set_param(request, name, value, problem)) {
    case model::ParamResult::set:
      return true;
    case model::ParamResult::unknown:
      request.extras.emplace_back(name, &value);
      return true;
    case model::ParamResult::invalid:
      break;
  }
  std::string field = std::string(name) + problem.path;
  return refuse(error, field, field + " " + problem.message);
}

}  // namespace sy::ingress::body
