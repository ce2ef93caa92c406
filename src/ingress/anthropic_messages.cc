#include "ingress/anthropic_messages.h"

namespace sy::ingress::anthropic_messages {

namespace {

bool decode(model::Envelope&, const DecodeArgs&, Error& error) {
  error = {501, ErrorType::invalid_request, "this route is not implemented yet", "not_implemented"};
  return false;
}

std::string answer(std::string_view stored, const model::Answer*, const Context&) { return std::string(stored); }

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::anthropic_messages, decode, answer, nullptr, error};
const Codec kCountTokens{model::Format::anthropic_messages, decode, answer, nullptr, error};

}  // namespace sy::ingress::anthropic_messages
