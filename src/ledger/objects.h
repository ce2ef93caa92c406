// Shared objects in the core's memory: what the host's objects (one Durable Object per name) do,
// for an engine whose host has no shared state, and for tests as the other side of STATE.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "ledger/pool.h"

namespace sy::ledger {

class Objects {
 public:
  // Applies one op to the pool it names in object `object` (both made on first use).
  Answer apply(std::string_view object, const Op& op, double now);
  // The same for an op's JSON text: true with the answer's JSON in `out`, or false with the
  // error in `out` (a shared object answers that with HTTP 400).
  bool apply(std::string_view object, std::string_view op_text, double now, std::string& out);
  // nullptr when that pool has never been used.
  const Pool* find(std::string_view object, std::string_view pool) const;

 private:
  std::map<std::string, std::map<std::string, Pool, std::less<>>, std::less<>> objects_;
};

}  // namespace sy::ledger
