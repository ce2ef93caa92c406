// The engine: one state machine per caller request, fed events by a host and
// answering with actions (docs/host-interface.md). It owns the config in
// force, routing and balancing state, and the in-core response cache.
//
// Every call clears batch() and fills it with the actions the event caused;
// the host performs them in order. Time only moves through the `now_ms`
// arguments; randomness only comes from the seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exchange/actions.h"

namespace sy::engine {

// Transitional (branch canonical): the action types now live in exchange/.
using exchange::Action;
using exchange::ActionBatch;
using exchange::ActionKind;
using exchange::decode;

class Engine {
 public:
  explicit Engine(uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates and installs a config; false leaves the previous one in force
  // and last_error() holds the error document listing every problem.
  // Requests already in flight finish on the config they started with.
  bool configure(std::string_view config_json, std::string_view env_json);
  const std::string& last_error() const;

  // A caller request; exactly one RESPOND follows for it (now or later),
  // then STREAM_CHUNKs and one STREAM_END if RESPOND said it streams.
  void submit(uint32_t request_id, std::string_view method, std::string_view path,
              std::string_view headers, std::string_view body, double now_ms);
  void cancel(uint32_t request_id, double now_ms);

  void fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now_ms);
  void fetch_body(uint32_t fetch_id, std::string_view bytes, double now_ms);
  void fetch_end(uint32_t fetch_id, double now_ms);
  void fetch_error(uint32_t fetch_id, std::string_view message, double now_ms);
  void timer(double now_ms);

  // The host has a persistent cache tier (see CACHE_GET / CACHE_PUT).
  void enable_persistence(bool enabled);
  // The answer to a CACHE_GET: a snapshot entry line, or empty for a miss.
  void cache_result(uint32_t request_id, std::string_view entry, double now_ms);

  ActionBatch& batch();
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::engine
