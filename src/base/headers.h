// Header lines as hosts and the core exchange them: "name: value\n", names lowercase.
#pragma once

#include <string_view>

namespace sy {

// The value of header `name` (lowercase) in "name: value\n" lines, without surrounding
// whitespace; empty when absent.
std::string_view header(std::string_view headers, std::string_view name);

// Whether some line's name starts with `prefix` (lowercase): one pass that lets a caller skip a
// family of lookups (the x-switchyard-* controls) when none of them is there.
bool has_header_prefix(std::string_view headers, std::string_view prefix);

// A content-length value: its digits as a number; -1 when it is empty or not only digits.
double content_length(std::string_view value);

// An upstream Retry-After in milliseconds (delta-seconds only), or -1 when absent or not a
// number.
double retry_after_ms(std::string_view headers);

}  // namespace sy
