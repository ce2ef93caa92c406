// Cache keys of canonical requests: a 128-bit hash of the tenant, the kind of request and every
// request field that can change the answer, each in a canonical spelling (JSON values in
// json/canonical.h's form). Two requests that mean the same thing get the same key whatever
// format they arrived in; fields that never change the answer are left out: stream and
// include_usage (a stream is served from a complete answer), user and metadata (labels),
// Switchyard's controls and the session id. Image requests key on prompt, n, size, quality,
// style, the answer form asked for (URLs, base64 or the provider's default) and the extras.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cache/store.h"
#include "model/request.h"

namespace sy::cache {

Key key_of(const model::Request& request, std::string_view tenant);

// The key as hosts and snapshots name it: 32 lowercase hex characters, and back.
std::string hex_of(const Key& key);
bool key_of_hex(std::string_view hex, Key& key);

}  // namespace sy::cache
