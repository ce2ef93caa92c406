// Google Gemini under {base_url}/models/{model}, the model name always one URL path segment:
//   chat        generateContent / streamGenerateContent?alt=sse: canonical requests as contents
//               and parts with systemInstruction, generationConfig (thinkingConfig included),
//               function declarations and toolConfig; answers, safety blocks, error bodies and
//               the stream back as canonical answers and events.
//   embeddings  batchEmbedContents, one request per text input (Gemini embeds no token ids).
//   models      GET models?pageSize=1000.
//
// Gemini function calls carry no ids: they get "call_<n>" (n counts calls in the answer), and
// tool results find their function name through the assistant message that made the call.
//
// Thinking: thought parts are reasoning (text); a part's thoughtSignature is a reasoning
// signature. A signature on a functionCall (or text) part becomes a reasoning entry with empty
// text placed right before that call (or text) in the answer and the stream. On encode, thought
// text is not sent back; each reasoning signature is attached to the first functionCall part
// after it in the same message, else to the first text part after it, else to the last text
// part before it, as Gemini 3 requires for function calls. docs/reference.md has the tables.
#pragma once

#include "providers/provider.h"

namespace sy::providers::gemini {

extern const Codec kCodec;

}  // namespace sy::providers::gemini
