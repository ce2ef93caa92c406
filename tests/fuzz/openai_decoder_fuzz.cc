// libFuzzer target: the openai codec's decode() and stream decoder (see decoder_fuzz.h).
#include "decoder_fuzz.h"
#include "providers/openai.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sy::fuzz::fuzz_decoder(sy::providers::openai::kCodec, sy::config::ProviderType::openai, data, size);
}
