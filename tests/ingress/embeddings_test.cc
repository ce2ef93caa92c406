#include "ingress/embeddings.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::embeddings {
namespace {

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

std::string with_input(std::string_view input, std::string_view more = "") {
  return R"({"model": "text-embedding-3-small", "input": )" + std::string(input) + std::string(more) + "}";
}

void expect_refused(const std::string& body, const char* param, const char* code = "invalid_request") {
  auto d = decode(body);
  ASSERT_FALSE(d.ok) << body;
  EXPECT_EQ(d.error.status, 400) << body;
  EXPECT_EQ(d.error.code, code) << body;
  EXPECT_EQ(d.error.param, param ? param : "") << body << " -> " << d.error.message;
}

TEST(EmbeddingsDecode, OneText) {
  auto d = decode(R"({"input": "The food was delicious and the waiter...", "model": "text-embedding-3-small",
                      "encoding_format": "float"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::embeddings);
  EXPECT_EQ(r.format, model::Format::openai_embeddings);
  EXPECT_EQ(r.model, "text-embedding-3-small");
  EXPECT_EQ(r.raw, d.env->text);
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(json::view(*r.inputs[0]), "The food was delicious and the waiter...");
  EXPECT_FALSE(r.token_input);
  EXPECT_FALSE(r.base64);
  EXPECT_EQ(r.dimensions, -1);
  EXPECT_TRUE(r.extras.empty());
}

TEST(EmbeddingsDecode, InputShapes) {
  auto texts = decode(with_input(R"(["a", "b", "c"])"));
  ASSERT_TRUE(texts.ok);
  EXPECT_EQ(texts.request().inputs.size(), 3u);
  EXPECT_EQ(json::view(*texts.request().inputs[2]), "c");
  EXPECT_FALSE(texts.request().token_input);

  auto tokens = decode(with_input("[1212, 318, 257, 1332, 13]"));
  ASSERT_TRUE(tokens.ok);
  ASSERT_EQ(tokens.request().inputs.size(), 1u) << "one token array is one input";
  EXPECT_TRUE(tokens.request().inputs[0]->IsArray());
  EXPECT_TRUE(tokens.request().token_input);

  auto batches = decode(with_input("[[1212, 318], [0], [4294967295]]"));
  ASSERT_TRUE(batches.ok) << batches.error.message;
  EXPECT_EQ(batches.request().inputs.size(), 3u);
  EXPECT_TRUE(batches.request().token_input);
}

TEST(EmbeddingsDecode, BadInputs) {
  expect_refused(R"({"model": "m"})", "input", "missing_input");
  expect_refused(with_input("null"), "input", "missing_input");
  expect_refused(with_input(R"("")"), "input");
  expect_refused(with_input("[]"), "input");
  expect_refused(with_input("5"), "input");
  expect_refused(with_input(R"({"text": "a"})"), "input");
  expect_refused(with_input(R"(["a", ""])"), "input[1]");
  expect_refused(with_input(R"(["a", 5])"), "input[1]");
  expect_refused(with_input(R"(["a", [1, 2]])"), "input[1]");
  expect_refused(with_input(R"([[1, 2], "a"])"), "input[1]");
  expect_refused(with_input("[[1, 2], []]"), "input[1]");
  expect_refused(with_input("[[1, -2]]"), "input[0]");
  expect_refused(with_input("[[1, 2.5]]"), "input[0]");
  expect_refused(with_input("[1, -2]"), "input[1]");
  expect_refused(with_input("[1, 2.5]"), "input[1]");
  expect_refused(with_input("[1, 4294967296]"), "input[1]");
  expect_refused(with_input(R"([1, "a"])"), "input[1]");
  expect_refused(with_input(R"([-1])"), "input[0]");
}

TEST(EmbeddingsDecode, AtMost2048Inputs) {
  std::string many = "[";
  for (size_t i = 0; i < kMaxInputs; ++i) many += i ? ",\"x\"" : "\"x\"";
  EXPECT_TRUE(decode(with_input(many + "]")).ok);
  expect_refused(with_input(many + ",\"x\"]"), "input");
  EXPECT_EQ(decode(with_input(many + ",\"x\"]")).error.message, "input must have at most 2048 entries");
  std::string tokens = "[";
  for (size_t i = 0; i < 5000; ++i) tokens += i ? ",1" : "1";
  EXPECT_TRUE(decode(with_input(tokens + "]")).ok) << "one token array is one input, however long";
}

TEST(EmbeddingsDecode, Options) {
  auto d = decode(with_input(R"("x")", R"(, "dimensions": 256, "encoding_format": "base64", "user": "u-1")"));
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().dimensions, 256);
  EXPECT_TRUE(d.request().base64);
  EXPECT_EQ(d.request().user, "u-1");
  auto nulls = decode(with_input(R"("x")", R"(, "dimensions": null, "encoding_format": null, "user": null)"));
  ASSERT_TRUE(nulls.ok) << nulls.error.message;
  EXPECT_EQ(nulls.request().dimensions, -1);
  EXPECT_FALSE(nulls.request().base64);

  expect_refused(with_input(R"("x")", R"(, "dimensions": 0)"), "dimensions");
  expect_refused(with_input(R"("x")", R"(, "dimensions": 65537)"), "dimensions");
  expect_refused(with_input(R"("x")", R"(, "dimensions": 1.5)"), "dimensions");
  expect_refused(with_input(R"("x")", R"(, "dimensions": "256")"), "dimensions");
  expect_refused(with_input(R"("x")", R"(, "encoding_format": "int8")"), "encoding_format");
  expect_refused(with_input(R"("x")", R"(, "encoding_format": 1)"), "encoding_format");
  expect_refused(with_input(R"("x")", R"(, "user": 5)"), "user");
}

TEST(EmbeddingsDecode, RoutingMembersAndExtras) {
  auto d = decode(R"({"models": ["emb", "openai/text-embedding-3-large"], "input": "x", "provider": {"only": ["openai"]},
                      "switchyard": {"cache": "no-store"}, "session_id": "s", "input_type": "query", "truncate": "END"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().model, "emb");
  EXPECT_EQ(d.request().routing.models.size(), 2u);
  EXPECT_NE(d.request().routing.provider, nullptr);
  EXPECT_NE(d.request().controls, nullptr);
  EXPECT_EQ(d.request().routing.session_id, "s");
  ASSERT_EQ(d.request().extras.size(), 2u);
  EXPECT_EQ(d.request().extras[0].first, "input_type");
  EXPECT_EQ(d.request().extras[1].first, "truncate");

  expect_refused(R"({"input": "x"})", "model", "missing_model");
  expect_refused(R"({"model": 5, "input": "x"})", "model");
  expect_refused(R"({"model": "m", "models": "x", "input": "x"})", "models");
  expect_refused(R"({"model": "m", "provider": "openai", "input": "x"})", "provider");
}

TEST(EmbeddingsDecode, BodyErrors) {
  expect_refused("{not json", nullptr, "invalid_json");
  expect_refused("[\"x\"]", nullptr, "invalid_json");
  expect_refused(with_input("\"caf\xC3\x28\""), nullptr, "invalid_json");
  EXPECT_EQ(decode(with_input("\"\xFF\"")).error.message, "request body is not valid UTF-8");
}

TEST(EmbeddingsCodec, AnswersAsStoredAndNeverStreams) {
  EXPECT_EQ(kCodec.answer, nullptr);  // the stored form is this format's body: sent as it is
  EXPECT_EQ(kCodec.stream, nullptr);
  EXPECT_EQ(kCodec.format, model::Format::openai_embeddings);
  Error e{400, ErrorType::invalid_request, "m", "c", "input"};
  EXPECT_EQ(kCodec.error(e), error_body(e));
}

}  // namespace
}  // namespace sy::ingress::embeddings
