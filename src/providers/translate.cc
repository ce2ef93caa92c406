#include "providers/translate.h"

namespace sy::providers::translate {

using json::Value;

json::Document with_overrides(const EncodeInput& in) {
  json::Document doc;
  auto& alloc = doc.GetAllocator();
  if (in.request.IsObject()) doc.CopyFrom(in.request, alloc);
  else doc.SetObject();
  for (const auto& [name, raw] : in.overrides) {
    json::Document value;
    std::string error;
    if (!json::parse(raw, value, error)) continue;
    Value copy(value, alloc);
    Value key(name.c_str(), rapidjson::SizeType(name.size()), alloc);
    auto it = doc.FindMember(key);
    if (it != doc.MemberEnd()) it->value = copy;
    else doc.AddMember(key, copy, alloc);
  }
  return doc;
}

std::string text_of(const Value& content, std::string_view separator) {
  if (content.IsString()) return std::string(json::view(content));
  std::string text;
  if (!content.IsArray()) return text;
  bool first = true;
  for (const Value& part : content.GetArray()) {
    const Value* type = json::find(part, "type");
    const Value* t = json::find(part, "text");
    if (!t || !t->IsString() || (type && json::view(*type) != "text")) continue;
    if (!first) text += separator;
    first = false;
    text += json::view(*t);
  }
  return text;
}

bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data) {
  if (url.substr(0, 5) != "data:") return false;
  size_t comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view meta = url.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) return false;
  media_type = meta.substr(0, meta.size() - kBase64.size());
  if (size_t semi = media_type.find(';'); semi != std::string_view::npos) media_type = media_type.substr(0, semi);
  if (media_type.empty()) media_type = "application/octet-stream";
  data = url.substr(comma + 1);
  return true;
}

std::vector<std::string> stop_sequences(const Value* stop, size_t limit) {
  std::vector<std::string> out;
  if (!stop) return out;
  auto add = [&](const Value& v) {
    if (v.IsString() && v.GetStringLength() > 0 && out.size() < limit) out.emplace_back(json::view(v));
  };
  if (stop->IsArray()) {
    for (const Value& v : stop->GetArray()) add(v);
  } else {
    add(*stop);
  }
  return out;
}

int64_t max_tokens(const Value& request) {
  for (const char* name : {"max_completion_tokens", "max_tokens"}) {
    const Value* v = json::find(request, name);
    if (v && v->IsInt64() && v->GetInt64() > 0) return v->GetInt64();
  }
  return -1;
}

std::string headers(const EncodeInput& in, std::string_view auth) {
  std::string h = "content-type: application/json\n";
  if (in.stream) h += "accept: text/event-stream\n";
  h += auth;
  for (const auto& [name, value] : in.provider.headers) h += name + ": " + value + "\n";
  return h;
}

void price(Usage& usage, const DecodeContext& ctx) {
  usage.known = true;
  usage.cost = cost_of(ctx.provider, ctx.model, usage.prompt_tokens, usage.completion_tokens);
}

void append_usage(std::string& out, const Usage& usage, const UsageDetails& details) {
  out += "{\"prompt_tokens\":" + std::to_string(usage.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(usage.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(usage.prompt_tokens + usage.completion_tokens);
  if (details.cached_tokens >= 0)
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(details.cached_tokens) + "}";
  if (details.reasoning_tokens >= 0)
    out += ",\"completion_tokens_details\":{\"reasoning_tokens\":" + std::to_string(details.reasoning_tokens) + "}";
  if (usage.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, usage.cost);
  }
  out += '}';
}

namespace {

void append_tool_calls(std::string& out, const std::vector<ToolCall>& calls) {
  out += "\"tool_calls\":[";
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    json::append_string(out, calls[i].id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    json::append_string(out, calls[i].name);
    out += ",\"arguments\":";
    json::append_string(out, calls[i].arguments);
    out += "}}";
  }
  out += ']';
}

}  // namespace

std::string completion_json(const DecodeContext& ctx, std::string_view fallback_id, std::string_view model,
                            const std::vector<Choice>& choices, const Usage& usage, const UsageDetails& details) {
  std::string out = "{\"id\":";
  json::append_string(out, ctx.id.empty() ? fallback_id : ctx.id);
  out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(ctx.created) + ",\"model\":";
  json::append_string(out, model.empty() ? ctx.model : model);
  out += ",\"provider\":";
  json::append_string(out, ctx.provider.name);
  out += ",\"choices\":[";
  for (size_t i = 0; i < choices.size(); ++i) {
    const Choice& c = choices[i];
    if (i) out += ',';
    out += "{\"index\":" + std::to_string(i) + ",\"message\":{\"role\":\"assistant\",\"content\":";
    if (c.has_content || c.tool_calls.empty()) json::append_string(out, c.content);
    else out += "null";
    if (!c.tool_calls.empty()) {
      out += ',';
      append_tool_calls(out, c.tool_calls);
    }
    out += "},\"logprobs\":null,\"finish_reason\":";
    json::append_string(out, c.finish_reason);
    out += '}';
  }
  out += ']';
  if (usage.known) {
    out += ",\"usage\":";
    append_usage(out, usage, details);
  }
  out += '}';
  return out;
}

ChunkWriter::ChunkWriter(const DecodeContext& ctx) {
  head_ = "data: {\"id\":";
  json::append_string(head_, ctx.id.empty() ? std::string_view("chatcmpl-switchyard") : ctx.id);
  head_ += ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(ctx.created) + ",\"model\":";
  json::append_string(head_, ctx.model);
  head_ += ',';
}

void ChunkWriter::open(std::string& out) {
  out += head_;
  out += "\"choices\":[{\"index\":0,\"delta\":{";
  if (!started_) out += "\"role\":\"assistant\",";
  started_ = true;
}

void ChunkWriter::content(std::string& out, std::string_view text) {
  open(out);
  out += "\"content\":";
  json::append_string(out, text);
  out += "},\"finish_reason\":null}]}\n\n";
}

void ChunkWriter::tool_call(std::string& out, int index, std::string_view id, std::string_view name,
                            std::string_view arguments) {
  open(out);
  out += "\"tool_calls\":[{\"index\":" + std::to_string(index) + ",\"id\":";
  json::append_string(out, id);
  out += ",\"type\":\"function\",\"function\":{\"name\":";
  json::append_string(out, name);
  out += ",\"arguments\":";
  json::append_string(out, arguments);
  out += "}}]},\"finish_reason\":null}]}\n\n";
}

void ChunkWriter::tool_arguments(std::string& out, int index, std::string_view arguments) {
  open(out);
  out += "\"tool_calls\":[{\"index\":" + std::to_string(index) + ",\"function\":{\"arguments\":";
  json::append_string(out, arguments);
  out += "}}]},\"finish_reason\":null}]}\n\n";
}

void ChunkWriter::finish(std::string& out, std::string_view reason) {
  open(out);
  if (out.back() == ',') out.pop_back();  // a first chunk that only carries the role
  out += "},\"finish_reason\":";
  json::append_string(out, reason);
  out += "}]}\n\n";
}

void ChunkWriter::usage(std::string& out, const Usage& usage, const UsageDetails& details) {
  out += head_;
  out += "\"choices\":[],\"usage\":";
  append_usage(out, usage, details);
  out += "}\n\n";
}

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

ErrorType hint_from_message(std::string_view m) {
  if (contains(m, "prompt is too long") || contains(m, "context length") || contains(m, "context window") ||
      contains(m, "exceeds the maximum number of tokens") || contains(m, "input token count"))
    return ErrorType::context_length_exceeded;
  if (contains(m, "content filtering policy") || contains(m, "content_filter")) return ErrorType::content_filtered;
  return ErrorType::internal;
}

void add_to_turn(std::vector<Turn>& turns, bool user, const std::string& item) {
  if (turns.empty() || turns.back().user != user) turns.push_back({user, {}});
  else turns.back().items += ',';
  turns.back().items += item;
}

Decoded upstream_error(int status, ErrorType hint, Error error, const DecodeContext& ctx, health::Outcome forced) {
  Decoded d;
  d.error = std::move(error);
  redact(ctx.provider, d.error.message);
  d.outcome = forced != health::Outcome::malformed ? forced : health::outcome_of_status(status, hint);
  const auto& row = health::classify(d.outcome);
  d.error.status = row.status;
  d.error.type = row.type;
  if (d.outcome != health::Outcome::bad_request && d.outcome != health::Outcome::context_length &&
      d.outcome != health::Outcome::content_filter)
    d.error.param.clear();
  d.error.message = "upstream " + ctx.provider.name + " answered " + std::to_string(status) +
                    (d.error.message.empty() ? "" : ": " + d.error.message);
  return d;
}

Decoded error_in_200(Error error, const DecodeContext& ctx) {
  Decoded d;
  d.error = std::move(error);
  redact(ctx.provider, d.error.message);
  d.outcome = health::Outcome::error_body_200;
  d.error.status = 502;
  d.error.type = ErrorType::provider_unavailable;
  d.error.param.clear();
  d.error.message = "upstream " + ctx.provider.name + " answered 200 with an error: " + d.error.message;
  return d;
}

Decoded malformed(const DecodeContext& ctx, std::string_view what) {
  Decoded d;
  d.outcome = health::Outcome::malformed;
  d.error = {502, ErrorType::provider_unavailable,
             "upstream " + ctx.provider.name + " answered something that is not " + std::string(what),
             "bad_upstream_response"};
  return d;
}

}  // namespace sy::providers::translate
