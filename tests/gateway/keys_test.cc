// Gateway keys (src/gateway/keys.cc): authentication, per-key rpm, budgets, allowed models.
#include <gtest/gtest.h>

#include "engine/harness.h"
#include "ledger/objects.h"

namespace sy::engine {
namespace {


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
  // Reserved: (5 prompt tokens + 600) at $1000 per million = $0.605.
  std::string body = R"({"model": "a/m", "max_tokens": 600, "messages": [{"role": "user", "content": "hi"}]})";
  std::string a = "authorization: Bearer sk-a\n";
  // kCompletion uses 1500 tokens: $1.50 at $1000 per million (more than reserved: usage is the truth).
  answer(submit(body, "/v1/chat/completions", a)[0].id, 200, kCompletion);
  auto broke = submit(body, "/v1/chat/completions", a);  // $0.50 left < $0.605
  EXPECT_EQ(broke[0].status, 402u);
  EXPECT_STREQ(parse(broke[0].body)["error"]["code"].GetString(), "budget_exhausted");
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-b\n")[0].kind, ActionKind::fetch);
  EXPECT_EQ(submit("", "/v1/models", a, "GET")[0].status, 200u);  // listing costs nothing
  std::string small = R"({"model": "a/m", "max_tokens": 400, "messages": [{"role": "user", "content": "hi"}]})";
  answer(submit(small, "/v1/chat/completions", a)[0].id, 200, kCompletion);  // $0.405 fits: $3.00 spent
  auto used = submit(small, "/v1/chat/completions", a);
  EXPECT_EQ(used[0].status, 402u);
  EXPECT_EQ(std::string(parse(used[0].body)["error"]["message"].GetString()),
            "this gateway key has used its budget of $2");
  EXPECT_EQ(submit("", "/v1/models?provider=a", a, "GET")[0].kind, ActionKind::fetch);  // a listing costs nothing
}

TEST_F(EngineTest, KeyRouteShowsTheCallingKey) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1",
                                   "prices": {"m": {"input": 1000, "output": 1000}}}},
                "keys": {"sk-a": {"name": "team-a", "budget_usd": 5, "rpm": 60, "models": ["a/m"]},
                         "sk-ops": {"admin": true}}})");
  EXPECT_EQ(submit("", "/v1/key", "", "GET")[0].status, 401u);
  std::string a = "authorization: Bearer sk-a\n";
  auto f = submit(R"({"model": "a/m", "max_tokens": 995, "messages": [{"role": "user", "content": "hi"}]})",
                  "/v1/chat/completions", a);
  ASSERT_EQ(f[0].kind, ActionKind::fetch);
  auto info = submit("", "/v1/key", a, "GET");
  ASSERT_EQ(info[0].status, 200u);
  EXPECT_EQ(info[0].body.find("sk-a"), std::string::npos);  // the key itself never appears
  auto doc = parse(info[0].body);
  const auto& d = doc["data"];
  EXPECT_STREQ(d["name"].GetString(), "team-a");
  EXPECT_EQ(d["budget_usd"].GetDouble(), 5);
  EXPECT_EQ(d["spent_usd"].GetDouble(), 0);
  EXPECT_DOUBLE_EQ(d["reserved_usd"].GetDouble(), 1);  // (5 + 995) tokens at $1000 per million
  EXPECT_DOUBLE_EQ(d["remaining_usd"].GetDouble(), 4);
  EXPECT_EQ(d["limits"]["rpm"].GetDouble(), 60);
  EXPECT_STREQ(d["models"][0].GetString(), "a/m");
  EXPECT_FALSE(d["admin"].GetBool());
  answer(f[0].id, 200, kCompletion);
  auto after = parse(submit("", "/v1/key", a, "GET")[0].body);
  EXPECT_DOUBLE_EQ(after["data"]["spent_usd"].GetDouble(), 1.5);
  EXPECT_EQ(after["data"]["reserved_usd"].GetDouble(), 0);
  EXPECT_DOUBLE_EQ(after["data"]["remaining_usd"].GetDouble(), 3.5);

  auto ops = parse(submit("", "/v1/key", "authorization: Bearer sk-ops\n", "GET")[0].body);
  const auto& o = ops["data"];
  EXPECT_EQ(std::string(o["name"].GetString()).substr(0, 4), "key-");  // the default name
  EXPECT_TRUE(o["budget_usd"].IsNull());
  EXPECT_TRUE(o["remaining_usd"].IsNull());
  EXPECT_TRUE(o["limits"]["rpm"].IsNull());
  EXPECT_STREQ(o["models"][0].GetString(), "*");
  EXPECT_TRUE(o["admin"].GetBool());
  EXPECT_EQ(submit("", "/v1/key", a, "POST")[0].status, 405u);

  configure(R"({"providers": {"e": {"type": "echo"}}})");
  auto none = submit("", "/v1/key", "", "GET");
  EXPECT_EQ(none[0].status, 404u);
  EXPECT_NE(parse(none[0].body)["error"]["message"].GetString(), nullptr);
  EXPECT_EQ(std::string(parse(none[0].body)["error"]["message"].GetString()).find("this gateway has no keys configured"),
            0u);
}

// With shared state a key's rpm is pool "rpm" of its object: a request whose count the host has
// not answered yet receives its body meanwhile and waits at its end; every route counts.
TEST_F(EngineTest, SharedKeyRateLimitWaitsForTheKeysObject) {
  configure(R"({"providers": {"e": {"type": "echo"}}, "keys": {"sk-a": {"name": "team", "rpm": 2}, "sk-b": {}}})");
  engine.enable_shared_state(true);
  ledger::Objects objects;
  auto perform = [&](const Action& a, bool fail = false) {
    EXPECT_EQ(a.kind, ActionKind::state);
    EXPECT_EQ(a.url, "key:team");
    std::string out;
    if (!fail) EXPECT_TRUE(objects.apply(a.url, a.body, now, out));
    engine.state_result(a.id, out, now);
    return take();
  };
  std::string body = R"({"model": "e/x", "messages": [{"role": "user", "content": "hi"}]})";
  std::string a = "authorization: Bearer sk-a\n";
  // The host answers while the body is still arriving: the request goes on at its end.
  engine.begin(++last_id, "POST", "/v1/chat/completions", a, now);
  auto asked = take();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].status, last_id);
  EXPECT_NE(asked[0].body.find("\"pool\":\"rpm\""), std::string::npos) << asked[0].body;
  EXPECT_TRUE(perform(asked[0]).empty());
  engine.body(last_id, body, now);
  engine.end(last_id, now);
  auto first = take();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, 200u);
  // The host answers after the end: the parked request goes on then (a GET route counts too).
  auto listed = submit("", "/v1/models", a, "GET");
  ASSERT_EQ(listed.size(), 1u);
  auto models = perform(listed[0]);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].status, 200u);
  // The third in the minute: refused by the object.
  auto third = submit(body, "/v1/chat/completions", a);
  ASSERT_EQ(third.size(), 1u);
  auto limited = perform(third[0]);
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].status, 429u);
  EXPECT_EQ(header(limited[0], "retry-after"), "60");
  EXPECT_STREQ(parse(limited[0].body)["error"]["code"].GetString(), "key_rate_limited");
  EXPECT_EQ(submit(body, "/v1/chat/completions", "authorization: Bearer sk-b\n")[0].status, 200u);  // no rpm
  // The object cannot be reached: 503 naming the key.
  now += 120000;
  auto fourth = submit(body, "/v1/chat/completions", a);
  ASSERT_GE(fourth.size(), 1u);
  auto down = perform(fourth.back(), /*fail=*/true);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].status, 503u);
  EXPECT_STREQ(parse(down[0].body)["error"]["code"].GetString(), "state_unavailable");
  EXPECT_NE(std::string(parse(down[0].body)["error"]["message"].GetString()).find("\"team\""), std::string::npos);
  // Without shared state: the in-memory limiter again.
  engine.enable_shared_state(false);
  EXPECT_EQ(submit(body, "/v1/chat/completions", a)[0].status, 200u);
}

// A request answered while its count waits (its body is too large) takes no decision: what the
// object granted for it stays in the lease for the next request.
TEST_F(EngineTest, SharedKeyRateLimitForgetsARequestAnsweredWhileItWaits) {
  configure(R"({"providers": {"e": {"type": "echo"}}, "keys": {"sk-a": {"name": "team", "rpm": 5}},
                "gateway": {"max_body_bytes": 1024}})");
  engine.enable_shared_state(true);
  ledger::Objects objects;
  std::string a = "authorization: Bearer sk-a\n";
  engine.begin(++last_id, "POST", "/v1/chat/completions", a, now);
  auto asked = take();
  ASSERT_EQ(asked.size(), 1u);
  engine.body(last_id, std::string(2000, 'x'), now);
  auto too_large = take();
  ASSERT_EQ(too_large.size(), 1u);
  EXPECT_EQ(too_large[0].status, 413u);
  std::string out;
  ASSERT_TRUE(objects.apply(asked[0].url, asked[0].body, now, out));
  engine.state_result(asked[0].id, out, now);
  EXPECT_TRUE(take().empty());  // nobody to answer
  auto next = submit(R"({"model": "e/x", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions", a);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].kind, ActionKind::respond);  // from the lease, no op
  EXPECT_EQ(next[0].status, 200u);
}

}  // namespace
}  // namespace sy::engine
