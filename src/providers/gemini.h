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
//
// Images: the image models (generateContent with responseModalities IMAGE) and Imagen
// (:predict), providers/gemini_images.h.
#pragma once

#include <optional>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::gemini {

extern const Codec kCodec;

// What the image models' codec (providers/gemini_images.h) shares with the chat codec.
namespace shared {

// The failure a body means before it is read as an answer: a non-2xx status (a bad key is
// auth, RESOURCE_EXHAUSTED a 429, …) or an error object in a 2xx; nullopt otherwise. `parsed`
// says whether `doc` now holds the body as a JSON object.
std::optional<Decoded> failure(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                               bool& parsed);
// promptFeedback.blockReason; empty when the prompt was not blocked.
std::string_view block_reason(const json::Value& doc);
// A blocked prompt or answer (`what`) as the content_filter 400 it is; `reason` is Gemini's.
Decoded blocked(std::string_view what, std::string_view reason, const DecodeContext& ctx);
// A finishReason that means content was withheld (SAFETY, IMAGE_SAFETY, …).
bool is_filter_reason(std::string_view finish_reason);
// usageMetadata into `usage` (known once read).
void read_usage(const json::Value& doc, model::Usage& usage);

}  // namespace shared

}  // namespace sy::providers::gemini
