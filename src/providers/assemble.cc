#include "providers/assemble.h"

#include "json/json.h"

namespace sy::providers {

namespace {

using json::Value;

std::string text_of(const Value* v) { return v && v->IsString() ? std::string(json::view(*v)) : std::string(); }

}  // namespace

void StreamAssembler::add(std::string_view events) {
  size_t at = 0;
  while ((at = events.find("data: ", at)) != std::string_view::npos) {
    size_t end = events.find("\n\n", at);
    if (end == std::string_view::npos) end = events.size();
    chunk(events.substr(at + 6, end - at - 6));
    at = end;
  }
}

void StreamAssembler::chunk(std::string_view text) {
  json::Document doc;
  std::string error;
  if (!json::parse(text, doc, error) || !doc.IsObject()) return;
  if (id_.empty()) id_ = text_of(json::find(doc, "id"));
  if (model_.empty()) model_ = text_of(json::find(doc, "model"));
  if (provider_.empty()) provider_ = text_of(json::find(doc, "provider"));
  if (system_fingerprint_.empty()) system_fingerprint_ = text_of(json::find(doc, "system_fingerprint"));
  if (const Value* c = json::find(doc, "created"); c && c->IsInt64() && !created_) created_ = c->GetInt64();
  if (const Value* u = json::find(doc, "usage"); u && u->IsObject()) {
    usage_json_.clear();
    json::append_value(usage_json_, *u);
  }
  const Value* choices = json::find(doc, "choices");
  if (!choices || !choices->IsArray()) return;
  for (const Value& c : choices->GetArray()) {
    const Value* index = json::find(c, "index");
    size_t i = index && index->IsUint() ? index->GetUint() : 0;
    if (i > 127) continue;  // n is small in practice; never grow without bound
    if (choices_.size() <= i) choices_.resize(i + 1);
    Choice& choice = choices_[i];
    if (const Value* f = json::find(c, "finish_reason"); f && f->IsString()) choice.finish_reason = json::view(*f);
    const Value* delta = json::find(c, "delta");
    if (!delta) continue;
    if (const Value* r = json::find(*delta, "role"); r && r->IsString()) choice.role = json::view(*r);
    if (const Value* t = json::find(*delta, "content"); t && t->IsString()) {
      choice.content += json::view(*t);
      choice.has_content = true;
    }
    if (const Value* r = json::find(*delta, "refusal"); r && r->IsString()) choice.refusal += json::view(*r);
    const Value* calls = json::find(*delta, "tool_calls");
    if (!calls || !calls->IsArray()) continue;
    for (const Value& call : calls->GetArray()) {
      const Value* ci = json::find(call, "index");
      size_t k = ci && ci->IsUint() ? ci->GetUint() : choice.tool_calls.size();
      if (k > 127) continue;
      if (choice.tool_calls.size() <= k) choice.tool_calls.resize(k + 1);
      ToolCall& tc = choice.tool_calls[k];
      if (std::string id = text_of(json::find(call, "id")); !id.empty()) tc.id = id;
      if (std::string type = text_of(json::find(call, "type")); !type.empty()) tc.type = type;
      if (const Value* fn = json::find(call, "function")) {
        tc.name += text_of(json::find(*fn, "name"));
        tc.arguments += text_of(json::find(*fn, "arguments"));
      }
    }
  }
}

const std::string& StreamAssembler::finish_reason() const {
  static const std::string none;
  return choices_.empty() ? none : choices_[0].finish_reason;
}

std::string StreamAssembler::finish(std::string_view provider) const {
  std::string out = "{\"id\":";
  json::append_string(out, id_);
  out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(created_) + ",\"model\":";
  json::append_string(out, model_);
  out += ",\"choices\":[";
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Choice& c = choices_[i];
    if (i) out += ',';
    out += "{\"index\":" + std::to_string(i) + ",\"message\":{\"role\":";
    json::append_string(out, c.role);
    out += ",\"content\":";
    if (c.has_content) json::append_string(out, c.content);
    else out += "null";
    if (!c.refusal.empty()) {
      out += ",\"refusal\":";
      json::append_string(out, c.refusal);
    }
    if (!c.tool_calls.empty()) {
      out += ",\"tool_calls\":[";
      for (size_t k = 0; k < c.tool_calls.size(); ++k) {
        const ToolCall& tc = c.tool_calls[k];
        if (k) out += ',';
        out += "{\"id\":";
        json::append_string(out, tc.id);
        out += ",\"type\":";
        json::append_string(out, tc.type.empty() ? "function" : tc.type);
        out += ",\"function\":{\"name\":";
        json::append_string(out, tc.name);
        out += ",\"arguments\":";
        json::append_string(out, tc.arguments);
        out += "}}";
      }
      out += ']';
    }
    out += "},\"finish_reason\":";
    if (c.finish_reason.empty()) out += "null";
    else json::append_string(out, c.finish_reason);
    out += '}';
  }
  out += ']';
  if (!usage_json_.empty()) out += ",\"usage\":" + usage_json_;
  if (!system_fingerprint_.empty()) {
    out += ",\"system_fingerprint\":";
    json::append_string(out, system_fingerprint_);
  }
  if (!provider_.empty() || !provider.empty()) {
    out += ",\"provider\":";
    json::append_string(out, provider_.empty() ? provider : std::string_view(provider_));
  }
  out += '}';
  return out;
}

std::string replay_as_stream(std::string_view completion, bool include_usage) {
  json::Document doc;
  std::string error;
  if (!json::parse(completion, doc, error) || !doc.IsObject()) return {};
  const Value* choices = json::find(doc, "choices");
  if (!choices || !choices->IsArray()) return {};
  std::string head = "data: {\"id\":";
  json::append_string(head, text_of(json::find(doc, "id")));
  head += ",\"object\":\"chat.completion.chunk\",\"created\":";
  const Value* created = json::find(doc, "created");
  head += std::to_string(created && created->IsInt64() ? created->GetInt64() : 0);
  head += ",\"model\":";
  json::append_string(head, text_of(json::find(doc, "model")));
  if (const Value* p = json::find(doc, "provider"); p && p->IsString()) {
    head += ",\"provider\":";
    json::append_string(head, json::view(*p));
  }
  std::string tail = include_usage ? ",\"usage\":null}\n\n" : "}\n\n";
  std::string out;
  for (rapidjson::SizeType i = 0; i < choices->Size(); ++i) {
    const Value& c = (*choices)[i];
    const Value* message = json::find(c, "message");
    if (!message) continue;
    std::string index = std::to_string(i);
    out += head + ",\"choices\":[{\"index\":" + index + ",\"delta\":{\"role\":";
    json::append_string(out, text_of(json::find(*message, "role")).empty() ? "assistant" : text_of(json::find(*message, "role")));
    out += ",\"content\":";
    if (const Value* content = json::find(*message, "content"); content && content->IsString()) json::append_value(out, *content);
    else out += "null";
    out += "},\"finish_reason\":null}]" + tail;
    if (const Value* calls = json::find(*message, "tool_calls"); calls && calls->IsArray() && !calls->Empty()) {
      out += head + ",\"choices\":[{\"index\":" + index + ",\"delta\":{\"tool_calls\":[";
      for (rapidjson::SizeType k = 0; k < calls->Size(); ++k) {
        if (k) out += ',';
        std::string call;
        json::append_value(call, (*calls)[k]);
        out += "{\"index\":" + std::to_string(k) + (call.size() > 2 ? "," + call.substr(1) : "}");
      }
      out += "]},\"finish_reason\":null}]" + tail;
    }
    out += head + ",\"choices\":[{\"index\":" + index + ",\"delta\":{},\"finish_reason\":";
    const Value* finish = json::find(c, "finish_reason");
    if (finish && finish->IsString()) json::append_value(out, *finish);
    else out += "\"stop\"";
    out += "}]" + tail;
  }
  if (include_usage) {
    if (const Value* usage = json::find(doc, "usage"); usage && usage->IsObject()) {
      out += head + ",\"choices\":[],\"usage\":";
      json::append_value(out, *usage);
      out += "}\n\n";
    }
  }
  return out;
}

}  // namespace sy::providers
