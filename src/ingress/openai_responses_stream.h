// The Responses API's stream: typed SSE events, each `event: <type>\ndata: {"type": <type>, …,
// "sequence_number": n}\n\n`, in the order the official SDKs' accumulators (openai's
// ResponseStream, the Vercel AI SDK's responses model) expect:
//
//   response.created, response.in_progress            the Response so far (output [], usage null)
//   per reasoning block:  response.output_item.added {reasoning}, and when it has text
//                         response.reasoning_summary_part.added, response.reasoning_summary_text
//                         .delta…, .done, response.reasoning_summary_part.done; then
//                         response.output_item.done (summary, encrypted_content: the signature,
//                         or the data of a redacted block)
//   text / refusal:       response.output_item.added {message}, response.content_part.added
//                         {output_text | refusal}, response.output_text.delta… (or
//                         response.refusal.delta…), response.output_text.done (refusal.done),
//                         response.content_part.done, response.output_item.done
//   per tool call:        response.output_item.added {function_call}, response
//                         .function_call_arguments.delta…, .done, response.output_item.done
//   the end:              response.completed, or response.incomplete (length, content_filter):
//                         the whole Response, usage included
//
// A new item closes the open reasoning block or message; function calls stay open until the
// answer finishes (canonical streams may interleave their arguments). A failure after the
// stream started is an `error` event {code, message, param} followed by response.failed (status
// failed, error {code, message}). Upstream events of this very format (RawEvent format
// openai_responses) are forwarded as they came, and a failure after them continues their
// sequence numbers. Events of outputs other than the first are ignored (Responses have one).
// answer() is the final Response (the upstream's own when forwarded), or empty when it failed.
#pragma once

#include <memory>

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

std::unique_ptr<StreamWriter> stream_writer(const Context& ctx);

}  // namespace sy::ingress::openai_responses
