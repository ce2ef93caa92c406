#include "gateway/repeats.h"

#include <algorithm>
#include <cstring>

namespace sy::gateway {

// Which entries are worth comparing: a mix of the handler, the key, the name and every byte of the
// body, eight at a time. Requests of one app share long stretches (a system prompt, the tail of
// their parameters), so a sketch of some bytes would match most entries and send each miss into
// whole comparisons; a word-wise pass over all of them costs about a multiply per eight bytes. A
// single word that differs always changes the sketch (each step is a bijection of h); same() has
// the last word anyway, so equal sketches of different bodies cost a comparison, never a wrong
// answer.
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
  mix_text(bytes.body);
  return h;
}

bool Repeats::same(const Entry& e, const Bytes& bytes) {
  return e.handler == bytes.handler && e.key == bytes.key && e.name == bytes.name && e.body == bytes.body;
}

const Decoded* Repeats::find(const Bytes& bytes, uint64_t sketch) {
  for (size_t i = 0; i < size_; ++i) {
    if (sketches_[i] != sketch || !same(entries_[i], bytes)) continue;
    used_[i] = ++clock_;
    return &entries_[i].decoded;
  }
  return nullptr;
}

void Repeats::keep(int handler, int key, std::string_view name, std::string body, uint64_t sketch, Decoded decoded) {
  if (!takes({handler, key, name, body})) return;
  Entry entry{handler, key, std::string(name), std::move(body), std::move(decoded)};
  size_t slot = size_ < kMaxEntries ? size_++ : size_t(std::min_element(used_.begin(), used_.end()) - used_.begin());
  sketches_[slot] = sketch;
  used_[slot] = ++clock_;
  entries_[slot] = std::move(entry);
}

}  // namespace sy::gateway
