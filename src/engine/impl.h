// The engine's parts (engine.h's Impl), visible to tests that look inside.
#pragma once

#include "base/rng.h"
#include "engine/engine.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "gateway/gateway.h"

namespace sy::engine {

struct Engine::Impl {
  explicit Impl(uint64_t seed);
  // After every event: calls waiting for a limit may start in slots that freed.
  void after(double now) { exchange.after_event(now); }

  Rng rng;
  exchange::ActionBatch batch;
  exchange::Exchange exchange;
  gateway::Gateway gateway;
  std::string last_error;
};

}  // namespace sy::engine
