// Header lines as hosts and the core exchange them: "name: value\n", names lowercase.
#pragma once

#include <string_view>

namespace sy {

// The value of header `name` (lowercase) in "name: value\n" lines, without surrounding
// whitespace; empty when absent.
std::string_view header(std::string_view headers, std::string_view name);

// An upstream Retry-After in milliseconds (delta-seconds only), or -1 when absent or not a
// number.
double retry_after_ms(std::string_view headers);

}  // namespace sy
