#include "ingress/openai_responses.h"

namespace sy::ingress::openai_responses {

namespace {

bool decode(model::Envelope&, const DecodeArgs&, Error& error) {
  error = {501, ErrorType::invalid_request, "this route is not implemented yet", "not_implemented"};
  return false;
}

std::string answer(std::string_view stored, const model::Answer*, const Context&) { return std::string(stored); }

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::openai_responses, decode, answer, nullptr, error};

}  // namespace sy::ingress::openai_responses
