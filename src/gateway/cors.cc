#include "gateway/cors.h"

#include <algorithm>
#include <cctype>

#include "base/headers.h"

namespace sy::gateway {

std::string cors_headers(const config::Gateway& settings, std::string_view headers, bool preflight) {
  std::string_view origin = header(headers, "origin");
  if (origin.empty()) return {};
  const auto& origins = settings.cors_origins;
  bool listed = std::find(origins.begin(), origins.end(), origin) != origins.end();
  if (!listed && std::find(origins.begin(), origins.end(), "*") == origins.end()) return {};
  std::string h = "access-control-allow-origin: " + std::string(listed ? origin : "*") + "\nvary: origin\n";
  if (!preflight)
    return h + "access-control-expose-headers: x-switchyard-request-id, x-switchyard-target, x-switchyard-attempts, "
               "x-switchyard-cache, retry-after\n";
  // The headers the page asked to send, when they are plain header names.
  std::string_view asked = header(headers, "access-control-request-headers");
  bool plain = std::all_of(asked.begin(), asked.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == ',' || ch == ' ';
  });
  h += "access-control-allow-methods: GET, POST, PUT, DELETE, OPTIONS\n";
  h += "access-control-allow-headers: ";
  h += !asked.empty() && plain ? std::string(asked)
                               : "authorization, content-type, x-api-key, x-switchyard-cache, x-switchyard-cache-ttl, "
                                 "x-switchyard-priority, x-switchyard-timeout, x-switchyard-metadata";
  h += "\naccess-control-max-age: " + std::to_string(int64_t(settings.cors_max_age_s)) + "\n";
  return h;
}

}  // namespace sy::gateway
