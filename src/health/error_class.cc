#include "health/error_class.h"

#include <algorithm>

namespace sy::health {

namespace {

// outcome                          then                  caller  error_type                          unhealthy
constexpr OutcomeClass kTable[] = {
    {Outcome::network_error,  Decision::retry_same, 502, ErrorType::provider_unavailable,    true},
    {Outcome::timeout,        Decision::retry_same, 408, ErrorType::timeout,                 true},
    {Outcome::status_408,     Decision::retry_same, 408, ErrorType::timeout,                 true},
    {Outcome::status_429,     Decision::retry_same, 429, ErrorType::rate_limited,            false},
    {Outcome::status_5xx,     Decision::retry_same, 502, ErrorType::provider_unavailable,    true},
    {Outcome::context_length, Decision::fall_back,  400, ErrorType::context_length_exceeded, false},
    {Outcome::content_filter, Decision::return_now, 400, ErrorType::content_filtered,        false},
    {Outcome::auth,           Decision::fall_back,  502, ErrorType::auth,                    true},
    {Outcome::not_found,      Decision::fall_back,  502, ErrorType::provider_unavailable,    false},
    {Outcome::bad_request,    Decision::return_now, 400, ErrorType::invalid_request,         false},
    {Outcome::malformed,      Decision::retry_same, 502, ErrorType::provider_unavailable,    true},
    {Outcome::error_body_200, Decision::retry_same, 502, ErrorType::provider_unavailable,    true},
};

}  // namespace

const OutcomeClass& classify(Outcome outcome) {
  for (const auto& row : kTable)
    if (row.outcome == outcome) return row;
  return kTable[0];
}

const char* outcome_name(Outcome outcome) {
  static const char* const kNames[] = {"network_error", "timeout",   "status_408",  "status_429",
                                       "status_5xx",    "context_length", "content_filter", "auth",
                                       "not_found",     "bad_request", "malformed", "error_body_200"};
  size_t i = size_t(outcome);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "unknown";
}

Outcome outcome_of_status(int status, ErrorType body_hint) {
  if (body_hint == ErrorType::context_length_exceeded) return Outcome::context_length;
  if (body_hint == ErrorType::content_filtered) return Outcome::content_filter;
  if (status == 408) return Outcome::status_408;
  if (status == 429) return Outcome::status_429;
  if (status == 401 || status == 403) return Outcome::auth;
  if (status == 404) return Outcome::not_found;
  if (status >= 500) return Outcome::status_5xx;
  if (status >= 400) return Outcome::bad_request;
  return Outcome::malformed;
}

Decision decide(Outcome outcome, int upstream_status, const std::vector<int>& retry_on_status) {
  if (upstream_status > 0 &&
      std::find(retry_on_status.begin(), retry_on_status.end(), upstream_status) != retry_on_status.end())
    return Decision::retry_same;
  Decision d = classify(outcome).decision;
  // A status-based outcome the config chose not to retry moves on instead.
  if (d == Decision::retry_same && upstream_status > 0 && outcome != Outcome::malformed &&
      outcome != Outcome::error_body_200)
    return Decision::fall_back;
  return d;
}

}  // namespace sy::health
