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
  auto e = encode(kWireFormat, kProvider, "gpt-4o-deployment",
                  R"({"model":"fast","switchyard":{"cache":"no-store"},"messages":[{"role":"user","content":"hi"}],"temperature":0.2})",
                  true);
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-deployment/chat/completions?api-version=2024-10-21");
  EXPECT_NE(e.request.headers.find("api-key: sk-test-secret-key\n"), std::string::npos);
  EXPECT_NE(e.request.headers.find("accept: text/event-stream\n"), std::string::npos);
  EXPECT_EQ(e.request.headers.find("authorization"), std::string::npos);
  EXPECT_TRUE(same_json(e.request.body,
                        R"({"model":"gpt-4o-deployment","messages":[{"role":"user","content":"hi"}],"temperature":0.2})"));
}

TEST(Azure, MapsItsContentFilterError) {
  DecodeContext ctx{kProvider, "gpt-4o-deployment", "chatcmpl-1", 1};
  auto d = kWireFormat.decode(400, R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
      "type":null,"param":"prompt","code":"content_filter","status":400,
      "innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}})",
                              ctx);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.outcome, health::Outcome::content_filter);
  EXPECT_EQ(d.error.type, ErrorType::content_filtered);
  auto ok = kWireFormat.decode(200, R"({"id":"chatcmpl-A","object":"chat.completion","created":1,"model":"gpt-4o",
      "prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],
      "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello"}}],
      "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})",
                               ctx);
  ASSERT_TRUE(ok.ok);
  EXPECT_STREQ(parse(ok.body)["provider"].GetString(), "up");
}

TEST(Azure, StreamDropsPromptFilterResultEvents) {
  DecodeContext ctx{kProvider, "gpt-4o-deployment", "chatcmpl-1", 1, true};
  const char* stream =
      "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":"
      "[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n"
      "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null,\"index\":0}],"
      "\"created\":1,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\"}\n\n"
      "data: {\"choices\":[],\"created\":1,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\","
      "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n"
      "data: [DONE]\n\n";
  auto r = run_stream(kWireFormat, ctx, {stream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  auto events = events_of(r.out);
  ASSERT_EQ(events.size(), 2u) << r.out;
  EXPECT_NE(events[0].find("\"Hi\""), std::string::npos);
  EXPECT_NE(events[1].find("\"usage\""), std::string::npos);
  expect_split_invariant(kWireFormat, ctx, stream);
  // Nothing before the first real chunk: a failure there can still fail over.
  auto early = run_stream(kWireFormat, ctx, {std::string(stream).substr(0, std::string(stream).find("data: {\"choices\":[{"))});
  EXPECT_TRUE(early.out.empty());
}

TEST(Azure, EmbeddingsAtTheDeploymentAndNoModelList) {
  auto e = encode_embeddings(kWireFormat, kProvider, "embed-deployment",
                             R"({"model":"embed","input":"Sample Document goes here","dimensions":512})");
  EXPECT_EQ(e.request.url,
            "https://my-resource.openai.azure.com/openai/deployments/embed-deployment/embeddings?api-version=2024-10-21");
  EXPECT_EQ(e.request.headers, "content-type: application/json\napi-key: sk-test-secret-key\n");
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"embed-deployment","input":"Sample Document goes here","dimensions":512})"));
  DecodeContext ctx{kProvider, "m"};
  auto d = kWireFormat.decode_embeddings(200, R"({"object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
      "model":"ada","usage":{"prompt_tokens":4,"total_tokens":4}})",
                                         ctx);
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(same_json(d.body, R"({"provider":"up","object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
      "model":"ada","usage":{"prompt_tokens":4,"total_tokens":4,"cost":0.000004}})"));
  auto missing = kWireFormat.decode_embeddings(404, R"({"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}})", ctx);
  EXPECT_EQ(missing.outcome, health::Outcome::not_found);
  // Deployments are listed by the management plane only.
  EXPECT_EQ(kWireFormat.encode_models, nullptr);
  EXPECT_EQ(kWireFormat.decode_models, nullptr);
}

}  // namespace
}  // namespace sy::providers::azure
