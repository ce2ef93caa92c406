// Shared pieces of the translating codecs (src/providers/translate.cc).
#include "providers/translate.h"

#include <gtest/gtest.h>

namespace sy::providers::translate {
namespace {

config::Provider provider() {
  config::Provider p;
  p.name = "up";
  p.api_key = "sk-secret-up";
  p.headers = {{"x-org", "o1"}};
  return p;
}

TEST(Translate, OverridesSetCanonicalFieldsOrExtras) {
  config::Config config;
  config::Provider p = provider();
  model::Request r;
  r.sampling.temperature = 0.9;
  std::vector<std::pair<std::string, std::string>> overrides = {
      {"temperature", "0.1"}, {"max_tokens", "99"}, {"top_k", "5"}, {"vendor_flag", "true"}, {"bad", "{"}};
  json::Document arena;
  model::Request out = with_overrides({config, p, "m", r, overrides}, arena);
  EXPECT_EQ(*out.sampling.temperature, 0.1);
  EXPECT_EQ(out.max_tokens, 99);
  ASSERT_FALSE(out.extras.empty());
  EXPECT_EQ(out.extras.back().first, "vendor_flag");
  EXPECT_TRUE(out.extras.back().second->IsTrue());
  EXPECT_EQ(*r.sampling.temperature, 0.9);  // the caller's request is untouched
}

TEST(Translate, SystemPromptDataUrlsStopsAndHeaders) {
  model::Request r;
  model::Message sys, dev, user;
  sys.role = model::Role::system;
  sys.parts.push_back({});
  sys.parts.back().text = "Be terse.";
  dev.role = model::Role::developer;
  dev.parts.push_back({});
  dev.parts.back().text = "Use metric.";
  user.parts.push_back({});
  user.parts.back().text = "hi";
  r.messages = {sys, user, dev};
  EXPECT_EQ(system_prompt(r), "Be terse.\n\nUse metric.");
  std::string_view media, data;
  ASSERT_TRUE(split_data_url("data:image/png;base64,AAA=", media, data));
  EXPECT_EQ(media, "image/png");
  EXPECT_EQ(data, "AAA=");
  EXPECT_FALSE(split_data_url("https://x/y.png", media, data));
  r.sampling.stop = {"a", "", "b", "c"};
  EXPECT_EQ(stop_sequences(r, 2), (std::vector<std::string_view>{"a", "b"}));
  config::Config config;
  config::Provider p = provider();
  r.stream = true;
  std::vector<std::pair<std::string, std::string>> none;
  EXPECT_EQ(headers({config, p, "m", r, none}, "x-api-key: k\n"),
            "content-type: application/json\naccept: text/event-stream\nx-api-key: k\nx-org: o1\n");
}

TEST(Translate, TurnsAlternate) {
  std::vector<Turn> turns;
  add_to_turn(turns, true, "1");
  add_to_turn(turns, true, "2");
  add_to_turn(turns, false, "3");
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].items, "1,2");
  EXPECT_FALSE(turns[1].user);
}

TEST(Translate, ErrorsAreClassedAndRedacted) {
  config::Provider p = provider();
  model::Request r;
  DecodeContext ctx{p, "m", r};
  Decoded d = upstream_error(429, ErrorType::internal, {0, ErrorType::internal, "slow down sk-secret-up", "x", "param"}, ctx);
  EXPECT_EQ(d.outcome, health::Outcome::status_429);
  EXPECT_EQ(d.error.status, 429);
  EXPECT_EQ(d.error.param, "");
  EXPECT_EQ(d.error.message, "upstream up answered 429: slow down [redacted]");
  d = error_in_200({0, ErrorType::internal, "oops"}, ctx);
  EXPECT_EQ(d.outcome, health::Outcome::error_body_200);
  d = malformed(ctx, "a thing");
  EXPECT_EQ(d.error.code, "bad_upstream_response");
  EXPECT_EQ(hint_from_message("prompt is too long: 300000 tokens"), ErrorType::context_length_exceeded);
  EXPECT_EQ(hint_from_message("blocked by content filtering policy"), ErrorType::content_filtered);
}

}  // namespace
}  // namespace sy::providers::translate
