// What a format's server keeps for later requests to refer to (ingress::Conversations: the
// Responses API's previous_response_id and item references), as entries of the host's persistent
// tier. They are partitioned by gateway key like the cache (one tenant never sees another's),
// kept as long as OpenAI keeps responses (30 days), and are not cache entries: snapshots leave
// them out, DELETE /v1/cache empties them with the rest of the tier.
#pragma once

#include <string>
#include <string_view>

#include "json/json.h"

namespace sy::gateway::conversations {

constexpr double kKeepMs = 30.0 * 24 * 3600 * 1000;

// The tier key (32 lowercase hex characters) of conversation `id` of `tenant`.
std::string key_hex(std::string_view tenant, std::string_view id);

// The tier entry that keeps `record` under `key_hex` until `expires_at` (ms).
std::string entry(std::string_view key_hex, std::string_view record, double expires_at);

// The record an entry keeps: empty when the entry is missing, damaged,
// expired or not a conversation.
std::string record_of(std::string_view entry, double now);

}  // namespace sy::gateway::conversations
