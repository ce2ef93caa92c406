// A step's canonical request: its input object rendered into a chat body by its service's
// templates (or its inline ones), decoded by the openai_chat ingress as POST /v1/services does.
#pragma once

#include <string_view>

#include "base/errors.h"
#include "config/config.h"
#include "model/request.h"

namespace sy::pipeline {

// `input` is the step's input object (JSON text). `stream`: the step's answer is streamed. On a
// problem (a template field the input lacks, an unknown service, a body the codec refuses)
// returns false with the error.
bool step_request(const config::Config& config, const config::PipelineStep& step, std::string_view input, bool stream,
                  model::Envelope& env, Error& error);

// Whether the step's answer is structured (its service or its inline templates have a schema).
bool structured(const config::Config& config, const config::PipelineStep& step);

}  // namespace sy::pipeline
