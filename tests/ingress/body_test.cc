#include "ingress/body.h"

#include <gtest/gtest.h>

namespace sy::ingress::body {
namespace {

model::Envelope parsed(std::string_view text, bool& ok, Error& error) {
  model::Envelope env;
  env.text = text;
  ok = parse(env, error);
  return env;
}

TEST(Body, ParseRefusesWhatIsNotAJsonObject) {
  struct Case {
    std::string text;
    const char* message_start;
  } cases[] = {
      {"{\"a\": \"\xC3\"}", "request body is not valid UTF-8"},
      {"{\"a\": 1", "request body is not valid JSON: "},
      {"", "request body is not valid JSON: "},
      {"[]", "request body must be a JSON object"},
      {"null", "request body must be a JSON object"},
  };
  for (const auto& c : cases) {
    bool ok = true;
    Error error;
    parsed(c.text, ok, error);
    EXPECT_FALSE(ok) << c.text;
    EXPECT_EQ(error.status, 400);
    EXPECT_EQ(error.code, "invalid_json");
    EXPECT_EQ(error.param, "");
    EXPECT_EQ(error.message.rfind(c.message_start, 0), 0u) << error.message;
  }
  bool ok = false;
  Error error;
  model::Envelope env = parsed(R"({"a": "é"})", ok, error);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(env.doc.IsObject());
}

json::Document doc(std::string_view text) {
  json::Document d;
  std::string error;
  EXPECT_TRUE(json::parse(text, d, error)) << text;
  return d;
}

TEST(Body, RoutingMembers) {
  model::Request r;
  Error error;
  auto d = doc(R"({"model": "m", "models": ["a", "b"], "provider": {"sort": "price"}, "session_id": "s",
                   "switchyard": {"cache": "only"}, "temperature": 1})");
  for (const auto& m : d.GetObject()) {
    Member expected = json::view(m.name) == "temperature" ? Member::other : Member::routing;
    EXPECT_EQ(routing(r, json::view(m.name), m.value, error), expected) << json::view(m.name);
  }
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.routing.models, (std::vector<std::string_view>{"a", "b"}));
  EXPECT_NE(r.routing.provider, nullptr);
  EXPECT_EQ(r.routing.session_id, "s");
  EXPECT_NE(r.controls, nullptr);
  EXPECT_TRUE(resolve_model(r, error));
}

TEST(Body, ModelComesFromModelsWhenAbsent) {
  model::Request r;
  Error error;
  auto d = doc(R"({"models": ["first", "second"]})");
  EXPECT_EQ(routing(r, "models", d["models"], error), Member::routing);
  EXPECT_TRUE(resolve_model(r, error));
  EXPECT_EQ(r.model, "first");
  model::Request none;
  EXPECT_FALSE(resolve_model(none, error));
  EXPECT_EQ(error.code, "missing_model");
  EXPECT_EQ(error.param, "model");
}

TEST(Body, BadRoutingMembers) {
  struct Case {
    const char* name;
    const char* value;
  } cases[] = {{"model", "5"},        {"model", "\"\""},      {"models", "\"a\""},   {"models", "[\"a\", 1]"},
               {"models", "[\"\"]"},  {"provider", "[]"},     {"session_id", "1"},   {"switchyard", "\"x\""}};
  for (const auto& c : cases) {
    model::Request r;
    Error error;
    auto d = doc(c.value);
    EXPECT_EQ(routing(r, c.name, d, error), Member::invalid) << c.name << " " << c.value;
    EXPECT_EQ(error.param, c.name);
    EXPECT_EQ(error.status, 400);
  }
}

TEST(Body, ParamsAndExtras) {
  model::Request r;
  Error error;
  auto d = doc(R"({"temperature": 0.5, "store": true, "top_p": 2, "tools": [{"type": "function", "function": {}}]})");
  EXPECT_TRUE(param(r, "temperature", d["temperature"], error));
  EXPECT_EQ(r.sampling.temperature, 0.5);
  EXPECT_TRUE(param(r, "store", d["store"], error));
  ASSERT_EQ(r.extras.size(), 1u);
  EXPECT_EQ(r.extras[0].first, "store");
  EXPECT_EQ(r.extras[0].second, &d["store"]);
  EXPECT_FALSE(param(r, "top_p", d["top_p"], error));
  EXPECT_EQ(error.param, "top_p");
  EXPECT_EQ(error.message, "top_p must be a number from 0 to 1");
  EXPECT_EQ(error.code, "invalid_request");
  EXPECT_FALSE(param(r, "tools", d["tools"], error));
  EXPECT_EQ(error.param, "tools[0].function.name");
}

}  // namespace
}  // namespace sy::ingress::body
