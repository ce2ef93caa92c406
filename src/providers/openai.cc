#include "providers/openai.h"

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "model/stored.h"
#include "providers/openai_images.h"
#include "providers/openai_responses.h"
#include "providers/translate.h"

namespace sy::providers::openai {

namespace {

using json::Value;

// ---- the same-format fast path ------------------------------------------------------------

// Members of the caller's body that are Switchyard's or OpenRouter's routing controls, never
// sent upstream.
constexpr std::string_view kRoutingMembers[] = {"model", "models", "provider", "switchyard", "session_id"};

bool is_routing_member(std::string_view name) {
  return std::find(std::begin(kRoutingMembers), std::end(kRoutingMembers), name) != std::end(kRoutingMembers);
}

const std::string* override_for(const EncodeInput& in, std::string_view name) {
  for (auto it = in.overrides.rbegin(); it != in.overrides.rend(); ++it)
    if (it->first == name) return &it->second;
  return nullptr;
}

// Appends the overrides that name no member of `written` (the last of each name), skipping
// routing members.
template <class Names>
void append_new_overrides(const EncodeInput& in, const Names& written, std::string& out) {
  for (size_t i = 0; i < in.overrides.size(); ++i) {
    const auto& name = in.overrides[i].first;
    bool present = std::any_of(written.begin(), written.end(), [&](const auto& m) { return m.key == name; });
    bool later = std::any_of(in.overrides.begin() + long(i) + 1, in.overrides.end(),
                             [&](const auto& o) { return o.first == name; });
    if (present || later || is_routing_member(name)) continue;
    out += ",\"";
    out += name;
    out += "\":";
    out += in.overrides[i].second;
  }
}

// The caller's body text with minimal edits: the target's model, routing members (and the
// members named in `drop` that no override names) dropped, overrides replacing or joining
// members. False when the text cannot be spliced (a key with an escape): the body is then
// rendered from the canonical request.
bool splice_body(const EncodeInput& in, std::string& out, std::span<const std::string_view> drop = {}) {
  auto dropped = [&](std::string_view key) {
    return std::find(drop.begin(), drop.end(), key) != drop.end() && !override_for(in, key);
  };
  std::string_view raw = in.request.raw;
  std::vector<json::Member> members;
  if (raw.empty() || !json::top_level_members(raw, members)) return false;
  out.clear();
  out.reserve(raw.size() + 64);
  out += "{\"model\":";
  json::append_string(out, in.model);
  for (const auto& m : members) {
    if (is_routing_member(m.key) || dropped(m.key)) continue;
    out += ",\"";
    out.append(m.key);
    out += "\":";
    const std::string* value = override_for(in, m.key);
    out.append(value ? std::string_view(*value) : m.value);
  }
  append_new_overrides(in, members, out);
  out += '}';
  return true;
}

// ---- rendering a canonical request --------------------------------------------------------

// An object being written member by member; remembers the names written.
class Members {
 public:
  explicit Members(std::string& out) : out_(out) { out_ += '{'; }
  std::string& key(std::string_view name) {
    if (!names_.empty()) out_ += ',';
    names_.push_back(name);
    json::append_string(out_, name);
    out_ += ':';
    return out_;
  }
  void string(std::string_view name, std::string_view value) { json::append_string(key(name), value); }
  void number(std::string_view name, double value) { json::append_number(key(name), value); }
  void boolean(std::string_view name, bool value) { key(name) += value ? "true" : "false"; }
  void value(std::string_view name, const Value& value) { json::append_value(key(name), value); }
  bool has(std::string_view name) const { return std::find(names_.begin(), names_.end(), name) != names_.end(); }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  std::vector<std::string_view> names_;
};

const char* role_name(model::Role role) {
  switch (role) {
    case model::Role::system:
      return "system";
    case model::Role::developer:
      return "developer";
    case model::Role::user:
      return "user";
    case model::Role::assistant:
      return "assistant";
    case model::Role::tool:
      return "tool";
  }
  return "user";
}

bool is_content(const model::Part& p, model::Role role) {
  using model::PartType;
  if (role == model::Role::assistant) return p.type == PartType::text;
  return p.type == PartType::text || p.type == PartType::image || p.type == PartType::audio ||
         p.type == PartType::file;
}

void append_part(std::string& out, const model::Part& p) {
  Members part(out);
  switch (p.type) {
    case model::PartType::image: {
      part.string("type", "image_url");
      Members image(part.key("image_url"));
      image.string("url", p.url);
      if (!p.detail.empty()) image.string("detail", p.detail);
      image.close();
      break;
    }
    case model::PartType::audio: {
      part.string("type", "input_audio");
      Members audio(part.key("input_audio"));
      audio.string("data", p.url);
      audio.string("format", p.media_type);
      audio.close();
      break;
    }
    case model::PartType::file: {
      part.string("type", "file");
      Members file(part.key("file"));
      if (!p.url.empty()) file.string("file_data", p.url);
      if (!p.id.empty()) file.string("file_id", p.id);
      if (!p.name.empty()) file.string("filename", p.name);
      file.close();
      break;
    }
    default:
      part.string("type", "text");
      part.string("text", p.text);
  }
  part.close();
}

// `content`: a string for one text part, else an array of parts; for an assistant message
// without text, null when it calls tools or refuses.
void append_content(Members& message, const model::Message& m, bool calls_or_refuses) {
  std::vector<const model::Part*> parts;
  for (const model::Part& p : m.parts)
    if (is_content(p, m.role)) parts.push_back(&p);
  std::string& out = message.key("content");
  if (parts.empty()) {
    out += m.role == model::Role::assistant && calls_or_refuses ? "null" : "\"\"";
  } else if (parts.size() == 1 && parts[0]->type == model::PartType::text) {
    json::append_string(out, parts[0]->text);
  } else {
    out += '[';
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i) out += ',';
      append_part(out, *parts[i]);
    }
    out += ']';
  }
}

void append_tool_calls(Members& message, const model::Message& m) {
  std::string& out = message.key("tool_calls");
  out += '[';
  bool first = true;
  for (const model::Part& p : m.parts) {
    if (p.type != model::PartType::tool_call) continue;
    if (!first) out += ',';
    first = false;
    Members call(out);
    call.string("id", p.id);
    call.string("type", "function");
    Members fn(call.key("function"));
    fn.string("name", p.name);
    fn.string("arguments", p.arguments.empty() ? std::string_view("{}") : p.arguments);
    fn.close();
    call.close();
  }
  out += ']';
}

// One message, or several: each tool result becomes a tool message of its own, before what else
// the message holds (a format whose user turns carry tool results, such as Anthropic's, maps
// onto OpenAI's order this way).
void append_message(std::string& out, const model::Message& m, bool& first) {
  auto next = [&]() -> std::string& {
    if (!first) out += ',';
    first = false;
    return out;
  };
  bool others = false, calls = false;
  std::string refusal;
  for (const model::Part& p : m.parts) {
    if (p.type == model::PartType::tool_result) {
      Members tool(next());
      tool.string("role", "tool");
      tool.string("tool_call_id", p.id);
      tool.string("content", p.text);
      tool.close();
    } else if (p.type == model::PartType::refusal) {
      refusal += p.text;
    } else if (p.type != model::PartType::reasoning) {
      others = true;
      calls = calls || p.type == model::PartType::tool_call;
    }
  }
  if (m.role == model::Role::tool || (!others && refusal.empty() && !m.parts.empty())) return;
  Members message(next());
  message.string("role", role_name(m.role));
  if (!m.name.empty()) message.string("name", m.name);
  append_content(message, m, calls || !refusal.empty());
  if (m.role == model::Role::assistant && !refusal.empty()) message.string("refusal", refusal);
  if (m.role == model::Role::assistant && calls) append_tool_calls(message, m);
  message.close();
}

// A function tool in OpenAI's shape; a tool of another type (kept whole by the ingress) as is.
void append_tool(std::string& out, const model::Tool& t) {
  const Value* type = t.raw ? json::find(*t.raw, "type") : nullptr;
  if (type && type->IsString() && json::view(*type) != "function") {
    json::append_value(out, *t.raw);
    return;
  }
  Members tool(out);
  tool.string("type", "function");
  Members fn(tool.key("function"));
  fn.string("name", t.name);
  if (!t.description.empty()) fn.string("description", t.description);
  if (t.parameters) fn.value("parameters", *t.parameters);
  if (t.strict) fn.boolean("strict", *t.strict);
  fn.close();
  tool.close();
}

void append_tools(Members& body, const model::Request& r) {
  if (!r.tools.empty()) {
    std::string& out = body.key("tools");
    out += '[';
    for (size_t i = 0; i < r.tools.size(); ++i) {
      if (i) out += ',';
      append_tool(out, r.tools[i]);
    }
    out += ']';
  }
  using Mode = model::ToolChoice::Mode;
  switch (r.tool_choice.mode) {
    case Mode::unset:
      break;
    case Mode::automatic:
      body.string("tool_choice", "auto");
      break;
    case Mode::none:
      body.string("tool_choice", "none");
      break;
    case Mode::required:
      body.string("tool_choice", "required");
      break;
    case Mode::named: {
      Members choice(body.key("tool_choice"));
      choice.string("type", "function");
      Members fn(choice.key("function"));
      fn.string("name", r.tool_choice.name);
      fn.close();
      choice.close();
    }
  }
  if (r.parallel_tool_calls) body.boolean("parallel_tool_calls", *r.parallel_tool_calls);
}

void append_response_format(Members& body, const model::ResponseFormat& f) {
  using Type = model::ResponseFormat::Type;
  if (f.type == Type::unset) return;
  Members format(body.key("response_format"));
  format.string("type", f.type == Type::text ? "text" : f.type == Type::json_object ? "json_object" : "json_schema");
  if (f.type == Type::json_schema) {
    Members schema(format.key("json_schema"));
    schema.string("name", f.name);
    if (!f.description.empty()) schema.string("description", f.description);
    if (f.schema) schema.value("schema", *f.schema);
    if (f.strict) schema.boolean("strict", *f.strict);
    schema.close();
  }
  format.close();
}

void append_sampling(Members& body, const model::Sampling& s) {
  if (s.temperature) body.number("temperature", *s.temperature);
  if (s.top_p) body.number("top_p", *s.top_p);
  if (s.top_k) body.number("top_k", double(*s.top_k));
  if (s.presence_penalty) body.number("presence_penalty", *s.presence_penalty);
  if (s.frequency_penalty) body.number("frequency_penalty", *s.frequency_penalty);
  if (s.seed) body.key("seed") += std::to_string(*s.seed);
  if (s.n != 1) body.key("n") += std::to_string(s.n);
  if (!s.stop.empty()) {
    std::string& out = body.key("stop");
    out += '[';
    for (size_t i = 0; i < s.stop.size(); ++i) {
      if (i) out += ',';
      json::append_string(out, s.stop[i]);
    }
    out += ']';
  }
  if (s.logprobs) body.boolean("logprobs", *s.logprobs);
  if (s.top_logprobs) body.key("top_logprobs") += std::to_string(*s.top_logprobs);
  if (s.logit_bias) body.value("logit_bias", *s.logit_bias);
}

// The canonical request (overrides applied) as an OpenAI chat-completions body.
std::string render_chat(const EncodeInput& in) {
  json::Document arena;
  model::Request r = translate::with_overrides(in, arena);
  std::string out;
  out.reserve(1024);
  Members body(out);
  body.string("model", in.model);
  std::string& messages = body.key("messages");
  messages += '[';
  bool first = true;
  for (const model::Message& m : r.messages) append_message(messages, m, first);
  messages += ']';
  append_tools(body, r);
  append_response_format(body, r.response_format);
  append_sampling(body, r.sampling);
  if (r.max_tokens >= 0) body.key("max_tokens") += std::to_string(r.max_tokens);
  if (!r.reasoning_effort.empty()) body.string("reasoning_effort", r.reasoning_effort);
  if (r.stream) {
    body.boolean("stream", true);
    body.key("stream_options") += "{\"include_usage\":true}";
  }
  if (!r.user.empty()) body.string("user", r.user);
  if (r.metadata) body.value("metadata", *r.metadata);
  // Extras are members of the caller's format: an Anthropic Messages caller's (container,
  // context_management, …) are not OpenAI's, a Responses caller's own (include, truncation, …)
  // are not chat's, and OpenAI refuses members it does not know.
  bool responses = r.format == model::Format::openai_responses;
  if (r.format != model::Format::anthropic_messages)
    for (const auto& [name, value] : r.extras)
      if (!body.has(name) && !is_routing_member(name) && !(responses && openai_responses::responses_only(name)))
        body.value(name, *value);
  body.close();
  return out;
}

// The canonical embeddings request as an OpenAI embeddings body; overrides replace or join
// its members.
std::string render_embeddings(const EncodeInput& in) {
  const model::Request& r = in.request;
  std::vector<std::pair<std::string_view, std::string>> members;
  std::string input;
  if (r.inputs.size() == 1) json::append_value(input, *r.inputs[0]);
  else {
    input += '[';
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      if (i) input += ',';
      json::append_value(input, *r.inputs[i]);
    }
    input += ']';
  }
  members.emplace_back("input", std::move(input));
  if (r.dimensions >= 0) members.emplace_back("dimensions", std::to_string(r.dimensions));
  if (r.base64) members.emplace_back("encoding_format", "\"base64\"");
  if (!r.user.empty()) json::append_string(members.emplace_back("user", std::string()).second, r.user);
  for (const auto& [name, value] : r.extras) json::append_value(members.emplace_back(name, std::string()).second, *value);
  std::string out = "{\"model\":";
  json::append_string(out, in.model);
  std::vector<json::Member> written;
  for (const auto& [name, value] : members) {
    if (is_routing_member(name)) continue;
    const std::string* replaced = override_for(in, name);
    out += ',';
    json::append_string(out, name);
    out += ':';
    out += replaced ? *replaced : value;
    written.push_back({name, {}});
  }
  append_new_overrides(in, written, out);
  out += '}';
  return out;
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  if (openai_responses::speaks(in.provider, in.request)) return openai_responses::encode(in, out);
  const config::Provider& p = in.provider;
  std::string auth = p.api_key.empty() ? std::string() : "authorization: Bearer " + p.api_key + "\n";
  out.method = "POST";
  switch (in.request.kind) {
    case model::Kind::chat:
      out.url = p.base_url + "/chat/completions";
      out.headers = translate::headers(in, auth);
      out.body = chat_body(in);
      return;
    case model::Kind::embeddings:
      out.url = p.base_url + "/embeddings";
      out.headers = translate::headers(in, auth);
      out.body = embeddings_body(in);
      return;
    case model::Kind::models:
      out.method = "GET";
      out.url = p.base_url + "/models";
      out.headers = auth;
      for (const auto& [name, value] : p.headers) out.headers += name + ": " + value + "\n";
      out.body.clear();
      return;
    case model::Kind::images:
      out.url = p.base_url + "/images/generations";
      out.headers = translate::headers(in, auth);
      out.body = openai_images::body(in);
      return;
  }
}

// ---- answers ------------------------------------------------------------------------------

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A non-2xx answer (an OpenAI error body, or anything else) as a Decoded error.
Decoded status_error(int status, std::string_view body, const DecodeContext& ctx) {
  Error error;
  ErrorType hint = read_error(body, ctx.provider, error);
  return translate::upstream_error(status, hint, std::move(error), ctx);
}

// The front every decode shares: a non-2xx, a 2xx error document and a body without the
// `member` array end in the error returned; otherwise `doc` holds the answer.
std::optional<Decoded> refuse(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                              const char* member, std::string_view what) {
  if (status < 200 || status >= 300) return status_error(status, body, ctx);
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (parsed && json::find(doc, "error") && !json::find(doc, member)) {
    Error error;
    read_error(body, ctx.provider, error);
    return translate::error_in_200(std::move(error), ctx);
  }
  const Value* array = parsed ? json::find(doc, member) : nullptr;
  if (!array || !array->IsArray()) return translate::malformed(ctx, what);
  return std::nullopt;
}

// Prices known usage at the target's price. True when a price was found (the cost is then
// ours, to be written into the answer); otherwise the upstream's own cost, if any, stays.
bool price_usage(model::Usage& usage, const config::Provider& provider, std::string_view model) {
  if (!usage.known) return false;
  double cost = cost_of(provider, model, usage.prompt_tokens, usage.completion_tokens);
  if (cost < 0) return false;
  usage.cost = cost;
  return true;
}

// Adds `refusal: null` to each message and `logprobs: null` to each choice that lacks it.
void add_conformance_members(json::Document& doc) {
  auto& alloc = doc.GetAllocator();
  for (Value& choice : doc["choices"].GetArray()) {
    if (!choice.IsObject()) continue;
    if (!choice.HasMember("logprobs")) choice.AddMember("logprobs", Value(), alloc);
    Value* message = choice.HasMember("message") ? &choice["message"] : nullptr;
    if (message && message->IsObject() && !message->HasMember("refusal")) message->AddMember("refusal", Value(), alloc);
  }
}

// `choices` (the array's text) with `"logprobs":null` added to each choice and `"refusal":null`
// to each message that lacks it (OpenAI's schema requires both), spliced into the text; empty
// when nothing is missing. `parsed` is the same array parsed.
bool conformant(const Value& choices) {
  for (const Value& choice : choices.GetArray()) {
    if (!choice.IsObject()) continue;
    const Value* message = json::find(choice, "message");
    if (!choice.HasMember("logprobs") || (message && message->IsObject() && !message->HasMember("refusal")))
      return false;
  }
  return true;
}

std::string conform_choices(std::string_view choices, const Value& parsed) {
  if (conformant(parsed)) return {};
  std::vector<std::string_view> elements;
  std::vector<json::Member> members;
  std::vector<const char*> after;  // insert right after these opening braces
  std::string refusal;             // what to insert there, one char each: 1 refusal, 0 logprobs (no vector<bool> code in the wasm)
  if (!json::array_elements(choices, elements) || elements.size() != parsed.Size()) return {};
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& choice = parsed[rapidjson::SizeType(i)];
    if (!choice.IsObject()) continue;
    if (!choice.HasMember("logprobs")) after.push_back(elements[i].data()), refusal.push_back(0);
    const Value* message = json::find(choice, "message");
    if (!message || !message->IsObject() || message->HasMember("refusal")) continue;
    if (!json::top_level_members(elements[i], members)) return {};
    for (const auto& m : members)
      if (m.key == "message") after.push_back(m.value.data()), refusal.push_back(1);
  }
  if (after.empty()) return {};
  std::string out;
  out.reserve(choices.size() + 20 * after.size());
  const char* from = choices.data();
  for (size_t i = 0; i < after.size(); ++i) {
    out.append(from, size_t(after[i] + 1 - from));
    from = after[i] + 1;
    std::string_view rest(from, size_t(choices.data() + choices.size() - from));
    size_t next = rest.find_first_not_of(" \t\r\n");
    out += refusal[i] ? "\"refusal\":null" : "\"logprobs\":null";
    if (next != std::string_view::npos && rest[next] != '}') out += ',';
  }
  out.append(from, size_t(choices.data() + choices.size() - from));
  return out;
}

// The answer as sent, with "provider" naming ours, usage.cost set when `priced`, and (chat)
// the members OpenAI's schema requires added. Only the members that changed are re-serialized;
// the rest is copied from `body`. `doc` is `body` parsed.
std::string raw_answer(std::string_view body, json::Document& doc, const DecodeContext& ctx, const model::Usage& usage,
                       bool priced, bool chat) {
  auto& alloc = doc.GetAllocator();
  std::string usage_text, choices_text;
  if (priced) {
    Value& u = doc["usage"];
    if (u.HasMember("cost")) u["cost"].SetDouble(usage.cost);
    else u.AddMember("cost", usage.cost, alloc);
    json::append_value(usage_text, u);
  }
  std::vector<json::Member> members;
  std::string out;
  if (json::top_level_members(body, members)) {
    for (const auto& m : members)
      if (chat && m.key == "choices") choices_text = conform_choices(m.value, doc["choices"]);
    out.reserve(body.size() + ctx.provider.name.size() + 32);
    out = "{\"provider\":";
    json::append_string(out, ctx.provider.name);
    for (const auto& m : members) {
      if (m.key == "provider") continue;
      out += ",\"";
      out.append(m.key);
      out += "\":";
      bool new_usage = m.key == "usage" && !usage_text.empty(), new_choices = m.key == "choices" && !choices_text.empty();
      out.append(new_usage ? std::string_view(usage_text) : new_choices ? std::string_view(choices_text) : m.value);
    }
    out += '}';
    if (!usage_text.empty()) redact(ctx.provider, out);  // escapes are plain once re-serialized
    return out;
  }
  // Keys with escapes: the whole answer re-serialized, with the members OpenAI's schema requires.
  if (chat) add_conformance_members(doc);
  doc.RemoveMember("provider");
  doc.AddMember("provider", Value(ctx.provider.name.c_str(), alloc), alloc);
  json::append_value(out, doc);
  redact(ctx.provider, out);  // a key written with escapes is plain once re-serialized
  return out;
}

Decoded decode_chat(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  if (auto refused = refuse(status, body, ctx, doc, "choices", "a chat completion")) return *refused;
  Decoded d;
  std::string error;
  // A caller of this format is sent the raw answer: only usage and finish reasons are read.
  bool content = ctx.request.format != model::Format::openai_chat;
  if (!model::stored::parse(doc, d.answer, error, content)) return translate::malformed(ctx, "a chat completion");
  d.ok = true;
  d.answer.provider = ctx.provider.name;
  bool priced = price_usage(d.answer.usage, ctx.provider, ctx.model);
  d.answer.raw = raw_answer(body, doc, ctx, d.answer.usage, priced, true);
  d.answer.raw_format = model::Format::openai_chat;
  return d;
}

Decoded decode_embeddings(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  if (auto refused = refuse(status, body, ctx, doc, "data", "an embeddings list")) return *refused;
  Decoded d;
  std::string error;
  bool content = ctx.request.format != model::Format::openai_embeddings;
  if (!model::stored::parse(doc, d.answer, error, content) || d.answer.kind != model::Kind::embeddings)
    return translate::malformed(ctx, "an embeddings list");
  d.ok = true;
  d.answer.provider = ctx.provider.name;
  model::Usage& u = d.answer.usage;
  const Value* usage = json::find(doc, "usage");
  const Value* prompt = usage ? json::find(*usage, "prompt_tokens") : nullptr;
  u.known = prompt && prompt->IsInt64();
  u.completion_tokens = 0;
  bool priced = price_usage(u, ctx.provider, ctx.model);
  d.answer.raw = raw_answer(body, doc, ctx, u, priced, false);
  d.answer.raw_format = model::Format::openai_embeddings;
  return d;
}

Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  if (auto refused = refuse(status, body, ctx, doc, "data", "a model list")) return *refused;
  Decoded d;
  d.ok = true;
  d.answer.kind = model::Kind::models;
  for (const Value& item : doc["data"].GetArray()) {
    const Value* id = json::find(item, "id");
    if (!id || !id->IsString() || id->GetStringLength() == 0) continue;
    model::ModelEntry e{std::string(json::view(*id)), 0, ctx.provider.name};
    if (const Value* c = json::find(item, "created"); c && c->IsInt64()) e.created = c->GetInt64();
    if (const Value* o = json::find(item, "owned_by"); o && o->IsString() && o->GetStringLength()) e.owned_by = json::view(*o);
    d.answer.models.push_back(std::move(e));
  }
  return d;
}

// ---- streams ------------------------------------------------------------------------------

// Choices and tool calls per chunk beyond these indexes are ignored (n is at most 128).
constexpr uint64_t kMaxIndex = 127;

class OpenAIStream final : public StreamDecoder {
 public:
  explicit OpenAIStream(const DecodeContext& ctx)
      : StreamDecoder("[DONE]", model::Format::openai_chat), provider_(ctx.provider), model_(ctx.model) {}

 private:
  void on_event(const sse::Event& e) override;
  void choice(const Value& c);
  void delta(const Value& delta, int output);
  void reasoning(const Value& delta, int output);
  void tool_calls(const Value& calls, int output);
  model::StreamEvent& add(model::StreamEvent::Type type, int output, std::string_view text = {});

  const config::Provider& provider_;
  std::string model_;
  json::Document doc_;   // the current event: the events' views point into it
  std::string line_;     // the current event's data on one line, when it came in several
  model::StreamEvent event_;
};

model::StreamEvent& OpenAIStream::add(model::StreamEvent::Type type, int output, std::string_view text) {
  event_ = model::StreamEvent();
  event_.type = type;
  event_.output = output;
  event_.text = text;
  return event_;
}

void OpenAIStream::on_event(const sse::Event& event) {
  const sse::Event& e = event;
  if (e.data == "[DONE]") {
    price_usage(usage_, provider_, model_);
    state_ = State::done;
    return;
  }
  json::Document fresh;
  doc_.Swap(fresh);  // the previous event's memory goes with `fresh`
  std::string parse_error;
  if (!json::parse(e.data, doc_, parse_error) || !doc_.IsObject()) return fail("upstream sent a stream event that is not JSON");
  if (json::find(doc_, "error")) {
    read_error(e.data, provider_, error_);
    return fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
  }
  // No choices and no usage (Azure's prompt_filter_results): nothing for the caller, and
  // passing it on would commit the stream before its first real chunk.
  const Value* choices = json::find(doc_, "choices");
  const Value* usage = json::find(doc_, "usage");
  bool has_usage = usage && usage->IsObject();
  if (choices && choices->IsArray() && choices->Empty() && !has_usage) return;
  if (choices && choices->IsArray())
    for (const Value& c : choices->GetArray()) choice(c);
  if (model::Usage u = has_usage ? model::stored::parse_usage(*usage) : model::Usage(); u.known) {
    price_usage(u, provider_, model_);
    usage_ = u;
    add(model::StreamEvent::Type::usage, 0).usage = u;
    emit(event_);
  }
  if (e.data.find('\n') == std::string_view::npos) {
    raw_ = e.data;
  } else {
    line_.clear();
    json::append_value(line_, doc_);  // an event of several data lines: one line for the caller
    redact(provider_, line_);
    raw_ = line_;
  }
}

void OpenAIStream::choice(const Value& c) {
  const Value* index = json::find(c, "index");
  uint64_t i = index && index->IsUint64() ? index->GetUint64() : 0;
  if (i > kMaxIndex) return;
  int output = int(i);
  if (const Value* d = json::find(c, "delta"); d && d->IsObject()) delta(*d, output);
  const Value* finish = json::find(c, "finish_reason");
  std::string_view reason = finish ? json::view(*finish) : std::string_view();
  if (reason.empty()) return;
  add(model::StreamEvent::Type::finish, output).finish =
      reason == "function_call" ? model::Finish::tool_calls : model::finish_of(reason);
  emit(event_);
}

void OpenAIStream::delta(const Value& d, int output) {
  using Type = model::StreamEvent::Type;
  reasoning(d, output);
  const Value* content = json::find(d, "content");
  if (content && content->IsString() && content->GetStringLength()) emit(add(Type::text, output, json::view(*content)));
  const Value* refusal = json::find(d, "refusal");
  if (refusal && refusal->IsString() && refusal->GetStringLength()) emit(add(Type::refusal, output, json::view(*refusal)));
  if (const Value* calls = json::find(d, "tool_calls"); calls && calls->IsArray()) tool_calls(*calls, output);
}

// delta.reasoning_details (OpenRouter: text with signatures, encrypted blocks) when present,
// else delta.reasoning (OpenRouter, Ollama) or delta.reasoning_content (DeepSeek, vLLM).
void OpenAIStream::reasoning(const Value& d, int output) {
  using Type = model::StreamEvent::Type;
  if (const Value* details = json::find(d, "reasoning_details"); details && details->IsArray() && !details->Empty()) {
    for (const Value& r : details->GetArray()) {
      const Value* type = json::find(r, "type");
      bool redacted = type && json::view(*type) == "reasoning.encrypted";
      const Value* text = json::find(r, redacted ? "data" : "text");
      if (!text) text = json::find(r, "summary");
      const Value* signature = json::find(r, "signature");
      model::StreamEvent& e = add(Type::reasoning, output, text ? json::view(*text) : std::string_view());
      e.redacted = redacted;
      if (signature) e.signature = json::view(*signature);
      if (!e.text.empty() || !e.signature.empty()) emit(e);
    }
    return;
  }
  const Value* text = json::find(d, "reasoning");
  if (!text || !text->IsString()) text = json::find(d, "reasoning_content");
  if (text && text->IsString() && text->GetStringLength()) emit(add(Type::reasoning, output, json::view(*text)));
}

// A fragment with an id or a name starts a call; later fragments carry more arguments.
void OpenAIStream::tool_calls(const Value& calls, int output) {
  using Type = model::StreamEvent::Type;
  for (rapidjson::SizeType k = 0; k < calls.Size(); ++k) {
    const Value& call = calls[k];
    const Value* index = json::find(call, "index");
    uint64_t tool = index && index->IsUint64() ? index->GetUint64() : k;
    if (tool > kMaxIndex) continue;
    const Value* fn = json::find(call, "function");
    const Value* id = json::find(call, "id");
    const Value* name = fn ? json::find(*fn, "name") : nullptr;
    const Value* arguments = fn ? json::find(*fn, "arguments") : nullptr;
    std::string_view args = arguments ? json::view(*arguments) : std::string_view();
    bool starts = (id && id->IsString() && id->GetStringLength()) || (name && name->IsString() && name->GetStringLength());
    if (!starts && args.empty()) continue;
    model::StreamEvent& e = add(starts ? Type::tool_call : Type::tool_arguments, output, args);
    e.tool = int(tool);
    if (id) e.id = json::view(*id);
    if (name) e.name = json::view(*name);
    emit(e);
  }
}

}  // namespace

std::string chat_body(const EncodeInput& in) {
  std::string body;
  if (in.request.format == model::Format::openai_chat && splice_body(in, body)) return body;
  return render_chat(in);
}

bool splice(const EncodeInput& in, std::span<const std::string_view> drop, std::string& out) {
  return splice_body(in, out, drop);
}

std::string embeddings_body(const EncodeInput& in) {
  std::string body;
  if (in.request.format == model::Format::openai_embeddings && splice_body(in, body)) return body;
  return render_embeddings(in);
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  if (openai_responses::speaks(ctx.provider, ctx.request)) return openai_responses::decode(status, body, ctx);
  switch (ctx.request.kind) {
    case model::Kind::chat:
      return decode_chat(status, body, ctx);
    case model::Kind::embeddings:
      return decode_embeddings(status, body, ctx);
    case model::Kind::models:
      return decode_models(status, body, ctx);
    case model::Kind::images:
      return openai_images::decode(status, body, ctx);
  }
  return translate::malformed(ctx, "an answer");
}

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) {
  if (openai_responses::speaks(ctx.provider, ctx.request)) return openai_responses::stream(ctx);
  return std::make_unique<OpenAIStream>(ctx);
}

ErrorType read_error(std::string_view body, const config::Provider& provider, Error& error) {
  json::Document doc;
  std::string parse_error;
  if (!json::parse(body, doc, parse_error) || !doc.IsObject()) return ErrorType::internal;
  const Value* e = json::find(doc, "error");
  if (!e) return ErrorType::internal;
  if (e->IsString()) {
    error.message = json::view(*e);
  } else {
    if (const Value* m = json::find(*e, "message"); m && m->IsString()) error.message = json::view(*m);
    if (const Value* c = json::find(*e, "code"); c && c->IsString()) error.code = json::view(*c);
    if (const Value* p = json::find(*e, "param"); p && p->IsString()) error.param = json::view(*p);
  }
  redact(provider, error.message);
  if (error.code == "context_length_exceeded" || contains(error.message, "maximum context length") ||
      contains(error.message, "context length"))
    return ErrorType::context_length_exceeded;
  if (error.code == "content_filter" || error.code == "content_policy_violation") return ErrorType::content_filtered;
  return ErrorType::internal;
}

// What every OpenAI-format server offers; `openai` itself also speaks the Responses API.
constexpr Capabilities kCompatibleCaps = {.embeddings = true,
                                          .models = true,
                                          .token_input = true,
                                          .images = true,
                                          .max_n = 128,
                                          .n_in_streams = true,
                                          .max_images = openai_images::max_images};

constexpr Capabilities with_native(Capabilities caps, model::Format format) {
  caps.native = format;
  return caps;
}

const Codec kCodec = {
    .caps = with_native(kCompatibleCaps, model::Format::openai_responses),
    .encode = encode,
    .decode = decode,
    .stream = stream,
};

const Codec kCompatibleCodec = {
    .caps = kCompatibleCaps,
    .encode = encode,
    .decode = decode,
    .stream = stream,
};

}  // namespace sy::providers::openai
