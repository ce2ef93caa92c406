#include "ingress/openai_responses_conversations.h"

#include <span>
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

// Appends the request's own input, each item_reference replaced by its item: the record kept for
// it (items[k] for the k-th reference), else the history's item of that id, else it stays a
// reference (the request is then native-only, for OpenAI to resolve).
bool append_own(std::string& out, std::string_view input, History& history, std::span<const std::string> items) {
  if (input.empty() || input.front() != '[') return append_items(out, input);
  std::vector<std::string_view> own;
  if (!json::array_elements(input, own)) return false;
  size_t k = 0;
  for (std::string_view item : own) {
    std::string id = reference_of(item);
    std::string_view found;
    if (!id.empty()) {
      found = k < items.size() ? std::string_view(items[k++]) : std::string_view();
      if (found.empty()) found = history.find(id);
    }
    if (!out.empty()) out += ',';
    out += found.empty() ? item : found;
  }
  return true;
}

bool refuse(Error& error, std::string message) {
  return body::refuse(error, "previous_response_id", std::move(message));
}

// The items of the conversation `record` keeps (its input, then its output), comma-separated.
bool history_of(std::string_view record, std::string& out) {
  std::vector<std::string> storage;
  std::vector<json::Member> kept = members_of(record, storage);
  std::string_view before = member(kept, "input"), after = member(kept, "output");
  return !before.empty() && !after.empty() && before.front() == '[' && after.front() == '[' &&
         append_items(out, before) && append_items(out, after);
}

// Reads env.doc, which decode has parsed already.
void references(const model::Envelope& env, std::vector<Reference>& out) {
  const model::Request& r = env.request;
  if (!r.previous_response_id.empty())
    out.push_back({"previous_response_id", std::string(r.previous_response_id), "previous_response_not_found",
                   "Previous response"});
  const json::Value* input = json::find(env.doc, "input");
  if (!input || !input->IsArray()) return;
  for (rapidjson::SizeType i = 0; i < input->Size(); ++i) {
    const json::Value& item = (*input)[i];
    const json::Value* type = json::find(item, "type");
    const json::Value* id = json::find(item, "id");
    bool reference = type ? type->IsString() && json::view(*type) == "item_reference" : !json::find(item, "role");
    if (reference && id && id->IsString())
      out.push_back({"input[" + std::to_string(i) + "]", std::string(json::view(*id)), "item_not_found", "Item", true});
  }
}

bool resume(model::Envelope& env, std::span<const std::string> records, const DecodeArgs& args, Error& error) {
  bool continues = !env.request.previous_response_id.empty();
  std::string history;
  if (continues && !history_of(records[0], history))
    return refuse(error, "previous_response_id names a response this gateway cannot continue");
  std::vector<std::string> body_storage;
  std::vector<json::Member> members = members_of(env.text, body_storage);
  std::string input = history;
  History items(history);
  if (!append_own(input, member(members, "input"), items, records.subspan(continues ? 1 : 0)))
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

void keep(const Context& ctx, std::string_view answer, std::vector<std::pair<std::string, std::string>>& out) {
  const model::Request* request = ctx.request;
  if (!request || (request->store && !*request->store)) return;
  std::vector<std::string> answer_storage, body_storage;
  std::vector<json::Member> response = members_of(answer, answer_storage);
  std::string_view output = member(response, "output");
  std::string id = string_of(member(response, "id"));
  std::vector<std::string_view> items;
  if (id.empty() || output.empty() || output.front() != '[' || !json::array_elements(output, items)) return;
  std::string input;
  if (!append_items(input, member(members_of(request->raw, body_storage), "input"))) return;
  out.emplace_back(std::move(id), "{\"input\":[" + input + "],\"output\":" + std::string(output) + "}");
  std::vector<std::string> item_storage;
  for (std::string_view item : items) {
    std::string item_id = string_of(member(members_of(item, item_storage), "id"));
    if (!item_id.empty()) out.emplace_back(std::move(item_id), std::string(item));
  }
}

}  // namespace

const Conversations kConversations{references, resume, keep};

}  // namespace sy::ingress::openai_responses
