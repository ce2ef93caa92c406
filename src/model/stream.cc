#include "model/stream.h"

namespace sy::model {

namespace {

// Outputs and tool calls per output an assembled answer may hold: n is at most 128, and a
// stream naming larger indexes must not grow the answer without bound.
constexpr int kMaxIndex = 127;

void add_reasoning(Output& output, const StreamEvent& e) {
  auto& items = output.reasoning;
  // A redacted block arrives whole; thinking text continues the open block until its
  // signature closes it.
  bool open = !items.empty() && !items.back().redacted && items.back().signature.empty();
  if (e.redacted || !open) items.push_back({{}, {}, e.redacted});
  items.back().text += e.text;
  if (!e.signature.empty()) items.back().signature = e.signature;
}

ToolCall* tool_of(Output& output, int index) {
  if (index < 0 || index > kMaxIndex) return nullptr;
  if (output.tool_calls.size() <= size_t(index)) output.tool_calls.resize(size_t(index) + 1);
  return &output.tool_calls[size_t(index)];
}

}  // namespace

void Assembler::add(std::span<const StreamEvent> events) {
  for (const StreamEvent& e : events) {
    using Type = StreamEvent::Type;
    if (e.type == Type::usage) {
      usage_ = e.usage;
      continue;
    }
    if (e.type == Type::error || e.output < 0 || e.output > kMaxIndex) continue;
    while (outputs_.size() <= size_t(e.output)) outputs_.emplace_back().finish = Finish::none;
    Output& out = outputs_[size_t(e.output)];
    switch (e.type) {
      case Type::text:
        out.text += e.text;
        out.has_text = true;
        break;
      case Type::reasoning:
        add_reasoning(out, e);
        break;
      case Type::refusal:
        out.refusal += e.text;
        break;
      case Type::tool_call:
        if (ToolCall* call = tool_of(out, e.tool)) {
          if (!e.id.empty()) call->id = e.id;
          if (!e.name.empty()) call->name = e.name;
          call->arguments += e.text;
        }
        break;
      case Type::tool_arguments:
        if (ToolCall* call = tool_of(out, e.tool)) call->arguments += e.text;
        break;
      case Type::finish:
        out.finish = e.finish;
        break;
      case Type::usage:
      case Type::error:
        break;
    }
  }
}

Answer Assembler::finish() const {
  Answer answer;
  answer.kind = Kind::chat;
  answer.outputs = outputs_;
  answer.usage = usage_;
  return answer;
}

namespace {

StreamEvent& push(std::vector<StreamEvent>& out, StreamEvent::Type type, int output, std::string_view text = {}) {
  StreamEvent& e = out.emplace_back();
  e.type = type;
  e.output = output;
  e.text = text;
  return e;
}

// Appends one text event per word of `text`, each with the whitespace that follows it (leading
// whitespace is an event of its own).
void words(std::string_view text, int output, std::vector<StreamEvent>& out) {
  constexpr std::string_view kSpace = " \n\t";
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of(kSpace, start);
    if (end != std::string_view::npos) end = text.find_first_not_of(kSpace, end);
    if (end == std::string_view::npos) end = text.size();
    push(out, StreamEvent::Type::text, output, text.substr(start, end - start));
    start = end;
  }
}

}  // namespace

void replay(const Answer& answer, bool by_word, std::vector<StreamEvent>& out) {
  using Type = StreamEvent::Type;
  for (size_t i = 0; i < answer.outputs.size(); ++i) {
    const Output& o = answer.outputs[i];
    int index = int(i);
    for (const Reasoning& r : o.reasoning) {
      StreamEvent& e = push(out, Type::reasoning, index, r.text);
      e.signature = r.signature;
      e.redacted = r.redacted;
    }
    if (o.has_text || !o.text.empty()) {
      if (by_word && !o.text.empty()) words(o.text, index, out);
      else push(out, Type::text, index, o.text);
    }
    if (!o.refusal.empty()) push(out, Type::refusal, index, o.refusal);
    for (size_t k = 0; k < o.tool_calls.size(); ++k) {
      const ToolCall& call = o.tool_calls[k];
      StreamEvent& e = push(out, Type::tool_call, index, call.arguments);
      e.tool = int(k);
      e.id = call.id;
      e.name = call.name;
    }
    push(out, Type::finish, index).finish = o.finish == Finish::none ? Finish::stop : o.finish;
  }
  if (answer.usage.known) push(out, Type::usage, 0).usage = answer.usage;
}

}  // namespace sy::model
