#include "providers/anthropic.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"
#include "providers/anthropic_forward.h"
#include "providers/sse_parser.h"
#include "providers/translate.h"

namespace sy::providers::anthropic {

namespace {

using json::Value;
using model::Part;
using model::PartType;
using translate::Turn;

std::string_view string_at(const Value& object, std::string_view name) {
  const Value* v = json::find(object, name);
  return v ? json::view(*v) : std::string_view();
}

// The last extra member called `name`, or nullptr.
const Value* extra(const model::Request& request, std::string_view name) {
  const Value* found = nullptr;
  for (const auto& [n, value] : request.extras)
    if (n == name) found = value;
  return found;
}

// ---------------------------------------------------------------------------------------
// Request: content blocks

// Closes a block, copying the caller's cache_control marker (prompt caching; OpenRouter lets
// OpenAI-format callers put it on content parts) when the part has one.
std::string close_block(std::string block, const Part* part) {
  if (part && part->raw)
    if (const Value* cc = json::find(*part->raw, "cache_control"); cc && cc->IsObject()) {
      block += ",\"cache_control\":";
      json::append_value(block, *cc);
    }
  return block + '}';
}

std::string text_block(std::string_view text, const Part* part) {
  std::string b = "{\"type\":\"text\",\"text\":";
  json::append_string(b, text);
  return close_block(std::move(b), part);
}

// An image part as an image block: a base64 data: URL or an http(s) URL; empty otherwise.
std::string image_block(const Part& part) {
  std::string_view url = part.url, media_type, data;
  std::string b = "{\"type\":\"image\",\"source\":";
  if (translate::split_data_url(url, media_type, data)) {
    b += "{\"type\":\"base64\",\"media_type\":";
    json::append_string(b, media_type);
    b += ",\"data\":";
    json::append_string(b, data);
  } else if (url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://") {
    b += "{\"type\":\"url\",\"url\":";
    json::append_string(b, url);
  } else {
    return {};
  }
  return close_block(b + '}', &part);
}

// A file part holding a PDF (base64 data: URL) as a document block titled with the file name;
// empty for any other file (Anthropic takes no other file by value).
std::string document_block(const Part& part) {
  std::string_view media_type, data;
  if (!translate::split_data_url(part.url, media_type, data) || media_type != "application/pdf") return {};
  std::string b = "{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":";
  json::append_string(b, data);
  b += '}';
  if (!part.name.empty()) {
    b += ",\"title\":";
    json::append_string(b, part.name);
  }
  return close_block(std::move(b), &part);
}

// A tool call as a tool_use block; arguments that are not a JSON object become {}.
std::string tool_use_block(const Part& part) {
  std::string b = "{\"type\":\"tool_use\",\"id\":";
  json::append_string(b, part.id.empty() ? std::string_view("call_0") : part.id);
  b += ",\"name\":";
  json::append_string(b, part.name);
  b += ",\"input\":";
  json::Document parsed;
  std::string error;
  if (json::parse(part.arguments, parsed, error) && parsed.IsObject()) json::append_value(b, parsed);
  else b += "{}";
  return b + '}';
}

std::string tool_result_block(const Part& part) {
  std::string b = "{\"type\":\"tool_result\",\"tool_use_id\":";
  json::append_string(b, part.id);
  if (!part.text.empty()) {
    b += ",\"content\":";
    json::append_string(b, part.text);
  }
  return close_block(std::move(b), &part);
}

// Reasoning Anthropic can verify: its own redacted data, or thinking with a signature.
bool signed_reasoning(const Part& part) {
  return part.type == PartType::reasoning && (part.redacted ? !part.text.empty() : !part.signature.empty());
}

// Reasoning as a thinking (or redacted_thinking) block; empty when it is not signed.
std::string reasoning_block(const Part& part) {
  if (!signed_reasoning(part)) return {};
  std::string b;
  if (part.redacted) {
    b = "{\"type\":\"redacted_thinking\",\"data\":";
    json::append_string(b, part.text);
    return b + '}';
  }
  b = "{\"type\":\"thinking\",\"thinking\":";
  json::append_string(b, part.text);
  b += ",\"signature\":";
  json::append_string(b, part.signature);
  return b + '}';
}

void add(std::vector<Turn>& turns, bool user, const std::string& block) {
  if (!block.empty()) translate::add_to_turn(turns, user, block);
}

// A user or assistant message's blocks: an assistant's reasoning first, then text (empty texts
// are skipped: Anthropic refuses them), images and PDFs (user turns), tool calls (assistant
// turns). Audio and other files are dropped.
void add_message(std::vector<Turn>& turns, const model::Message& m) {
  bool user = m.role == model::Role::user;
  if (!user)
    for (const Part& p : m.parts)
      if (p.type == PartType::reasoning) add(turns, false, reasoning_block(p));
  for (const Part& p : m.parts) {
    switch (p.type) {
      case PartType::text:
      case PartType::refusal:
        if (!p.text.empty()) add(turns, user, text_block(p.text, &p));
        break;
      case PartType::image:
        if (user) add(turns, user, image_block(p));
        break;
      case PartType::file:
        if (user) add(turns, user, document_block(p));
        break;
      case PartType::tool_call:
        if (!user && !p.name.empty()) add(turns, false, tool_use_block(p));
        break;
      case PartType::tool_result:
        add(turns, true, tool_result_block(p));
        break;
      case PartType::audio:
      case PartType::reasoning:
        break;
    }
  }
}

// The conversation as alternating turns (tool results join the user side).
std::vector<Turn> turns_of(const model::Request& r) {
  std::vector<Turn> turns;
  for (const model::Message& m : r.messages) {
    switch (m.role) {
      case model::Role::system:
      case model::Role::developer:
        break;  // the top-level system prompt
      case model::Role::user:
      case model::Role::assistant:
        add_message(turns, m);
        break;
      case model::Role::tool:
        for (const Part& p : m.parts)
          if (p.type == PartType::tool_result) add(turns, true, tool_result_block(p));
        break;
    }
  }
  return turns;
}

void append_messages(std::string& b, const std::vector<Turn>& turns) {
  b += ",\"messages\":[";
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i) b += ',';
    b += turns[i].user ? "{\"role\":\"user\",\"content\":[" : "{\"role\":\"assistant\",\"content\":[";
    b += turns[i].items;
    b += "]}";
  }
  b += ']';
}

bool system_role(const model::Message& m) {
  return m.role == model::Role::system || m.role == model::Role::developer;
}

// The system prompt: one string (texts joined by a blank line), or, when a system part carries
// a cache_control marker, an array of text blocks that keeps the markers.
void append_system(std::string& b, const model::Request& r) {
  bool marked = false;
  for (const model::Message& m : r.messages)
    if (system_role(m))
      for (const Part& p : m.parts) marked = marked || (p.raw && json::find(*p.raw, "cache_control"));
  if (!marked) {
    std::string system = translate::system_prompt(r);
    if (system.empty()) return;
    b += ",\"system\":";
    json::append_string(b, system);
    return;
  }
  std::string blocks;
  for (const model::Message& m : r.messages)
    if (system_role(m))
      for (const Part& p : m.parts)
        if (p.type == PartType::text && !p.text.empty()) blocks += (blocks.empty() ? "" : ",") + text_block(p.text, &p);
  if (!blocks.empty()) b += ",\"system\":[" + blocks + "]";
}

// ---------------------------------------------------------------------------------------
// Request: tools, tool_choice, structured output

// A function tool Anthropic can take (other tool types, such as OpenAI's built-in ones, cannot).
bool sendable(const model::Tool& tool) {
  if (tool.name.empty()) return false;
  const Value* type = tool.raw ? json::find(*tool.raw, "type") : nullptr;
  return !type || json::view(*type) == "function";
}

bool has_tool(const model::Request& r, std::string_view name) {
  return std::any_of(r.tools.begin(), r.tools.end(),
                     [&](const model::Tool& t) { return sendable(t) && t.name == name; });
}

bool has_tools(const model::Request& r) { return std::any_of(r.tools.begin(), r.tools.end(), sendable); }

// Whether structured output goes through kStructuredTool (unless the caller has a tool of that
// very name, whose calls stay tool calls).
bool structured(const model::Request& r) {
  auto type = r.response_format.type;
  return (type == model::ResponseFormat::Type::json_object || type == model::ResponseFormat::Type::json_schema) &&
         !has_tool(r, kStructuredTool);
}

void append_tool(std::string& list, std::string_view name, std::string_view description, const Value* schema,
                 std::string_view fallback_schema) {
  if (!list.empty()) list += ',';
  list += "{\"name\":";
  json::append_string(list, name);
  if (!description.empty()) {
    list += ",\"description\":";
    json::append_string(list, description);
  }
  list += ",\"input_schema\":";
  if (schema && schema->IsObject()) json::append_value(list, *schema);
  else list += fallback_schema;
  list += '}';
}

// The tools member ("" when there are none): the caller's function tools, then the structured
// output tool.
std::string tools_json(const model::Request& r, bool json_tool) {
  std::string list;
  for (const model::Tool& t : r.tools)
    if (sendable(t)) append_tool(list, t.name, t.description, t.parameters, R"({"type":"object","properties":{}})");
  if (json_tool) {
    const model::ResponseFormat& f = r.response_format;
    bool schema = f.type == model::ResponseFormat::Type::json_schema;
    std::string_view description = !f.description.empty() ? f.description
                                   : schema ? "Give your answer as this tool's input, following its schema."
                                            : "Give your answer as this tool's input, a JSON object.";
    append_tool(list, kStructuredTool, description, schema ? f.schema : nullptr, R"({"type":"object"})");
  }
  return list.empty() ? list : ",\"tools\":[" + list + "]";
}

struct ToolChoice {
  std::string_view type;  // auto, any, tool, none; empty: not sent
  std::string_view name;  // type tool
  bool forced() const { return type == "any" || type == "tool"; }
};

ToolChoice tool_choice(const model::Request& r, bool json_tool) {
  using Mode = model::ToolChoice::Mode;
  Mode mode = r.tool_choice.mode;
  if (json_tool) {
    if (!has_tools(r) || mode == Mode::none) return {"tool", kStructuredTool};
    if (mode == Mode::named) return {"tool", r.tool_choice.name};
    return {"any", {}};
  }
  if (!has_tools(r)) return {};  // Anthropic refuses tool_choice without tools
  switch (mode) {
    case Mode::automatic: return {"auto", {}};
    case Mode::none: return {"none", {}};
    case Mode::required: return {"any", {}};
    case Mode::named: return {"tool", r.tool_choice.name};
    case Mode::unset: break;
  }
  if (r.parallel_tool_calls == false) return {"auto", {}};
  return {};
}

void append_tool_choice(std::string& b, const ToolChoice& c, const model::Request& r) {
  if (c.type.empty()) return;
  b += ",\"tool_choice\":{\"type\":";
  json::append_string(b, c.type);
  if (c.type == "tool") {
    b += ",\"name\":";
    json::append_string(b, c.name);
  }
  if (r.parallel_tool_calls == false && c.type != "none") b += ",\"disable_parallel_tool_use\":true";
  b += '}';
}

// ---------------------------------------------------------------------------------------
// Request: thinking, sampling, extras

struct Thinking {
  bool on = false;
  int64_t budget = -1;         // budget_tokens, when known
  const Value* raw = nullptr;  // the caller's own `thinking` member, sent as given
};

constexpr int64_t kMinThinkingBudget = 1024;  // Anthropic's smallest budget_tokens

constexpr std::pair<std::string_view, int64_t> kEffortBudgets[] = {
    {"low", 1024}, {"medium", 4096}, {"high", 16384}, {"xhigh", 32768}, {"max", 49152},
};

// Thinking as anthropic.h describes it (before a forced tool choice turns it off).
Thinking thinking_of(const model::Request& r) {
  if (r.reasoning_budget >= 0) {
    if (r.reasoning_budget == 0) return {};
    return {true, std::max(r.reasoning_budget, kMinThinkingBudget), nullptr};
  }
  if (!r.reasoning_effort.empty()) {
    for (const auto& [effort, budget] : kEffortBudgets)
      if (effort == r.reasoning_effort) return {true, budget, nullptr};
    return {};
  }
  const Value* raw = extra(r, "thinking");
  if (!raw || !raw->IsObject()) return {};
  const Value* budget = json::find(*raw, "budget_tokens");
  return {string_at(*raw, "type") != "disabled", budget && budget->IsInt64() ? budget->GetInt64() : -1, raw};
}

// Whether the last assistant message called tools without its signed thinking (a history from a
// client that dropped the signatures). With thinking on, Anthropic refuses such a request: the
// assistant turn whose tool calls are being answered must start with its thinking block.
bool unsigned_tool_turn(const model::Request& r) {
  for (auto m = r.messages.rbegin(); m != r.messages.rend(); ++m) {
    if (m->role != model::Role::assistant) continue;
    auto has = [&](auto pred) { return std::any_of(m->parts.begin(), m->parts.end(), pred); };
    return has([](const Part& p) { return p.type == PartType::tool_call; }) && !has(signed_reasoning);
  }
  return false;
}

void append_thinking(std::string& b, const Thinking& t) {
  if (t.raw) {
    b += ",\"thinking\":";
    json::append_value(b, *t.raw);
  } else if (t.on) {
    b += ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":" + std::to_string(t.budget) + "}";
  }
}

int64_t max_tokens(const model::Request& r, const Thinking& t) {
  int64_t max = r.max_tokens > 0 ? r.max_tokens : kDefaultMaxTokens;
  if (t.on && t.budget > 0 && max <= t.budget) max = t.budget + 1024;
  return max;
}

// temperature (clamped to Anthropic's 0..1), top_p and top_k unless thinking; stop sequences
// (whitespace-only ones dropped: Anthropic refuses them).
void append_sampling(std::string& b, const model::Request& r, const Thinking& t) {
  const model::Sampling& s = r.sampling;
  if (!t.on) {
    if (s.temperature) {
      b += ",\"temperature\":";
      json::append_number(b, std::clamp(*s.temperature, 0.0, 1.0));
    }
    if (s.top_p) {
      b += ",\"top_p\":";
      json::append_number(b, *s.top_p);
    }
    if (s.top_k) b += ",\"top_k\":" + std::to_string(*s.top_k);
  }
  std::string stops;
  for (std::string_view stop : translate::stop_sequences(r, 64)) {
    if (stop.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    stops += stops.empty() ? "" : ",";
    json::append_string(stops, stop);
  }
  if (!stops.empty()) b += ",\"stop_sequences\":[" + stops + "]";
}

// metadata.user_id: the caller's `user`, else a `user_id` in its metadata.
void append_metadata(std::string& b, const model::Request& r) {
  std::string_view user = r.user;
  if (user.empty() && r.metadata) user = string_at(*r.metadata, "user_id");
  if (user.empty()) return;
  b += ",\"metadata\":{\"user_id\":";
  json::append_string(b, user);
  b += '}';
}

bool any_value(const Value&) { return true; }
bool anthropic_tier(const Value& v) { return json::view(v) == "auto" || json::view(v) == "standard_only"; }

// Extras that are Anthropic request members no canonical field covers, passed as given. Every
// other extra is dropped: Anthropic refuses unknown members with a 400, and what an OpenAI caller
// sends beyond the canonical fields (store, prediction, modalities, …) means nothing to it.
// `thinking` is handled with the canonical fields it interacts with.
struct Passed {
  std::string_view name;
  bool (*accepts)(const Value&);
};
constexpr Passed kPassed[] = {
    {"service_tier", anthropic_tier},  // OpenAI's "default", "flex", "priority" are not Anthropic's
    {"container", any_value},       {"mcp_servers", any_value},   {"context_management", any_value},
    {"inference_geo", any_value},   {"cache_control", any_value}, {"output_config", any_value},
};

void append_extras(std::string& b, const model::Request& r) {
  std::vector<std::string_view> sent;
  for (const auto& extra : r.extras) {
    std::string_view name = extra.first;
    const json::Value* value = extra.second;
    auto passed = std::find_if(std::begin(kPassed), std::end(kPassed), [&](const Passed& p) { return p.name == name; });
    if (passed == std::end(kPassed) || !value || !passed->accepts(*value)) continue;
    if (std::find(sent.begin(), sent.end(), name) != sent.end()) continue;
    sent.push_back(name);
    b += ',';
    json::append_string(b, name);
    b += ':';
    json::append_value(b, *value);
  }
}

// ---------------------------------------------------------------------------------------
// Encode

std::string auth_headers(const config::Provider& provider) {
  std::string auth;
  if (!provider.api_key.empty()) auth = "x-api-key: " + provider.api_key + "\n";
  std::string_view version = provider.api_version.empty() ? std::string_view("2023-06-01") : provider.api_version;
  auth += "anthropic-version: " + std::string(version) + "\n";
  return auth;
}

// The Messages body for canonical request `r` sent to `model`.
std::string messages_body(const model::Request& r, std::string_view model) {
  bool json_tool = structured(r);
  std::string tools = tools_json(r, json_tool);
  ToolChoice choice = tools.empty() ? ToolChoice{} : tool_choice(r, json_tool);
  Thinking thinking = choice.forced() || unsigned_tool_turn(r) ? Thinking{} : thinking_of(r);

  std::string b = "{\"model\":";
  json::append_string(b, model);
  b += ",\"max_tokens\":" + std::to_string(max_tokens(r, thinking));
  append_system(b, r);
  append_messages(b, turns_of(r));
  append_sampling(b, r, thinking);
  b += tools;
  append_tool_choice(b, choice, r);
  append_thinking(b, thinking);
  append_metadata(b, r);
  if (r.stream) b += ",\"stream\":true";
  append_extras(b, r);
  return b + '}';
}

void encode_chat(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "POST";
  out.url = in.provider.base_url + "/messages";
  out.headers = translate::headers(in, auth_headers(in.provider));
  if (in.request.format == model::Format::anthropic_messages && forward_body(in, out.body)) return;
  json::Document arena;
  model::Request request = translate::with_overrides(in, arena);
  out.body = messages_body(request, in.model);
}

// GET {base_url}/models?limit=1000 (Anthropic's largest page).
void encode_models(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "GET";
  out.url = in.provider.base_url + "/models?limit=1000";
  out.headers = auth_headers(in.provider);
  for (const auto& [name, value] : in.provider.headers) out.headers += name + ": " + value + "\n";
  out.body.clear();
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  if (in.request.kind == model::Kind::models) encode_models(in, out);
  else encode_chat(in, out);
}

// ---------------------------------------------------------------------------------------
// Answers and errors

model::Finish finish_of(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return model::Finish::length;
  if (stop_reason == "tool_use") return model::Finish::tool_calls;
  if (stop_reason == "refusal") return model::Finish::content_filter;
  return model::Finish::stop;  // end_turn, stop_sequence, pause_turn
}

// Reads the usage members present into `usage` (prompt = uncached + cache reads + cache writes;
// cached = cache reads).
void read_usage(const Value& u, model::Usage& usage) {
  auto get = [&](const char* name) -> int64_t {
    const Value* v = json::find(u, name);
    return v && v->IsInt64() ? v->GetInt64() : -1;
  };
  int64_t input = get("input_tokens"), read = get("cache_read_input_tokens"),
          write = get("cache_creation_input_tokens"), output = get("output_tokens");
  if (input >= 0 || read >= 0 || write >= 0)
    usage.prompt_tokens = std::max<int64_t>(input, 0) + std::max<int64_t>(read, 0) + std::max<int64_t>(write, 0);
  if (read >= 0) usage.cached_tokens = read;
  if (output >= 0) usage.completion_tokens = output;
}

// Reads {"type":"error","error":{"type","message"}} into `error`; returns the outcome hint from
// the message, and sets `outcome` from the error type where the type says more than a status.
ErrorType read_error(const Value& doc, Error& error, health::Outcome& outcome) {
  const Value* e = json::find(doc, "error");
  std::string_view type;
  if (e && e->IsObject()) {
    type = string_at(*e, "type");
    error.message = std::string(string_at(*e, "message"));
  }
  error.code = std::string(type);
  outcome = health::Outcome::malformed;
  if (type == "overloaded_error" || type == "api_error") outcome = health::Outcome::status_5xx;
  else if (type == "rate_limit_error") outcome = health::Outcome::status_429;
  else if (type == "authentication_error" || type == "permission_error") outcome = health::Outcome::auth;
  else if (type == "not_found_error") outcome = health::Outcome::not_found;
  else if (type == "timeout_error") outcome = health::Outcome::status_408;
  ErrorType hint = translate::hint_from_message(error.message);
  if (hint != ErrorType::internal) outcome = health::Outcome::malformed;  // the hint decides
  return hint;
}

// A non-2xx answer: the status decides the outcome; the error type only where the status is
// unusual.
Decoded status_error(int status, bool parsed, const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  ErrorType hint = parsed ? read_error(doc, error, outcome) : ErrorType::internal;
  bool status_says = status == 408 || status == 429 || status == 401 || status == 403 || status == 404 ||
                     status >= 500 || hint != ErrorType::internal;
  return translate::upstream_error(status, hint, std::move(error), ctx,
                                   status_says ? health::Outcome::malformed : outcome);
}

// The front every decode shares: a non-2xx, a 2xx error document and a body without the
// `member` array end in the error returned; otherwise `doc` holds the answer and `array` points
// at its member.
std::optional<Decoded> refuse(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                              std::string_view member, std::string_view what, const Value*& array) {
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  if (parsed && string_at(doc, "type") == "error") {
    Error error;
    health::Outcome ignored;
    read_error(doc, error, ignored);
    return translate::error_in_200(std::move(error), ctx);
  }
  array = parsed ? json::find(doc, member) : nullptr;
  if (!array || !array->IsArray()) return translate::malformed(ctx, what);
  return std::nullopt;
}

// One content block of an answer into `out`; a structured answer's JSON goes to `structured`.
void read_block(const Value& block, bool json_tool, model::Output& out, std::optional<std::string>& structured) {
  std::string_view type = string_at(block, "type");
  if (type == "text") {
    out.text += string_at(block, "text");
    out.has_text = true;
  } else if (type == "tool_use") {
    model::ToolCall call{std::string(string_at(block, "id")), std::string(string_at(block, "name")), {}};
    const Value* input = json::find(block, "input");
    if (input) json::append_value(call.arguments, *input);
    else call.arguments = "{}";
    if (json_tool && call.name == kStructuredTool) structured = std::move(call.arguments);
    else out.tool_calls.push_back(std::move(call));
  } else if (type == "thinking") {
    std::string thinking(string_at(block, "thinking")), signature(string_at(block, "signature"));
    out.reasoning.push_back({std::move(thinking), std::move(signature), false});
  } else if (type == "redacted_thinking") {
    out.reasoning.push_back({std::string(string_at(block, "data")), {}, true});
  }
  // Server tool blocks (web search, code execution, …) have no canonical form: skipped.
}

Decoded decode_chat(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* content;
  if (auto refused = refuse(status, body, ctx, doc, "content", "an Anthropic message", content)) return *refused;

  Decoded d;
  d.ok = true;
  model::Answer& a = d.answer;
  a.kind = model::Kind::chat;
  a.id = std::string(string_at(doc, "id"));
  a.model = std::string(string_at(doc, "model"));
  a.provider = ctx.provider.name;
  model::Output out;
  std::optional<std::string> structured_json;
  bool json_tool = !has_tool(ctx.request, kStructuredTool);
  for (const Value& block : content->GetArray()) read_block(block, json_tool, out, structured_json);
  const Value* stop = json::find(doc, "stop_reason");
  out.finish = finish_of(stop && stop->IsString() ? json::view(*stop) : "end_turn");
  // A caller of this very format is sent the message as it came (signatures, citations, server
  // tool blocks and all), unless structured output was translated into a tool call of ours.
  if (ctx.request.format == model::Format::anthropic_messages && !structured_json) {
    a.raw = body;
    a.raw_format = model::Format::anthropic_messages;
  }
  if (structured_json) {
    out.text = std::move(*structured_json);
    out.has_text = true;
    if (out.finish == model::Finish::tool_calls && out.tool_calls.empty()) out.finish = model::Finish::stop;
  }
  a.outputs.push_back(std::move(out));
  if (const Value* u = json::find(doc, "usage"); u && u->IsObject()) {
    read_usage(*u, a.usage);
    price(a.usage, ctx.provider, ctx.model);
  }
  return d;
}

// Unix seconds of an RFC 3339 time ("2025-02-19T00:00:00Z"; the date is what counts, a zone
// offset is applied), or 0 when it is not one.
int64_t unix_seconds(std::string_view t) {
  auto digits = [&](size_t at, size_t n, int64_t& v) {
    double x = 0;
    if (at + n > t.size() || !json::parse_digits(t.substr(at, n), x)) return false;
    v = int64_t(x);
    return true;
  };
  int64_t y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, y) || t.size() < 10 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d))
    return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return 0;
  int64_t offset = 0;
  if (t.size() >= 19 && (t[10] == 'T' || t[10] == 't' || t[10] == ' ') && digits(11, 2, h) && t[13] == ':' &&
      digits(14, 2, mi) && t[16] == ':' && digits(17, 2, sec)) {
    size_t at = 19;
    if (at < t.size() && t[at] == '.')
      for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9';) ++at;
    int64_t oh, om;
    if (at + 6 <= t.size() && (t[at] == '+' || t[at] == '-') && digits(at + 1, 2, oh) && t[at + 3] == ':' &&
        digits(at + 4, 2, om))
      offset = (t[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  }
  // Days from the civil date (Howard Hinnant's algorithm).
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec - offset;
}

Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* data;
  if (auto refused = refuse(status, body, ctx, doc, "data", "an Anthropic model list", data)) return *refused;
  Decoded d;
  d.ok = true;
  d.answer.kind = model::Kind::models;
  d.answer.provider = ctx.provider.name;
  for (const Value& m : data->GetArray()) {
    std::string_view id = string_at(m, "id");
    if (id.empty()) continue;
    d.answer.models.push_back({std::string(id), unix_seconds(string_at(m, "created_at")), "anthropic"});
  }
  return d;
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  if (ctx.request.kind == model::Kind::models) return decode_models(status, body, ctx);
  return decode_chat(status, body, ctx);
}

// ---------------------------------------------------------------------------------------
// Streams

model::StreamEvent event_of(model::StreamEvent::Type type) {
  model::StreamEvent ev;
  ev.type = type;
  return ev;
}

class AnthropicStream final : public StreamDecoder {
 public:
  // A caller of Anthropic's own format is handed every upstream event as sent (RawEvent).
  explicit AnthropicStream(const DecodeContext& ctx)
      : StreamDecoder("message_stop", ctx.request.format == model::Format::anthropic_messages
                                          ? model::Format::anthropic_messages
                                          : model::Format::none),
        provider_(ctx.provider),
        model_(ctx.model),
        json_tool_(!has_tool(ctx.request, kStructuredTool)) {}

 private:
  // What each content block is, by its index.
  enum class Block : uint8_t { other, tool, structured, structured_written };
  static constexpr int kMaxBlocks = 4096;  // bounds the table against a hostile stream
  static constexpr size_t kMaxHeld = 8;    // opening events held back at most

  void on_event(const sse::Event& e) override {
    // Events emitted below point into doc_, which lives until the next event (a fresh document
    // each time, so memory does not grow with the stream).
    doc_ = json::Document();
    std::string parse_error;
    if (!json::parse(e.data, doc_, parse_error) || !doc_.IsObject()) {
      fail("upstream sent a stream event that is not JSON");
      return;
    }
    std::string_view type = string_at(doc_, "type");
    if (type.empty()) type = e.event;
    if (type == "message_start") {
      if (const Value* m = json::find(doc_, "message"))
        if (const Value* u = json::find(*m, "usage"); u && u->IsObject()) read_usage(*u, usage_);
    } else if (type == "content_block_start") {
      on_block_start();
    } else if (type == "content_block_delta") {
      on_block_delta();
    } else if (type == "content_block_stop") {
      on_block_stop();
    } else if (type == "message_delta") {
      on_message_delta();
    } else if (type == "message_stop") {
      on_message_stop();
    } else if (type == "error") {
      on_error();
    }
    // ping and event types added later are ignored (but forwarded).
    if (format() == model::Format::anthropic_messages && state_ != State::failed) forward(e, type);
  }

  // The event as sent, on one line, for the caller (an error event fails the stream instead).
  // message_start and ping are held back until content or the end arrives (StreamDecoder::held_),
  // so that an error right after them still lets the call fail over.
  void forward(const sse::Event& e, std::string_view type) {
    std::string_view data = e.data;
    if (data.find('\n') != std::string_view::npos) {
      line_.clear();
      json::append_value(line_, doc_);
      redact(provider_, line_);  // a key written with escapes is plain once re-serialized
      data = line_;
    }
    bool opening = type == "message_start" || type == "ping";
    if (!forwarded_ && opening && held_.size() < kMaxHeld) {
      held_.emplace_back(e.event.empty() ? type : e.event, data);
      return;
    }
    forwarded_ = true;
    raw_ = data;
  }

  void on_block_start() {
    const Value* block = json::find(doc_, "content_block");
    if (!block) return;
    std::string_view type = string_at(*block, "type");
    if (type == "text") {
      emit_text(string_at(*block, "text"));
    } else if (type == "tool_use") {
      Block* slot = block_at();
      if (!slot || *slot != Block::other) return;  // a block starts once
      std::string_view name = string_at(*block, "name");
      if (json_tool_ && name == kStructuredTool) {
        *slot = Block::structured;
        return;
      }
      *slot = Block::tool;
      tool_of_block_[size_t(index_)] = tools_;
      model::StreamEvent ev = event_of(model::StreamEvent::Type::tool_call);
      ev.tool = tools_++;
      ev.id = string_at(*block, "id");
      ev.name = name;
      emit(ev);
    } else if (type == "thinking") {
      emit_reasoning(string_at(*block, "thinking"), string_at(*block, "signature"), false);
    } else if (type == "redacted_thinking") {
      emit_reasoning(string_at(*block, "data"), {}, true);
    }
  }

  void on_block_delta() {
    const Value* delta = json::find(doc_, "delta");
    if (!delta) return;
    std::string_view type = string_at(*delta, "type");
    if (type == "text_delta") {
      emit_text(string_at(*delta, "text"));
    } else if (type == "thinking_delta") {
      emit_reasoning(string_at(*delta, "thinking"), {}, false);
    } else if (type == "signature_delta") {
      emit_reasoning({}, string_at(*delta, "signature"), false);
    } else if (type == "input_json_delta") {
      Block* slot = block_at();
      std::string_view partial = string_at(*delta, "partial_json");
      if (!slot || partial.empty()) return;
      if (*slot == Block::tool) {
        model::StreamEvent ev = event_of(model::StreamEvent::Type::tool_arguments);
        ev.tool = tool_of_block_[size_t(index_)];
        ev.text = partial;
        emit(ev);
      } else if (*slot == Block::structured || *slot == Block::structured_written) {
        *slot = Block::structured_written;
        emit_text(partial);
      }
    }
  }

  // A structured answer whose input arrived without any JSON piece is the empty object.
  void on_block_stop() {
    Block* slot = block_at();
    if (slot && *slot == Block::structured) {
      *slot = Block::structured_written;
      emit_text("{}");
    }
  }

  void on_message_delta() {
    if (const Value* u = json::find(doc_, "usage"); u && u->IsObject()) read_usage(*u, usage_);
    const Value* delta = json::find(doc_, "delta");
    const Value* stop = delta ? json::find(*delta, "stop_reason") : nullptr;
    if (!stop || !stop->IsString() || finished_) return;
    model::Finish finish = finish_of(json::view(*stop));
    if (finish == model::Finish::tool_calls && tools_ == 0 && structured_seen()) finish = model::Finish::stop;
    emit_finish(finish);
  }

  void on_message_stop() {
    if (!finished_) emit_finish(model::Finish::stop);
    price(usage_, provider_, model_);
    model::StreamEvent ev = event_of(model::StreamEvent::Type::usage);
    ev.usage = usage_;
    emit(ev);
    state_ = State::done;
  }

  // An error event (documented: overloaded_error may arrive after a 200) fails the stream with
  // the outcome its type or message means; a 5xx when they say nothing more.
  void on_error() {
    Error error;
    health::Outcome outcome;
    ErrorType hint = read_error(doc_, error, outcome);
    error_ = error;
    redact(provider_, error_.message);
    fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
    outcome_ = hint != ErrorType::internal             ? health::outcome_of_status(400, hint)
               : outcome != health::Outcome::malformed ? outcome
                                                       : health::Outcome::status_5xx;
  }

  void emit_text(std::string_view text) {
    if (text.empty()) return;
    model::StreamEvent ev = event_of(model::StreamEvent::Type::text);
    ev.text = text;
    emit(ev);
  }

  void emit_reasoning(std::string_view text, std::string_view signature, bool redacted) {
    if (text.empty() && signature.empty()) return;
    model::StreamEvent ev = event_of(model::StreamEvent::Type::reasoning);
    ev.text = text;
    ev.signature = signature;
    ev.redacted = redacted;
    emit(ev);
  }

  void emit_finish(model::Finish finish) {
    finished_ = true;
    model::StreamEvent ev = event_of(model::StreamEvent::Type::finish);
    ev.finish = finish;
    emit(ev);
  }

  bool structured_seen() const {
    return std::any_of(blocks_.begin(), blocks_.end(),
                       [](Block b) { return b == Block::structured || b == Block::structured_written; });
  }

  // The slot of the event's content block (index_ set), or nullptr when the index is missing or
  // out of bounds (the event is then ignored).
  Block* block_at() {
    const Value* i = json::find(doc_, "index");
    if (!i || !i->IsInt() || i->GetInt() < 0 || i->GetInt() >= kMaxBlocks) return nullptr;
    index_ = i->GetInt();
    if (blocks_.size() <= size_t(index_)) {
      blocks_.resize(size_t(index_) + 1, Block::other);
      tool_of_block_.resize(size_t(index_) + 1, -1);
    }
    return &blocks_[size_t(index_)];
  }

  const config::Provider& provider_;
  std::string model_;
  bool json_tool_;
  bool forwarded_ = false;  // an event was handed on raw (the call is committed)
  std::string line_;        // the current event's data re-serialized on one line
  json::Document doc_;
  std::vector<Block> blocks_;
  std::vector<int> tool_of_block_;  // content block index -> tool call index
  int index_ = 0;
  int tools_ = 0;
  bool finished_ = false;
};

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<AnthropicStream>(ctx); }

}  // namespace

const Codec kCodec = {
    .caps = {.models = true, .server_tools = model::Format::anthropic_messages},
    .encode = encode,
    .decode = decode,
    .stream = stream,
};

}  // namespace sy::providers::anthropic
