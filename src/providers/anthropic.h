// Anthropic Messages API (POST {base_url}/messages): OpenAI chat requests translated to
// messages with a top-level system prompt, content blocks (text, image, tool_use,
// tool_result) and a required max_tokens; answers, error bodies and the SSE event stream
// (message_start … message_stop) translated back. docs/reference.md has the parameter table.
#pragma once

#include "providers/provider.h"

namespace sy::providers::anthropic {

extern const Codec kCodec;

}  // namespace sy::providers::anthropic
