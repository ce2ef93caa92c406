// A provider's own model list (GET /v1/models?provider=NAME).
//
// decode: a request of kind models for provider args.name (the gateway checks that it exists),
//   model "<provider>/*" so that it routes to that provider's own target; no body is read
//   (env.text holds the model, which request.model and request.provider point into).
// answer: the stored form (an OpenAI model list), sent as is. No stream.
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::models {

extern const Codec kCodec;

}  // namespace sy::ingress::models
