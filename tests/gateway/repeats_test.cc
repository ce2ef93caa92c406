// Requests seen before (src/gateway/repeats.cc): the memo itself, and repeats through the engine,
// which must behave exactly as the first request of their bytes would.
#include "gateway/repeats.h"

#include <gtest/gtest.h>

#include "engine/cache_flow.h"

namespace sy::engine {
namespace {

using gateway::Decoded;
using gateway::Repeats;

Decoded decoded_of(uint64_t tag) {
  auto env = std::make_shared<model::Envelope>();
  env->text = std::to_string(tag);
  return {std::move(env), cache::Key{tag, tag}};
}

// The memo as the gateway calls it: each request's sketch computed once, for find() then keep().
const Decoded* find(Repeats& memo, const Repeats::Bytes& bytes) { return memo.find(bytes, Repeats::sketch_of(bytes)); }

void keep(Repeats& memo, int handler, int key, std::string_view name, std::string body, Decoded decoded) {
  uint64_t sketch = Repeats::sketch_of({handler, key, name, body});
  memo.keep(handler, key, name, std::move(body), sketch, std::move(decoded));
}

TEST(Repeats, FindsOnlyExactlyTheSameBytes) {
  Repeats memo;
  keep(memo, 1, 0, "", "{\"a\":1}", decoded_of(1));
  const Decoded* seen = find(memo, {1, 0, "", "{\"a\":1}"});
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->envelope->text, "1");
  EXPECT_EQ(seen->key->hi, 1u);
  EXPECT_EQ(find(memo, {1, 0, "", "{\"a\":1} "}), nullptr);  // the body
  EXPECT_EQ(find(memo, {2, 0, "", "{\"a\":1}"}), nullptr);   // the route
  EXPECT_EQ(find(memo, {1, 1, "", "{\"a\":1}"}), nullptr);   // the gateway key
  EXPECT_EQ(find(memo, {1, 0, "x", "{\"a\":1}"}), nullptr);  // a named route's name
  keep(memo, 1, 0, "x", "", decoded_of(2));
  keep(memo, 1, 0, "", "x", decoded_of(3));  // the name and body meet at the same bytes
  EXPECT_EQ(find(memo, {1, 0, "x", ""})->envelope->text, "2");
  EXPECT_EQ(find(memo, {1, 0, "", "x"})->envelope->text, "3");
  // Bodies alike but for their middle are told apart.
  std::string left = std::string(40, 'a') + "L" + std::string(40, 'z');
  std::string right = std::string(40, 'a') + "R" + std::string(40, 'z');
  keep(memo, 1, 0, "", left, decoded_of(4));
  EXPECT_EQ(find(memo, {1, 0, "", right}), nullptr);
  keep(memo, 1, 0, "", right, decoded_of(5));
  EXPECT_EQ(find(memo, {1, 0, "", left})->envelope->text, "4");
  EXPECT_EQ(find(memo, {1, 0, "", right})->envelope->text, "5");
}

// Requests of one app share long stretches (a system prompt, their parameters): a body that differs
// from another in one byte anywhere has another sketch, so a miss costs no whole comparisons.
TEST(Repeats, OneByteAnywhereChangesTheSketch) {
  std::string base(300, 'p');
  uint64_t sketch = Repeats::sketch_of({1, 0, "", base});
  for (size_t at = 0; at < base.size(); ++at) {
    std::string other = base;
    other[at] = 'q';
    EXPECT_NE(Repeats::sketch_of({1, 0, "", other}), sketch) << "at " << at;
  }
}

TEST(Repeats, KeepsTheMostRecentlyUsedWithinItsBounds) {
  Repeats memo;
  for (size_t i = 0; i < Repeats::kMaxEntries; ++i) keep(memo, 1, -1, "", std::to_string(i), decoded_of(i));
  ASSERT_NE(find(memo, {1, -1, "", "0"}), nullptr);  // used: the next one in goes in place of "1"
  keep(memo, 1, -1, "", "new", decoded_of(99));
  EXPECT_EQ(memo.size(), Repeats::kMaxEntries);
  EXPECT_NE(find(memo, {1, -1, "", "0"}), nullptr);
  EXPECT_EQ(find(memo, {1, -1, "", "1"}), nullptr);
  EXPECT_NE(find(memo, {1, -1, "", "new"}), nullptr);
  std::string large(Repeats::kMaxBody + 1, ' ');
  keep(memo, 1, -1, "", large, decoded_of(7));
  EXPECT_EQ(find(memo, {1, -1, "", large}), nullptr);
}


TEST_F(CacheFlow, ARepeatIsAnsweredFromTheCacheLikeTheFirst) {
  configure(config(R"({"enabled": true})", R"(, "keys": {"sk-a": {}, "sk-b": {}})"));
  std::string a = std::string(kJson) + "authorization: Bearer sk-a\n";
  auto first = submit(kChat, "/v1/chat/completions", a);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].kind, ActionKind::fetch);
  std::string sent = first[0].body;
  answer(first[0].id, 200, kAnswer);
  auto hit = submit(kChat, "/v1/chat/completions", a);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  EXPECT_EQ(parse(hit[0].body)["choices"][0]["message"]["content"], "cached words");
  auto again = submit(kChat, "/v1/chat/completions", a);
  EXPECT_EQ(header(again[0], "x-switchyard-cache"), "HIT");
  EXPECT_NE(header(again[0], "x-switchyard-request-id"), header(hit[0], "x-switchyard-request-id"));
  auto stats = parse(submit("", "/v1/stats", a, "GET")[0].body);
  EXPECT_EQ(stats["cache"]["hits"].GetInt(), 2);

  // The same bytes under another key: another tenant's cache, so upstream again.
  auto other = submit(kChat, "/v1/chat/completions", std::string(kJson) + "authorization: Bearer sk-b\n");
  ASSERT_EQ(other[0].kind, ActionKind::fetch);
  EXPECT_EQ(other[0].body, sent);
  answer(other[0].id, 200, kAnswer);

  // A repeat's own headers still count: refresh goes upstream with the same body as the first.
  auto refresh = submit(kChat, "/v1/chat/completions", a + "x-switchyard-cache: refresh\n");
  ASSERT_EQ(refresh[0].kind, ActionKind::fetch);
  EXPECT_EQ(refresh[0].body, sent);
  answer(refresh[0].id, 200, kAnswer);
}

TEST_F(CacheFlow, ARepeatWhoseAnswerExpiredGoesUpstreamAgain) {
  configure(config(R"({"enabled": true, "ttl_s": 10})"));
  auto first = submit(kChat);
  std::string sent = first[0].body;
  answer(first[0].id, 200, kAnswer);
  EXPECT_EQ(header(submit(kChat)[0], "x-switchyard-cache"), "HIT");
  now += 11000;
  auto later = submit(kChat);
  ASSERT_EQ(later[0].kind, ActionKind::fetch);
  EXPECT_EQ(later[0].body, sent);
  auto done = answer(later[0].id, 200, kAnswer);
  EXPECT_EQ(header(*respond_for(done, last_id), "x-switchyard-cache"), "MISS");
}

TEST_F(CacheFlow, ARepeatIsRefusedWhatTheFirstWouldBe) {
  // The first call spends more than the key's budget ($1.50 of $1 at $1000 per million tokens):
  // its repeat gets the 402 any request of that key gets, although its answer is in the cache.
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1",
                                    "prices": {"m": {"input": 1000, "output": 1000}}}},
               "cache": {"enabled": true}, "keys": {"sk-a": {"budget_usd": 1}}})");
  std::string a = std::string(kJson) + "authorization: Bearer sk-a\n";
  std::string body = R"({"model": "a/m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]})";
  auto first = submit(body, "/v1/chat/completions", a);
  ASSERT_EQ(first[0].kind, ActionKind::fetch);
  answer(first[0].id, 200, kCompletion);
  auto repeat = submit(body, "/v1/chat/completions", a);
  EXPECT_EQ(repeat[0].status, 402u);
  EXPECT_EQ(std::string(parse(repeat[0].body)["error"]["message"].GetString()),
            "this gateway key has used its budget of $1");
}

TEST_F(CacheFlow, ANewConfigForgetsWhatRequestsDecodedTo) {
  // A service's request decodes through the config's template: the same bytes under the next
  // config get that config's template.
  auto with_prompt = [](std::string_view prompt) {
    return config(R"({"enabled": true})", R"(, "services": {"greet": {"model": "e/echo-1", "prompt": ")" +
                                              std::string(prompt) + R"("}})");
  };
  configure(with_prompt("Hello {{name}}"));
  std::string ada = R"({"name": "Ada"})";
  EXPECT_STREQ(parse(submit(ada, "/v1/services/greet")[0].body)["text"].GetString(), "Hello Ada");
  auto hit = submit(ada, "/v1/services/greet");
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  configure(with_prompt("Goodbye {{name}}"));
  EXPECT_STREQ(parse(submit(ada, "/v1/services/greet")[0].body)["text"].GetString(), "Goodbye Ada");
}

}  // namespace
}  // namespace sy::engine
