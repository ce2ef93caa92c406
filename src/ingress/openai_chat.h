// The OpenAI chat-completions ingress (POST /v1/chat/completions), with OpenRouter's additions.
//
// decode: the body against OpenAI's published schema (CreateChatCompletionRequest): `model` (or
//   the first of `models`), `messages` (every role's content rules, every content-part type),
//   routing members (body.h), canonical parameters (model/params.h), every other member kept in
//   Request::extras. Every problem is a 400 whose param names the field
//   ("messages[2].content[0].image_url.url"). Assistant messages may carry OpenRouter's
//   `reasoning` / `reasoning_details` (thinking with its signatures): they become reasoning parts,
//   so signatures survive a round trip through this format.
// answer: the stored form (model/stored.h) is this format's answer body, sent as is.
// stream: chat.completion.chunk events, or the upstream's own chunks when it spoke this format,
//   ending in "data: [DONE]".
// error: base/errors.h's body.
#pragma once

#include <string>

#include "ingress/ingress.h"

namespace sy::ingress::openai_chat {

extern const Codec kCodec;

// Appends OpenAI's usage object: {prompt_tokens, completion_tokens, total_tokens,
// prompt_tokens_details?: {cached_tokens}, completion_tokens_details?: {reasoning_tokens}, cost?}
// (details when known, cost when >= 0).
void append_usage(std::string& out, const model::Usage& usage);

}  // namespace sy::ingress::openai_chat
