// The body of every decoder fuzz target: decode() (and decode_embeddings() / decode_models())
// the input as a complete answer under a few statuses, and stream-decode it fed whole and in
// input-chosen chunks. Properties: no crash or sanitizer report, every emitted event is one
// "data: <JSON object>\n\n", a successful decode is a JSON object, and the stream output and
// end state do not depend on chunking.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "json/json.h"
#include "providers/provider.h"

namespace sy::fuzz {

inline void check_events(std::string_view out) {
  while (!out.empty()) {
    if (out.substr(0, 6) != "data: ") std::abort();
    size_t end = out.find("\n\n");
    if (end == std::string_view::npos) std::abort();
    json::Document doc;
    std::string error;
    if (!json::parse(out.substr(6, end - 6), doc, error) || !doc.IsObject()) std::abort();
    out.remove_prefix(end + 2);
  }
}

inline int fuzz_decoder(config::ProviderType type, const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const config::Provider provider = [&] {
    config::Provider p;
    p.name = "fuzz";
    p.type = type;
    p.base_url = "https://upstream.example";
    p.api_key = "sk-fuzz-key";
    p.prices.emplace("m", config::Price{1, 2});
    return p;
  }();
  const providers::WireFormat* format = providers::wire_format(type);
  static const int kStatuses[] = {200, 400, 401, 429, 500, 529};
  int status = kStatuses[data[0] % 6];
  bool include_usage = data[0] & 0x80;
  unsigned step = 1 + data[1] % 31;
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  providers::DecodeContext ctx{provider, "m", "chatcmpl-fuzz", 1, include_usage};

  auto check = [](const providers::Decoded& d) {
    if (d.ok) {
      json::Document doc;
      std::string error;
      if (!json::parse(d.body, doc, error) || !doc.IsObject()) std::abort();
    } else if (d.error.message.find("sk-fuzz-key") != std::string::npos) {
      std::abort();
    }
  };
  check(format->decode(status, text, ctx));
  // The same properties for embeddings and model-list answers, where the format has them.
  if (format->decode_embeddings) {
    ctx.base64_embeddings = data[0] & 0x40;
    check(format->decode_embeddings(status, text, ctx));
    ctx.base64_embeddings = false;
  }
  if (format->decode_models) check(format->decode_models(status, text, ctx));

  auto whole = format->stream(ctx);
  std::string whole_out;
  auto whole_state = whole->feed(text, whole_out);
  auto whole_end = whole->finish();

  auto split = format->stream(ctx);
  std::string split_out;
  auto split_state = providers::StreamDecoder::State::open;
  size_t n = step;
  for (size_t at = 0; at < text.size() && split_state == providers::StreamDecoder::State::open; at += n, n = 1 + (n * 5 + 1) % 37)
    split_state = split->feed(text.substr(at, n), split_out);
  auto split_end = split->finish();

  if (whole_out != split_out || whole_state != split_state || whole_end != split_end) std::abort();
  check_events(whole_out);
  if (whole_state == providers::StreamDecoder::State::failed && whole->error().message.find("sk-fuzz-key") != std::string::npos)
    std::abort();
  return 0;
}

}  // namespace sy::fuzz
