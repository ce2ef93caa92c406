// One pipeline call (POST /v1/pipelines/{name}), run in the core. Each step is a full exchange
// call (exchange::Exchange::start) with the caller's key, controls and the step's own cache mode
// and timeout. A step starts as soon as every step in its `after` finished; steps that become
// ready together start in the same core event. A step whose `when` is false is skipped; a
// failing step follows its on_error; a failure with on_error "fail", the pipeline's deadline or
// the host's cancellation cancel every step in flight.
//
// Answers arrive in the exchange's Caller callbacks, where nothing may start or cancel other
// calls: they only mark the run dirty; advance() (called by the gateway after each event) moves
// it on. The step's calls have ids of their own (never a host request id); their FETCHes name the
// pipeline's request as their owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/errors.h"
#include "config/config.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "json/json.h"
#include "pipeline/step.h"
#include "pipeline/values.h"
#include "telemetry/tracer.h"

namespace sy::pipeline {

// What admitting a step's request came to: it may start, it is refused (with an error), or the
// answer must come from elsewhere first (a key budget's shared object): the step waits, and the
// gateway calls Run::resume() once it may ask again.
enum class Admission { admitted, refused, waiting };

// What the run asks of the gateway.
struct Hooks {
  // The caller's controls (headers and body), read afresh for each step; false with an error.
  std::function<bool(exchange::Controls&, Error&)> controls;
  // Whether the caller's key may make a step's request (its model, its budget), right before the
  // step's call starts; refused with the error, or waiting. Admitted, it may wrap the step's
  // Caller (the gateway reserves the request's worst-case cost and settles it when the call
  // ends: gateway/reservation.h). One step of a run waits at a time: steps that become ready
  // meanwhile wait behind it without asking.
  std::function<Admission(const model::Request&, double now, std::unique_ptr<exchange::Caller>&, Error&)> admit;
};

struct Setup {
  uint32_t id = 0;             // the host's request id
  std::string request_id;      // "req_…"
  std::string tenant;          // the gateway key, for each step's cache partition
  int key = -1;                // the gateway key's index in config->keys (-1: none), for resume()
  std::string headers;         // extra header lines of the answer (CORS)
  std::shared_ptr<const config::Config> config;
  const config::Pipeline* pipeline = nullptr;  // in *config
  json::Document input;        // the call's input object (`stream` removed)
  bool stream = false;         // answer as text/event-stream
  Hooks hooks;
  // Telemetry (set: logs or traces are on): the run's end gives one log line and, in a trace,
  // the root span from `facts` (the request's head) and a child span per step that started;
  // each step's attempts and cache lookups are spans under its step's.
  telemetry::Tracer* tracer = nullptr;
  telemetry::RequestFacts facts;
  // Where the run puts its id when it has moved on and must be advanced after the event (the
  // gateway's list; null: nobody is told, dirty() alone says so).
  std::vector<uint32_t>* dirty_list = nullptr;
};

class StepCaller;

class Run {
 public:
  // `next_call` hands out the ids of step calls (never a host's request id).
  Run(exchange::Exchange& exchange, exchange::ActionBatch& batch, uint32_t& next_call, Setup setup);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  void begin(double now);
  // Looks at what landed since and starts what became ready, until nothing changes.
  void advance(double now);
  // The pipeline's deadline passed: 504, every running step cancelled.
  void expire(double now);
  // The caller went away: every running step cancelled, nothing answered.
  void cancel(double now);
  // The answer a waiting step's admission waited for arrived: the waiting steps ask again, in
  // order (the first may take it), then the run moves on. Called within the event of the answer.
  void resume(double now);
  // A step waits for its admission (Hooks::admit answered waiting).
  bool waiting() const { return asking_ != kNobody; }
  int key() const { return setup_.key; }

  bool dirty() const { return dirty_; }
  bool over() const { return over_; }
  double deadline() const { return deadline_; }

 private:
  friend class StepCaller;
  Scope scope() const { return {*setup_.pipeline, setup_.input, steps_}; }
  bool ready(size_t i) const;
  bool when_holds(size_t i) const;
  void start_step(size_t i, double now);
  void settle(size_t i, double now);
  void step_failed(size_t i, const Error& error, double now);
  void report(size_t i);
  void stop_running(double now);
  void succeed();
  void fail(const Error& error);
  void respond(int status, std::string_view content_type, const std::string& body);
  telemetry::Context step_trace(size_t i, double now);
  void ended(int status, std::string_view error, std::string_view body = {});
  void event(std::string_view name, const std::string& data);
  void delta(std::string_view text);
  void mark_dirty();

  exchange::Exchange& exchange_;
  exchange::ActionBatch& batch_;
  uint32_t& next_call_;
  Setup setup_;
  std::vector<StepState> steps_;
  static constexpr size_t kNobody = size_t(-1);
  size_t output_step_ = 0;
  size_t asking_ = kNobody;  // the step whose admission waits for an answer (others wait behind it)
  std::vector<telemetry::Span> spans_;  // per step: its span, once it started (traces on)
  double deadline_ = exchange::kNever;
  bool dirty_ = false;
  bool over_ = false;
};

}  // namespace sy::pipeline
