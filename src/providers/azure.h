// Azure OpenAI: OpenAI's bodies, answers and streams (providers/openai.h) at a deployment URL,
// {base_url}/openai/deployments/{model}/chat/completions?api-version={api_version} (and
// …/embeddings, …/images/generations: providers/openai_images.h; gpt-image-1 needs an
// api_version of 2025-04-01-preview or later), with an `api-key` header instead of a bearer
// token. The deployment name is
// always one URL path segment (base/url.h path_segment): no model name can reach another path
// or query on the resource. No model list: deployments are listed by the management plane only.
#pragma once

#include "providers/provider.h"

namespace sy::providers::azure {

extern const Codec kCodec;

}  // namespace sy::providers::azure
