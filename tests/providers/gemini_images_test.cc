// Gemini's image generation (src/providers/gemini_images.cc) through the gemini codec: image
// models through generateContent with inlineData answers, Imagen through :predict, aspect
// ratios, blocked prompts and answers, answers with no image.
#include "providers/gemini_images.h"

#include "providers/gemini.h"
#include "wire_test_util.h"

namespace sy::providers::gemini_images {
namespace {

using namespace test;
using gemini::kCodec;

const config::Provider kGemini = make_provider(config::ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta");

Encoded encode_image(std::string_view model, std::string_view body, const Overrides& overrides = {}) {
  EnvelopePtr env = image_request(body);
  return test::encode(kCodec, kGemini, model, env->request, overrides);
}

struct Call {
  EnvelopePtr env;
  DecodeContext ctx;
};

Call call(std::string_view body, std::string_view model) {
  EnvelopePtr env = image_request(body);
  DecodeContext ctx{kGemini, model, env->request};
  return {std::move(env), ctx};
}

// gemini-2.5-flash-image's answer: a text part, then the image.
constexpr const char* kImageAnswer = R"({"candidates": [{"content": {"parts": [
    {"text": "Here is a cute baby sea otter floating on its back."},
    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}],
    "role": "model"}, "finishReason": "STOP", "index": 0}],
  "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 1290, "totalTokenCount": 1298,
                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}],
                    "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]},
  "modelVersion": "gemini-2.5-flash-image", "responseId": "p8dXaKXzJ9Czz7IPqOLd-QM"})";

// Imagen's :predict answer: two images and one its filters withheld.
constexpr const char* kImagenAnswer = R"({"predictions": [
    {"bytesBase64Encoded": "iVBORw0KGgo=", "mimeType": "image/png", "prompt": "A photo of a cute baby sea otter, floating on its back in calm water"},
    {"raiFilteredReason": "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage guidelines."},
    {"bytesBase64Encoded": "/9j/4AAQSkZJRg==", "mimeType": "image/jpeg"}]})";

TEST(GeminiImages, ImageModelsThroughGenerateContent) {
  auto e = encode_image("gemini-2.5-flash-image",
                        R"({"model":"img","prompt":"A cute baby sea otter","size":"1536x1024","quality":"high","style":"vivid",)"
                        R"("user":"u","background":"opaque","safety_settings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]})");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.body,
            R"({"contents":[{"role":"user","parts":[{"text":"A cute baby sea otter"}]}],)"
            R"("generationConfig":{"responseModalities":["IMAGE"],"imageConfig":{"aspectRatio":"3:2"}},)"
            R"("safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]})");

  auto plain = encode_image("gemini-2.5-flash-image", R"({"prompt":"p","size":"auto"})");
  EXPECT_EQ(plain.request.body, R"({"contents":[{"role":"user","parts":[{"text":"p"}]}],"generationConfig":{"responseModalities":["IMAGE"]}})");

  auto sized = encode_image("gemini-3-pro-image-preview", R"({"prompt":"p","size":"1792x1024","imageSize":"4K"})");
  EXPECT_EQ(sized.request.body,
            R"({"contents":[{"role":"user","parts":[{"text":"p"}]}],"generationConfig":{"responseModalities":["IMAGE"],)"
            R"("imageConfig":{"aspectRatio":"16:9","imageSize":"4K"}}})");
  auto overridden = encode_image("gemini-3-pro-image-preview", R"({"prompt":"p","aspect_ratio":"1:1"})",
                                 {{"image_size", R"("2K")"}, {"aspectRatio", R"("21:9")"}});
  EXPECT_TRUE(same_json(overridden.request.body, R"({"contents":[{"role":"user","parts":[{"text":"p"}]}],
      "generationConfig":{"responseModalities":["IMAGE"],"imageConfig":{"aspectRatio":"21:9","imageSize":"2K"}}})"));
  auto odd = encode_image("a/b?c", R"({"prompt":"p"})");
  EXPECT_EQ(odd.request.url, "https://generativelanguage.googleapis.com/v1beta/models/a%2Fb%3Fc:generateContent");
}

TEST(GeminiImages, ImagenThroughPredict) {
  auto e = encode_image("imagen-4.0-generate-001",
                        R"({"prompt":"A \"cute\" otter","n":3,"size":"1024x1792","person_generation":"allow_adult","style":"vivid"})");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/imagen-4.0-generate-001:predict");
  EXPECT_EQ(e.request.body,
            R"({"instances":[{"prompt":"A \"cute\" otter"}],"parameters":{"sampleCount":3,"aspectRatio":"9:16","personGeneration":"allow_adult"}})");
  auto one = encode_image("imagen-4.0-fast-generate-001", R"({"prompt":"p","size":"1536x1024"})");
  EXPECT_EQ(one.request.body, R"({"instances":[{"prompt":"p"}],"parameters":{"sampleCount":1,"aspectRatio":"4:3"}})");
}

TEST(GeminiImages, AspectRatios) {
  EXPECT_EQ(aspect_ratio("1024x1024", false), "1:1");
  EXPECT_EQ(aspect_ratio("256x256", true), "1:1");
  EXPECT_EQ(aspect_ratio("1536x1024", false), "3:2");
  EXPECT_EQ(aspect_ratio("1024x1536", false), "2:3");
  EXPECT_EQ(aspect_ratio("1024x1536", true), "3:4");
  EXPECT_EQ(aspect_ratio("1792x1024", false), "16:9");
  EXPECT_EQ(aspect_ratio("1024x1792", true), "9:16");
  EXPECT_EQ(aspect_ratio("2520x1080", false), "21:9");
  EXPECT_EQ(aspect_ratio("2520x1080", true), "16:9");
  EXPECT_EQ(aspect_ratio("1280x1024", false), "5:4");
  for (const char* none : {"", "auto", "0x10", "10x", "x10", "axb", "123456x1"}) EXPECT_EQ(aspect_ratio(none, false), "") << none;
}

TEST(GeminiImages, InlineDataAnswers) {
  auto c = call(R"({"prompt":"A cute baby sea otter"})", "m");
  Decoded d = kCodec.decode(200, kImageAnswer, c.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Answer& a = d.answer;
  EXPECT_EQ(a.kind, model::Kind::images);
  EXPECT_EQ(a.model, "gemini-2.5-flash-image");
  EXPECT_EQ(a.provider, "up");
  ASSERT_EQ(a.images.size(), 1u);
  EXPECT_EQ(a.images[0].media_type, "image/png");
  EXPECT_EQ(a.images[0].b64.substr(0, 12), "iVBORw0KGgoA");
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 8);
  EXPECT_EQ(a.usage.completion_tokens, 1290);
  EXPECT_DOUBLE_EQ(a.usage.cost, (8 * 1.0 + 1290 * 2.0) / 1e6);
  EXPECT_TRUE(same_json(stored(a), R"({"created": 1, "data": [{"b64_json":
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}],
      "usage": {"input_tokens": 8, "output_tokens": 1290, "total_tokens": 1298,
                "input_tokens_details": {"text_tokens": 8, "image_tokens": 0}, "cost": 0.002588}})"));

  auto urls = call(R"({"prompt":"p","response_format":"url"})", "gemini-2.5-flash-image");
  Decoded u = kCodec.decode(200, kImageAnswer, urls.ctx);
  ASSERT_TRUE(u.ok);
  EXPECT_EQ(u.answer.images[0].url.substr(0, 34), "data:image/png;base64,iVBORw0KGgoA");
  EXPECT_EQ(u.answer.images[0].b64, "");
  EXPECT_EQ(u.answer.usage.cost, -1) << "no price for this model";
}

TEST(GeminiImages, ThoughtImagesAreLeftOut) {
  auto c = call(R"({"prompt":"p"})", "gemini-3-pro-image-preview");
  Decoded d = kCodec.decode(200, R"({"candidates": [{"content": {"parts": [
      {"text": "Sketching the composition", "thought": true},
      {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": true},
      {"inlineData": {"mimeType": "image/jpeg", "data": "ZmluYWw="}, "thoughtSignature": "EtgDCtUDAdHtim8="}]},
      "finishReason": "STOP"}]})", c.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.answer.images.size(), 1u);
  EXPECT_EQ(d.answer.images[0].b64, "ZmluYWw=");
  EXPECT_EQ(d.answer.images[0].media_type, "image/jpeg");
  EXPECT_EQ(d.answer.model, "gemini-3-pro-image-preview") << "the target's model when the answer names none";
  EXPECT_FALSE(d.answer.usage.known);
}

TEST(GeminiImages, BlockedAndEmptyAnswers) {
  auto c = call(R"({"prompt":"p"})", "gemini-2.5-flash-image");
  Decoded prompt = kCodec.decode(200, R"({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
      "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}, "modelVersion": "gemini-2.5-flash-image"})", c.ctx);
  EXPECT_FALSE(prompt.ok);
  EXPECT_EQ(prompt.outcome, health::Outcome::content_filter);
  EXPECT_EQ(prompt.error.status, 400);
  EXPECT_EQ(prompt.error.type, ErrorType::content_filtered);
  EXPECT_NE(prompt.error.message.find("the prompt was blocked (PROHIBITED_CONTENT)"), std::string::npos) << prompt.error.message;

  Decoded answer = kCodec.decode(200, R"({"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}]})", c.ctx);
  EXPECT_EQ(answer.outcome, health::Outcome::content_filter);
  EXPECT_NE(answer.error.message.find("the answer was blocked (IMAGE_SAFETY)"), std::string::npos);

  Decoded text = kCodec.decode(200, R"({"candidates": [{"content": {"parts": [{"text": "I can only describe the otter: it floats on its back."}],
      "role": "model"}, "finishReason": "STOP"}]})", c.ctx);
  EXPECT_FALSE(text.ok);
  EXPECT_EQ(text.outcome, health::Outcome::malformed);
  EXPECT_EQ(text.error.status, 502);
  EXPECT_EQ(text.error.code, "no_image");
  EXPECT_EQ(text.error.message,
            "upstream up answered no image (finishReason STOP): I can only describe the otter: it floats on its back.");

  std::string long_text(300, 'a');
  long_text[199] = '\xC3';  // an é across the cut
  long_text[200] = '\xA9';
  Decoded cut = kCodec.decode(200, R"({"candidates": [{"content": {"parts": [{"text": ")" + long_text + R"("}]}, "finishReason": "NO_IMAGE"}]})", c.ctx);
  EXPECT_EQ(cut.error.message, "upstream up answered no image (finishReason NO_IMAGE): " + long_text.substr(0, 199) + "…");

  EXPECT_EQ(kCodec.decode(200, R"({"candidates": []})", c.ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "text/plain", "data": "aGk="}}]}}]})", c.ctx).error.code,
            "no_image");
}

TEST(GeminiImages, ImagenAnswers) {
  auto c = call(R"({"prompt":"A cute baby sea otter","n":3})", "imagen-4.0-generate-001");
  Decoded d = kCodec.decode(200, kImagenAnswer, c.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.answer.images.size(), 2u);
  EXPECT_EQ(d.answer.images[0].b64, "iVBORw0KGgo=");
  EXPECT_EQ(d.answer.images[0].revised_prompt, "A photo of a cute baby sea otter, floating on its back in calm water");
  EXPECT_EQ(d.answer.images[1].media_type, "image/jpeg");
  EXPECT_EQ(d.answer.model, "imagen-4.0-generate-001");
  EXPECT_FALSE(d.answer.usage.known) << "Imagen reports no usage";
  EXPECT_TRUE(same_json(stored(d.answer), R"({"created": 1, "data": [
      {"b64_json": "iVBORw0KGgo=", "revised_prompt": "A photo of a cute baby sea otter, floating on its back in calm water"},
      {"b64_json": "/9j/4AAQSkZJRg=="}]})"));

  Decoded filtered = kCodec.decode(200, R"({"predictions": [{"raiFilteredReason": "Unable to show generated images."}]})", c.ctx);
  EXPECT_EQ(filtered.outcome, health::Outcome::content_filter);
  EXPECT_NE(filtered.error.message.find("Unable to show generated images."), std::string::npos);
  Decoded empty = kCodec.decode(200, "{}", c.ctx);
  EXPECT_EQ(empty.outcome, health::Outcome::content_filter);
  EXPECT_NE(empty.error.message.find("every image was filtered"), std::string::npos);
  EXPECT_EQ(kCodec.decode(200, R"({"predictions": {}})", c.ctx).outcome, health::Outcome::malformed);
}

TEST(GeminiImages, ErrorBodies) {
  auto c = call(R"({"prompt":"p","n":1})", "gemini-2.5-flash-image");
  Decoded key = kCodec.decode(400, R"({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
      "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}})", c.ctx);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  Decoded candidates = kCodec.decode(400, R"({"error": {"code": 400,
      "message": "Multiple candidates is not enabled for models/gemini-2.5-flash-image", "status": "INVALID_ARGUMENT"}})", c.ctx);
  EXPECT_EQ(candidates.outcome, health::Outcome::bad_request);
  EXPECT_EQ(candidates.error.status, 400);
  EXPECT_EQ(kCodec.decode(429, R"({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}})", c.ctx).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(kCodec.decode(404, R"({"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}})", c.ctx).outcome,
            health::Outcome::not_found);
  EXPECT_EQ(kCodec.decode(503, R"({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})", c.ctx).outcome,
            health::Outcome::status_5xx);
  EXPECT_EQ(kCodec.decode(200, R"({"error": {"code": 500, "message": "boom", "status": "INTERNAL"}})", c.ctx).outcome,
            health::Outcome::error_body_200);
  EXPECT_EQ(kCodec.decode(200, "not json", c.ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, "[]", c.ctx).outcome, health::Outcome::malformed);
}

TEST(GeminiImages, ImagesPerModel) {
  EXPECT_TRUE(kCodec.caps.images);
  EXPECT_EQ(max_images("imagen-4.0-generate-001"), 4);
  EXPECT_EQ(max_images("gemini-2.5-flash-image"), 1);
  auto two = image_request(R"({"prompt":"p","n":2})");
  EXPECT_EQ(refusal(kCodec, two->request, "gemini-2.5-flash-image").param, "n");
  EXPECT_EQ(refusal(kCodec, two->request, "imagen-4.0-generate-001").param, "");
  auto five = image_request(R"({"prompt":"p","n":5})");
  EXPECT_EQ(refusal(kCodec, five->request, "imagen-4.0-generate-001").param, "n");
}

}  // namespace
}  // namespace sy::providers::gemini_images
