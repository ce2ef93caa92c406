#include "ingress/images.h"

namespace sy::ingress::images {

namespace {

bool decode(model::Envelope&, const DecodeArgs&, Error& error) {
  error = {501, ErrorType::invalid_request, "this route is not implemented yet", "not_implemented"};
  return false;
}

std::string answer(std::string_view stored, const model::Answer*, const Context&) { return std::string(stored); }

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::openai_images, decode, answer, nullptr, error};

}  // namespace sy::ingress::images
