#include "telemetry/tracer.h"

#include <algorithm>
#include <limits>

namespace sy::telemetry {

void Tracer::install(const config::Telemetry& settings) {
  settings_ = settings;
  if (!tracing()) spans_.clear();
}

std::string Tracer::hex(int digits) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  while (int(out.size()) < digits) {
    uint64_t r = rng_.next() | 1;  // never all zero: OTLP treats a zero id as invalid
    for (int i = 0; i < 16 && int(out.size()) < digits; ++i, r >>= 4) out += kHex[r & 15];
  }
  return out;
}

Context Tracer::begin() {
  if (!tracing()) return {};
  Context c;
  c.trace_id = hex(32);
  c.span_id = hex(16);
  return c;
}

Span Tracer::child(const Context& parent, std::string name, Kind kind, double start) {
  Span s;
  s.trace_id = parent.trace_id;
  s.parent_id = parent.span_id;
  s.span_id = hex(16);
  s.attributes.reserve(8);
  s.name = std::move(name);
  s.kind = kind;
  s.start_ms = start;
  s.end_ms = start;
  return s;
}

void Tracer::record(Span span) {
  if (!tracing() || span.trace_id.empty()) return;
  if (spans_.empty()) first_unsent_ = now_;
  spans_.push_back(std::move(span));
}

Span Tracer::root_span(const RequestFacts& f) const {
  Span s;
  s.trace_id = f.trace.trace_id;
  s.span_id = f.trace.span_id;
  s.name = f.method + " " + f.path;
  s.kind = Kind::server;
  s.attributes.reserve(16);
  s.start_ms = f.started_ms;
  s.end_ms = f.ended_ms;
  s.add("http.request.method", f.method);
  s.add("url.path", f.path);
  s.add("http.response.status_code", int64_t(f.status));
  s.add("switchyard.request_id", f.request_id);
  if (!f.key.empty()) s.add("switchyard.key", f.key);
  if (!f.model.empty()) s.add("gen_ai.request.model", f.model);
  if (!f.target.empty()) s.add("switchyard.target", f.target);
  s.add("switchyard.attempts", int64_t(f.attempts));
  if (!f.cache.empty()) s.add("switchyard.cache", f.cache);
  if (!f.error.empty()) s.add("error.type", f.error);
  if (f.prompt_tokens || f.completion_tokens) {
    s.add("gen_ai.usage.input_tokens", f.prompt_tokens);
    s.add("gen_ai.usage.output_tokens", f.completion_tokens);
  }
  if (f.cost_usd > 0) s.add("switchyard.cost_usd", f.cost_usd);
  // OpenTelemetry's HTTP server rule: 5xx is an error of the server, 4xx is the caller's.
  bool failed = f.status >= 500 || (f.status < 400 && !f.error.empty());
  s.status = failed ? Status::error : f.status < 400 ? Status::ok : Status::unset;
  if (failed) s.status_message = f.error;
  return s;
}

void Tracer::finish(const RequestFacts& facts) {
  if (tracing() && facts.trace.valid()) record(root_span(facts));
  if (logging()) logs_.push_back(log_line(facts, bodies()));
}

void Tracer::take(double now, Outbox& out, bool flush_all) {
  for (auto& line : logs_) out.logs.push_back(std::move(line));
  logs_.clear();
  if (spans_.empty()) return;
  if (!flush_all && spans_.size() < kBatchSpans && now < first_unsent_ + kBatchDelayMs) return;
  std::string headers = "content-type: application/json\n";
  for (const auto& [name, value] : settings_.otlp.headers) headers += name + ": " + value + "\n";
  for (size_t at = 0; at < spans_.size(); at += kBatchSpans) {
    size_t n = std::min(kBatchSpans, spans_.size() - at);
    out.sends.push_back({settings_.otlp.endpoint + "/v1/traces", headers,
                         encode_otlp(std::span<const Span>(spans_.data() + at, n), "switchyard")});
  }
  spans_.clear();
}

double Tracer::next_deadline() const {
  return spans_.empty() ? std::numeric_limits<double>::infinity() : first_unsent_ + kBatchDelayMs;
}

}  // namespace sy::telemetry
