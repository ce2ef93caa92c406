// The C interface (switchyard.h) over sy::engine::Engine.
#include "switchyard.h"

#include <cstring>
#include <new>
#include <string>

#include "engine/engine.h"

struct sy_engine {
  explicit sy_engine(uint64_t seed) : engine(seed) {}
  sy::engine::Engine engine;
  std::string frame;  // u32 length + the last text answer (configure error, env names)
};

namespace {

std::string_view bytes(const void* p, size_t n) {
  return n ? std::string_view(static_cast<const char*>(p), n) : std::string_view();
}

const uint8_t* batch_of(sy_engine* e) { return e->engine.batch().data(); }

const uint8_t* framed(sy_engine* e, const std::string& text) {
  uint32_t n = uint32_t(text.size());
  e->frame.assign(reinterpret_cast<const char*>(&n), 4);
  e->frame += text;
  return reinterpret_cast<const uint8_t*>(e->frame.data());
}

}  // namespace

extern "C" {

sy_engine* sy_engine_new(uint64_t seed) { return new (std::nothrow) sy_engine(seed); }

void sy_engine_free(sy_engine* engine) { delete engine; }

int sy_engine_configure(sy_engine* e, const char* config, size_t config_len, const char* env, size_t env_len) {
  if (e->engine.configure(bytes(config, config_len), bytes(env, env_len))) return 0;
  return 400;
}

const uint8_t* sy_engine_last_error(sy_engine* e) { return framed(e, e->engine.last_error()); }

const uint8_t* sy_engine_env_names(sy_engine* e, const char* config, size_t config_len) {
  return framed(e, e->engine.env_names(bytes(config, config_len)));
}

const uint8_t* sy_request_begin(sy_engine* e, uint32_t request_id, const char* method, size_t method_len,
                                const char* target, size_t target_len, const char* headers, size_t headers_len,
                                double now_ms) {
  e->engine.begin(request_id, bytes(method, method_len), bytes(target, target_len), bytes(headers, headers_len),
                  now_ms);
  return batch_of(e);
}

const uint8_t* sy_request_body(sy_engine* e, uint32_t request_id, const uint8_t* data, size_t len, double now_ms) {
  e->engine.body(request_id, bytes(data, len), now_ms);
  return batch_of(e);
}

const uint8_t* sy_request_end(sy_engine* e, uint32_t request_id, double now_ms) {
  e->engine.end(request_id, now_ms);
  return batch_of(e);
}

const uint8_t* sy_request_submit(sy_engine* e, uint32_t request_id, const char* method, size_t method_len,
                                 const char* target, size_t target_len, const char* headers, size_t headers_len,
                                 const uint8_t* body, size_t body_len, double now_ms) {
  e->engine.submit(request_id, bytes(method, method_len), bytes(target, target_len), bytes(headers, headers_len),
                   bytes(body, body_len), now_ms);
  return batch_of(e);
}

const uint8_t* sy_request_cancel(sy_engine* e, uint32_t request_id, double now_ms) {
  e->engine.cancel(request_id, now_ms);
  return batch_of(e);
}

const uint8_t* sy_fetch_response(sy_engine* e, uint32_t fetch_id, uint32_t status, const char* headers,
                                 size_t headers_len, double now_ms) {
  e->engine.fetch_response(fetch_id, int(status), bytes(headers, headers_len), now_ms);
  return batch_of(e);
}

const uint8_t* sy_fetch_body(sy_engine* e, uint32_t fetch_id, const uint8_t* data, size_t len, double now_ms) {
  e->engine.fetch_body(fetch_id, bytes(data, len), now_ms);
  return batch_of(e);
}

const uint8_t* sy_fetch_end(sy_engine* e, uint32_t fetch_id, double now_ms) {
  e->engine.fetch_end(fetch_id, now_ms);
  return batch_of(e);
}

const uint8_t* sy_fetch_error(sy_engine* e, uint32_t fetch_id, const char* message, size_t message_len,
                              double now_ms) {
  e->engine.fetch_error(fetch_id, bytes(message, message_len), now_ms);
  return batch_of(e);
}

void sy_engine_enable_persistence(sy_engine* e, int enabled) { e->engine.enable_persistence(enabled != 0); }

const uint8_t* sy_cache_result(sy_engine* e, uint32_t request_id, const uint8_t* data, size_t len, double now_ms) {
  e->engine.cache_result(request_id, bytes(data, len), now_ms);
  return batch_of(e);
}

void sy_engine_enable_shared_state(sy_engine* e, int enabled) { e->engine.enable_shared_state(enabled != 0); }

const uint8_t* sy_state_result(sy_engine* e, uint32_t op_id, const uint8_t* data, size_t len, double now_ms) {
  e->engine.state_result(op_id, bytes(data, len), now_ms);
  return batch_of(e);
}

const uint8_t* sy_timer(sy_engine* e, double now_ms) {
  e->engine.timer(now_ms);
  return batch_of(e);
}

double sy_engine_next_deadline(sy_engine* e) { return e->engine.next_deadline(); }

}  // extern "C"
