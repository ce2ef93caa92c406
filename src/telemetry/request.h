// What is known of one caller request once it finished: the facts of its log line and of its
// trace's root span. Never the gateway key itself (only its name), never a provider key; the
// request and answer text only when the config says log_bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sy::telemetry {

// A request's place in its trace: every span of the request shares trace_id; span_id is its
// root span (the parent of its attempt and cache spans). Empty when traces are off.
struct Context {
  std::string trace_id;
  std::string span_id;
  bool valid() const { return !trace_id.empty(); }
};

struct RequestFacts {
  std::string request_id;  // "req_…"
  std::string method;
  std::string path;
  std::string key;     // the gateway key's name; empty without keys
  std::string model;   // as the caller asked
  std::string target;  // provider/model that answered (or was tried last)
  int attempts = 0;
  std::string cache;  // HIT, MISS, BYPASS, COALESCED; empty when the request never reached the exchange
  int status = 0;     // the caller's status; 499 when the caller went away first
  std::string error;  // the error code of a failed request (or of a stream that ended in an error)
  bool stream = false;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost_usd = 0;
  double started_ms = 0;
  double ended_ms = 0;
  std::string request_text;  // log_bodies only
  std::string answer_text;   // log_bodies only
  Context trace;
};

// One JSON log line (no trailing newline): {"type":"request","request_id",…,"ms"}.
std::string log_line(const RequestFacts& facts, bool bodies);

}  // namespace sy::telemetry
