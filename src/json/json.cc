#include "json/json.h"

#include <cmath>

#include <rapidjson/error/en.h>
#include <rapidjson/internal/dtoa.h>

namespace sy::json {

namespace {

// Returns the deepest nesting of arrays/objects in `text`, stopping early
// once `limit` is exceeded. Strings are skipped so brackets inside them
// do not count.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c == ']' || c == '}') --depth;
  }
  return deepest;
}

}  // namespace

bool parse(std::string_view text, Document& doc, std::string& error) {
  if (nesting_depth(text, kMaxDepth) > kMaxDepth) {
    error = "JSON nesting is deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag>(text.data(),
                                                                                text.size());
  if (doc.HasParseError()) {
    error = std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
            std::to_string(doc.GetErrorOffset());
    return false;
  }
  return true;
}

const Value* find(const Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  // A Value key: a bare StringRef would decay to const char* and be strlen'd.
  const Value key(rapidjson::StringRef(name.data(), rapidjson::SizeType(name.size())));
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

void append_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_value(std::string& out, const Value& v) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  v.Accept(writer);
  out.append(buffer.GetString(), buffer.GetSize());
}

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
    out += std::to_string(static_cast<long long>(d));
    return;
  }
  char buf[32];
  char* end = rapidjson::internal::dtoa(d, buf);
  out.append(buf, end);
}

}  // namespace sy::json
