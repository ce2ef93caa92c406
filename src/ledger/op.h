// The pool protocol's JSON (docs/host-interface.md, "Shared state"): an op is the body of a STATE
// action, an answer is what the shared object sends back. Every number is a JSON number.
#pragma once

#include <string>
#include <string_view>

#include "ledger/pool.h"

namespace sy::ledger {

// {"op":"lease","pool",...,"holder",...,"capacity","window_ms","ttl_ms","want","min","spent",
// "returned"} or {"op":"get","pool","capacity","window_ms"}.
std::string encode(const Op& op);
// Parses and checks an op; false with `error` naming the member at fault (the object answers
// such an op with HTTP 400).
bool decode(std::string_view text, Op& op, std::string& error);

// {"granted","lease","available","consumed","capacity"} for a lease op, {"consumed","leased",
// "capacity"} for a get.
std::string encode(const Answer& answer, Op::Kind kind);
// Parses an answer; false when it is not one (the op then counts as failed).
bool decode(std::string_view text, Op::Kind kind, Answer& answer);

}  // namespace sy::ledger
