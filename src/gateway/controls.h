// Switchyard's own per-request controls (SPEC section 2): the x-switchyard-* headers, overridden
// by the body's "switchyard" object.
#pragma once

#include <string_view>

#include "base/errors.h"
#include "exchange/exchange.h"
#include "json/json.h"

namespace sy::gateway {

// Reads the controls; on a bad value returns false with a 400 naming the header or body field.
bool read_controls(std::string_view headers, const json::Value* body, exchange::Controls& out, Error& error);

}  // namespace sy::gateway
