// The body of every decoder fuzz target: decode() the input as a complete chat answer (asked by
// a caller of another format, or, when the first byte's 0x20 bit is set, of the codec's own
// format `own`: raw answers and events), and as an embeddings list and a model list where the
// codec offers them, under a few statuses; and
// stream-decode it fed whole and in input-chosen chunks. Properties: no crash or sanitizer
// report; a decoded answer's stored form (what callers are sent) is a JSON object, and so is a
// raw form when one is given; neither a raw form nor an error message holds the provider key;
// every raw stream event is one line of JSON object without the key; the stream's events, raw data and end state do not depend on
// chunking, and the events assemble into an answer whose stored form is a JSON object.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "json/json.h"
#include "model/stored.h"
#include "model/stream.h"
#include "providers/provider.h"

namespace sy::fuzz {

inline void check_object(std::string_view text) {
  json::Document doc;
  std::string error;
  if (!json::parse(text, doc, error) || !doc.IsObject()) std::abort();
}

inline void check_no_key(std::string_view text) {
  if (text.find("sk-fuzz-key") != std::string_view::npos) std::abort();
}

inline void check(const providers::Decoded& d) {
  if (!d.ok) return check_no_key(d.error.message);
  check_object(model::stored::serialize(d.answer, "req_fuzz", 1));
  if (!d.answer.raw.empty()) {
    check_object(d.answer.raw);
    check_no_key(d.answer.raw);
  }
}

// Records what a stream decoder hands on, in a form two runs can be compared by.
class Recorder final : public providers::StreamSink {
 public:
  void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& event) override {
    std::string_view raw = event.data;
    for (const model::StreamEvent& e : events) {
      trace += std::to_string(int(e.type)) + ':' + std::to_string(e.output) + ':' + std::to_string(e.tool) + ':';
      trace.append(e.text).append(1, '\0').append(e.id).append(1, '\0').append(e.name).append(1, '\0');
      trace.append(e.signature).append(e.redacted ? "R" : "-").append(std::to_string(int(e.finish)));
      trace += std::to_string(e.usage.prompt_tokens) + '/' + std::to_string(e.usage.completion_tokens) + '\n';
    }
    trace.append("raw:").append(raw).append(1, '\n');
    if (!raw.empty()) {
      if (raw.find('\n') != std::string_view::npos) std::abort();
      check_object(raw);
      check_no_key(raw);
    }
    assembler.add(events);
  }
  std::string trace;
  model::Assembler assembler;
};

// A chat, an embeddings and a model-list request, built by hand (no ingress in fuzz builds).
struct Requests {
  model::Request chat, embeddings, models;
  json::Document inputs;
  Requests(bool include_usage, bool base64) {
    chat.kind = model::Kind::chat;
    chat.model = "m";
    chat.messages.emplace_back().parts.emplace_back().text = "hi";
    chat.stream = true;
    chat.include_usage = include_usage;
    embeddings.kind = model::Kind::embeddings;
    embeddings.base64 = base64;
    std::string error;
    json::parse(R"(["hi"])", inputs, error);
    embeddings.inputs.push_back(&inputs[0]);
    models.kind = model::Kind::models;
    models.provider = "fuzz";
  }
};

inline int fuzz_decoder(const providers::Codec& codec, config::ProviderType type, const uint8_t* data, size_t size,
                        model::Format own = model::Format::none) {
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
  static const int kStatuses[] = {200, 400, 401, 429, 500, 529};
  int status = kStatuses[data[0] % 6];
  Requests requests(data[0] & 0x80, data[0] & 0x40);
  if (data[0] & 0x20) requests.chat.format = own;
  unsigned step = 1 + data[1] % 31;
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  providers::DecodeContext ctx{provider, "m", requests.chat};

  // As the exchange does: whole answers are scrubbed of the key before decoding, stream
  // decoders scrub each event.
  std::string scrubbed(text);
  providers::redact(provider, scrubbed);
  check(codec.decode(status, scrubbed, ctx));
  if (codec.caps.embeddings) check(codec.decode(status, scrubbed, {provider, "m", requests.embeddings}));
  if (codec.caps.models) check(codec.decode(status, scrubbed, {provider, "m", requests.models}));

  auto whole = codec.stream(ctx);
  whole->hide(provider.api_key);
  Recorder whole_out;
  auto whole_state = whole->feed(text, whole_out);
  auto whole_end = whole->finish();

  auto split = codec.stream(ctx);
  split->hide(provider.api_key);
  Recorder split_out;
  auto split_state = providers::StreamDecoder::State::open;
  size_t n = step;
  for (size_t at = 0; at < text.size() && split_state == providers::StreamDecoder::State::open; at += n, n = 1 + (n * 5 + 1) % 37)
    split_state = split->feed(text.substr(at, n), split_out);
  auto split_end = split->finish();

  if (whole_out.trace != split_out.trace || whole_state != split_state || whole_end != split_end) std::abort();
  if (whole_end == providers::StreamDecoder::State::failed) check_no_key(whole->error().message);
  check_object(model::stored::serialize(whole_out.assembler.finish(), "req_fuzz", 1));
  return 0;
}

}  // namespace sy::fuzz
