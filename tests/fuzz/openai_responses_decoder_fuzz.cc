// libFuzzer target: the Responses API decoders an `openai` provider uses for a Responses caller
// (providers/openai_responses.h), under the properties of decoder_fuzz.h: no crash, answers and
// raw bodies are JSON objects without the key, raw events one line of JSON without the key, the
// same events and end whatever the chunking.
#include "decoder_fuzz.h"
#include "providers/openai.h"

namespace {

using namespace sy;

int fuzz_responses(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const config::Provider provider = [] {
    config::Provider p;
    p.name = "fuzz";
    p.type = config::ProviderType::openai;
    p.base_url = "https://upstream.example";
    p.api_key = "sk-fuzz-key";
    p.prices.emplace("m", config::Price{1, 2});
    return p;
  }();
  static const int kStatuses[] = {200, 400, 401, 429, 500, 529};
  static const std::string body = R"({"model":"m","input":"hi","stream":true})";
  model::Request request;
  request.kind = model::Kind::chat;
  request.format = model::Format::openai_responses;
  request.raw = body;
  request.stream = true;
  request.messages.emplace_back().parts.emplace_back().text = "hi";
  providers::DecodeContext ctx{provider, "m", request};
  const providers::Codec& codec = providers::openai::kCodec;
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string scrubbed(text);
  providers::redact(provider, scrubbed);
  fuzz::check(codec.decode(kStatuses[data[0] % 6], scrubbed, ctx));

  auto whole = codec.stream(ctx);
  whole->hide(provider.api_key);
  fuzz::Recorder whole_out;
  auto whole_state = whole->feed(text, whole_out);
  auto whole_end = whole->finish();
  auto split = codec.stream(ctx);
  split->hide(provider.api_key);
  fuzz::Recorder split_out;
  auto split_state = providers::StreamDecoder::State::open;
  size_t n = 1 + data[1] % 31;
  for (size_t at = 0; at < text.size() && split_state == providers::StreamDecoder::State::open; at += n, n = 1 + (n * 5 + 1) % 37)
    split_state = split->feed(text.substr(at, n), split_out);
  auto split_end = split->finish();
  if (whole_out.trace != split_out.trace || whole_state != split_state || whole_end != split_end) std::abort();
  if (whole_end == providers::StreamDecoder::State::failed) fuzz::check_no_key(whole->error().message);
  fuzz::check_object(model::stored::serialize(whole_out.assembler.finish(), "req_fuzz", 1));
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_responses(data, size); }
