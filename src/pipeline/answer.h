// The answer of a pipeline call (SPEC, POST /v1/pipelines/{name}): per step its text, json,
// model, provider, cache, attempts, ms and usage; the output; usage and cost summed. Errors name
// the failing step and carry the steps that finished.
#pragma once

#include <string>
#include <string_view>

#include "base/errors.h"
#include "pipeline/values.h"

namespace sy::pipeline {

// One step's object: {"text", "json"?, "model", "provider", "cache", "attempts", "ms", "usage",
// "skipped"?, "error"?}; with `id` first when not empty (the stream's step event).
std::string step_object(const StepState& step, std::string_view id = {});

// {"<id>": step object, …} of the finished steps, in declaration order.
std::string steps_object(const Scope& scope);

// {"output", "steps", "usage": {prompt_tokens, completion_tokens, total_tokens, cost}, "cost"}.
std::string answer_body(const Scope& scope);

// The pipeline's error for step `id` failing with `cause`: its status and type, the message
// "step '<id>' failed: <cause>", param "steps.<id>", metadata.step.
Error step_error(std::string_view id, const Error& cause);

// {"error": {...}, "steps": {...}}.
std::string error_with_steps(const Error& error, const Scope& scope);

}  // namespace sy::pipeline
