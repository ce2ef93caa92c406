// Canonical JSON bytes and a stable 128-bit hash, used to derive cache keys: two requests that
// mean the same JSON produce the same bytes and so the same key, on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace sy::json {

// Appends the canonical form of v to out:
// - objects: members sorted by key bytes (unsigned, shorter prefix first); for duplicate keys
//   the last one wins;
// - no whitespace;
// - strings: raw UTF-8; only '"', '\\' and bytes < 0x20 are escaped, as \b \f \n \r \t or
//   else \u00XX (lowercase hex). Bytes are not validated: the parser decides what is UTF-8;
// - numbers: integers (int or uint, 64-bit) as plain integers; a double with an integral value
//   and |v| < 2^53 (e.g. 1.0, 1e0, 10E-1, -0.0) as a plain integer (-0 as 0); any other finite
//   double in RapidJSON's shortest round-trip (Grisu2) form, e.g. 0.1, 1e300, 1.5e-7;
//   a non-finite double (only possible with kParseNanAndInfFlag) as null;
// - true, false, null.
// Parse with kParseFullPrecisionFlag so equal decimal spellings yield equal doubles.
// Iterative: nesting depth costs heap, not stack.
void write_canonical(const rapidjson::Value& v, std::string& out);

struct Hash128 {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
};

// MurmurHash3_x64_128 with seed 0 (hi = h1, lo = h2; the reference's 16 output bytes are hi then
// lo, each little-endian). Non-cryptographic; identical on every platform (input is read as
// little-endian bytes regardless of the host).
Hash128 hash128(std::string_view bytes);

// Incremental hash128: any split of the same bytes across update() calls gives the same result.
class Hasher {
 public:
  void update(std::string_view bytes);
  // Does not consume the state: more update() calls may follow.
  Hash128 finish() const;

 private:
  void block(const unsigned char* p);

  uint64_t h1_ = 0, h2_ = 0;
  uint64_t length_ = 0;
  unsigned char tail_[16] = {};
  size_t tail_size_ = 0;
};

}  // namespace sy::json
