// Anthropic Messages API: the egress codec for providers of type `anthropic`.
//
//   chat    POST {base_url}/messages, x-api-key, anthropic-version (provider api_version, default
//           2023-06-01). The canonical request (with the target's override_params applied) is
//           translated: system/developer messages -> top-level `system`; turns merged so that
//           user and assistant alternate; text, image (base64 data: or http(s) URL) and PDF
//           document blocks; tool_use / tool_result; thinking blocks sent back; tools and
//           tool_choice; a required max_tokens (kDefaultMaxTokens when the caller gave none).
//   models  GET {base_url}/models?limit=1000 (no embeddings: Anthropic has no such API).
//
// Answers, error bodies and the SSE event stream (message_start … message_stop) are decoded into
// canonical answers and stream events. docs/reference.md has the full parameter table.
//
// What Anthropic cannot take is dropped: audio parts, files other than base64 PDFs (file ids,
// other media types), images in assistant turns, and every extra that is not an Anthropic
// request member (kPassed in anthropic.cc: Anthropic refuses unknown members with a 400). One
// answer per request (caps.max_n 1): the exchange refuses n > 1 with a 400 naming `n`.
//
// Extended thinking. Thinking is asked for, in this order of precedence, by
//   Request::reasoning_budget > 0      -> thinking {type: enabled, budget_tokens: max(it, 1024)}
//                                         (0 turns thinking off)
//   Request::reasoning_effort          -> budget_tokens low 1024, medium 4096, high 16384,
//                                         xhigh 32768, max 49152; "minimal", "none" (and
//                                         unknown efforts) -> no thinking
//   a `thinking` member in the extras  -> sent as given (Anthropic's own field)
// With thinking on, temperature, top_p and top_k are not sent (Anthropic refuses them), and
// max_tokens is raised to budget + 1024 when it does not exceed the budget. Thinking cannot be
// combined with a forced tool choice (tool_choice required / named, or structured output's
// forced call), nor continue a tool-use turn whose assistant message lacks its signed thinking
// block (a client that dropped the signatures): such requests are sent without thinking.
// Reasoning parts of assistant messages go back as `thinking` blocks {thinking, signature}
// (redacted ones as `redacted_thinking` {data}), first in their message, so that a conversation
// with extended thinking keeps its signatures across turns; reasoning without a signature (from
// another provider) cannot be verified by Anthropic and is dropped.
//
// Structured output (response_format json_object / json_schema) becomes a forced tool call, as
// Anthropic documents: a tool kStructuredTool whose input_schema is the json_schema's schema
// ({"type":"object"} for json_object). tool_choice is {type: tool, name: kStructuredTool} when the
// caller has no tools of its own (or forbade them with tool_choice none), else the caller's tools
// stay and tool_choice is {type: any} (or the caller's own named tool). In answers and streams a
// call of that tool is the output's text (its input JSON) with finish `stop`, never a tool call
// (unless the caller declared a tool of that very name: then nothing is added or rewritten).
//
// Same-format fast path: a request that arrived in Anthropic's own Messages format
// (model::Format::anthropic_messages) is sent the caller's body with minimal edits
// (anthropic_forward.h; translated as above only when an override needs it), so thinking
// signatures, cache_control markers, server tools and their blocks reach Anthropic as written.
// Its answer is decoded into the canonical answer (which the cache stores) and kept as sent
// (Answer::raw, raw_format anthropic_messages); its stream is decoded into canonical events with
// every upstream event (ping and unknown types included, error events excepted) handed on as sent
// (RawEvent), message_start and ping held back until content arrives so that an error right after
// them still fails over. Server tools (model::Tool::server) are run by this codec only
// (caps.server_tools). The caller's own anthropic-version / anthropic-beta headers are not
// forwarded: the provider's api_version and configured `headers` are sent, as for every caller.
#pragma once

#include <cstdint>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::anthropic {

extern const Codec kCodec;

// max_tokens sent when the caller gave neither max_tokens nor max_completion_tokens.
inline constexpr int64_t kDefaultMaxTokens = 4096;

// The tool that carries a structured answer (see above).
inline constexpr std::string_view kStructuredTool = "json_answer";

}  // namespace sy::providers::anthropic
