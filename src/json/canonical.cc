#include "json/canonical.h"

#include <rapidjson/internal/dtoa.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

namespace sy::json {
namespace {

using Member = rapidjson::Value::Member;

std::string_view key_of(const Member* m) { return {m->name.GetString(), m->name.GetStringLength()}; }

void write_string(const rapidjson::Value& v, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* s = v.GetString();
  size_t n = v.GetStringLength(), run = 0;
  out += '"';
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s + run, i - run);
    run = i + 1;
    out += '\\';
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\f': out += 'f'; break;
      case '\n': out += 'n'; break;
      case '\r': out += 'r'; break;
      case '\t': out += 't'; break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s + run, n - run);
  out += '"';
}

template <class T>
void write_integer(T value, std::string& out) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

void write_number(const rapidjson::Value& v, std::string& out) {
  if (v.IsUint64()) return write_integer(v.GetUint64(), out);
  if (v.IsInt64()) return write_integer(v.GetInt64(), out);
  double d = v.GetDouble();
  if (!std::isfinite(d)) {
    out += "null";
  } else if (std::fabs(d) < 9007199254740992.0 && d == std::trunc(d)) {
    write_integer(static_cast<int64_t>(d), out);
  } else {
    char buf[32];
    out.append(buf, rapidjson::internal::dtoa(d, buf));
  }
}

}  // namespace

void write_canonical(const rapidjson::Value& root, std::string& out) {
  // An open container: array elements [next, end) or sorted members [next, end) of `members`.
  struct Frame {
    const rapidjson::Value* array;  // nullptr for an object
    size_t begin, next, end;
  };
  std::vector<Frame> stack;
  std::vector<const Member*> members;

  auto open = [&](const rapidjson::Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType: out += "null"; break;
      case rapidjson::kFalseType: out += "false"; break;
      case rapidjson::kTrueType: out += "true"; break;
      case rapidjson::kStringType: write_string(v, out); break;
      case rapidjson::kNumberType: write_number(v, out); break;
      case rapidjson::kArrayType:
        out += '[';
        stack.push_back({&v, 0, 0, v.Size()});
        break;
      case rapidjson::kObjectType: {
        out += '{';
        size_t begin = members.size();
        for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) members.push_back(&*m);
        auto first = members.begin() + static_cast<std::ptrdiff_t>(begin);
        // Members are contiguous, so address order is document order among equal keys.
        std::sort(first, members.end(), [](const Member* a, const Member* b) {
          int c = key_of(a).compare(key_of(b));
          return c != 0 ? c < 0 : std::less<>()(a, b);
        });
        // Keep the last of each run of equal keys.
        auto last = std::unique(std::make_reverse_iterator(members.end()), std::make_reverse_iterator(first),
                                [](const Member* a, const Member* b) { return key_of(a) == key_of(b); });
        members.erase(first, last.base());
        stack.push_back({nullptr, begin, begin, members.size()});
        break;
      }
    }
  };

  open(root);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.end) {
      out += f.array ? ']' : '}';
      if (!f.array) members.resize(f.begin);
      stack.pop_back();
      continue;
    }
    if (f.next != f.begin) out += ',';
    size_t i = f.next++;
    if (f.array) {
      open((*f.array)[static_cast<rapidjson::SizeType>(i)]);
    } else {
      const Member* m = members[i];
      write_string(m->name, out);
      out += ':';
      open(m->value);  // may grow `stack` and `members`: f is not used after this
    }
  }
}

namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ull;
constexpr uint64_t kC2 = 0x4cf5ad432745937full;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Eight bytes as a little-endian number: one load on little-endian hosts (wasm, x86, arm64),
// where a byte loop was a call and eight steps per load at -Oz.
[[gnu::always_inline]] inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

}  // namespace

[[gnu::always_inline]] inline void Hasher::block(const unsigned char* p) {
  uint64_t k1 = load_le64(p), k2 = load_le64(p + 8);
  h1_ ^= rotl(k1 * kC1, 31) * kC2;
  h1_ = rotl(h1_, 27) + h2_;
  h1_ = h1_ * 5 + 0x52dce729;
  h2_ ^= rotl(k2 * kC2, 33) * kC1;
  h2_ = rotl(h2_, 31) + h1_;
  h2_ = h2_ * 5 + 0x38495ab5;
}

void Hasher::update(std::string_view bytes) {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  length_ += n;
  if (tail_size_) {
    size_t take = std::min(n, sizeof tail_ - tail_size_);
    std::memcpy(tail_ + tail_size_, p, take);
    tail_size_ += take, p += take, n -= take;
    if (tail_size_ < sizeof tail_) return;
    block(tail_);
    tail_size_ = 0;
  }
  for (; n >= 16; p += 16, n -= 16) block(p);
  if (n) std::memcpy(tail_, p, n);
  tail_size_ = n;
}

Hash128 Hasher::finish() const {
  uint64_t h1 = h1_, h2 = h2_;
  if (tail_size_) {
    unsigned char last[16] = {};
    std::memcpy(last, tail_, tail_size_);
    uint64_t k1 = load_le64(last), k2 = load_le64(last + 8);
    if (tail_size_ > 8) h2 ^= rotl(k2 * kC2, 33) * kC1;
    h1 ^= rotl(k1 * kC1, 31) * kC2;
  }
  h1 ^= length_;
  h2 ^= length_;
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

Hash128 hash128(std::string_view bytes) {
  Hasher h;
  h.update(bytes);
  return h.finish();
}

}  // namespace sy::json
