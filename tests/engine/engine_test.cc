// The engine driven as a host would, in virtual time: every test feeds events
// and checks the actions that come back.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include "engine/harness.h"

#include <map>

#include "json/json.h"

namespace sy::engine {
namespace {

constexpr const char* kEchoConfig = R"({"providers": {"echo": {"type": "echo"}},
  "models": {"default": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
  "services": {"greet": {"model": "echo/echo-1", "system": "Be kind.", "prompt": "Say hello to {{name}}"}}})";

constexpr const char* kCompletion =
    R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"m-up","choices":[{"index":0,"message":{"role":"assistant","content":"hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}})";

std::string upstream_config(std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "api_key": "sk-secret-a",
            "prices": {"m-a": {"input": 1, "output": 2}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1"}},
    "models": {"fo": {"strategy": "fallback", "targets": [{"provider": "a", "model": "m-a"}, {"provider": "b", "model": "m-b"}]},
               "rr": {"strategy": "round_robin", "targets": [{"provider": "a", "model": "m-a"}, {"provider": "b", "model": "m-b"}]}})") +
         std::string(extra) + "}";
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

TEST_F(EngineTest, BadRequestsGetTheRightError) {
  configure(kEchoConfig);
  struct Case {
    const char* body;
    unsigned status;
    const char* code;
    const char* param;
  } cases[] = {
      {"{not json", 400, "invalid_json", nullptr},
      {"[1]", 400, "invalid_json", nullptr},
      {R"({"messages": [{"role": "user", "content": "x"}]})", 400, "missing_model", "model"},
      {R"({"model": 5, "messages": []})", 400, "invalid_request", "model"},
      {R"({"model": "default"})", 400, "missing_messages", "messages"},
      {R"({"model": "default", "messages": [{"role": "wizard", "content": "x"}]})", 400, "invalid_request", "messages[0].role"},
      {R"({"model": "default", "messages": [{"role": "user", "content": 7}]})", 400, "invalid_request", "messages[0].content"},
      {R"({"model": "default", "stream": "yes", "messages": [{"role": "user", "content": "x"}]})", 400, "invalid_request", "stream"},
      {R"({"model": "default", "switchyard": {"cache": "maybe"}, "messages": [{"role": "user", "content": "x"}]})", 400, "invalid_request", "switchyard.cache"},
      {R"({"model": "nope", "messages": [{"role": "user", "content": "x"}]})", 404, "model_not_found", "model"},
      {R"({"model": "ghost/x", "messages": [{"role": "user", "content": "x"}]})", 404, "model_not_found", "model"},
  };
  for (const auto& c : cases) {
    auto actions = submit(c.body);
    ASSERT_EQ(actions.size(), 1u) << c.body;
    EXPECT_EQ(actions[0].status, c.status) << c.body;
    auto body = parse(actions[0].body);
    ASSERT_TRUE(body["error"].IsObject()) << actions[0].body;
    EXPECT_STREQ(body["error"]["code"].GetString(), c.code) << c.body;
    EXPECT_TRUE(body["error"]["message"].IsString());
    EXPECT_STREQ(body["error"]["metadata"]["error_type"].GetString(), "invalid_request");
    EXPECT_EQ(header(actions[0], "x-switchyard-attempts"), "0") << c.body;
    EXPECT_EQ(header(actions[0], "x-switchyard-cache"), "BYPASS") << c.body;
    EXPECT_EQ(header(actions[0], "x-switchyard-request-id").substr(0, 4), "req_") << c.body;
    if (c.param) EXPECT_STREQ(body["error"]["param"].GetString(), c.param) << c.body;
    else EXPECT_FALSE(body["error"].HasMember("param")) << c.body;
  }
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, RoutesMethodsAndHealth) {
  configure(kEchoConfig);
  EXPECT_EQ(submit("", "/health", "", "GET")[0].status, 200u);
  EXPECT_EQ(submit("", "/nope", "", "GET")[0].status, 404u);
  auto wrong = submit("", "/v1/chat/completions", "", "GET");
  EXPECT_EQ(wrong[0].status, 405u);
  EXPECT_EQ(header(wrong[0], "allow"), "POST");
  auto models = parse(submit("", "/v1/models?x=1", "", "GET")[0].body);
  std::vector<std::string> ids;
  for (auto& m : models["data"].GetArray()) ids.push_back(m["id"].GetString());
  EXPECT_EQ(ids, (std::vector<std::string>{"default", "echo/echo-1"}));
}

TEST_F(EngineTest, UnconfiguredEngineAnswers503) {
  auto actions = submit(R"({"model": "x", "messages": []})");
  EXPECT_EQ(actions[0].status, 503u);
  EXPECT_EQ(submit("", "/health", "", "GET")[0].status, 200u);
}

TEST_F(EngineTest, InvalidConfigKeepsThePreviousOne) {
  configure(kEchoConfig);
  EXPECT_FALSE(engine.configure(R"({"providers": {"x": {"type": "nope"}}, "models": 3})", "{}"));
  auto error = parse(engine.last_error());
  EXPECT_STREQ(error["error"]["code"].GetString(), "invalid_config");
  const auto& errors = error["error"]["metadata"]["errors"];
  ASSERT_EQ(errors.Size(), 2u);
  EXPECT_STREQ(errors[0]["path"].GetString(), "providers.x.type");
  EXPECT_STREQ(errors[1]["path"].GetString(), "models");
  EXPECT_EQ(submit(R"({"model": "default", "messages": [{"role": "user", "content": "x"}]})")[0].status, 200u);
}

TEST_F(EngineTest, ForwardsToAnOpenAICompatibleUpstream) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "temperature": 0.5, "switchyard": {"metadata": {"u": 1}},
                            "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_EQ(actions.size(), 2u);  // the fetch and its attempt deadline
  EXPECT_EQ(actions[1].kind, ActionKind::wake_at);
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
  ASSERT_EQ(done.size(), 1u);  // no deadline left, so no new WAKE_AT
  EXPECT_EQ(done[0].status, 200u);
  EXPECT_EQ(header(done[0], "x-switchyard-target"), "a/m-a");
  auto body = parse(done[0].body);
  EXPECT_STREQ(body["provider"].GetString(), "a");
  EXPECT_DOUBLE_EQ(body["usage"]["cost"].GetDouble(), (1000 * 1 + 500 * 2) / 1e6);
  EXPECT_EQ(done[0].body.find("sk-secret-a"), std::string::npos);
}

TEST_F(EngineTest, RetriesAfterBackoffInVirtualTime) {
  configure(upstream_config());
  auto first = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto after_503 = answer(first[0].id, 503, R"({"error": {"message": "busy"}})");
  ASSERT_EQ(after_503.size(), 1u);
  ASSERT_EQ(after_503[0].kind, ActionKind::wake_at);
  double wake = after_503[0].at_ms;
  EXPECT_GE(wake, now);
  EXPECT_LE(wake, now + 100);  // first backoff: full jitter within backoff_ms
  engine.timer(wake - 1 < now ? now : wake - 1);
  auto early = take();
  EXPECT_EQ(find(early, ActionKind::fetch), nullptr);
  ASSERT_NE(find(early, ActionKind::wake_at), nullptr);  // an early timer re-arms
  EXPECT_EQ(find(early, ActionKind::wake_at)->at_ms, wake);
  now = wake;
  engine.timer(now);
  auto retry = take();
  const Action* again = find(retry, ActionKind::fetch);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->url, "http://a.test/v1/chat/completions");
  auto done = answer(again->id, 200, kCompletion);
  const Action* r = find(done, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(header(*r, "x-switchyard-attempts"), "2");
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, FallsBackWhenRetriesRunOut) {
  configure(upstream_config(R"(, "retry": {"attempts": 2, "backoff_ms": 100})"));
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  uint32_t fetch = actions[0].id;
  for (int i = 0; i < 3; ++i) {  // first try + 2 retries on target a
    auto result = answer(fetch, 500, "oops");
    if (i < 2) {
      now = find(result, ActionKind::wake_at)->at_ms;
      engine.timer(now);
      fetch = find(take(), ActionKind::fetch)->id;
    } else {
      const Action* next = find(result, ActionKind::fetch);
      ASSERT_NE(next, nullptr);
      EXPECT_EQ(next->url, "http://b.test/v1/chat/completions");
      EXPECT_EQ(header(*next, "authorization"), "");
      auto done = answer(next->id, 200, kCompletion);
      EXPECT_EQ(header(*find(done, ActionKind::respond), "x-switchyard-attempts"), "4");
      EXPECT_EQ(header(*find(done, ActionKind::respond), "x-switchyard-target"), "b/m-b");
    }
  }
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, WhenEveryTargetFailsTheLastErrorIsReturned) {
  configure(upstream_config(R"(, "retry": {"attempts": 0})"));
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto next = answer(actions[0].id, 502, "");
  auto last = answer(find(next, ActionKind::fetch)->id, 429, R"({"error": {"message": "slow down"}})",
                     "retry-after: 7\n");
  const Action* r = find(last, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 429u);
  EXPECT_EQ(header(*r, "retry-after"), "7");
  EXPECT_EQ(header(*r, "x-switchyard-target"), "b/m-b");
  EXPECT_EQ(header(*r, "x-switchyard-attempts"), "2");
  EXPECT_EQ(header(*r, "x-switchyard-cache"), "BYPASS");
  auto body = parse(r->body);
  EXPECT_STREQ(body["error"]["metadata"]["error_type"].GetString(), "rate_limited");
  EXPECT_NE(std::string(body["error"]["message"].GetString()).find("slow down"), std::string::npos);
}

TEST_F(EngineTest, UpstreamBadRequestReturnsAtOnceWithoutLeakingTheKey) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto done = answer(actions[0].id, 400,
                     R"({"error": {"message": "bad temperature for key sk-secret-a", "param": "temperature", "code": "invalid_value"}})");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status, 400u);
  EXPECT_EQ(done[0].body.find("sk-secret-a"), std::string::npos);
  auto body = parse(done[0].body);
  EXPECT_STREQ(body["error"]["param"].GetString(), "temperature");
  EXPECT_STREQ(body["error"]["code"].GetString(), "invalid_value");
  auto other = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto plain = answer(other[0].id, 200, R"({"error": "no"})");  // 200 with an error body, no code
  EXPECT_EQ(find(plain, ActionKind::respond), nullptr);  // retried, not answered
  EXPECT_EQ(find(plain, ActionKind::wake_at)->kind, ActionKind::wake_at);
  engine.cancel(last_id, now);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, RetryAfterIsHonoured) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto result = answer(actions[0].id, 429, "{}", "retry-after: 2\n");
  EXPECT_DOUBLE_EQ(find(result, ActionKind::wake_at)->at_ms, now + 2000);
}

TEST_F(EngineTest, AttemptTimeoutAbortsAndRetries) {
  configure(upstream_config(R"(, "timeout_ms": 3000, "retry": {"attempts": 0})"));
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  const Action* wake = find(actions, ActionKind::wake_at);
  ASSERT_NE(wake, nullptr);
  EXPECT_DOUBLE_EQ(wake->at_ms, now + 3000);
  now += 3000;
  engine.timer(now);
  auto after = take();
  const Action* abort = find(after, ActionKind::fetch_abort);
  ASSERT_NE(abort, nullptr);
  EXPECT_EQ(abort->id, actions[0].id);
  const Action* next = find(after, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->url, "http://b.test/v1/chat/completions");
  // A late answer for the aborted fetch is ignored.
  EXPECT_TRUE(answer(abort->id, 200, kCompletion).empty());
}

TEST_F(EngineTest, WholeRequestDeadline) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions",
                        "x-switchyard-timeout: 500\n");
  EXPECT_DOUBLE_EQ(find(actions, ActionKind::wake_at)->at_ms, now + 500);
  now += 500;
  engine.timer(now);
  auto after = take();
  EXPECT_NE(find(after, ActionKind::fetch_abort), nullptr);
  EXPECT_EQ(find(after, ActionKind::respond)->status, 504u);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, NetworkErrorsAreRetried) {
  configure(upstream_config(R"(, "retry": {"attempts": 0})"));
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  engine.fetch_error(actions[0].id, "connection refused", now);
  auto after = take();
  const Action* next = find(after, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->url, "http://b.test/v1/chat/completions");
}

TEST_F(EngineTest, RoundRobinAlternates) {
  configure(upstream_config());
  std::vector<std::string> urls;
  for (int i = 0; i < 4; ++i) {
    auto actions = submit(R"({"model": "rr", "messages": [{"role": "user", "content": "hi"}]})");
    urls.push_back(actions[0].url);
    answer(actions[0].id, 200, kCompletion);
  }
  EXPECT_EQ(urls[0], urls[2]);
  EXPECT_EQ(urls[1], urls[3]);
  EXPECT_NE(urls[0], urls[1]);
}

constexpr const char* kStream =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

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
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(find(after, ActionKind::fetch), nullptr);  // no failover once bytes went out
  const std::string& chunk = after[0].body;
  EXPECT_NE(chunk.find("\"finish_reason\":\"error\""), std::string::npos);
  EXPECT_NE(chunk.find("\"error\":{\"message\""), std::string::npos);
  EXPECT_EQ(chunk.substr(chunk.size() - 14), "data: [DONE]\n\n");
  auto error_event = parse(chunk.substr(6, chunk.find("\n\n") - 6));
  EXPECT_TRUE(error_event["error"].IsObject());
  EXPECT_EQ(after[1].kind, ActionKind::stream_end);
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

TEST_F(EngineTest, CacheHitsIgnoreKeyOrderAndStreamControls) {
  configure(upstream_config(R"(, "cache": {"enabled": true})"));
  auto first = submit(R"({"model": "fo", "temperature": 0, "messages": [{"role": "user", "content": "hi"}]})");
  auto done = answer(first[0].id, 200, kCompletion);
  EXPECT_EQ(header(done[0], "x-switchyard-cache"), "MISS");
  auto second = submit(R"({ "messages": [{"content": "hi", "role": "user"}], "temperature": 0.0, "model": "fo", "user": "u1" })");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind, ActionKind::respond);
  EXPECT_EQ(header(second[0], "x-switchyard-cache"), "HIT");
  EXPECT_EQ(header(second[0], "x-switchyard-target"), "a/m-a");
  EXPECT_EQ(parse(second[0].body)["choices"][0]["message"]["content"], "hi!");
  auto different = submit(R"({"model": "fo", "temperature": 1, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(different[0].kind, ActionKind::fetch);
  auto no_store = submit(R"({"model": "fo", "temperature": 0, "switchyard": {"cache": "no-store"}, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(no_store[0].kind, ActionKind::fetch);
  auto only_miss = submit(R"({"model": "fo", "temperature": 2, "messages": [{"role": "user", "content": "hi"}]})",
                          "/v1/chat/completions", "x-switchyard-cache: only\n");
  EXPECT_EQ(only_miss[0].status, 504u);
  EXPECT_NE(only_miss[0].body.find("cache_miss_offline"), std::string::npos);
}

TEST_F(EngineTest, CacheEntriesExpire) {
  configure(upstream_config(R"(, "cache": {"enabled": true, "ttl_s": 10})"));
  std::string body = R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})";
  answer(submit(body)[0].id, 200, kCompletion);
  now += 9999;
  EXPECT_EQ(submit(body)[0].kind, ActionKind::respond);
  now += 1;
  EXPECT_EQ(submit(body)[0].kind, ActionKind::fetch);
}

TEST_F(EngineTest, ServicesFillTemplates) {
  configure(kEchoConfig);
  auto actions = submit(R"({"name": "Ada"})", "/v1/services/greet");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].status, 200u);
  auto body = parse(actions[0].body);
  EXPECT_STREQ(body["text"].GetString(), "Say hello to Ada");
  EXPECT_STREQ(body["model"].GetString(), "echo-1");
  EXPECT_TRUE(body["usage"].IsObject());
  auto missing = submit(R"({"nom": "Ada"})", "/v1/services/greet");
  EXPECT_EQ(missing[0].status, 400u);
  EXPECT_STREQ(parse(missing[0].body)["error"]["param"].GetString(), "name");
  EXPECT_EQ(submit("{}", "/v1/services/nope")[0].status, 404u);
}

TEST_F(EngineTest, GatewayKeys) {
  configure(R"({"providers": {"echo": {"type": "echo"}},
                "keys": {"sk-team": {"models": ["echo/a"]}, "sk-ops": {"models": ["*"], "admin": true}}})");
  std::string body = R"({"model": "echo/a", "messages": [{"role": "user", "content": "x"}]})";
  EXPECT_EQ(submit("", "/health", "", "GET")[0].status, 200u);
  auto none = submit(body);
  EXPECT_EQ(none[0].status, 401u);
  EXPECT_EQ(header(none[0], "www-authenticate"), "Bearer");
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-wrong\n")[0].status, 401u);
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-team\n")[0].status, 200u);
  EXPECT_EQ(submit(body, "/v1/chat/completions", "x-api-key: sk-team\n")[0].status, 200u);
  std::string other = R"({"model": "echo/b", "messages": [{"role": "user", "content": "x"}]})";
  EXPECT_EQ(submit(other, "/v1/chat/completions", "authorization: Bearer sk-team\n")[0].status, 403u);
  EXPECT_EQ(submit(other, "/v1/chat/completions", "authorization: Bearer sk-ops\n")[0].status, 200u);
}

TEST_F(EngineTest, BodyLimit) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"max_body_bytes": 1024}})");
  std::string big = R"({"model": "echo/a", "messages": [{"role": "user", "content": ")" + std::string(2000, 'x') + "\"}]}";
  EXPECT_EQ(submit(big)[0].status, 413u);
}

TEST_F(EngineTest, CancelStopsUpstreamWork) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  engine.cancel(last_id, now);
  auto after = take();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].kind, ActionKind::fetch_abort);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, DeeplyNestedBodiesAreRefused) {
  configure(kEchoConfig);
  std::string deep(100000, '[');
  auto actions = submit(deep);
  EXPECT_EQ(actions[0].status, 400u);
}


// ---- routing, health and limits -------------------------------------------

std::string three_targets(std::string_view model, std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "prices": {"m": {"input": 3, "output": 3}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1", "prices": {"m": {"input": 1, "output": 1}}},
      "c": {"type": "openai-compatible", "base_url": "http://c.test/v1"}},
    "models": {"x": )") + std::string(model) + "}" + std::string(extra) + "}";
}

constexpr const char* kAbc = R"({"targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}, {"provider": "c", "model": "m"}]})";

std::string host_of(const Action& fetch) { return fetch.url.substr(7, 1); }

TEST_F(EngineTest, ConcurrencyLimitQueuesByPriority) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"concurrency": 1}}},
                "timeout_ms": 60000})");
  auto body = [](int priority) {
    return R"({"model": "a/m", "switchyard": {"priority": )" + std::to_string(priority) +
           R"(}, "messages": [{"role": "user", "content": "hi"}]})";
  };
  auto first = submit(body(5));
  ASSERT_EQ(first[0].kind, ActionKind::fetch);
  uint32_t low = last_id + 1;
  EXPECT_EQ(find(submit(body(9)), ActionKind::fetch), nullptr);  // queued
  uint32_t high = last_id + 1;
  EXPECT_EQ(find(submit(body(0)), ActionKind::fetch), nullptr);  // queued behind nothing more urgent
  auto done = answer(first[0].id, 200, kCompletion);
  const Action* next = find(done, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->status, high);  // priority 0 first, though it came later
  done = answer(next->id, 200, kCompletion);
  next = find(done, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->status, low);
  answer(next->id, 200, kCompletion);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, QueuedRequestsGet429WithRetryAfterAtTheirDeadline) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"rpm": 1}}}})");
  std::string body = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
  answer(submit(body)[0].id, 200, kCompletion);
  auto queued = submit(body, "/v1/chat/completions", "x-switchyard-timeout: 5000\n");
  EXPECT_EQ(find(queued, ActionKind::fetch), nullptr);
  EXPECT_DOUBLE_EQ(find(queued, ActionKind::wake_at)->at_ms, now + 5000);
  now += 5000;
  engine.timer(now);
  auto after = take();
  const Action* r = find(after, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 429u);
  EXPECT_EQ(header(*r, "retry-after"), "55");  // the window frees 60 s after the first start
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, RpmQueueWakesWhenTheWindowFrees) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"rpm": 1}}},
                "timeout_ms": 120000})");
  std::string body = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
  double start = now;
  answer(submit(body)[0].id, 200, kCompletion);
  auto queued = submit(body);
  EXPECT_DOUBLE_EQ(find(queued, ActionKind::wake_at)->at_ms, start + 60000);
  now = start + 60000;
  engine.timer(now);
  auto after = take();
  ASSERT_NE(find(after, ActionKind::fetch), nullptr);
}

TEST_F(EngineTest, BreakerOpensStopsTrafficAndRecoversThroughAProbe) {
  configure(three_targets(R"({"strategy": "round_robin", "targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}]})",
                          R"(, "retry": {"attempts": 0}, "breaker": {"failures": 2, "cooldown_ms": 10000})"));
  std::string body = R"({"model": "x", "messages": [{"role": "user", "content": "hi"}]})";
  std::map<std::string, int> calls;
  auto run = [&](bool a_fails) {
    auto actions = submit(body);
    for (const Action* f = find(actions, ActionKind::fetch); f;) {
      ++calls[host_of(*f)];
      bool fail = a_fails && host_of(*f) == "a";
      auto next = answer(f->id, fail ? 500 : 200, fail ? "{}" : kCompletion);
      const Action* again = find(next, ActionKind::fetch);
      if (!again) {
        EXPECT_EQ(find(next, ActionKind::respond)->status, 200u);
        break;
      }
      actions = next;
      f = find(actions, ActionKind::fetch);
    }
  };
  for (int i = 0; i < 10; ++i) run(true);
  EXPECT_EQ(calls["a"], 2);  // two failures open a's breaker; then all traffic goes to b
  EXPECT_EQ(calls["b"], 10);
  auto stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  EXPECT_STREQ(stats["targets"][0]["target"].GetString(), "a/m");
  EXPECT_STREQ(stats["targets"][0]["breaker"].GetString(), "open");
  EXPECT_EQ(stats["targets"][0]["errors"].GetInt(), 2);
  now += 10000;  // cooldown over: one probe, it succeeds, a is back in rotation
  calls.clear();
  for (int i = 0; i < 4; ++i) run(false);
  EXPECT_EQ(calls["a"], 2);
  EXPECT_EQ(calls["b"], 2);
  stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  EXPECT_STREQ(stats["targets"][0]["breaker"].GetString(), "closed");
  EXPECT_NE(submit("", "/metrics", "", "GET")[0].body.find("switchyard_requests_total{target=\"b/m\"} 12"),
            std::string::npos);
}

TEST_F(EngineTest, AllBreakersOpenAnswers503WithRetryAfter) {
  configure(three_targets(R"({"targets": [{"provider": "a", "model": "m"}]})",
                          R"(, "retry": {"attempts": 0}, "breaker": {"failures": 1, "cooldown_ms": 30000})"));
  std::string body = R"({"model": "x", "messages": [{"role": "user", "content": "hi"}]})";
  EXPECT_EQ(find(answer(submit(body)[0].id, 503, "{}"), ActionKind::respond)->status, 502u);
  auto r = submit(body);
  ASSERT_EQ(r[0].kind, ActionKind::respond);
  EXPECT_EQ(r[0].status, 503u);
  EXPECT_EQ(header(r[0], "retry-after"), "30");
  EXPECT_STREQ(parse(r[0].body)["error"]["metadata"]["error_type"].GetString(), "no_healthy_target");
}

TEST_F(EngineTest, ConditionalRoutingOnMetadataAndPromptSize) {
  configure(three_targets(R"({"strategy": "conditional", "default": "basic",
      "conditions": [{"when": {"metadata.tier": "premium"}, "then": "gold"},
                     {"when": {"prompt_tokens": {"$gt": 100}}, "then": "long"}],
      "targets": [{"name": "gold", "provider": "a", "model": "m"}, {"name": "basic", "provider": "b", "model": "m"},
                  {"name": "long", "provider": "c", "model": "m"}]})"));
  auto target = [&](std::string body, std::string_view headers = kJson) {
    auto actions = submit(body, "/v1/chat/completions", headers);
    std::string host = host_of(actions[0]);
    engine.cancel(last_id, now);
    return host;
  };
  EXPECT_EQ(target(R"({"model": "x", "messages": [{"role": "user", "content": "hi"}]})"), "b");
  EXPECT_EQ(target(R"({"model": "x", "switchyard": {"metadata": {"tier": "premium"}}, "messages": [{"role": "user", "content": "hi"}]})"), "a");
  EXPECT_EQ(target(R"({"model": "x", "messages": [{"role": "user", "content": "hi"}]})", "x-switchyard-metadata: {\"tier\": \"premium\"}\n"), "a");
  EXPECT_EQ(target(R"({"model": "x", "messages": [{"role": "user", "content": ")" + std::string(600, 'z') + R"("}]})"), "c");
}

TEST_F(EngineTest, RequestLevelModelsAndProviderPreferences) {
  // Every attempt below fails on purpose: keep the breakers out of it.
  configure(three_targets(kAbc, R"(, "retry": {"attempts": 0}, "breaker": {"failures": 1000000})"));
  auto order = [&](std::string body) {
    std::string hosts;
    auto actions = submit(body);
    while (const Action* f = find(actions, ActionKind::fetch)) {
      hosts += host_of(*f);
      actions = answer(f->id, 500, "{}");
    }
    return hosts;
  };
  std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";
  EXPECT_EQ(order(R"({"model": "x", )" + msgs + "}"), "abc");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"order": ["c", "b"]}, )" + msgs + "}"), "cba");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"order": ["c", "b"], "allow_fallbacks": false}, )" + msgs + "}"), "cb");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"only": ["a", "c"]}, )" + msgs + "}"), "ac");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"ignore": ["a"]}, )" + msgs + "}"), "bc");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"sort": "price"}, )" + msgs + "}"), "bac");  // unknown price last
  EXPECT_EQ(order(R"({"model": "x:floor", )" + msgs + "}"), "bac");
  EXPECT_EQ(order(R"({"model": "x", "provider": {"max_price": {"prompt": 2}}, )" + msgs + "}"), "bc");
  EXPECT_EQ(order(R"({"model": "c/other", "models": ["a/m", "b/m"], )" + msgs + "}"), "cab");
  EXPECT_EQ(order(R"({"models": ["b/m", "a/m"], )" + msgs + "}"), "ba");
  auto bad = submit(R"({"model": "x", "provider": {"sort": "vibes"}, )" + msgs + "}");
  EXPECT_STREQ(parse(bad[0].body)["error"]["param"].GetString(), "provider.sort");
  auto unknown = submit(R"({"model": "x", "models": ["x", "nope"], )" + msgs + "}");
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_STREQ(parse(unknown[0].body)["error"]["param"].GetString(), "models[1]");
  auto none = submit(R"({"model": "x", "provider": {"only": ["zz"]}, )" + msgs + "}");
  EXPECT_EQ(none[0].status, 404u);
  EXPECT_STREQ(parse(none[0].body)["error"]["param"].GetString(), "provider");
}

TEST_F(EngineTest, SessionsStickToTheirTargetWhileItIsHealthy) {
  configure(three_targets(R"({"strategy": "round_robin", "targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}]})"));
  auto host = [&](std::string session) {
    auto actions = submit(R"({"model": "x", "session_id": ")" + session + R"(", "messages": [{"role": "user", "content": "hi"}]})");
    std::string h = host_of(actions[0]);
    answer(actions[0].id, 200, kCompletion);
    return h;
  };
  std::string first = host("s1");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(host("s1"), first);
  EXPECT_NE(host("s2"), host("s3"));  // others still rotate
}

TEST_F(EngineTest, OverrideParamsChildWinsOverParent) {
  configure(three_targets(R"({"override_params": {"temperature": 1, "top_p": 0.5},
      "targets": [{"provider": "a", "model": "m", "override_params": {"temperature": 0.1, "seed": 7}}]})"));
  auto actions = submit(R"({"model": "x", "temperature": 0.9, "messages": [{"role": "user", "content": "hi"}]})");
  auto sent = parse(actions[0].body);
  EXPECT_EQ(sent["temperature"].GetDouble(), 0.1);
  EXPECT_EQ(sent["top_p"].GetDouble(), 0.5);
  EXPECT_EQ(sent["seed"].GetInt(), 7);
}

TEST_F(EngineTest, GatewayKeyRateLimit) {
  configure(R"({"providers": {"e": {"type": "echo"}}, "keys": {"sk-a": {"rpm": 2}, "sk-b": {}}})");
  std::string body = R"({"model": "e/x", "messages": [{"role": "user", "content": "hi"}]})";
  std::string a = "authorization: Bearer sk-a\n";
  EXPECT_EQ(submit(body, "/v1/chat/completions", a)[0].status, 200u);
  now += 1000;
  EXPECT_EQ(submit(body, "/v1/chat/completions", a)[0].status, 200u);
  auto limited = submit(body, "/v1/chat/completions", a);
  EXPECT_EQ(limited[0].status, 429u);
  EXPECT_EQ(header(limited[0], "retry-after"), "59");
  EXPECT_STREQ(parse(limited[0].body)["error"]["code"].GetString(), "key_rate_limited");
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-b\n")[0].status, 200u);  // per key
  now += 59000;
  EXPECT_EQ(submit(body, "/v1/chat/completions", a)[0].status, 200u);
}

TEST_F(EngineTest, GatewayKeyBudget) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1",
                                   "prices": {"m": {"input": 1000, "output": 1000}}}},
                "keys": {"sk-a": {"budget_usd": 2}, "sk-b": {"budget_usd": 2}}})");
  std::string body = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
  std::string a = "authorization: Bearer sk-a\n";
  // kCompletion uses 1500 tokens: $1.50 at $1000 per million.
  answer(submit(body, "/v1/chat/completions", a)[0].id, 200, kCompletion);
  answer(submit(body, "/v1/chat/completions", a)[0].id, 200, kCompletion);  // $3.00: over, but it was allowed to start
  auto broke = submit(body, "/v1/chat/completions", a);
  EXPECT_EQ(broke[0].status, 402u);
  EXPECT_STREQ(parse(broke[0].body)["error"]["code"].GetString(), "budget_exhausted");
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-b\n")[0].kind, ActionKind::fetch);
  EXPECT_EQ(submit("", "/v1/models", a, "GET")[0].status, 200u);  // listing costs nothing
}

TEST_F(EngineTest, NoCrossOriginByDefault) {
  configure(kEchoConfig);
  std::string body = R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})";
  auto r = submit(body, "/v1/chat/completions", "origin: https://evil.example\n");
  EXPECT_EQ(r[0].status, 200u);
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "");
  auto preflight = submit("", "/v1/chat/completions", "origin: https://evil.example\naccess-control-request-method: POST\n", "OPTIONS");
  EXPECT_EQ(preflight[0].status, 403u);
}

TEST_F(EngineTest, CorsForConfiguredOrigins) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "keys": {"sk-a": {}},
                "gateway": {"cors": {"origins": ["https://app.example"], "max_age_s": 60}}})");
  std::string body = R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})";
  // The preflight needs no key (browsers send none).
  auto preflight = submit("", "/v1/chat/completions",
                          "origin: https://app.example\naccess-control-request-method: POST\n"
                          "access-control-request-headers: authorization, content-type\n",
                          "OPTIONS");
  ASSERT_EQ(preflight[0].status, 204u);
  EXPECT_EQ(header(preflight[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(header(preflight[0], "access-control-allow-headers"), "authorization, content-type");
  EXPECT_EQ(header(preflight[0], "access-control-max-age"), "60");
  auto r = submit(body, "/v1/chat/completions", "origin: https://app.example\nauthorization: Bearer sk-a\n");
  EXPECT_EQ(r[0].status, 200u);
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_NE(header(r[0], "access-control-expose-headers").find("x-switchyard-cache"), std::string::npos);
  auto denied = submit(body, "/v1/chat/completions", "authorization: Bearer sk-a\n" "origin: https://other.example\n");
  EXPECT_EQ(header(denied[0], "access-control-allow-origin"), "");
  auto unauthorized = submit(body, "/v1/chat/completions", "origin: https://app.example\n");
  EXPECT_EQ(unauthorized[0].status, 401u);  // errors carry CORS too, so the page can read them
  EXPECT_EQ(header(unauthorized[0], "access-control-allow-origin"), "https://app.example");
  auto stream = submit(R"({"model": "echo/x", "stream": true, "messages": [{"role": "user", "content": "hi"}]})",
                       "/v1/chat/completions", "origin: https://app.example\nauthorization: Bearer sk-a\n");
  EXPECT_EQ(header(stream[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_FALSE(engine.configure(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"cors": {"origins": ["app.example/"]}}})", "{}"));
  EXPECT_NE(engine.last_error().find("gateway.cors.origins[0]"), std::string::npos);
}

TEST_F(EngineTest, CorsWildcard) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"cors": {"origins": ["*"]}}})");
  auto r = submit(R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions",
                  "origin: https://anyone.example\n");
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "*");
}

}  // namespace
}  // namespace sy::engine
