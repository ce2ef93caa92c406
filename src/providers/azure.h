// Azure OpenAI chat completions: OpenAI's body, answers and streams, at a deployment URL
// ({base_url}/openai/deployments/{model}/chat/completions?api-version={api_version}) with an
// `api-key` header instead of a bearer token.
#pragma once

#include "providers/provider.h"

namespace sy::providers::azure {

extern const Codec kCodec;

}  // namespace sy::providers::azure
