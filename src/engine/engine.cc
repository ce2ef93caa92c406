#include "engine/engine.h"

#include <algorithm>

#include "base/errors.h"
#include "base/rng.h"
#include "config/config.h"
#include "config/env.h"
#include "engine/impl.h"
#include "json/json.h"

namespace sy::engine {

Engine::Impl::Impl(uint64_t seed)
    : rng(seed),
      tracer(rng),
      ledger(rng, batch),
      limits(ledger),
      exchange(rng, batch),
      gateway(rng, batch, exchange) {
  exchange.set_tracer(&tracer);
  gateway.set_tracer(&tracer);
}

void Engine::Impl::report(double now) {
  telemetry::Outbox out;
  // With no request in flight the host holds no timer (a workerd timer lives in a request's
  // context), so what is waiting goes now instead of at its deadline.
  tracer.take(now, out, exchange.in_flight() == 0 && gateway.idle());
  for (const std::string& line : out.logs) batch.log(line);
  for (const telemetry::Send& send : out.sends) batch.send(0, "POST", send.url, send.headers, send.body);
}

void Engine::Impl::install_budgets() {
  shared_budgets = nullptr;
  if (!config || !ledger.shared()) return;
  auto budgets = std::make_unique<gateway::SharedBudgets>(*config, ledger);
  shared_budgets = budgets.get();
  gateway.use_budgets(std::move(budgets));
}

void Engine::Impl::deliver(double now) {
  std::vector<ledger::Decision> decisions = ledger.take_decisions();
  if (decisions.empty()) return;
  limits.deliver(decisions, now);
  std::erase_if(decisions, [](const ledger::Decision& d) { return LedgerLimits::concerns(d); });
  if (shared_budgets && !decisions.empty()) shared_budgets->deliver(decisions, now);
}

Engine::Engine(uint64_t seed) : impl_(std::make_unique<Impl>(seed)) {}
Engine::~Engine() = default;

namespace {

std::string config_error(const std::vector<config::Problem>& problems) {
  std::string list = "\"errors\":[";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) list += ',';
    list += "{\"path\":";
    json::append_string(list, problems[i].path);
    list += ",\"message\":";
    json::append_string(list, problems[i].message);
    list += '}';
  }
  list += ']';
  std::string summary = "invalid config: " + std::to_string(problems.size()) + " problem(s); first: " +
                        (problems[0].path.empty() ? "" : problems[0].path + ": ") + problems[0].message;
  Error error{400, ErrorType::invalid_request, summary, "invalid_config"};
  error.metadata_json = std::move(list);
  return error_body(error);
}

}  // namespace

bool Engine::configure(std::string_view config_json, std::string_view env_json) {
  std::vector<config::Problem> problems;
  auto config = config::load(config_json, env_json, problems);
  if (!config) {
    impl_->last_error = config_error(problems);
    return false;
  }
  impl_->exchange.install(config);
  impl_->gateway.install(config);
  impl_->tracer.install(config->telemetry);
  impl_->config = config;
  impl_->install_budgets();
  impl_->last_error.clear();
  return true;
}

const std::string& Engine::last_error() const { return impl_->last_error; }

std::string Engine::env_names(std::string_view config_json) const {
  std::string out = "[";
  for (const std::string& name : config::env_names(config_json)) {
    if (out.size() > 1) out += ',';
    json::append_string(out, name);
  }
  return out + "]";
}

void Engine::begin(uint32_t id, std::string_view method, std::string_view target, std::string_view headers,
                   double now) {
  impl_->event(now, [&] { impl_->gateway.begin(id, method, target, headers, now); });
}

void Engine::body(uint32_t id, std::string_view bytes, double now) {
  impl_->event(now, [&] { impl_->gateway.body(id, bytes, now); });
}

void Engine::end(uint32_t id, double now) {
  impl_->event(now, [&] { impl_->gateway.end(id, now); });
}

void Engine::submit(uint32_t id, std::string_view method, std::string_view target, std::string_view headers,
                    std::string_view body, double now) {
  impl_->event(now, [&] {
    impl_->gateway.begin(id, method, target, headers, now);
    impl_->gateway.body(id, body, now);
    impl_->gateway.end(id, now);
  });
}

void Engine::cancel(uint32_t id, double now) {
  impl_->event(now, [&] {
    impl_->ledger.forget(id);  // a request waiting for shared state takes no decision any more
    if (impl_->shared_budgets) impl_->shared_budgets->forget(id);
    if (!impl_->gateway.cancel(id, now)) impl_->exchange.cancel(id, now);
  });
}

void Engine::fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now) {
  impl_->event(now, [&] { impl_->exchange.fetch_response(fetch_id, status, headers, now); });
}

void Engine::fetch_body(uint32_t fetch_id, std::string_view bytes, double now) {
  impl_->event(now, [&] { impl_->exchange.fetch_body(fetch_id, bytes, now); });
}

void Engine::fetch_end(uint32_t fetch_id, double now) {
  impl_->event(now, [&] { impl_->exchange.fetch_end(fetch_id, now); });
}

void Engine::fetch_error(uint32_t fetch_id, std::string_view message, double now) {
  impl_->event(now, [&] { impl_->exchange.fetch_error(fetch_id, message, now); });
}

void Engine::timer(double now) {
  impl_->event(now, [&] {
    impl_->gateway.timer(now);
    impl_->exchange.timer(now);
    if (impl_->ledger.shared()) impl_->limits.timer(now);  // slots whose lease expired unrenewed
    impl_->ledger.timer(now);
  });
}

double Engine::next_deadline() const {
  return std::min({impl_->gateway.next_deadline(), impl_->exchange.next_deadline(), impl_->tracer.next_deadline(),
                   impl_->ledger.next_deadline(), impl_->limits.next_deadline()});
}

void Engine::enable_persistence(bool enabled) { impl_->exchange.set_persistence(enabled); }

void Engine::cache_result(uint32_t id, std::string_view data, double now) {
  impl_->event(now, [&] { if (!impl_->gateway.cache_result(id, data, now)) impl_->exchange.cache_result(id, data, now); });
}

void Engine::enable_shared_state(bool enabled) {
  if (enabled == impl_->ledger.shared()) return;
  impl_->ledger.enable_shared(enabled);
  impl_->exchange.use_limits(enabled ? &impl_->limits : nullptr);
  if (enabled) impl_->install_budgets();
  else {
    impl_->shared_budgets = nullptr;
    if (impl_->config) impl_->gateway.install(impl_->config);  // back to budgets in memory
  }
}

void Engine::state_result(uint32_t op_id, std::string_view data, double now) {
  impl_->event(now, [&] { impl_->ledger.result(op_id, data, now); });
}

exchange::ActionBatch& Engine::batch() { return impl_->batch; }
size_t Engine::in_flight() const { return impl_->exchange.in_flight(); }

}  // namespace sy::engine
