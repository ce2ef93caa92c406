// The Responses API's `input` (and `instructions`) as canonical messages, for the Responses
// ingress (ingress/openai_responses.h).
//
//   "text"                         one user message
//   message items                  {type?: "message", role: user | system | developer | assistant,
//                                  content: a string or parts}; user, system and developer send
//                                  input_text, input_image {image_url | file_id, detail} and
//                                  input_file {file_data | file_id | file_url, filename};
//                                  assistants output_text and refusal (earlier turns)
//   function_call                  {call_id, name, arguments}: a tool call of the assistant
//   function_call_output           {call_id, output: a string or input_text / input_image /
//                                  input_file parts}: a tool message answering it
//   reasoning                      {id, summary: [{type: summary_text, text}], content?,
//                                  encrypted_content?}: one reasoning part whose text is the
//                                  summary joined by blank lines (else its reasoning text) and
//                                  whose signature is encrypted_content; with only
//                                  encrypted_content, a redacted part holding it
//   item_reference                 {type?: "item_reference", id}: see References (the gateway
//                                  resolves those it keeps: openai_responses_conversations.h)
//   items of built-in tools        (web_search_call, computer_call_output, mcp_call, …) are the
//                                  provider's own: they mark the request native-only
//                                  (Request::native_only, "input[3].type") and are carried only
//                                  by the native path, which sends the body as it came
//
// Consecutive assistant-side items (assistant messages, function_call, reasoning) make one
// assistant message, so a turn's reasoning, text and calls travel together; each
// function_call_output is a tool message of its own. input_image detail "original" is "high" in
// the canonical request (the native path keeps "original"); an image by file_id alone, a file by
// file_url and non-text tool output are native-only. Every problem is a 400 whose param names
// the field ("input[2].content[0].image_url").
#pragma once

#include "base/errors.h"
#include "json/json.h"
#include "model/request.h"

namespace sy::ingress::openai_responses {

// What an item_reference is, in this decode.
enum class References {
  deferred,  // previous_response_id will be resolved and the body decoded again: skipped
  native,    // one the gateway could not resolve (none left to look it up in): it marks the request
             // native-only, for OpenAI holds the items it stored; other targets refuse it
};

// Appends `instructions` (a string or null; "" adds nothing) as a system message, then `input`
// (a string or a non-empty array of items; nullptr: none) as messages, to env.request.messages.
// Views point into env.doc; joined texts are copied into env.doc's allocator. False with a 400
// naming the field at fault.
bool read_input(const json::Value* instructions, const json::Value* input, model::Envelope& env, References references,
                Error& error);

// Notes `path` as the request's first native-only field (a copy in env.doc's allocator).
void mark_native(model::Envelope& env, std::string_view path);

}  // namespace sy::ingress::openai_responses
