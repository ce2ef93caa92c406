#include "ingress/models.h"

#include "ingress/body.h"

namespace sy::ingress::models {

namespace {

bool decode(model::Envelope& env, const DecodeArgs& args, Error& error) {
  if (args.name.empty()) return body::refuse(error, "provider", "the provider query parameter is required");
  // A GET has no body: the envelope keeps "provider/*", which the request points into; routed
  // like any provider/model name, it reaches that provider's own target.
  env.text = std::string(args.name) + "/*";
  env.request.kind = model::Kind::models;
  env.request.model = env.text;
  env.request.provider = std::string_view(env.text).substr(0, args.name.size());
  return true;
}

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::none, decode, nullptr, nullptr, error};

}  // namespace sy::ingress::models
