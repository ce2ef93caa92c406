// OpenAI's image generation (POST {base_url}/images/generations; Azure OpenAI at
// {base_url}/openai/deployments/{deployment}/images/generations?api-version=…): the request
// body and the answer, shared by the openai (openai-compatible) and azure-openai codecs.
//
// Requests. A caller that spoke this very format (request.format openai_images) is sent its own
// body with the same-format fast path's minimal edits (openai::splice: model, routing members,
// overrides). Any other image request is rendered from its canonical fields: prompt, n (when not
// 1), size, quality, style, response_format, user, the extras, then the target's
// override_params replacing or joining members. GPT image models (a model or Azure deployment
// name containing "gpt-image") take no response_format (OpenAI answers 400 "Unknown parameter")
// and always answer base64: response_format is left out for them, and when the caller asked for
// URLs the base64 images come back as data: URLs ("data:image/png;base64,…", the media type
// from the answer's output_format). A dall-e model is sent response_format as asked; without
// one it answers URLs, as OpenAI does.
//
// Answers. An ImagesResponse ({created, data: [{b64_json | url, revised_prompt?}], usage?,
// background?, output_format?, size?, quality?}) becomes a canonical image answer
// (model::stored::parse). A caller of this format gets the upstream body as is (Answer::raw,
// Azure's content filter annotations included), unless its images must become data: URLs or
// the target has a price (the answer is then rendered from the canonical answer, usage.cost
// set). Usage: GPT image models report input_tokens and output_tokens (prompt and completion
// tokens, priced by the target's per-token prices); dall-e models report none (zero, no cost).
// An answer without images (data empty or missing) is malformed.
//
// Errors: a non-2xx through the error-class table; moderation_blocked (GPT image models),
// content_policy_violation (dall-e) and contentFilter (Azure) are content filtered; an upstream
// 400 saying "n=1" names param n (dall-e-3 makes one image per request; the exchange only
// sends it n > 1 when max_images cannot tell the model from its name).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::openai_images {

// The request body for the target (OpenAI's and Azure's are the same).
std::string body(const EncodeInput& in);

Decoded decode(int status, std::string_view body, const DecodeContext& ctx);

// Images per request: 1 for dall-e-3 (a name containing "dall-e-3", "dalle-3" or "dalle3"),
// else 10 (OpenAI's limit for dall-e-2 and the GPT image models).
int64_t max_images(std::string_view model);

// A GPT image model (gpt-image-1, gpt-image-1-mini, gpt-image-1.5, …), by its name.
bool is_gpt_image(std::string_view model);

}  // namespace sy::providers::openai_images
