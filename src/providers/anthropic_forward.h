// The same-format fast path of the Anthropic codec: a request that arrived in Anthropic's own
// Messages format (model::Format::anthropic_messages) is sent the caller's body with minimal
// edits, so that everything the canonical model has no place for (cache_control on tools and
// system blocks, thinking signatures, server tools and their result blocks, citations,
// container, mcp_servers, …) reaches Anthropic exactly as written.
#pragma once

#include <string>

#include "providers/provider.h"

namespace sy::providers::anthropic {

// The caller's body with: `model` the target's model (first), Switchyard's routing members
// (models, provider, switchyard, session_id) removed, `stream` as the request asks (true or
// absent), and the target's override_params applied: temperature, top_p, top_k and unknown
// names (Anthropic members such as service_tier or thinking) under their own names, max_tokens /
// max_completion_tokens as max_tokens, stop as stop_sequences; each replaces the caller's member
// or joins the body. Members are spliced from the text when its keys have no escapes, else
// re-serialized from a parse of it.
//
// False (out undefined) when the body cannot be forwarded: it is not a JSON object, or an
// override names another canonical parameter (reasoning_effort, response_format, tools, …),
// whose meaning only the translation from the canonical request gives Anthropic.
bool forward_body(const EncodeInput& in, std::string& out);

}  // namespace sy::providers::anthropic
