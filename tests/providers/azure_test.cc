// Azure OpenAI: OpenAI's body at a deployment URL with api-version and an api-key header;
// answers, error bodies (incl. its content_filter error) and streams as OpenAI's.
#include "providers/azure.h"

#include "wire_test_util.h"

namespace sy::providers::azure {
namespace {

using namespace test;

const config::Provider kProvider =
    make_provider(config::ProviderType::azure_openai, "https://my-resource.openai.azure.com", "2024-10-21");

TEST(Azure, EncodesDeploymentUrlAndApiKeyHeader) {
  auto e = encode(kCodec, kProvider, "gpt-4o-deployment",
                  R"({"model":"fast","switchyard":{"cache":"no-store"},"messages":[{"role":"user","content":"hi"}],"temperature":0.2,"stream":true})");
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-deployment/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(e.request.headers, "content-type: application/json\naccept: text/event-stream\napi-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.body,
            R"({"model":"gpt-4o-deployment","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"stream":true})");
  // Rendered from canonical fields for callers of other formats: the same body.
  auto r = encode_rendered(kCodec, kProvider, "gpt-4o-deployment",
                           R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.2})");
  EXPECT_EQ(r.request.body, R"({"model":"gpt-4o-deployment","messages":[{"role":"user","content":"hi"}],"temperature":0.2})");
}

TEST(Azure, DeploymentNamesAreOnePathSegment) {
  // Issue 8: `az/../../x?y=` reached other paths on the resource, with its key.
  auto e = encode(kCodec, kProvider, "../../x?y=", R"({"model":"az/../../x?y=","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/..%2F..%2Fx%3Fy%3D/chat/completions?api-version=2024-10-21");
  auto dots = encode(kCodec, kProvider, "..", R"({"model":"x","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(dots.request.url, "https://my-resource.openai.azure.com/openai/deployments/%2E%2E/chat/completions?api-version=2024-10-21");
  auto embed = encode_embeddings(kCodec, kProvider, "a/b#c", R"({"model":"x","input":"hi"})");
  EXPECT_EQ(embed.request.url, "https://my-resource.openai.azure.com/openai/deployments/a%2Fb%23c/embeddings?api-version=2024-10-21");
}

TEST(Azure, MapsItsContentFilterError) {
  auto env = chat_request(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})");
  DecodeContext ctx{kProvider, "gpt-4o-deployment", env->request};
  auto d = kCodec.decode(400, R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
      "type":null,"param":"prompt","code":"content_filter","status":400,
      "innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}})",
                         ctx);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.outcome, health::Outcome::content_filter);
  EXPECT_EQ(d.error.type, ErrorType::content_filtered);
  env->request.format = model::Format::none;  // a caller of another format: the content canonically
  auto ok = kCodec.decode(200, R"({"id":"chatcmpl-A","object":"chat.completion","created":1,"model":"gpt-4o",
      "prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],
      "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello"}}],
      "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})",
                          ctx);
  ASSERT_TRUE(ok.ok);
  EXPECT_STREQ(parse(ok.answer.raw)["provider"].GetString(), "up");
  EXPECT_EQ(ok.answer.outputs[0].text, "Hello");
  // Azure's extra members stay in the raw answer and among the canonical extras.
  EXPECT_TRUE(parse(ok.answer.raw).HasMember("prompt_filter_results"));
  ASSERT_EQ(ok.answer.extras.size(), 1u);
  EXPECT_EQ(ok.answer.extras[0].first, "prompt_filter_results");
}

TEST(Azure, StreamDropsPromptFilterResultEvents) {
  auto env = chat_request(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})");
  DecodeContext ctx{kProvider, "gpt-4o-deployment", env->request};
  const std::string stream =
      "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":"
      "[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n"
      "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null,\"index\":0}],"
      "\"created\":1,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\"}\n\n"
      "data: {\"choices\":[],\"created\":1,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\","
      "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n"
      "data: [DONE]\n\n";
  auto r = run_stream(kCodec, ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_NE(r.raw[0].find("\"Hi\""), std::string::npos);
  EXPECT_NE(r.raw[1].find("\"usage\""), std::string::npos);
  EXPECT_EQ(r.events, (std::vector<std::string>{"text[0] \"Hi\"", "usage 5+1 cached=-1 reasoning=-1 cost=-1"}));
  expect_split_invariant(kCodec, ctx, stream);
  // Nothing before the first real chunk: a failure there can still fail over.
  auto early = run_stream(kCodec, ctx, stream.substr(0, stream.find("data: {\"choices\":[{")));
  EXPECT_TRUE(early.raw.empty());
  EXPECT_TRUE(early.events.empty());
}

TEST(Azure, EmbeddingsAtTheDeploymentAndNoModelList) {
  auto e = encode_embeddings(kCodec, kProvider, "embed-deployment",
                             R"({"model":"embed","input":"Sample Document goes here","dimensions":512})");
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/embed-deployment/embeddings?api-version=2024-10-21");
  EXPECT_EQ(e.request.headers, "content-type: application/json\napi-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.body, R"({"model":"embed-deployment","input":"Sample Document goes here","dimensions":512})");
  auto env = embeddings_request(R"({"model":"embed","input":"x"})");
  DecodeContext ctx{kProvider, "m", env->request};
  auto d = kCodec.decode(200, R"({"object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
      "model":"ada","usage":{"prompt_tokens":4,"total_tokens":4}})",
                         ctx);
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(same_json(d.answer.raw, R"({"provider":"up","object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
      "model":"ada","usage":{"prompt_tokens":4,"total_tokens":4,"cost":0.000004}})"));
  auto missing = kCodec.decode(404, R"({"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}})", ctx);
  EXPECT_EQ(missing.outcome, health::Outcome::not_found);
  // Deployments are listed by the management plane only.
  EXPECT_FALSE(kCodec.caps.models);
  EXPECT_EQ(refusal(kCodec, models_request()->request).param, "provider");
  EXPECT_TRUE(kCodec.caps.embeddings && kCodec.caps.token_input);
  EXPECT_EQ(kCodec.caps.max_n, 128);
}

TEST(Azure, NoKeyNoHeader) {
  config::Provider p = kProvider;
  p.api_key.clear();
  p.headers.emplace_back("x-ms-useragent", "switchyard");
  auto e = encode(kCodec, p, "d", R"({"model":"x","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nx-ms-useragent: switchyard\n");
}

}  // namespace
}  // namespace sy::providers::azure
