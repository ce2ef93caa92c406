// What a pipeline run knows of each step: its state, its answer or error, what it cost. Shared by
// the run (pipeline/run.h), the values later steps read (pipeline/values.h) and the answer
// (pipeline/answer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/errors.h"
#include "json/json.h"
#include "model/answer.h"

namespace sy::pipeline {

struct StepState {
  enum class Status { waiting, running, done, skipped, failed };
  Status status = Status::waiting;
  uint32_t call = 0;      // the exchange call while running
  double started = 0;     // when it started (the pipeline's clock)
  double ms = 0;          // how long it ran
  bool landed = false;    // the exchange answered or failed; the run has not looked yet
  bool parked = false;    // ready, waiting for its admission (pipeline::Admission::waiting)
  bool has_text = false;  // false: its output is null (skipped, or failed without a fallback)
  bool structured = false;  // its service asks for JSON: the answer carries "json"
  std::string text;
  std::unique_ptr<json::Document> json;  // the text parsed, when it is a JSON object or array
  std::string model, provider, cache = "BYPASS";
  int attempts = 0;
  model::Usage usage;
  bool streamed = false;  // deltas of it were sent
  std::optional<Error> error;  // why it failed (kept for on_error skip / fallback_value too)

  bool finished() const { return status == Status::done || status == Status::skipped || status == Status::failed; }
};

}  // namespace sy::pipeline
