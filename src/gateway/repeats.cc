#include "gateway/repeats.h"

#include <algorithm>
#include <cstring>

namespace sy::gateway {

// Which entries are worth comparing: a mix of the handler, the key, the name, the body's length
// and its first and last 32 bytes (where requests of one app differ: their last message). Cheap
// rather than a digest of the whole body: same() has the last word, so equal sketches of
// different bodies cost a comparison, never a wrong answer.
uint64_t Repeats::sketch_of(const Bytes& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a's step, over 8-byte words
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  auto mix_text = [&mix](std::string_view s) {
    size_t i = 0;
    for (uint64_t word; i + 8 <= s.size(); i += 8) {
      std::memcpy(&word, s.data() + i, 8);
      mix(word);
    }
    for (; i < s.size(); ++i) mix(uint8_t(s[i]));
  };
  mix(uint64_t(uint32_t(bytes.handler)) << 32 | uint32_t(bytes.key));
  mix(bytes.body.size());
  mix_text(bytes.name);
  std::string_view body = bytes.body;
  size_t head = std::min<size_t>(body.size(), 32), tail = std::min<size_t>(body.size() - head, 32);
  mix_text(body.substr(0, head));
  mix_text(body.substr(body.size() - tail));
  return h;
}

bool Repeats::same(const Entry& e, const Bytes& bytes) {
  return e.handler == bytes.handler && e.key == bytes.key && e.name == bytes.name && e.body == bytes.body;
}

const Decoded* Repeats::find(const Bytes& bytes) {
  if (size_ == 0) return nullptr;
  uint64_t sketch = sketch_of(bytes);
  for (size_t i = 0; i < size_; ++i) {
    if (sketches_[i] != sketch || !same(entries_[i], bytes)) continue;
    used_[i] = ++clock_;
    return &entries_[i].decoded;
  }
  return nullptr;
}

void Repeats::keep(int handler, int key, std::string_view name, std::string body, Decoded decoded) {
  Bytes bytes{handler, key, name, body};
  if (!takes(bytes)) return;
  uint64_t sketch = sketch_of(bytes);
  Entry entry{handler, key, std::string(name), std::move(body), std::move(decoded)};
  size_t slot = size_ < kMaxEntries ? size_++ : size_t(std::min_element(used_.begin(), used_.end()) - used_.begin());
  sketches_[slot] = sketch;
  used_[slot] = ++clock_;
  entries_[slot] = std::move(entry);
}

}  // namespace sy::gateway
