// Messages and content blocks of a Messages request (anthropic_messages.h lists the mapping).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <initializer_list>

#include "ingress/anthropic_messages_impl.h"
#include "ingress/body.h"

namespace sy::ingress::anthropic_messages {

namespace {

using json::Value;
using model::Message;
using model::Part;
using model::PartType;
using model::Role;

// Blocks Anthropic's servers produce and take back (server tools, their results, search
// results of the caller's own, containers). They have no canonical form: an Anthropic target
// gets them in the caller's body; other targets never see them.
constexpr std::string_view kServerBlocks[] = {
    "server_tool_use",        "web_search_tool_result",  "web_fetch_tool_result",
    "code_execution_tool_result", "bash_code_execution_tool_result", "text_editor_code_execution_tool_result",
    "tool_search_tool_result", "mcp_tool_use",           "mcp_tool_result",
    "container_upload",
};

constexpr std::string_view kImageTypes[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};

bool listed(std::string_view name, const auto& list) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

bool is_base64(std::string_view data) {
  return !data.empty() && std::all_of(data.begin(), data.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=' || c == '\n' || c == '\r';
  });
}

bool http_url(std::string_view url) { return url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://"; }

std::string indexed(const std::string& base, std::string_view member, size_t index) {
  return base + "." + std::string(member) + "[" + std::to_string(index) + "]";
}

// Reads messages and their blocks into canonical messages. Built texts are kept in the
// envelope's allocator, which lives as long as the request.
class Reader {
 public:
  Reader(model::Envelope& env, Error& error) : arena_(env.doc.GetAllocator()), error_(error) {}
  bool message(const Value& m, const std::string& at, bool last, Message& out);
  bool system(const Value& system, Message& out);

 private:
  bool refuse(const std::string& param, std::string_view expected) {
    return body::refuse(error_, param, param + " " + std::string(expected));
  }
  bool block(const Value& b, const std::string& at, Role role, Message& out);
  bool text(const Value& b, const std::string& at, Message& out);
  bool image(const Value& b, const std::string& at, Message& out);
  bool document(const Value& b, const std::string& at, Message& out);
  bool content_source(const Value& source, const Value& b, const std::string& at, Message& out);
  bool tool_use(const Value& b, const std::string& at, Message& out);
  bool tool_result(const Value& b, const std::string& at, Message& out);
  bool result_content(const Value& content, const std::string& at, std::string& text, Message& out);
  bool thinking(const Value& b, const std::string& at, Message& out);
  bool search_result(const Value& b, const std::string& at, Message& out);
  bool cache_control(const Value& b, const std::string& at);
  const Value* string_member(const Value& b, const std::string& at, const char* name, bool non_empty);
  std::string_view keep(std::initializer_list<std::string_view> pieces);

  json::Document::AllocatorType& arena_;
  Error& error_;
};

// The pieces joined, in the arena.
std::string_view Reader::keep(std::initializer_list<std::string_view> pieces) {
  size_t n = 0;
  for (std::string_view p : pieces) n += p.size();
  if (n == 0) return {};
  char* copy = static_cast<char*>(arena_.Malloc(n));
  size_t at = 0;
  for (std::string_view p : pieces) {
    std::memcpy(copy + at, p.data(), p.size());
    at += p.size();
  }
  return {copy, n};
}

Part& add(Message& message, PartType type, const Value* raw) {
  Part& part = message.parts.emplace_back();
  part.type = type;
  part.raw = raw;
  return part;
}

// The member `name` of block `b` when it is a string (non-empty when asked); else a 400 naming
// it, and nullptr.
const Value* Reader::string_member(const Value& b, const std::string& at, const char* name, bool non_empty) {
  const Value* v = json::find(b, name);
  if (v && v->IsString() && (!non_empty || v->GetStringLength() > 0)) return v;
  refuse(at + "." + name, non_empty ? "must be a non-empty string" : "must be a string");
  return nullptr;
}

// cache_control, when present: {type: "ephemeral", ttl?: "5m" | "1h"}.
bool Reader::cache_control(const Value& b, const std::string& at) {
  const Value* cc = json::find(b, "cache_control");
  if (!cc || cc->IsNull()) return true;
  const Value* type = cc->IsObject() ? json::find(*cc, "type") : nullptr;
  if (!type || json::view(*type) != "ephemeral")
    return refuse(at + ".cache_control", "must be {\"type\": \"ephemeral\"} (with an optional ttl)");
  const Value* ttl = json::find(*cc, "ttl");
  if (ttl && !ttl->IsNull() && json::view(*ttl) != "5m" && json::view(*ttl) != "1h")
    return refuse(at + ".cache_control.ttl", "must be \"5m\" or \"1h\"");
  return true;
}

bool Reader::message(const Value& m, const std::string& at, bool last, Message& out) {
  if (!m.IsObject()) return refuse(at, "must be an object {role, content}");
  const Value* role = json::find(m, "role");
  std::string_view r = role ? json::view(*role) : std::string_view();
  if (r == "user") out.role = Role::user;
  else if (r == "assistant") out.role = Role::assistant;
  else if (r == "system") out.role = Role::system;
  else return refuse(at + ".role", "must be \"user\" or \"assistant\" (or \"system\" after a user turn)");
  out.raw = &m;
  const Value* content = json::find(m, "content");
  bool may_be_empty = last && out.role == Role::assistant;  // a prefill Claude continues
  if (content && content->IsString()) {
    if (content->GetStringLength() == 0 && !may_be_empty)
      return refuse(at + ".content", "must not be empty (only a final assistant message may be)");
    if (content->GetStringLength() > 0) add(out, PartType::text, nullptr).text = json::view(*content);
    return true;
  }
  if (!content || !content->IsArray()) return refuse(at + ".content", "must be a string or an array of content blocks");
  if (content->Empty() && !may_be_empty)
    return refuse(at + ".content", "must not be empty (only a final assistant message may be)");
  for (rapidjson::SizeType i = 0; i < content->Size(); ++i)
    if (!block((*content)[i], indexed(at, "content", i), out.role, out)) return false;
  return true;
}

bool Reader::system(const Value& system, Message& out) {
  out.role = Role::system;
  if (system.IsString()) {
    if (system.GetStringLength() > 0) add(out, PartType::text, nullptr).text = json::view(system);
    return true;
  }
  if (!system.IsArray()) return refuse("system", "must be a string or an array of text blocks");
  for (rapidjson::SizeType i = 0; i < system.Size(); ++i) {
    const Value& b = system[i];
    std::string bi = "system[" + std::to_string(i) + "]";
    const Value* type = b.IsObject() ? json::find(b, "type") : nullptr;
    if (!type || json::view(*type) != "text") return refuse(bi + ".type", "must be \"text\"");
    if (!cache_control(b, bi) || !text(b, bi, out)) return false;
  }
  return true;
}

bool Reader::block(const Value& b, const std::string& at, Role role, Message& out) {
  if (!b.IsObject()) return refuse(at, "must be an object with a type");
  const Value* type = json::find(b, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  bool assistant = role == Role::assistant;
  auto only = [&](bool allowed, std::string_view who) {
    return allowed || refuse(at + ".type", std::string(t) + " blocks may only appear in " + std::string(who) + " messages");
  };
  if (t != "text" && !only(role != Role::system, "user or assistant")) return false;
  if (!cache_control(b, at)) return false;
  if (t == "text") return text(b, at, out);
  if (t == "image") return image(b, at, out);
  if (t == "document") return document(b, at, out);
  if (t == "search_result") return search_result(b, at, out);
  if (t == "tool_use") return only(assistant, "assistant") && tool_use(b, at, out);
  if (t == "tool_result") return only(!assistant, "user") && tool_result(b, at, out);
  if (t == "thinking" || t == "redacted_thinking") return only(assistant, "assistant") && thinking(b, at, out);
  if (listed(t, kServerBlocks)) return true;
  return refuse(at + ".type",
                "must be one of text, image, document, search_result, tool_use, tool_result, thinking, "
                "redacted_thinking, or a server tool block");
}

bool Reader::text(const Value& b, const std::string& at, Message& out) {
  const Value* text = string_member(b, at, "text", true);
  if (!text) return false;
  add(out, PartType::text, &b).text = json::view(*text);
  return true;
}

// An image source: base64 {media_type, data} -> a data: URL; url {url}; file {file_id} (a file
// id of Anthropic's Files API).
bool Reader::image(const Value& b, const std::string& at, Message& out) {
  const Value* source = json::find(b, "source");
  std::string sa = at + ".source";
  const Value* type = source && source->IsObject() ? json::find(*source, "type") : nullptr;
  std::string_view t = type ? json::view(*type) : std::string_view();
  if (t == "base64") {
    const Value* media = string_member(*source, sa, "media_type", true);
    if (!media) return false;
    if (!listed(json::view(*media), kImageTypes))
      return refuse(sa + ".media_type", "must be one of image/jpeg, image/png, image/gif, image/webp");
    const Value* data = string_member(*source, sa, "data", true);
    if (!data) return false;
    if (!is_base64(json::view(*data)))
      return refuse(sa + ".data", "must be base64 (the image's bytes only, without a data: URL prefix)");
    add(out, PartType::image, &b).url = keep({"data:", json::view(*media), ";base64,", json::view(*data)});
  } else if (t == "url") {
    const Value* url = string_member(*source, sa, "url", true);
    if (!url) return false;
    if (!http_url(json::view(*url))) return refuse(sa + ".url", "must be an http(s) URL");
    add(out, PartType::image, &b).url = json::view(*url);
  } else if (t == "file") {
    const Value* id = string_member(*source, sa, "file_id", true);
    if (!id) return false;
    Part& p = add(out, PartType::file, &b);
    p.id = json::view(*id);
  } else {
    return refuse(sa + ".type", "must be one of base64, url, file");
  }
  return true;
}

// A document: a base64 PDF -> a file part (data: URL, named by its title); a PDF URL -> a file
// part; a file id -> a file part; plain text and content sources -> their text (and images).
bool Reader::document(const Value& b, const std::string& at, Message& out) {
  const Value* source = json::find(b, "source");
  std::string sa = at + ".source";
  const Value* type = source && source->IsObject() ? json::find(*source, "type") : nullptr;
  std::string_view t = type ? json::view(*type) : std::string_view();
  const Value* title = json::find(b, "title");
  if (title && !title->IsNull() && !title->IsString()) return refuse(at + ".title", "must be a string");
  std::string_view name = title ? json::view(*title) : std::string_view();
  const Value* media = t == "base64" || t == "text" ? string_member(*source, sa, "media_type", true) : nullptr;
  if ((t == "base64" || t == "text") && !media) return false;
  if (t == "base64" || t == "text") {
    std::string_view expected = t == "base64" ? "application/pdf" : "text/plain";
    if (json::view(*media) != expected) return refuse(sa + ".media_type", "must be \"" + std::string(expected) + "\"");
    const Value* data = string_member(*source, sa, "data", t == "base64");
    if (!data) return false;
    if (t == "text") {
      if (data->GetStringLength() > 0) add(out, PartType::text, &b).text = json::view(*data);
      return true;
    }
    if (!is_base64(json::view(*data))) return refuse(sa + ".data", "must be base64 (the PDF's bytes)");
    Part& p = add(out, PartType::file, &b);
    p.url = keep({"data:application/pdf;base64,", json::view(*data)});
    p.media_type = "application/pdf";
    p.name = name;
  } else if (t == "url" || t == "file") {
    const Value* v = string_member(*source, sa, t == "url" ? "url" : "file_id", true);
    if (!v) return false;
    if (t == "url" && !http_url(json::view(*v))) return refuse(sa + ".url", "must be an http(s) URL");
    Part& p = add(out, PartType::file, &b);
    (t == "url" ? p.url : p.id) = json::view(*v);
    if (t == "url") p.media_type = "application/pdf";
    p.name = name;
  } else if (t == "content") {
    return content_source(*source, b, sa, out);
  } else {
    return refuse(sa + ".type", "must be one of base64, text, url, content, file");
  }
  return true;
}

// {type: content, content: string | [text and image blocks]}
bool Reader::content_source(const Value& source, const Value& b, const std::string& at, Message& out) {
  const Value* content = json::find(source, "content");
  if (content && content->IsString()) {
    if (content->GetStringLength() > 0) add(out, PartType::text, &b).text = json::view(*content);
    return true;
  }
  if (!content || !content->IsArray()) return refuse(at + ".content", "must be a string or an array of text and image blocks");
  for (rapidjson::SizeType i = 0; i < content->Size(); ++i) {
    const Value& c = (*content)[i];
    std::string ci = indexed(at, "content", i);
    const Value* type = c.IsObject() ? json::find(c, "type") : nullptr;
    std::string_view t = type ? json::view(*type) : std::string_view();
    if (t != "text" && t != "image") return refuse(ci + ".type", "must be text or image");
    if (!cache_control(c, ci) || !(t == "text" ? text(c, ci, out) : image(c, ci, out))) return false;
  }
  return true;
}

// tool_use {id, name, input}: a tool call whose arguments are `input` as JSON text.
bool Reader::tool_use(const Value& b, const std::string& at, Message& out) {
  const Value* id = string_member(b, at, "id", true);
  if (!id) return false;
  std::string_view i = json::view(*id);
  if (!std::all_of(i.begin(), i.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }))
    return refuse(at + ".id", "must be letters, digits, _ or -");
  const Value* name = string_member(b, at, "name", true);
  if (!name) return false;
  const Value* input = json::find(b, "input");
  if (!input || !input->IsObject()) return refuse(at + ".input", "must be an object (the tool's input)");
  std::string arguments;
  json::append_value(arguments, *input);
  Part& p = add(out, PartType::tool_call, &b);
  p.id = i;
  p.name = json::view(*name);
  p.arguments = keep({arguments});
  return true;
}

// tool_result {tool_use_id, content?, is_error?}: a tool result whose text is its text blocks
// joined by newlines; its images and documents follow it as parts of the same message.
bool Reader::tool_result(const Value& b, const std::string& at, Message& out) {
  const Value* id = string_member(b, at, "tool_use_id", true);
  if (!id) return false;
  const Value* is_error = json::find(b, "is_error");
  if (is_error && !is_error->IsNull() && !is_error->IsBool()) return refuse(at + ".is_error", "must be true or false");
  size_t index = out.parts.size();
  Part& p = add(out, PartType::tool_result, &b);
  p.id = json::view(*id);
  const Value* content = json::find(b, "content");
  if (!content || content->IsNull()) return true;
  if (content->IsString()) {
    p.text = json::view(*content);
    return true;
  }
  std::string text;
  if (!result_content(*content, at + ".content", text, out)) return false;
  out.parts[index].text = keep({text});
  return true;
}

bool Reader::result_content(const Value& content, const std::string& at, std::string& text, Message& out) {
  if (!content.IsArray()) return refuse(at, "must be a string or an array of content blocks");
  for (rapidjson::SizeType i = 0; i < content.Size(); ++i) {
    const Value& c = content[i];
    std::string ci = at + "[" + std::to_string(i) + "]";
    const Value* type = c.IsObject() ? json::find(c, "type") : nullptr;
    std::string_view t = type ? json::view(*type) : std::string_view();
    if (!cache_control(c, ci)) return false;
    if (t == "text") {
      const Value* piece = string_member(c, ci, "text", true);
      if (!piece) return false;
      if (!text.empty()) text += '\n';
      text += json::view(*piece);
    } else if (t == "image" || t == "document" || t == "search_result") {
      if (!(t == "image" ? image(c, ci, out) : t == "document" ? document(c, ci, out) : search_result(c, ci, out)))
        return false;
    } else if (t != "tool_reference") {
      return refuse(ci + ".type", "must be one of text, image, document, search_result, tool_reference");
    }
  }
  return true;
}

// thinking {thinking, signature} / redacted_thinking {data}: reasoning with its signature (or
// opaque data), kept so that the next turn can send it back.
bool Reader::thinking(const Value& b, const std::string& at, Message& out) {
  if (json::view(*json::find(b, "type")) == "redacted_thinking") {
    const Value* data = string_member(b, at, "data", true);
    if (!data) return false;
    Part& p = add(out, PartType::reasoning, &b);
    p.text = json::view(*data);
    p.redacted = true;
    return true;
  }
  const Value* text = string_member(b, at, "thinking", false);
  const Value* signature = text ? string_member(b, at, "signature", false) : nullptr;
  if (!signature) return false;
  Part& p = add(out, PartType::reasoning, &b);
  p.text = json::view(*text);
  p.signature = json::view(*signature);
  return true;
}

// search_result {source, title, content: [text blocks]}: its texts.
bool Reader::search_result(const Value& b, const std::string& at, Message& out) {
  if (!string_member(b, at, "source", false) || !string_member(b, at, "title", false)) return false;
  const Value* content = json::find(b, "content");
  if (!content || !content->IsArray()) return refuse(at + ".content", "must be an array of text blocks");
  for (rapidjson::SizeType i = 0; i < content->Size(); ++i) {
    const Value& c = (*content)[i];
    std::string ci = indexed(at, "content", i);
    const Value* type = c.IsObject() ? json::find(c, "type") : nullptr;
    if (!type || json::view(*type) != "text") return refuse(ci + ".type", "must be \"text\"");
    if (!cache_control(c, ci) || !text(c, ci, out)) return false;
  }
  return true;
}

}  // namespace

bool read_system(const Value& system, model::Envelope& env, Error& error) {
  Reader reader(env, error);
  Message m;
  if (!reader.system(system, m)) return false;
  if (!m.parts.empty()) env.request.messages.push_back(std::move(m));
  return true;
}

bool read_messages(const Value& messages, model::Envelope& env, Error& error) {
  if (!messages.IsArray() || messages.Empty())
    return body::refuse(error, "messages", "messages must be a non-empty array of messages");
  Reader reader(env, error);
  std::vector<Message>& out = env.request.messages;
  out.reserve(out.size() + messages.Size());
  for (rapidjson::SizeType i = 0; i < messages.Size(); ++i) {
    Message& m = out.emplace_back();
    if (!reader.message(messages[i], "messages[" + std::to_string(i) + "]", i + 1 == messages.Size(), m)) return false;
  }
  return true;
}

}  // namespace sy::ingress::anthropic_messages
