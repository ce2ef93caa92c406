// The Message a Messages request is answered with (anthropic_messages.h).
#include "ingress/anthropic_messages_impl.h"
#include "model/stored.h"

namespace sy::ingress::anthropic_messages {

namespace {

// A tool call's arguments as tool_use.input: the text itself when it is a JSON object, else {}
// (input must be an object; a model's broken arguments cannot be passed on as one).
void append_input(std::string& out, std::string_view arguments) {
  json::Document parsed;
  std::string error;
  if (json::parse(arguments, parsed, error) && parsed.IsObject()) out.append(arguments);
  else out += "{}";
}

// The content blocks of one output: thinking, text, refusal (as text), tool calls.
void append_content(std::string& out, const model::Output& o) {
  out += '[';
  bool first = true;
  auto next = [&]() {
    if (!first) out += ',';
    first = false;
  };
  for (const model::Reasoning& r : o.reasoning) {
    next();
    out += r.redacted ? "{\"type\":\"redacted_thinking\",\"data\":" : "{\"type\":\"thinking\",\"thinking\":";
    json::append_string(out, r.text);
    if (!r.redacted) {
      out += ",\"signature\":";
      json::append_string(out, r.signature);
    }
    out += '}';
  }
  for (const std::string* text : {&o.text, &o.refusal}) {
    if (text->empty()) continue;
    next();
    out += "{\"type\":\"text\",\"text\":";
    json::append_string(out, *text);
    out += '}';
  }
  for (size_t i = 0; i < o.tool_calls.size(); ++i) {
    const model::ToolCall& call = o.tool_calls[i];
    next();
    out += "{\"type\":\"tool_use\",\"id\":";
    json::append_string(out, call.id.empty() ? "toolu_" + std::to_string(i) : call.id);
    out += ",\"name\":";
    json::append_string(out, call.name);
    out += ",\"input\":";
    append_input(out, call.arguments);
    out += '}';
  }
  out += ']';
}

std::string_view model_of(const model::Answer& a, const Context& ctx) {
  if (!a.model.empty()) return a.model;
  if (!ctx.model.empty()) return ctx.model;
  return ctx.request ? ctx.request->model : std::string_view();
}

std::string render(const model::Answer& a, const Context& ctx) {
  static const model::Output kNothing;
  const model::Output& o = a.outputs.empty() ? kNothing : a.outputs.front();
  std::string out = "{\"id\":";
  json::append_string(out, message_id(ctx.request_id));
  out += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json::append_string(out, model_of(a, ctx));
  out += ",\"content\":";
  append_content(out, o);
  out += ",\"stop_reason\":";
  json::append_string(out, stop_reason(o.finish));
  out += ",\"stop_sequence\":null,\"usage\":";
  append_usage(out, a.usage);
  out += '}';
  return out;
}

}  // namespace

std::string message_id(std::string_view request_id) {
  if (request_id.substr(0, 4) == "req_") request_id.remove_prefix(4);
  return "msg_" + std::string(request_id);
}

std::string_view stop_reason(model::Finish finish) {
  switch (finish) {
    case model::Finish::length:
      return "max_tokens";
    case model::Finish::tool_calls:
      return "tool_use";
    case model::Finish::content_filter:
      return "refusal";
    case model::Finish::none:
    case model::Finish::stop:
    case model::Finish::error:
      break;
  }
  return "end_turn";
}

void append_usage(std::string& out, const model::Usage& usage) {
  int64_t cached = usage.cached_tokens > 0 ? usage.cached_tokens : 0;
  int64_t input = usage.prompt_tokens > cached ? usage.prompt_tokens - cached : 0;
  out += "{\"input_tokens\":" + std::to_string(input) +
         ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":" + std::to_string(cached) +
         ",\"output_tokens\":" + std::to_string(usage.completion_tokens) + "}";
}

std::string answer(std::string_view stored, const model::Answer* answer, const Context& ctx) {
  if (answer && answer->raw_format == model::Format::anthropic_messages && !answer->raw.empty()) return answer->raw;
  if (answer) return render(*answer, ctx);
  model::Answer parsed;
  std::string error;
  model::stored::parse(stored, parsed, error);  // a stored form the core wrote: it parses
  return render(parsed, ctx);
}

}  // namespace sy::ingress::anthropic_messages
