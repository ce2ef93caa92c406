// The Anthropic Messages API ingress (POST /v1/messages, POST /v1/messages/count_tokens).
// (being written: decode refuses with 501 until its codec lands)
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::anthropic_messages {

extern const Codec kCodec;
extern const Codec kCountTokens;

}  // namespace sy::ingress::anthropic_messages
