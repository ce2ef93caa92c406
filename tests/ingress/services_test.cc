#include "ingress/services.h"

#include <gtest/gtest.h>

#include "engine/harness.h"
#include "ingress/ingress_test_util.h"

namespace sy::ingress::services {
namespace {

using testing::parse;

testing::Decoded decode(std::string_view service, std::string_view input) { return testing::decode(kCodec, input, service); }

// main's ServicesFillTemplates, at the codec: the templates become an OpenAI chat body.
TEST(ServicesDecode, FillsTemplatesIntoAChatBody) {
  auto d = decode("greet", R"({"name": "Ada"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.env->text,
            R"({"model":"echo/echo-1","messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"Say hello to Ada"}]})");
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::chat);
  EXPECT_EQ(r.format, model::Format::openai_chat) << "the same-format fast path applies";
  EXPECT_EQ(r.raw, d.env->text);
  EXPECT_EQ(r.model, "echo/echo-1");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, model::Role::system);
  EXPECT_EQ(r.messages[1].parts.at(0).text, "Say hello to Ada");
}

TEST(ServicesDecode, SeedExampleTranslation) {
  auto d = decode("translate", R"({"text": "Good morning", "source_language": "en", "target_language": "es"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.env->text,
            R"({"model":"default","messages":[{"role":"system","content":"Translate from en to es. Answer with the translation only."},)"
            R"({"role":"user","content":"Good morning"}]})");
}

TEST(ServicesDecode, ImagesBecomeImageParts) {
  auto d = decode("describe", R"({"image": "data:image/png;base64,iVBORw0KGgo="})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.env->text,
            R"({"model":"default","messages":[{"role":"user","content":[{"type":"text","text":"Describe this image in one sentence."},)"
            R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]})");
  const model::Message& user = d.request().messages.at(0);
  ASSERT_EQ(user.parts.size(), 2u);
  EXPECT_EQ(user.parts[1].type, model::PartType::image);
  EXPECT_EQ(user.parts[1].url, "data:image/png;base64,iVBORw0KGgo=");

  auto no_prompt = decode("describe-with", R"({"question": "", "image": "https://example.com/cat.jpg"})");
  ASSERT_TRUE(no_prompt.ok) << no_prompt.error.message;
  EXPECT_EQ(no_prompt.env->text,
            R"({"model":"default","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]})");
}

TEST(ServicesDecode, NonStringFieldsAreWrittenAsJson) {
  auto d = decode("count", R"({"items": ["a", "b\"c"], "options": {"n": 2}})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().messages.at(0).parts.at(0).text, R"(How many items in ["a","b\"c"]? Options: {"n":2})");
}

TEST(ServicesDecode, AMissingFieldIsNamed) {
  auto d = decode("greet", R"({"nom": "Ada"})");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.status, 400);
  EXPECT_EQ(d.error.code, "missing_input");
  EXPECT_EQ(d.error.param, "name");
  EXPECT_EQ(d.error.message, "service \"greet\" needs input field \"name\"");
  auto spaced = decode("describe-with", R"({"question": "What?"})");
  EXPECT_EQ(spaced.error.param, "image");
}

TEST(ServicesDecode, UnknownServiceIs404) {
  auto d = decode("nope", "{}");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.status, 404);
  EXPECT_EQ(d.error.code, "service_not_found");
  EXPECT_EQ(d.error.param, "");
  EXPECT_EQ(d.error.message, "unknown service \"nope\"");
}

TEST(ServicesDecode, TheInputMustBeAJsonObject) {
  struct Case {
    const char* body;
    const char* code;
  } cases[] = {{"{not json", "invalid_json"}, {"[1]", "invalid_input"}, {"\"Ada\"", "invalid_input"},
               {"{\"name\": \"\xC3\x28\"}", "invalid_json"}};
  for (const auto& c : cases) {
    auto d = decode("greet", c.body);
    ASSERT_FALSE(d.ok) << c.body;
    EXPECT_EQ(d.error.status, 400) << c.body;
    EXPECT_EQ(d.error.code, c.code) << c.body;
    EXPECT_EQ(d.error.param, "") << c.body;
  }
}

model::Answer answer_with(std::string text) {
  model::Answer a;
  a.model = "gpt-4o-mini-2024-07-18";
  a.provider = "openai";
  a.outputs.emplace_back().text = std::move(text);
  a.outputs[0].has_text = true;
  a.usage.known = true;
  a.usage.prompt_tokens = 20;
  a.usage.completion_tokens = 5;
  a.usage.cost = 0.0001;
  return a;
}

TEST(ServicesAnswer, TextUsageModelProvider) {
  model::Answer a = answer_with("Buenos días");
  EXPECT_EQ(kCodec.answer("", &a, Context{}),
            R"({"text":"Buenos días","usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"cost":0.0001},)"
            R"("model":"gpt-4o-mini-2024-07-18","provider":"openai"})");
}

TEST(ServicesAnswer, JsonTextIsAlsoParsed) {
  model::Answer a = answer_with(R"({"city": "Paris", "tags": [1, 2]})");
  auto body = parse(kCodec.answer("", &a, Context{}));
  EXPECT_STREQ(body["json"]["city"].GetString(), "Paris");
  EXPECT_EQ(body["json"]["tags"].Size(), 2u);
  a = answer_with("[1, 2]");
  EXPECT_TRUE(parse(kCodec.answer("", &a, Context{}))["json"].IsArray());
  for (const char* text : {"{not json", "42", "plain", ""}) {
    a = answer_with(text);
    EXPECT_FALSE(parse(kCodec.answer("", &a, Context{})).HasMember("json")) << text;
  }
}

TEST(ServicesAnswer, FromTheStoredFormWhenNoAnswerIsGiven) {
  constexpr std::string_view stored =
      R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"echo-1","provider":"echo",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"Say hello to Ada","refusal":null},"logprobs":null,"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":8,"completion_tokens":4,"total_tokens":12,"cost":0}})";
  auto body = parse(kCodec.answer(stored, nullptr, Context{}));
  EXPECT_STREQ(body["text"].GetString(), "Say hello to Ada");
  EXPECT_STREQ(body["model"].GetString(), "echo-1");
  EXPECT_STREQ(body["provider"].GetString(), "echo");
  EXPECT_EQ(body["usage"]["total_tokens"].GetInt(), 12);
  EXPECT_EQ(body["usage"]["cost"].GetDouble(), 0);
}

TEST(ServicesAnswer, NothingUsableGivesEmptyText) {
  EXPECT_EQ(kCodec.answer("not a stored answer", nullptr, Context{}), R"({"text":""})");
  model::Answer empty;
  EXPECT_EQ(kCodec.answer("", &empty, Context{}), R"({"text":""})");
}

TEST(ServicesCodec, NeverStreamsAndErrorsAsEverywhere) {
  EXPECT_EQ(kCodec.stream, nullptr);
  Error e{404, ErrorType::invalid_request, "unknown service \"x\"", "service_not_found"};
  EXPECT_EQ(kCodec.error(e), error_body(e));
}

constexpr const char* kSchemaConfig = R"({"providers": {"echo": {"type": "echo"}},
  "services": {
    "rate.it": {"model": "echo/echo-1", "prompt": "Rate {{text}}",
                 "schema": {"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
                            "required": ["label", "score"]}},
    "plain": {"model": "echo/echo-1", "system": "Be {{mood}}.", "prompt": "{{text}}"}}})";

config::Service inline_service(std::string schema = {}) {
  config::Service s;
  s.name = "describe";
  s.model = "echo/echo-1";
  s.prompt = "Describe {{what}}";
  s.image = "{{picture}}";
  s.schema = std::move(schema);
  return s;
}

// The runner's entry point: a service (or a step's inline templates) plus a rendered input.
TEST(ServicesBuildBody, RendersTheTemplatesWithTheModelOverride) {
  auto input = parse(R"({"what": "this", "picture": "https://example.com/a.png", "extra": 1})");
  std::string body;
  Error error;
  ASSERT_TRUE(build_body(inline_service(), "echo/echo-2", input, body, error)) << error.message;
  EXPECT_EQ(body, R"({"model":"echo/echo-2","messages":[{"role":"user","content":[{"type":"text","text":"Describe this"},)"
                  R"({"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]})");
  ASSERT_TRUE(build_body(inline_service(), "", input, body, error));
  EXPECT_STREQ(parse(body)["model"].GetString(), "echo/echo-1") << "no override: the service's model";
}

TEST(ServicesBuildBody, ASchemaAsksForStructuredOutput) {
  auto input = parse(R"({"what": "this", "picture": ""})");
  std::string body;
  Error error;
  ASSERT_TRUE(build_body(inline_service(R"({"type":"object","properties":{"n":{"type":"integer"}}})"), "", input, body, error));
  EXPECT_EQ(body, R"({"model":"echo/echo-1","messages":[{"role":"user","content":"Describe this"}],)"
                  R"("response_format":{"type":"json_schema","json_schema":{"name":"describe",)"
                  R"("schema":{"type":"object","properties":{"n":{"type":"integer"}}},"strict":false}}})");
}

TEST(ServicesBuildBody, TheSchemaNameIsMadeSafe) {
  auto input = parse(R"({"what": "x", "picture": ""})");
  std::string body;
  Error error;
  config::Service s = inline_service("{}");
  s.name = "déjà vu/" + std::string(80, 'a');
  ASSERT_TRUE(build_body(s, "", input, body, error));
  std::string name = parse(body)["response_format"]["json_schema"]["name"].GetString();
  EXPECT_EQ(name, "d__j___vu_" + std::string(64 - 10, 'a')) << "each byte outside [A-Za-z0-9_-] becomes '_', 64 at most";
  s.name = "";
  ASSERT_TRUE(build_body(s, "", input, body, error));
  EXPECT_STREQ(parse(body)["response_format"]["json_schema"]["name"].GetString(), "schema");
}

TEST(ServicesBuildBody, AMissingFieldIsA400NamingIt) {
  auto input = parse(R"({"what": "x"})");
  std::string body;
  Error error;
  ASSERT_FALSE(build_body(inline_service(), "", input, body, error));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "missing_input");
  EXPECT_EQ(error.param, "picture");
  EXPECT_EQ(error.message, "service \"describe\" needs input field \"picture\"");
}

TEST(ServicesDecode, AServiceWithASchemaAsksForJson) {
  auto config = testing::load_config(kSchemaConfig);
  ASSERT_TRUE(config);
  model::Envelope env;
  env.text = R"({"text": "the film"})";
  Error error;
  ASSERT_TRUE(kCodec.decode(env, DecodeArgs{*config, "rate.it"}, error)) << error.message;
  auto body = parse(env.text);
  const json::Value& format = body["response_format"];
  EXPECT_STREQ(format["type"].GetString(), "json_schema");
  EXPECT_STREQ(format["json_schema"]["name"].GetString(), "rate_it");
  EXPECT_FALSE(format["json_schema"]["strict"].GetBool());
  EXPECT_EQ(format["json_schema"]["schema"]["required"].Size(), 2u);
  env = model::Envelope();
  env.text = R"({"text": "hi", "mood": "brief"})";
  ASSERT_TRUE(kCodec.decode(env, DecodeArgs{*config, "plain"}, error));
  EXPECT_FALSE(parse(env.text).HasMember("response_format")) << "no schema, a text answer";
}

}  // namespace
}  // namespace sy::ingress::services

namespace sy::engine {
namespace {

// Through the whole exchange: echo answers an instance of the schema, exposed as "json".
TEST_F(EngineTest, ServicesWithASchemaAnswerJson) {
  configure(ingress::services::kSchemaConfig);
  auto actions = submit(R"({"text": "the film"})", "/v1/services/rate.it");
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].status, 200u) << actions[0].body;
  auto body = parse(actions[0].body);
  ASSERT_TRUE(body["json"].IsObject()) << actions[0].body;
  EXPECT_STREQ(body["json"]["label"].GetString(), "Rate the film");
  EXPECT_EQ(body["json"]["score"].GetDouble(), 0);
  EXPECT_EQ(json::view(body["text"]), R"({"label":"Rate the film","score":0})");
}

}  // namespace
}  // namespace sy::engine
