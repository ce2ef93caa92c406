// Dispatch by route (src/gateway/dispatch.cc): model requests through their ingress codec, the
// model list, stats and metrics, services, and what is not built yet.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {

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

TEST_F(EngineTest, TheModelListShowsWhatTheKeyMayUse) {
  configure(R"({"providers": {"e": {"type": "echo"}},
                "models": {"fast": {"targets": [{"provider": "e", "model": "e1"}]}, "slow": {"targets": [{"provider": "e", "model": "e2"}]}},
                "keys": {"sk-a": {"models": ["fast", "e/e1"]}, "sk-all": {}}})");
  auto ids = [&](std::string key) {
    std::vector<std::string> out;
    auto list = parse(submit("", "/v1/models", "authorization: Bearer " + key + "\n", "GET")[0].body);
    for (auto& m : list["data"].GetArray()) out.push_back(m["id"].GetString());
    return out;
  };
  EXPECT_EQ(ids("sk-a"), (std::vector<std::string>{"fast", "e/e1"}));
  EXPECT_EQ(ids("sk-all"), (std::vector<std::string>{"fast", "slow", "e/e1", "e/e2"}));
}

TEST_F(EngineTest, OneModelByIdEvenWithSlashes) {
  configure(R"({"providers": {"e": {"type": "echo"}},
                "models": {"fast": {"targets": [{"provider": "e", "model": "org/e1"}]}},
                "keys": {"sk-a": {"models": ["fast"]}, "sk-all": {}}})");
  std::string all = "authorization: Bearer sk-all\n";
  auto plain = submit("", "/v1/models/e/org/e1", all, "GET")[0];
  ASSERT_EQ(plain.status, 200u);
  auto entry = parse(plain.body);
  EXPECT_STREQ(entry["id"].GetString(), "e/org/e1");
  EXPECT_STREQ(entry["object"].GetString(), "model");
  EXPECT_STREQ(entry["owned_by"].GetString(), "switchyard");
  EXPECT_EQ(submit("", "/v1/models/e%2Forg%2Fe1", all, "GET")[0].status, 200u);  // encoded as newer SDKs do
  EXPECT_EQ(submit("", "/v1/models/fast", all, "GET")[0].status, 200u);
  auto hidden = submit("", "/v1/models/e/org/e1", "authorization: Bearer sk-a\n", "GET")[0];
  EXPECT_EQ(hidden.status, 404u);  // listed for sk-all only
  auto error = parse(hidden.body)["error"].GetObject();
  EXPECT_STREQ(error["code"].GetString(), "model_not_found");
  EXPECT_STREQ(error["param"].GetString(), "model");
  EXPECT_EQ(submit("", "/v1/models/e/org/e1", all, "POST")[0].status, 405u);
}

TEST_F(EngineTest, StatsAndMetrics) {
  configure(kEchoConfig);
  submit(R"({"model": "default", "messages": [{"role": "user", "content": "hi"}]})");
  auto stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  EXPECT_STREQ(stats["targets"][0]["target"].GetString(), "echo/echo-1");
  EXPECT_EQ(stats["targets"][0]["requests"].GetInt(), 1);
  auto metrics = submit("", "/metrics", "", "GET")[0];
  EXPECT_EQ(header(metrics, "content-type"), "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body.find("switchyard_requests_total{target=\"echo/echo-1\"} 1"), std::string::npos);
}

TEST_F(EngineTest, ChecksBeforeTheExchange) {
  configure(R"({"providers": {"e": {"type": "echo"}, "a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
                "keys": {"sk-a": {"budget_usd": 0.000001}}})");
  std::string a = "authorization: Bearer sk-a\n";
  auto bad_prefs = submit(R"({"model": "e/x", "provider": {"only": "a"}, "messages": [{"role": "user", "content": "x"}]})",
                          "/v1/chat/completions", a);
  EXPECT_EQ(bad_prefs[0].status, 400u);
  EXPECT_STREQ(parse(bad_prefs[0].body)["error"]["param"].GetString(), "provider.only");
  auto unknown = submit("", "/v1/models?provider=zz", a, "GET");
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_STREQ(parse(unknown[0].body)["error"]["param"].GetString(), "provider");
  auto pipeline = submit("{}", "/v1/pipelines/any", a);
  EXPECT_EQ(pipeline[0].status, 501u);
}

}  // namespace
}  // namespace sy::engine
