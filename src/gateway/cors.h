// CORS (gateway.cors): which browser origins may call the gateway, and the headers they get.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace sy::gateway {

// The CORS header lines owed to a request with these headers (empty when its Origin is absent
// or not allowed). A preflight gets the allowed methods, headers and max age too.
std::string cors_headers(const config::Gateway& settings, std::string_view headers, bool preflight);

}  // namespace sy::gateway
