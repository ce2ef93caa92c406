// OpenAI's and Azure's image generation (src/providers/openai_images.cc) through the openai and
// azure-openai codecs: request bodies (same-format splice and rendering), GPT image models'
// response_format, ImagesResponse answers (raw, priced, data: URLs) and error bodies.
#include "providers/openai_images.h"

#include "providers/azure.h"
#include "providers/openai.h"
#include "wire_test_util.h"

namespace sy::providers::openai_images {
namespace {

using namespace test;

const config::Provider kOpenAI = make_provider(config::ProviderType::openai, "https://api.openai.com/v1");
const config::Provider kAzure =
    make_provider(config::ProviderType::azure_openai, "https://my-resource.openai.azure.com", "2025-04-01-preview");

Encoded encode_image(const Codec& codec, const config::Provider& provider, std::string_view model, std::string_view body,
                     const Overrides& overrides = {}, bool rendered = false) {
  EnvelopePtr env = image_request(body);
  if (rendered) env->request.format = model::Format::none;
  return encode(codec, provider, model, env->request, overrides);
}

// The reference example of OpenAI's createImage answer (gpt-image-1).
constexpr const char* kGptImageAnswer =
    R"({"created": 1713833628, "data": [{"b64_json": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}],
"background": "transparent", "output_format": "png", "size": "1024x1024", "quality": "high",
"usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50, "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}})";

// Azure's dall-e-3 answer: a URL, the revised prompt and content filter annotations.
constexpr const char* kDallE3Answer =
    R"({"created": 1698342300, "data": [{"revised_prompt": "A vivid, natural sunset over a calm lake, painted in watercolour.",
"prompt_filter_results": {"hate": {"filtered": false, "severity": "safe"}, "violence": {"filtered": false, "severity": "safe"}},
"url": "https://dalletipusw2.blob.core.windows.net/private/images/e5451cc6-b1ad-4747-bd46-b89a3a3b8bc3/generated_00.png?se=2023-10-27T17%3A45%3A09Z",
"content_filter_results": {"hate": {"filtered": false, "severity": "safe"}, "violence": {"filtered": false, "severity": "safe"}}}]})";

struct Call {
  EnvelopePtr env;
  DecodeContext ctx;
};

Call call(std::string_view body, std::string_view model = "m", const config::Provider& provider = kOpenAI) {
  EnvelopePtr env = image_request(body);
  DecodeContext ctx{provider, model, env->request};
  return {std::move(env), ctx};
}

TEST(OpenAIImages, SameFormatSpliceForOpenAI) {
  auto e = encode_image(openai::kCodec, kOpenAI, "gpt-image-1",
                        R"({"model":"img","prompt":"A cute baby sea otter","n":2,"size":"1024x1024","quality":"high",)"
                        R"("background":"transparent","switchyard":{"cache":"no-store"},"session_id":"s"})");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://api.openai.com/v1/images/generations");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nauthorization: Bearer sk-test-secret-key\n");
  EXPECT_EQ(e.request.body,
            R"({"model":"gpt-image-1","prompt":"A cute baby sea otter","n":2,"size":"1024x1024","quality":"high","background":"transparent"})");
}

TEST(OpenAIImages, GptImageModelsAreNotSentResponseFormat) {
  const char* body = R"({"model":"img","prompt":"p","response_format":"url","style":"vivid"})";
  auto gpt = encode_image(openai::kCodec, kOpenAI, "gpt-image-1", body);
  EXPECT_EQ(gpt.request.body, R"({"model":"gpt-image-1","prompt":"p","style":"vivid"})");
  auto mini = encode_image(openai::kCodec, kOpenAI, "GPT-Image-1-Mini", R"({"prompt":"p","response_format":"b64_json"})");
  EXPECT_EQ(mini.request.body, R"({"model":"GPT-Image-1-Mini","prompt":"p"})");
  auto dalle = encode_image(openai::kCodec, kOpenAI, "dall-e-3", body);
  EXPECT_EQ(dalle.request.body, R"({"model":"dall-e-3","prompt":"p","response_format":"url","style":"vivid"})");
  // An operator's override is the operator's choice.
  auto forced = encode_image(openai::kCodec, kOpenAI, "gpt-image-1", body, {{"response_format", R"("b64_json")"}});
  EXPECT_EQ(forced.request.body, R"({"model":"gpt-image-1","prompt":"p","response_format":"b64_json","style":"vivid"})");
}

TEST(OpenAIImages, OverridesReplaceOrJoin) {
  auto e = encode_image(openai::kCodec, kOpenAI, "gpt-image-1", R"({"model":"img","prompt":"p","quality":"low"})",
                        {{"quality", R"("high")"}, {"moderation", R"("low")"}, {"model", R"("x")"}});
  EXPECT_EQ(e.request.body, R"({"model":"gpt-image-1","prompt":"p","quality":"high","moderation":"low"})");
}

TEST(OpenAIImages, RenderedFromCanonicalFields) {
  const char* body =
      R"({"model":"img","prompt":"A \"quoted\" otter","n":3,"size":"1536x1024","quality":"hd","style":"natural",)"
      R"("response_format":"url","user":"u-1","output_format":"webp","output_compression":50})";
  auto dalle = encode_image(openai::kCodec, kOpenAI, "dall-e-2", body, {{"size", R"("512x512")"}}, true);
  EXPECT_TRUE(same_json(dalle.request.body,
                        R"({"model":"dall-e-2","prompt":"A \"quoted\" otter","n":3,"size":"512x512","quality":"hd",
                            "style":"natural","response_format":"url","user":"u-1","output_format":"webp","output_compression":50})"));
  EXPECT_EQ(dalle.request.body.find("\"model\":\"dall-e-2\""), 1u) << "model first";
  auto gpt = encode_image(openai::kCodec, kOpenAI, "gpt-image-1", body, {}, true);
  EXPECT_FALSE(gpt.body.HasMember("response_format"));
  auto b64 = encode_image(openai::kCodec, kOpenAI, "dall-e-3", R"({"prompt":"p","response_format":"b64_json"})", {}, true);
  EXPECT_EQ(b64.request.body, R"({"model":"dall-e-3","prompt":"p","response_format":"b64_json"})");
  auto plain = encode_image(openai::kCodec, kOpenAI, "dall-e-3", R"({"prompt":"p"})", {}, true);
  EXPECT_EQ(plain.request.body, R"({"model":"dall-e-3","prompt":"p"})") << "no response_format: OpenAI's default";
}

TEST(OpenAIImages, AzureDeploymentUrl) {
  auto e = encode_image(azure::kCodec, kAzure, "gpt-image-1",
                        R"({"model":"img","prompt":"In the style of WordArt, Microsoft Clippy wearing a cowboy hat.","n":1,"quality":"high"})");
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview");
  EXPECT_EQ(e.request.headers, "content-type: application/json\napi-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.body,
            R"({"model":"gpt-image-1","prompt":"In the style of WordArt, Microsoft Clippy wearing a cowboy hat.","n":1,"quality":"high"})");
  auto odd = encode_image(azure::kCodec, kAzure, "../x?y", R"({"prompt":"p"})");
  EXPECT_EQ(odd.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/..%2Fx%3Fy/images/generations?api-version=2025-04-01-preview");
}

TEST(OpenAIImages, AnswersOfTheCallersFormatGoAsSent) {
  auto c = call(R"({"prompt":"A cute baby sea otter"})", "unpriced");
  Decoded d = openai::kCodec.decode(200, kGptImageAnswer, c.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::images);
  EXPECT_TRUE(d.answer.summary);
  EXPECT_EQ(d.answer.raw, kGptImageAnswer);
  EXPECT_EQ(d.answer.raw_format, model::Format::openai_images);
  EXPECT_TRUE(d.answer.images.empty()) << "a summary";
  EXPECT_TRUE(d.answer.usage.known);
  EXPECT_EQ(d.answer.usage.prompt_tokens, 50);
  EXPECT_EQ(d.answer.usage.completion_tokens, 50);
  EXPECT_EQ(d.answer.usage.cost, -1);
  EXPECT_EQ(stored(d.answer), kGptImageAnswer);

  auto azure = call(R"({"prompt":"a sunset","response_format":"url"})", "dall-e-3", kAzure);
  Decoded a = azure::kCodec.decode(200, kDallE3Answer, azure.ctx);
  ASSERT_TRUE(a.ok) << a.error.message;
  EXPECT_EQ(a.answer.raw, kDallE3Answer) << "URLs asked, URLs given: nothing to change";
  EXPECT_FALSE(a.answer.usage.known) << "dall-e reports no usage";
}

TEST(OpenAIImages, PricedAnswersAreRendered) {
  auto c = call(R"({"prompt":"A cute baby sea otter"})", "m");  // m: $1 in, $2 out per million
  Decoded d = openai::kCodec.decode(200, kGptImageAnswer, c.ctx);
  ASSERT_TRUE(d.ok);
  EXPECT_FALSE(d.answer.summary);
  EXPECT_DOUBLE_EQ(d.answer.usage.cost, (50 * 1.0 + 50 * 2.0) / 1e6);
  EXPECT_TRUE(same_json(stored(d.answer), R"({"created": 1713833628,
      "data": [{"b64_json": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}],
      "usage": {"input_tokens": 50, "output_tokens": 50, "total_tokens": 100,
                "input_tokens_details": {"text_tokens": 50, "image_tokens": 0}, "cost": 0.00015},
      "background": "transparent", "output_format": "png", "size": "1024x1024", "quality": "high"})"));
}

TEST(OpenAIImages, UrlsAskedOfAGptImageModelComeAsDataUrls) {
  auto c = call(R"({"prompt":"p","response_format":"url"})", "gpt-image-1");
  std::string webp = R"({"created": 1, "output_format": "webp", "data": [{"b64_json": "UklGRg=="}, {"b64_json": "UklGRh=="}]})";
  Decoded d = openai::kCodec.decode(200, webp, c.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_FALSE(d.answer.summary);
  ASSERT_EQ(d.answer.images.size(), 2u);
  EXPECT_EQ(d.answer.images[0].url, "data:image/webp;base64,UklGRg==");
  EXPECT_EQ(d.answer.images[0].b64, "");
  EXPECT_TRUE(same_json(stored(d.answer), R"({"created": 1, "data": [{"url": "data:image/webp;base64,UklGRg=="},
      {"url": "data:image/webp;base64,UklGRh=="}], "output_format": "webp"})"));
  Decoded png = openai::kCodec.decode(200, R"({"created": 1, "data": [{"b64_json": "iVBORw=="}]})", c.ctx);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.answer.images[0].url, "data:image/png;base64,iVBORw==") << "png when output_format is absent";
}

TEST(OpenAIImages, Errors) {
  auto c = call(R"({"prompt":"p","n":2})", "dall-e-3");
  Decoded n = openai::kCodec.decode(
      400, R"({"error":{"code":null,"message":"You must provide n=1 for this model.","param":null,"type":"invalid_request_error"}})", c.ctx);
  EXPECT_FALSE(n.ok);
  EXPECT_EQ(n.outcome, health::Outcome::bad_request);
  EXPECT_EQ(n.error.status, 400);
  EXPECT_EQ(n.error.param, "n");
  EXPECT_EQ(n.error.message, "upstream up answered 400: You must provide n=1 for this model.");

  Decoded unknown = openai::kCodec.decode(
      400, R"({"error":{"message":"Unknown parameter: 'response_format'.","type":"invalid_request_error","param":"response_format","code":"unknown_parameter"}})",
      c.ctx);
  EXPECT_EQ(unknown.outcome, health::Outcome::bad_request);
  EXPECT_EQ(unknown.error.param, "response_format");

  Decoded moderated = openai::kCodec.decode(
      400, R"({"error":{"message":"Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_123.","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}})",
      c.ctx);
  EXPECT_EQ(moderated.outcome, health::Outcome::content_filter);
  EXPECT_EQ(moderated.error.type, ErrorType::content_filtered);
  Decoded dalle = openai::kCodec.decode(
      400, R"({"error":{"code":"content_policy_violation","message":"Your request was rejected as a result of our safety system.","param":null,"type":"invalid_request_error"}})",
      c.ctx);
  EXPECT_EQ(dalle.outcome, health::Outcome::content_filter);
  Decoded azure = azure::kCodec.decode(400, R"({"error":{"code":"contentFilter","message":"Your task failed as a result of our safety system."}})", c.ctx);
  EXPECT_EQ(azure.outcome, health::Outcome::content_filter);

  EXPECT_EQ(openai::kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key","code":"invalid_api_key"}})", c.ctx).outcome,
            health::Outcome::auth);
  EXPECT_EQ(openai::kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key"}})", c.ctx).error.message.find("sk-test"),
            std::string::npos) << "the key is redacted";
  EXPECT_EQ(openai::kCodec.decode(429, R"({"error":{"message":"Rate limit reached for images per minute"}})", c.ctx).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(openai::kCodec.decode(500, "oops", c.ctx).outcome, health::Outcome::status_5xx);
  EXPECT_EQ(openai::kCodec.decode(404, R"({"error":{"message":"The model 'dall-e-4' does not exist"}})", c.ctx).outcome,
            health::Outcome::not_found);
  EXPECT_EQ(openai::kCodec.decode(200, R"({"error":{"message":"boom"}})", c.ctx).outcome, health::Outcome::error_body_200);
  for (const char* malformed : {"not json", "[]", R"({"created":1})", R"({"created":1,"data":[]})",
                                R"({"created":1,"data":{}})", R"({"created":1,"data":[{"revised_prompt":"x"}]})",
                                R"({"object":"list","data":[{"object":"embedding","embedding":[1]}]})"}) {
    Decoded d = openai::kCodec.decode(200, malformed, c.ctx);
    EXPECT_FALSE(d.ok) << malformed;
    EXPECT_EQ(d.outcome, health::Outcome::malformed) << malformed;
    EXPECT_EQ(d.error.code, "bad_upstream_response") << malformed;
  }
}

TEST(OpenAIImages, ImagesPerModel) {
  EXPECT_EQ(max_images("dall-e-3"), 1);
  EXPECT_EQ(max_images("my-DALLE3-deployment"), 1);
  EXPECT_EQ(max_images("dalle-3"), 1);
  EXPECT_EQ(max_images("dall-e-2"), 10);
  EXPECT_EQ(max_images("gpt-image-1"), 10);
  EXPECT_TRUE(is_gpt_image("gpt-image-1.5"));
  EXPECT_TRUE(is_gpt_image("prod-gpt-image-1"));
  EXPECT_FALSE(is_gpt_image("dall-e-3"));

  EXPECT_TRUE(openai::kCodec.caps.images);
  EXPECT_TRUE(azure::kCodec.caps.images);
  auto two = image_request(R"({"prompt":"p","n":2})");
  EXPECT_EQ(refusal(openai::kCodec, two->request, "dall-e-3").param, "n");
  EXPECT_EQ(refusal(azure::kCodec, two->request, "dalle3").param, "n");
  EXPECT_EQ(refusal(openai::kCodec, two->request, "gpt-image-1").param, "");
  auto one = image_request(R"({"prompt":"p"})");
  EXPECT_EQ(refusal(openai::kCodec, one->request, "dall-e-3").param, "");
}

}  // namespace
}  // namespace sy::providers::openai_images
