#include "providers/echo.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "json/canonical.h"
#include "providers/echo_image.h"
#include "providers/translate.h"

namespace sy::providers::echo {

namespace {

using json::Value;

// ---- JSON instances of schemas ------------------------------------------------------------

constexpr int64_t kMaxN = 128;  // answers per request
constexpr int kMaxSchemaDepth = 16;
constexpr int64_t kMaxArrayItems = 8;

// The schema a local reference ("#/$defs/Name", JSON pointer syntax) points at, or nullptr.
const Value* resolve(const Value& root, std::string_view ref) {
  if (ref.substr(0, 1) != "#") return nullptr;
  ref.remove_prefix(1);
  const Value* at = &root;
  while (!ref.empty() && at) {
    if (ref[0] != '/') return nullptr;
    ref.remove_prefix(1);
    size_t end = ref.find('/');
    std::string token(ref.substr(0, end));
    ref = end == std::string_view::npos ? std::string_view() : ref.substr(end);
    for (size_t i = 0; (i = token.find('~', i)) != std::string::npos; ++i)
      token.replace(i, 2, i + 1 < token.size() && token[i + 1] == '1' ? "/" : "~");
    at = json::find(*at, token);
  }
  return at;
}

// The schema's type: its `type` (the first that is not "null" when it is a list), else what
// its keywords imply.
std::string_view type_of(const Value& schema) {
  const Value* type = json::find(schema, "type");
  if (type && type->IsString()) return json::view(*type);
  if (type && type->IsArray()) {
    for (const Value& t : type->GetArray())
      if (json::view(t) != "null") return json::view(t);
    if (!type->Empty()) return json::view((*type)[0]);
  }
  if (json::find(schema, "properties")) return "object";
  if (json::find(schema, "items")) return "array";
  return "string";
}

class Instance {
 public:
  Instance(const Value& root, std::string_view text) : root_(root), text_(text) {}
  void write(const Value* schema, int depth, std::string& out) const;

 private:
  void object(const Value& schema, int depth, std::string& out) const;
  void array(const Value& schema, int depth, std::string& out) const;

  const Value& root_;
  std::string_view text_;
};

void Instance::write(const Value* schema, int depth, std::string& out) const {
  if (depth > kMaxSchemaDepth) {
    out += "null";
    return;
  }
  if (!schema || !schema->IsObject()) {
    json::append_string(out, text_);  // `true`, `{}`: anything goes
    return;
  }
  if (const Value* c = json::find(*schema, "const")) return json::append_value(out, *c);
  if (const Value* e = json::find(*schema, "enum"); e && e->IsArray() && !e->Empty()) return json::append_value(out, (*e)[0]);
  if (const Value* ref = json::find(*schema, "$ref"); ref && ref->IsString())
    return write(resolve(root_, json::view(*ref)), depth + 1, out);
  for (const char* branches : {"anyOf", "oneOf", "allOf"})
    if (const Value* b = json::find(*schema, branches); b && b->IsArray() && !b->Empty())
      return write(&(*b)[0], depth + 1, out);
  std::string_view type = type_of(*schema);
  if (type == "object") object(*schema, depth, out);
  else if (type == "array") array(*schema, depth, out);
  else if (type == "number" || type == "integer") out += '0';
  else if (type == "boolean") out += "false";
  else if (type == "null") out += "null";
  else json::append_string(out, text_);
}

// The required properties, in the order `properties` lists them (every property when none are
// required); a required name `properties` lacks gets the echoed text.
void Instance::object(const Value& schema, int depth, std::string& out) const {
  const Value* properties = json::find(schema, "properties");
  const Value* required = json::find(schema, "required");
  bool all = !required || !required->IsArray() || required->Empty();
  auto is_required = [&](std::string_view name) {
    if (all) return true;
    for (const Value& r : required->GetArray())
      if (json::view(r) == name) return true;
    return false;
  };
  out += '{';
  bool first = true;
  auto member = [&](std::string_view name, const Value* sub) {
    if (!first) out += ',';
    first = false;
    json::append_string(out, name);
    out += ':';
    write(sub, depth + 1, out);
  };
  if (properties && properties->IsObject())
    for (const auto& p : properties->GetObject())
      if (is_required(json::view(p.name))) member(json::view(p.name), &p.value);
  if (!all)
    for (const Value& r : required->GetArray())
      if (r.IsString() && !(properties && json::find(*properties, json::view(r)))) member(json::view(r), nullptr);
  out += '}';
}

void Instance::array(const Value& schema, int depth, std::string& out) const {
  const Value* min = json::find(schema, "minItems");
  int64_t count = min && min->IsInt64() ? std::min(min->GetInt64(), kMaxArrayItems) : 0;
  const Value* items = json::find(schema, "items");
  out += '[';
  for (int64_t i = 0; i < count; ++i) {
    if (i) out += ',';
    write(items, depth + 1, out);
  }
  out += ']';
}

// ---- chat -----------------------------------------------------------------------------------

// What echo echoes: the trailing tool results' text when the conversation ends with them, else
// the last user message's text.
std::string echoed_text(const model::Request& r) {
  std::string text;
  size_t end = r.messages.size();
  while (end > 0 && r.messages[end - 1].role == model::Role::tool) --end;
  for (size_t i = end; i < r.messages.size(); ++i) {
    if (i > end) text += '\n';
    text += model::text_of(r.messages[i]);
  }
  if (end < r.messages.size()) return text;
  for (const model::Message& m : r.messages)
    if (m.role == model::Role::user) text = model::text_of(m, "\n", true);
  return text;
}

// Cuts `text` after `max_chars` code points without splitting one.
void cut_chars(std::string& text, int64_t max_chars) {
  int64_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == max_chars) {
      text.resize(i);
      return;
    }
  }
}

bool is_function(const model::Tool& t) {
  const Value* type = t.raw ? json::find(*t.raw, "type") : nullptr;
  return !t.name.empty() && (!type || json::view(*type) == "function");
}

// The tool a forced tool_choice calls: the named one, else the first function tool; nullptr
// when the choice forces none.
const model::Tool* forced_tool(const model::Request& r, std::string_view& name) {
  using Mode = model::ToolChoice::Mode;
  if (r.tools.empty() || (r.tool_choice.mode != Mode::required && r.tool_choice.mode != Mode::named)) return nullptr;
  for (const model::Tool& t : r.tools) {
    bool wanted = r.tool_choice.mode == Mode::named ? t.name == r.tool_choice.name : is_function(t);
    if (wanted) {
      name = t.name;
      return &t;
    }
  }
  name = r.tool_choice.mode == Mode::named ? r.tool_choice.name : r.tools[0].name;
  return &r.tools[0];
}

// The answer's text under the request's response_format.
std::string formatted_text(const model::Request& r, const std::string& text) {
  using Type = model::ResponseFormat::Type;
  const model::ResponseFormat& f = r.response_format;
  std::string out;
  if (f.type == Type::json_schema && f.schema) {
    Instance(*f.schema, text).write(f.schema, 0, out);
  } else if (f.type == Type::json_schema || f.type == Type::json_object) {
    out = "{\"text\":";
    json::append_string(out, text);
    out += '}';
  } else {
    out = text;
  }
  return out;
}

model::Output chat_output(const model::Request& r, int64_t& completion_tokens) {
  model::Output o;
  std::string text = echoed_text(r);
  std::string_view name;
  if (const model::Tool* tool = forced_tool(r, name)) {
    std::string arguments;
    if (tool->name == name && tool->parameters) Instance(*tool->parameters, text).write(tool->parameters, 0, arguments);
    else arguments = "{}";
    completion_tokens = model::estimate_tokens(arguments);
    o.tool_calls.push_back({"call_echo_0", std::string(name), std::move(arguments)});
    o.finish = model::Finish::tool_calls;
    return o;
  }
  o.text = formatted_text(r, text);
  o.has_text = true;
  if (r.max_tokens >= 0 && model::estimate_tokens(o.text) > r.max_tokens) {
    cut_chars(o.text, r.max_tokens * 4);
    o.finish = model::Finish::length;
  }
  completion_tokens = model::estimate_tokens(o.text);
  return o;
}

void chat(const model::Request& r, model::Answer& a) {
  int64_t completion_tokens = 0;
  model::Output o = chat_output(r, completion_tokens);
  int64_t n = std::clamp<int64_t>(r.sampling.n, 1, kMaxN);
  a.outputs.assign(size_t(n), o);
  a.usage = {true, model::prompt_tokens(r), completion_tokens * n, -1, -1, 0};
}

// ---- embeddings and the model list ----------------------------------------------------------

void append_base64(std::string& out, std::string_view bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  for (size_t b = 0; b < bytes.size(); b += 3) {
    uint32_t n = uint32_t(uint8_t(bytes[b])) << 16 | (b + 1 < bytes.size() ? uint32_t(uint8_t(bytes[b + 1])) << 8 : 0) |
                 (b + 2 < bytes.size() ? uint8_t(bytes[b + 2]) : 0);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += b + 1 < bytes.size() ? alphabet[n >> 6 & 63] : '=';
    out += b + 2 < bytes.size() ? alphabet[n & 63] : '=';
  }
  out += '"';
}

// The unit vector of `item`: component k from the hash of the item's bytes and k (as 8
// little-endian bytes, the same on every platform).
std::string vector_of(std::string_view item, size_t dimensions, bool base64) {
  std::vector<float> v(dimensions);
  double norm = 0;
  for (size_t k = 0; k < dimensions; ++k) {
    char index[8];
    for (int b = 0; b < 8; ++b) index[b] = char(uint64_t(k) >> (8 * b));
    json::Hasher h;
    h.update(item);
    h.update(std::string_view(index, sizeof index));
    v[k] = float(double(h.finish().lo >> 11) * 0x1.0p-53 * 2 - 1);
    norm += double(v[k]) * v[k];
  }
  for (float& x : v) x = float(x / std::sqrt(norm > 0 ? norm : 1));
  std::string out;
  if (base64) {
    std::string bytes(v.size() * 4, '\0');
    for (size_t k = 0; k < v.size(); ++k) {
      uint32_t bits;
      std::memcpy(&bits, &v[k], 4);
      for (int b = 0; b < 4; ++b) bytes[k * 4 + size_t(b)] = char(bits >> (8 * b));
    }
    append_base64(out, bytes);
    return out;
  }
  out += '[';
  for (size_t k = 0; k < dimensions; ++k) {
    if (k) out += ',';
    json::append_number(out, v[k]);
  }
  out += ']';
  return out;
}

void embeddings(const model::Request& r, model::Answer& a) {
  size_t dimensions = r.dimensions > 0 ? size_t(r.dimensions) : 16;
  std::string item;
  for (const Value* input : r.inputs) {
    item.clear();
    if (input->IsString()) item = json::view(*input);
    else json::append_value(item, *input);  // token ids: hashed as their JSON
    a.embeddings.push_back(vector_of(item, dimensions, r.base64));
  }
  a.usage = {true, model::prompt_tokens(r), 0, -1, -1, 0};
}

void models(const EncodeInput& in, model::Answer& a) {
  int provider = in.config.find_provider(in.provider.name);
  for (const config::TargetKey& t : in.config.targets)
    if (t.provider == provider) a.models.push_back({t.model, 0, "echo"});
}

Decoded answer(const EncodeInput& in) {
  Decoded d;
  d.ok = true;
  model::Answer& a = d.answer;
  a.kind = in.request.kind;
  a.model = in.model;
  a.provider = in.provider.name;
  switch (in.request.kind) {
    case model::Kind::chat:
      if (in.overrides.empty()) {
        chat(in.request, a);
      } else {
        json::Document arena;
        chat(translate::with_overrides(in, arena), a);
      }
      break;
    case model::Kind::embeddings:
      embeddings(in.request, a);
      break;
    case model::Kind::models:
      models(in, a);
      break;
    case model::Kind::images:
      echo_image::answer(in.request, a);
      break;
  }
  return d;
}

}  // namespace

const Codec kCodec = {
    .caps = {.free = true, .embeddings = true, .models = true, .token_input = true, .images = true, .local = true,
             .max_n = kMaxN, .n_in_streams = true},
    .answer = answer,
};

}  // namespace sy::providers::echo
