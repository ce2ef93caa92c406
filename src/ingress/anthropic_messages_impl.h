// The pieces of the Anthropic Messages ingress (anthropic_messages.h), one file each: the body's
// members (anthropic_messages.cc), its messages and content blocks (…_content.cc), the Message
// answer (…_answer.cc), the stream writer (…_stream.cc) and the error body (…_error.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "ingress/ingress.h"
#include "json/json.h"
#include "model/answer.h"
#include "model/request.h"

namespace sy::ingress::anthropic_messages {

// ---- decode (anthropic_messages_content.cc) ---------------------------------------------------

// `system` (a string, or an array of text blocks) as a system message at the front of
// env.request.messages. False with a 400 naming the field ("system[1].text").
bool read_system(const json::Value& system, model::Envelope& env, Error& error);

// `messages` appended to env.request.messages. Texts that must be built (data: URLs, tool
// inputs as JSON text, joined tool results) live in env.doc's allocator. False with a 400 naming
// the field ("messages[1].content[0].source.data").
bool read_messages(const json::Value& messages, model::Envelope& env, Error& error);

// ---- answer (anthropic_messages_answer.cc) -----------------------------------------------------

// "msg_" + the part of `request_id` after "req_".
std::string message_id(std::string_view request_id);

// Anthropic's stop_reason for a canonical finish: end_turn, max_tokens, tool_use, refusal.
std::string_view stop_reason(model::Finish finish);

// Appends Anthropic's usage object {input_tokens, cache_creation_input_tokens,
// cache_read_input_tokens, output_tokens}: input_tokens excludes the cached tokens (Anthropic
// counts cache reads apart); cache writes are not known canonically (0).
void append_usage(std::string& out, const model::Usage& usage);

// A Message body (Codec::answer).
std::string answer(std::string_view stored, const model::Answer* answer, const Context& ctx);

// ---- stream (anthropic_messages_stream.cc) -----------------------------------------------------

std::unique_ptr<StreamWriter> stream_writer(const Context& ctx);

// ---- errors (anthropic_messages_error.cc) ------------------------------------------------------

// Anthropic's error type for `error`: by status (400 invalid_request_error, 401
// authentication_error, 402 billing_error, 403 permission_error, 404 not_found_error, 408 and 504
// timeout_error, 413 request_too_large, 429 rate_limit_error, 503 and 529 overloaded_error, other
// 4xx invalid_request_error, other 5xx api_error); an upstream Anthropic type kept in
// `error.code` wins for 5xx (a stream that failed with overloaded_error says so).
std::string_view error_type(const Error& error);

// The error object's inside: "type":…,"message":…,"code":…,"param":…,"metadata":{…}.
void append_error(std::string& out, const Error& error);

// {"type":"error","error":{…}} (Codec::error).
std::string error_body(const Error& error);

}  // namespace sy::ingress::anthropic_messages
