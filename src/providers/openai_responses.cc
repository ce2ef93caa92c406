#include "providers/openai_responses.h"

#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "providers/openai.h"
#include "providers/translate.h"

namespace sy::providers::openai_responses {

namespace {

using json::Value;

std::string_view str_at(const Value& object, const char* name) {
  const Value* v = json::find(object, name);
  return v ? json::view(*v) : std::string_view();
}

int64_t int_at(const Value& object, const char* name, int64_t fallback) {
  const Value* v = json::find(object, name);
  return v && v->IsInt64() ? v->GetInt64() : fallback;
}

bool listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ---- encode ---------------------------------------------------------------------------------

// Members of the caller's body never sent upstream: routing controls, and the conversation the
// gateway already folded into `input`.
constexpr std::string_view kDropped[] = {"model", "models", "provider", "switchyard", "session_id", "previous_response_id"};

// Canonical parameters (override_params names) the Responses API does not have.
constexpr std::string_view kUnsent[] = {"n",     "stop",     "seed",           "presence_penalty", "frequency_penalty",
                                        "logit_bias", "top_k", "logprobs", "stream_options", "tools", "tool_choice"};

// The top-level members of a body as (key, JSON text), in order: views into the body, or into
// `storage` when a key holds an escape and the body had to be re-serialized.
struct Members {
  std::vector<std::pair<std::string_view, std::string_view>> list;
  std::vector<std::string> storage;

  std::string_view find(std::string_view name) const {
    for (auto it = list.rbegin(); it != list.rend(); ++it)
      if (it->first == name) return it->second;
    return {};
  }
};

bool members_of(std::string_view body, Members& out) {
  std::vector<json::Member> found;
  if (json::top_level_members(body, found)) {
    for (const auto& m : found) out.list.emplace_back(m.key, m.value);
    return true;
  }
  json::Document doc;
  std::string error;
  if (!json::parse(body, doc, error) || !doc.IsObject()) return false;
  out.storage.reserve(2 * size_t(doc.MemberCount()));  // views stay valid: no reallocation
  for (const auto& m : doc.GetObject()) {
    out.storage.emplace_back(json::view(m.name));
    std::string_view key = out.storage.back();
    json::append_value(out.storage.emplace_back(), m.value);
    out.list.emplace_back(key, out.storage.back());
  }
  return true;
}

using Edits = std::vector<std::pair<std::string, std::string>>;  // member name -> JSON text

void set_edit(Edits& edits, std::string_view name, std::string value) {
  for (auto& [n, v] : edits)
    if (n == name) {
      v = std::move(value);
      return;
    }
  edits.emplace_back(name, std::move(value));
}

const std::string* edit_of(const Edits& edits, std::string_view name) {
  for (const auto& [n, v] : edits)
    if (n == name) return &v;
  return nullptr;
}

// `object` (a JSON object's text; anything else counts as {}) with member `name` set to `value`.
std::string with_member(std::string_view object, std::string_view name, std::string_view value) {
  json::Document doc;
  std::string error, out = "{";
  if (!object.empty() && json::parse(object, doc, error) && doc.IsObject()) {
    for (const auto& m : doc.GetObject()) {
      if (json::view(m.name) == name) continue;
      json::append_string(out, json::view(m.name));
      out += ':';
      json::append_value(out, m.value);
      out += ',';
    }
  }
  json::append_string(out, name);
  out += ':';
  out.append(value);
  return out + "}";
}

// A chat-completions response_format as the Responses API's text.format: json_schema's members
// flattened into the format ({"type": "json_schema", "name", "schema", "strict", …}).
std::string text_format(std::string_view response_format) {
  json::Document doc;
  std::string error;
  if (!json::parse(response_format, doc, error) || !doc.IsObject()) return std::string(response_format);
  const Value* spec = json::find(doc, "json_schema");
  if (str_at(doc, "type") != "json_schema" || !spec || !spec->IsObject()) return std::string(response_format);
  std::string out = "{\"type\":\"json_schema\"";
  for (const auto& m : spec->GetObject()) {
    out += ',';
    json::append_string(out, json::view(m.name));
    out += ':';
    json::append_value(out, m.value);
  }
  return out + "}";
}

// The target's overrides as edits of the body, in the Responses API's names (see the header).
Edits edits_of(const EncodeInput& in, const Members& body) {
  Edits edits;
  std::string effort, format;
  for (const auto& [name, value] : in.overrides) {
    if (listed(kDropped, name) || listed(kUnsent, name)) continue;
    if (name == "max_tokens" || name == "max_completion_tokens") set_edit(edits, "max_output_tokens", value);
    else if (name == "reasoning_effort") effort = value;
    else if (name == "response_format") format = text_format(value);
    else set_edit(edits, name, value);
  }
  auto current = [&](std::string_view name) {
    const std::string* edited = edit_of(edits, name);
    return edited ? std::string_view(*edited) : body.find(name);
  };
  if (!effort.empty()) set_edit(edits, "reasoning", with_member(current("reasoning"), "effort", effort));
  if (!format.empty()) set_edit(edits, "text", with_member(current("text"), "format", format));
  return edits;
}

std::string body_of(const EncodeInput& in) {
  Members body;
  std::string out = "{\"model\":";
  json::append_string(out, in.model);
  if (!members_of(in.request.raw, body)) return out + "}";  // never: the ingress parsed it
  Edits edits = edits_of(in, body);
  out.reserve(in.request.raw.size() + 64);
  for (const auto& [key, value] : body.list) {
    if (listed(kDropped, key)) continue;
    out += ',';
    json::append_string(out, key);
    out += ':';
    const std::string* edited = edit_of(edits, key);
    out.append(edited ? std::string_view(*edited) : value);
  }
  for (const auto& [name, value] : edits) {
    if (!body.find(name).empty()) continue;
    out += ',';
    json::append_string(out, name);
    out += ':';
    out += value;
  }
  return out + "}";
}

// ---- decode ---------------------------------------------------------------------------------

// A Response's usage object ({input_tokens, output_tokens, input_tokens_details.cached_tokens,
// output_tokens_details.reasoning_tokens, cost?}): known when it names input or output tokens.
model::Usage read_usage(const Value& usage) {
  model::Usage u;
  if (!usage.IsObject()) return u;
  const Value* input = json::find(usage, "input_tokens");
  const Value* output = json::find(usage, "output_tokens");
  u.known = (input && input->IsInt64()) || (output && output->IsInt64());
  u.prompt_tokens = int_at(usage, "input_tokens", 0);
  u.completion_tokens = int_at(usage, "output_tokens", 0);
  if (const Value* d = json::find(usage, "input_tokens_details"); d && d->IsObject())
    u.cached_tokens = int_at(*d, "cached_tokens", -1);
  if (const Value* d = json::find(usage, "output_tokens_details"); d && d->IsObject())
    u.reasoning_tokens = int_at(*d, "reasoning_tokens", -1);
  if (const Value* cost = json::find(usage, "cost"); cost && cost->IsNumber() && cost->GetDouble() >= 0)
    u.cost = cost->GetDouble();
  return u;
}

// Prices known usage at the target's price; true when a price was found. Otherwise an upstream's
// own cost, if it gave one, stays.
bool price_known(model::Usage& usage, const config::Provider& provider, std::string_view model) {
  if (!usage.known) return false;
  double cost = cost_of(provider, model, usage.prompt_tokens, usage.completion_tokens);
  if (cost < 0) return false;
  usage.cost = cost;
  return true;
}

// The texts of the `member` array's parts (summary_text, reasoning_text, output_text), joined.
std::string joined(const Value& item, const char* member, std::string_view separator) {
  std::string out;
  const Value* parts = json::find(item, member);
  if (!parts || !parts->IsArray()) return out;
  for (const Value& part : parts->GetArray()) {
    std::string_view text = str_at(part, "text");
    if (text.empty()) continue;
    if (!out.empty()) out += separator;
    out += text;
  }
  return out;
}

// A reasoning item as a canonical block: its summary (else its reasoning text) signed by its
// encrypted_content; only encrypted_content makes a redacted block. False when it holds nothing.
bool reasoning_of(const Value& item, model::Reasoning& out) {
  std::string text = joined(item, "summary", "\n\n");
  if (text.empty()) text = joined(item, "content", "");
  std::string_view encrypted = str_at(item, "encrypted_content");
  if (text.empty() && encrypted.empty()) return false;
  out = text.empty() ? model::Reasoning{std::string(encrypted), {}, true}
                     : model::Reasoning{std::move(text), std::string(encrypted), false};
  return true;
}

void read_item(const Value& item, model::Output& o) {
  std::string_view type = str_at(item, "type");
  if (type == "message") {
    const Value* content = json::find(item, "content");
    if (!content || !content->IsArray()) return;
    for (const Value& part : content->GetArray()) {
      std::string_view part_type = str_at(part, "type");
      if (part_type == "output_text") {
        o.text += str_at(part, "text");
        o.has_text = true;
      } else if (part_type == "refusal") {
        o.refusal += str_at(part, "refusal");
      }
    }
  } else if (type == "function_call") {
    o.tool_calls.push_back({std::string(str_at(item, "call_id")), std::string(str_at(item, "name")),
                            std::string(str_at(item, "arguments"))});
  } else if (type == "reasoning") {
    if (model::Reasoning r; reasoning_of(item, r)) o.reasoning.push_back(std::move(r));
  }
}

model::Finish finish_of(const Value& response, bool incomplete, bool called) {
  if (!incomplete) return called ? model::Finish::tool_calls : model::Finish::stop;
  const Value* details = json::find(response, "incomplete_details");
  bool filtered = details && str_at(*details, "reason") == "content_filter";
  return filtered ? model::Finish::content_filter : model::Finish::length;
}

// The previous_response_id the caller sent, which the gateway resolved instead of sending it: a
// Response answering that request says it continued it, as OpenAI's would.
void name_previous(Value& response, std::string_view previous, json::Document::AllocatorType& allocator) {
  if (previous.empty() || !response.IsObject()) return;
  Value id(previous.data(), rapidjson::SizeType(previous.size()), allocator);
  if (Value* own = json::find_mutable(response, "previous_response_id")) *own = id;
  else response.AddMember("previous_response_id", id, allocator);
}

// The body as sent with "provider" naming ours, previous_response_id the caller's and, when
// `priced`, usage.cost set; members that did not change are copied, not re-serialized.
std::string raw_response(std::string_view body, json::Document& doc, const DecodeContext& ctx, const model::Usage& usage,
                         bool priced) {
  std::string_view previous = ctx.request.previous_response_id;
  std::string previous_text;
  if (!previous.empty()) json::append_string(previous_text, previous);
  std::string usage_text;
  if (priced) {
    Value& u = doc["usage"];
    if (u.HasMember("cost")) u["cost"].SetDouble(usage.cost);
    else u.AddMember("cost", usage.cost, doc.GetAllocator());
    json::append_value(usage_text, u);
  }
  std::vector<json::Member> members;
  std::string out = "{\"provider\":";
  json::append_string(out, ctx.provider.name);
  if (json::top_level_members(body, members)) {
    out.reserve(body.size() + out.size() + 32);
    bool named = previous.empty();
    for (const auto& m : members) {
      if (m.key == "provider") continue;
      out += ",\"";
      out.append(m.key);
      out += "\":";
      bool own = m.key == "previous_response_id" && !previous.empty();
      named = named || own;
      out.append(m.key == "usage" && priced ? std::string_view(usage_text) : own ? std::string_view(previous_text) : m.value);
    }
    if (!named) out += ",\"previous_response_id\":" + previous_text;
    out += '}';
    if (priced) redact(ctx.provider, out);  // a key written with escapes is plain once re-serialized
    return out;
  }
  doc.RemoveMember("provider");
  name_previous(doc, previous, doc.GetAllocator());
  for (const auto& m : doc.GetObject()) {
    out += ',';
    json::append_string(out, json::view(m.name));
    out += ':';
    json::append_value(out, m.value);
  }
  out += '}';
  redact(ctx.provider, out);
  return out;
}

}  // namespace

bool responses_only(std::string_view name) {
  static constexpr std::string_view kOnly[] = {
      "include",    "truncation", "top_logprobs", "max_tool_calls",       "background",         "reasoning",
      "text",       "prompt",     "conversation", "moderation",           "prompt_cache_options", "context_management",
      "input",      "instructions", "tool_choice", "previous_response_id"};
  return listed(kOnly, name);
}

bool speaks(const config::Provider& provider, const model::Request& request) {
  return provider.type == config::ProviderType::openai && request.format == model::Format::openai_responses &&
         request.kind == model::Kind::chat && !request.raw.empty();
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  const config::Provider& p = in.provider;
  out.method = "POST";
  out.url = p.base_url + "/responses";
  out.headers = translate::headers(in, p.api_key.empty() ? std::string() : "authorization: Bearer " + p.api_key + "\n");
  out.body = body_of(in);
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  if (status < 200 || status >= 300) {
    Error error;
    ErrorType hint = openai::read_error(body, ctx.provider, error);
    return translate::upstream_error(status, hint, std::move(error), ctx);
  }
  json::Document doc;
  std::string parse_error;
  if (!json::parse(body, doc, parse_error) || !doc.IsObject()) return translate::malformed(ctx, "a response");
  const Value* failure = json::find(doc, "error");
  std::string_view state = str_at(doc, "status");
  if ((failure && failure->IsObject()) || state == "failed") {
    Error error;
    openai::read_error(body, ctx.provider, error);
    if (error.message.empty()) error.message = "the response failed";
    return translate::error_in_200(std::move(error), ctx);
  }
  const Value* output = json::find(doc, "output");
  bool incomplete = state == "incomplete";
  if (!output || !output->IsArray() || (state != "completed" && !incomplete))
    return translate::malformed(ctx, "a finished response");
  Decoded d;
  d.ok = true;
  model::Answer& a = d.answer;
  a.id = str_at(doc, "id");
  if (const Value* created = json::find(doc, "created_at"); created && created->IsNumber())
    a.created = int64_t(created->GetDouble());
  a.model = str_at(doc, "model");
  a.provider = ctx.provider.name;
  model::Output& o = a.outputs.emplace_back();
  for (const Value& item : output->GetArray()) read_item(item, o);
  o.finish = finish_of(doc, incomplete, !o.tool_calls.empty());
  if (const Value* usage = json::find(doc, "usage")) a.usage = read_usage(*usage);
  bool priced = price_known(a.usage, ctx.provider, ctx.model);
  a.raw = raw_response(body, doc, ctx, a.usage, priced);
  a.raw_format = model::Format::openai_responses;
  return d;
}

// ---- streams --------------------------------------------------------------------------------

namespace {

// Output items and function calls a stream may open: a hostile stream naming larger indexes
// must not grow the tables without bound (canonical tool indexes stop at 127, as the assembler's).
constexpr uint64_t kMaxItems = 4096;
constexpr int kMaxTools = 128;

class ResponsesStream final : public StreamDecoder {
 public:
  explicit ResponsesStream(const DecodeContext& ctx)
      : StreamDecoder("response.completed", model::Format::openai_responses),
        provider_(ctx.provider),
        model_(ctx.model),
        previous_(ctx.request.previous_response_id) {}

 private:
  // What each output item (by output_index) has produced so far.
  struct Item {
    int tool = -1;           // function_call: its canonical tool index
    bool text = false;       // message / reasoning: text deltas were emitted
    bool arguments = false;  // function_call: argument text was emitted
  };
  using Type = model::StreamEvent::Type;

  void on_event(const sse::Event& e) override;
  void delta(std::string_view type);
  void item_added(const Value& item, Item& slot);
  void item_done(const Value& item, Item& slot);
  void finished(const Value* response, bool incomplete);
  void failed(const Value* error);
  Item* item_at();
  model::StreamEvent& add(Type type, std::string_view text = {});

  const config::Provider& provider_;
  std::string model_;
  std::string previous_;  // the caller's previous_response_id (resolved here, not sent)
  json::Document doc_;  // the current event: the events' views point into it
  std::string line_;    // the current event's data on one line, when it came in several
  std::string joined_;  // a summary joined, for a reasoning item that streamed no deltas
  std::vector<Item> items_;
  int tools_ = 0;
  model::StreamEvent event_;
};

model::StreamEvent& ResponsesStream::add(Type type, std::string_view text) {
  event_ = model::StreamEvent();
  event_.type = type;
  event_.text = text;
  return event_;
}

// The item the event's output_index names, or nullptr when it names none (or too large a one).
ResponsesStream::Item* ResponsesStream::item_at() {
  const Value* index = json::find(doc_, "output_index");
  if (!index || !index->IsUint64() || index->GetUint64() >= kMaxItems) return nullptr;
  if (items_.size() <= index->GetUint64()) items_.resize(size_t(index->GetUint64()) + 1);
  return &items_[size_t(index->GetUint64())];
}

void ResponsesStream::on_event(const sse::Event& e) {
  json::Document fresh;
  doc_.Swap(fresh);  // the previous event's memory goes with `fresh`
  std::string parse_error;
  if (!json::parse(e.data, doc_, parse_error) || !doc_.IsObject())
    return fail("upstream sent a stream event that is not JSON");
  std::string_view type = str_at(doc_, "type");
  if (type.empty()) type = e.event;
  if (type == "error") return failed(json::find(doc_, "error") ? json::find(doc_, "error") : &doc_);
  if (type == "response.failed") {
    const Value* response = json::find(doc_, "response");
    return failed(response ? json::find(*response, "error") : nullptr);
  }
  if (type == "response.completed" || type == "response.incomplete")
    finished(json::find(doc_, "response"), type == "response.incomplete");
  else delta(type);
  Value* response = previous_.empty() ? nullptr : json::find_mutable(doc_, "response");
  if (response) name_previous(*response, previous_, doc_.GetAllocator());
  if (e.data.find('\n') == std::string_view::npos && !response) {
    raw_ = e.data;
  } else {
    line_.clear();
    json::append_value(line_, doc_);  // one line for the caller (an event of several data lines)
    redact(provider_, line_);
    raw_ = line_;
  }
}

void ResponsesStream::delta(std::string_view type) {
  Item* slot = item_at();
  if (!slot) return;
  std::string_view text = str_at(doc_, "delta");
  if (type == "response.output_item.added" || type == "response.output_item.done") {
    const Value* item = json::find(doc_, "item");
    if (!item || !item->IsObject()) return;
    return type == "response.output_item.added" ? item_added(*item, *slot) : item_done(*item, *slot);
  }
  if (type == "response.output_text.delta" && !text.empty()) {
    slot->text = true;
    emit(add(Type::text, text));
  } else if (type == "response.refusal.delta" && !text.empty()) {
    emit(add(Type::refusal, text));
  } else if (type == "response.function_call_arguments.delta" && slot->tool >= 0 && !text.empty()) {
    slot->arguments = true;
    add(Type::tool_arguments, text).tool = slot->tool;
    emit(event_);
  } else if ((type == "response.reasoning_summary_text.delta" || type == "response.reasoning_text.delta") &&
             !text.empty()) {
    slot->text = true;
    emit(add(Type::reasoning, text));
  } else if (type == "response.reasoning_summary_part.added" && slot->text && int_at(doc_, "summary_index", 0) > 0) {
    emit(add(Type::reasoning, "\n\n"));  // summary parts are joined by a blank line, as in answers
  }
}

void ResponsesStream::item_added(const Value& item, Item& slot) {
  if (str_at(item, "type") != "function_call" || slot.tool >= 0 || tools_ >= kMaxTools) return;
  slot.tool = tools_++;
  std::string_view arguments = str_at(item, "arguments");
  slot.arguments = !arguments.empty();
  model::StreamEvent& e = add(Type::tool_call, arguments);
  e.tool = slot.tool;
  e.id = str_at(item, "call_id");
  e.name = str_at(item, "name");
  emit(e);
}

// A finished item: what its deltas did not carry (a reasoning item's encrypted_content, or the
// whole item from an upstream that streamed no deltas for it).
void ResponsesStream::item_done(const Value& item, Item& slot) {
  std::string_view type = str_at(item, "type");
  if (type == "function_call") {
    if (slot.tool < 0) return item_added(item, slot);
    std::string_view arguments = str_at(item, "arguments");
    if (slot.arguments || arguments.empty()) return;
    slot.arguments = true;
    add(Type::tool_arguments, arguments).tool = slot.tool;
    emit(event_);
  } else if (type == "message" && !slot.text) {
    joined_ = joined(item, "content", "");
    if (!joined_.empty()) emit(add(Type::text, joined_));
    slot.text = true;
  } else if (type == "reasoning") {
    std::string_view encrypted = str_at(item, "encrypted_content");
    if (!slot.text) {
      joined_ = joined(item, "summary", "\n\n");
      if (joined_.empty()) joined_ = joined(item, "content", "");
    }
    bool redacted = !slot.text && joined_.empty();
    std::string_view text = slot.text ? std::string_view() : redacted ? encrypted : std::string_view(joined_);
    model::StreamEvent& e = add(Type::reasoning, text);
    e.signature = redacted ? std::string_view() : encrypted;
    e.redacted = redacted;
    slot.text = true;
    if (!e.text.empty() || !e.signature.empty()) emit(e);
  }
}

void ResponsesStream::finished(const Value* response, bool incomplete) {
  model::Usage usage;
  if (const Value* u = response ? json::find(*response, "usage") : nullptr) usage = read_usage(*u);
  static const Value kEmpty(rapidjson::kObjectType);
  add(Type::finish).finish = finish_of(response ? *response : kEmpty, incomplete, tools_ > 0);
  emit(event_);
  if (usage.known) {
    price_known(usage, provider_, model_);
    usage_ = usage;
    add(Type::usage).usage = usage;
    emit(event_);
  }
  state_ = State::done;
}

// An `error` event ({code, message, param} or {error: {…}}) or response.failed's error: the
// stream fails with the upstream's message, its outcome from the code.
void ResponsesStream::failed(const Value* error) {
  std::string_view code = error ? str_at(*error, "code") : std::string_view();
  std::string message(error ? str_at(*error, "message") : std::string_view());
  if (message.empty()) message = "the response failed";
  redact(provider_, message);
  error_.code = code;
  error_.param = error ? str_at(*error, "param") : std::string_view();
  outcome_ = code == "rate_limit_exceeded" || code == "insufficient_quota" ? health::Outcome::status_429
             : code == "context_length_exceeded"                           ? health::Outcome::context_length
             : code == "content_filter" || code == "content_policy_violation" ? health::Outcome::content_filter
                                                                               : health::Outcome::status_5xx;
  fail("upstream " + provider_.name + " failed mid-stream: " + message);
}

}  // namespace

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<ResponsesStream>(ctx); }

}  // namespace sy::providers::openai_responses
