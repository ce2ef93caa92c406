// Telemetry in the core: trace and span ids from the engine's seeded Rng, finished spans batched
// until 64 are waiting or 1 s passed since the first unsent one (a deadline on the engine's one
// timer) or the engine has no request left in flight (then no host holds a timer: the edge
// worker's timers live in request contexts), then handed out as one OTLP/HTTP JSON request for
// the host to SEND; and one JSON log line per finished request. The tracer does no I/O: the engine drains it after every event
// (take()) into SEND and LOG actions. The host reports nothing back, so nothing here waits:
// a slow or unreachable collector never delays an answer, and spans it lost are not resent.
#pragma once

#include <string>
#include <vector>

#include "base/rng.h"
#include "config/config.h"
#include "telemetry/request.h"
#include "telemetry/span.h"

namespace sy::telemetry {

inline constexpr size_t kBatchSpans = 64;
inline constexpr double kBatchDelayMs = 1000;

// An OTLP export for the host to send (POST, fire and forget).
struct Send {
  std::string url;
  std::string headers;  // "name: value\n" lines
  std::string body;
};

struct Outbox {
  std::vector<std::string> logs;
  std::vector<Send> sends;
};

class Tracer {
 public:
  explicit Tracer(Rng& rng) : rng_(rng) {}

  // The config's telemetry section; spans already recorded go to the new endpoint (none: dropped).
  void install(const config::Telemetry& settings);
  bool tracing() const { return !settings_.otlp.endpoint.empty(); }
  bool logging() const { return settings_.json_logs; }
  // Whether a finished request's facts should carry its request and answer text.
  bool bodies() const { return settings_.json_logs && settings_.log_bodies; }

  // The time of the event being handled: the engine sets it before every event, so that parts
  // told of an end without a time (a Caller) can still stamp it.
  void set_now(double now) { now_ = now; }
  double now() const { return now_; }

  // A new trace for a caller request (its root span id included); empty when traces are off.
  Context begin();
  // A span under `parent` (ids filled in, started at `start`); record() it once it ended.
  Span child(const Context& parent, std::string name, Kind kind, double start);
  void record(Span span);
  // A caller request ended: its root span (with traces on) and its log line (with logs on).
  void finish(const RequestFacts& facts);

  // Moves what is ready into `out`: every log line, and the spans due for export (64 waiting,
  // or the first unsent one 1 s old, or `flush_all`).
  void take(double now, Outbox& out, bool flush_all = false);
  // When take() has spans to export even if no other span arrives, or +infinity.
  double next_deadline() const;
  size_t unsent() const { return spans_.size(); }

 private:
  std::string hex(int digits);
  Span root_span(const RequestFacts& facts) const;

  Rng& rng_;
  config::Telemetry settings_;
  double now_ = 0;
  std::vector<Span> spans_;
  double first_unsent_ = 0;  // when the oldest unsent span was recorded
  std::vector<std::string> logs_;
};

}  // namespace sy::telemetry
