// Targets and attempts (src/exchange/attempt.cc): retries, backoff, fallback, timeouts, limits and
// the queue, breakers, request-level routing, sessions, overrides and capabilities, in virtual time.
#include <gtest/gtest.h>

#include <map>

#include "engine/harness.h"

namespace sy::engine {
namespace {

std::string three_targets(std::string_view model, std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "prices": {"m": {"input": 3, "output": 3}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1", "prices": {"m": {"input": 1, "output": 1}}},
      "c": {"type": "openai-compatible", "base_url": "http://c.test/v1"}},
    "models": {"x": )") + std::string(model) + "}" + std::string(extra) + "}";
}

constexpr const char* kAbc = R"({"targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}, {"provider": "c", "model": "m"}]})";

std::string host_of(const Action& fetch) { return fetch.url.substr(7, 1); }


TEST_F(EngineTest, RetriesAfterBackoffInVirtualTime) {
  configure(upstream_config());
  auto first = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto after_503 = answer(first[0].id, 503, R"({"error": {"message": "busy"}})");
  ASSERT_TRUE(after_503.empty());
  double wake = deadline();
  EXPECT_GE(wake, now);
  EXPECT_LE(wake, now + 100);  // first backoff: full jitter within backoff_ms
  engine.timer(wake - 1 < now ? now : wake - 1);
  auto early = take();
  EXPECT_EQ(find(early, ActionKind::fetch), nullptr);
  EXPECT_EQ(deadline(), wake);  // an early timer changes nothing
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
      now = deadline();
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
  EXPECT_LE(deadline(), now + 100);  // the retry's backoff
  engine.cancel(last_id, now);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, RetryAfterIsHonoured) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  auto result = answer(actions[0].id, 429, "{}", "retry-after: 2\n");
  EXPECT_DOUBLE_EQ(deadline(), now + 2000);
}

TEST_F(EngineTest, AttemptTimeoutAbortsAndRetries) {
  configure(upstream_config(R"(, "timeout_ms": 3000, "retry": {"attempts": 0})"));
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_DOUBLE_EQ(deadline(), now + 3000);
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
  EXPECT_DOUBLE_EQ(deadline(), now + 5000);
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
  EXPECT_DOUBLE_EQ(deadline(), start + 60000);
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
  EXPECT_NE(submit("", "/metrics", "", "GET")[0].body.find("switchyard_upstream_attempts_total{target=\"b/m\"} 12"),
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

}  // namespace
}  // namespace sy::engine
