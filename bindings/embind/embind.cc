// Embind sugar over the C interface (bindings/c_api/switchyard.h) for the browser build: an
// object API for code that drives the module directly. The package's own adapter
// (web/src/core_emscripten.js) calls the exported C functions instead, so that event bytes
// cross into wasm memory once (Embind's std::string copies byte by byte in JS).
//
// One class, `Engine`, with one method per event. Every event method returns a Uint8Array
// view over the engine's action batch records (without the u32 count): the view aliases wasm
// memory and is valid only until the next call on the engine, so JS copies before it acts
// (web/src/core_emscripten.js does). Byte arguments are std::string: Embind copies a JS
// string (as UTF-8) or a Uint8Array / ArrayBuffer (as raw bytes) into wasm memory once.
// JS frees an Engine with delete().

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "../c_api/switchyard.h"

namespace {

using emscripten::val;

// A batch is a little-endian u32 byte count followed by that many bytes of records.
val batch_view(const uint8_t* batch) {
  if (batch == nullptr) return val(emscripten::typed_memory_view(size_t{0}, static_cast<const uint8_t*>(nullptr)));
  uint32_t n = 0;
  std::memcpy(&n, batch, sizeof n);
  return val(emscripten::typed_memory_view(static_cast<size_t>(n), batch + 4));
}

class Engine {
 public:
  // JS passes the seed as a non-negative integer a double holds exactly (below 2^53).
  explicit Engine(double seed)
      : engine_(sy_engine_new(seed >= 0 && seed < 9007199254740992.0 ? static_cast<uint64_t>(seed) : 0)) {}
  ~Engine() { sy_engine_free(engine_); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // null on success, else the error JSON text.
  val configure(const std::string& config, const std::string& env) {
    if (sy_engine_configure(engine_, config.data(), config.size(), env.data(), env.size()) == 0) {
      return val::null();
    }
    const uint8_t* error = sy_engine_last_error(engine_);
    uint32_t n = 0;
    std::memcpy(&n, error, sizeof n);
    return val(std::string(reinterpret_cast<const char*>(error + 4), n));
  }

  val submit(uint32_t rid, const std::string& method, const std::string& path,
             const std::string& headers, const std::string& body, double now) {
    return batch_view(sy_request_submit(engine_, rid, method.data(), method.size(), path.data(),
                                        path.size(), headers.data(), headers.size(),
                                        reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                                        now));
  }

  val cancel(uint32_t rid, double now) { return batch_view(sy_request_cancel(engine_, rid, now)); }

  val fetch_response(uint32_t fid, uint32_t status, const std::string& headers, double now) {
    return batch_view(sy_fetch_response(engine_, fid, status, headers.data(), headers.size(), now));
  }

  val fetch_body(uint32_t fid, const std::string& bytes, double now) {
    return batch_view(sy_fetch_body(engine_, fid, reinterpret_cast<const uint8_t*>(bytes.data()),
                                    bytes.size(), now));
  }

  val fetch_end(uint32_t fid, double now) { return batch_view(sy_fetch_end(engine_, fid, now)); }

  val fetch_error(uint32_t fid, const std::string& message, double now) {
    return batch_view(sy_fetch_error(engine_, fid, message.data(), message.size(), now));
  }

  val timer(double now) { return batch_view(sy_timer(engine_, now)); }

 private:
  sy_engine* engine_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(switchyard) {
  emscripten::class_<Engine>("Engine")
      .constructor<double>()
      .function("configure", &Engine::configure)
      .function("submit", &Engine::submit)
      .function("cancel", &Engine::cancel)
      .function("fetchResponse", &Engine::fetch_response)
      .function("fetchBody", &Engine::fetch_body)
      .function("fetchEnd", &Engine::fetch_end)
      .function("fetchError", &Engine::fetch_error)
      .function("timer", &Engine::timer);
}
