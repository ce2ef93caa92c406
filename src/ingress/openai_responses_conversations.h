// Kept conversations for the Responses ingress (ingress::Conversations): the gateway keeps
// records in the host's persistent tier (gateway/conversations.h) and hands them back when a
// later request refers to them by previous_response_id or by item_reference inputs.
//
// references: previous_response_id (required: 400 previous_response_not_found), then every
//   item_reference input ({type: "item_reference", id}, or an item with an id and neither type
//   nor role) as optional ("input[3]", item_not_found): one the gateway does not hold stays a
//   reference, which makes the request native-only (OpenAI resolves the items it stored).
// keep: unless the request said store: false, a complete Response (the body sent, rendered or
//   the upstream's own) is kept as {"input": [every input item it answered, the conversation it
//   continued included, a string input as a user message], "output": [its output items]} under
//   the Response's id, and each output item with an id (msg_…, fc_…, rs_…) as itself under its id.
// resume: the request is decoded afresh from its own body with `input` = the conversation's
//   input, its output, then the request's own input (a string as a user message), each item
//   reference replaced by its kept item (or the conversation's item of that id).
//   `instructions` are the new request's only: a previous response's are not carried over, as
//   OpenAI documents. A record that is not one, or a conversation whose body would exceed
//   kMaxConversationBytes, is a 400 naming previous_response_id.
#pragma once

#include <cstddef>

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

inline constexpr size_t kMaxConversationBytes = 32u << 20;

extern const Conversations kConversations;

}  // namespace sy::ingress::openai_responses
