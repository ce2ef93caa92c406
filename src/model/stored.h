// The stored form of an answer: how the cache, cache snapshots and single-flight followers keep
// it, and what the OpenAI chat-completions ingress sends as its answer body. It borrows OpenAI's
// published shapes so that a snapshot reads like any OpenAI answer:
//
//   chat        a chat.completion: {id, object, created, model, provider, choices: [{index,
//               message: {role, content, refusal, tool_calls?, reasoning?, reasoning_details?},
//               logprobs: null, finish_reason}], usage: {prompt_tokens, completion_tokens,
//               total_tokens, prompt_tokens_details?, completion_tokens_details?, cost?},
//               system_fingerprint?, …extras}
//               (reasoning and reasoning_details carry thinking and its signatures as OpenRouter
//               does: [{type: "reasoning.text", text, signature} | {type: "reasoning.encrypted",
//               data}])
//   embeddings  {object: "list", data: [{object: "embedding", index, embedding}], model,
//               provider, usage: {prompt_tokens, total_tokens, cost?}}
//   models      {object: "list", data: [{id, object: "model", created, owned_by}]}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/answer.h"

namespace sy::model::stored {

// The stored form of `answer`. An answer a provider sent in this very shape (raw_format
// openai_chat for chat, openai_embeddings for embeddings) is used as is; otherwise it is
// rendered with id "chatcmpl-" + the part of `request_id` after "req_" (for chat answers that
// have no raw form) and `created` when the answer has none.
std::string serialize(const Answer& answer, std::string_view request_id, int64_t created);

// Reads a stored form back (kind from its shape). False with `error` when `text` is not one.
bool parse(std::string_view text, Answer& answer, std::string& error);

}  // namespace sy::model::stored
