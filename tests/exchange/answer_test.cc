// Upstream answers and streams (src/exchange/answer.cc): forwarding, decoding, streams whatever the
// chunking, failures before and after the first event, the local echo provider.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {

constexpr const char* kStream =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";


TEST_F(EngineTest, ForwardsToAnOpenAICompatibleUpstream) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "temperature": 0.5, "switchyard": {"metadata": {"u": 1}},
                            "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_DOUBLE_EQ(deadline(), now + 60000);  // the attempt's deadline
  const Action& f = actions[0];
  EXPECT_EQ(f.kind, ActionKind::fetch);
  EXPECT_EQ(f.status, last_id);  // the owning request
  EXPECT_EQ(f.method, "POST");
  EXPECT_EQ(f.url, "http://a.test/v1/chat/completions");
  EXPECT_EQ(header(f, "authorization"), "Bearer sk-secret-a");
  auto sent = parse(f.body);
  EXPECT_STREQ(sent["model"].GetString(), "m-a");
  EXPECT_EQ(sent["temperature"].GetDouble(), 0.5);
  EXPECT_FALSE(sent.HasMember("switchyard"));
  auto done = answer(f.id, 200, kCompletion);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(deadline(), exchange::kNever);  // nothing left to wait for
  EXPECT_EQ(done[0].status, 200u);
  EXPECT_EQ(header(done[0], "x-switchyard-target"), "a/m-a");
  auto body = parse(done[0].body);
  EXPECT_STREQ(body["provider"].GetString(), "a");
  EXPECT_DOUBLE_EQ(body["usage"]["cost"].GetDouble(), (1000 * 1 + 500 * 2) / 1e6);
  EXPECT_EQ(done[0].body.find("sk-secret-a"), std::string::npos);
}

TEST_F(EngineTest, StreamsFromUpstreamWhateverTheChunking) {
  configure(upstream_config());
  std::string_view stream = kStream;
  for (size_t step : {1u, 3u, 7u, 64u, 1000u}) {
    auto actions = submit(R"({"model": "fo", "stream": true, "messages": [{"role": "user", "content": "hi"}]})");
    const Action& f = actions[0];
    EXPECT_EQ(f.flags, 1u);
    engine.fetch_response(f.id, 200, "content-type: text/event-stream\n", now);
    take();
    std::vector<Action> out;
    for (size_t at = 0; at < stream.size(); at += step) {
      engine.fetch_body(f.id, stream.substr(at, step), now);
      for (auto& a : take()) out.push_back(a);
    }
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].kind, ActionKind::respond);
    EXPECT_EQ(out[0].flags, 1u);
    std::string text;
    for (auto& a : out)
      if (a.kind == ActionKind::stream_chunk) text += a.body;
    ASSERT_NE(find(out, ActionKind::stream_end), nullptr);
    EXPECT_EQ(find(out, ActionKind::fetch_abort)->id, f.id);  // nothing more is read after [DONE]
    EXPECT_NE(text.find("\"Hel\""), std::string::npos);
    EXPECT_EQ(text.find("keep-alive"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 14), "data: [DONE]\n\n");
    EXPECT_EQ(engine.in_flight(), 0u) << step;
  }
}

TEST_F(EngineTest, MidStreamFailureEndsWithAnErrorChunk) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "stream": true, "messages": [{"role": "user", "content": "hi"}]})");
  engine.fetch_response(actions[0].id, 200, "", now);
  engine.fetch_body(actions[0].id, std::string_view(kStream).substr(0, 120), now);
  ASSERT_EQ(take()[0].kind, ActionKind::respond);
  engine.fetch_error(actions[0].id, "reset", now);
  auto after = take();
  EXPECT_EQ(find(after, ActionKind::fetch), nullptr);  // no failover once bytes went out
  const std::string chunk = chunks(after);
  EXPECT_NE(chunk.find("\"finish_reason\":\"error\""), std::string::npos);
  EXPECT_NE(chunk.find("\"error\":{\"message\""), std::string::npos);
  EXPECT_EQ(chunk.substr(chunk.size() - 14), "data: [DONE]\n\n");
  auto error_event = parse(chunk.substr(6, chunk.find("\n\n") - 6));
  EXPECT_TRUE(error_event["error"].IsObject());
  EXPECT_EQ(after.back().kind, ActionKind::stream_end);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, StreamFailingBeforeTheFirstByteFailsOver) {
  configure(upstream_config(R"(, "retry": {"attempts": 0})"));
  auto actions = submit(R"({"model": "fo", "stream": true, "messages": [{"role": "user", "content": "hi"}]})");
  engine.fetch_response(actions[0].id, 200, "", now);
  engine.fetch_end(actions[0].id, now);
  auto after = take();
  const Action* next = find(after, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->url, "http://b.test/v1/chat/completions");
}

TEST_F(EngineTest, EchoAnswersWithHeaders) {
  configure(kEchoConfig);
  auto actions = submit(R"({"model": "default", "messages": [{"role": "user", "content": "hello"}]})");
  ASSERT_EQ(actions.size(), 1u);
  const Action& r = actions[0];
  EXPECT_EQ(r.kind, ActionKind::respond);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.flags, 0u);
  EXPECT_EQ(header(r, "x-switchyard-target"), "echo/echo-1");
  EXPECT_EQ(header(r, "x-switchyard-attempts"), "1");
  EXPECT_EQ(header(r, "x-switchyard-cache"), "BYPASS");
  EXPECT_EQ(header(r, "x-switchyard-request-id").substr(0, 4), "req_");
  auto body = parse(r.body);
  EXPECT_STREQ(body["choices"][0]["message"]["content"].GetString(), "hello");
  EXPECT_STREQ(body["provider"].GetString(), "echo");
  EXPECT_EQ(body["usage"]["cost"].GetDouble(), 0);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, EchoStreams) {
  configure(kEchoConfig);
  auto actions = submit(R"({"model": "echo/x", "stream": true, "messages": [{"role": "user", "content": "a b c"}]})");
  ASSERT_GE(actions.size(), 3u);
  EXPECT_EQ(actions[0].kind, ActionKind::respond);
  EXPECT_EQ(actions[0].flags, 1u);
  EXPECT_EQ(header(actions[0], "content-type"), "text/event-stream");
  std::string all;
  for (size_t i = 1; i + 1 < actions.size(); ++i) {
    EXPECT_EQ(actions[i].kind, ActionKind::stream_chunk);
    all += actions[i].body;
  }
  EXPECT_EQ(actions.back().kind, ActionKind::stream_end);
  EXPECT_NE(all.find("\"content\":\"a \""), std::string::npos);
  EXPECT_EQ(all.substr(all.size() - 14), "data: [DONE]\n\n");
  EXPECT_EQ(engine.in_flight(), 0u);
}

}  // namespace
}  // namespace sy::engine
