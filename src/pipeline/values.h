// The values a pipeline's templates read (SPEC section 1): {{input.a.b}} from the call's input,
// {{step.text}} and {{step.json.a.0}} from finished steps. A string is its text, anything else
// its JSON; a skipped step's output is null.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "json/json.h"
#include "pipeline/step.h"

namespace sy::pipeline {

struct Scope {
  const config::Pipeline& pipeline;
  const json::Value& input;
  const std::vector<StepState>& steps;
};

// `v` followed along `path`: object members by name, array items by index; nullptr when absent.
const json::Value* walk(const json::Value* v, const std::vector<std::string>& path);

// Appends what the reference `name` denotes as template text; false when it cannot be resolved
// (a bad reference, or a path the value lacks). A null output appends nothing.
bool append_reference(const Scope& scope, std::string_view name, std::string& out);

// Renders `tmpl`; false with `missing` = the placeholder that could not be resolved.
bool render(const Scope& scope, std::string_view tmpl, std::string& out, std::string& missing);

// The input object of step `index`: each input field's template rendered, as a JSON object text.
bool step_input(const Scope& scope, size_t index, std::string& out, std::string& missing);

// The pipeline's output as JSON text: the last step's text when `output` is empty; the value
// itself when the template is exactly one {{input…}} / {{step.json…}} placeholder; otherwise the
// rendered string (null when a placeholder cannot be resolved).
std::string output_value(const Scope& scope);

// The step whose answer is the output (its tokens are what a stream sends): the step the output
// template names first, else the last step.
size_t output_step(const config::Pipeline& pipeline);

// What `when` reads (condition::Facts::fields): {"input": <input>, "<step>": {"text", "json"?}
// of each finished step, or null (skipped, failed without a fallback, or not run)}.
std::string condition_fields(const Scope& scope);

}  // namespace sy::pipeline
