// URL pieces the core builds or reads: path segments for upstream URLs, query parameters of
// caller paths.
#pragma once

#include <string>
#include <string_view>

namespace sy {

// `name` as one URL path segment: every byte outside [A-Za-z0-9-._~] percent-encoded, and a
// segment that would be "." or ".." encoded whole, so no model or deployment name can change
// the path, query or fragment of the URL it is put in.
std::string path_segment(std::string_view name);

// The value of `name` in a query string ("a=1&b=2"), %-decoded ('+' is a space); empty when
// absent.
std::string query_param(std::string_view query, std::string_view name);

// `text` with %XX escapes decoded (invalid escapes are kept as written).
std::string percent_decode(std::string_view text);

}  // namespace sy
