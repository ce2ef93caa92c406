#include "base/headers.h"

#include <string>

#include "json/json.h"

namespace sy {

std::string_view header(std::string_view headers, std::string_view name) {
  size_t at = 0;
  while (at < headers.size()) {
    size_t end = headers.find('\n', at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    at = end + 1;
    if (line.size() > name.size() && line[name.size()] == ':' && line.substr(0, name.size()) == name) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
      return v;
    }
  }
  return {};
}

double retry_after_ms(std::string_view headers) {
  std::string_view value = header(headers, "retry-after");
  if (value.empty() || value.find_first_not_of("0123456789. ") != std::string_view::npos) return -1;
  double seconds = 0;  // as atof: a value without a number is 0
  json::parse_decimal(value, seconds);
  return seconds >= 0 ? seconds * 1000 : -1;
}

}  // namespace sy
