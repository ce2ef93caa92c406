#include "model/params.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace sy::model {

namespace {

using json::Value;

bool refuse(ParamError& error, std::string path, std::string message) {
  error = {std::move(path), std::move(message)};
  return false;
}

std::string index_path(size_t i, std::string_view rest = {}) {
  return "[" + std::to_string(i) + "]" + std::string(rest);
}

// Code points, as OpenAI counts "characters" in its length limits.
size_t characters(std::string_view text) {
  return size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool optional_bool(const Value* v) { return !v || v->IsNull() || v->IsBool(); }
bool optional_string(const Value* v) { return !v || v->IsNull() || v->IsString(); }

// ^[a-zA-Z0-9_-]{1,64}$: the names OpenAI accepts for functions and response schemas.
bool valid_name(const Value& v) {
  std::string_view name = json::view(v);
  return v.IsString() && !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}
constexpr const char* kNameRule = "must be 1 to 64 characters from a-z, A-Z, 0-9, _ and -";

std::string range_text(double lo, double hi) {
  std::string out;
  json::append_number(out, lo);
  out += " to ";
  json::append_number(out, hi);
  return out;
}

bool set_number(std::optional<double>& field, const Value& v, double lo, double hi, ParamError& error) {
  if (v.IsNull()) {
    field.reset();
    return true;
  }
  if (!v.IsNumber() || v.GetDouble() < lo || v.GetDouble() > hi)
    return refuse(error, "", "must be a number from " + range_text(lo, hi));
  field = v.GetDouble();
  return true;
}

bool integer_in(const Value& v, int64_t lo, int64_t hi) { return v.IsInt64() && v.GetInt64() >= lo && v.GetInt64() <= hi; }

bool set_integer(std::optional<int64_t>& field, const Value& v, int64_t lo, int64_t hi, ParamError& error) {
  if (v.IsNull()) {
    field.reset();
    return true;
  }
  if (!integer_in(v, lo, hi))
    return refuse(error, "", hi == INT64_MAX ? "must be an integer >= " + std::to_string(lo)
                                             : "must be an integer from " + range_text(double(lo), double(hi)));
  field = v.GetInt64();
  return true;
}

bool set_bool(std::optional<bool>& field, const Value& v, ParamError& error) {
  if (!optional_bool(&v)) return refuse(error, "", "must be true or false");
  field = v.IsBool() ? std::optional<bool>(v.GetBool()) : std::nullopt;
  return true;
}

bool set_seed(Request& r, const Value& v, ParamError& error) {
  if (!v.IsNull() && !v.IsInt64()) return refuse(error, "", "must be an integer");
  r.sampling.seed = v.IsNull() ? std::nullopt : std::optional<int64_t>(v.GetInt64());
  return true;
}

bool set_n(Request& r, const Value& v, ParamError& error) {
  if (!v.IsNull() && !integer_in(v, 1, 128)) return refuse(error, "", "must be an integer from 1 to 128");
  r.sampling.n = v.IsNull() ? 1 : v.GetInt64();
  return true;
}

bool set_max_tokens(Request& r, const Value& v, ParamError& error) {
  if (!v.IsNull() && !(v.IsInt64() && v.GetInt64() > 0)) return refuse(error, "", "must be a positive integer");
  r.max_tokens = v.IsNull() ? -1 : v.GetInt64();
  return true;
}

bool set_stop(Request& r, const Value& v, ParamError& error) {
  std::vector<std::string_view> stop;
  if (v.IsString()) {
    stop.push_back(json::view(v));
  } else if (v.IsArray()) {
    if (v.Size() > 4) return refuse(error, "", "must be a string or an array of up to 4 strings");
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (!v[i].IsString()) return refuse(error, index_path(i), "must be a string");
      stop.push_back(json::view(v[i]));
    }
  } else if (!v.IsNull()) {
    return refuse(error, "", "must be a string or an array of up to 4 strings");
  }
  r.sampling.stop = std::move(stop);
  return true;
}

bool token_id(std::string_view key) {
  return !key.empty() && key.size() <= 10 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool set_logit_bias(Request& r, const Value& v, ParamError& error) {
  if (v.IsNull()) {
    r.sampling.logit_bias = nullptr;
    return true;
  }
  if (!v.IsObject()) return refuse(error, "", "must be an object mapping token ids to integers from -100 to 100");
  for (const auto& m : v.GetObject()) {
    std::string_view key = json::view(m.name);
    if (!token_id(key)) return refuse(error, "", "keys must be token ids (whole numbers), not \"" + std::string(key) + "\"");
    if (!integer_in(m.value, -100, 100)) return refuse(error, "." + std::string(key), "must be an integer from -100 to 100");
  }
  r.sampling.logit_bias = &v;
  return true;
}

// A function tool's {name, description?, parameters?, strict?}; `at` is the tool's path.
bool function_tool(const Value& tool, const std::string& at, Tool& out, ParamError& error) {
  const Value* function = json::find(tool, "function");
  if (!function || !function->IsObject()) return refuse(error, at + ".function", "must be an object");
  const Value* name = json::find(*function, "name");
  if (!name || !valid_name(*name)) return refuse(error, at + ".function.name", kNameRule);
  const Value* description = json::find(*function, "description");
  if (!optional_string(description)) return refuse(error, at + ".function.description", "must be a string");
  const Value* parameters = json::find(*function, "parameters");
  if (parameters && !parameters->IsNull() && !parameters->IsObject())
    return refuse(error, at + ".function.parameters", "must be a JSON Schema object");
  const Value* strict = json::find(*function, "strict");
  if (!optional_bool(strict)) return refuse(error, at + ".function.strict", "must be true or false");
  out.name = json::view(*name);
  out.description = description ? json::view(*description) : std::string_view();
  out.parameters = parameters && parameters->IsObject() ? parameters : nullptr;
  if (strict && strict->IsBool()) out.strict = strict->GetBool();
  return true;
}

// Tools of other types (custom, provider built-ins) are kept whole in `raw`, named from their
// own object ({"type": "custom", "custom": {"name": …}}) or their "name" member.
void other_tool(const Value& tool, std::string_view type, Tool& out) {
  out.raw = &tool;
  const Value* own = json::find(tool, type);
  const Value* name = own ? json::find(*own, "name") : nullptr;
  if (!name || !name->IsString()) name = json::find(tool, "name");
  if (name) out.name = json::view(*name);
}

bool set_tools(Request& r, const Value& v, ParamError& error) {
  if (!v.IsNull() && !v.IsArray()) return refuse(error, "", "must be an array of tools");
  std::vector<Tool> tools;
  for (rapidjson::SizeType i = 0; v.IsArray() && i < v.Size(); ++i) {
    const Value& tool = v[i];
    std::string at = index_path(i);
    if (!tool.IsObject()) return refuse(error, at, "must be an object");
    const Value* type = json::find(tool, "type");
    if (!type || !type->IsString() || type->GetStringLength() == 0) return refuse(error, at + ".type", "must be a string");
    Tool& out = tools.emplace_back();
    if (json::view(*type) != "function") other_tool(tool, json::view(*type), out);
    else if (!function_tool(tool, at, out, error)) return false;
  }
  r.tools = std::move(tools);
  return true;
}

constexpr const char* kToolChoiceRule =
    "must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}";

// {"type": "allowed_tools", "allowed_tools": {"mode": "auto" | "required", "tools": [...]}}: the
// mode; the ingress narrows the tools themselves.
bool allowed_tools_mode(const Value& choice, ToolChoice& out, ParamError& error) {
  const Value* allowed = json::find(choice, "allowed_tools");
  if (!allowed || !allowed->IsObject()) return refuse(error, ".allowed_tools", "must be an object");
  const Value* mode = json::find(*allowed, "mode");
  std::string_view m = mode ? json::view(*mode) : std::string_view();
  if (m != "auto" && m != "required") return refuse(error, ".allowed_tools.mode", "must be \"auto\" or \"required\"");
  const Value* tools = json::find(*allowed, "tools");
  if (!tools || !tools->IsArray()) return refuse(error, ".allowed_tools.tools", "must be an array");
  out.mode = m == "auto" ? ToolChoice::Mode::automatic : ToolChoice::Mode::required;
  return true;
}

bool set_tool_choice(Request& r, const Value& v, ParamError& error) {
  ToolChoice choice;
  if (v.IsString()) {
    std::string_view s = json::view(v);
    if (s == "none") choice.mode = ToolChoice::Mode::none;
    else if (s == "auto") choice.mode = ToolChoice::Mode::automatic;
    else if (s == "required") choice.mode = ToolChoice::Mode::required;
    else return refuse(error, "", kToolChoiceRule);
  } else if (v.IsObject()) {
    const Value* type = json::find(v, "type");
    std::string_view t = type ? json::view(*type) : std::string_view();
    if (t == "allowed_tools") {
      if (!allowed_tools_mode(v, choice, error)) return false;
    } else if (t == "function" || t == "custom") {
      const Value* named = json::find(v, t);
      const Value* name = named ? json::find(*named, "name") : nullptr;
      if (!name || !name->IsString() || name->GetStringLength() == 0)
        return refuse(error, "." + std::string(t) + ".name", "must be the name of a tool");
      choice.mode = ToolChoice::Mode::named;
      choice.name = json::view(*name);
    } else {
      return refuse(error, ".type", "must be \"function\", \"custom\" or \"allowed_tools\"");
    }
  } else if (!v.IsNull()) {
    return refuse(error, "", kToolChoiceRule);
  }
  r.tool_choice = choice;
  return true;
}

bool json_schema_format(const Value& format, ResponseFormat& out, ParamError& error) {
  const Value* spec = json::find(format, "json_schema");
  if (!spec || !spec->IsObject()) return refuse(error, ".json_schema", "must be an object");
  const Value* name = json::find(*spec, "name");
  if (!name || !valid_name(*name)) return refuse(error, ".json_schema.name", kNameRule);
  const Value* description = json::find(*spec, "description");
  if (!optional_string(description)) return refuse(error, ".json_schema.description", "must be a string");
  const Value* schema = json::find(*spec, "schema");
  if (schema && !schema->IsNull() && !schema->IsObject())
    return refuse(error, ".json_schema.schema", "must be a JSON Schema object");
  const Value* strict = json::find(*spec, "strict");
  if (!optional_bool(strict)) return refuse(error, ".json_schema.strict", "must be true or false");
  out.name = json::view(*name);
  out.description = description ? json::view(*description) : std::string_view();
  out.schema = schema && schema->IsObject() ? schema : nullptr;
  if (strict && strict->IsBool()) out.strict = strict->GetBool();
  return true;
}

bool set_response_format(Request& r, const Value& v, ParamError& error) {
  ResponseFormat format;
  if (v.IsObject()) {
    const Value* type = json::find(v, "type");
    std::string_view t = type ? json::view(*type) : std::string_view();
    if (t == "text") format.type = ResponseFormat::Type::text;
    else if (t == "json_object") format.type = ResponseFormat::Type::json_object;
    else if (t == "json_schema") format.type = ResponseFormat::Type::json_schema;
    else return refuse(error, ".type", "must be \"text\", \"json_object\" or \"json_schema\"");
    if (t == "json_schema" && !json_schema_format(v, format, error)) return false;
  } else if (!v.IsNull()) {
    return refuse(error, "", "must be an object such as {\"type\": \"json_object\"}");
  }
  r.response_format = format;
  return true;
}

bool set_reasoning_effort(Request& r, const Value& v, ParamError& error) {
  constexpr std::string_view kEfforts[] = {"none", "minimal", "low", "medium", "high", "xhigh", "max"};
  std::string_view e = json::view(v);
  if (!v.IsNull() && (!v.IsString() || std::find(std::begin(kEfforts), std::end(kEfforts), e) == std::end(kEfforts)))
    return refuse(error, "", "must be one of none, minimal, low, medium, high, xhigh, max");
  r.reasoning_effort = e;
  return true;
}

bool set_user(Request& r, const Value& v, ParamError& error) {
  if (!optional_string(&v)) return refuse(error, "", "must be a string");
  r.user = json::view(v);
  return true;
}

bool set_metadata(Request& r, const Value& v, ParamError& error) {
  if (v.IsNull()) {
    r.metadata = nullptr;
    return true;
  }
  if (!v.IsObject()) return refuse(error, "", "must be an object of up to 16 string values");
  if (v.MemberCount() > 16) return refuse(error, "", "must have at most 16 members");
  for (const auto& m : v.GetObject()) {
    std::string_view key = json::view(m.name);
    if (characters(key) > 64) return refuse(error, "", "keys must be at most 64 characters");
    if (!m.value.IsString() || characters(json::view(m.value)) > 512)
      return refuse(error, "." + std::string(key), "must be a string of at most 512 characters");
  }
  r.metadata = &v;
  return true;
}

bool set_stream(Request& r, const Value& v, ParamError& error) {
  if (!optional_bool(&v)) return refuse(error, "", "must be true or false");
  r.stream = v.IsTrue();
  return true;
}

bool set_stream_options(Request& r, const Value& v, ParamError& error) {
  if (!v.IsNull() && !v.IsObject()) return refuse(error, "", "must be an object such as {\"include_usage\": true}");
  const Value* usage = v.IsObject() ? json::find(v, "include_usage") : nullptr;
  if (!optional_bool(usage)) return refuse(error, ".include_usage", "must be true or false");
  if (v.IsObject() && !optional_bool(json::find(v, "include_obfuscation")))
    return refuse(error, ".include_obfuscation", "must be true or false");
  r.include_usage = usage && usage->IsTrue();
  return true;
}

using Setter = bool (*)(Request&, const Value&, ParamError&);

struct Param {
  std::string_view name;
  Setter set;
};

constexpr Param kParams[] = {
    {"temperature", [](Request& r, const Value& v, ParamError& e) { return set_number(r.sampling.temperature, v, 0, 2, e); }},
    {"top_p", [](Request& r, const Value& v, ParamError& e) { return set_number(r.sampling.top_p, v, 0, 1, e); }},
    {"presence_penalty",
     [](Request& r, const Value& v, ParamError& e) { return set_number(r.sampling.presence_penalty, v, -2, 2, e); }},
    {"frequency_penalty",
     [](Request& r, const Value& v, ParamError& e) { return set_number(r.sampling.frequency_penalty, v, -2, 2, e); }},
    {"seed", set_seed},
    {"top_k", [](Request& r, const Value& v, ParamError& e) { return set_integer(r.sampling.top_k, v, 0, INT64_MAX, e); }},
    {"n", set_n},
    {"stop", set_stop},
    {"max_tokens", set_max_tokens},
    {"max_completion_tokens", set_max_tokens},
    {"logprobs", [](Request& r, const Value& v, ParamError& e) { return set_bool(r.sampling.logprobs, v, e); }},
    {"top_logprobs", [](Request& r, const Value& v, ParamError& e) { return set_integer(r.sampling.top_logprobs, v, 0, 20, e); }},
    {"logit_bias", set_logit_bias},
    {"tools", set_tools},
    {"tool_choice", set_tool_choice},
    {"parallel_tool_calls", [](Request& r, const Value& v, ParamError& e) { return set_bool(r.parallel_tool_calls, v, e); }},
    {"response_format", set_response_format},
    {"reasoning_effort", set_reasoning_effort},
    {"user", set_user},
    {"metadata", set_metadata},
    {"stream", set_stream},
    {"stream_options", set_stream_options},
};

}  // namespace

ParamResult set_param(Request& request, std::string_view name, const json::Value& value, ParamError& error) {
  for (const Param& p : kParams)
    if (p.name == name) return p.set(request, value, error) ? ParamResult::set : ParamResult::invalid;
  return ParamResult::unknown;
}

}  // namespace sy::model
