// The OpenAI stream decoder's pass-through of client events; embeddings and the model list
// (payloads from OpenAI's API reference).
#include "providers/openai.h"

#include "wire_test_util.h"

namespace sy::providers::openai {
namespace {

using namespace test;

const config::Provider kProvider = make_provider(config::ProviderType::openai, "https://api.openai.com/v1");

TEST(OpenAI, MultiLineDataEventsReachTheClientAsOneLine) {
  // Found by the decoder fuzzer: an event of two data lines was passed on with a bare second
  // line, which no client SSE parser reads as data.
  DecodeContext ctx{kProvider, "m", "chatcmpl-1", 1};
  const char* stream = "data: {\"id\":\"c\",\ndata: \"choices\":[{\"index\":0,\"delta\":{}}]}\n\ndata: [DONE]\n\n";
  auto r = run_stream(kWireFormat, ctx, {stream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.out, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{}}]}\n\n");
  expect_split_invariant(kWireFormat, ctx, stream);
}

TEST(OpenAI, EventsWithNoChoicesAndNoUsageAreDropped) {
  // Azure's prompt_filter_results: nothing for the caller, and must not commit the stream.
  DecodeContext ctx{kProvider, "m", "chatcmpl-1", 1};
  auto r = run_stream(kWireFormat, ctx,
                      {"data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[]}\n\n"
                       "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"});
  EXPECT_EQ(r.out, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n");  // usage chunks stay
}

TEST(OpenAI, EncodesEmbeddings) {
  const char* request =
      R"({"model":"embed","input":["The food was delicious","and the waiter"],"dimensions":256,"encoding_format":"float",)"
      R"("user":"u-1","switchyard":{"cache":"no-store"},"provider":{"order":["x"]}})";
  const char* expected =
      R"({"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"],"dimensions":256,)"
      R"("encoding_format":"float","user":"u-1"})";
  auto e = encode_embeddings(kWireFormat, kProvider, "text-embedding-3-small", request);
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://api.openai.com/v1/embeddings");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nauthorization: Bearer sk-test-secret-key\n");
  EXPECT_TRUE(same_json(e.request.body, expected));
  // The same from the caller's raw text (minimal-edit path), and overrides apply.
  json::Document req = parse(request);
  UpstreamRequest out;
  std::vector<std::pair<std::string, std::string>> overrides{{"dimensions", "64"}};
  kWireFormat.encode_embeddings({kProvider, "text-embedding-3-small", req, overrides, false, request}, out);
  EXPECT_TRUE(same_json(out.body,
                        R"({"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"],"dimensions":64,)"
                        R"("encoding_format":"float","user":"u-1"})"));
}

TEST(OpenAI, DecodesEmbeddingsWithProviderAndCost) {
  DecodeContext ctx{kProvider, "m"};
  auto d = kWireFormat.decode_embeddings(200, R"({
      "object": "list",
      "data": [{"object": "embedding", "embedding": [0.0023064255, -0.009327292, -0.0028842222], "index": 0}],
      "model": "text-embedding-ada-002",
      "usage": {"prompt_tokens": 8, "total_tokens": 8}})",
                                         ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({"provider":"up","object":"list",
      "data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292,-0.0028842222],"index":0}],
      "model":"text-embedding-ada-002","usage":{"prompt_tokens":8,"total_tokens":8,"cost":0.000008}})"));
  EXPECT_TRUE(d.usage.known);
  EXPECT_EQ(d.usage.prompt_tokens, 8);
  EXPECT_EQ(d.usage.completion_tokens, 0);
  EXPECT_DOUBLE_EQ(d.usage.cost, 8e-6);
  // base64 vectors pass through; no price for the model: no cost.
  auto b = kWireFormat.decode_embeddings(200, R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8AAIA+"}],
      "model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})",
                                         DecodeContext{kProvider, "other"});
  ASSERT_TRUE(b.ok);
  EXPECT_TRUE(same_json(b.body, R"({"provider":"up","object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8AAIA+"}],
      "model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})"));
  EXPECT_LT(b.usage.cost, 0);
}

TEST(OpenAI, MapsEmbeddingsErrors) {
  DecodeContext ctx{kProvider, "m"};
  auto too_long = kWireFormat.decode_embeddings(400, R"({"error":{"message":"This model's maximum context length is 8192 tokens, however you requested 9000 tokens (9000 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.","type":"invalid_request_error","param":null,"code":null}})",
                                                ctx);
  EXPECT_FALSE(too_long.ok);
  EXPECT_EQ(too_long.outcome, health::Outcome::context_length);
  EXPECT_EQ(too_long.error.type, ErrorType::context_length_exceeded);
  auto bad = kWireFormat.decode_embeddings(400, R"({"error":{"message":"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.","type":"invalid_request_error","param":null,"code":null}})",
                                           ctx);
  EXPECT_EQ(bad.outcome, health::Outcome::bad_request);
  EXPECT_EQ(bad.error.status, 400);
  auto key = kWireFormat.decode_embeddings(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
                                           ctx);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(key.error.message.find("sk-test-secret-key"), std::string::npos) << key.error.message;
  EXPECT_EQ(kWireFormat.decode_embeddings(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})", ctx).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(kWireFormat.decode_embeddings(503, "upstream connect error", ctx).outcome, health::Outcome::status_5xx);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"error":{"message":"boom"}})", ctx).outcome, health::Outcome::error_body_200);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"object":"list","data":[{"index":0}]})", ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"object":"list","data": [)", ctx).outcome, health::Outcome::malformed);
}

TEST(OpenAI, ListsModels) {
  UpstreamRequest out;
  config::Provider p = kProvider;
  p.headers.emplace_back("openai-organization", "org-1");
  kWireFormat.encode_models(p, out);
  EXPECT_EQ(out.method, "GET");
  EXPECT_EQ(out.url, "https://api.openai.com/v1/models");
  EXPECT_EQ(out.headers, "authorization: Bearer sk-test-secret-key\nopenai-organization: org-1\n");
  EXPECT_TRUE(out.body.empty());
  DecodeContext ctx{kProvider, ""};
  auto d = kWireFormat.decode_models(200, R"({
      "object": "list",
      "data": [
        {"id": "model-id-0", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
        {"id": "model-id-1", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
        {"id": "model-id-2", "object": "model", "created": 1686935002, "owned_by": "openai"},
        {"id": "llama-3.1-8b-instant", "object": "model", "context_window": 131072},
        {"object": "model"}]})",
                                   ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({"object":"list","data":[
      {"id":"model-id-0","object":"model","created":1686935002,"owned_by":"organization-owner"},
      {"id":"model-id-1","object":"model","created":1686935002,"owned_by":"organization-owner"},
      {"id":"model-id-2","object":"model","created":1686935002,"owned_by":"openai"},
      {"id":"llama-3.1-8b-instant","object":"model","created":0,"owned_by":"up"}]})"));
  EXPECT_EQ(kWireFormat.decode_models(401, R"({"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}})", ctx).outcome,
            health::Outcome::auth);
  EXPECT_EQ(kWireFormat.decode_models(200, R"({"models":[]})", ctx).outcome, health::Outcome::malformed);
}

}  // namespace
}  // namespace sy::providers::openai
