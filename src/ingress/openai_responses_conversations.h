// previous_response_id for the Responses ingress (ingress::Conversations): the gateway keeps one
// record per response in the host's persistent tier (gateway/conversations.h) and hands it back
// when a later request continues that response.
//
// keep: unless the request said store: false, the record of a complete Response (the body sent,
//   rendered or the upstream's own) is {"input": [every input item the response answered, the
//   conversation it continued included, a string input as a user message], "output": [its output
//   items]}, kept under the Response's id.
// resume: the request is decoded afresh from its own body with `input` = the record's input, its
//   output, then the request's own input (a string as a user message). Item references in the
//   request's input are replaced by the record's item of that id (one the record does not hold
//   stays a reference: the request is then native-only, for OpenAI to resolve). `instructions` are the new request's only: a previous response's
//   are not carried over, as OpenAI documents. A record that is not one, or a conversation whose
//   body would exceed kMaxConversationBytes, is a 400 naming previous_response_id.
#pragma once

#include <cstddef>

#include "ingress/ingress.h"

namespace sy::ingress::openai_responses {

inline constexpr size_t kMaxConversationBytes = 32u << 20;

extern const Conversations kConversations;

}  // namespace sy::ingress::openai_responses
