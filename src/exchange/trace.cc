// Telemetry of a call: a span per upstream attempt (a client span: its target, upstream status,
// outcome, and why it was made when it is a retry or a fallback) and per cache lookup (L1, the
// host's tier, a single-flight wait), all children of the request's root span.
#include "exchange/call.h"

namespace sy::exchange {

void Exchange::trace_attempt(Call& c, bool success) {
  const routing::Leaf& leaf = c.current();
  const config::Provider& provider = c.rt->config->providers[size_t(leaf.provider)];
  std::string target = provider.name + "/" + std::string(leaf.model);
  telemetry::Span s = tracer_->child(c.trace, "attempt " + target, telemetry::Kind::client, c.attempt_started);
  s.end_ms = now_;
  s.add("switchyard.attempt", int64_t(c.attempts));
  s.add("switchyard.target", target);
  s.add("switchyard.provider", provider.name);
  s.add("gen_ai.request.model", std::string_view(leaf.model));
  if (c.upstream_status > 0) s.add("http.response.status_code", int64_t(c.upstream_status));
  std::string_view outcome = success ? std::string_view("success") : c.failure.empty() ? "aborted" : c.failure;
  s.add("switchyard.outcome", outcome);
  if (!c.retry_reason.empty()) s.add("switchyard.retry_reason", c.retry_reason);
  s.status = success ? telemetry::Status::ok : telemetry::Status::error;
  if (!success) s.status_message = outcome;
  tracer_->record(std::move(s));
  c.retry_reason = success ? std::string_view() : outcome;
  c.failure = {};
}

void Exchange::trace_lookup(Call& c, std::string_view tier, std::string_view result, double started) {
  telemetry::Span s = tracer_->child(c.trace, "cache " + std::string(tier), telemetry::Kind::internal, started);
  s.end_ms = now_;
  s.add("switchyard.cache.tier", tier);
  s.add("switchyard.cache.result", result);
  tracer_->record(std::move(s));
}

}  // namespace sy::exchange
