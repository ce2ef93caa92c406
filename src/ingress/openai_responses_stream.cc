#include "ingress/openai_responses_stream.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "ingress/openai_responses_answer.h"

namespace sy::ingress::openai_responses {

namespace {

using Type = model::StreamEvent::Type;

// Tool calls per answer a writer keeps (canonical tool indexes stop at 127).
constexpr int kMaxTools = 128;

class EventWriter final : public StreamWriter {
 public:
  explicit EventWriter(const Context& ctx);
  void events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) override;
  void close(const model::Usage& usage, std::string& out) override;
  std::string_view answer() const override { return final_; }

 private:
  enum class Open { none, reasoning, message };
  struct Call {
    size_t index = 0;
    std::string id, call_id, name, arguments;
  };

  void emit(std::string& out, std::string_view type, std::string_view members);
  void start(std::string& out);
  void render(const model::StreamEvent& e, std::string& out);
  void reasoning(const model::StreamEvent& e, std::string& out);
  void content(bool refusal, std::string_view text, std::string& out);
  void tool(const model::StreamEvent& e, std::string& out);
  void close_part(std::string& out);
  void close_open(std::string& out);
  void close_calls(std::string& out);
  void failed(const Error& error, std::string& out);
  void forward(const model::RawEvent& raw, std::string& out);
  std::string item_ref() const;  // "item_id":…,"output_index":n
  std::string response(std::string_view status, const model::Usage* usage, const Error* error) const;

  std::string id_, model_, echo_;
  int64_t created_ = 0;
  int64_t sequence_ = 0;
  bool started_ = false, failed_ = false, closed_ = false, passthrough_ = false;
  model::Finish finish_ = model::Finish::none;
  std::vector<std::string> items_;  // finished items' JSON by output index (empty while open)
  // The open reasoning block or message.
  Open open_ = Open::none;
  std::string item_;          // its id
  std::string text_, sealed_;  // reasoning: text and signature (or redacted data)
  std::string parts_;         // message: finished content parts, comma-separated
  int part_ = 0;              // message: the open (or next) part's index
  bool part_open_ = false;    // message: a part is open
  bool refusal_ = false;      // message: the open part is a refusal
  std::map<int, Call> calls_;  // open function calls by canonical tool index
  std::string final_;
};

EventWriter::EventWriter(const Context& ctx)
    : id_(response_id(ctx.request_id)), model_(ctx.model), echo_(echo_of(ctx.request)), created_(ctx.created) {}

void EventWriter::emit(std::string& out, std::string_view type, std::string_view members) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",";
  out += members;
  out += ",\"sequence_number\":" + std::to_string(sequence_++) + "}\n\n";
}

std::string EventWriter::response(std::string_view status, const model::Usage* usage, const Error* error) const {
  std::string output;
  for (const std::string& item : items_) {
    if (item.empty()) continue;
    if (!output.empty()) output += ',';
    output += item;
  }
  ResponseHead head{id_, created_, status, finish_, error, model_, {}, usage};
  return response_json(head, output, echo_);
}

void EventWriter::start(std::string& out) {
  if (started_) return;
  started_ = true;
  std::string body = "\"response\":" + response("in_progress", nullptr, nullptr);
  emit(out, "response.created", body);
  emit(out, "response.in_progress", body);
}

std::string EventWriter::item_ref() const {
  std::string ref = "\"item_id\":";
  json::append_string(ref, item_);
  return ref + ",\"output_index\":" + std::to_string(items_.size() - 1);
}

void EventWriter::events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) {
  if (failed_ || closed_) return;
  bool error = std::any_of(events.begin(), events.end(), [](const model::StreamEvent& e) { return e.type == Type::error; });
  if (raw.format == model::Format::openai_responses && !raw.data.empty() && !error) return forward(raw, out);
  start(out);
  for (const model::StreamEvent& e : events) {
    if (e.type != Type::error && e.type != Type::usage && e.output != 0) continue;  // Responses have one output
    render(e, out);
    if (failed_) return;
  }
}

void EventWriter::render(const model::StreamEvent& e, std::string& out) {
  switch (e.type) {
    case Type::reasoning:
      return reasoning(e, out);
    case Type::text:
    case Type::refusal:
      return content(e.type == Type::refusal, e.text, out);
    case Type::tool_call:
    case Type::tool_arguments:
      return tool(e, out);
    case Type::finish:
      finish_ = e.finish;
      close_open(out);
      return close_calls(out);
    case Type::usage:
      return;  // close() renders the final usage
    case Type::error:
      return failed(e.error ? *e.error : Error{502, ErrorType::provider_unavailable, "the upstream stream failed"}, out);
  }
}

// A thinking block: its text as one summary part; a signature ends it; a redacted block is
// an item of its own, whole.
void EventWriter::reasoning(const model::StreamEvent& e, std::string& out) {
  if (open_ != Open::reasoning || e.redacted) {
    close_open(out);
    open_ = Open::reasoning;
    item_ = item_id("rs", id_, items_.size());
    items_.emplace_back();
    std::string item;
    append_reasoning_item(item, item_, "", "");
    emit(out, "response.output_item.added", "\"output_index\":" + std::to_string(items_.size() - 1) + ",\"item\":" + item);
  }
  if (e.redacted) {
    sealed_ = e.text;
    return close_open(out);
  }
  if (!e.text.empty()) {
    if (text_.empty()) emit(out, "response.reasoning_summary_part.added",
                            item_ref() + R"(,"summary_index":0,"part":{"type":"summary_text","text":""})");
    text_ += e.text;
    std::string delta = item_ref() + ",\"summary_index\":0,\"delta\":";
    json::append_string(delta, e.text);
    emit(out, "response.reasoning_summary_text.delta", delta);
  }
  if (!e.signature.empty()) {
    sealed_ = e.signature;
    close_open(out);
  }
}

void EventWriter::content(bool refusal, std::string_view text, std::string& out) {
  if (open_ != Open::message) {
    close_open(out);
    open_ = Open::message;
    item_ = item_id("msg", id_, items_.size());
    items_.emplace_back();
    std::string item;
    append_message_item(item, item_, "in_progress", "");
    emit(out, "response.output_item.added", "\"output_index\":" + std::to_string(items_.size() - 1) + ",\"item\":" + item);
  }
  if (!part_open_ || refusal_ != refusal) {
    close_part(out);
    part_open_ = true;
    refusal_ = refusal;
    text_.clear();
    std::string part;
    if (refusal) append_refusal_part(part, "");
    else append_text_part(part, "");
    emit(out, "response.content_part.added", item_ref() + ",\"content_index\":" + std::to_string(part_) + ",\"part\":" + part);
  }
  text_ += text;
  std::string delta = item_ref() + ",\"content_index\":" + std::to_string(part_) + ",\"delta\":";
  json::append_string(delta, text);
  if (!refusal) delta += ",\"logprobs\":[]";
  emit(out, refusal ? "response.refusal.delta" : "response.output_text.delta", delta);
}

void EventWriter::close_part(std::string& out) {
  if (!part_open_) return;
  std::string part, members = item_ref() + ",\"content_index\":" + std::to_string(part_);
  if (refusal_) append_refusal_part(part, text_);
  else append_text_part(part, text_);
  std::string done = members + (refusal_ ? ",\"refusal\":" : ",\"text\":");
  json::append_string(done, text_);
  if (!refusal_) done += ",\"logprobs\":[]";
  emit(out, refusal_ ? "response.refusal.done" : "response.output_text.done", done);
  emit(out, "response.content_part.done", members + ",\"part\":" + part);
  if (!parts_.empty()) parts_ += ',';
  parts_ += part;
  text_.clear();
  part_open_ = false;
  ++part_;
}

// Ends the open reasoning block or message: its done events and its item, finished.
void EventWriter::close_open(std::string& out) {
  if (open_ == Open::none) return;
  std::string item;
  if (open_ == Open::reasoning) {
    if (!text_.empty()) {
      std::string members = item_ref() + ",\"summary_index\":0";
      std::string done = members + ",\"text\":";
      json::append_string(done, text_);
      emit(out, "response.reasoning_summary_text.done", done);
      std::string part = members + R"(,"part":{"type":"summary_text","text":)";
      json::append_string(part, text_);
      emit(out, "response.reasoning_summary_part.done", part + "}");
    }
    append_reasoning_item(item, item_, text_, sealed_);
  } else {
    close_part(out);
    append_message_item(item, item_, status_of(finish_), parts_);
  }
  emit(out, "response.output_item.done", "\"output_index\":" + std::to_string(items_.size() - 1) + ",\"item\":" + item);
  items_.back() = std::move(item);
  open_ = Open::none;
  text_.clear();
  sealed_.clear();
  parts_.clear();
  part_ = 0;
}

void EventWriter::tool(const model::StreamEvent& e, std::string& out) {
  if (e.tool < 0 || e.tool >= kMaxTools) return;
  auto it = calls_.find(e.tool);
  if (it == calls_.end()) {
    close_open(out);
    Call& call = calls_[e.tool];
    call.index = items_.size();
    call.id = item_id("fc", id_, call.index);
    call.call_id = e.id.empty() ? item_id("call", id_, call.index) : std::string(e.id);
    call.name = e.name;
    items_.emplace_back();
    std::string item;
    append_call_item(item, call.id, "in_progress", call.call_id, call.name, "");
    emit(out, "response.output_item.added", "\"output_index\":" + std::to_string(call.index) + ",\"item\":" + item);
    it = calls_.find(e.tool);
  }
  if (e.text.empty()) return;
  Call& call = it->second;
  call.arguments += e.text;
  std::string delta = "\"item_id\":";
  json::append_string(delta, call.id);
  delta += ",\"output_index\":" + std::to_string(call.index) + ",\"delta\":";
  json::append_string(delta, e.text);
  emit(out, "response.function_call_arguments.delta", delta);
}

void EventWriter::close_calls(std::string& out) {
  for (auto& [tool, call] : calls_) {
    std::string members = "\"item_id\":";
    json::append_string(members, call.id);
    members += ",\"output_index\":" + std::to_string(call.index);
    std::string done = members + ",\"name\":";
    json::append_string(done, call.name);
    done += ",\"arguments\":";
    json::append_string(done, call.arguments);
    emit(out, "response.function_call_arguments.done", done);
    std::string item;
    append_call_item(item, call.id, status_of(finish_), call.call_id, call.name, call.arguments);
    emit(out, "response.output_item.done", "\"output_index\":" + std::to_string(call.index) + ",\"item\":" + item);
    items_[call.index] = std::move(item);
  }
  calls_.clear();
}

// After bytes reached the caller a failure is an `error` event, then response.failed.
void EventWriter::failed(const Error& error, std::string& out) {
  failed_ = true;
  std::string members = "\"code\":";
  json::append_string(members, error.code_name());
  members += ",\"message\":";
  json::append_string(members, error.message);
  members += ",\"param\":";
  if (error.param.empty()) members += "null";
  else json::append_string(members, error.param);
  emit(out, "error", members);
  emit(out, "response.failed", "\"response\":" + response("failed", nullptr, &error));
}

// An upstream event of this format, as it came. Its sequence number and, for the first and the
// last, its response (id, or the whole final Response) are noted for what this writer may add.
void EventWriter::forward(const model::RawEvent& raw, std::string& out) {
  passthrough_ = started_ = true;
  if (!raw.event.empty()) {
    out += "event: ";
    out += raw.event;
    out += '\n';
  }
  out += "data: ";
  out += raw.data;
  out += "\n\n";
  std::vector<json::Member> members, inner;
  if (!json::top_level_members(raw.data, members)) return;
  std::string_view type, response;
  for (const auto& m : members) {
    if (m.key == "type") type = m.value;
    else if (m.key == "response") response = m.value;
    else if (m.key == "sequence_number") sequence_ = std::strtoll(std::string(m.value).c_str(), nullptr, 10) + 1;
  }
  if (response.empty() || !json::top_level_members(response, inner)) return;
  if (type == "\"response.completed\"" || type == "\"response.incomplete\"") final_ = response;
  for (const auto& r : inner)
    if (r.key == "id" && r.value.size() >= 2) id_ = r.value.substr(1, r.value.size() - 2);
}

void EventWriter::close(const model::Usage& usage, std::string& out) {
  if (closed_) return;
  closed_ = true;
  if (failed_ || passthrough_) return;
  start(out);
  close_open(out);
  close_calls(out);
  std::string_view status = status_of(finish_);
  final_ = response(status, &usage, nullptr);
  emit(out, status == "incomplete" ? "response.incomplete" : "response.completed", "\"response\":" + final_);
}

}  // namespace

std::unique_ptr<StreamWriter> stream_writer(const Context& ctx) { return std::make_unique<EventWriter>(ctx); }

}  // namespace sy::ingress::openai_responses
