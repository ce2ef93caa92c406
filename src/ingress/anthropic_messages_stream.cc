// A streamed answer as Anthropic's server-sent events (anthropic_messages.h).
#include <algorithm>
#include <vector>

#include "ingress/anthropic_messages_impl.h"

namespace sy::ingress::anthropic_messages {

namespace {

using Type = model::StreamEvent::Type;

void emit(std::string& out, std::string_view name, std::string_view data) {
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
}

// The SSE name of an upstream event that came without one: its data's `type`.
std::string event_name(const model::RawEvent& raw) {
  if (!raw.event.empty()) return std::string(raw.event);
  json::Document doc;
  std::string error;
  const json::Value* type = json::parse(raw.data, doc, error) ? json::find(doc, "type") : nullptr;
  return type && type->IsString() ? std::string(json::view(*type)) : std::string("message");
}

// Canonical events as message_start, one content block at a time (content_block_start, its
// deltas, content_block_stop), then message_delta and message_stop at close(); or the upstream's
// own events when it spoke this format (passthrough). Content blocks are numbered in the order
// they open, as Anthropic's are.
class EventWriter final : public StreamWriter {
 public:
  explicit EventWriter(const Context& ctx);
  void events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) override;
  void close(const model::Usage& usage, std::string& out) override;

 private:
  enum class Block { none, text, thinking, tool };

  void render(const model::StreamEvent& e, std::string& out);
  void start(std::string& out);
  void open(Block kind, std::string_view block, std::string& out);
  void stop(std::string& out);
  void delta(int index, std::string_view type, std::string_view member, std::string_view value, std::string& out);
  void text(std::string_view text, std::string& out);
  void reasoning(const model::StreamEvent& e, std::string& out);
  void tool_call(const model::StreamEvent& e, std::string& out);
  void failed(const Error& error, std::string& out);

  std::string id_;
  std::string model_;
  int64_t estimate_ = 0;  // input tokens told in message_start, before usage is known
  bool started_ = false;
  bool passthrough_ = false;
  bool failed_ = false;
  bool closed_ = false;
  Block open_ = Block::none;
  int index_ = -1;       // the open block's index
  int next_ = 0;         // the next block's index
  bool signed_ = false;  // the open thinking block has its signature
  std::vector<int> tool_blocks_;  // canonical tool index -> its block's index
  model::Finish finish_ = model::Finish::none;
  std::string data_;     // the event being written
};

EventWriter::EventWriter(const Context& ctx) : id_(message_id(ctx.request_id)), model_(ctx.model) {
  if (ctx.request) {
    if (model_.empty()) model_ = ctx.request->model;
    estimate_ = model::prompt_tokens(*ctx.request);
  }
}

void EventWriter::events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) {
  if (failed_ || closed_) return;
  bool error = std::any_of(events.begin(), events.end(), [](const model::StreamEvent& e) { return e.type == Type::error; });
  if (raw.format == model::Format::anthropic_messages && !raw.data.empty() && !error) {
    passthrough_ = started_ = true;  // the upstream's own message_start opened the stream
    emit(out, event_name(raw), raw.data);
    return;
  }
  for (const model::StreamEvent& e : events) {
    render(e, out);
    if (failed_) return;
  }
}

void EventWriter::render(const model::StreamEvent& e, std::string& out) {
  if (e.type == Type::error)
    return failed(e.error ? *e.error : Error{502, ErrorType::provider_unavailable, "the upstream stream failed"}, out);
  if (e.type == Type::usage) return;  // close() tells the final usage
  start(out);
  switch (e.type) {
    case Type::text:
    case Type::refusal:
      return text(e.text, out);
    case Type::reasoning:
      return reasoning(e, out);
    case Type::tool_call:
      return tool_call(e, out);
    case Type::tool_arguments:
      if (e.tool >= 0 && size_t(e.tool) < tool_blocks_.size() && tool_blocks_[size_t(e.tool)] >= 0 && !e.text.empty())
        delta(tool_blocks_[size_t(e.tool)], "input_json_delta", "partial_json", e.text, out);
      return;
    case Type::finish:
      stop(out);
      finish_ = e.finish;
      return;
    case Type::usage:
    case Type::error:
      return;
  }
}

void EventWriter::start(std::string& out) {
  if (started_) return;
  started_ = true;
  data_ = "{\"type\":\"message_start\",\"message\":{\"id\":";
  json::append_string(data_, id_);
  data_ += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json::append_string(data_, model_);
  data_ += ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":" +
           std::to_string(estimate_) +
           ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}}";
  emit(out, "message_start", data_);
}

// content_block_start with `block` (the block's JSON as it starts).
void EventWriter::open(Block kind, std::string_view block, std::string& out) {
  stop(out);
  open_ = kind;
  index_ = next_++;
  signed_ = false;
  data_ = "{\"type\":\"content_block_start\",\"index\":" + std::to_string(index_) + ",\"content_block\":";
  data_ += block;
  data_ += '}';
  emit(out, "content_block_start", data_);
}

void EventWriter::stop(std::string& out) {
  if (open_ == Block::none) return;
  open_ = Block::none;
  emit(out, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + std::to_string(index_) + "}");
}

void EventWriter::delta(int index, std::string_view type, std::string_view member, std::string_view value,
                        std::string& out) {
  data_ = "{\"type\":\"content_block_delta\",\"index\":" + std::to_string(index) + ",\"delta\":{\"type\":\"";
  data_ += type;
  data_ += "\",\"";
  data_ += member;
  data_ += "\":";
  json::append_string(data_, value);
  data_ += "}}";
  emit(out, "content_block_delta", data_);
}

void EventWriter::text(std::string_view text, std::string& out) {
  if (text.empty()) return;
  if (open_ != Block::text) open(Block::text, "{\"type\":\"text\",\"text\":\"\"}", out);
  delta(index_, "text_delta", "text", text, out);
}

// Thinking text and its signature go to one thinking block (a new one once the open one is
// signed); redacted thinking is a block of its own, whole at its start.
void EventWriter::reasoning(const model::StreamEvent& e, std::string& out) {
  if (e.redacted) {
    std::string block = "{\"type\":\"redacted_thinking\",\"data\":";
    json::append_string(block, e.text);
    open(Block::thinking, block + "}", out);
    return stop(out);
  }
  if (open_ != Block::thinking || (signed_ && !e.text.empty()))
    open(Block::thinking, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}", out);
  if (!e.text.empty()) delta(index_, "thinking_delta", "thinking", e.text, out);
  if (!e.signature.empty()) {
    delta(index_, "signature_delta", "signature", e.signature, out);
    signed_ = true;
  }
}

void EventWriter::tool_call(const model::StreamEvent& e, std::string& out) {
  std::string block = "{\"type\":\"tool_use\",\"id\":";
  json::append_string(block, e.id.empty() ? "toolu_" + std::to_string(e.tool) : std::string(e.id));
  block += ",\"name\":";
  json::append_string(block, e.name);
  block += ",\"input\":{}}";
  open(Block::tool, block, out);
  if (e.tool >= 0 && e.tool < 4096) {
    if (tool_blocks_.size() <= size_t(e.tool)) tool_blocks_.resize(size_t(e.tool) + 1, -1);
    tool_blocks_[size_t(e.tool)] = index_;
  }
  if (!e.text.empty()) delta(index_, "input_json_delta", "partial_json", e.text, out);
}

// After bytes reached the caller a failure ends the stream in-band, as Anthropic's do.
void EventWriter::failed(const Error& error, std::string& out) {
  failed_ = true;
  data_ = "{\"type\":\"error\",\"error\":{";
  append_error(data_, error);
  data_ += "}}";
  emit(out, "error", data_);
}

void EventWriter::close(const model::Usage& usage, std::string& out) {
  if (closed_) return;
  closed_ = true;
  if (passthrough_ || failed_) return;  // the upstream's own message_stop, or the error, ended it
  start(out);
  stop(out);
  data_ = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":";
  json::append_string(data_, stop_reason(finish_));
  data_ += ",\"stop_sequence\":null},\"usage\":";
  if (usage.known) append_usage(data_, usage);
  else data_ += "{\"output_tokens\":0}";
  data_ += '}';
  emit(out, "message_delta", data_);
  emit(out, "message_stop", "{\"type\":\"message_stop\"}");
}

}  // namespace

std::unique_ptr<StreamWriter> stream_writer(const Context& ctx) { return std::make_unique<EventWriter>(ctx); }

}  // namespace sy::ingress::anthropic_messages
