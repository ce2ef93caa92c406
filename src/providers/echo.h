// The built-in offline provider: answers from the request itself, in
// OpenAI's wire format, with no network. Deterministic: the same request
// (and id/created) gives the same bytes.
//
// The answer is the text of the last user message (text parts joined with
// "\n", each image part as "[image]"), cut to max_tokens (finish_reason
// "length") when given. Tokens are estimated as ceil(characters / 4) per text
// plus 4 per message for the prompt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json/json.h"

namespace sy::providers::echo {

// A chat.completion JSON (stream = false) or the SSE text of a
// chat.completion.chunk stream ending in [DONE] (stream = true), exactly as an
// OpenAI upstream would send it.
std::string answer(const json::Value& request, std::string_view model, std::string_view id, int64_t created,
                   bool stream);

// An OpenAI embeddings list for the request's input (a string, strings, or
// token arrays): per item a unit vector of `dimensions` (default 16) floats
// derived from a hash of the item, as JSON numbers or, with
// encoding_format "base64", little-endian float32 bytes in base64.
std::string embeddings(const json::Value& request, std::string_view model);

// The estimate used for usage: ceil(code points / 4).
int64_t estimate_tokens(std::string_view text);

// The prompt estimate: estimate_tokens of each message's text plus 4 per
// message. Also what routing conditions and tpm limits use before an answer
// reports real usage.
int64_t prompt_tokens(const json::Value& request);

}  // namespace sy::providers::echo
