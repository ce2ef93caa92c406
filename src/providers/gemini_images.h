// Gemini's image generation, called by the gemini codec for image requests (providers/gemini.h).
//
// Image models (gemini-2.5-flash-image, gemini-3-pro-image-preview, …): POST
// {base_url}/models/{model}:generateContent with the prompt as the one user turn and
// generationConfig {responseModalities: ["IMAGE"], imageConfig: {aspectRatio}}; the answer's
// inlineData image parts (thought images left out) become the images, base64 with their
// mimeType; its text parts are not kept. One image per request (Gemini refuses candidateCount
// above 1 for image models): max_images is 1.
//
// Imagen (a model whose name starts with "imagen"): POST {base_url}/models/{model}:predict with
// {instances: [{prompt}], parameters: {sampleCount: n, aspectRatio}}; each prediction's
// bytesBase64Encoded and mimeType is an image, its `prompt` (the enhanced prompt) the revised
// prompt. Up to 4 images per request.
//
// size (WIDTHxHEIGHT) becomes the nearest aspect ratio the model family takes (image models:
// 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9; Imagen: 1:1, 3:4, 4:3, 9:16, 16:9); "auto"
// or none sends none. Among the extras (and a target's override_params) aspect_ratio /
// aspectRatio and image_size / imageSize set imageConfig (Imagen: parameters), person_generation
// / personGeneration Imagen's parameters, safety_settings / safetySettings the image models'
// safetySettings; Gemini refuses unknown members, so every other extra — and quality, style,
// user — is not sent. When the caller asked for URLs, each image comes back as a data: URL.
//
// Answers: usage from usageMetadata (image models; priced with the target's per-token prices),
// none from Imagen. A blocked prompt (promptFeedback.blockReason) or answer (a finishReason such
// as IMAGE_SAFETY, or every Imagen image filtered, raiFilteredReason) is a content_filter 400;
// an answer with no image for another reason (NO_IMAGE, text only) is a 502 no_image, retried
// and then fallen back from like a malformed answer.
#pragma once

#include <cstdint>
#include <string_view>

#include "providers/provider.h"

namespace sy::providers::gemini_images {

void encode(const EncodeInput& in, UpstreamRequest& out);
Decoded decode(int status, std::string_view body, const DecodeContext& ctx);

// Images per request: 4 for Imagen, 1 for the image models.
int64_t max_images(std::string_view model);

bool is_imagen(std::string_view model);

// The aspect ratio ("16:9") nearest to WIDTHxHEIGHT among those the model family takes; empty
// for "auto", none or anything else.
std::string_view aspect_ratio(std::string_view size, bool imagen);

}  // namespace sy::providers::gemini_images
