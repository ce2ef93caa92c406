// Answers in the caller's format (src/gateway/responder.cc): the x-switchyard-* headers, and no
// provider key in any byte of any answer — errors, 200 bodies and stream chunks alike.
#include "gateway/responder.h"

#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {

TEST(AnswerHeaders, NameTheRequestTargetAttemptsAndCache) {
  std::string h = gateway::answer_headers("application/json", "req_1", {"a/m", 2, "MISS"});
  EXPECT_EQ(h, "content-type: application/json\nx-switchyard-request-id: req_1\nx-switchyard-target: a/m\n"
               "x-switchyard-attempts: 2\nx-switchyard-cache: MISS\n");
  EXPECT_EQ(gateway::answer_headers("text/plain", "req_2", {{}, 0, "BYPASS"}),
            "content-type: text/plain\nx-switchyard-request-id: req_2\nx-switchyard-attempts: 0\nx-switchyard-cache: BYPASS\n");
}

TEST_F(EngineTest, AnUpstreamThatEchoesTheProviderKeyNeverLeaksIt) {
  configure(upstream_config());
  std::string leaky = kCompletion;
  leaky.replace(leaky.find("hi!"), 3, "your key is sk-secret-a, thanks");
  auto done = answer(submit(R"({"model": "a/m-a", "messages": [{"role": "user", "content": "hi"}]})")[0].id, 200, leaky);
  ASSERT_EQ(done[0].status, 200u);
  EXPECT_EQ(done[0].body.find("sk-secret-a"), std::string::npos);
  EXPECT_NE(done[0].body.find("[redacted]"), std::string::npos);

  auto actions = submit(R"({"model": "a/m-a", "stream": true, "messages": [{"role": "user", "content": "hi"}]})");
  engine.fetch_response(actions[0].id, 200, "", now);
  engine.fetch_body(actions[0].id,
                    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                    "{\"content\":\"key: sk-secret-a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
                    now);
  std::string text = chunks(take());
  EXPECT_EQ(text.find("sk-secret-a"), std::string::npos);
  EXPECT_NE(text.find("[redacted]"), std::string::npos);
}

}  // namespace
}  // namespace sy::engine
