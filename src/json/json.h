// JSON parsing with limits, and small helpers used across the core.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

namespace sy::json {

using Document = rapidjson::Document;
using Value = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Nesting deeper than this is refused before parsing: RapidJSON's value
// destructor and writer recurse, so depth must be bounded on a wasm stack.
inline constexpr int kMaxDepth = 128;

// Parses `text` into `doc` with the iterative parser. On failure returns false
// and sets `error` to a one-line reason with the byte offset.
bool parse(std::string_view text, Document& doc, std::string& error);

namespace detail {
// parse() with RapidJSON's own in-situ stream and the C library's memchr for the pre-scans, where
// parse() scans strings, NUL bytes and nesting eight bytes at a time: a reference for tests that
// compare the two.
bool parse_reference(std::string_view text, Document& doc, std::string& error);
}  // namespace detail

// True when `text` is well-formed UTF-8 (Unicode's table 3-7: no overlong forms, no surrogates,
// nothing past U+10FFFF). parse() does not check this; callers that must refuse invalid UTF-8
// (request bodies) call it first. ASCII is checked eight bytes at a time.
bool valid_utf8(std::string_view text);

// One member of an object as raw text: the key without its quotes (escapes
// as written) and the value exactly as it appears.
struct Member {
  std::string_view key;
  std::string_view value;
};

// The top-level members of a JSON object's text, for forwarding a body with
// minimal edits instead of re-serializing it. Use on text parse() accepted.
// Returns false when the text is not an object or a key holds an escape
// (callers then fall back to rebuilding the body from its parsed form).
bool top_level_members(std::string_view text, std::vector<Member>& out);

// The elements of a JSON array's text, each exactly as it appears. Use on text parse() accepted.
// Returns false when the text is not an array.
bool array_elements(std::string_view text, std::vector<std::string_view>& out);

// A deep copy of `from` whose strings all live in `allocator`. Parsed documents hold their
// strings in place (parse() reads in situ), so RapidJSON's own copy, which shares such strings,
// would point into the source document: copy across documents with this instead.
Value copy(const Value& from, Document::AllocatorType& allocator);

// Member lookup that tolerates non-objects; nullptr when absent.
const Value* find(const Value& object, std::string_view name);
inline Value* find_mutable(Value& object, std::string_view name) { return const_cast<Value*>(find(object, name)); }

inline std::string_view view(const Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

// Appends `s` as a quoted, escaped JSON string.
void append_string(std::string& out, std::string_view s);

// Appends `v` serialized compactly.
void append_value(std::string& out, const Value& v);

// Appends a number the way JSON wants it (integers without a fraction).
void append_number(std::string& out, double d);

// Reads the decimal number at the start of `text` as std::strtod does in the C locale, for
// numbers the core reads outside JSON (header values, override parameters): leading whitespace,
// an optional sign, digits with an optional '.', an optional exponent; the rest of `text` is
// left alone and `*used` (when given) is the length read. Between 1e-323 and 1e308 in magnitude
// the result is strtod's, the double nearest to the decimal value (RapidJSON's full-precision
// conversion, which the JSON parser links anyway); from 1e308 up it is ±HUGE_VAL, below 1e-323
// ±0 (strtod differs there only for values no header or parameter holds: finite doubles up to
// 1.8e308, the two smallest subnormals). Returns false, leaving `out` as it was, when no such
// number starts `text`, and for what this reader does not take: hexadecimal floats, inf and
// nan, and numbers with more than 59 significant digits.
bool parse_decimal(std::string_view text, double& out, size_t* used = nullptr);

// `text` when it is one or more ASCII digits and nothing else (no sign, blank, point or
// exponent): their value in `out`. Returns false, leaving `out` as it was, otherwise.
bool parse_digits(std::string_view text, double& out);

}  // namespace sy::json
