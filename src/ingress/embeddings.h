// The OpenAI embeddings ingress (POST /v1/embeddings).
//
// decode: `input` (required): a non-empty string, an array of up to 2048 non-empty strings, an
//   array of token ids (non-negative integers), or an array of up to 2048 such token arrays;
//   `dimensions` (an integer from 1 to 65536), `encoding_format` ("float" | "base64"), `user` (a
//   string); model, models, provider, session_id, switchyard as the chat ingress (body.h); every
//   other member kept in Request::extras. Problems are 400s naming the field ("input[3]").
// answer: the stored form (an OpenAI embeddings list), sent as is. No stream.
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::embeddings {

extern const Codec kCodec;

// The most inputs one request may carry (OpenAI's limit).
inline constexpr size_t kMaxInputs = 2048;

}  // namespace sy::ingress::embeddings
