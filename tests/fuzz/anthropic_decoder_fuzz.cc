// libFuzzer target: the anthropic codec's decode() and stream decoder (see decoder_fuzz.h).
#include "decoder_fuzz.h"
#include "providers/anthropic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sy::fuzz::fuzz_decoder(sy::providers::anthropic::kCodec, sy::config::ProviderType::anthropic, data, size,
                                sy::model::Format::anthropic_messages);
}
