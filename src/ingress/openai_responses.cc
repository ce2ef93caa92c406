#include "ingress/openai_responses.h"

#include <algorithm>
#include <vector>

#include "ingress/body.h"
#include "ingress/openai_responses_answer.h"
#include "ingress/openai_responses_conversations.h"
#include "ingress/openai_responses_input.h"
#include "ingress/openai_responses_stream.h"
#include "model/params.h"

namespace sy::ingress::openai_responses {

namespace {

using json::Value;

bool refuse(Error& error, const std::string& param, std::string_view expected) {
  return body::refuse(error, param, param + " " + std::string(expected));
}

bool optional_string(const Value* v) { return !v || v->IsNull() || v->IsString(); }
bool optional_bool(const Value* v) { return !v || v->IsNull() || v->IsBool(); }

// ^[a-zA-Z0-9_-]{1,64}$, as model/params.h checks function and schema names.
bool valid_name(const Value* v) {
  std::string_view name = v ? json::view(*v) : std::string_view();
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}
constexpr std::string_view kNameRule = "must be 1 to 64 characters from a-z, A-Z, 0-9, _ and -";

bool one_of(const Value& v, std::initializer_list<std::string_view> names) {
  return v.IsString() && std::find(names.begin(), names.end(), json::view(v)) != names.end();
}

// The members read once every other member is known.
struct Later {
  const Value* input = nullptr;
  const Value* instructions = nullptr;
  const Value* tool_choice = nullptr;
  bool prompt = false;
};

// Chat-completions members the Responses API has no place for, and what to send instead.
struct ChatOnly {
  std::string_view name;
  std::string_view instead;
};
constexpr ChatOnly kChatOnly[] = {
    {"messages", "input"},       {"max_tokens", "max_output_tokens"}, {"max_completion_tokens", "max_output_tokens"},
    {"response_format", "text.format"}, {"reasoning_effort", "reasoning.effort"}, {"n", ""},
    {"stop", ""},                {"functions", ""},                  {"function_call", ""},
};

// ---- tools ----------------------------------------------------------------------------------

bool function_tool(const Value& tool, const std::string& at, model::Tool& out, Error& error) {
  const Value* name = json::find(tool, "name");
  if (!valid_name(name)) return refuse(error, at + ".name", kNameRule);
  const Value* description = json::find(tool, "description");
  if (!optional_string(description)) return refuse(error, at + ".description", "must be a string");
  const Value* parameters = json::find(tool, "parameters");
  if (parameters && !parameters->IsNull() && !parameters->IsObject())
    return refuse(error, at + ".parameters", "must be a JSON Schema object");
  const Value* strict = json::find(tool, "strict");
  if (!optional_bool(strict)) return refuse(error, at + ".strict", "must be true or false");
  out.name = json::view(*name);
  out.description = description ? json::view(*description) : std::string_view();
  out.parameters = parameters && parameters->IsObject() ? parameters : nullptr;
  if (strict && strict->IsBool()) out.strict = strict->GetBool();
  return true;
}

// Function tools become canonical tools; built-in ones are kept whole (Tool::raw, no name) and
// make the request native-only.
bool read_tools(model::Envelope& env, const Value& v, Error& error) {
  env.request.tools.clear();
  if (v.IsNull()) return true;
  if (!v.IsArray()) return refuse(error, "tools", "must be an array of tools");
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const Value& tool = v[i];
    std::string at = "tools[" + std::to_string(i) + "]";
    if (!tool.IsObject()) return refuse(error, at, "must be an object");
    const Value* type = json::find(tool, "type");
    if (!type || !type->IsString() || type->GetStringLength() == 0) return refuse(error, at + ".type", "must be a string");
    model::Tool& out = env.request.tools.emplace_back();
    out.raw = &tool;
    if (json::view(*type) == "function") {
      if (!function_tool(tool, at, out, error)) return false;
    } else {
      mark_native(env, at + ".type");
    }
  }
  return true;
}

// {"type": "allowed_tools", "mode", "tools": [{type, name?}]}: the mode, and only the listed tools
// stay (function tools by name, built-in ones by type).
bool allowed_tools(model::Request& r, const Value& choice, Error& error) {
  const Value* mode = json::find(choice, "mode");
  if (!mode || !one_of(*mode, {"auto", "required"})) return refuse(error, "tool_choice.mode", "must be \"auto\" or \"required\"");
  const Value* tools = json::find(choice, "tools");
  if (!tools || !tools->IsArray()) return refuse(error, "tool_choice.tools", "must be an array of tools");
  auto listed = [&](const model::Tool& t) {
    const Value* own = t.raw ? json::find(*t.raw, "type") : nullptr;
    std::string_view type = own ? json::view(*own) : std::string_view("function");
    return std::any_of(tools->Begin(), tools->End(), [&](const Value& entry) {
      const Value* entry_type = json::find(entry, "type");
      const Value* name = json::find(entry, "name");
      if (!entry_type || json::view(*entry_type) != type) return false;
      return type != "function" || (name && json::view(*name) == t.name);
    });
  };
  std::erase_if(r.tools, [&](const model::Tool& t) { return !listed(t); });
  r.tool_choice.mode = json::view(*mode) == "auto" ? model::ToolChoice::Mode::automatic : model::ToolChoice::Mode::required;
  return true;
}

constexpr std::string_view kToolChoiceRule =
    "must be \"none\", \"auto\", \"required\" or an object such as {\"type\": \"function\", \"name\": …}";

bool read_tool_choice(model::Envelope& env, const Value& v, Error& error) {
  using Mode = model::ToolChoice::Mode;
  model::ToolChoice& choice = env.request.tool_choice;
  if (v.IsNull()) return true;
  if (v.IsString()) {
    std::string_view s = json::view(v);
    if (!one_of(v, {"none", "auto", "required"})) return refuse(error, "tool_choice", kToolChoiceRule);
    choice.mode = s == "none" ? Mode::none : s == "auto" ? Mode::automatic : Mode::required;
    return true;
  }
  if (!v.IsObject()) return refuse(error, "tool_choice", kToolChoiceRule);
  const Value* type = json::find(v, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  if (t.empty()) return refuse(error, "tool_choice.type", "must be a string");
  if (t == "allowed_tools") return allowed_tools(env.request, v, error);
  if (t == "function" || t == "custom") {
    const Value* name = json::find(v, "name");
    if (!name || !name->IsString() || name->GetStringLength() == 0)
      return refuse(error, "tool_choice.name", "must be the name of a tool");
    choice.mode = Mode::named;
    choice.name = json::view(*name);
    return true;
  }
  mark_native(env, "tool_choice.type");  // a built-in tool (web_search, file_search, mcp, …)
  choice.mode = Mode::required;
  return true;
}

// ---- text, reasoning, the other members -----------------------------------------------------

bool json_schema_format(model::ResponseFormat& out, const Value& format, Error& error) {
  const Value* name = json::find(format, "name");
  if (!valid_name(name)) return refuse(error, "text.format.name", kNameRule);
  const Value* schema = json::find(format, "schema");
  if (!schema || !schema->IsObject()) return refuse(error, "text.format.schema", "must be a JSON Schema object");
  const Value* description = json::find(format, "description");
  if (!optional_string(description)) return refuse(error, "text.format.description", "must be a string");
  const Value* strict = json::find(format, "strict");
  if (!optional_bool(strict)) return refuse(error, "text.format.strict", "must be true or false");
  out.name = json::view(*name);
  out.schema = schema;
  out.description = description ? json::view(*description) : std::string_view();
  if (strict && strict->IsBool()) out.strict = strict->GetBool();
  return true;
}

bool read_text(model::Request& r, const Value& v, Error& error) {
  using Type = model::ResponseFormat::Type;
  if (v.IsNull()) return true;
  if (!v.IsObject()) return refuse(error, "text", "must be an object such as {\"format\": {\"type\": \"text\"}}");
  const Value* verbosity = json::find(v, "verbosity");
  if (verbosity && !verbosity->IsNull() && !one_of(*verbosity, {"low", "medium", "high"}))
    return refuse(error, "text.verbosity", "must be one of low, medium, high");
  if (verbosity && !verbosity->IsNull()) r.extras.emplace_back("verbosity", verbosity);
  const Value* format = json::find(v, "format");
  r.response_format = {};
  if (!format || format->IsNull()) return true;
  if (!format->IsObject()) return refuse(error, "text.format", "must be an object such as {\"type\": \"json_schema\", …}");
  const Value* type = json::find(*format, "type");
  if (!type || !one_of(*type, {"text", "json_object", "json_schema"}))
    return refuse(error, "text.format.type", "must be \"text\", \"json_object\" or \"json_schema\"");
  std::string_view t = json::view(*type);
  r.response_format.type = t == "text" ? Type::text : t == "json_object" ? Type::json_object : Type::json_schema;
  return t != "json_schema" || json_schema_format(r.response_format, *format, error);
}

bool read_reasoning(model::Request& r, const Value& v, Error& error) {
  if (v.IsNull()) return true;
  if (!v.IsObject()) return refuse(error, "reasoning", "must be an object such as {\"effort\": \"low\"}");
  if (const Value* effort = json::find(v, "effort")) {
    model::ParamError problem;
    if (model::set_param(r, "reasoning_effort", *effort, problem) == model::ParamResult::invalid)
      return refuse(error, "reasoning.effort", problem.message);
  }
  for (const char* member : {"summary", "generate_summary"}) {
    const Value* summary = json::find(v, member);
    if (summary && !summary->IsNull() && !one_of(*summary, {"auto", "concise", "detailed"}))
      return refuse(error, "reasoning." + std::string(member), "must be one of auto, concise, detailed");
  }
  r.extras.emplace_back("reasoning", &v);  // its summary: carried where a target can take it
  return true;
}

bool integer_at_least(const Value& v, int64_t lo) { return v.IsInt64() && v.GetInt64() >= lo; }

// Members kept as extras after a check of their type.
bool read_extra(model::Request& r, std::string_view name, const Value& v, Error& error) {
  std::string n(name);
  if (name == "include" && !v.IsNull() &&
      !(v.IsArray() && std::all_of(v.Begin(), v.End(), [](const Value& e) { return e.IsString(); })))
    return refuse(error, n, "must be an array of strings");
  if (name == "truncation" && !v.IsNull() && !one_of(v, {"auto", "disabled"}))
    return refuse(error, n, "must be \"auto\" or \"disabled\"");
  if (name == "top_logprobs" && !v.IsNull() && !(integer_at_least(v, 0) && v.GetInt64() <= 20))
    return refuse(error, n, "must be an integer from 0 to 20");
  if (name == "max_tool_calls" && !v.IsNull() && !integer_at_least(v, 0))
    return refuse(error, n, "must be an integer >= 0");
  if (name == "background" && !optional_bool(&v)) return refuse(error, n, "must be true or false");
  if (name == "background" && v.IsTrue())
    return refuse(error, n, "is not supported: the gateway answers synchronously (leave background unset)");
  if (name == "conversation" && !v.IsNull())
    return refuse(error, n, "is not supported: continue a response with previous_response_id, or send the history in input");
  // Only the native path carries server-side compaction: Anthropic's Messages API has a member of
  // this name with another shape, so it is not offered to other formats as an extra.
  if (name == "context_management") return true;
  r.extras.emplace_back(name, &v);
  return true;
}

bool read_member(model::Envelope& env, std::string_view name, const Value& v, Later& later, Error& error) {
  model::Request& r = env.request;
  if (name == "input") later.input = &v;
  else if (name == "instructions") later.instructions = &v;
  else if (name == "tool_choice") later.tool_choice = &v;
  else if (name == "tools") return read_tools(env, v, error);
  else if (name == "text") return read_text(r, v, error);
  else if (name == "reasoning") return read_reasoning(r, v, error);
  else if (name == "max_output_tokens") {
    if (!v.IsNull() && !integer_at_least(v, 16)) return refuse(error, "max_output_tokens", "must be an integer >= 16");
    r.max_tokens = v.IsNull() ? -1 : v.GetInt64();
  } else if (name == "store") {
    if (!optional_bool(&v)) return refuse(error, "store", "must be true or false");
    r.store = v.IsBool() ? std::optional<bool>(v.GetBool()) : std::nullopt;
  } else if (name == "previous_response_id") {
    if (!v.IsNull() && !(v.IsString() && v.GetStringLength() > 0))
      return refuse(error, "previous_response_id", "must be the id of a response");
    r.previous_response_id = json::view(v);
  } else if (name == "prompt") {
    if (!v.IsNull() && !v.IsObject()) return refuse(error, "prompt", "must be an object such as {\"id\": \"pmpt_…\"}");
    if (v.IsObject()) {
      later.prompt = true;
      mark_native(env, "prompt");
    }
    r.extras.emplace_back(name, &v);
  } else if (name == "temperature" || name == "top_p" || name == "parallel_tool_calls" || name == "stream" ||
             name == "stream_options" || name == "user" || name == "metadata") {
    return body::param(r, name, v, error);
  } else if (auto chat = std::find_if(std::begin(kChatOnly), std::end(kChatOnly), [&](const ChatOnly& c) { return c.name == name; });
             chat != std::end(kChatOnly)) {
    return refuse(error, std::string(name), chat->instead.empty()
                                                ? "is a chat completions parameter the Responses API does not take"
                                                : "is a chat completions parameter: the Responses API takes " +
                                                      std::string(chat->instead));
  } else {
    return read_extra(r, name, v, error);
  }
  return true;
}

}  // namespace

bool decode(model::Envelope& env, const DecodeArgs&, Error& error, bool resumed) {
  if (!body::parse(env, error)) return false;
  model::Request& r = env.request;
  r.kind = model::Kind::chat;
  r.format = model::Format::openai_responses;
  r.raw = env.text;
  Later later;
  for (const auto& member : static_cast<const Value&>(env.doc).GetObject()) {
    std::string_view name = json::view(member.name);
    body::Member kind = body::routing(r, name, member.value, error);
    if (kind == body::Member::invalid) return false;
    if (kind == body::Member::other && !read_member(env, name, member.value, later, error)) return false;
  }
  if (!body::resolve_model(r, error)) return false;
  bool has_input = later.input && !later.input->IsNull();
  if (!has_input && r.previous_response_id.empty() && !later.prompt)
    return body::refuse(error, "input", "input is required", "missing_input");
  References references = resumed || r.previous_response_id.empty() ? References::native : References::deferred;
  if (!read_input(later.instructions, has_input ? later.input : nullptr, env, references, error)) return false;
  if (later.tool_choice && !read_tool_choice(env, *later.tool_choice, error)) return false;
  // A native-only request is served as it came: its whole input and tool_choice key the cache.
  if (!r.native_only.empty() && has_input) r.extras.emplace_back("input", later.input);
  if (!r.native_only.empty() && later.tool_choice) r.extras.emplace_back("tool_choice", later.tool_choice);
  return true;
}

namespace {

bool decode_body(model::Envelope& env, const DecodeArgs& args, Error& error) { return decode(env, args, error, false); }

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::openai_responses, decode_body, answer, stream_writer, error, &kConversations};

}  // namespace sy::ingress::openai_responses
