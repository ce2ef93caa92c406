// Requests in: head (route, CORS, keys), body (limit, deadline), end (dispatch by route).
#include "gateway/gateway.h"

#include <algorithm>
#include <cmath>

#include "base/headers.h"
#include "base/url.h"
#include "json/json.h"
#include "gateway/cors.h"
#include "gateway/responder.h"

namespace sy::gateway {

namespace {

const exchange::Meta kNoTarget{{}, 0, "BYPASS"};

Error too_large(const config::Gateway& settings) {
  return {413, ErrorType::invalid_request,
          "request body is larger than " + std::to_string(settings.max_body_bytes) + " bytes (gateway.max_body_bytes)",
          "body_too_large"};
}

}  // namespace

Gateway::Gateway(Rng& rng, exchange::ActionBatch& batch, exchange::Exchange& exchange)
    : rng_(rng), batch_(batch), exchange_(exchange) {}

void Gateway::install(std::shared_ptr<const config::Config> config) {
  runtime_ = std::make_shared<Runtime>(std::move(config));
}

void Gateway::use_budgets(std::unique_ptr<Budgets> budgets) {
  budgets->on_ready([this](int key, double now) { budget_ready(key, now); });
  runtime_->budgets = std::move(budgets);
}

std::string Gateway::new_request_id() {
  static const char hex[] = "0123456789abcdef";
  char id[20] = {'r', 'e', 'q', '_'};  // written whole, then one string (no append per digit)
  uint64_t r = rng_.next();
  for (int i = 0; i < 16; ++i, r >>= 4) id[4 + i] = hex[r & 15];
  return std::string(id, sizeof id);
}

void Gateway::respond(uint32_t id, const Pending& p, int status, std::string_view content_type, std::string body,
                      std::string_view extra_headers) {
  answer(id, p, status, content_type, std::move(body), extra_headers);
  ended(p, status, {});
}

void Gateway::answer(uint32_t id, const Pending& p, int status, std::string_view content_type, std::string body,
                     std::string_view extra_headers) {
  std::string h = answer_headers(content_type, p.request_id, kNoTarget);
  h.append(extra_headers);
  h += p.cors;
  batch_.respond(id, uint32_t(status), false, h, body);
}

// What telemetry knows of a request from its head.
telemetry::RequestFacts Gateway::facts_of(const Pending& p) const {
  telemetry::RequestFacts f;
  f.request_id = p.request_id;
  f.method = p.method;
  f.path = p.path;
  if (p.key >= 0 && runtime_) f.key = runtime_->config->keys[size_t(p.key)].name;
  f.started_ms = p.started;
  f.trace = p.trace;
  return f;
}

// A request the gateway answered itself: its log line and root span.
void Gateway::ended(const Pending& p, int status, std::string_view error) {
  if (!tracer_ || (!tracer_->logging() && !p.trace.valid())) return;
  telemetry::RequestFacts f = facts_of(p);
  f.status = status;
  f.error = error;
  f.ended_ms = tracer_->now();
  tracer_->finish(f);
}

// An error answered by the gateway itself, in the shape of the route's format.
void Gateway::respond(uint32_t id, const Pending& p, const Error& error) {
  std::string extra;
  if (error.status == 401) extra += "www-authenticate: Bearer\n";
  if (error.status == 405 && p.route) extra += "allow: " + std::string(p.route->methods) + "\n";
  if (error.retry_after_s >= 0) extra += "retry-after: " + std::to_string(int64_t(std::ceil(error.retry_after_s))) + "\n";
  const ingress::Codec* codec = p.route ? codec_of(p.route->handler) : nullptr;
  // Every refusal the gateway answers itself counts in /metrics (target "-"), whatever the
  // route: an unknown route's 404 and a wrong method's 405 too.
  if (exchange_.runtime()) exchange_.runtime()->metrics.refused(error.status);
  answer(id, p, error.status, "application/json", codec ? codec->error(error) : error_body(error), extra);
  ended(p, error.status, error.code);
}

void Gateway::begin(uint32_t id, std::string_view method, std::string_view target, std::string_view headers,
                    double now) {
  drop(id);  // a host reusing an id starts afresh
  if (auto run = runs_.find(id); run != runs_.end()) {
    run->second->cancel(now);
    end_run(run);
  }
  Pending p;
  p.request_id = new_request_id();
  p.method = method;
  p.headers = headers;
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (tracer_ && runtime_ && (tracer_->logging() || tracer_->tracing())) {
    p.path = path;
    p.started = now;
    p.trace = tracer_->begin();
  }
  if (question != std::string_view::npos) p.query = target.substr(question + 1);
  const config::Gateway* settings = runtime_ ? &runtime_->config->gateway : nullptr;
  if (method == "OPTIONS") {
    // A CORS preflight (never credentialed): allowed origins get the CORS answer.
    std::string allow = settings ? cors_headers(*settings, headers, true) : std::string();
    if (!header(headers, "origin").empty() && allow.empty())
      return respond(id, p, {403, ErrorType::auth, "this origin may not call the gateway (gateway.cors)",
                             "origin_not_allowed"});
    batch_.respond(id, 204, false, "allow: GET, POST, PUT, DELETE, OPTIONS\n" + allow, {});
    return ended(p, 204, {});  // its log line and span, like any request's
  }
  if (settings) p.cors = cors_headers(*settings, headers, false);
  std::string_view name;
  p.route = find_route(path, name);
  p.name = percent_decode(name);
  if (p.route && p.route->handler == Handler::health) {
    if (!allows(*p.route, method)) return respond(id, p, {405, ErrorType::invalid_request, "method not allowed; use GET", "method_not_allowed"});
    return respond(id, p, 200, "application/json", runtime_ ? "{\"status\":\"ok\"}" : "{\"status\":\"unconfigured\"}");
  }
  if (!runtime_) return respond(id, p, {503, ErrorType::internal, "the gateway has no valid configuration", "not_configured"});
  Error error;
  if (!authenticate(*runtime_, headers, now, p.key, error)) return respond(id, p, error);
  if (!p.route)
    return respond(id, p, {404, ErrorType::invalid_request, "no route " + std::string(method) + " " + std::string(path),
                           "route_not_found"});
  if (!allows(*p.route, method))
    return respond(id, p, {405, ErrorType::invalid_request, "method not allowed; use " + std::string(p.route->methods),
                           "method_not_allowed"});
  if (content_length(header(headers, "content-length")) > double(settings->max_body_bytes))
    return respond(id, p, too_large(*settings));
  if (p.key >= 0 && runtime_->budgets->shares_rpm(p.key)) {  // counted by the key's shared object
    Verdict verdict = count_call(*runtime_, p.key, now, error, id);
    if (verdict.kind == Verdict::Kind::pending) p.waits_for_rate = true;  // its body arrives meanwhile
    else if (verdict.kind != Verdict::Kind::admitted) return respond(id, p, error);
  }
  p.deadline = now + settings->body_timeout_ms;
  deadlines_.insert({p.deadline, id});
  pending_.emplace(id, std::move(p));
}

void Gateway::body(uint32_t id, std::string_view bytes, double) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.past_body()) return;
  Pending& p = it->second;
  const config::Gateway& settings = runtime_->config->gateway;
  if (p.body.size() + bytes.size() > settings.max_body_bytes) {
    respond(id, p, too_large(settings));
    return drop(id);
  }
  p.body.append(bytes);
}

void Gateway::end(uint32_t id, double now) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.past_body()) return;
  deadlines_.erase({it->second.deadline, id});
  auto node = pending_.extract(it);  // out of the table without moving the request
  Pending& p = node.mapped();
  if (p.waits_for_rate && !rate_counted(id, p, now)) return;
  dispatch(id, p, now);
}

// A request whose key's shared rpm had not answered by its end: true once admitted; else it was
// answered (429, 503) or parked until the key's budgets call ready (budget_ready()).
bool Gateway::rate_counted(uint32_t id, Pending& p, double now) {
  Error error;
  Verdict verdict = count_call(*runtime_, p.key, now, error, id);
  if (verdict.kind == Verdict::Kind::admitted) {
    p.waits_for_rate = false;
    return true;
  }
  if (verdict.kind != Verdict::Kind::pending) {
    respond(id, p, error);
    return false;
  }
  p.waits_for_budget = true;
  pending_.insert_or_assign(id, std::move(p));
  return false;
}

bool Gateway::cancel(uint32_t id, double now) {
  if (auto run = runs_.find(id); run != runs_.end()) {
    run->second->cancel(now);
    end_run(run);
    return true;
  }
  if (!pending_.count(id)) return false;
  drop(id);
  return true;
}

void Gateway::drop(uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (!it->second.past_body()) deadlines_.erase({it->second.deadline, id});
  if (it->second.waits_for_rate) runtime_->budgets->forget(id);
  pending_.erase(it);
}

void Gateway::timer(double now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    uint32_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    int64_t ms = int64_t(runtime_->config->gateway.body_timeout_ms);
    respond(id, it->second, {408, ErrorType::timeout,
                             "the request body did not arrive within " + std::to_string(ms) + " ms (gateway.body_timeout_ms)",
                             "body_timeout"});
    if (it->second.waits_for_rate) runtime_->budgets->forget(id);
    pending_.erase(it);
  }
  while (!run_deadlines_.empty() && run_deadlines_.begin()->first <= now) {
    auto run = runs_.find(run_deadlines_.begin()->second);
    if (run == runs_.end()) {  // never: a run leaves both at once (end_run)
      run_deadlines_.erase(run_deadlines_.begin());
      continue;
    }
    run->second->expire(now);  // over: answered with its 504
    end_run(run);
  }
  after_event(now);
}

double Gateway::next_deadline() const {
  double at = deadlines_.empty() ? exchange::kNever : deadlines_.begin()->first;
  return run_deadlines_.empty() ? at : std::min(at, run_deadlines_.begin()->first);
}

}  // namespace sy::gateway
