// The OpenAI Responses API ingress (POST /v1/responses).
// (being written: decode refuses with 501 until its codec lands)
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

extern const Codec kCodec;

}  // namespace sy::ingress::openai_responses
