#include "ingress/openai_responses_conversations.h"

#include <vector>

#include "ingress/body.h"
#include "ingress/openai_responses.h"
#include "ingress/openai_responses_answer.h"

namespace sy::ingress::openai_responses {

namespace {

std::string_view member(const std::vector<json::Member>& members, std::string_view name) {
  for (auto it = members.rbegin(); it != members.rend(); ++it)
    if (it->key == name) return it->value;
  return {};
}

// Appends the items `input` (a member's JSON text) means, each after a comma when `out` is not
// empty: a string is one user message, an array its elements. False for anything else.
bool append_items(std::string& out, std::string_view input) {
  auto next = [&]() -> std::string& {
    if (!out.empty()) out += ',';
    return out;
  };
  if (input.empty() || input == "null") return true;
  if (input.front() == '"') {
    next() += "{\"role\":\"user\",\"content\":";
    out += input;
    out += '}';
    return true;
  }
  std::vector<std::string_view> items;
  if (!json::array_elements(input, items)) return false;
  for (std::string_view item : items) next() += item;
  return true;
}

std::string string_of(std::string_view json_text) {
  json::Document doc;
  std::string error;
  if (!json::parse(json_text, doc, error)) return {};
  return std::string(json::view(doc));
}

// The item `text` is an item_reference to, or empty: {"type": "item_reference", "id"}, or an item
// with an id and neither type nor role.
std::string reference_of(std::string_view text) {
  if (text.find("\"id\"") == std::string_view::npos) return {};  // most items: no parse needed
  json::Document doc;
  std::string error;
  if (!json::parse(text, doc, error) || !doc.IsObject()) return {};
  const json::Value* type = json::find(doc, "type");
  const json::Value* id = json::find(doc, "id");
  bool reference = type ? json::view(*type) == "item_reference" : !json::find(doc, "role");
  return reference && id ? std::string(json::view(*id)) : std::string();
}

// The items of a conversation so far, looked up by id (parsed only when a reference asks).
class History {
 public:
  explicit History(std::string_view items) : text_("[" + std::string(items) + "]") {}

  // The item whose id is `id`, or empty.
  std::string_view find(std::string_view id) {
    if (!indexed_) index();
    for (const auto& [own, item] : ids_)
      if (own == id) return item;
    return {};
  }

 private:
  void index() {
    indexed_ = true;
    std::vector<std::string_view> items;
    if (!json::array_elements(text_, items)) return;
    for (std::string_view item : items) {
      if (item.find("\"id\"") == std::string_view::npos) continue;
      json::Document doc;
      std::string error;
      const json::Value* id = json::parse(item, doc, error) ? json::find(doc, "id") : nullptr;
      if (id && id->IsString()) ids_.emplace_back(json::view(*id), item);
    }
  }

  std::string text_;
  bool indexed_ = false;
  std::vector<std::pair<std::string, std::string_view>> ids_;  // views into text_
};

// Appends the request's own input, each item_reference replaced by the history's item of that
// id (one it does not hold stays a reference).
bool append_own(std::string& out, std::string_view input, History& history) {
  if (input.empty() || input.front() != '[') return append_items(out, input);
  std::vector<std::string_view> items;
  if (!json::array_elements(input, items)) return false;
  for (std::string_view item : items) {
    std::string id = reference_of(item);
    std::string_view found = id.empty() ? std::string_view() : history.find(id);
    if (!out.empty()) out += ',';
    out += found.empty() ? item : found;
  }
  return true;
}

bool refuse(Error& error, std::string message) {
  return body::refuse(error, "previous_response_id", std::move(message));
}

bool resume(model::Envelope& env, std::string_view record, const DecodeArgs& args, Error& error) {
  std::vector<std::string> record_storage, body_storage;
  std::vector<json::Member> kept = members_of(record, record_storage);
  std::string_view before = member(kept, "input"), after = member(kept, "output");
  std::string history;
  if (before.empty() || after.empty() || before.front() != '[' || after.front() != '[' ||
      !append_items(history, before) || !append_items(history, after))
    return refuse(error, "previous_response_id names a response this gateway cannot continue");
  std::vector<json::Member> members = members_of(env.text, body_storage);
  std::string input = history;
  History items(history);
  if (!append_own(input, member(members, "input"), items))
    return refuse(error, "previous_response_id names a response this gateway cannot continue");
  std::string body = "{\"input\":[" + input + "]";
  for (const auto& m : members) {
    if (m.key == "input") continue;
    body += ',';
    json::append_string(body, m.key);
    body += ':';
    body += m.value;
  }
  body += '}';
  if (body.size() > kMaxConversationBytes)
    return refuse(error, "the conversation previous_response_id continues is too long (over " +
                             std::to_string(kMaxConversationBytes >> 20) + " MiB): send the history in input instead");
  env.text = std::move(body);
  env.doc = json::Document();
  env.request = model::Request();
  return decode(env, args, error, true);
}

std::string keep(const Context& ctx, std::string_view answer, std::string& id) {
  const model::Request* request = ctx.request;
  if (!request || (request->store && !*request->store)) return {};
  std::vector<std::string> answer_storage, body_storage;
  std::vector<json::Member> response = members_of(answer, answer_storage);
  std::string_view output = member(response, "output");
  id = string_of(member(response, "id"));
  if (id.empty() || output.empty() || output.front() != '[') return {};
  std::string input;
  if (!append_items(input, member(members_of(request->raw, body_storage), "input"))) return {};
  std::string record = "{\"input\":[" + input + "],\"output\":";
  record += output;
  return record + "}";
}

}  // namespace

const Conversations kConversations{resume, keep};

}  // namespace sy::ingress::openai_responses
