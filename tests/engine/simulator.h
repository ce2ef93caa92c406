// A deterministic host for the engine, in virtual time: caller arrivals,
// upstreams with latency and failure profiles, the host's one timer — all
// events of one priority queue, all randomness from one seed. It performs
// every action the engine answers with exactly as docs/host-interface.md says
// and records what each upstream saw (attempts, concurrency, starts) and what
// each caller got (RESPONDs, status, headers, stream ends), so tests can
// assert distributions and invariants over thousands of requests.
//
// Upstreams are openai-compatible providers whose base_url is
// http://<provider>.test/v1; a FETCH is mapped back to "provider/model" by its
// URL host and its body's "model". Providers of type echo answer inside the
// engine and never reach the simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "base/rng.h"
#include "exchange/actions.h"

namespace sy::sim {

inline constexpr double kForever = std::numeric_limits<double>::infinity();
inline constexpr const char* kJsonHeaders = "content-type: application/json\n";

// What one upstream attempt turned into.
enum class Fate {
  ok,             // 200 with a chat.completion (or an SSE stream) and usage
  status,         // Profile::status with an OpenAI error body
  rate_limited,   // 429 with retry-after: Profile::retry_after_s
  network_error,  // fetch_error after the latency
  timeout,        // never answers: only the engine's FETCH_ABORT ends it
};

// How one upstream behaves. Each attempt first checks the outage window (by
// its start time), then draws its fate in the order network_error, timeout,
// status, rate_limited, else ok; latency is uniform in [latency_min_ms,
// latency_max_ms]. Tests may change a profile mid-run (Simulator::at).
struct Profile {
  double latency_min_ms = 100, latency_max_ms = 100;
  double p_network_error = 0;
  double p_timeout = 0;
  double p_status = 0;
  int status = 500;
  double p_rate_limited = 0;
  double retry_after_s = 1;
  double down_from = kForever, down_until = kForever;  // [from, until)
  Fate down_fate = Fate::status;                       // with `down_status` when Fate::status
  int down_status = 503;
  int prompt_tokens = 12, completion_tokens = 20;      // the usage an ok answer reports
  int stream_pieces = 3;                               // fetch_body calls per streamed answer
  double stream_gap_ms = 0;                            // between those calls
};

// One FETCH as the upstream saw it.
struct Attempt {
  uint32_t fetch_id = 0;
  uint32_t request_id = 0;
  std::string target;    // "provider/model"
  std::string provider;
  double start = 0;
  double end = kForever;  // answer or error fully delivered, or aborted
  uint64_t start_tick = 0, end_tick = 0;  // order of starts and ends among all of them
  Fate fate = Fate::ok;
  int status = 0;         // what the upstream answered (0 for network error / timeout)
  double retry_after_s = -1;
  bool stream = false;
  bool aborted = false;    // the engine sent FETCH_ABORT before the answer was complete
  bool delivered = false;  // the last event for it (fetch_end / fetch_error) was delivered
};

// What one upstream ("provider/model") or one provider ("provider") saw.
struct UpstreamRecord {
  int attempts = 0;
  int in_flight = 0;
  int max_in_flight = 0;
  std::vector<double> starts;  // in time order
};

// What one caller request got.
struct RequestRecord {
  uint32_t id = 0;
  double submitted = 0;
  double ended = -1;      // RESPOND (plain) or STREAM_END (streamed)
  bool stream_requested = false;
  int priority = -1;      // switchyard.priority when the body set it (for tests' bookkeeping)
  int responds = 0;
  int stream_chunks = 0;
  int stream_ends = 0;
  bool streaming = false;  // RESPOND flags bit0
  int status = 0;
  std::string headers, body, stream_text;
  std::vector<size_t> attempts;  // indices into Simulator::attempts()
  bool cancelled = false;
  double cancelled_at = -1;

  // The value of a RESPOND header, or empty.
  std::string header(std::string_view name) const;
  std::string target() const { return header("x-switchyard-target"); }
  int attempts_header() const;
};

class Simulator {
 public:
  // `seed` seeds the engine; the simulator's own RNG (latencies, fates,
  // arrivals) is seeded from it too, so one number replays a whole run.
  explicit Simulator(uint64_t seed);

  // Installs a config (see SPEC §1); false with the error in last_error().
  bool configure(std::string_view config_json);
  const std::string& last_error() const;

  // The profile of upstream "provider" or, more specific, "provider/model".
  Profile& profile(const std::string& key);

  // When true, answers for aborted fetches are delivered anyway (a host that
  // lost the race); the engine must ignore them: any action they cause is a
  // violation.
  void set_late_answers(bool on) { late_answers_ = on; }

  // Schedules a caller request at virtual time `at_ms`; returns its id.
  uint32_t submit_at(double at_ms, std::string body, std::string headers = kJsonHeaders,
                     std::string path = "/v1/chat/completions", std::string method = "POST");
  // Schedules `count` requests from `start_ms`, `gap_ms` apart; returns their ids.
  std::vector<uint32_t> submit_every(double start_ms, double gap_ms, int count, const std::string& body,
                                     const std::string& headers = kJsonHeaders);
  void cancel_at(double at_ms, uint32_t request_id);
  // Runs `fn` at virtual time `at_ms` (profile changes, stats samples).
  void at(double at_ms, std::function<void()> fn);

  // Processes events in time order until none is left at or before `until_ms`
  // (or none at all). Stops early, recording a violation, on a livelock.
  void run(double until_ms = kForever);
  double now() const { return now_; }

  // GET `path` right now (e.g. /v1/stats), with these header lines (a gateway key); returns the body.
  std::string get(std::string_view path, std::string_view headers = "");
  // The breaker state of `target` ("provider/model") in /v1/stats, or "".
  std::string breaker(const std::string& target);

  const std::vector<Attempt>& attempts() const { return attempts_; }
  const std::map<uint32_t, RequestRecord>& requests() const { return requests_; }
  const RequestRecord& request(uint32_t id) const;
  // Record of "provider/model" or "provider" (an empty record if never seen).
  const UpstreamRecord& upstream(const std::string& key) const;

  // Starts of `key` in [from_ms, to_ms).
  int starts_between(const std::string& key, double from_ms, double to_ms) const;
  // Most starts of `key` in any window (t - window_ms, t] (the limiter's window).
  int max_starts_in_window(const std::string& key, double window_ms = 60000) const;
  // How many requests each x-switchyard-target answered with `status`.
  std::map<std::string, int> answered_by(int status = 200) const;
  // How many requests ended with each status.
  std::map<int, int> statuses() const;

  // Every invariant of the host contract, checked over the whole run (call
  // after run() drained everything): exactly one RESPOND per request that was
  // not cancelled (at most one if cancelled, nothing after the cancel);
  // streamed RESPONDs followed by chunks and exactly one STREAM_END, plain
  // ones by neither; x-switchyard-attempts equal to the FETCHes seen (for
  // requests that never reached an echo provider) and x-switchyard-target
  // naming the last one; every fetch answered or aborted; no action for an
  // unknown or finished request; the engine holding no request. Returns one
  // line per violation (empty when all hold).
  std::vector<std::string> check() const;

  sy::engine::Engine& engine() { return engine_; }
  sy::Rng& rng() { return rng_; }

  // A chat request body for `model`; `extra` is spliced in as more members
  // (", \"stream\": true").
  static std::string chat(std::string_view model, std::string_view extra = "");

 private:
  struct Event {
    double at;
    uint64_t seq;
    std::function<void()> fn;
  };
  void schedule(double at_ms, std::function<void()> fn);
  void perform(uint32_t control_id = 0);
  void arm();
  void on_fetch(const sy::exchange::Action& a);
  void deliver(size_t attempt);
  void deliver_piece(size_t attempt, size_t piece);
  const Profile& profile_of(const Attempt& at) const;
  void end_attempt(Attempt& at, double when);
  std::string completion_body(const Attempt& at, const Profile& p) const;
  std::string stream_body(const Attempt& at, const Profile& p) const;
  void violation(std::string what);

  sy::engine::Engine engine_;
  sy::Rng rng_;
  double now_ = 0;
  uint64_t next_seq_ = 0;
  std::vector<Event> events_;  // a min-heap on (at, seq)
  uint64_t timer_generation_ = 0;
  double armed_at_ = kForever;  // the deadline the host's timer is set for
  uint64_t tick_ = 0;
  uint32_t next_request_id_ = 1;
  uint32_t next_control_id_ = 0x80000000u;
  bool late_answers_ = false;
  std::string control_body_;
  std::set<std::string> echo_providers_;
  std::map<std::string, Profile> profiles_;
  std::vector<Attempt> attempts_;
  std::map<uint32_t, size_t> fetch_index_;  // fetch id -> attempts_ index
  std::map<std::string, UpstreamRecord> upstreams_;
  std::map<uint32_t, RequestRecord> requests_;
  std::vector<std::string> violations_;
};

}  // namespace sy::sim
