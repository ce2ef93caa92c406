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
//   images      an ImagesResponse: {created, data: [{b64_json | url, revised_prompt?}],
//               usage?: {input_tokens, output_tokens, total_tokens, input_tokens_details:
//               {text_tokens, image_tokens: 0}, cost?}, …extras} (the extras are the provider's
//               background, output_format, size, quality, … as it sent them); read back, usage
//               takes input_tokens as prompt and output_tokens as completion tokens, and a
//               base64 image's media type follows output_format (png when absent)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/answer.h"

namespace sy::model::stored {

// The stored form of `answer`. An answer a provider sent in this very shape (raw_format
// openai_chat for chat, openai_embeddings for embeddings, openai_images for images) is used as
// is; otherwise it is
// rendered with id "chatcmpl-" + the part of `request_id` after "req_" (for chat answers that
// have no raw form) and `created` when the answer has none.
std::string serialize(const Answer& answer, std::string_view request_id, int64_t created);

// Reads a stored form back (kind from its shape; raw and raw_format keep `text` for chat
// completions, embeddings lists and image answers). False with `error` when `text` is not one. Also reads
// real OpenAI answers: content as text parts, reasoning_content, legacy function_call finishes.
bool parse(std::string_view text, Answer& answer, std::string& error);

// The usage an OpenAI usage object states ({prompt_tokens, completion_tokens,
// prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens, cost}):
// known when it names prompt or completion tokens; nothing known for a non-object.
Usage parse_usage(const json::Value& usage);

// The same from a document already parsed (a JSON object), for decoders that parsed the text
// for other reasons; `answer.raw` stays empty.
// With `content` false only usage and each output's finish reason are read (Answer::summary);
// the rest is still checked for shape, and nothing is copied.
bool parse(const json::Value& doc, Answer& answer, std::string& error, bool content = true);

}  // namespace sy::model::stored
