// The OpenAI image-generation ingress (src/ingress/images.cc): CreateImageRequest bodies into
// canonical image requests, every bad field a 400 naming it.
#include "ingress/images.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::images {
namespace {

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

std::string with(std::string_view members) {
  return R"({"model": "gpt-image-1", "prompt": "A cute baby sea otter")" +
         std::string(members.empty() ? "" : ", ") + std::string(members) + "}";
}

void expect_refused(const std::string& body, const char* param, const char* code = "invalid_request") {
  auto d = decode(body);
  ASSERT_FALSE(d.ok) << body;
  EXPECT_EQ(d.error.status, 400) << body;
  EXPECT_EQ(d.error.type, ErrorType::invalid_request) << body;
  EXPECT_EQ(d.error.code, code) << body << " -> " << d.error.message;
  EXPECT_EQ(d.error.param, param) << body << " -> " << d.error.message;
}

std::string extra_text(const model::Request& r, std::string_view name) {
  for (const auto& [n, v] : r.extras)
    if (n == name) {
      std::string out;
      json::append_value(out, *v);
      return out;
    }
  return "<absent>";
}

// The example of OpenAI's API reference (createImage), with every GPT image option.
TEST(ImagesDecode, TheReferenceExample) {
  auto d = decode(R"({"model": "gpt-image-1.5", "prompt": "A cute baby sea otter", "n": 1, "size": "1024x1024",
                      "quality": "high", "background": "transparent", "output_format": "webp",
                      "output_compression": 80, "moderation": "low", "user": "user-1234"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::images);
  EXPECT_EQ(r.format, model::Format::openai_images);
  EXPECT_EQ(r.raw, d.env->text);
  EXPECT_EQ(r.model, "gpt-image-1.5");
  EXPECT_EQ(r.prompt, "A cute baby sea otter");
  EXPECT_EQ(r.sampling.n, 1);
  EXPECT_EQ(r.size, "1024x1024");
  EXPECT_EQ(r.quality, "high");
  EXPECT_EQ(r.style, "");
  EXPECT_EQ(r.user, "user-1234");
  EXPECT_FALSE(r.image_urls);
  EXPECT_FALSE(r.image_b64);
  EXPECT_FALSE(r.stream);
  ASSERT_EQ(r.extras.size(), 4u);
  EXPECT_EQ(r.extras[0].first, "background");
  EXPECT_EQ(extra_text(r, "background"), R"("transparent")");
  EXPECT_EQ(extra_text(r, "output_format"), R"("webp")");
  EXPECT_EQ(extra_text(r, "output_compression"), "80");
  EXPECT_EQ(extra_text(r, "moderation"), R"("low")");
}

TEST(ImagesDecode, DallE3Options) {
  auto d = decode(R"({"model": "dall-e-3", "prompt": "a lighthouse", "size": "1792x1024", "quality": "hd",
                      "style": "natural", "response_format": "url"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().quality, "hd");
  EXPECT_EQ(d.request().style, "natural");
  EXPECT_EQ(d.request().size, "1792x1024");
  EXPECT_TRUE(d.request().image_urls);
  EXPECT_FALSE(d.request().image_b64);
  EXPECT_TRUE(d.request().extras.empty());

  auto b64 = decode(with(R"("response_format": "b64_json")"));
  ASSERT_TRUE(b64.ok);
  EXPECT_FALSE(b64.request().image_urls);
  EXPECT_TRUE(b64.request().image_b64);
}

TEST(ImagesDecode, NullIsAbsentAndUnknownMembersAreKept) {
  auto d = decode(with(R"("n": null, "size": null, "quality": null, "style": null, "response_format": null,
                          "background": null, "output_format": null, "output_compression": null,
                          "moderation": null, "partial_images": null, "user": null, "stream": null,
                          "stream": false, "seed": 7, "negative_prompt": "fog")"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.sampling.n, 1);
  EXPECT_EQ(r.size, "");
  EXPECT_FALSE(r.image_urls || r.image_b64);
  ASSERT_EQ(r.extras.size(), 2u) << "nulls are not carried; unknown members are";
  EXPECT_EQ(r.extras[0].first, "seed");
  EXPECT_EQ(r.extras[1].first, "negative_prompt");
}

TEST(ImagesDecode, RoutingMembers) {
  auto d = decode(R"({"models": ["img", "img-backup"], "prompt": "p", "provider": {"order": ["a"]},
                      "session_id": "s1", "switchyard": {"cache": "no-store"}, "partial_images": 2})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.model, "img");
  EXPECT_EQ(r.routing.models.size(), 2u);
  EXPECT_NE(r.routing.provider, nullptr);
  EXPECT_EQ(r.routing.session_id, "s1");
  EXPECT_NE(r.controls, nullptr);
  EXPECT_EQ(extra_text(r, "partial_images"), "2");
}

TEST(ImagesDecode, Sizes) {
  for (const char* ok : {"auto", "1024x1024", "1536x864", "256x256", "3840x2160"})
    EXPECT_TRUE(decode(with(std::string(R"("size": ")") + ok + "\"")).ok) << ok;
  for (const char* bad : {"", "1024", "x1024", "1024x", "1024X1024", "0x10", "01024x1024", "100000x1", "-1x5",
                          "1024x1024x1", "big", "1024 x 1024"})
    expect_refused(with(std::string(R"("size": ")") + bad + "\""), "size");
  expect_refused(with(R"("size": 1024)"), "size");
}

TEST(ImagesDecode, Prompts) {
  expect_refused(R"({"model": "gpt-image-1"})", "prompt", "missing_prompt");
  expect_refused(R"({"model": "gpt-image-1", "prompt": null})", "prompt", "missing_prompt");
  expect_refused(R"({"model": "gpt-image-1", "prompt": ""})", "prompt");
  expect_refused(R"({"model": "gpt-image-1", "prompt": 5})", "prompt");
  expect_refused(R"({"model": "gpt-image-1", "prompt": ["a"]})", "prompt");

  auto body = [](std::string_view model, size_t chars, const char* ch = "a") {
    std::string prompt;
    for (size_t i = 0; i < chars; ++i) prompt += ch;
    return R"({"model": ")" + std::string(model) + R"(", "prompt": ")" + prompt + "\"}";
  };
  EXPECT_TRUE(decode(body("gpt-image-1", kMaxPrompt)).ok);
  expect_refused(body("gpt-image-1", kMaxPrompt + 1), "prompt", "string_above_max_length");
  EXPECT_TRUE(decode(body("dall-e-3", kMaxPromptDallE3)).ok);
  expect_refused(body("dall-e-3", kMaxPromptDallE3 + 1), "prompt", "string_above_max_length");
  expect_refused(body("openai/dall-e-3", kMaxPromptDallE3 + 1), "prompt", "string_above_max_length");
  EXPECT_TRUE(decode(body("dall-e-2", kMaxPromptDallE2, "é")).ok) << "characters, not bytes";
  auto long2 = decode(body("dall-e-2", kMaxPromptDallE2 + 1));
  ASSERT_FALSE(long2.ok);
  EXPECT_EQ(long2.error.message, "prompt must be at most 1000 characters for dall-e-2");
}

TEST(ImagesDecode, BadValuesNameTheirField) {
  expect_refused(with(R"("n": 0)"), "n");
  expect_refused(with(R"("n": 11)"), "n");
  expect_refused(with(R"("n": 1.5)"), "n");
  expect_refused(with(R"("n": "2")"), "n");
  expect_refused(with(R"("quality": "ultra")"), "quality");
  expect_refused(with(R"("quality": "")"), "quality");
  expect_refused(with(R"("style": "moody")"), "style");
  expect_refused(with(R"("response_format": "png")"), "response_format");
  expect_refused(with(R"("response_format": true)"), "response_format");
  expect_refused(with(R"("background": "clear")"), "background");
  expect_refused(with(R"("output_format": "gif")"), "output_format");
  expect_refused(with(R"("output_compression": 101)"), "output_compression");
  expect_refused(with(R"("output_compression": -1)"), "output_compression");
  expect_refused(with(R"("moderation": "high")"), "moderation");
  expect_refused(with(R"("partial_images": 4)"), "partial_images");
  expect_refused(with(R"("user": 5)"), "user");
  expect_refused(with(R"("stream": "yes")"), "stream");
  expect_refused(with(R"("model": 5)"), "model");
  expect_refused(with(R"("models": [1])"), "models");
  expect_refused(with(R"("provider": "a")"), "provider");
  expect_refused(R"({"prompt": "p"})", "model", "missing_model");

  auto quality = decode(with(R"("quality": "ultra")"));
  EXPECT_EQ(quality.error.message, R"(quality must be one of "standard", "hd", "low", "medium", "high", "auto")");
  auto n = decode(with(R"("n": 11)"));
  EXPECT_EQ(n.error.message, "n must be an integer from 1 to 10");
}

TEST(ImagesDecode, StreamsAreRefusedClearly) {
  auto d = decode(with(R"("stream": true, "partial_images": 2)"));
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.status, 400);
  EXPECT_EQ(d.error.param, "stream");
  EXPECT_EQ(d.error.code, "unsupported_parameter");
  EXPECT_NE(d.error.message.find("one answer"), std::string::npos) << d.error.message;
}

TEST(ImagesDecode, BodiesThatAreNotObjects) {
  for (const char* body : {"", "[]", "\"p\"", "{", "{\"prompt\": \"\xff\"}"}) {
    auto d = decode(body);
    ASSERT_FALSE(d.ok) << body;
    EXPECT_EQ(d.error.status, 400);
    EXPECT_EQ(d.error.code, "invalid_json") << body;
  }
}

TEST(ImagesAnswer, TheStoredFormAsIs) {
  EXPECT_EQ(kCodec.answer, nullptr);  // the stored form is this format's body: sent as it is
  EXPECT_EQ(kCodec.stream, nullptr);
  Error e{400, ErrorType::invalid_request, "prompt is required", "missing_prompt", "prompt"};
  auto body = testing::parse(kCodec.error(e));
  EXPECT_EQ(json::view(body["error"]["param"]), "prompt");
  EXPECT_EQ(json::view(body["error"]["type"]), "invalid_request_error");
}

}  // namespace
}  // namespace sy::ingress::images
