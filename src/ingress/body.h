// What the JSON ingresses share (openai_chat, embeddings, services): checking and parsing the
// caller's body, 400s that name the field at fault, the routing members every OpenAI-shaped body
// may carry (model, models, provider, session_id, switchyard) and canonical parameters.
#pragma once

#include <string>
#include <string_view>

#include "base/errors.h"
#include "json/json.h"
#include "model/request.h"

namespace sy::ingress::body {

// Sets `error` to a 400 invalid_request (or `code`) whose param is `param` ("" for none), and
// returns false.
bool refuse(Error& error, std::string param, std::string message, std::string code = "invalid_request");

// Parses env.text into env.doc. Refuses with a 400 of code invalid_json and no param: text that
// is not UTF-8 ("request body is not valid UTF-8"), not JSON ("request body is not valid JSON:
// <reason>"), or not an object ("request body must be a JSON object").
bool parse(model::Envelope& env, Error& error);

enum class Member { routing, other, invalid };

// Reads a routing member into `request`: model (a non-empty string), models (an array of
// non-empty strings, kept in request.routing.models), provider (an object, kept whole in
// request.routing.provider: the gateway checks its members), session_id (a string) and
// switchyard (an object, kept in request.controls). null counts as absent. `other` for any other
// name; `invalid` with a 400 naming the field.
Member routing(model::Request& request, std::string_view name, const json::Value& value, Error& error);

// Once every member is read: the model is `model`, else the first of `models`; else a 400
// missing_model.
bool resolve_model(model::Request& request, Error& error);

// A canonical parameter (model/params.h), or else an extra (request.extras, in body order). A
// refused value is a 400 whose param is `name` plus the path inside the value and whose message
// says what is expected ("temperature must be a number from 0 to 2").
bool param(model::Request& request, std::string_view name, const json::Value& value, Error& error);

}  // namespace sy::ingress::body
