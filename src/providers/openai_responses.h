// The OpenAI Responses API as spoken to an upstream (POST {base_url}/responses, bearer auth): the
// same-format fast path of a provider of type `openai` for callers of POST /v1/responses
// (request.format openai_responses). providers/openai.cc hands such requests here; every other
// target (openai-compatible, azure-openai, anthropic, gemini, echo) answers a Responses caller
// through the canonical model, and a type `openai` target answers every other caller through chat
// completions.
//
// encode: the caller's body with minimal edits: `model` set to the target's; the routing members
//   (model, models, provider, switchyard, session_id) and previous_response_id (the gateway has
//   already folded the conversation it names into `input`) dropped. The target's override_params
//   (canonical names, model/params.h) map onto the Responses API's: max_tokens and
//   max_completion_tokens -> max_output_tokens, reasoning_effort -> reasoning.effort (the caller's
//   other reasoning members kept), response_format -> text.format (flattened, text.verbosity
//   kept); canonical parameters the Responses API does not have (n, stop, seed, presence_penalty,
//   frequency_penalty, logit_bias, top_k, logprobs, stream_options, tools, tool_choice) are not
//   sent; every other override replaces the member of its name or joins the body.
// decode: a Response object becomes a canonical answer (each output item the canonical model has
//   a place for: messages' output_text and refusal parts, function_call, reasoning with its
//   summary (or reasoning text) and encrypted_content as the signature; a reasoning item with
//   only encrypted_content is a redacted block) AND is kept raw (raw_format openai_responses) with
//   "provider" naming ours and usage.cost set when the target has a price: the caller gets the
//   upstream's own body, the cache the canonical form. Items of built-in tools (web_search_call,
//   …) live only in the raw body. status completed -> finish stop (tool_calls when it called
//   functions), incomplete -> length (content_filter when that was the reason); failed, or an
//   error object, is an error in a 2xx; queued or in_progress (background responses) is not an
//   answer.
// stream: the typed SSE events become canonical events (output_text and refusal deltas,
//   reasoning summary and reasoning text deltas (summary parts joined by a blank line), the
//   encrypted_content of a finished reasoning item as its signature, function calls and their
//   argument deltas, finish, usage), and each upstream event is handed on raw with its SSE name
//   for Responses callers. response.completed or response.incomplete ends the stream; an `error`
//   event or response.failed fails it with the upstream's message (the key redacted).
#pragma once

#include <memory>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::openai_responses {

// Whether a request goes here: a Responses caller's chat request to a provider of type openai.
bool speaks(const config::Provider& provider, const model::Request& request);

// Whether `name` is a Responses API member that chat completions lacks (or takes only with
// others, as top_logprobs needs logprobs): include, truncation, top_logprobs, max_tool_calls,
// background, reasoning, text, prompt, conversation, moderation, prompt_cache_options,
// context_management, input, instructions, tool_choice, previous_response_id. A Responses
// caller's extras of these names are left out when its request is rendered as chat completions;
// those chat completions shares (verbosity, service_tier, prompt_cache_key,
// prompt_cache_retention, safety_identifier) and unknown ones are sent.
bool responses_only(std::string_view name);

void encode(const EncodeInput& in, UpstreamRequest& out);
Decoded decode(int status, std::string_view body, const DecodeContext& ctx);
std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx);

}  // namespace sy::providers::openai_responses
