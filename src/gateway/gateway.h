// The gateway: HTTP in front of the exchange. It owns the route table, gateway keys, CORS,
// request bodies (size limit and arrival deadline), cache snapshots and the stats routes; model
// requests are parsed by the route's ingress codec and handed to the exchange with a Responder.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "base/rng.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "gateway/keys.h"
#include "gateway/routes.h"
#include "ingress/ingress.h"
#include "pipeline/run.h"
#include "telemetry/tracer.h"

namespace sy::gateway {

class Gateway {
 public:
  Gateway(Rng& rng, exchange::ActionBatch& batch, exchange::Exchange& exchange);

  void install(std::shared_ptr<const config::Config> config);
  // Where finished requests and their traces go (the engine's); none: no telemetry.
  void set_tracer(telemetry::Tracer* tracer) { tracer_ = tracer; }

  // A caller request arrives: its head, then its body in any number of pieces, then its end.
  // Exactly one RESPOND follows per request (then stream chunks and an end if it streams). A
  // request answered early (an error, a body over the limit or too slow) ignores what follows.
  void begin(uint32_t id, std::string_view method, std::string_view target, std::string_view headers, double now);
  void body(uint32_t id, std::string_view bytes, double now);
  void end(uint32_t id, double now);
  // The caller went away before its request reached the exchange, or during its pipeline (whose
  // steps are then cancelled): true; or it never had one here.
  bool cancel(uint32_t id, double now = 0);
  // After every host event: pipelines whose steps answered move on (pipeline/run.h).
  void after_event(double now);
  // The host's answer to CACHE_LIST / CACHE_CLEAR; false when no snapshot route waits for `id`.
  bool cache_result(uint32_t id, std::string_view entries, double now);
  void timer(double now);
  double next_deadline() const;
  // No request is arriving, waiting for the host's tier or running a pipeline here.
  bool idle() const { return pending_.empty() && runs_.empty(); }
  // Puts key budgets somewhere else than this process's memory (a shared implementation,
  // gateway/budgets.h) for the installed config; requests it answers `pending` wait for it.
  void use_budgets(std::unique_ptr<Budgets> budgets);

 private:
  using Runs = std::unordered_map<uint32_t, std::unique_ptr<pipeline::Run>>;
  // A request between its head and its end, or a snapshot route waiting for the host's tier.
  struct Pending {
    std::string request_id;
    std::string method;
    std::string query;
    std::string headers;
    std::string name;  // the {name} of a named route
    const Route* route = nullptr;
    std::string cors;  // CORS header lines owed to its answer
    int key = -1;
    std::string body;
    double deadline = 0;
    bool waits_for_tier = false;
    bool waits_for_budget = false;  // parked until the key's budgets answer (gateway/budgets.h)
    bool waits_for_rate = false;    // its key's shared rpm has not admitted it yet (count_call)
    bool past_body() const { return waits_for_tier || waits_for_budget; }
    // A decoded request waiting for the records of what it refers to (gateway/conversations.h).
    std::unique_ptr<model::Envelope> envelope;
    Decoded decoded;  // launched, parked until the key's budgets answer
    std::vector<ingress::Reference> references;
    std::vector<std::string> records;  // found so far, in the order of references
    std::string path;          // for telemetry
    double started = 0;        // its head arrived
    telemetry::Context trace;  // its trace (traces on)
  };

  void respond(uint32_t id, const Pending& p, const Error& error);
  void answer(uint32_t id, const Pending& p, int status, std::string_view content_type, std::string body,
              std::string_view extra_headers);
  telemetry::RequestFacts facts_of(const Pending& p) const;
  void ended(const Pending& p, int status, std::string_view error);
  void respond(uint32_t id, const Pending& p, int status, std::string_view content_type, std::string body,
               std::string_view extra_headers = {});
  void dispatch(uint32_t id, Pending& p, double now);
  void model_request(uint32_t id, Pending& p, double now);
  bool decode(Pending& p, model::Envelope& env, Error& error);
  bool prepare(const Pending& p, const model::Request& r, exchange::Start& start, Error& error);
  void launch(uint32_t id, Pending& p, Decoded decoded, double now);
  void budget_ready(int key, double now);
  bool rate_counted(uint32_t id, Pending& p, double now);
  void recall(uint32_t id, Pending& p, std::unique_ptr<model::Envelope> env, std::vector<ingress::Reference> references,
              double now);
  void resume(uint32_t id, Pending& p, double now);
  void recalled(uint32_t id, Pending& p, std::string_view entry, double now);
  void pipeline_request(uint32_t id, Pending& p, double now);
  void count_tokens(uint32_t id, const Pending& p, const model::Request& request);
  void model_entry(uint32_t id, const Pending& p);
  std::vector<std::string> model_ids(int key) const;
  std::string tenant(int key) const;
  void cache_route(uint32_t id, Pending& p, double now);
  void cache_result_for(uint32_t id, Pending& p, std::string_view entries, double now);
  std::string models_list(int key) const;
  std::string stats(bool prometheus, double now) const;
  std::string new_request_id();
  void drop(uint32_t id);
  void end_run(Runs::iterator run);

  Rng& rng_;
  exchange::ActionBatch& batch_;
  exchange::Exchange& exchange_;
  telemetry::Tracer* tracer_ = nullptr;
  std::shared_ptr<Runtime> runtime_;
  std::unordered_map<uint32_t, Pending> pending_;
  std::set<std::pair<double, uint32_t>> deadlines_;  // bodies still arriving
  Runs runs_;  // pipelines running, by request
  // Which runs to advance after the event (pipeline::Setup::dirty_list), and the runs' deadlines:
  // an event costs the runs that moved, not every run in flight.
  std::vector<uint32_t> dirty_runs_;
  std::set<std::pair<double, uint32_t>> run_deadlines_;
  uint32_t next_step_call_ = 0x80000000u;  // exchange ids of pipeline steps: above any host id
};

}  // namespace sy::gateway
