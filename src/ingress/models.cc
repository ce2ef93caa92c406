#include "ingress/models.h"

#include "ingress/body.h"

namespace sy::ingress::models {

namespace {

bool decode(model::Envelope& env, const DecodeArgs& args, Error& error) {
  if (args.name.empty()) return body::refuse(error, "provider", "the provider query parameter is required");
  // A GET has no body: the envelope keeps the provider's name, which the request points into.
  env.text = args.name;
  env.request.kind = model::Kind::models;
  env.request.provider = env.text;
  return true;
}

std::string answer(std::string_view stored, const model::Answer*, const Context&) { return std::string(stored); }

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::none, decode, answer, nullptr, error};

}  // namespace sy::ingress::models
