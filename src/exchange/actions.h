// The action batch an engine hands its host after each event
// (docs/host-interface.md describes the byte layout).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy::exchange {

enum class ActionKind : uint32_t {
  fetch = 1,
  fetch_abort = 2,
  respond = 3,
  stream_chunk = 4,
  stream_end = 5,
  // 6 was WAKE_AT: hosts now ask for the next deadline (sy_engine_next_deadline)
  log = 7,
  cache_get = 8,
  cache_put = 9,
  cache_list = 10,
  cache_clear = 11,
  state = 12,
  send = 13,
};

class ActionBatch {
 public:
  ActionBatch() { clear(); }

  void clear();
  void fetch(uint32_t fetch_id, uint32_t request_id, bool stream, std::string_view method,
             std::string_view url, std::string_view headers, std::string_view body);
  void fetch_abort(uint32_t fetch_id);
  void respond(uint32_t request_id, int status, bool streaming, std::string_view headers,
               std::string_view body);
  void stream_chunk(uint32_t request_id, std::string_view bytes);
  void stream_end(uint32_t request_id);
  void log(std::string_view line);
  void cache_get(uint32_t request_id, std::string_view key);
  void cache_put(std::string_view key, std::string_view entry, double expires_at_ms);
  // The host's persistent tier: every entry line, answered with cache_result (CACHE_LIST), or
  // emptied, answered with an empty cache_result (CACHE_CLEAR).
  void cache_list(uint32_t request_id);
  void cache_clear(uint32_t request_id);
  // One operation on a shared object (src/ledger/): performed on behalf of request `owner` (0:
  // none), answered with the engine's state_result(op_id, answer or empty).
  void state(uint32_t op_id, uint32_t owner, std::string_view object, std::string_view op);
  // Fire and forget (telemetry): the host sends the request on behalf of `owner` (0: none, its
  // own task) and reports nothing back.
  void send(uint32_t owner, std::string_view method, std::string_view url, std::string_view headers,
            std::string_view body);

  // The batch: u32 byte count, then the records. Valid until the next change.
  const uint8_t* data();
  size_t size() const { return buffer_.size(); }

 private:
  void record(ActionKind kind, uint32_t id, uint32_t status, uint32_t flags, double at_ms,
              std::string_view f0, std::string_view f1, std::string_view f2, std::string_view f3);
  std::string buffer_;
};

// A decoded record, for native tests and tools.
struct Action {
  ActionKind kind;
  uint32_t id, status, flags;
  double at_ms;
  std::string method, url, headers, body;
};

std::vector<Action> decode(const uint8_t* batch);

}  // namespace sy::exchange
