// Gateway keys (src/gateway/keys.cc): authentication, per-key rpm, budgets, allowed models.
#include <gtest/gtest.h>

#include "engine/harness.h"

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

}  // namespace
}  // namespace sy::engine
