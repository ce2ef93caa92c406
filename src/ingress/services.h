// Services (POST /v1/services/{name}): a named call, a model plus templates filled from the
// caller's input fields (SPEC section 1).
//
// decode: args.name is the service (a 404 service_not_found when the config has none of that
//   name); the body is a JSON object of input fields (400 invalid_input otherwise). The service's
//   system, prompt and image templates are rendered (base/template.h: a string field as its text,
//   any other value as its JSON; a field a template names but the input lacks is a 400
//   missing_input whose param is that field) into an OpenAI chat body, which replaces env.text and
//   is decoded by the openai_chat ingress: the request has format openai_chat and raw = the built
//   body, so a target of that format is sent it as is.
// answer: {"text", "json"? (the text parsed, when it is a JSON object or array), "usage"?,
//   "model"?, "provider"?} of the first output. No stream.
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::services {

extern const Codec kCodec;

}  // namespace sy::ingress::services
