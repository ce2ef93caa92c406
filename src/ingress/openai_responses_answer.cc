#include "ingress/openai_responses_answer.h"

#include <algorithm>
#include <vector>

#include "model/stored.h"

namespace sy::ingress::openai_responses {

namespace {

using json::Value;

// The members a Response repeats from its request, with the API's defaults.
struct Echoed {
  std::string_view name;
  std::string_view fallback;
};
constexpr Echoed kEchoed[] = {
    {"instructions", "null"},
    {"max_output_tokens", "null"},
    {"max_tool_calls", "null"},
    {"parallel_tool_calls", "true"},
    {"previous_response_id", "null"},
    {"reasoning", R"({"effort":null,"summary":null})"},
    {"store", "true"},
    {"temperature", "1"},
    {"text", R"({"format":{"type":"text"}})"},
    {"tool_choice", "\"auto\""},
    {"tools", "[]"},
    {"top_logprobs", "0"},
    {"top_p", "1"},
    {"truncation", "\"disabled\""},
    {"user", "null"},
    {"metadata", "{}"},
};

void append_error(std::string& out, const Error& error) {
  out += "{\"code\":";
  json::append_string(out, error.status == 429 ? "rate_limit_exceeded" : "server_error");
  out += ",\"message\":";
  json::append_string(out, error.message);
  out += '}';
}

void append_usage(std::string& out, const model::Usage& u) {
  out += "{\"input_tokens\":" + std::to_string(u.prompt_tokens) +
         ",\"input_tokens_details\":{\"cached_tokens\":" + std::to_string(std::max<int64_t>(u.cached_tokens, 0)) +
         ",\"cache_write_tokens\":0},\"output_tokens\":" + std::to_string(u.completion_tokens) +
         ",\"output_tokens_details\":{\"reasoning_tokens\":" + std::to_string(std::max<int64_t>(u.reasoning_tokens, 0)) +
         "},\"total_tokens\":" + std::to_string(u.prompt_tokens + u.completion_tokens);
  if (u.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, u.cost);
  }
  out += '}';
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_string(out, value);
}

}  // namespace

std::vector<json::Member> members_of(std::string_view body, std::vector<std::string>& storage) {
  std::vector<json::Member> members;
  if (body.empty() || json::top_level_members(body, members)) return members;
  json::Document doc;
  std::string error;
  if (!json::parse(body, doc, error) || !doc.IsObject()) return members;
  storage.reserve(2 * size_t(doc.MemberCount()));  // views into it stay valid
  for (const auto& m : doc.GetObject()) {
    storage.emplace_back(json::view(m.name));
    std::string_view key = storage.back();
    json::append_value(storage.emplace_back(), m.value);
    members.push_back({key, storage.back()});
  }
  return members;
}

std::string response_id(std::string_view request_id) {
  if (request_id.substr(0, 4) == "req_") request_id.remove_prefix(4);
  return "resp_" + std::string(request_id);
}

std::string item_id(std::string_view prefix, std::string_view response_id, size_t index) {
  if (response_id.substr(0, 5) == "resp_") response_id.remove_prefix(5);
  return std::string(prefix) + "_" + std::string(response_id) + "_" + std::to_string(index);
}

std::string echo_of(const model::Request* request) {
  std::vector<std::string> storage;
  std::vector<json::Member> members = members_of(request ? request->raw : std::string_view(), storage);
  std::string out;
  for (const Echoed& e : kEchoed) {
    auto sent = std::find_if(members.rbegin(), members.rend(), [&](const json::Member& m) { return m.key == e.name; });
    bool given = sent != members.rend() && sent->value != "null";
    out += ",\"";
    out += e.name;
    out += "\":";
    out.append(given ? sent->value : e.fallback);
  }
  return out;
}

void append_reasoning_item(std::string& out, std::string_view id, std::string_view text, std::string_view sealed) {
  out += "{\"id\":";
  json::append_string(out, id);
  out += ",\"type\":\"reasoning\",\"summary\":[";
  if (!text.empty()) {
    out += "{\"type\":\"summary_text\",\"text\":";
    json::append_string(out, text);
    out += '}';
  }
  out += ']';
  if (!sealed.empty()) append_member(out, "encrypted_content", sealed);
  out += '}';
}

void append_call_item(std::string& out, std::string_view id, std::string_view status, std::string_view call_id,
                      std::string_view name, std::string_view arguments) {
  out += "{\"id\":";
  json::append_string(out, id);
  out += ",\"type\":\"function_call\"";
  append_member(out, "status", status);
  append_member(out, "arguments", arguments);
  append_member(out, "call_id", call_id);
  append_member(out, "name", name);
  out += '}';
}

void append_message_item(std::string& out, std::string_view id, std::string_view status, std::string_view content) {
  out += "{\"id\":";
  json::append_string(out, id);
  out += ",\"type\":\"message\"";
  append_member(out, "status", status);
  out += ",\"role\":\"assistant\",\"content\":[";
  out += content;
  out += "]}";
}

void append_text_part(std::string& out, std::string_view text) {
  out += "{\"type\":\"output_text\",\"text\":";
  json::append_string(out, text);
  out += ",\"annotations\":[],\"logprobs\":[]}";
}

void append_refusal_part(std::string& out, std::string_view refusal) {
  out += "{\"type\":\"refusal\",\"refusal\":";
  json::append_string(out, refusal);
  out += '}';
}

std::string_view status_of(model::Finish finish) {
  return finish == model::Finish::length || finish == model::Finish::content_filter ? "incomplete" : "completed";
}

void append_items(std::string& out, const model::Output& o, std::string_view response_id, size_t& index) {
  auto next = [&] {
    if (!out.empty()) out += ',';
  };
  for (const model::Reasoning& r : o.reasoning) {
    next();
    append_reasoning_item(out, item_id("rs", response_id, index++), r.redacted ? "" : r.text,
                          r.redacted ? r.text : r.signature);
  }
  std::string_view status = status_of(o.finish);
  if (!o.text.empty() || !o.refusal.empty() || o.tool_calls.empty()) {
    std::string content;
    if (!o.text.empty() || o.refusal.empty()) append_text_part(content, o.text);
    if (!o.refusal.empty()) {
      if (!content.empty()) content += ',';
      append_refusal_part(content, o.refusal);
    }
    next();
    append_message_item(out, item_id("msg", response_id, index++), status, content);
  }
  for (const model::ToolCall& call : o.tool_calls) {
    next();
    std::string own = call.id.empty() ? item_id("call", response_id, index) : std::string();
    append_call_item(out, item_id("fc", response_id, index), status, call.id.empty() ? own : call.id, call.name,
                     call.arguments);
    ++index;
  }
}

std::string response_json(const ResponseHead& head, std::string_view output, std::string_view echo) {
  std::string out = "{\"id\":";
  out.reserve(512 + output.size() + echo.size());
  json::append_string(out, head.id);
  out += ",\"object\":\"response\",\"created_at\":" + std::to_string(head.created);
  append_member(out, "status", head.status);
  out += ",\"background\":false,\"error\":";
  if (head.error) append_error(out, *head.error);
  else out += "null";
  out += ",\"incomplete_details\":";
  if (head.status == "incomplete")
    out += head.finish == model::Finish::content_filter ? R"({"reason":"content_filter"})" : R"({"reason":"max_output_tokens"})";
  else out += "null";
  append_member(out, "model", head.model);
  out += ",\"output\":[";
  out += output;
  out += "],\"usage\":";
  if (head.usage) append_usage(out, *head.usage);
  else out += "null";
  if (!head.provider.empty()) append_member(out, "provider", head.provider);
  out += echo;
  out += '}';
  return out;
}

std::string answer(std::string_view stored, const model::Answer* answer, const Context& ctx) {
  if (answer && answer->raw_format == model::Format::openai_responses && !answer->raw.empty()) return answer->raw;
  model::Answer parsed;
  if (!answer) {
    std::string error;
    model::stored::parse(stored, parsed, error);  // the core's own stored form: it parses
    answer = &parsed;
  }
  std::string id = response_id(ctx.request_id), output;
  size_t index = 0;
  model::Finish finish = answer->outputs.empty() ? model::Finish::stop : answer->outputs[0].finish;
  if (!answer->outputs.empty()) append_items(output, answer->outputs[0], id, index);  // Responses have one output
  ResponseHead head{id, ctx.created, status_of(finish), finish, nullptr,
                    answer->model.empty() ? ctx.model : std::string_view(answer->model), answer->provider,
                    &answer->usage};
  return response_json(head, output, echo_of(ctx.request));
}

}  // namespace sy::ingress::openai_responses
