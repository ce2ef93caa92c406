#include "ingress/openai_chat.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ingress/body.h"

namespace sy::ingress::openai_chat {

namespace {

using json::Value;
using model::Message;
using model::Part;
using model::PartType;
using model::Role;

// ---- messages ------------------------------------------------------------------------------

// The content-part types a role may send, and how to say so.
enum PartKinds : unsigned { kText = 1, kImage = 2, kAudio = 4, kFile = 8, kRefusal = 16 };

struct RoleRule {
  std::string_view name;
  Role role;
  unsigned parts;
  const char* part_names;
};

constexpr RoleRule kRoles[] = {
    {"system", Role::system, kText, "text"},
    {"developer", Role::developer, kText, "text"},
    {"user", Role::user, kText | kImage | kAudio | kFile, "text, image_url, input_audio, file"},
    {"assistant", Role::assistant, kText | kRefusal, "text, refusal"},
    {"tool", Role::tool, kText, "text"},
};

// The path of content part `index` of the message at `message`, built only when a refusal needs it.
struct PartPath {
  const std::string& message;
  size_t index;
  std::string operator+(std::string_view rest) const {
    return message + ".content[" + std::to_string(index) + "]" + std::string(rest);
  }
};

Part& add(Message& message, PartType type, const Value* raw = nullptr) {
  Part& part = message.parts.emplace_back();
  part.type = type;
  part.raw = raw;
  return part;
}

// Reads one message's parts into a Message; `at` is the message's path ("messages[2]"). Texts
// that must be joined are copied into `arena`, which lives as long as the envelope.
class MessageReader {
 public:
  MessageReader(json::Document::AllocatorType& arena, Error& error) : arena_(arena), error_(error) {}
  bool read(const Value& m, const std::string& at, Message& out);

 private:
  bool refuse(std::string param, std::string_view expected) {
    return body::refuse(error_, param, param + " " + std::string(expected));
  }
  bool content(const Value* content, const RoleRule& rule, const std::string& at, bool optional, Message& out);
  bool part(const Value& p, const RoleRule& rule, const PartPath& at, Part& out);
  bool image(const Value& p, const PartPath& at, Part& out);
  bool audio(const Value& p, const PartPath& at, Part& out);
  bool file(const Value& p, const PartPath& at, Part& out);
  bool tool_calls(const Value& m, const std::string& at, Message& out);
  bool function_call(const Value& call, const std::string& at, Message& out);
  bool reasoning(const Value& m, const std::string& at, Message& out);
  bool tool_result(const Value& m, const std::string& at, Message& out);
  std::string_view keep(const std::string& text);

  json::Document::AllocatorType& arena_;
  Error& error_;
};

std::string_view MessageReader::keep(const std::string& text) {
  if (text.empty()) return {};
  char* copy = static_cast<char*>(arena_.Malloc(text.size()));
  std::memcpy(copy, text.data(), text.size());
  return {copy, text.size()};
}

bool MessageReader::read(const Value& m, const std::string& at, Message& out) {
  if (!m.IsObject()) return refuse(at, "must be an object");
  const Value* role = json::find(m, "role");
  std::string_view name = role ? json::view(*role) : std::string_view();
  if (name == "function")
    return refuse(at + ".role", "\"function\" is deprecated and not supported: answer tool calls with role \"tool\"");
  auto rule = std::find_if(std::begin(kRoles), std::end(kRoles), [&](const RoleRule& r) { return r.name == name; });
  if (rule == std::end(kRoles)) return refuse(at + ".role", "must be one of system, developer, user, assistant, tool");
  out.role = rule->role;
  out.raw = &m;
  if (const Value* n = json::find(m, "name"); n && !n->IsNull()) {
    if (!n->IsString()) return refuse(at + ".name", "must be a string");
    out.name = json::view(*n);
  }
  if (out.role == Role::tool) return tool_result(m, at, out);
  if (out.role != Role::assistant) return content(json::find(m, "content"), *rule, at, false, out);
  // Assistant: thinking first, then content (optional when the message calls tools or refuses),
  // its refusal, then its calls.
  const Value* calls = json::find(m, "tool_calls");
  const Value* legacy = json::find(m, "function_call");
  const Value* refusal = json::find(m, "refusal");
  bool calls_tools = (calls && !calls->IsNull() && !(calls->IsArray() && calls->Empty())) || (legacy && !legacy->IsNull());
  bool refuses = refusal && refusal->IsString();
  if (!reasoning(m, at, out) || !content(json::find(m, "content"), *rule, at, calls_tools || refuses, out)) return false;
  if (refusal && !refusal->IsNull()) {
    if (!refusal->IsString()) return refuse(at + ".refusal", "must be a string");
    add(out, PartType::refusal).text = json::view(*refusal);
  }
  if (calls && !calls->IsNull() && !tool_calls(*calls, at + ".tool_calls", out)) return false;
  return !legacy || legacy->IsNull() || function_call(*legacy, at + ".function_call", out);
}

bool MessageReader::content(const Value* content, const RoleRule& rule, const std::string& at, bool optional,
                            Message& out) {
  if (!content || content->IsNull()) {
    if (optional) return true;
    return refuse(at + ".content", "is required for " + std::string(rule.name == "assistant" ? "an " : "a ") +
                             std::string(rule.name) + " message" +
                             (rule.role == Role::assistant ? " without tool_calls or refusal" : ""));
  }
  if (content->IsString()) {
    add(out, PartType::text).text = json::view(*content);
    return true;
  }
  if (!content->IsArray() || content->Empty())
    return refuse(at + ".content",
                  "must be a string or a non-empty array of content parts (" + std::string(rule.part_names) + ")");
  for (rapidjson::SizeType i = 0; i < content->Size(); ++i) {
    Part& p = out.parts.emplace_back();
    if (!part((*content)[i], rule, PartPath{at, i}, p)) return false;
  }
  return true;
}

bool MessageReader::part(const Value& p, const RoleRule& rule, const PartPath& at, Part& out) {
  if (!p.IsObject()) return refuse(at + "", "must be an object");
  out.raw = &p;
  const Value* type = json::find(p, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  unsigned kind = t == "text" ? kText : t == "image_url" ? kImage : t == "input_audio" ? kAudio
                : t == "file" ? kFile : t == "refusal" ? kRefusal : 0u;
  if (!(kind & rule.parts))
    return refuse(at + ".type", "must be one of " + std::string(rule.part_names) + " in a " + std::string(rule.name) +
                                    " message");
  if (kind == kImage) return image(p, at, out);
  if (kind == kAudio) return audio(p, at, out);
  if (kind == kFile) return file(p, at, out);
  const Value* text = json::find(p, t);  // "text" or "refusal"
  if (!text || !text->IsString()) return refuse(at + "." + std::string(t), "must be a string");
  out.type = kind == kText ? PartType::text : PartType::refusal;
  out.text = json::view(*text);
  return true;
}

bool MessageReader::image(const Value& p, const PartPath& at, Part& out) {
  const Value* image = json::find(p, "image_url");
  if (!image || !image->IsObject()) return refuse(at + ".image_url", "must be an object such as {\"url\": \"https://…\"}");
  const Value* url = json::find(*image, "url");
  if (!url || !url->IsString()) return refuse(at + ".image_url.url", "must be a string (an http(s) or data: URL)");
  const Value* detail = json::find(*image, "detail");
  std::string_view d = detail ? json::view(*detail) : std::string_view();
  if (detail && !detail->IsNull() && d != "auto" && d != "low" && d != "high")
    return refuse(at + ".image_url.detail", "must be one of auto, low, high");
  out.type = PartType::image;
  out.url = json::view(*url);
  out.detail = d;
  return true;
}

bool MessageReader::audio(const Value& p, const PartPath& at, Part& out) {
  const Value* audio = json::find(p, "input_audio");
  if (!audio || !audio->IsObject()) return refuse(at + ".input_audio", "must be an object {\"data\", \"format\"}");
  const Value* data = json::find(*audio, "data");
  if (!data || !data->IsString()) return refuse(at + ".input_audio.data", "must be a string of base64 audio");
  const Value* format = json::find(*audio, "format");
  if (!format || !format->IsString() || format->GetStringLength() == 0)
    return refuse(at + ".input_audio.format", "must be the audio format, such as \"wav\" or \"mp3\"");
  out.type = PartType::audio;
  out.url = json::view(*data);
  out.media_type = json::view(*format);
  return true;
}

bool MessageReader::file(const Value& p, const PartPath& at, Part& out) {
  const Value* file = json::find(p, "file");
  if (!file || !file->IsObject()) return refuse(at + ".file", "must be an object with file_data or file_id");
  for (const char* member : {"file_data", "file_id", "filename"}) {
    const Value* v = json::find(*file, member);
    if (v && !v->IsNull() && !v->IsString()) return refuse(at + ".file." + member, "must be a string");
  }
  const Value* data = json::find(*file, "file_data");
  const Value* id = json::find(*file, "file_id");
  const Value* name = json::find(*file, "filename");
  if ((!data || !data->IsString()) && (!id || !id->IsString()))
    return refuse(at + ".file", "must have file_data or file_id");
  out.type = PartType::file;
  out.url = data ? json::view(*data) : std::string_view();
  out.id = id ? json::view(*id) : std::string_view();
  out.name = name ? json::view(*name) : std::string_view();
  return true;
}

bool MessageReader::tool_calls(const Value& calls, const std::string& at, Message& out) {
  if (!calls.IsArray()) return refuse(at, "must be an array of tool calls");
  for (rapidjson::SizeType i = 0; i < calls.Size(); ++i) {
    const Value& call = calls[i];
    std::string ci = at + "[" + std::to_string(i) + "]";
    if (!call.IsObject()) return refuse(ci, "must be an object {id, type, function}");
    const Value* id = json::find(call, "id");
    if (!id || !id->IsString()) return refuse(ci + ".id", "must be a string");
    const Value* type = json::find(call, "type");
    if (!type || json::view(*type) != "function") return refuse(ci + ".type", "must be \"function\"");
    const Value* function = json::find(call, "function");
    if (!function || !function->IsObject()) return refuse(ci + ".function", "must be an object {name, arguments}");
    const Value* name = json::find(*function, "name");
    if (!name || !name->IsString() || name->GetStringLength() == 0) return refuse(ci + ".function.name", "must be a string");
    const Value* arguments = json::find(*function, "arguments");
    if (!arguments || !arguments->IsString())
      return refuse(ci + ".function.arguments", "must be a string (the arguments as JSON text)");
    Part& p = add(out, PartType::tool_call, &call);
    p.id = json::view(*id);
    p.name = json::view(*name);
    p.arguments = json::view(*arguments);
  }
  return true;
}

// The deprecated {name, arguments} of an assistant message: a tool call without an id.
bool MessageReader::function_call(const Value& call, const std::string& at, Message& out) {
  if (!call.IsObject()) return refuse(at, "must be an object {name, arguments}");
  const Value* name = json::find(call, "name");
  if (!name || !name->IsString() || name->GetStringLength() == 0) return refuse(at + ".name", "must be a string");
  const Value* arguments = json::find(call, "arguments");
  if (!arguments || !arguments->IsString()) return refuse(at + ".arguments", "must be a string (the arguments as JSON text)");
  Part& p = add(out, PartType::tool_call, &call);
  p.name = json::view(*name);
  p.arguments = json::view(*arguments);
  return true;
}

// OpenRouter's reasoning on assistant messages: reasoning_details ([{type: "reasoning.text", text,
// signature?} | {type: "reasoning.encrypted", data} | {type: "reasoning.summary", summary}],
// other types skipped), else `reasoning` (its text).
bool MessageReader::reasoning(const Value& m, const std::string& at, Message& out) {
  const Value* details = json::find(m, "reasoning_details");
  if (details && !details->IsNull()) {
    if (!details->IsArray()) return refuse(at + ".reasoning_details", "must be an array");
    for (rapidjson::SizeType i = 0; i < details->Size(); ++i) {
      const Value& d = (*details)[i];
      std::string di = at + ".reasoning_details[" + std::to_string(i) + "]";
      if (!d.IsObject()) return refuse(di, "must be an object");
      const Value* type = json::find(d, "type");
      std::string_view t = type ? json::view(*type) : std::string_view();
      const char* member = t == "reasoning.text" ? "text" : t == "reasoning.encrypted" ? "data"
                         : t == "reasoning.summary" ? "summary" : nullptr;
      if (!member) continue;
      const Value* text = json::find(d, member);
      if (text && !text->IsNull() && !text->IsString()) return refuse(di + "." + member, "must be a string");
      const Value* signature = json::find(d, "signature");
      if (signature && !signature->IsNull() && !signature->IsString()) return refuse(di + ".signature", "must be a string");
      Part& p = add(out, PartType::reasoning, &d);
      p.text = text ? json::view(*text) : std::string_view();
      p.signature = signature ? json::view(*signature) : std::string_view();
      p.redacted = t == "reasoning.encrypted";
    }
    return true;
  }
  const Value* text = json::find(m, "reasoning");
  if (!text || text->IsNull()) return true;
  if (!text->IsString()) return refuse(at + ".reasoning", "must be a string");
  if (text->GetStringLength() > 0) add(out, PartType::reasoning).text = json::view(*text);
  return true;
}

// A tool message: one tool_result part answering tool_call_id, its text the content's text.
bool MessageReader::tool_result(const Value& m, const std::string& at, Message& out) {
  const Value* id = json::find(m, "tool_call_id");
  if (!id || !id->IsString()) return refuse(at + ".tool_call_id", "is required for a tool message (a string)");
  Message texts;
  if (!content(json::find(m, "content"), kRoles[4], at, false, texts)) return false;
  Part& result = add(out, PartType::tool_result);
  result.id = json::view(*id);
  result.text = texts.parts.size() == 1 ? texts.parts[0].text : keep(model::text_of(texts));
  return true;
}

bool read_messages(const Value& messages, model::Envelope& env, Error& error) {
  if (!messages.IsArray() || messages.Empty())
    return body::refuse(error, "messages", "messages must be a non-empty array of messages");
  MessageReader reader(env.doc.GetAllocator(), error);
  env.request.messages.resize(messages.Size());
  std::string at;  // "messages[i]", rewritten in place: one allocation for all messages
  for (rapidjson::SizeType i = 0; i < messages.Size(); ++i) {
    at.assign("messages[");
    json::append_number(at, double(i));
    at += ']';
    if (!reader.read(messages[i], at, env.request.messages[i])) return false;
  }
  return true;
}

// ---- the body ------------------------------------------------------------------------------

// tool_choice {"type": "allowed_tools", "allowed_tools": {"tools": [...]}}: only the listed tools
// are offered (matched by name), so targets of every format honour the restriction.
void keep_allowed_tools(const Value& body, model::Request& request) {
  const Value* choice = json::find(body, "tool_choice");
  const Value* type = choice ? json::find(*choice, "type") : nullptr;
  if (!type || json::view(*type) != "allowed_tools") return;
  const Value* listed = json::find(*json::find(*choice, "allowed_tools"), "tools");
  std::vector<std::string_view> names;
  for (const Value& tool : listed->GetArray()) {
    const Value* tool_type = json::find(tool, "type");
    const Value* own = tool_type ? json::find(tool, json::view(*tool_type)) : nullptr;
    const Value* name = own ? json::find(*own, "name") : nullptr;
    if (!name) name = json::find(tool, "name");
    if (name) names.push_back(json::view(*name));
  }
  auto unlisted = [&](const model::Tool& t) { return std::find(names.begin(), names.end(), t.name) == names.end(); };
  request.tools.erase(std::remove_if(request.tools.begin(), request.tools.end(), unlisted), request.tools.end());
}

bool decode(model::Envelope& env, const DecodeArgs&, Error& error) {
  if (!body::parse(env, error)) return false;
  model::Request& request = env.request;
  request.kind = model::Kind::chat;
  request.format = model::Format::openai_chat;
  request.raw = env.text;
  const Value* messages = nullptr;
  const Value* max_completion_tokens = nullptr;
  for (const auto& member : static_cast<const Value&>(env.doc).GetObject()) {
    std::string_view name = json::view(member.name);
    body::Member kind = body::routing(request, name, member.value, error);
    if (kind == body::Member::invalid) return false;
    if (kind == body::Member::routing) continue;
    if (name == "messages") {
      messages = &member.value;
    } else if (name == "max_completion_tokens" && member.value.IsNull()) {
      continue;  // unset: max_tokens, if given, stands
    } else if (!body::param(request, name, member.value, error)) {
      return false;
    } else if (name == "max_completion_tokens") {
      max_completion_tokens = &member.value;
    }
  }
  if (!body::resolve_model(request, error)) return false;
  if (!messages) return body::refuse(error, "messages", "messages is required", "missing_messages");
  if (!read_messages(*messages, env, error)) return false;
  if (max_completion_tokens) request.max_tokens = max_completion_tokens->GetInt64();  // it wins over max_tokens
  keep_allowed_tools(env.doc, request);
  return true;
}

// ---- streams -------------------------------------------------------------------------------

// chat.completion.chunk events from canonical events, or the upstream's own chunks when it spoke
// this format (passthrough). The first chunk of each output carries delta.role.
class ChunkWriter final : public StreamWriter {
 public:
  explicit ChunkWriter(const Context& ctx);
  void events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) override;
  void close(const model::Usage& usage, std::string& out) override;

 private:
  void render(const model::StreamEvent& e, std::string& out);
  void open(int output, std::string& out);
  void reasoning(const model::StreamEvent& e, std::string& out);
  void failed(const Error& error, std::string& out);
  void end(std::string& out) const;

  std::string head_;  // data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,
  std::string started_;  // per output index, 1 once its role was written (no vector<bool> code in the wasm)
  bool include_usage_ = false;
  bool passthrough_ = false;  // the upstream's chunks were sent: its own usage chunk too
  bool failed_ = false;
  bool closed_ = false;
};

ChunkWriter::ChunkWriter(const Context& ctx) : include_usage_(ctx.request && ctx.request->include_usage) {
  std::string_view id = ctx.request_id;
  if (id.substr(0, 4) == "req_") id.remove_prefix(4);
  head_ = "data: {\"id\":";
  json::append_string(head_, "chatcmpl-" + std::string(id));
  head_ += ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(ctx.created) + ",\"model\":";
  json::append_string(head_, ctx.model);
  head_ += ',';
}

void ChunkWriter::events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) {
  if (failed_ || closed_) return;
  bool error = std::any_of(events.begin(), events.end(),
                           [](const model::StreamEvent& e) { return e.type == model::StreamEvent::Type::error; });
  if (raw.format == model::Format::openai_chat && !raw.data.empty() && !error) {
    passthrough_ = true;
    out += "data: ";
    out += raw.data;
    out += "\n\n";
    return;
  }
  for (const model::StreamEvent& e : events) {
    render(e, out);
    if (failed_) return;
  }
}

void ChunkWriter::open(int output, std::string& out) {
  if (output < 0) output = 0;
  if (size_t(output) >= started_.size()) started_.resize(size_t(output) + 1, 0);
  out += head_;
  out += "\"choices\":[{\"index\":" + std::to_string(output) + ",\"delta\":{";
  if (!started_[size_t(output)] && !passthrough_) out += "\"role\":\"assistant\",";
  started_[size_t(output)] = 1;
}

constexpr std::string_view kDeltaEnd = "},\"finish_reason\":null}]";

// A chunk's end: with include_usage every chunk but the last carries "usage": null, as OpenAI's.
void ChunkWriter::end(std::string& out) const { out += include_usage_ ? ",\"usage\":null}\n\n" : "}\n\n"; }

void ChunkWriter::render(const model::StreamEvent& e, std::string& out) {
  using Type = model::StreamEvent::Type;
  switch (e.type) {
    case Type::text:
    case Type::refusal:
      open(e.output, out);
      out += e.type == Type::text ? "\"content\":" : "\"refusal\":";
      json::append_string(out, e.text);
      out += kDeltaEnd;
      return end(out);
    case Type::reasoning:
      return reasoning(e, out);
    case Type::tool_call:
      open(e.output, out);
      out += "\"tool_calls\":[{\"index\":" + std::to_string(e.tool) + ",\"id\":";
      json::append_string(out, e.id);
      out += ",\"type\":\"function\",\"function\":{\"name\":";
      json::append_string(out, e.name);
      out += ",\"arguments\":";
      json::append_string(out, e.text);
      out += "}}]";
      out += kDeltaEnd;
      return end(out);
    case Type::tool_arguments:
      open(e.output, out);
      out += "\"tool_calls\":[{\"index\":" + std::to_string(e.tool) + ",\"function\":{\"arguments\":";
      json::append_string(out, e.text);
      out += "}}]";
      out += kDeltaEnd;
      return end(out);
    case Type::finish: {
      open(e.output, out);
      if (out.back() == ',') out.pop_back();  // a first chunk that only carries the role
      std::string_view reason = model::finish_name(e.finish);
      out += "},\"finish_reason\":";
      json::append_string(out, reason.empty() ? "stop" : reason);
      out += "}]";
      return end(out);
    }
    case Type::usage:
      return;  // close() renders the final usage
    case Type::error:
      return failed(e.error ? *e.error : Error{502, ErrorType::provider_unavailable, "the upstream stream failed"}, out);
  }
}

// OpenRouter's shape: delta.reasoning (the text) and delta.reasoning_details (with the signature,
// or the opaque data of redacted thinking).
void ChunkWriter::reasoning(const model::StreamEvent& e, std::string& out) {
  open(e.output, out);
  if (!e.redacted && !e.text.empty()) {
    out += "\"reasoning\":";
    json::append_string(out, e.text);
    out += ',';
  }
  out += e.redacted ? "\"reasoning_details\":[{\"type\":\"reasoning.encrypted\",\"data\":"
                    : "\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":";
  json::append_string(out, e.text);
  if (!e.signature.empty()) {
    out += ",\"signature\":";
    json::append_string(out, e.signature);
  }
  out += "}]";
  out += kDeltaEnd;
  end(out);
}

// After bytes reached the caller a failure ends the stream in-band: a chunk whose finish_reason
// is "error" and whose "error" is the error body's inside.
void ChunkWriter::failed(const Error& error, std::string& out) {
  failed_ = true;
  out += head_;
  out += "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}],\"error\":";
  std::string body = error_body(error);
  constexpr size_t kPrefix = sizeof("{\"error\":") - 1;
  out.append(body, kPrefix, body.size() - kPrefix - 1);
  out += "}\n\n";
}

void ChunkWriter::close(const model::Usage& usage, std::string& out) {
  if (closed_) return;
  closed_ = true;
  if (include_usage_ && !passthrough_ && !failed_) {
    out += head_;
    out += "\"choices\":[],\"usage\":";
    append_usage(out, usage);
    out += "}\n\n";
  }
  out += "data: [DONE]\n\n";
}

std::unique_ptr<StreamWriter> chunk_writer(const Context& ctx) { return std::make_unique<ChunkWriter>(ctx); }

// ---- answers and errors --------------------------------------------------------------------

std::string error(const Error& e) { return error_body(e); }

}  // namespace

void append_usage(std::string& out, const model::Usage& usage) {
  out += "{\"prompt_tokens\":" + std::to_string(usage.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(usage.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(usage.prompt_tokens + usage.completion_tokens);
  if (usage.cached_tokens >= 0)
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(usage.cached_tokens) + "}";
  if (usage.reasoning_tokens >= 0)
    out += ",\"completion_tokens_details\":{\"reasoning_tokens\":" + std::to_string(usage.reasoning_tokens) + "}";
  if (usage.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, usage.cost);
  }
  out += '}';
}

const Codec kCodec{model::Format::openai_chat, decode, nullptr, chunk_writer, error};

}  // namespace sy::ingress::openai_chat
