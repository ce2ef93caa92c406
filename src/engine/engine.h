// The engine: the one object a host drives (through bindings/c_api/switchyard.h). Events go in,
// each with `now`; the actions they cause come out in batch() (docs/host-interface.md). It owns
// the config in force, the gateway (HTTP in front) and the exchange (calls behind it).
//
// Every event call clears batch() and fills it; the host performs the actions in order, then asks
// next_deadline() and keeps one timer for it. Time only moves through the `now_ms` arguments;
// randomness only comes from the seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exchange/actions.h"

namespace sy::engine {

class Engine {
 public:
  explicit Engine(uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates and installs a config; false leaves the previous one in force and last_error()
  // holds the error document listing every problem. Requests in flight finish on the config they
  // started with.
  bool configure(std::string_view config_json, std::string_view env_json);
  const std::string& last_error() const;
  // The names `config_json` references as "env:NAME", as a JSON array of strings: the host passes
  // exactly these variables to configure().
  std::string env_names(std::string_view config_json) const;

  // A caller request: its head, its body in any number of pieces, its end. Exactly one RESPOND
  // follows for it (now or later), then STREAM_CHUNKs and one STREAM_END if RESPOND said it
  // streams. submit() is begin + body + end in one event.
  void begin(uint32_t request_id, std::string_view method, std::string_view target, std::string_view headers,
             double now_ms);
  void body(uint32_t request_id, std::string_view bytes, double now_ms);
  void end(uint32_t request_id, double now_ms);
  void submit(uint32_t request_id, std::string_view method, std::string_view target, std::string_view headers,
              std::string_view body, double now_ms);
  void cancel(uint32_t request_id, double now_ms);

  void fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now_ms);
  void fetch_body(uint32_t fetch_id, std::string_view bytes, double now_ms);
  void fetch_end(uint32_t fetch_id, double now_ms);
  void fetch_error(uint32_t fetch_id, std::string_view message, double now_ms);
  // Time passed: whatever was due at `now_ms` happens. Early or spurious calls are harmless.
  void timer(double now_ms);
  // The earliest time timer() has work, or +infinity: the host's one timer.
  double next_deadline() const;

  // The host has a persistent cache tier (CACHE_GET / CACHE_PUT / CACHE_LIST / CACHE_CLEAR).
  void enable_persistence(bool enabled);
  // The answer to a CACHE_GET (an entry line, or empty for a miss), a CACHE_LIST (entry lines)
  // or a CACHE_CLEAR (empty) for that request.
  void cache_result(uint32_t request_id, std::string_view data, double now_ms);

  // The host performs STATE actions (shared objects, docs/host-interface.md): from now on pools
  // are leased from them instead of living in the engine's memory.
  void enable_shared_state(bool enabled);
  // The answer to STATE `op_id` (the object's JSON answer, or empty: failed or timed out), given
  // to the holder waiting for it. Unknown ids are ignored.
  void state_result(uint32_t op_id, std::string_view data, double now_ms);

  exchange::ActionBatch& batch();
  size_t in_flight() const;

  // For tests: the exchange inside (transition counts, illegal events).
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::engine
