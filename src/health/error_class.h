// What the exchange does after each upstream outcome: one table, read by small
// code. docs/reference.md prints the same table for users.
#pragma once

#include <string_view>
#include <vector>

#include "base/errors.h"

namespace sy::health {

enum class Outcome {
  network_error,   // connection refused / reset / DNS, before or during the answer
  timeout,         // the per-attempt deadline passed
  status_408,
  status_429,
  status_5xx,
  context_length,  // 400 saying the prompt is too long for this model
  content_filter,  // 400 (or 200 finish) saying the provider refused the content
  auth,            // 401 / 403 from the provider: our key for it is bad
  not_found,       // 404: the provider does not know this model
  bad_request,     // any other 4xx: the caller's request is wrong
  malformed,       // 2xx we could not decode
  error_body_200,  // 2xx whose body is an error object
};

enum class Decision {
  retry_same,  // retry this target (after backoff) while attempts remain, then fall back
  fall_back,   // move to the next target at once
  return_now,  // answer the caller with this error
};

struct OutcomeClass {
  Outcome outcome;
  Decision decision;
  int status;  // what the caller sees if this is the final outcome
  ErrorType type;
  bool unhealthy;  // counts as a failure for the target's circuit breaker
};

// The table row for an outcome.
const OutcomeClass& classify(Outcome outcome);

// The outcome's name in snake_case ("status_5xx", "network_error"…), for traces and logs.
const char* outcome_name(Outcome outcome);

// Maps an upstream HTTP status (and what its error body said) to an outcome.
Outcome outcome_of_status(int status, ErrorType body_hint);

// The decision for an outcome given the configured retryable statuses: a
// status listed in retry.on_status is always retried on the same target.
Decision decide(Outcome outcome, int upstream_status, const std::vector<int>& retry_on_status);

}  // namespace sy::health
