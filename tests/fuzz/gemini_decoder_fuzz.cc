// libFuzzer target: the gemini codec's decode() and stream decoder (see decoder_fuzz.h).
#include "decoder_fuzz.h"
#include "providers/gemini.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sy::fuzz::fuzz_decoder(sy::providers::gemini::kCodec, sy::config::ProviderType::gemini, data, size);
}
