#include <gtest/gtest.h>

#include "providers/provider.h"

namespace sy::providers {
namespace {

TEST(Registry, EveryProviderTypeHasACodec) {
  using T = config::ProviderType;
  for (T t : {T::openai, T::azure_openai, T::anthropic, T::gemini, T::openai_compatible, T::echo}) {
    const Codec& c = codec(t);
    EXPECT_TRUE(c.encode != nullptr || c.caps.local) << config::provider_type_name(t);
    EXPECT_TRUE(c.caps.local ? c.answer != nullptr : (c.decode != nullptr && c.stream != nullptr))
        << config::provider_type_name(t);
  }
  // One codec's functions for both; only `openai` speaks the Responses API natively.
  EXPECT_EQ(codec(T::openai).encode, codec(T::openai_compatible).encode);
  EXPECT_EQ(codec(T::openai).stream, codec(T::openai_compatible).stream);
  EXPECT_EQ(codec(T::openai).caps.native, model::Format::openai_responses);
  EXPECT_EQ(codec(T::openai_compatible).caps.native, model::Format::none);
  EXPECT_EQ(codec(T::azure_openai).caps.native, model::Format::none);
  EXPECT_TRUE(codec(T::echo).caps.local);
  EXPECT_TRUE(codec(T::echo).caps.free);
  EXPECT_FALSE(codec(T::gemini).caps.token_input);
  EXPECT_FALSE(codec(T::anthropic).caps.embeddings);
}

}  // namespace
}  // namespace sy::providers
