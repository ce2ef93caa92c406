// POST /v1/pipelines/{name}: the input object checked, the run set up with the caller's key and
// controls (pipeline/run.h runs it), and pipelines moved on after each event.
#include "gateway/controls.h"
#include "gateway/gateway.h"
#include "gateway/reservation.h"

namespace sy::gateway {

namespace {

Error bad_input(std::string message, std::string param = {}) {
  return {400, ErrorType::invalid_request, std::move(message), "invalid_input", std::move(param)};
}

// The body as the pipeline's input: a JSON object whose `stream` (a boolean) and `switchyard`
// (controls) members are taken out.
bool read_input(std::string_view body, json::Document& input, bool& stream, std::shared_ptr<json::Document>& controls,
                Error& error) {
  std::string reason;
  if (!json::valid_utf8(body)) return error = bad_input("request body is not valid UTF-8"), false;
  if (!json::parse(body.empty() ? std::string_view("{}") : body, input, reason))
    return error = {400, ErrorType::invalid_request, "request body is not valid JSON: " + reason, "invalid_json"}, false;
  if (!input.IsObject()) return error = bad_input("pipeline input must be a JSON object"), false;
  if (const json::Value* s = json::find(input, "stream")) {
    if (!s->IsBool()) return error = bad_input("stream must be a boolean", "stream"), false;
    stream = s->GetBool();
    input.RemoveMember("stream");
  }
  if (const json::Value* c = json::find(input, "switchyard")) {
    controls = std::make_shared<json::Document>();
    controls->CopyFrom(*c, controls->GetAllocator());
    input.RemoveMember("switchyard");
  }
  return true;
}

}  // namespace

void Gateway::pipeline_request(uint32_t id, Pending& p, double now) {
  const config::Pipeline* pipeline = runtime_->config->find_pipeline(p.name);
  if (!pipeline)
    return respond(id, p, {404, ErrorType::invalid_request, "unknown pipeline \"" + p.name + "\"", "pipeline_not_found"});
  Error error;
  if (!within_budget(*runtime_, p.key, error)) return respond(id, p, error);
  pipeline::Setup setup;
  std::shared_ptr<json::Document> body_controls;
  if (!read_input(p.body, setup.input, setup.stream, body_controls, error)) return respond(id, p, error);
  exchange::Controls probe;
  if (!read_controls(p.headers, body_controls.get(), probe, error)) return respond(id, p, error);
  std::shared_ptr<Runtime> rt = runtime_;
  int key = p.key;
  setup.hooks.controls = [headers = p.headers, body_controls](exchange::Controls& out, Error& e) {
    return read_controls(headers, body_controls.get(), out, e);
  };
  // A step's reservation is made for the pipeline's request (`id`); one step of a run asks at a
  // time (pipeline::Hooks), so the budgets see at most one waiting reservation per request.
  setup.hooks.admit = [rt, key, id](const model::Request& request, double at, std::unique_ptr<exchange::Caller>& caller,
                                 Error& e) {
    using pipeline::Admission;
    if (key < 0) return Admission::admitted;
    if (!allows_model(*rt, key, request.model, e)) return Admission::refused;
    Estimate cost = estimate(*rt->config, request);
    Verdict verdict = reserve(*rt, key, cost.usd, at, e, id);
    if (verdict.kind == Verdict::Kind::pending) return Admission::waiting;  // budget_ready() resumes the run
    if (verdict.kind != Verdict::Kind::admitted) return Admission::refused;
    caller = std::make_unique<Charged>(std::move(caller), rt, key, cost, at);
    return Admission::admitted;
  };
  setup.key = key;
  setup.id = id;
  setup.request_id = p.request_id;
  setup.tenant = tenant(key);
  setup.headers = p.cors;
  setup.config = runtime_->config;
  setup.pipeline = pipeline;
  if (tracer_ && (tracer_->logging() || p.trace.valid())) {  // its log line and spans (pipeline/run.h)
    setup.tracer = tracer_;
    setup.facts = facts_of(p);
    setup.facts.stream = setup.stream;
    if (tracer_->bodies()) setup.facts.request_text = p.body;
  }
  setup.dirty_list = &dirty_runs_;
  auto run = std::make_unique<pipeline::Run>(exchange_, batch_, next_step_call_, std::move(setup));
  pipeline::Run& started = *run;
  auto it = runs_.insert_or_assign(id, std::move(run)).first;
  started.begin(now);  // sets its deadline
  if (started.deadline() != exchange::kNever) run_deadlines_.insert({started.deadline(), id});
  if (started.over()) end_run(it);
}

// Until no run is dirty: advancing one run can settle another's step (a single-flight follower).
void Gateway::after_event(double now) {
  while (!dirty_runs_.empty()) {
    std::vector<uint32_t> ids;
    ids.swap(dirty_runs_);
    for (uint32_t id : ids) {
      auto it = runs_.find(id);
      if (it == runs_.end() || !it->second->dirty()) continue;
      it->second->advance(now);
      if (it->second->over()) end_run(it);
    }
  }
}

void Gateway::end_run(Runs::iterator run) {
  run_deadlines_.erase({run->second->deadline(), run->first});
  runs_.erase(run);
}

}  // namespace sy::gateway
