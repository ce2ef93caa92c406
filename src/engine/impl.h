// The engine's parts (engine.h's Impl), visible to tests that look inside.
#pragma once

#include "base/rng.h"
#include "engine/engine.h"
#include "engine/shared_limits.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "gateway/gateway.h"
#include "telemetry/tracer.h"
#include "gateway/shared_budgets.h"
#include "ledger/ledger.h"

namespace sy::engine {

struct Engine::Impl {
  explicit Impl(uint64_t seed);
  // One host event: a fresh batch, the event's work, then pipelines move on and calls waiting for
  // a limit start in slots that freed meanwhile (which may move pipelines again).
  template <class F>
  void event(double now, F&& work) {
    batch.clear();
    tracer.set_now(now);
    work();
    deliver(now);
    gateway.after_event(now);
    exchange.after_event(now);
    gateway.after_event(now);
    report(now);
  }
  // Log lines of requests that ended, and spans due for export (SEND), into the batch.
  void report(double now);

  // With shared state and a config: key budgets over the ledger (gateway/shared_budgets.h).
  void install_budgets();
  // The ledger's decisions go to the limits or budgets that wait for them.
  void deliver(double now);

  Rng rng;
  exchange::ActionBatch batch;
  telemetry::Tracer tracer;  // before the exchange and gateway: their calls report to it as they go
  ledger::Ledger ledger;  // shared state: pools, leases, STATE ops
  LedgerLimits limits;    // provider/target limits over the ledger (the exchange's, with shared state)
  exchange::Exchange exchange;
  gateway::Gateway gateway;
  std::string last_error;
  std::shared_ptr<const config::Config> config;  // installed
  gateway::SharedBudgets* shared_budgets = nullptr;  // owned by the gateway's runtime, when installed
};

}  // namespace sy::engine
