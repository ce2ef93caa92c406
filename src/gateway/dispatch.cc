// A complete request, dispatched by route: model requests to the exchange through their ingress
// codec, the gateway's own routes (model list, stats, metrics) answered here.
#include <algorithm>

#include "base/url.h"
#include "cache/key.h"
#include "gateway/controls.h"
#include "gateway/gateway.h"
#include "gateway/reservation.h"
#include "gateway/responder.h"
#include "stats/prometheus.h"

namespace sy::gateway {

namespace {

void append_model(std::string& out, std::string_view id) {
  out += "{\"id\":";
  json::append_string(out, id);
  out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"switchyard\"}";
}

}  // namespace

void Gateway::dispatch(uint32_t id, Pending& p, double now) {
  switch (p.route->handler) {
    case Handler::models:
      if (query_param(p.query, "provider").empty()) return respond(id, p, 200, "application/json", models_list(p.key));
      return model_request(id, p, now);
    case Handler::stats:
      return respond(id, p, 200, "application/json", stats(false, now));
    case Handler::metrics:
      return respond(id, p, 200, "text/plain; version=0.0.4", stats(true, now));
    case Handler::key:
      if (p.key < 0)
        return respond(id, p, {404, ErrorType::invalid_request,
                               "this gateway has no keys configured: GET /v1/key describes the calling key", "no_keys"});
      if (!runtime_->budgets->view_ready(p.key, now, id)) {  // the shared object's numbers first
        p.waits_for_budget = true;
        pending_.insert_or_assign(id, std::move(p));
        return;
      }
      return respond(id, p, 200, "application/json", key_info(*runtime_, p.key));
    case Handler::cache:
      return cache_route(id, p, now);
    case Handler::pipelines:
      return pipeline_request(id, p, now);
    case Handler::model:
      return model_entry(id, p);
    case Handler::chat:
    case Handler::responses:
    case Handler::messages:
    case Handler::count_tokens:
    case Handler::embeddings:
    case Handler::images:
    case Handler::services:
      return model_request(id, p, now);
    case Handler::health:
      return;  // answered at begin()
  }
}

// Parses the request with its codec. On a problem returns false with the error to answer.
bool Gateway::decode(Pending& p, model::Envelope& env, Error& error) {
  const config::Config& config = *runtime_->config;
  bool listing = p.route->handler == Handler::models;
  std::string provider = listing ? query_param(p.query, "provider") : std::string();
  if (listing && config.find_provider(provider) < 0) {
    error = {404, ErrorType::invalid_request, "unknown provider \"" + provider + "\"", "provider_not_found", "provider"};
    return false;
  }
  env.text = std::move(p.body);
  ingress::DecodeArgs args{config, listing ? std::string_view(provider) : std::string_view(p.name)};
  return codec_of(p.route->handler)->decode(env, args, error);
}

// Reads Switchyard's controls and the provider preferences of a decoded request, and checks the
// key's models. On a problem returns false with the error to answer.
bool Gateway::prepare(const Pending& p, const model::Request& r, exchange::Start& start, Error& error) {
  if (!read_controls(p.headers, r.controls, start.controls, error)) return false;
  std::string param, message;
  if (r.routing.provider && !routing::parse_preferences(*r.routing.provider, start.preferences, param, message)) {
    error = {400, ErrorType::invalid_request, std::move(message), "invalid_request", std::move(param)};
    return false;
  }
  if (p.route->handler != Handler::models && !allows_model(*runtime_, p.key, r.model, error)) return false;
  return true;
}

// After the key's budget (a provider's model list costs nothing): with the cache on, a request to
// the exchange whose bytes were seen before skips its decode and its cache key
// (gateway/repeats.h); one not seen before is kept for its repeats.
void Gateway::model_request(uint32_t id, Pending& p, double now) {
  Error error;
  Handler handler = p.route->handler;
  if (handler != Handler::models && !within_budget(*runtime_, p.key, error)) return respond(id, p, error);
  Repeats::Bytes bytes{int(handler), p.key, p.name, p.body};
  bool repeatable = runtime_->config->cache.enabled && handler != Handler::models &&
                    handler != Handler::count_tokens && Repeats::takes(bytes);
  uint64_t sketch = 0;
  if (repeatable) {
    sketch = Repeats::sketch_of(bytes);
    if (const Decoded* seen = runtime_->repeats.find(bytes, sketch)) return launch(id, p, *seen, now);
  }
  std::string raw = repeatable ? p.body : std::string();  // decode() parses the body in place
  auto env = std::make_unique<model::Envelope>();
  if (!decode(p, *env, error)) return respond(id, p, error);
  if (handler == Handler::count_tokens) return count_tokens(id, p, env->request);
  if (const ingress::Conversations* kept = codec_of(handler)->conversations) {
    std::vector<ingress::Reference> references;
    kept->references(*env, references);
    if (!references.empty()) return recall(id, p, std::move(env), std::move(references), now);
  }
  Decoded decoded{std::move(env), std::nullopt};
  if (repeatable) {
    decoded.key = cache::key_of(decoded.envelope->request, tenant(p.key));
    runtime_->repeats.keep(int(handler), p.key, p.name, std::move(raw), sketch, decoded);
  }
  launch(id, p, std::move(decoded), now);
}

// Hands a decoded request to the exchange, answered by a Responder in the route's format, once its
// worst-case cost is reserved against the key's budget (the request waits when the budgets must
// ask the host first: budget_ready() brings it back here). Once launched, p's request id and CORS
// headers have moved to the Responder: callers drop p.
void Gateway::launch(uint32_t id, Pending& p, Decoded decoded, double now) {
  exchange::Start start;
  Error error;
  const model::Envelope* env = decoded.envelope.get();
  if (!prepare(p, env->request, start, error)) return respond(id, p, error);
  // Only a key is charged (a provider's model list costs nothing): without one, nothing to estimate.
  bool charged = p.key >= 0 && p.route->handler != Handler::models;
  Estimate cost = charged ? estimate(*runtime_->config, env->request) : Estimate{};
  Verdict verdict = reserve(*runtime_, charged ? p.key : -1, cost.usd, now, error, id);
  if (verdict.kind == Verdict::Kind::pending) {
    p.decoded = std::move(decoded);
    p.waits_for_tier = false;  // whatever it waited for before (conversations) has arrived
    p.waits_for_budget = true;
    pending_.insert_or_assign(id, std::move(p));
    return;
  }
  if (verdict.kind != Verdict::Kind::admitted) return respond(id, p, error);
  const model::Request* request = &env->request;
  bool traced = tracer_ && (tracer_->logging() || p.trace.valid());
  telemetry::RequestFacts facts;
  if (traced) {
    facts = facts_of(p);
    facts.model = request->model;
    facts.stream = request->stream;
    if (tracer_->bodies()) facts.request_text = env->text;
  }
  start.id = id;
  start.request_id = p.request_id;
  start.envelope = std::move(decoded.envelope);
  start.key = decoded.key;
  start.tenant = tenant(p.key);
  start.trace = p.trace;
  Keeping keeping{exchange_.has_tier(), start.tenant};
  auto responder = std::make_unique<Responder>(batch_, id, std::move(p.request_id), *codec_of(p.route->handler), std::move(p.cors),
                                               request, int64_t(now / 1000), keeping);
  if (traced) responder->trace(tracer_, std::move(facts));
  if (charged)
    start.caller = std::make_unique<Charged>(std::move(responder), runtime_, p.key, cost, now);
  else
    start.caller = std::move(responder);
  exchange_.start(std::move(start), now);
}

// The key's budgets have the host's answer: the requests parked on that key try again, by id.
void Gateway::budget_ready(int key, double now) {
  std::vector<uint32_t> parked;
  for (const auto& [id, p] : pending_)
    if (p.waits_for_budget && p.key == key) parked.push_back(id);
  std::sort(parked.begin(), parked.end());
  for (uint32_t id : parked) {
    auto it = pending_.find(id);
    if (it == pending_.end() || !it->second.waits_for_budget) continue;
    Pending p = std::move(it->second);
    pending_.erase(it);
    p.waits_for_budget = false;
    if (p.waits_for_rate) {  // its key's shared rpm answered
      if (rate_counted(id, p, now)) dispatch(id, p, now);
    } else if (p.route->handler == Handler::key) dispatch(id, p, now);  // GET /v1/key
    else launch(id, p, std::move(p.decoded), now);
  }
  // Pipelines whose next step waits for this key's budget ask again (pipeline::Run::resume).
  for (auto& [id, run] : runs_)
    if (run->waiting() && run->key() == key) run->resume(now);
}

std::string Gateway::tenant(int key) const {
  return key >= 0 ? runtime_->config->keys[size_t(key)].key : std::string();
}

// POST /v1/messages/count_tokens: the prompt-size estimate the core routes and limits by.
void Gateway::count_tokens(uint32_t id, const Pending& p, const model::Request& request) {
  Error error;
  if (!allows_model(*runtime_, p.key, request.model, error)) return respond(id, p, error);
  respond(id, p, 200, "application/json", "{\"input_tokens\":" + std::to_string(model::prompt_tokens(request)) + "}");
}

// The model ids the key may use: configured model names, then provider/model targets.
std::vector<std::string> Gateway::model_ids(int key) const {
  const config::Config& config = *runtime_->config;
  std::vector<std::string> names, allowed;
  for (const auto& m : config.models) names.push_back(m.name);
  for (const auto& t : config.targets) names.push_back(config.providers[size_t(t.provider)].name + "/" + t.model);
  Error ignored;
  for (auto& name : names)
    if (allows_model(*runtime_, key, name, ignored)) allowed.push_back(std::move(name));
  return allowed;
}

// GET /v1/models: the configured models and targets the key may use.
std::string Gateway::models_list(int key) const {
  std::string out = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (const auto& id : model_ids(key)) {
    if (!first) out += ',';
    first = false;
    append_model(out, id);
  }
  return out + "]}";
}

// GET /v1/models/{id}: one entry of that list.
void Gateway::model_entry(uint32_t id, const Pending& p) {
  for (const auto& model : model_ids(p.key)) {
    if (model != p.name) continue;
    std::string out;
    append_model(out, model);
    return respond(id, p, 200, "application/json", std::move(out));
  }
  respond(id, p, {404, ErrorType::invalid_request, "The model '" + p.name + "' does not exist", "model_not_found", "model"});
}

// GET /v1/stats (JSON) and GET /metrics (Prometheus text).
std::string Gateway::stats(bool prometheus, double now) const {
  stats::View view;
  if (const auto& rt = exchange_.runtime()) {
    const config::Config& config = *rt->config;
    for (auto& t : rt->targets)
      view.targets.push_back({config.providers[size_t(t.provider)].name + "/" + t.model, &t.stats,
                              health::breaker_state_name(t.breaker.state(now, config.breaker.cooldown_ms)),
                              t.outstanding});
    auto s = rt->cache.stats();
    view.cache = {s.entries, s.bytes, s.hits, s.misses, s.evictions};
    view.metrics = &rt->metrics;
    for (const auto& k : config.keys) view.keys.push_back(k.name);
  }
  return prometheus ? stats::render_prometheus(view) : stats::render_json(view);
}

}  // namespace sy::gateway
