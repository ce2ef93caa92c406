// Golden tests for the Gemini generateContent / streamGenerateContent wire format. Upstream
// payloads follow the examples of Google's Gemini API reference (text generation, function
// calling, safety, errors, alt=sse streaming).
#include "providers/gemini.h"

#include "wire_test_util.h"

namespace sy::providers::gemini {
namespace {

using namespace test;

const config::Provider kProvider =
    make_provider(config::ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta");

DecodeContext ctx(bool include_usage = false) {
  return DecodeContext{kProvider, "m", "chatcmpl-42", 1700000000, include_usage};
}

TEST(Gemini, EncodesUrlsAndKeyHeader) {
  const char* request = R"({"model":"g","messages":[{"role":"user","content":"Explain how AI works"}]})";
  auto e = encode(kWireFormat, kProvider, "gemini-2.0-flash", request);
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_NE(e.request.headers.find("x-goog-api-key: sk-test-secret-key\n"), std::string::npos);
  EXPECT_EQ(e.request.url.find("key="), std::string::npos);  // never in the URL
  EXPECT_TRUE(same_json(e.request.body, R"({"contents":[{"role":"user","parts":[{"text":"Explain how AI works"}]}]})"));
  auto s = encode(kWireFormat, kProvider, "gemini-2.0-flash", request, true);
  EXPECT_EQ(s.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
}

TEST(Gemini, EncodesSystemImagesToolsAndGenerationConfig) {
  auto e = encode(kWireFormat, kProvider, "gemini-2.5-flash", R"({
    "model": "smart", "max_completion_tokens": 800, "temperature": 1.5, "top_p": 0.8, "seed": 42, "n": 2,
    "stop": ["a", "b", "c", "d", "e", "f"], "presence_penalty": 0.3, "frequency_penalty": 0.1, "user": "u-1",
    "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "strict": true,
                        "schema": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}},
    "messages": [
      {"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": [
        {"type": "text", "text": "Which theaters show Barbie near this place?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/photos/Place.PNG?size=2"}}]},
      {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_0", "type": "function",
         "function": {"name": "find_theaters", "arguments": "{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}"}}]},
      {"role": "tool", "tool_call_id": "call_0", "content": "{\"theaters\":[{\"name\":\"AMC Mountain View 16\"}]}"},
      {"role": "tool", "tool_call_id": "unknown", "name": "legacy_name", "content": "plain text"}
    ],
    "tools": [{"type": "function", "function": {"name": "find_theaters", "description": "find theaters showing a movie",
               "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "movie": {"type": "string"}},
                              "required": ["location"]}}}],
    "tool_choice": {"type": "function", "function": {"name": "find_theaters"}}
  })");
  EXPECT_TRUE(same_json(e.request.body, R"({
    "contents": [
      {"role": "user", "parts": [
        {"text": "Which theaters show Barbie near this place?"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/photos/Place.PNG?size=2"}}]},
      {"role": "model", "parts": [
        {"text": "Let me look."},
        {"functionCall": {"name": "find_theaters", "args": {"location": "Mountain View, CA", "movie": "Barbie"}}}]},
      {"role": "user", "parts": [
        {"functionResponse": {"name": "find_theaters", "response": {"theaters": [{"name": "AMC Mountain View 16"}]}}},
        {"functionResponse": {"name": "legacy_name", "response": {"content": "plain text"}}}]}
    ],
    "systemInstruction": {"parts": [{"text": "You are a helpful assistant."}]},
    "tools": [{"functionDeclarations": [{"name": "find_theaters", "description": "find theaters showing a movie",
               "parametersJsonSchema": {"type": "object", "properties": {"location": {"type": "string"}, "movie": {"type": "string"}},
                                        "required": ["location"]}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["find_theaters"]}},
    "generationConfig": {"temperature": 1.5, "topP": 0.8, "maxOutputTokens": 800,
                         "stopSequences": ["a", "b", "c", "d", "e"], "seed": 42, "candidateCount": 2,
                         "responseMimeType": "application/json",
                         "responseJsonSchema": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}
  })"));
}

TEST(Gemini, JsonObjectAndToolChoiceModes) {
  auto e = encode(kWireFormat, kProvider, "m",
                  R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
  EXPECT_TRUE(same_json(dump(e.body["generationConfig"]), R"({"responseMimeType":"application/json"})"));
  const char* tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  auto mode = [&](const char* c) {
    auto r = encode(kWireFormat, kProvider, "m",
                    std::string(R"({"messages":[{"role":"user","content":"x"}],)") + tools + R"(,"tool_choice":)" + c + "}");
    return std::string(r.body["toolConfig"]["functionCallingConfig"]["mode"].GetString());
  };
  EXPECT_EQ(mode(R"("auto")"), "AUTO");
  EXPECT_EQ(mode(R"("required")"), "ANY");
  EXPECT_EQ(mode(R"("none")"), "NONE");
  // n is not sent on streams (one candidate is streamed).
  auto s = encode(kWireFormat, kProvider, "m", R"({"n":3,"messages":[{"role":"user","content":"x"}]})", true);
  EXPECT_FALSE(s.body.HasMember("generationConfig"));
}

TEST(Gemini, DecodesATextAnswer) {
  auto d = kWireFormat.decode(200, R"({
    "candidates": [{"content": {"parts": [{"text": "AI learns patterns from data."}], "role": "model"},
                    "finishReason": "STOP", "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
    "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 10, "totalTokenCount": 18,
                      "cachedContentTokenCount": 4, "thoughtsTokenCount": 5},
    "modelVersion": "gemini-2.0-flash", "responseId": "mfoGaJm1"
  })", ctx());
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({
    "id": "chatcmpl-42", "object": "chat.completion", "created": 1700000000, "model": "gemini-2.0-flash", "provider": "up",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "AI learns patterns from data."},
                 "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 15, "total_tokens": 23,
              "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 5},
              "cost": 0.000038}
  })"));
}

TEST(Gemini, DecodesFunctionCallsWithSynthesizedIds) {
  auto d = kWireFormat.decode(200, R"({
    "candidates": [{"content": {"role": "model", "parts": [
        {"text": "thinking...", "thought": true},
        {"functionCall": {"name": "find_theaters", "args": {"location": "Mountain View, CA", "movie": "Barbie"}}},
        {"functionCall": {"name": "get_showtimes", "args": {}}}]},
      "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 12, "totalTokenCount": 42}
  })", ctx());
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(same_json(dump(parse(d.body)["choices"][0]), R"({
    "index": 0, "logprobs": null, "finish_reason": "tool_calls",
    "message": {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_0", "type": "function",
       "function": {"name": "find_theaters", "arguments": "{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}"}},
      {"id": "call_1", "type": "function", "function": {"name": "get_showtimes", "arguments": "{}"}}]}
  })"));
}

TEST(Gemini, FinishReasonsAndSafety) {
  for (auto [reason, finish] : {std::pair{"STOP", "stop"}, {"MAX_TOKENS", "length"}, {"SAFETY", "content_filter"},
                                {"RECITATION", "content_filter"}, {"OTHER", "stop"}}) {
    std::string body = std::string(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":")") + reason + R"("}]})";
    auto d = kWireFormat.decode(200, body, ctx());
    ASSERT_TRUE(d.ok) << reason;
    EXPECT_STREQ(parse(d.body)["choices"][0]["finish_reason"].GetString(), finish) << reason;
  }
  // A candidate blocked before any content, and a blocked prompt: content_filter outcomes.
  auto empty = kWireFormat.decode(200, R"({"candidates":[{"finishReason":"SAFETY","index":0}]})", ctx());
  EXPECT_FALSE(empty.ok);
  EXPECT_EQ(empty.outcome, health::Outcome::content_filter);
  auto prompt = kWireFormat.decode(200, R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[
      {"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]},
      "usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}})", ctx());
  EXPECT_FALSE(prompt.ok);
  EXPECT_EQ(prompt.outcome, health::Outcome::content_filter);
  EXPECT_EQ(prompt.error.status, 400);
  EXPECT_EQ(prompt.error.type, ErrorType::content_filtered);
  EXPECT_NE(prompt.error.message.find("SAFETY"), std::string::npos);
}

struct ErrorCase {
  int status;
  const char* body;
  health::Outcome outcome;
  int caller_status;
  ErrorType error_type;
};

TEST(Gemini, MapsErrorBodies) {
  const ErrorCase cases[] = {
      {400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
         "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})",
       health::Outcome::auth, 502, ErrorType::auth},
      {400, R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})",
       health::Outcome::context_length, 400, ErrorType::context_length_exceeded},
      {400, R"({"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}})",
       health::Outcome::bad_request, 400, ErrorType::invalid_request},
      {403, R"({"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}})", health::Outcome::auth, 502,
       ErrorType::auth},
      {404, R"({"error":{"code":404,"message":"models/gemini-9 is not found","status":"NOT_FOUND"}})", health::Outcome::not_found,
       502, ErrorType::provider_unavailable},
      {429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})",
       health::Outcome::status_429, 429, ErrorType::rate_limited},
      {500, R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})", health::Outcome::status_5xx,
       502, ErrorType::provider_unavailable},
      {503, R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})",
       health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
      {502, "<html>Bad Gateway</html>", health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
  };
  for (const auto& c : cases) {
    auto d = kWireFormat.decode(c.status, c.body, ctx());
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.outcome, c.outcome) << c.body;
    EXPECT_EQ(d.error.status, c.caller_status) << c.body;
    EXPECT_EQ(d.error.type, c.error_type) << c.body;
  }
  auto in200 = kWireFormat.decode(200, R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})", ctx());
  EXPECT_EQ(in200.outcome, health::Outcome::error_body_200);
  EXPECT_EQ(kWireFormat.decode(200, R"({"candidates":[]})", ctx()).outcome, health::Outcome::malformed);
}

// streamGenerateContent?alt=sse as Gemini sends it: one GenerateContentResponse per event,
// \r\n line ends, the finishReason and full usage in the last event.
const char kTextStream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" quick brown fox — 🦊\"}],\"role\": \"model\"},\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" jumps.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 7,\"totalTokenCount\": 16,\"thoughtsTokenCount\": 3},"
    "\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n";

const char kToolStream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"find_theaters\",\"args\": "
    "{\"location\": \"Mountain View, CA\"}}},{\"functionCall\": {\"name\": \"get_time\",\"args\": {}}}],\"role\": \"model\"},"
    "\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 20,\"candidatesTokenCount\": 10}}\r\n\r\n";

std::string chunk(std::string_view choices_and_more) {
  return std::string(R"({"id":"chatcmpl-42","object":"chat.completion.chunk","created":1700000000,"model":"m",)") +
         std::string(choices_and_more) + "}";
}

void expect_events(const std::string& out, const std::vector<std::string>& expected) {
  auto events = events_of(out);
  ASSERT_EQ(events.size(), expected.size()) << out;
  for (size_t i = 0; i < events.size(); ++i) EXPECT_TRUE(same_json(events[i], expected[i])) << "event " << i;
}

TEST(Gemini, StreamTranslatesText) {
  auto r = run_stream(kWireFormat, ctx(true), {kTextStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  expect_events(r.out, {
      chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","content":"The"},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"content":" quick brown fox — 🦊"},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"content":" jumps."},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}])"),
      chunk(R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":10,"total_tokens":19,"completion_tokens_details":{"reasoning_tokens":3},"cost":0.000029})"),
  });
  EXPECT_EQ(r.usage.completion_tokens, 10);
}

TEST(Gemini, StreamTranslatesFunctionCalls) {
  auto r = run_stream(kWireFormat, ctx(false), {kToolStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  expect_events(r.out, {
      chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"find_theaters","arguments":"{\"location\":\"Mountain View, CA\"}"}}]},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])"),
  });
}

TEST(Gemini, StreamIsTheSameWhateverTheSplit) {
  expect_split_invariant(kWireFormat, ctx(true), kTextStream);
  expect_split_invariant(kWireFormat, ctx(true), kToolStream);
}

TEST(Gemini, StreamFailures) {
  auto cut = run_stream(kWireFormat, ctx(), {std::string(kTextStream).substr(0, std::string(kTextStream).rfind("data: "))});
  EXPECT_EQ(cut.state, StreamDecoder::State::open);
  EXPECT_EQ(cut.finished, StreamDecoder::State::failed);

  auto blocked = run_stream(kWireFormat, ctx(), {"data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"}}\r\n\r\n"});
  EXPECT_EQ(blocked.state, StreamDecoder::State::failed);
  EXPECT_EQ(blocked.outcome, health::Outcome::content_filter);
  EXPECT_EQ(blocked.error.type, ErrorType::content_filtered);
  EXPECT_TRUE(blocked.out.empty());

  auto error = run_stream(kWireFormat, ctx(), {std::string(kTextStream).substr(0, 200) +
                                               "\r\n\r\ndata: {\"error\": {\"code\": 503, \"message\": \"overloaded\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n"});
  EXPECT_EQ(error.state, StreamDecoder::State::failed);

  auto mid = run_stream(kWireFormat, ctx(), {std::string(kTextStream).substr(0, std::string(kTextStream).find("data: ", 10)) +
                                             "data: {\"error\": {\"code\": 503, \"message\": \"overloaded sk-test-secret-key\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n"});
  EXPECT_EQ(mid.state, StreamDecoder::State::failed);
  EXPECT_EQ(mid.outcome, health::Outcome::status_5xx);
  EXPECT_EQ(events_of(mid.out).size(), 1u);
  EXPECT_EQ(mid.error.message.find("sk-test-secret-key"), std::string::npos);
}

TEST(Gemini, EncodesEmbeddingsAsBatchEmbedContents) {
  auto one = encode_embeddings(kWireFormat, kProvider, "gemini-embedding-001",
                               R"({"model":"embed","input":"What is the meaning of life?","user":"u","encoding_format":"float"})");
  EXPECT_EQ(one.request.method, "POST");
  EXPECT_EQ(one.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents");
  EXPECT_EQ(one.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_TRUE(same_json(one.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"What is the meaning of life?"}]}}]})"));
  auto many = encode_embeddings(kWireFormat, kProvider, "gemini-embedding-001",
                                R"({"model":"embed","input":["How much wood","would a woodchuck chuck?"],"dimensions":768})");
  EXPECT_TRUE(same_json(many.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"How much wood"}]},"outputDimensionality":768},
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"would a woodchuck chuck?"}]},"outputDimensionality":768}]})"));
  // override_params use OpenAI's names.
  auto over = encode_embeddings(kWireFormat, kProvider, "gemini-embedding-001", R"({"model":"embed","input":"x"})",
                                {{"dimensions", "3"}});
  EXPECT_TRUE(same_json(over.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]},"outputDimensionality":3}]})"));
  // Token arrays cannot be embedded by Gemini: an empty content, which Gemini refuses.
  auto tokens = encode_embeddings(kWireFormat, kProvider, "gemini-embedding-001", R"({"model":"embed","input":[1,2,3]})");
  EXPECT_TRUE(same_json(tokens.request.body, R"({"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[]}}]})"));
}

TEST(Gemini, DecodesEmbeddings) {
  const char* answer = R"({"embeddings": [{"values": [0.5, -1, 0.25]}, {"values": [0.0, 0.125, -0.75]}]})";
  auto d = kWireFormat.decode_embeddings(200, answer, DecodeContext{kProvider, "gemini-embedding-001"});
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.5,-1,0.25]},
      {"object":"embedding","index":1,"embedding":[0.0,0.125,-0.75]}],
      "model":"gemini-embedding-001","provider":"up"})"));
  EXPECT_FALSE(d.usage.known);  // Gemini counts no tokens for embeddings
  // encoding_format "base64": little-endian float32s, as OpenAI sends them.
  DecodeContext b64{kProvider, "gemini-embedding-001"};
  b64.base64_embeddings = true;
  auto b = kWireFormat.decode_embeddings(200, answer, b64);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(parse(b.body)["data"][0]["embedding"].GetString(), std::string("AAAAPwAAgL8AAIA+"));
  // usageMetadata, when an answer has it, is the usage (priced at the input price).
  auto u = kWireFormat.decode_embeddings(200, R"({"embeddings":[{"values":[1]}],"usageMetadata":{"promptTokenCount":5}})",
                                         DecodeContext{kProvider, "m"});
  ASSERT_TRUE(u.ok);
  EXPECT_TRUE(same_json(u.body, R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[1]}],"model":"m","provider":"up",
      "usage":{"prompt_tokens":5,"total_tokens":5,"cost":0.000005}})"));
}

TEST(Gemini, MapsEmbeddingsErrors) {
  DecodeContext c{kProvider, "gemini-embedding-001"};
  auto dims = kWireFormat.decode_embeddings(400, R"({"error":{"code":400,"message":"* BatchEmbedContentsRequest.requests[0].output_dimensionality: Output dimensionality must be between 1 and 3072.\n","status":"INVALID_ARGUMENT"}})", c);
  EXPECT_EQ(dims.outcome, health::Outcome::bad_request);
  EXPECT_EQ(dims.error.status, 400);
  auto key = kWireFormat.decode_embeddings(400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
      "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})", c);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(kWireFormat.decode_embeddings(404, R"({"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}})", c).outcome,
            health::Outcome::not_found);
  EXPECT_EQ(kWireFormat.decode_embeddings(429, R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}})", c).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})", c).outcome,
            health::Outcome::error_body_200);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"embeddings":[{"value":[1]}]})", c).outcome, health::Outcome::malformed);
  EXPECT_EQ(kWireFormat.decode_embeddings(200, R"({"candidates":[]})", c).outcome, health::Outcome::malformed);
}

TEST(Gemini, ListsModelsWithoutThePrefix) {
  UpstreamRequest out;
  kWireFormat.encode_models(kProvider, out);
  EXPECT_EQ(out.method, "GET");
  EXPECT_EQ(out.url, "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000");
  EXPECT_EQ(out.headers, "x-goog-api-key: sk-test-secret-key\n");
  DecodeContext c{kProvider, ""};
  auto d = kWireFormat.decode_models(200, R"({
    "models": [
      {"name": "models/gemini-2.0-flash", "version": "2.0", "displayName": "Gemini 2.0 Flash",
       "description": "Gemini 2.0 Flash", "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
       "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
       "temperature": 1, "topP": 0.95, "topK": 40, "maxTemperature": 2},
      {"name": "models/gemini-embedding-001", "version": "001", "displayName": "Gemini Embedding 001",
       "inputTokenLimit": 2048, "outputTokenLimit": 1,
       "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]},
      {"name": "models/imagen-4.0-generate-001", "version": "001", "supportedGenerationMethods": ["predict"]},
      {"name": "models/aqa", "supportedGenerationMethods": ["generateAnswer"]}
    ],
    "nextPageToken": "Chxtb2RlbHMvZ2VtaW5pLTEuNS1mbGFzaC0wMDI="})",
                                   c);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({"object":"list","data":[
      {"id":"gemini-2.0-flash","object":"model","created":0,"owned_by":"google"},
      {"id":"gemini-embedding-001","object":"model","created":0,"owned_by":"google"}]})"));
  EXPECT_TRUE(same_json(kWireFormat.decode_models(200, "{}", c).body, R"({"object":"list","data":[]})"));
  EXPECT_EQ(kWireFormat.decode_models(403, R"({"error":{"code":403,"message":"Method doesn't allow unregistered callers","status":"PERMISSION_DENIED"}})", c).outcome,
            health::Outcome::auth);
  EXPECT_EQ(kWireFormat.decode_models(200, R"({"models":{}})", c).outcome, health::Outcome::malformed);
}

}  // namespace
}  // namespace sy::providers::gemini
