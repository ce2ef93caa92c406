// The built-in offline provider: answers from the request itself, inside the core, with no
// network (caps.local: the exchange calls Codec::answer; a stream request is replayed from the
// answer). Deterministic: the same request gives the same answer. Free: usage cost 0.
//
// Chat (the target's override_params applied first):
// - The text is that of the last user message: its text parts joined with "\n", each image
//   part as "[image]". When the conversation ends with tool results (tool messages), the text
//   is theirs instead, joined with "\n".
// - response_format json_object: the text is {"text": <that text>}. json_schema: the text is a
//   JSON instance of the schema, built deterministically: objects with their required
//   properties (all of them when none are required), strings = the echoed text, numbers and
//   integers 0, booleans false, null null, arrays [] (or minItems instances of `items`, at most
//   8), enum its first value, const its value, anyOf / oneOf / allOf their first branch, local
//   $refs ("#/$defs/…") followed; nesting deeper than 16 levels gives null. A json_schema
//   without a schema is treated as json_object.
// - tool_choice "required", or a named tool, with tools given: one tool call instead of text
//   (id "call_echo_0"; the named tool, else the first function tool; arguments = an instance of
//   its parameters schema as above, "{}" without one), finish tool_calls.
// - The text is cut to max_tokens * 4 code points when its estimate exceeds max_tokens
//   (finish length).
// - n > 1: n identical outputs.
// - Usage: prompt = model::prompt_tokens(request); completion = the estimate of the text (or of
//   the tool call's arguments); cost 0.
//
// Embeddings: per input (a string, or token ids taken as their JSON text) a unit vector of
// `dimensions` (default 16) floats derived from a hash of the input, as JSON numbers or, with
// encoding_format base64, little-endian float32 bytes in base64. Usage: model::prompt_tokens.
//
// Model list: the models the config's targets name for this provider, owned_by "echo".
//
// Images: a picture of the prompt made offline (providers/echo_image.h), n copies.
#pragma once

#include "providers/provider.h"

namespace sy::providers::echo {

extern const Codec kCodec;

}  // namespace sy::providers::echo
