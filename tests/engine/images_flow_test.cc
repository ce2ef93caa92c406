// POST /v1/images/generations through the whole engine (gateway, exchange, codecs), as a host
// drives it: echo offline, OpenAI / Azure / Gemini upstreams, fallback, balancing, per-model
// limits, the cache, gateway keys, budgets and stats — routed like chat completions.
#include <gtest/gtest.h>

#include "engine/harness.h"
#include "providers/echo_image.h"

namespace sy::engine {
namespace {

constexpr const char* kPath = "/v1/images/generations";

// The gpt-image-1 answer of OpenAI's API reference.
constexpr const char* kGptImage =
    R"({"created":1713833628,"data":[{"b64_json":"iVBORw0KGgo="}],"background":"opaque","output_format":"png","size":"1024x1024","quality":"high","usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,"input_tokens_details":{"text_tokens":10,"image_tokens":40}}})";

class ImagesFlow : public EngineTest {
 protected:
  std::vector<Action> generate(std::string_view body, std::string_view headers = kJson) { return submit(body, kPath, headers); }

  static std::string target(const Action& a) { return header(a, "x-switchyard-target"); }
  static std::string cache(const Action& a) { return header(a, "x-switchyard-cache"); }
};

std::string upstreams(std::string_view models, std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai", "base_url": "http://a.test/v1", "api_key": "sk-secret-a",
            "prices": {"gpt-image-1": {"input": 1000, "output": 1000}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1"},
      "az": {"type": "azure-openai", "base_url": "https://res.openai.azure.com", "api_key": "az-key", "api_version": "2025-04-01-preview"},
      "g": {"type": "gemini", "base_url": "http://g.test/v1beta", "api_key": "g-key"},
      "c": {"type": "anthropic", "base_url": "http://c.test/v1", "api_key": "c-key"},
      "e": {"type": "echo"}, "e2": {"type": "echo"}},
    "retry": {"attempts": 0}, "models": )") +
         std::string(models) + std::string(extra) + "}";
}

TEST_F(ImagesFlow, EchoDrawsThePromptOfflineAndTheCacheKeepsIt) {
  configure(upstreams("{}", R"(, "cache": {"enabled": true})"));
  const char* body = R"({"model": "e/echo-img", "prompt": "A cute baby sea otter", "size": "512x512"})";
  auto first = generate(body);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].kind, ActionKind::respond);
  EXPECT_EQ(first[0].status, 200u);
  EXPECT_EQ(header(first[0], "content-type"), "application/json");
  EXPECT_EQ(cache(first[0]), "MISS");
  EXPECT_EQ(target(first[0]), "e/echo-img");
  auto doc = parse(first[0].body);
  EXPECT_EQ(doc["created"].GetInt64(), 1) << "the request's start, in seconds";
  ASSERT_EQ(doc["data"].Size(), 1u);
  EXPECT_EQ(json::view(doc["data"][0]["b64_json"]),
            providers::echo_image::base64(providers::echo_image::svg("A cute baby sea otter", "512x512")));
  EXPECT_EQ(doc["usage"]["input_tokens"].GetInt(), 6);

  auto again = generate(body);
  EXPECT_EQ(cache(again[0]), "HIT");
  EXPECT_EQ(again[0].body, first[0].body);
  auto other = generate(R"({"model": "e/echo-img", "prompt": "A cute baby sea lion", "size": "512x512"})");
  EXPECT_EQ(cache(other[0]), "MISS");
  EXPECT_NE(other[0].body, first[0].body);

  auto url = generate(R"({"model": "e/echo-img", "prompt": "A cute baby sea otter", "size": "512x512", "response_format": "url"})");
  EXPECT_EQ(cache(url[0]), "MISS") << "a different answer form is a different key";
  auto url_doc = parse(url[0].body);
  EXPECT_EQ(json::view(url_doc["data"][0]["url"]), "data:image/svg+xml;base64," + std::string(json::view(doc["data"][0]["b64_json"])));
  EXPECT_FALSE(url_doc["data"][0].HasMember("b64_json"));

  auto stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  EXPECT_EQ(stats["cache"]["hits"].GetInt(), 1);
}

TEST_F(ImagesFlow, FallsBackAcrossUpstreams) {
  configure(upstreams(R"({"img": {"strategy": "fallback", "targets": [{"provider": "a", "model": "gpt-image-1"},
                                                                        {"provider": "b", "model": "gpt-image-1"}]}})"));
  auto fetch = generate(R"({"model": "img", "prompt": "A cute baby sea otter", "n": 2, "response_format": "b64_json",
                            "switchyard": {"cache": "no-store"}})");
  ASSERT_EQ(fetch[0].kind, ActionKind::fetch);
  EXPECT_EQ(fetch[0].url, "http://a.test/v1/images/generations");
  EXPECT_NE(fetch[0].headers.find("authorization: Bearer sk-secret-a"), std::string::npos);
  EXPECT_EQ(fetch[0].body, R"({"model":"gpt-image-1","prompt":"A cute baby sea otter","n":2})");
  auto second = answer(fetch[0].id, 503, R"({"error":{"message":"The engine is currently overloaded"}})");
  const Action* retry = find(second, ActionKind::fetch);
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->url, "http://b.test/v1/images/generations");
  auto done = answer(retry->id, 200, kGptImage);
  const Action* respond = find(done, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 200u);
  EXPECT_EQ(respond->body, kGptImage) << "the caller's format: the answer as sent";
  EXPECT_EQ(target(*respond), "b/gpt-image-1");
  EXPECT_EQ(header(*respond, "x-switchyard-attempts"), "2");
}

TEST_F(ImagesFlow, GptImageAnswersUrlsAsDataUrls) {
  configure(upstreams("{}"));
  auto fetch = generate(R"({"model": "b/gpt-image-1", "prompt": "p", "response_format": "url"})");
  ASSERT_EQ(fetch[0].kind, ActionKind::fetch);
  EXPECT_EQ(fetch[0].body, R"({"model":"gpt-image-1","prompt":"p"})");
  auto done = answer(fetch[0].id, 200, kGptImage);
  const Action* respond = find(done, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  auto doc = parse(respond->body);
  EXPECT_EQ(json::view(doc["data"][0]["url"]), "data:image/png;base64,iVBORw0KGgo=");
  EXPECT_EQ(json::view(doc["quality"]), "high");
}

TEST_F(ImagesFlow, OneImageModelsAndTargetsWithoutImages) {
  configure(upstreams(R"({"img": {"strategy": "fallback", "targets": [{"provider": "a", "model": "dall-e-3"},
                                                                        {"provider": "b", "model": "gpt-image-1"}]},
                         "dalle": {"targets": [{"provider": "a", "model": "dall-e-3"}]},
                         "gem": {"targets": [{"provider": "g", "model": "gemini-2.5-flash-image"}]}})"));
  auto skipped = generate(R"({"model": "img", "prompt": "p", "n": 2})");
  ASSERT_EQ(skipped[0].kind, ActionKind::fetch);
  EXPECT_EQ(skipped[0].url, "http://b.test/v1/images/generations") << "dall-e-3 makes one image per request";
  auto one = generate(R"({"model": "img", "prompt": "p"})");
  EXPECT_EQ(one[0].url, "http://a.test/v1/images/generations");

  for (const char* body : {R"({"model": "dalle", "prompt": "p", "n": 2})", R"({"model": "gem", "prompt": "p", "n": 3})"}) {
    auto refused = generate(body);
    ASSERT_EQ(refused[0].kind, ActionKind::respond) << body;
    EXPECT_EQ(refused[0].status, 400u);
    auto error = parse(refused[0].body)["error"].GetObject();
    EXPECT_EQ(json::view(error["param"]), "n");
    EXPECT_NE(std::string(json::view(error["message"])).find("gives that many images (n) per request"), std::string::npos);
  }
  auto claude = generate(R"({"model": "c/claude-sonnet-4-5", "prompt": "p"})");
  EXPECT_EQ(claude[0].status, 400u);
  auto error = parse(claude[0].body)["error"].GetObject();
  EXPECT_EQ(json::view(error["param"]), "model");
  EXPECT_EQ(json::view(error["message"]), "no target of \"c/claude-sonnet-4-5\" generates images");
}

TEST_F(ImagesFlow, BalancesAcrossTargets) {
  configure(upstreams(R"({"rr": {"strategy": "round_robin", "targets": [{"provider": "e", "model": "x"}, {"provider": "e2", "model": "x"}]}})"));
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.push_back(target(generate(R"({"model": "rr", "prompt": "p"})")[0]));
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_EQ(seen[0], seen[2]);
  EXPECT_EQ(seen[1], seen[3]);
}

TEST_F(ImagesFlow, AzureAndGeminiUpstreams) {
  configure(upstreams("{}"));
  auto azure = generate(R"({"model": "az/dalle3", "prompt": "a sunset", "size": "1792x1024", "style": "natural"})");
  ASSERT_EQ(azure[0].kind, ActionKind::fetch);
  EXPECT_EQ(azure[0].url, "https://res.openai.azure.com/openai/deployments/dalle3/images/generations?api-version=2025-04-01-preview");
  EXPECT_NE(azure[0].headers.find("api-key: az-key"), std::string::npos);
  const char* dalle = R"({"created":1698342300,"data":[{"revised_prompt":"A calm sunset.","url":"https://dalle.blob.core.windows.net/generated_00.png","content_filter_results":{}}]})";
  auto azure_done = answer(azure[0].id, 200, dalle);
  const Action* a = find(azure_done, ActionKind::respond);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->body, dalle);

  auto gemini = generate(R"({"model": "g/gemini-2.5-flash-image", "prompt": "A cute baby sea otter", "size": "1024x1024"})");
  ASSERT_EQ(gemini[0].kind, ActionKind::fetch);
  EXPECT_EQ(gemini[0].url, "http://g.test/v1beta/models/gemini-2.5-flash-image:generateContent");
  EXPECT_EQ(gemini[0].body,
            R"({"contents":[{"role":"user","parts":[{"text":"A cute baby sea otter"}]}],"generationConfig":{"responseModalities":["IMAGE"],"imageConfig":{"aspectRatio":"1:1"}}})");
  auto gemini_done = answer(gemini[0].id, 200, R"({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1290,"totalTokenCount":1297},"modelVersion":"gemini-2.5-flash-image"})");
  const Action* g = find(gemini_done, ActionKind::respond);
  ASSERT_NE(g, nullptr);
  auto doc = parse(g->body);
  EXPECT_EQ(json::view(doc["data"][0]["b64_json"]), "iVBORw0KGgo=");
  EXPECT_EQ(doc["usage"]["output_tokens"].GetInt(), 1290);
}

TEST_F(ImagesFlow, KeysBudgetsAndStats) {
  // Each request reserves (1 prompt token + 40 output tokens) at $1000 per million = $0.041.
  configure(upstreams("{}", R"(, "keys": {"sk-a": {"models": ["a/gpt-image-1"], "budget_usd": 0.15}},
                               "gateway": {"reserve_output_tokens": 40})"));
  std::string key = "authorization: Bearer sk-a\n";
  const char* body = R"({"model": "a/gpt-image-1", "prompt": "p"})";
  EXPECT_EQ(generate(body)[0].status, 401u);
  auto other = generate(R"({"model": "e/x", "prompt": "p"})", key);
  EXPECT_EQ(other[0].status, 403u);
  EXPECT_EQ(json::view(parse(other[0].body)["error"]["param"]), "model");
  // kGptImage: 50 + 50 tokens at $1000 per million each = $0.10.
  answer(generate(body, key)[0].id, 200, kGptImage);
  answer(generate(body, key)[0].id, 200, kGptImage);  // $0.05 left fits $0.041; it costs $0.10: $0.20
  auto broke = generate(body, key);
  EXPECT_EQ(broke[0].status, 402u);
  EXPECT_EQ(json::view(parse(broke[0].body)["error"]["code"]), "budget_exhausted");

  auto stats = parse(submit("", "/v1/stats", key, "GET")[0].body);
  bool found = false;
  for (const auto& t : stats["targets"].GetArray()) {
    if (json::view(t["target"]) != "a/gpt-image-1") continue;
    found = true;
    EXPECT_EQ(t["requests"].GetInt(), 2);
    EXPECT_EQ(t["tokens"]["prompt"].GetInt(), 100);
    EXPECT_EQ(t["tokens"]["completion"].GetInt(), 100);
    EXPECT_NEAR(t["cost_usd"].GetDouble(), 0.2, 1e-9);
  }
  EXPECT_TRUE(found);
}

TEST_F(ImagesFlow, ErrorsInOpenAIsShape) {
  configure(upstreams("{}"));
  auto bad = generate(R"({"model": "a/gpt-image-1", "prompt": "p", "stream": true})");
  ASSERT_EQ(bad[0].kind, ActionKind::respond);
  EXPECT_EQ(bad[0].status, 400u);
  EXPECT_EQ(json::view(parse(bad[0].body)["error"]["param"]), "stream");
  EXPECT_EQ(generate(R"({"model": "a/gpt-image-1"})")[0].status, 400u);

  auto fetch = generate(R"({"model": "a/gpt-image-1", "prompt": "p"})");
  auto done = answer(fetch[0].id, 400,
                     R"({"error":{"message":"Your request was rejected by the safety system.","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}})");
  const Action* respond = find(done, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 400u);
  auto error = parse(respond->body)["error"].GetObject();
  EXPECT_EQ(json::view(error["metadata"]["error_type"]), "content_filtered");
  EXPECT_EQ(target(*respond), "a/gpt-image-1");
}

}  // namespace
}  // namespace sy::engine
