#include "cache/key.h"

#include <cstring>
#include <optional>

#include "json/canonical.h"

namespace sy::cache {

namespace {

// Writes tagged fields into a hasher: each field is its tag, its bytes and a separator that no
// text can forge (lengths are written, not delimiters). Fields are gathered in `pending_` and
// hashed a block at a time: a request has dozens of fields, most of them short or empty, and one
// update() per piece cost more than the hashing. The hash is the same for any split of the same
// bytes, so the keys do not change.
class Fields {
 public:
  void text(char tag, std::string_view s) {
    char head[1 + sizeof(uint64_t)];
    head[0] = tag;
    uint64_t n = s.size();
    std::memcpy(head + 1, &n, sizeof n);
    put(std::string_view(head, sizeof head));
    put(s);
  }
  void number(char tag, double d) {
    if (d >= 0 && d < 10 && d == double(int(d))) {  // enums and small counts: the digit append_number writes
      char digit = char('0' + int(d));
      return text(tag, std::string_view(&digit, 1));
    }
    scratch_.clear();
    json::append_number(scratch_, d);
    text(tag, scratch_);
  }
  void value(char tag, const json::Value* v) {
    scratch_.clear();
    if (v) json::write_canonical(*v, scratch_);
    text(tag, scratch_);
  }
  void optional(char tag, const std::optional<double>& d) {
    if (d) number(tag, *d);
  }
  void optional(char tag, const std::optional<int64_t>& i) {
    if (i) number(tag, double(*i));
  }
  void optional(char tag, const std::optional<bool>& b) {
    if (b) text(tag, *b ? "1" : "0");
  }
  Key finish() {
    flush();
    json::Hash128 h = hasher_.finish();
    return {h.hi, h.lo};
  }

 private:
  // Appends to the pending block; what does not fit is hashed where it is, after the block.
  void put(std::string_view s) {
    if (s.size() <= sizeof pending_ - used_) {
      std::memcpy(pending_ + used_, s.data(), s.size());
      used_ += s.size();
      return;
    }
    flush();
    hasher_.update(s);
  }
  void flush() {
    hasher_.update(std::string_view(pending_, used_));
    used_ = 0;
  }

  json::Hasher hasher_;
  char pending_[1024];
  size_t used_ = 0;
  std::string scratch_;
};

void write_part(Fields& f, const model::Part& p) {
  f.number('p', double(int(p.type)));
  f.text('t', p.text);
  f.text('u', p.url);
  f.text('m', p.media_type);
  f.text('d', p.detail);
  f.text('i', p.id);
  f.text('n', p.name);
  f.text('a', p.arguments);
  f.text('s', p.signature);
  f.text('r', p.redacted ? "1" : "0");
}

void write_chat(Fields& f, const model::Request& r) {
  for (const model::Message& m : r.messages) {
    f.number('M', double(int(m.role)));
    f.text('N', m.name);
    for (const model::Part& p : m.parts) write_part(f, p);
  }
  for (const model::Tool& t : r.tools) {
    f.text('T', t.name);
    f.text('D', t.description);
    f.value('P', t.parameters);
    f.optional('S', t.strict);
    if (t.name.empty() || t.server != model::Format::none) f.value('R', t.raw);  // a server tool's settings
  }
  f.number('C', double(int(r.tool_choice.mode)));
  f.text('c', r.tool_choice.name);
  f.optional('L', r.parallel_tool_calls);
  f.number('F', double(int(r.response_format.type)));
  f.text('f', r.response_format.name);
  f.text('g', r.response_format.description);
  f.value('h', r.response_format.schema);
  f.optional('k', r.response_format.strict);
  const model::Sampling& s = r.sampling;
  f.optional('1', s.temperature);
  f.optional('2', s.top_p);
  f.optional('3', s.presence_penalty);
  f.optional('4', s.frequency_penalty);
  f.optional('5', s.seed);
  f.optional('6', s.top_k);
  f.number('7', double(s.n));
  for (std::string_view stop : s.stop) f.text('8', stop);
  f.optional('9', s.logprobs);
  f.optional('0', s.top_logprobs);
  f.value('B', s.logit_bias);
  f.number('X', double(r.max_tokens));
  f.text('E', r.reasoning_effort);
  f.number('G', double(r.reasoning_budget));
}

}  // namespace

Key key_of(const model::Request& r, std::string_view tenant) {
  Fields f;
  f.text('@', tenant);
  f.number('K', double(int(r.kind)));
  f.text('#', r.model);
  for (std::string_view m : r.routing.models) f.text('$', m);
  f.value('%', r.routing.provider);
  if (r.kind == model::Kind::chat) write_chat(f, r);
  if (r.kind == model::Kind::embeddings) {
    for (const json::Value* input : r.inputs) f.value('I', input);
    f.number('J', double(r.dimensions));
    f.text('b', r.base64 ? "1" : "0");
  }
  if (r.kind == model::Kind::models) f.text('V', r.provider);
  if (r.kind == model::Kind::images) {
    f.text('P', r.prompt);
    f.number('n', double(r.sampling.n));
    f.text('z', r.size);
    f.text('q', r.quality);
    f.text('w', r.style);
    f.text('U', r.image_urls ? "url" : r.image_b64 ? "b64" : "");
  }
  for (const auto& [name, value] : r.extras) {
    f.text('x', name);
    f.value('y', value);
  }
  return f.finish();
}

std::string hex_of(const Key& key) {
  static const char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[size_t(15 - i)] = digits[(key.hi >> (4 * i)) & 15];
    out[size_t(31 - i)] = digits[(key.lo >> (4 * i)) & 15];
  }
  return out;
}

bool key_of_hex(std::string_view hex, Key& key) {
  if (hex.size() != 32) return false;
  key = {};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    uint64_t& half = i < 16 ? key.hi : key.lo;
    half = half << 4 | uint64_t(v);
  }
  return true;
}

}  // namespace sy::cache
