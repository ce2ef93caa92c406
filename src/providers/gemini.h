// Google Gemini generateContent / streamGenerateContent (alt=sse) under {base_url}/models/:
// OpenAI chat requests translated to contents and parts with systemInstruction,
// generationConfig, function declarations and toolConfig; answers, safety blocks, error
// bodies and the stream translated back. Gemini function calls carry no ids: they get
// "call_<n>" (n counts calls in the answer), and tool results find their function name
// through the assistant message that made the call. docs/reference.md has the table.
#pragma once

#include "providers/provider.h"

namespace sy::providers::gemini {

extern const Codec kCodec;

}  // namespace sy::providers::gemini
