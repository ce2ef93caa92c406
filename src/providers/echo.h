// The built-in offline provider: answers from the request itself, in
// OpenAI's wire format, with no network. Deterministic: the same request
// (and id/created) gives the same bytes.
//
// The answer is the text of the last user message (text parts joined with
// "\n", each image part as "[image]"), cut to max_tokens (finish_reason
// "length") when given. Tokens are estimated as ceil(characters / 4) per text
// plus 4 per message for the prompt.
#pragma once

#include "providers/provider.h"

namespace sy::providers::echo {

extern const Codec kCodec;

}  // namespace sy::providers::echo
