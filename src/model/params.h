// Canonical parameters: the request fields that callers, a target's `override_params` and
// routing conditions (`params.<name>`) name. Their names and JSON shapes are OpenAI chat
// completions' (what users already know); every other ingress maps its own names onto them.
// Each setter checks type and range as OpenAI's published API does, so every ingress refuses
// the same bad values with the same message.
#pragma once

#include <string>
#include <string_view>

#include "json/json.h"
#include "model/request.h"

namespace sy::model {

// Why a value was refused: `path` is relative to the parameter ("" for the value itself,
// "[2].function.name" inside it), `message` says what is expected.
struct ParamError {
  std::string path;
  std::string message;
};

enum class ParamResult {
  set,      // a canonical field now holds the value (null: the field is unset)
  unknown,  // not a canonical parameter: the caller keeps it in Request::extras
  invalid,  // a canonical parameter with a bad value: `error` says why
};

// Sets the canonical field `name` of `request` from `value`. Views and pointers keep pointing
// into `value`, which must live as long as the request. null unsets every nullable parameter.
//
//   temperature [0, 2]   top_p [0, 1]   presence_penalty, frequency_penalty [-2, 2]
//   seed (integer)   top_k (integer >= 0)   n [1, 128]   stop (a string or up to 4 strings)
//   max_tokens, max_completion_tokens (positive integers; the latter wins)
//   logprobs (bool)   top_logprobs [0, 20]   logit_bias ({token id: integer in [-100, 100]})
//   tools (array of {type: "function", function: {name, description?, parameters?, strict?}};
//          other tool types are kept whole in Tool::raw)
//   tool_choice ("none" | "auto" | "required" | {type: "function", function: {name}})
//   parallel_tool_calls (bool)
//   response_format ({type: "text" | "json_object" | "json_schema", json_schema: {name, schema?,
//                    description?, strict?}})
//   reasoning_effort ("none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max")
//   user (string)   metadata (up to 16 string values, keys <= 64 and values <= 512 characters)
//   stream (bool)   stream_options ({include_usage?: bool, include_obfuscation?: bool})
ParamResult set_param(Request& request, std::string_view name, const json::Value& value, ParamError& error);

}  // namespace sy::model
