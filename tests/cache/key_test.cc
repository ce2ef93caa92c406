// Cache keys of canonical requests (src/cache/key.cc).
#include "cache/key.h"

#include <gtest/gtest.h>

#include <vector>

#include "json/json.h"

namespace sy::cache {
namespace {

// A canonical request built by hand, pointing into `doc`.
struct Built {
  json::Document doc;
  model::Request request;
};

std::unique_ptr<Built> chat(std::string_view text, double temperature = -1) {
  auto b = std::make_unique<Built>();
  std::string error;
  json::parse(R"({"schema": {"type": "object", "properties": {"b": {}, "a": {}}}})", b->doc, error);
  b->request.model = "m";
  model::Message m;
  m.parts.push_back({});
  m.parts.back().text = text;
  b->request.messages.push_back(m);
  if (temperature >= 0) b->request.sampling.temperature = temperature;
  return b;
}

TEST(CacheKey, SameMeaningSameKey) {
  auto a = chat("hi", 0.5), b = chat("hi", 0.5);
  EXPECT_EQ(key_of(a->request, ""), key_of(b->request, ""));
  b->request.stream = true;  // streams are served from complete answers
  b->request.include_usage = true;
  b->request.user = "someone";
  EXPECT_EQ(key_of(a->request, ""), key_of(b->request, ""));
}

TEST(CacheKey, EveryAnswerChangingFieldChangesIt) {
  auto base = chat("hi", 0.5);
  Key k = key_of(base->request, "");
  EXPECT_NE(key_of(base->request, "tenant"), k);
  auto t = chat("hi", 0.7);
  EXPECT_NE(key_of(t->request, ""), k);
  auto text = chat("ho", 0.5);
  EXPECT_NE(key_of(text->request, ""), k);
  auto extras = chat("hi", 0.5);
  extras->request.extras.emplace_back("service_tier", &extras->doc["schema"]);
  EXPECT_NE(key_of(extras->request, ""), k);
  auto max = chat("hi", 0.5);
  max->request.max_tokens = 10;
  EXPECT_NE(key_of(max->request, ""), k);
  auto format = chat("hi", 0.5);
  format->request.response_format.type = model::ResponseFormat::Type::json_schema;
  format->request.response_format.schema = &format->doc["schema"];
  EXPECT_NE(key_of(format->request, ""), k);
  auto split = chat("h", 0.5);  // text boundaries cannot be forged
  split->request.messages[0].parts.push_back({});
  split->request.messages[0].parts.back().text = "i";
  EXPECT_NE(key_of(split->request, ""), k);
}

// A server tool is its whole declaration (a web search's max_uses, allowed domains…).
TEST(CacheKey, ServerToolsCountWhole) {
  auto a = chat("news?"), b = chat("news?");
  json::Document tools;
  std::string error;
  json::parse(R"([{"type": "web_search_20250305", "name": "web_search", "max_uses": 1},
                  {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}])", tools, error);
  for (auto* built : {a.get(), b.get()}) {
    built->request.tools.emplace_back().name = "web_search";
    built->request.tools.back().server = model::Format::anthropic_messages;
  }
  a->request.tools[0].raw = &tools[0];
  b->request.tools[0].raw = &tools[0];
  EXPECT_EQ(key_of(a->request, ""), key_of(b->request, ""));
  b->request.tools[0].raw = &tools[1];
  EXPECT_NE(key_of(a->request, ""), key_of(b->request, ""));
}

TEST(CacheKey, JsonValuesAreCanonical) {
  auto a = chat("x"), b = chat("x");
  json::Document other;
  std::string error;
  json::parse(R"({"schema": {"properties": {"a": {}, "b": {}}, "type": "object"}})", other, error);
  a->request.response_format.schema = &a->doc["schema"];
  b->request.response_format.schema = &other["schema"];
  EXPECT_EQ(key_of(a->request, ""), key_of(b->request, ""));
}

std::unique_ptr<Built> image(std::string_view prompt) {
  auto b = std::make_unique<Built>();
  std::string error;
  json::parse(R"({"transparent": "transparent", "opaque": "opaque"})", b->doc, error);
  b->request.kind = model::Kind::images;
  b->request.model = "gpt-image-1";
  b->request.prompt = prompt;
  return b;
}

TEST(CacheKey, ImageRequests) {
  auto base = image("a sea otter");
  Key k = key_of(base->request, "");
  auto same = image("a sea otter");
  same->request.user = "someone";  // a label
  EXPECT_EQ(key_of(same->request, ""), k);
  auto as_chat = image("a sea otter");
  as_chat->request.kind = model::Kind::chat;
  EXPECT_NE(key_of(as_chat->request, ""), k);

  std::vector<std::unique_ptr<Built>> changed;
  for (int i = 0; i < 9; ++i) changed.push_back(image("a sea otter"));
  changed[0]->request.prompt = "a sea lion";
  changed[1]->request.sampling.n = 2;
  changed[2]->request.size = "1024x1536";
  changed[3]->request.quality = "high";
  changed[4]->request.style = "vivid";
  changed[5]->request.image_urls = true;
  changed[6]->request.image_b64 = true;
  changed[7]->request.extras.emplace_back("background", &changed[7]->doc["transparent"]);
  changed[8]->request.extras.emplace_back("background", &changed[8]->doc["opaque"]);
  std::vector<Key> keys{k};
  for (auto& c : changed) keys.push_back(key_of(c->request, ""));
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;
  // Field boundaries cannot be forged: size + quality vs. the same bytes split differently.
  auto a = image("p"), b = image("p");
  a->request.size = "1024x1024h";
  b->request.size = "1024x1024";
  b->request.quality = "h";
  EXPECT_NE(key_of(a->request, ""), key_of(b->request, ""));
}

TEST(CacheKey, HexRoundTrip) {
  Key k{0x0123456789abcdefull, 0xfedcba9876543210ull};
  EXPECT_EQ(hex_of(k), "0123456789abcdeffedcba9876543210");
  Key back;
  ASSERT_TRUE(key_of_hex(hex_of(k), back));
  EXPECT_EQ(back, k);
  EXPECT_FALSE(key_of_hex("0123", back));
  EXPECT_FALSE(key_of_hex("0123456789ABCDEFfedcba9876543210", back));
}


TEST(CacheKey, KeysStayTheSameAcrossVersions) {
  // Hosts keep answers under these keys (the persistent tier, snapshots): a faster key pass must
  // hash the same bytes. Numbers of every kind the key writes: small enums, counts, a fraction,
  // integers above 9, a negative one.
  auto b = chat("hello", 0.5);
  b->request.max_tokens = 1234;
  b->request.sampling.n = 3;
  b->request.sampling.seed = -7;
  b->request.sampling.top_k = 10;
  b->request.reasoning_budget = 9;
  EXPECT_EQ(hex_of(key_of(b->request, "tenant")), "b9005f77920e8b8c369e0a8312415242");
  EXPECT_EQ(hex_of(key_of(chat("x")->request, "")), "bb6b9657a00f71345db89cfe50d9d41e");
}

}  // namespace
}  // namespace sy::cache
