#include "providers/echo.h"

#include <cmath>
#include <vector>

#include "json/canonical.h"

namespace sy::providers::echo {

namespace {

using json::Value;

// Appends the text of a message's content (a string or an array of parts).
void content_text(const Value& content, std::string& out) {
  if (content.IsString()) {
    out.append(json::view(content));
    return;
  }
  if (!content.IsArray()) return;
  bool first = true;
  for (const Value& part : content.GetArray()) {
    const Value* type = json::find(part, "type");
    std::string_view t = type ? json::view(*type) : "";
    if (!first) out += '\n';
    first = false;
    if (t == "text") {
      if (const Value* text = json::find(part, "text")) out.append(json::view(*text));
    } else if (t == "image_url") {
      out += "[image]";
    }
  }
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

void append_usage(std::string& out, int64_t prompt, int64_t completion) {
  out += "\"usage\":{\"prompt_tokens\":" + std::to_string(prompt) +
         ",\"completion_tokens\":" + std::to_string(completion) +
         ",\"total_tokens\":" + std::to_string(prompt + completion) + ",\"cost\":0}";
}

void chunk_head(std::string& out, std::string_view id, int64_t created, std::string_view model) {
  out += "data: {\"id\":";
  json::append_string(out, id);
  out += ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(created) + ",\"model\":";
  json::append_string(out, model);
  out += ',';
}

}  // namespace

std::string embeddings(const Value& request, std::string_view model) {
  std::vector<std::string> items;
  const Value* input = json::find(request, "input");
  auto add = [&](const Value& v) {
    if (v.IsString()) items.emplace_back(json::view(v));
    else if (v.IsArray()) json::append_value(items.emplace_back(), v);  // token ids: hashed as their JSON
  };
  if (input && input->IsArray() && !input->Empty() && !(*input)[0].IsUint())
    for (const Value& v : input->GetArray()) add(v);
  else if (input)
    add(*input);
  const Value* d = json::find(request, "dimensions");
  size_t dimensions = d && d->IsUint() && d->GetUint() > 0 ? d->GetUint() : 16;
  const Value* f = json::find(request, "encoding_format");
  bool base64 = f && json::view(*f) == "base64";
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "{\"object\":\"list\",\"data\":[";
  int64_t tokens = 0;
  std::vector<float> v(dimensions);
  for (size_t i = 0; i < items.size(); ++i) {
    tokens += estimate_tokens(items[i]);
    double norm = 0;
    for (size_t k = 0; k < dimensions; ++k) {
      json::Hasher h;
      h.update(items[i]);
      h.update(std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
      v[k] = float(double(h.finish().lo >> 11) * 0x1.0p-53 * 2 - 1);
      norm += double(v[k]) * v[k];
    }
    for (float& x : v) x = float(x / std::sqrt(norm > 0 ? norm : 1));
    if (i) out += ',';
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
    if (base64) {
      std::string bytes(reinterpret_cast<const char*>(v.data()), v.size() * 4);  // wasm and x86: little-endian
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
    } else {
      out += '[';
      for (size_t k = 0; k < dimensions; ++k) {
        if (k) out += ',';
        json::append_number(out, v[k]);
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"model\":";
  json::append_string(out, model);
  out += ",\"usage\":{\"prompt_tokens\":" + std::to_string(tokens) + ",\"total_tokens\":" + std::to_string(tokens) +
         ",\"cost\":0}}";
  return out;
}

int64_t estimate_tokens(std::string_view text) {
  int64_t chars = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++chars;
  return (chars + 3) / 4;
}

int64_t prompt_tokens(const Value& request) {
  int64_t tokens = 0;
  if (const Value* messages = json::find(request, "messages"); messages && messages->IsArray()) {
    std::string piece;
    for (const Value& m : messages->GetArray()) {
      piece.clear();
      if (const Value* content = json::find(m, "content")) content_text(*content, piece);
      tokens += 4 + estimate_tokens(piece);
    }
  }
  return tokens;
}

std::string answer(const Value& request, std::string_view model, std::string_view id, int64_t created,
                   bool stream) {
  std::string text;
  int64_t prompt_tokens = echo::prompt_tokens(request);
  if (const Value* messages = json::find(request, "messages"); messages && messages->IsArray()) {
    for (const Value& m : messages->GetArray()) {
      const Value* role = json::find(m, "role");
      const Value* content = json::find(m, "content");
      if (role && json::view(*role) == "user") {
        text.clear();
        if (content) content_text(*content, text);
      }
    }
  }
  const char* finish = "stop";
  const Value* max_tokens = json::find(request, "max_completion_tokens");
  if (!max_tokens) max_tokens = json::find(request, "max_tokens");
  if (max_tokens && max_tokens->IsInt64() && max_tokens->GetInt64() >= 0 &&
      estimate_tokens(text) > max_tokens->GetInt64()) {
    cut_chars(text, max_tokens->GetInt64() * 4);
    finish = "length";
  }
  int64_t completion_tokens = estimate_tokens(text);

  std::string out;
  if (!stream) {
    out = "{\"id\":";
    json::append_string(out, id);
    out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(created) + ",\"model\":";
    json::append_string(out, model);
    out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
    json::append_string(out, text);
    out += "},\"finish_reason\":\"";
    out += finish;
    out += "\"}],";
    append_usage(out, prompt_tokens, completion_tokens);
    out += '}';
    return out;
  }

  const Value* options = json::find(request, "stream_options");
  const Value* include = options ? json::find(*options, "include_usage") : nullptr;
  bool include_usage = include && include->IsBool() && include->GetBool();
  std::string_view usage_tail = include_usage ? ",\"usage\":null}\n\n" : "}\n\n";

  chunk_head(out, id, created, model);
  out += "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]";
  out += usage_tail;
  // One chunk per word, each carrying the whitespace that follows it.
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of(" \n\t", start);
    end = end == std::string::npos ? text.size() : text.find_first_not_of(" \n\t", end);
    if (end == std::string::npos) end = text.size();
    chunk_head(out, id, created, model);
    out += "\"choices\":[{\"index\":0,\"delta\":{\"content\":";
    json::append_string(out, std::string_view(text).substr(start, end - start));
    out += "},\"finish_reason\":null}]";
    out += usage_tail;
    start = end;
  }
  chunk_head(out, id, created, model);
  out += "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"";
  out += finish;
  out += "\"}]";
  out += usage_tail;
  if (include_usage) {
    chunk_head(out, id, created, model);
    out += "\"choices\":[],";
    append_usage(out, prompt_tokens, completion_tokens);
    out += "}\n\n";
  }
  out += "data: [DONE]\n\n";
  return out;
}

}  // namespace sy::providers::echo
