// Response objects, as the Responses API returns them: the body of POST /v1/responses, and what
// the stream's response.created, response.completed (…) events carry.
//
//   {id: "resp_…" (from the request id), object: "response", created_at, status: completed |
//    incomplete | in_progress | failed, background: false, error: null | {code, message},
//    incomplete_details: null | {reason: max_output_tokens | content_filter}, model, output: [
//      {type: "reasoning", id: "rs_…", summary: [{type: "summary_text", text}],
//       encrypted_content?}                    one per reasoning block: its signature, or the
//                                              opaque data of a redacted block (summary [])
//      {type: "message", id: "msg_…", status, role: "assistant", content: [{type: "output_text",
//       text, annotations: [], logprobs: []} | {type: "refusal", refusal}]}
//      {type: "function_call", id: "fc_…", status, call_id, name, arguments}],
//    usage: {input_tokens, input_tokens_details: {cached_tokens, cache_write_tokens},
//            output_tokens, output_tokens_details: {reasoning_tokens}, total_tokens, cost?},
//    provider?, and the request members a Response repeats: instructions, max_output_tokens,
//    max_tool_calls, parallel_tool_calls, previous_response_id, reasoning, store, temperature,
//    text, tool_choice, tools, top_logprobs, top_p, truncation, user, metadata (as the caller
//    sent them, else OpenAI's defaults)}
//
// Item ids are the response id's suffix with the item's index ("msg_<id>_1"); a tool call without
// an id of its own gets call_id "call_<id>_<index>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

// The top-level members of a JSON object's text (one parse() accepted), as (key, value text):
// views into `body`, or into `storage` when a key holds an escape and the object was
// re-serialized. Empty for an empty body or one that is not an object.
std::vector<json::Member> members_of(std::string_view body, std::vector<std::string>& storage);

// "resp_" + the request id without its "req_".
std::string response_id(std::string_view request_id);

// The id of output item `index` of the response `response_id` ("resp_x"): prefix + "_x_" + index.
std::string item_id(std::string_view prefix, std::string_view response_id, size_t index);

// The request members a Response repeats, rendered once: `,"name":value` for each (the caller's
// value when it sent one that is not null, else the API's default).
std::string echo_of(const model::Request* request);

// Output items, each appended as one JSON object.
void append_reasoning_item(std::string& out, std::string_view id, std::string_view text, std::string_view sealed);
void append_call_item(std::string& out, std::string_view id, std::string_view status, std::string_view call_id,
                      std::string_view name, std::string_view arguments);
// A message item around `content`, the text of its content array's inside.
void append_message_item(std::string& out, std::string_view id, std::string_view status, std::string_view content);
void append_text_part(std::string& out, std::string_view text);
void append_refusal_part(std::string& out, std::string_view refusal);

// The output items of `output` (reasoning, then its message, then its calls), each after a comma
// when `out` is not empty; `index` is the next item's index and advances.
void append_items(std::string& out, const model::Output& output, std::string_view response_id, size_t& index);

// A Response object with `output` (the items' text, without brackets) and `echo` (echo_of()).
struct ResponseHead {
  std::string_view id;
  int64_t created = 0;
  std::string_view status = "completed";  // completed, incomplete, in_progress, failed
  model::Finish finish = model::Finish::stop;  // incomplete: length or content_filter
  const Error* error = nullptr;                // failed: what went wrong
  std::string_view model;
  std::string_view provider;
  const model::Usage* usage = nullptr;  // nullptr: "usage": null
};
std::string response_json(const ResponseHead& head, std::string_view output, std::string_view echo);

// The status a finish reason gives a response: incomplete for length and content_filter.
std::string_view status_of(model::Finish finish);

// Codec::answer: the upstream's own body when an `openai` target answered in this format
// (answer->raw_format openai_responses), else a Response rendered from the canonical answer (or
// from the stored form when only that is at hand).
std::string answer(std::string_view stored, const model::Answer* answer, const Context& ctx);

}  // namespace sy::ingress::openai_responses
