// The body of a Messages request: its top-level members (anthropic_messages.h).
#include "ingress/anthropic_messages.h"

#include <algorithm>

#include "ingress/anthropic_messages_impl.h"
#include "ingress/body.h"
#include "model/params.h"

namespace sy::ingress::anthropic_messages {

namespace {

using json::Value;

bool refuse(Error& error, const std::string& param, std::string_view expected) {
  return body::refuse(error, param, param + " " + std::string(expected));
}

std::string at(std::string_view base, size_t index) { return std::string(base) + "[" + std::to_string(index) + "]"; }

// A canonical parameter under its own name (the same name and meaning in both formats).
bool param(model::Request& request, std::string_view name, const Value& value, Error& error) {
  model::ParamError problem;
  if (model::set_param(request, name, value, problem) != model::ParamResult::invalid) return true;
  std::string field = std::string(name) + problem.path;
  return body::refuse(error, field, field + " " + problem.message);
}

// ---- tools ----------------------------------------------------------------------------------

// Anthropic's rules for a tool name and a server tool's type ("web_search_20250305").
bool valid_tool_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool server_tool_type(std::string_view type) {
  if (type.size() < 10 || type[type.size() - 9] != '_') return false;
  return std::all_of(type.end() - 8, type.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A tool the caller runs: {name, description?, input_schema, strict?, cache_control?, …}. Its
// raw stays unset: other codecs read Tool::raw as OpenAI's tool shape.
bool custom_tool(const Value& t, const std::string& ti, model::Tool& out, Error& error) {
  const Value* name = json::find(t, "name");
  if (!name || !valid_tool_name(json::view(*name)))
    return refuse(error, ti + ".name", "must be 1 to 128 letters, digits, _ or -");
  const Value* description = json::find(t, "description");
  if (description && !description->IsNull() && !description->IsString())
    return refuse(error, ti + ".description", "must be a string");
  const Value* schema = json::find(t, "input_schema");
  if (!schema || !schema->IsObject()) return refuse(error, ti + ".input_schema", "is required: a JSON Schema object");
  const Value* type = json::find(*schema, "type");
  if (!type || json::view(*type) != "object") return refuse(error, ti + ".input_schema.type", "must be \"object\"");
  const Value* strict = json::find(t, "strict");
  if (strict && !strict->IsNull() && !strict->IsBool()) return refuse(error, ti + ".strict", "must be true or false");
  out.name = json::view(*name);
  out.description = description ? json::view(*description) : std::string_view();
  out.parameters = schema;
  if (strict && strict->IsBool()) out.strict = strict->GetBool();
  return true;
}

bool read_tools(const Value& tools, model::Request& request, Error& error) {
  if (!tools.IsArray()) return refuse(error, "tools", "must be an array of tools");
  request.tools.resize(tools.Size());
  for (rapidjson::SizeType i = 0; i < tools.Size(); ++i) {
    const Value& t = tools[i];
    std::string ti = at("tools", i);
    if (!t.IsObject()) return refuse(error, ti, "must be an object");
    const Value* type = json::find(t, "type");
    std::string_view kind = type ? json::view(*type) : std::string_view();
    model::Tool& out = request.tools[i];
    if (!type || type->IsNull() || kind == "custom") {
      if (!custom_tool(t, ti, out, error)) return false;
    } else if (server_tool_type(kind)) {
      const Value* name = json::find(t, "name");
      if (!name || !name->IsString() || name->GetStringLength() == 0) return refuse(error, ti + ".name", "must be a string");
      out.name = json::view(*name);
      out.raw = &t;
      out.server = model::Format::anthropic_messages;
    } else {
      return refuse(error, ti + ".type",
                    "must be \"custom\" (or absent) for a tool you run, or a server tool type such as "
                    "\"web_search_20250305\"");
    }
  }
  return true;
}

// {type: auto | any | tool | none, name (tool), disable_parallel_tool_use?}
bool read_tool_choice(const Value& c, model::Request& request, Error& error) {
  using Mode = model::ToolChoice::Mode;
  if (!c.IsObject()) return refuse(error, "tool_choice", "must be an object such as {\"type\": \"auto\"}");
  const Value* type = json::find(c, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  model::ToolChoice& choice = request.tool_choice;
  if (t == "auto") choice.mode = Mode::automatic;
  else if (t == "any") choice.mode = Mode::required;
  else if (t == "none") choice.mode = Mode::none;
  else if (t == "tool") choice.mode = Mode::named;
  else return refuse(error, "tool_choice.type", "must be one of auto, any, tool, none");
  if (t == "tool") {
    const Value* name = json::find(c, "name");
    if (!name || !name->IsString() || name->GetStringLength() == 0)
      return refuse(error, "tool_choice.name", "is required for tool_choice type tool (a tool's name)");
    choice.name = json::view(*name);
  }
  const Value* serial = json::find(c, "disable_parallel_tool_use");
  if (serial && !serial->IsNull() && !serial->IsBool())
    return refuse(error, "tool_choice.disable_parallel_tool_use", "must be true or false");
  if (serial && serial->IsBool() && serial->GetBool()) request.parallel_tool_calls = false;
  return true;
}

// ---- thinking, output_config, metadata, stop_sequences ----------------------------------------

constexpr int64_t kMinThinkingBudget = 1024;  // Anthropic's smallest budget_tokens

// {type: enabled, budget_tokens} -> reasoning_budget; {type: disabled} -> 0; {type: adaptive}
// (the model decides) has no canonical form: kept among the extras.
bool read_thinking(const Value& v, model::Request& request, Error& error) {
  if (!v.IsObject()) return refuse(error, "thinking", "must be an object such as {\"type\": \"enabled\", \"budget_tokens\": 2048}");
  const Value* type = json::find(v, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  const Value* display = json::find(v, "display");
  std::string_view d = display ? json::view(*display) : std::string_view();
  if (display && !display->IsNull() && d != "summarized" && d != "omitted")
    return refuse(error, "thinking.display", "must be \"summarized\" or \"omitted\"");
  if (t == "enabled") {
    const Value* budget = json::find(v, "budget_tokens");
    if (!budget || !budget->IsInt64() || budget->GetInt64() < kMinThinkingBudget)
      return refuse(error, "thinking.budget_tokens", "must be an integer >= 1024");
    request.reasoning_budget = budget->GetInt64();
  } else if (t == "disabled") {
    request.reasoning_budget = 0;
  } else if (t == "adaptive") {
    request.extras.emplace_back("thinking", &v);
  } else {
    return refuse(error, "thinking.type", "must be one of enabled, disabled, adaptive");
  }
  return true;
}

// {effort?: low … max -> reasoning_effort, format?: {type: json_schema, schema} -> response_format}
bool read_output_config(const Value& v, model::Request& request, Error& error) {
  if (!v.IsObject()) return refuse(error, "output_config", "must be an object such as {\"effort\": \"high\"}");
  for (const auto& m : v.GetObject()) {
    std::string_view name = json::view(m.name);
    std::string field = "output_config." + std::string(name);
    if (name == "effort") {
      std::string_view e = json::view(m.value);
      if (!m.value.IsNull() && e != "low" && e != "medium" && e != "high" && e != "xhigh" && e != "max")
        return refuse(error, field, "must be one of low, medium, high, xhigh, max");
      if (!e.empty()) request.reasoning_effort = e;
    } else if (name == "format") {
      if (m.value.IsNull()) continue;
      const Value* type = json::find(m.value, "type");
      if (!type || json::view(*type) != "json_schema") return refuse(error, field + ".type", "must be \"json_schema\"");
      const Value* schema = json::find(m.value, "schema");
      if (!schema || !schema->IsObject()) return refuse(error, field + ".schema", "must be a JSON Schema object");
      request.response_format.type = model::ResponseFormat::Type::json_schema;
      request.response_format.name = "output";
      request.response_format.schema = schema;
    } else {
      return refuse(error, field, "is not an output_config member (effort, format)");
    }
  }
  return true;
}

// Only user_id (the end user, canonical `user`): Anthropic's metadata takes nothing else.
bool read_metadata(const Value& v, model::Request& request, Error& error) {
  if (!v.IsObject()) return refuse(error, "metadata", "must be an object such as {\"user_id\": \"…\"}");
  for (const auto& m : v.GetObject()) {
    std::string field = "metadata." + std::string(json::view(m.name));
    if (json::view(m.name) != "user_id") return refuse(error, field, "is not a metadata member (only user_id is)");
    if (!m.value.IsNull() && !m.value.IsString()) return refuse(error, field, "must be a string");
    request.user = json::view(m.value);
  }
  return true;
}

bool read_stop_sequences(const Value& v, model::Request& request, Error& error) {
  if (!v.IsArray()) return refuse(error, "stop_sequences", "must be an array of strings");
  request.sampling.stop.clear();
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString()) return refuse(error, at("stop_sequences", i), "must be a string");
    request.sampling.stop.push_back(json::view(v[i]));
  }
  return true;
}

// ---- the body -------------------------------------------------------------------------------

// One member of the body that is not a routing member, nor messages or system (read after).
bool member(model::Request& request, std::string_view name, const Value& value, Error& error) {
  if (name == "max_tokens") {
    if (value.IsNull()) return refuse(error, "max_tokens", "must be a positive integer");
    return param(request, name, value, error);
  }
  if (value.IsNull()) return true;  // absent, as the SDKs mean it
  if (name == "temperature") {
    if (!value.IsNumber() || value.GetDouble() < 0 || value.GetDouble() > 1)
      return refuse(error, "temperature", "must be a number from 0 to 1");
    return param(request, name, value, error);
  }
  if (name == "top_p" || name == "top_k" || name == "stream") return param(request, name, value, error);
  if (name == "stop_sequences") return read_stop_sequences(value, request, error);
  if (name == "metadata") return read_metadata(value, request, error);
  if (name == "tools") return read_tools(value, request, error);
  if (name == "tool_choice") return read_tool_choice(value, request, error);
  if (name == "thinking") return read_thinking(value, request, error);
  if (name == "output_config") return read_output_config(value, request, error);
  request.extras.emplace_back(name, &value);
  return true;
}

template <bool kNeedsMaxTokens>
bool decode(model::Envelope& env, const DecodeArgs&, Error& error) {
  if (!body::parse(env, error)) return false;
  model::Request& request = env.request;
  request.kind = model::Kind::chat;
  request.format = model::Format::anthropic_messages;
  request.raw = env.text;
  const Value* messages = nullptr;
  const Value* system = nullptr;
  bool max_tokens = false;
  for (const auto& m : static_cast<const Value&>(env.doc).GetObject()) {
    std::string_view name = json::view(m.name);
    body::Member kind = body::routing(request, name, m.value, error);
    if (kind == body::Member::invalid) return false;
    if (kind == body::Member::routing) continue;
    if (name == "messages") messages = &m.value;
    else if (name == "system") system = &m.value;
    else if (!member(request, name, m.value, error)) return false;
    max_tokens = max_tokens || name == "max_tokens";
  }
  if (!body::resolve_model(request, error)) return false;
  if (kNeedsMaxTokens && !max_tokens) return body::refuse(error, "max_tokens", "max_tokens is required", "missing_max_tokens");
  if (!messages) return body::refuse(error, "messages", "messages is required", "missing_messages");
  if (system && !system->IsNull() && !read_system(*system, env, error)) return false;
  return read_messages(*messages, env, error);
}

}  // namespace

const Codec kCodec{model::Format::anthropic_messages, decode<true>, answer, stream_writer, error_body};
const Codec kCountTokens{model::Format::anthropic_messages, decode<false>, answer, stream_writer, error_body};

}  // namespace sy::ingress::anthropic_messages
