// The OpenAI image-generation ingress (POST /v1/images/generations, OpenAI's
// CreateImageRequest).
//
// decode: `prompt` (required: a non-empty string of at most 32000 characters, 4000 when the
//   model asked for is dall-e-3 and 1000 for dall-e-2, as OpenAI limits them); `n` (an integer
//   from 1 to 10, Request::sampling.n); `size` ("auto" or WIDTHxHEIGHT, such as "1024x1024");
//   `quality` ("standard" | "hd" | "low" | "medium" | "high" | "auto"); `style` ("vivid" |
//   "natural"); `response_format` ("url" | "b64_json": Request::image_urls / image_b64; absent:
//   each provider's own default); `user` (a string). `background` ("transparent" | "opaque" |
//   "auto"), `output_format` ("png" | "jpeg" | "webp"), `output_compression` (0 to 100),
//   `moderation` ("low" | "auto") and `partial_images` (0 to 3) are checked and kept in
//   Request::extras, as is every member no field covers. `stream: true` is refused (param
//   "stream"): answers come whole. null counts as absent everywhere. model, models, provider,
//   session_id and switchyard as the chat ingress (body.h). Every problem is a 400 naming the
//   field.
// answer: the stored form (model/stored.h: OpenAI's ImagesResponse), sent as is. No stream.
#pragma once

#include <cstdint>

#include "ingress/ingress.h"

namespace sy::ingress::images {

extern const Codec kCodec;

// OpenAI's limits: images per request, and prompt characters (GPT image models; dall-e-3;
// dall-e-2).
inline constexpr int64_t kMaxImages = 10;
inline constexpr size_t kMaxPrompt = 32000;
inline constexpr size_t kMaxPromptDallE3 = 4000;
inline constexpr size_t kMaxPromptDallE2 = 1000;

}  // namespace sy::ingress::images
