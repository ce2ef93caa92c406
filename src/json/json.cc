#include "json/json.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <rapidjson/error/en.h>
#include <rapidjson/internal/dtoa.h>

namespace sy::json {

namespace {

// The longest number token accepted. Real numbers need far fewer characters;
// RapidJSON 1.1.0's full-precision parser reads out of bounds on some very long ones.
constexpr int kMaxNumberChars = 64;

bool number_char(char c) { return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; }

constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;

// The bytes of `word` (as loaded from memory) equal to `c`, each marked by its high bit. A borrow
// can also mark a byte above (later in memory on little-endian hosts than) a real match, never
// below it: the lowest mark is exact.
[[gnu::always_inline]] constexpr uint64_t byte_marks(uint64_t word, char c) {
  uint64_t x = word ^ (kOnes * static_cast<unsigned char>(c));
  return (x - kOnes) & ~x & kHighs;
}

// The first byte `c` in [p, end), or end: eight bytes per step, inline. The wasm builds have no
// vector memchr (Emscripten's and wasi-libc's step four bytes at a time, behind a call and an
// alignment prologue that short strings such as member names pay in full).
[[gnu::always_inline]] inline const char* find_byte_words(const char* p, const char* end, char c) {
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if (uint64_t hits = byte_marks(word, c)) {
      if constexpr (std::endian::native == std::endian::little) return p + std::countr_zero(hits) / 8;
      break;  // big-endian: the byte loop below finds it
    }
  }
  for (; p < end; ++p)
    if (*p == c) return p;
  return end;
}

// The first byte `c` in [p, end), or end: with the word scan above (kWords) or the C library's memchr.
template <bool kWords>
const char* find_byte(const char* p, const char* end, char c) {
  if constexpr (kWords) return find_byte_words(p, end, c);
  const void* q = std::memchr(p, c, size_t(end - p));
  return q ? static_cast<const char*>(q) : end;
}

constexpr int kLongNumber = -1, kNulByte = -2;  // what nesting_depth() found instead of a depth

// Returns the deepest nesting of arrays/objects in `text`, stopping early
// once `limit` is exceeded, or kLongNumber when a number token is longer than
// kMaxNumberChars, or kNulByte at a NUL byte outside strings. String contents are
// skipped with find_byte, so brackets inside them do not count and long strings
// cost little (a NUL inside a string is the parser's to find: a control byte).
template <bool kWords>
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0, number = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    char c = *p++;
    if (number_char(c)) {
      if (++number > kMaxNumberChars) return kLongNumber;
      continue;
    }
    number = 0;
    if (c == '\0') return kNulByte;
    if (c == '"') {
      // The closing quote is the first one preceded by an even number of backslashes.
      while (true) {
        const char* q = find_byte<kWords>(p, end, '"');
        if (q == end) return deepest;  // unterminated: the parser reports it
        const char* b = q;
        while (b > p && b[-1] == '\\') --b;
        p = q + 1;
        if ((q - b) % 2 == 0) break;
      }
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// Of the eight bytes in `word`, those that end a run of plain string bytes: '"', '\\' and the
// control bytes below 0x20, marked as byte_marks() marks them (the lowest mark is exact).
[[gnu::always_inline]] constexpr uint64_t run_ends(uint64_t word) {
  uint64_t is_control = (word - kOnes * 0x20) & ~word & kHighs;
  return byte_marks(word, '"') | byte_marks(word, '\\') | is_control;
}

bool ends_run(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

// How many plain bytes the word at p starts with, given its run_ends() `ends` (not 0).
[[gnu::always_inline]] inline size_t plain_prefix(const char* p, uint64_t ends) {
  if constexpr (std::endian::native == std::endian::little) return size_t(std::countr_zero(ends)) / 8;
  size_t n = 0;
  while (!ends_run(p[n])) ++n;
  return n;
}

// RapidJSON's in-situ string stream, with its per-character calls always inlined (a
// size-optimising compiler, Emscripten's clang 14 at -Oz, otherwise leaves them as calls), and a
// scan of plain string bytes eight at a time (skip_plain, which RapidJSON's string loop calls
// through the ScanCopyUnescapedString specialisation below) where RapidJSON has only its SSE2 one.
struct InlineInsituStream {
  using Ch = char;
  explicit InlineInsituStream(char* src) : src_(src), head_(src) {}
  [[gnu::always_inline]] char Peek() const { return *src_; }
  [[gnu::always_inline]] char Take() { return *src_++; }
  [[gnu::always_inline]] size_t Tell() const { return size_t(src_ - head_); }
  [[gnu::always_inline]] void Put(char c) { *dst_++ = c; }
  [[gnu::always_inline]] char* PutBegin() { return dst_ = src_; }
  [[gnu::always_inline]] size_t PutEnd(char* begin) { return size_t(dst_ - begin); }
  void Flush() {}

  // Inside a string, moves past its plain bytes up to the next '"', '\\' or control byte, which
  // RapidJSON's string loop then reads; once an escape has shortened the string (dst_ behind
  // src_), the bytes are copied down as they are passed. Reads whole words: the text must end
  // in a NUL (a control byte, where the scan stops) followed by at least 7 readable bytes.
  [[gnu::always_inline]] void skip_plain() {
    char* p = src_;
    char* out = dst_;
    uint64_t word, ends;
    while (true) {
      std::memcpy(&word, p, 8);
      if ((ends = run_ends(word)) != 0) break;
      if (out != p) std::memcpy(out, &word, 8);  // out < p: overwrites only bytes already in `word`
      p += 8;
      out += 8;
    }
    size_t n = plain_prefix(p, ends);
    if (out != p) std::memmove(out, p, n);
    src_ = p + n;
    dst_ = out + n;
  }

  char* src_;
  char* dst_ = nullptr;
  char* head_;
};

}  // namespace
}  // namespace sy::json

template <>
struct rapidjson::StreamTraits<sy::json::InlineInsituStream> {
  enum { copyOptimization = 1 };  // as RapidJSON's own string streams: copied into the parser's locals
};

// The reader Document::ParseStream runs on UTF-8 input; the specialisation below is RapidJSON's
// hook for a stream's fast string scan (its generic one does nothing), and applies to this reader only.
static_assert(std::is_same_v<sy::json::Document,
                             rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>, rapidjson::CrtAllocator>>);

template <>
template <>
[[gnu::always_inline]] inline void
rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator>::ScanCopyUnescapedString(
    sy::json::InlineInsituStream& is, sy::json::InlineInsituStream& os) {
  RAPIDJSON_ASSERT(&is == &os);  // in situ: one stream reads and writes
  (void)os;
  is.skip_plain();
}

namespace sy::json {
namespace {

// parse() over `Stream`: RapidJSON's in-situ stream or ours.
// The pre-scans (NUL bytes, nesting) step a word at a time with our stream, as its string scan.
template <typename Stream>
bool parse_with(std::string_view text, Document& doc, std::string& error) {
  constexpr bool kWords = std::is_same_v<Stream, InlineInsituStream>;
  const char* end = text.data() + text.size();
  // A NUL byte refuses the text: found outside strings by the nesting pre-scan, and inside them
  // by the parser (a control byte), after which this looks for one.
  const auto nul = [&] {
    error = "JSON text contains a NUL byte";
    return false;
  };
  int depth = nesting_depth<kWords>(text, kMaxDepth);
  if (depth == kNulByte) return nul();
  if (depth == kLongNumber) {
    error = "JSON number longer than " + std::to_string(kMaxNumberChars) + " characters";
    return false;
  }
  if (depth > kMaxDepth) {
    error = "JSON nesting is deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }
  // Parsed in place from a NUL-terminated copy in the document's own pool, so strings are not
  // copied again and live as long as the document. The string scan reads words past the
  // terminator: pad with 16 NULs.
  doc.SetNull();
  char* copy = static_cast<char*>(doc.GetAllocator().Malloc(text.size() + 16));
  std::memcpy(copy, text.data(), text.size());
  std::memset(copy + text.size(), 0, 16);
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
  Stream stream(copy);
  doc.ParseStream<kFlags, rapidjson::UTF8<>>(stream);
  if (doc.HasParseError()) {
    if (find_byte<kWords>(text.data(), end, '\0') != end) return nul();
    error = std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
            std::to_string(doc.GetErrorOffset());
    return false;
  }
  return true;
}

}  // namespace

// Every build parses with the same scan (no RAPIDJSON_SSE2: RapidJSON 1.1.0's SSE2 scan lets the
// raw control bytes 0x1A..0x1F through inside strings, so a native build would accept what the
// wasm builds refuse).
bool parse(std::string_view text, Document& doc, std::string& error) {
  return parse_with<InlineInsituStream>(text, doc, error);
}

bool detail::parse_reference(std::string_view text, Document& doc, std::string& error) {
  return parse_with<rapidjson::InsituStringStream>(text, doc, error);
}

namespace {

// The length of the well-formed sequence at p (whose first byte is >= 0x80), or 0.
size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
  auto tail = [](unsigned char c) { return (c & 0xC0) == 0x80; };
  size_t left = size_t(end - p);
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && tail(p[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    // E0: no overlong forms (second byte A0..BF); ED: no surrogates (80..9F).
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return left >= 3 && p[1] >= lo && p[1] <= hi && tail(p[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    // F0: no overlong forms (90..BF); F4: nothing past U+10FFFF (80..8F).
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return left >= 4 && p[1] >= lo && p[1] <= hi && tail(p[2]) && tail(p[3]) ? 4 : 0;
  }
  return 0;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t block;
      std::memcpy(&block, p, 8);
      uint64_t high = block & kHighs;
      if (high == 0) {
        p += 8;
        continue;
      }
      // Past the ASCII bytes before the first that is not (byte by byte on big-endian hosts).
      if constexpr (std::endian::native == std::endian::little) p += std::countr_zero(high) / 8;
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    size_t n = utf8_sequence(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

namespace {

const char* skip_space(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  return p;
}

// Past the closing quote of the string whose opening quote is p[-1].
const char* skip_string(const char* p, const char* end) {
  while (true) {
    const char* q = static_cast<const char*>(std::memchr(p, '"', size_t(end - p)));
    if (!q) return end;
    const char* b = q;
    while (b > p && b[-1] == '\\') --b;
    p = q + 1;
    if ((q - b) % 2 == 0) return p;
  }
}

// Past the value that starts at p.
const char* skip_value(const char* p, const char* end) {
  if (p < end && *p == '"') return skip_string(p + 1, end);
  if (p < end && (*p == '{' || *p == '[')) {
    int depth = 0;
    while (p < end) {
      char c = *p++;
      if (c == '"') p = skip_string(p, end);
      else if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return p;
    }
    return end;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') ++p;
  return p;
}

}  // namespace

bool top_level_members(std::string_view text, std::vector<Member>& out) {
  out.clear();
  out.reserve(16);  // one allocation for a usual body or answer, not one per doubling
  const char* p = text.data();
  const char* end = p + text.size();
  p = skip_space(p, end);
  if (p == end || *p++ != '{') return false;
  while (true) {
    p = skip_space(p, end);
    if (p < end && *p == '}') return true;
    if (p == end || *p != '"') return false;
    const char* key = ++p;
    p = skip_string(p, end);
    std::string_view name(key, size_t(p - 1 - key));
    if (name.find('\\') != std::string_view::npos) return false;
    p = skip_space(p, end);
    if (p == end || *p++ != ':') return false;
    p = skip_space(p, end);
    const char* value = p;
    p = skip_value(p, end);
    out.push_back({name, std::string_view(value, size_t(p - value))});
    p = skip_space(p, end);
    if (p < end && *p == ',') ++p;
  }
}

bool array_elements(std::string_view text, std::vector<std::string_view>& out) {
  out.clear();
  const char* p = text.data();
  const char* end = p + text.size();
  p = skip_space(p, end);
  if (p == end || *p++ != '[') return false;
  while (true) {
    p = skip_space(p, end);
    if (p == end) return false;
    if (*p == ']') return true;
    const char* value = p;
    p = skip_value(p, end);
    out.emplace_back(value, size_t(p - value));
    p = skip_space(p, end);
    if (p < end && *p == ',') ++p;
  }
}

namespace {

// Builds a value in `doc` from SAX events, copying every string.
struct Copier {
  Document& doc;
  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned u) { return doc.Uint(u); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t u) { return doc.Uint64(u); }
  bool Double(double d) { return doc.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return doc.RawNumber(s, n, true); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return doc.String(s, n, true); }
  bool StartObject() { return doc.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return doc.Key(s, n, true); }
  bool EndObject(rapidjson::SizeType n) { return doc.EndObject(n); }
  bool StartArray() { return doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc.EndArray(n); }
};

}  // namespace

Value copy(const Value& from, Document::AllocatorType& allocator) {
  Document scratch(&allocator);  // its value is built in `allocator`, which it does not own
  auto generate = [&](Document& d) {
    Copier copier{d};
    return from.Accept(copier);
  };
  scratch.Populate(generate);
  Value out;
  out.Swap(scratch);
  return out;
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
    char buf[24];  // no temporary string: the digits go straight into `out`
    out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d)).ptr);
    return;
  }
  char buf[32];
  char* end = rapidjson::internal::dtoa(d, buf);
  out.append(buf, end);
}

}  // namespace sy::json

namespace sy::json {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The digits at text[i...], advancing i past them.
std::string_view digits_at(std::string_view text, size_t& i) {
  size_t from = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  return text.substr(from, i - from);
}

}  // namespace

bool parse_digits(std::string_view text, double& out) {
  if (text.empty()) return false;
  double value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

bool parse_decimal(std::string_view text, double& out, size_t* used) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))) ++i;
  bool minus = i < text.size() && text[i] == '-';
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::string_view whole = digits_at(text, i), fraction;
  if (whole == "0" && i < text.size() && (text[i] == 'x' || text[i] == 'X')) return false;  // strtod reads hex
  if (i < text.size() && text[i] == '.') {
    size_t after = i + 1;
    fraction = digits_at(text, after);
    if (!whole.empty() || !fraction.empty()) i = after;  // "5." reads the dot, "." is no number
  }
  if (whole.empty() && fraction.empty()) return false;
  std::string_view exponent_sign, exponent;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {  // read only when digits follow
    size_t at = i + 1;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) exponent_sign = text.substr(at++, 1);
    if ((exponent = digits_at(text, at)).empty()) exponent_sign = {};
    else i = at;
  }
  // The value is 0.DIGITS × 10^magnitude, DIGITS the significant digits.
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  std::string digits = std::string(whole) + std::string(fraction);
  long magnitude = long(whole.size());
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {  // zero, whatever its exponent
    out = minus ? -0.0 : 0.0;
    if (used) *used = i;
    return true;
  }
  magnitude -= long(first);
  digits.erase(0, first);
  digits.erase(digits.find_last_not_of('0') + 1);
  if (digits.size() > 59) return false;  // so that DIGITSe-NNN fits the JSON parser's 64 characters
  long e10 = 0;
  for (char c : exponent) e10 = std::min(e10 * 10 + (c - '0'), 100000L);
  magnitude += exponent_sign == "-" ? -e10 : e10;
  double value;
  if (magnitude > 308) {  // at least 1e308 (RapidJSON 1.1.0 gets some of these wrong)
    value = HUGE_VAL;
  } else if (magnitude < -322) {  // below 1e-323 (likewise)
    value = 0;
  } else {  // DIGITS e (magnitude - its length), as JSON, for the JSON parser's exact conversion
    std::string spelled = digits + 'e' + std::to_string(magnitude - long(digits.size()));
    Document doc;
    std::string error;
    if (parse(spelled, doc, error)) value = doc.GetDouble();
    else if (doc.GetParseError() == rapidjson::kParseErrorNumberTooBig) value = HUGE_VAL;
    else return false;
  }
  out = minus ? -value : value;
  if (used) *used = i;
  return true;
}

}  // namespace sy::json
