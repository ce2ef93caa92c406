// The OpenAI Responses API ingress (POST /v1/responses).
//
// decode (against CreateResponse in OpenAI's published spec): `model` (or the first of `models`)
//   and the routing members every OpenAI-shaped body may carry (ingress/body.h); `input` and
//   `instructions` as messages (ingress/openai_responses_input.h); function tools {type:
//   "function", name, description?, parameters?, strict?}; `tool_choice` ("none" | "auto" |
//   "required" | {type: "function", name} | {type: "custom", name} | {type: "allowed_tools", mode,
//   tools}, which narrows the function tools every provider is sent); `text.format` (text |
//   json_object | json_schema {name, schema, description?, strict?}) -> ResponseFormat;
//   `reasoning.effort`; `max_output_tokens` (an integer >= 16) -> max_tokens; `temperature`,
//   `top_p`, `parallel_tool_calls`, `stream`, `stream_options`, `user`, `metadata` as canonical
//   parameters (model/params.h); `store` and `previous_response_id` into the Request.
//   Kept in Request::extras (carried to targets that can take them, providers/openai_responses.h
//   says which): text.verbosity as `verbosity`, the `reasoning` object (its summary), include,
//   truncation, top_logprobs, max_tool_calls, background (false), service_tier,
//   prompt_cache_key, prompt_cache_retention, safety_identifier and every member this codec does
//   not know.
//   Native-only (Request::native_only: only a provider speaking this API natively, an `openai`
//   one, may serve it; others refuse with a 400 naming the field): built-in tools (tools[i] of a
//   type other than function: web_search, file_search, code_interpreter, mcp, custom, …), a
//   tool_choice naming one, a stored `prompt`, and the input items and parts of input.h.
//   Refused with a 400: background: true (the gateway answers synchronously), `conversation`
//   (server-side conversation objects; previous_response_id continues responses instead), and
//   the chat-completions members that have a Responses name (messages -> input, max_tokens and
//   max_completion_tokens -> max_output_tokens, response_format -> text.format, reasoning_effort
//   -> reasoning.effort) or none (n, stop, functions, function_call). Every type or range
//   problem is a 400 whose param names the field ("input[2].content[0].image_url").
// answer: a Response object (ingress/openai_responses_answer.h); the upstream's own when an
//   `openai` target answered in this format.
// stream: the typed SSE events (ingress/openai_responses_stream.h).
// error: base/errors.h's body.
// conversations: previous_response_id continues a kept response, item_reference inputs name kept
//   items (ingress/openai_responses_conversations.h).
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

extern const Codec kCodec;

// The codec's decode. `resumed`: env.text already holds what the request refers to
// (Conversations::resume); item references left in it are ones the gateway does not keep.
bool decode(model::Envelope& env, const DecodeArgs& args, Error& error, bool resumed);

}  // namespace sy::ingress::openai_responses
