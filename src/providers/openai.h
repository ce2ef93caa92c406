// OpenAI chat completions: the caller's own format, so requests are forwarded
// with minimal edits. Also spoken by openai-compatible providers and echo.
#pragma once

#include "providers/provider.h"

namespace sy::providers::openai {

extern const Codec kCodec;

}  // namespace sy::providers::openai
