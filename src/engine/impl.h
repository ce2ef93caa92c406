// The engine's parts (engine.h's Impl), visible to tests that look inside.
#pragma once

#include "base/rng.h"
#include "engine/engine.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "gateway/gateway.h"
#include "ledger/ledger.h"

namespace sy::engine {

struct Engine::Impl {
  explicit Impl(uint64_t seed);
  // One host event: a fresh batch, the event's work, then pipelines move on and calls waiting for
  // a limit start in slots that freed meanwhile (which may move pipelines again).
  template <class F>
  void event(double now, F&& work) {
    batch.clear();
    work();
    gateway.after_event(now);
    exchange.after_event(now);
    gateway.after_event(now);
  }

  Rng rng;
  exchange::ActionBatch batch;
  ledger::Ledger ledger;  // shared state: pools, leases, STATE ops
  exchange::Exchange exchange;
  gateway::Gateway gateway;
  std::string last_error;
};

}  // namespace sy::engine
