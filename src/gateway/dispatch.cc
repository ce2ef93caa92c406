// A complete request, dispatched by route: model requests to the exchange through their ingress
// codec, the gateway's own routes (model list, stats, metrics) answered here.
#include <algorithm>

#include "base/url.h"
#include "gateway/controls.h"
#include "gateway/gateway.h"
#include "gateway/responder.h"
#include "stats/stats.h"

namespace sy::gateway {

void Gateway::dispatch(uint32_t id, Pending& p, double now) {
  switch (p.route->handler) {
    case Handler::models:
      if (query_param(p.query, "provider").empty()) return respond(id, p, 200, "application/json", models_list(p.key));
      return model_request(id, p, now);
    case Handler::stats:
      return respond(id, p, 200, "application/json", stats(false, now));
    case Handler::metrics:
      return respond(id, p, 200, "text/plain; version=0.0.4", stats(true, now));
    case Handler::cache:
      return cache_route(id, p, now);
    case Handler::pipelines:
      return respond(id, p, {501, ErrorType::invalid_request, "pipelines are not implemented yet", "not_implemented"});
    case Handler::chat:
    case Handler::embeddings:
    case Handler::services:
      return model_request(id, p, now);
    case Handler::health:
      return;  // answered at begin()
  }
}

// Parses the request with its codec, reads Switchyard's controls and the provider preferences,
// and checks the key's budget and models. On a problem returns false with the error to answer.
bool Gateway::prepare(Pending& p, model::Envelope& env, exchange::Start& start, Error& error) {
  const config::Config& config = *runtime_->config;
  bool listing = p.route->handler == Handler::models;
  if (!listing && !within_budget(*runtime_, p.key, error)) return false;
  std::string provider = listing ? query_param(p.query, "provider") : std::string();
  if (listing && config.find_provider(provider) < 0) {
    error = {404, ErrorType::invalid_request, "unknown provider \"" + provider + "\"", "provider_not_found", "provider"};
    return false;
  }
  env.text = std::move(p.body);
  ingress::DecodeArgs args{config, listing ? std::string_view(provider) : std::string_view(p.name)};
  if (!codec_of(p.route->handler)->decode(env, args, error)) return false;
  const model::Request& r = env.request;
  if (!read_controls(p.headers, r.controls, start.controls, error)) return false;
  std::string param, message;
  if (r.routing.provider && !routing::parse_preferences(*r.routing.provider, start.preferences, param, message)) {
    error = {400, ErrorType::invalid_request, std::move(message), "invalid_request", std::move(param)};
    return false;
  }
  if (!listing && !allows_model(*runtime_, p.key, r.model, error)) return false;
  return true;
}

void Gateway::model_request(uint32_t id, Pending& p, double now) {
  auto env = std::make_unique<model::Envelope>();
  exchange::Start start;
  Error error;
  if (!prepare(p, *env, start, error)) return respond(id, p, error);
  const model::Request* request = &env->request;
  start.id = id;
  start.request_id = p.request_id;
  start.envelope = std::move(env);
  start.tenant = p.key >= 0 ? runtime_->config->keys[size_t(p.key)].key : std::string();
  start.caller = std::make_unique<Responder>(batch_, id, p.request_id, *codec_of(p.route->handler), runtime_, p.key,
                                             std::move(p.cors), request, int64_t(now / 1000));
  exchange_.start(std::move(start), now);
}

// GET /v1/models: the configured models and targets the key may use.
std::string Gateway::models_list(int key) const {
  const config::Config& config = *runtime_->config;
  std::vector<std::string> names;
  for (const auto& m : config.models) names.push_back(m.name);
  for (const auto& t : config.targets) names.push_back(config.providers[size_t(t.provider)].name + "/" + t.model);
  std::string out = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  Error ignored;
  for (const auto& name : names) {
    if (!allows_model(*runtime_, key, name, ignored)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    json::append_string(out, name);
    out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"switchyard\"}";
  }
  return out + "]}";
}

// GET /v1/stats (JSON) and GET /metrics (Prometheus text).
std::string Gateway::stats(bool prometheus, double now) const {
  std::vector<stats::TargetRow> rows;
  stats::CacheRow cache{};
  if (const auto& rt = exchange_.runtime()) {
    const config::Config& config = *rt->config;
    for (auto& t : rt->targets)
      rows.push_back({config.providers[size_t(t.provider)].name + "/" + t.model, &t.stats,
                      health::breaker_state_name(t.breaker.state(now, config.breaker.cooldown_ms)), t.outstanding});
    auto s = rt->cache.stats();
    cache = {s.entries, s.bytes, s.hits, s.misses, s.evictions};
  }
  return prometheus ? stats::render_prometheus(rows, cache) : stats::render_json(rows, cache);
}

}  // namespace sy::gateway
