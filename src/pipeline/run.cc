#include "pipeline/run.h"

#include "condition/condition.h"
#include "model/stored.h"
#include "pipeline/answer.h"
#include "pipeline/request.h"

namespace sy::pipeline {

// Collects one step's outcome for its Run. Never starts or cancels calls (see run.h).
class StepCaller final : public exchange::Caller {
 public:
  StepCaller(Run& run, size_t index, bool streamed) : run_(run), index_(index), streamed_(streamed) {}

  void answer(std::string_view stored, const model::Answer* answer, const exchange::Meta& meta) override {
    StepState& s = state();
    take(meta);
    model::Answer parsed;
    std::string error;
    if (!answer && model::stored::parse(stored, parsed, error)) answer = &parsed;
    if (answer) {
      if (!answer->outputs.empty()) s.text = answer->outputs[0].text;
      s.usage = answer->usage;
      if (!answer->model.empty()) s.model = answer->model;
      if (!answer->provider.empty()) s.provider = answer->provider;
    }
    if (streamed_ && !s.text.empty()) run_.delta(s.text);  // a cached answer: its text at once
    land();
  }
  void fail(const Error& error, const exchange::Meta& meta) override {
    take(meta);
    state().error = error;
    land();
  }
  void stream_open(const exchange::Meta& meta) override { take(meta); }
  void stream_events(std::span<const model::StreamEvent> events, const model::RawEvent&) override {
    StepState& s = state();
    for (const model::StreamEvent& e : events) {
      if (e.type == model::StreamEvent::Type::text && e.output == 0) {
        s.text.append(e.text);
        s.streamed = true;
        if (!e.text.empty()) run_.delta(e.text);
      } else if (e.type == model::StreamEvent::Type::usage) {
        s.usage = e.usage;
      } else if (e.type == model::StreamEvent::Type::error && e.error) {
        s.error = *e.error;
      }
    }
  }
  void stream_close(const model::Usage& usage) override {
    if (usage.known) state().usage = usage;
    land();
  }
  void spent(const model::Usage&) override {}  // the step's usage arrives with its answer

 private:
  StepState& state() { return run_.steps_[index_]; }
  void take(const exchange::Meta& meta) {
    StepState& s = state();
    s.attempts = meta.attempts;
    s.cache = meta.cache;
    size_t slash = meta.target.find('/');
    if (slash != std::string::npos) {
      s.provider = meta.target.substr(0, slash);
      s.model = meta.target.substr(slash + 1);
    }
  }
  void land() {
    state().landed = true;
    run_.mark_dirty();
  }

  Run& run_;
  size_t index_;
  bool streamed_;
};

Run::Run(exchange::Exchange& exchange, exchange::ActionBatch& batch, uint32_t& next_call, Setup setup)
    : exchange_(exchange), batch_(batch), next_call_(next_call), setup_(std::move(setup)) {
  steps_.resize(setup_.pipeline->steps.size());
  spans_.resize(steps_.size());
  output_step_ = output_step(*setup_.pipeline);
}

Run::~Run() = default;

void Run::begin(double now) {
  if (setup_.pipeline->timeout_ms > 0) deadline_ = now + setup_.pipeline->timeout_ms;
  if (setup_.stream) respond(200, "text/event-stream", {});
  advance(now);
}

void Run::advance(double now) {
  bool moved = true;
  while (moved && !over_) {
    moved = false;
    for (size_t i = 0; i < steps_.size() && !over_; ++i) {
      if (!steps_[i].landed) continue;
      steps_[i].landed = false;
      settle(i, now);
      moved = true;
    }
    for (size_t i = 0; i < steps_.size() && !over_; ++i) {
      if (steps_[i].status != StepState::Status::waiting || steps_[i].parked || !ready(i)) continue;
      start_step(i, now);
      if (!steps_[i].parked) moved = true;
    }
  }
  dirty_ = false;
  if (over_) return;
  for (const StepState& s : steps_)
    if (!s.finished()) return;
  succeed();
}

bool Run::ready(size_t i) const {
  for (size_t before : setup_.pipeline->steps[i].after)
    if (before >= steps_.size() || !steps_[before].finished()) return false;
  return true;
}

// The step's `when` over {"input": …, "<step>": {"text", "json"}} of the steps finished so far.
bool Run::when_holds(size_t i) const {
  json::Document fields;
  std::string error;
  if (!json::parse(condition_fields(scope()), fields, error)) return false;
  condition::Facts facts;
  facts.fields = &fields;
  return condition::matches(setup_.pipeline->steps[i].when, facts);
}

namespace {

void apply_step_controls(const config::PipelineStep& step, exchange::Controls& controls) {
  if (step.cache == "no-store") controls.cache = exchange::CacheMode::no_store;
  else if (step.cache == "refresh") controls.cache = exchange::CacheMode::refresh;
  else if (step.cache == "only") controls.cache = exchange::CacheMode::only;
  if (step.timeout_ms > 0) controls.timeout_ms = step.timeout_ms;
}

}  // namespace

void Run::start_step(size_t i, double now) {
  StepState& s = steps_[i];
  const config::PipelineStep& step = setup_.pipeline->steps[i];
  s.started = now;
  telemetry::Context trace = step_trace(i, now);
  if (step.has_when && !when_holds(i)) {
    s.status = StepState::Status::skipped;
    return report(i);
  }
  std::string input, missing;
  if (!step_input(scope(), i, input, missing))
    return step_failed(i, {400, ErrorType::invalid_request, "input has no value for {{" + missing + "}}", "missing_input",
                           "input." + step.id}, now);
  bool streamed = setup_.stream && i == output_step_;
  exchange::Start start;
  auto envelope = std::make_unique<model::Envelope>();
  Error error;
  if (!step_request(*setup_.config, step, input, streamed, *envelope, error)) return step_failed(i, error, now);
  start.envelope = std::move(envelope);
  if (setup_.hooks.controls && !setup_.hooks.controls(start.controls, error)) return step_failed(i, error, now);
  start.caller = std::make_unique<StepCaller>(*this, i, streamed);
  if (setup_.hooks.admit) {
    bool behind = asking_ != kNobody && asking_ != i;  // it waits behind the step that asked
    Admission admission = behind ? Admission::waiting : setup_.hooks.admit(start.envelope->request, now, start.caller, error);
    if (admission == Admission::refused) return step_failed(i, error, now);
    if (admission == Admission::waiting) {
      s.parked = true;
      if (!behind) asking_ = i;
      return;
    }
  }
  apply_step_controls(step, start.controls);
  if (next_call_ == 0) next_call_ = 0x80000000u;  // wrapped: stay clear of host ids
  start.id = next_call_++;
  start.owner = setup_.id;
  start.request_id = setup_.request_id;
  start.tenant = setup_.tenant;
  start.trace = std::move(trace);
  s.call = start.id;
  s.status = StepState::Status::running;
  s.structured = structured(*setup_.config, step);
  exchange_.start(std::move(start), now);
}

// A step's call ended: its answer, or its failure through on_error.
void Run::settle(size_t i, double now) {
  StepState& s = steps_[i];
  s.ms = now - s.started;
  if (s.error) return step_failed(i, *s.error, now);
  s.status = StepState::Status::done;
  s.has_text = true;
  std::string error;
  auto doc = std::make_unique<json::Document>();
  if (!s.text.empty() && (s.text.front() == '{' || s.text.front() == '[') && json::parse(s.text, *doc, error))
    s.json = std::move(doc);
  report(i);
}

void Run::step_failed(size_t i, const Error& error, double now) {
  StepState& s = steps_[i];
  const config::PipelineStep& step = setup_.pipeline->steps[i];
  s.error = error;
  switch (step.on_error) {
    case config::OnError::fail:
      s.status = StepState::Status::failed;
      stop_running(now);
      return fail(step_error(step.id, error));
    case config::OnError::skip:
      s.status = StepState::Status::skipped;
      s.has_text = false;
      return report(i);
    case config::OnError::fallback_value: {
      s.status = StepState::Status::done;
      s.has_text = true;
      auto doc = std::make_unique<json::Document>();
      std::string reason;
      if (json::parse(step.fallback_value, *doc, reason)) {
        s.text.clear();
        if (doc->IsString()) s.text = json::view(*doc);
        else json::append_value(s.text, *doc);
        if (doc->IsObject() || doc->IsArray()) s.json = std::move(doc);
      }
      return report(i);
    }
  }
}

void Run::report(size_t i) {
  if (setup_.stream) event("step", step_object(steps_[i], setup_.pipeline->steps[i].id));
}

void Run::stop_running(double now) {
  for (StepState& s : steps_) {
    if (s.status != StepState::Status::running) continue;
    s.status = StepState::Status::waiting;  // never finished
    s.landed = false;
    exchange_.cancel(s.call, now);
  }
}

void Run::expire(double now) {
  if (over_) return;
  std::string running;
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i].status != StepState::Status::running && !steps_[i].parked) continue;
    running += running.empty() ? "" : ", ";
    running += setup_.pipeline->steps[i].id;
    if (steps_[i].parked) running += " (waiting for its key's budget)";
  }
  stop_running(now);
  int64_t ms = int64_t(setup_.pipeline->timeout_ms);
  fail({504, ErrorType::timeout,
        "pipeline '" + setup_.pipeline->name + "' did not finish within " + std::to_string(ms) +
            " ms (timeout_ms); still running: " + (running.empty() ? "none" : running),
        "pipeline_timeout", "timeout_ms"});
}

void Run::resume(double now) {
  if (over_ || asking_ == kNobody) return;
  asking_ = kNobody;
  // In step order: the one that asked first; a step that must wait again makes the rest wait
  // behind it.
  for (size_t i = 0; i < steps_.size() && !over_; ++i) {
    if (!steps_[i].parked) continue;
    steps_[i].parked = false;
    start_step(i, now);
  }
  mark_dirty();  // the gateway advances it after the event
}

void Run::mark_dirty() {
  if (!dirty_ && setup_.dirty_list) setup_.dirty_list->push_back(setup_.id);
  dirty_ = true;
}

void Run::cancel(double now) {
  if (over_) return;
  stop_running(now);
  over_ = true;
  ended(499, "cancelled");
}

void Run::succeed() {
  over_ = true;
  std::string body = answer_body(scope());
  ended(200, {}, body);
  if (!setup_.stream) return respond(200, "application/json", body);
  event("done", body);
  batch_.stream_end(setup_.id);
}

void Run::fail(const Error& error) {
  over_ = true;
  std::string body = error_with_steps(error, scope());
  ended(setup_.stream ? 200 : error.status, error.code_name(), body);
  if (!setup_.stream) return respond(error.status, "application/json", body);
  event("error", body);
  batch_.stream_end(setup_.id);
}

// Step i's span (traces on): started now, under the pipeline's root span; its context is the
// parent of the step call's attempt and cache spans. Empty when traces are off.
telemetry::Context Run::step_trace(size_t i, double now) {
  if (!setup_.tracer || !setup_.facts.trace.valid()) return {};
  spans_[i] = setup_.tracer->child(setup_.facts.trace, "step " + setup_.pipeline->steps[i].id, telemetry::Kind::internal, now);
  return {spans_[i].trace_id, spans_[i].span_id};
}

namespace {

const char* status_name(StepState::Status status) {
  switch (status) {
    case StepState::Status::done: return "done";
    case StepState::Status::skipped: return "skipped";
    case StepState::Status::failed: return "failed";
    default: return "cancelled";  // started, never finished
  }
}

const char* status_name(const StepState& s) { return s.parked ? "waiting" : status_name(s.status); }

}  // namespace

// The run is over (answered, failed or cancelled): each started step's span, then the request's
// log line and root span, with the steps' attempts, tokens and cost summed.
void Run::ended(int status, std::string_view error, std::string_view body) {
  if (!setup_.tracer) return;
  telemetry::RequestFacts& f = setup_.facts;
  double now = setup_.tracer->now();
  for (size_t i = 0; i < steps_.size(); ++i) {
    const StepState& s = steps_[i];
    f.attempts += s.attempts;
    f.prompt_tokens += s.usage.known ? s.usage.prompt_tokens : 0;
    f.completion_tokens += s.usage.known ? s.usage.completion_tokens : 0;
    if (s.usage.cost > 0) f.cost_usd += s.usage.cost;
    telemetry::Span& span = spans_[i];
    if (span.trace_id.empty()) continue;
    span.end_ms = s.finished() ? s.started + s.ms : now;
    span.add("switchyard.step", setup_.pipeline->steps[i].id);
    span.add("switchyard.step.status", status_name(s));
    if (!s.provider.empty()) span.add("switchyard.target", s.provider + "/" + s.model);
    span.add("switchyard.attempts", int64_t(s.attempts));
    span.add("switchyard.cache", s.cache);
    if (s.usage.known) {
      span.add("gen_ai.usage.input_tokens", s.usage.prompt_tokens);
      span.add("gen_ai.usage.output_tokens", s.usage.completion_tokens);
    }
    if (s.error && s.status != StepState::Status::done) {
      span.status = telemetry::Status::error;
      span.status_message = s.error->code_name();
      span.add("error.type", span.status_message);
    }
    setup_.tracer->record(std::move(span));
  }
  f.status = status;
  f.error = error;
  if (setup_.tracer->bodies()) f.answer_text = body;
  f.ended_ms = now;
  setup_.tracer->finish(f);
  setup_.tracer = nullptr;  // once
}

void Run::respond(int status, std::string_view content_type, const std::string& body) {
  std::string headers = "content-type: " + std::string(content_type) + "\nx-switchyard-request-id: " + setup_.request_id + "\n";
  if (setup_.stream) headers += "cache-control: no-cache\n";
  headers += setup_.headers;
  batch_.respond(setup_.id, status, setup_.stream, headers, body);
}

void Run::event(std::string_view name, const std::string& data) {
  std::string bytes = "event: " + std::string(name) + "\ndata: " + data + "\n\n";
  batch_.stream_chunk(setup_.id, bytes);
}

void Run::delta(std::string_view text) {
  std::string data = "{\"text\":";
  json::append_string(data, text);
  event("delta", data + "}");
}

}  // namespace sy::pipeline
