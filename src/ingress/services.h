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
//
// A service with a schema asks for structured output: the chat body gains
// "response_format": {"type": "json_schema", "json_schema": {"name": <the service name with every
// character outside [A-Za-z0-9_-] made '_', at most 64 characters>, "schema": <Service::schema>,
// "strict": false}}, which each egress carries through its provider's structured-output path.
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::services {

extern const Codec kCodec;

// The OpenAI chat body of one call of `service` (the services route, and each pipeline step: a
// step with inline templates passes a Service made of them, named after the step) with `input`
// (a JSON object of fields; a string field is rendered as its text, any other value as its JSON).
// `model_override`, when non-empty, replaces service.model. Body: {"model", "messages": [the
// rendered system, if non-empty; one user message: the prompt as text, or text and image_url
// parts when the image template renders non-empty], "response_format"? (when service.schema is
// set, see above)}. No sampling parameters, no stream member. False, with `error` a 400
// missing_input whose param is the field, when a template names a field `input` lacks
// (message: service "<name>" needs input field "<field>"); `body` is then unspecified.
bool build_body(const config::Service& service, std::string_view model_override, const json::Value& input,
                std::string& body, Error& error);

}  // namespace sy::ingress::services
