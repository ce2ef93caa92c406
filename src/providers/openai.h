// OpenAI chat completions, embeddings, model lists and images (POST {base_url}/chat/completions,
// POST {base_url}/embeddings, GET {base_url}/models, POST {base_url}/images/generations
// (providers/openai_images.h), bearer auth): the codec of `openai` and `openai-compatible`
// providers, whose answers and streams Azure shares.
//
// Requests. A Responses API caller's request (request.format openai_responses) to a provider of
// type `openai` goes to {base_url}/responses as the caller wrote it, and its answer and stream are
// decoded there (providers/openai_responses.h); to an `openai-compatible` one it is rendered as
// chat completions like any other format's. A caller that spoke this very format
// (request.format openai_chat, or openai_embeddings for embeddings) is forwarded its own body
// with minimal edits: `model` set to the target's, the routing members model/models/provider/
// switchyard/session_id dropped, each override_param replacing the member of its name or joining
// the body. Any other request
// is rendered from its canonical fields (overrides applied through translate::with_overrides):
// messages with text, image_url, input_audio and file parts, assistant tool_calls and refusals,
// tool results; tools, tool_choice, parallel_tool_calls, response_format, the sampling
// parameters, top_k (openai-compatible servers take it), `max_tokens` (every compatible server
// takes it), reasoning_effort, user, metadata, stream with stream_options.include_usage, then
// the request's extras verbatim. Reasoning parts and reasoning_budget are not sent: OpenAI's
// chat completions take no thinking input.
//
// Answers. A chat completion becomes a canonical Answer (model::stored::parse) and keeps the
// upstream body as Answer::raw, minimally edited: "provider" names ours, usage.cost is set when
// the target has a price, and — only when the upstream left them out — each message gets
// `refusal: null` and each choice `logprobs: null`, which OpenAI's published schema requires.
// A configured price wins over a cost the upstream reported; without a price the upstream's
// cost (OpenRouter's, another Switchyard's) is kept. Errors: a non-2xx maps through the
// error-class table (context length and content filter recognised from code and message), an
// error object inside a 2xx is error_body_200, anything else that is not the expected shape is
// malformed. An upstream that echoes the provider's key never hands it on: an answer or
// stream event holding it is decoded from a copy with the key replaced by "[redacted]".
//
// Streams. Each chat.completion.chunk becomes canonical events (text, refusal, reasoning from
// delta.reasoning_details / delta.reasoning / delta.reasoning_content, tool calls, finish,
// usage) and is also handed on as the raw event data (one line) for callers of this format.
// `[DONE]` ends the stream; an error event fails it with the upstream's message (the key
// redacted); a chunk with no choices and no usage (Azure's prompt_filter_results) is dropped,
// so it never commits the stream.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::openai {

// kCodec serves `openai` providers: it also speaks the Responses API natively (a Responses
// caller's request goes to {base_url}/responses with minimal edits, providers/openai_responses.h).
// kCompatibleCodec serves `openai-compatible` ones, whose servers are never sent the Responses API
// (chat completions, embeddings and images only).
extern const Codec kCodec;
extern const Codec kCompatibleCodec;

// The request bodies, for codecs that speak OpenAI's body at other URLs (azure).
std::string chat_body(const EncodeInput& in);
std::string embeddings_body(const EncodeInput& in);

// The caller's own body (request.raw) with the same-format fast path's minimal edits, also
// leaving out the members named in `drop` that no override names (openai_images: a parameter
// the target's model refuses). False when it cannot be spliced: render the canonical request.
bool splice(const EncodeInput& in, std::span<const std::string_view> drop, std::string& out);

// The codec's decode and stream, shared with azure.
Decoded decode(int status, std::string_view body, const DecodeContext& ctx);
std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx);

// Reads an OpenAI error body ({"error":{"message","code","type","param"}} or {"error":"…"})
// into `error` (message redacted of the provider key) and tells which class of problem it
// describes (context length, content filter, or internal = anything else).
ErrorType read_error(std::string_view body, const config::Provider& provider, Error& error);

}  // namespace sy::providers::openai
