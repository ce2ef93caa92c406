// Requests seen before. What a model request decodes to (its codec's parse and validation into a
// canonical request) and its cache key depend only on its bytes (its route, a named route's name,
// its gateway key, its body) and the config. A small memo from those bytes to both lets an
// identical request skip them: the cost of a cache hit is mostly that work. Nothing else is
// skipped: a repeat is launched like any request (its own headers' controls, budgets, routing,
// the cache lookup, stats and telemetry). Each config's gateway Runtime owns one, so a new config
// starts empty.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/store.h"
#include "model/request.h"

namespace sy::gateway {

// A decoded request on its way to the exchange: shared with the memo, never changed again.
struct Decoded {
  std::shared_ptr<const model::Envelope> envelope;
  std::optional<cache::Key> key;  // known when the cache is on
};

class Repeats {
 public:
  // The bytes a decode depends on (the handler is the route's, as an int).
  struct Bytes {
    int handler = 0;
    int key = -1;
    std::string_view name;
    std::string_view body;
  };
  static constexpr size_t kMaxEntries = 64;
  static constexpr size_t kMaxBody = 32 * 1024;  // larger bodies are not kept

  // Whether a request of these bytes may be kept.
  static bool takes(const Bytes& bytes) { return bytes.body.size() <= kMaxBody; }
  // What find() and keep() know the bytes by: computed once per request, over all of its bytes.
  static uint64_t sketch_of(const Bytes& bytes);
  // What an earlier request of exactly these bytes (whose sketch_of() is `sketch`) decoded to, or
  // null; it is then the most recently used entry.
  const Decoded* find(const Bytes& bytes, uint64_t sketch);
  // Keeps what a request decoded to, in place of the least recently used entry when full; `body`
  // as it arrived (a decode parses its own copy in place), `sketch` its bytes' sketch_of().
  void keep(int handler, int key, std::string_view name, std::string body, uint64_t sketch, Decoded decoded);
  size_t size() const { return size_; }

 private:
  struct Entry {
    int handler = 0;
    int key = -1;
    std::string name, body;
    Decoded decoded;
  };
  static bool same(const Entry& e, const Bytes& bytes);

  // Parallel, the first size_ of each: the sketches scanned first (contiguous), the use clock at
  // each entry's last use, the entries.
  std::array<uint64_t, kMaxEntries> sketches_{};
  std::array<uint64_t, kMaxEntries> used_{};
  std::array<Entry, kMaxEntries> entries_;
  size_t size_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace sy::gateway
