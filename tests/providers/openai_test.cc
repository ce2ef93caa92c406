// The OpenAI stream decoder's pass-through of client events.
#include "providers/openai.h"

#include "wire_test_util.h"

namespace sy::providers::openai {
namespace {

using namespace test;

const config::Provider kProvider = make_provider(config::ProviderType::openai, "https://api.openai.com/v1");

TEST(OpenAI, MultiLineDataEventsReachTheClientAsOneLine) {
  // Found by the decoder fuzzer: an event of two data lines was passed on with a bare second
  // line, which no client SSE parser reads as data.
  DecodeContext ctx{kProvider, "m", "chatcmpl-1", 1};
  auto r = run_stream(kWireFormat, ctx, {"data: {\"id\":\"c\",\ndata: \"choices\":[]}\n\ndata: [DONE]\n\n"});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.out, "data: {\"id\":\"c\",\"choices\":[]}\n\n");
  expect_split_invariant(kWireFormat, ctx, "data: {\"id\":\"c\",\ndata: \"choices\":[]}\n\ndata: [DONE]\n\n");
}

}  // namespace
}  // namespace sy::providers::openai
