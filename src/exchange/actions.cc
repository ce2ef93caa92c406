#include "exchange/actions.h"

#include <cstring>

namespace sy::exchange {

namespace {

// Little-endian, whatever the machine.
void write_u32(char* p, uint32_t v) {
  p[0] = char(v);
  p[1] = char(v >> 8);
  p[2] = char(v >> 16);
  p[3] = char(v >> 24);
}

void put_u32(std::string& out, uint32_t v) {
  char b[4];
  write_u32(b, v);
  out.append(b, 4);
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void put_field(std::string& out, std::string_view s) {
  put_u32(out, uint32_t(s.size()));
  out.append(s);
}

}  // namespace

void ActionBatch::clear() { buffer_.assign(4, '\0'); }

void ActionBatch::record(ActionKind kind, uint32_t id, uint32_t status, uint32_t flags, double at_ms,
                         std::string_view f0, std::string_view f1, std::string_view f2,
                         std::string_view f3) {
  buffer_.reserve(buffer_.size() + 40 + f0.size() + f1.size() + f2.size() + f3.size());
  char head[24];  // kind, id, status, flags, then at_ms's 64 bits: one append
  uint64_t bits;
  std::memcpy(&bits, &at_ms, 8);
  write_u32(head, uint32_t(kind));
  write_u32(head + 4, id);
  write_u32(head + 8, status);
  write_u32(head + 12, flags);
  write_u32(head + 16, uint32_t(bits));
  write_u32(head + 20, uint32_t(bits >> 32));
  buffer_.append(head, sizeof head);
  put_field(buffer_, f0);
  put_field(buffer_, f1);
  put_field(buffer_, f2);
  put_field(buffer_, f3);
}

void ActionBatch::fetch(uint32_t fetch_id, uint32_t request_id, bool stream, std::string_view method,
                        std::string_view url, std::string_view headers, std::string_view body) {
  record(ActionKind::fetch, fetch_id, request_id, stream ? 1 : 0, 0, method, url, headers, body);
}

void ActionBatch::fetch_abort(uint32_t fetch_id) {
  record(ActionKind::fetch_abort, fetch_id, 0, 0, 0, {}, {}, {}, {});
}

void ActionBatch::respond(uint32_t request_id, int status, bool streaming, std::string_view headers,
                          std::string_view body) {
  record(ActionKind::respond, request_id, uint32_t(status), streaming ? 1 : 0, 0, {}, {}, headers, body);
}

void ActionBatch::stream_chunk(uint32_t request_id, std::string_view bytes) {
  record(ActionKind::stream_chunk, request_id, 0, 0, 0, {}, {}, {}, bytes);
}

void ActionBatch::stream_end(uint32_t request_id) {
  record(ActionKind::stream_end, request_id, 0, 0, 0, {}, {}, {}, {});
}

void ActionBatch::log(std::string_view line) { record(ActionKind::log, 0, 0, 0, 0, {}, {}, {}, line); }

void ActionBatch::cache_get(uint32_t request_id, std::string_view key) {
  record(ActionKind::cache_get, request_id, 0, 0, 0, {}, key, {}, {});
}

void ActionBatch::state(uint32_t op_id, uint32_t owner, std::string_view object, std::string_view op) {
  record(ActionKind::state, op_id, owner, 0, 0, {}, object, {}, op);
}

void ActionBatch::cache_put(std::string_view key, std::string_view entry, double expires_at_ms) {
  record(ActionKind::cache_put, 0, 0, 0, expires_at_ms, {}, key, {}, entry);
}

void ActionBatch::cache_list(uint32_t request_id) {
  record(ActionKind::cache_list, request_id, 0, 0, 0, {}, {}, {}, {});
}

void ActionBatch::cache_clear(uint32_t request_id) {
  record(ActionKind::cache_clear, request_id, 0, 0, 0, {}, {}, {}, {});
}

void ActionBatch::send(uint32_t owner, std::string_view method, std::string_view url, std::string_view headers,
                       std::string_view body) {
  record(ActionKind::send, 0, owner, 0, 0, method, url, headers, body);
}

const uint8_t* ActionBatch::data() {
  uint32_t n = uint32_t(buffer_.size() - 4);
  std::memcpy(buffer_.data(), &n, 4);  // wasm32, x86 and arm are little-endian
  return reinterpret_cast<const uint8_t*>(buffer_.data());
}

std::vector<Action> decode(const uint8_t* batch) {
  std::vector<Action> out;
  const uint8_t* p = batch + 4;
  const uint8_t* end = p + get_u32(batch);
  while (p < end) {
    Action a;
    a.kind = ActionKind(get_u32(p));
    a.id = get_u32(p + 4);
    a.status = get_u32(p + 8);
    a.flags = get_u32(p + 12);
    uint64_t bits = uint64_t(get_u32(p + 16)) | uint64_t(get_u32(p + 20)) << 32;
    std::memcpy(&a.at_ms, &bits, 8);
    p += 24;
    for (std::string* field : {&a.method, &a.url, &a.headers, &a.body}) {
      uint32_t n = get_u32(p);
      field->assign(reinterpret_cast<const char*>(p + 4), n);
      p += 4 + n;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace sy::exchange
