#include "base/headers.h"

#include <cstring>
#include <string>

#include "json/json.h"

namespace sy {

namespace {

// Calls `visit(line)` for each line (without its '\n') until it returns true; whether one did.
// Pointers and memchr rather than string_view members: this runs for every lookup of every
// request, and the wasm builds leave those members out of line.
template <class Visit>
bool any_line(std::string_view headers, Visit visit) {
  const char* at = headers.data();
  const char* const end = at + headers.size();
  while (at < end) {
    const void* newline = std::memchr(at, '\n', size_t(end - at));
    const char* stop = newline ? static_cast<const char*>(newline) : end;
    if (visit(at, size_t(stop - at))) return true;
    at = stop + 1;
  }
  return false;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string_view header(std::string_view headers, std::string_view name) {
  const size_t n = name.size();
  std::string_view value;
  any_line(headers, [&](const char* line, size_t size) {
    if (size <= n || line[n] != ':' || std::memcmp(line, name.data(), n) != 0) return false;
    const char* from = line + n + 1;
    const char* to = line + size;
    while (from < to && blank(*from)) ++from;
    while (to > from && (blank(to[-1]) || to[-1] == '\r')) --to;
    value = std::string_view(from, size_t(to - from));
    return true;
  });
  return value;
}

bool has_header_prefix(std::string_view headers, std::string_view prefix) {
  const size_t n = prefix.size();
  return any_line(headers, [&](const char* line, size_t size) {
    return size > n && std::memcmp(line, prefix.data(), n) == 0;
  });
}

double content_length(std::string_view value) {
  double n = -1;
  json::parse_digits(value, n);
  return n;
}

double retry_after_ms(std::string_view headers) {
  std::string_view value = header(headers, "retry-after");
  if (value.empty() || value.find_first_not_of("0123456789. ") != std::string_view::npos) return -1;
  double seconds = 0;  // as atof: a value without a number is 0
  json::parse_decimal(value, seconds);
  return seconds >= 0 ? seconds * 1000 : -1;
}

}  // namespace sy
