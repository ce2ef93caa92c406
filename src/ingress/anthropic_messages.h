// The Anthropic Messages API ingress (POST /v1/messages, POST /v1/messages/count_tokens), as the
// official SDKs (and Claude Code) speak it.
//
// decode (anthropic_messages.cc, blocks in anthropic_messages_content.cc): `model`, `max_tokens`
//   (required for kCodec, an integer >= 1; optional for kCountTokens), `messages` (user and
//   assistant turns, consecutive turns of one role allowed as Anthropic merges them; content a
//   string or blocks), `system` (a string or text blocks), `tools`, `tool_choice`, `thinking`,
//   `output_config`, `stop_sequences`, `temperature` (0..1), `top_p`, `top_k`,
//   `metadata.user_id`, `stream`, Switchyard's routing members (ingress/body.h); every other
//   member goes to Request::extras. Content blocks become canonical parts, each keeping its block
//   in Part::raw (cache_control travels with it):
//     text -> text; image (base64 / url / file source) -> image ("data:" URL, the URL, or a file
//     id); document (base64 PDF / url / file) -> file, (text / content sources) -> text parts;
//     tool_use -> tool_call (arguments = input as JSON text); tool_result -> tool_result (its
//     text blocks joined); thinking -> reasoning {text, signature}; redacted_thinking ->
//     redacted reasoning (text = data).
//   Anthropic's server-side blocks (server_tool_use, web_search_tool_result, search_result, …)
//   and server tools (`tools[i]` with a dated `type`, such as web_search_20250305) have no
//   canonical form: the blocks are kept only in the body an Anthropic target is sent; server
//   tools are marked (model::Tool::server), so that only targets that run them are tried (400
//   naming `tools` when none is left). Every problem is a 400 whose param names the field
//   ("messages[1].content[0].source.data").
// answer (anthropic_messages_answer.cc): a Message {id "msg_…", type, role, model, content
//   [thinking | redacted_thinking, text, tool_use], stop_reason, stop_sequence, usage}, rendered
//   from the canonical answer or its stored form; the upstream's own body when an Anthropic target
//   answered in this very format (Answer::raw_format anthropic_messages).
// stream (anthropic_messages_stream.cc): Anthropic's SSE events (`event: <type>` + `data:`):
//   message_start, content_block_start / content_block_delta (text_delta, input_json_delta,
//   thinking_delta, signature_delta) / content_block_stop, message_delta (stop_reason, usage),
//   message_stop; `event: error` when the stream fails after it started. Upstream events of this
//   format are forwarded as sent.
// error (anthropic_messages_error.cc): {"type": "error", "error": {"type", "message", "code",
//   "param", "metadata": {"error_type"}}}; `type` is Anthropic's for the status (the SDKs pick
//   their exception class by status, and read `error.type`).
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::anthropic_messages {

extern const Codec kCodec;        // POST /v1/messages
extern const Codec kCountTokens;  // POST /v1/messages/count_tokens: max_tokens optional

}  // namespace sy::ingress::anthropic_messages
