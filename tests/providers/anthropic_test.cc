// Golden tests for the Anthropic Messages wire format. Upstream payloads follow the examples
// of Anthropic's API reference (Messages, streaming, tool use, errors).
#include "providers/anthropic.h"

#include "wire_test_util.h"

namespace sy::providers::anthropic {
namespace {

using namespace test;

const config::Provider kProvider =
    make_provider(config::ProviderType::anthropic, "https://api.anthropic.com/v1", "2023-06-01");

DecodeContext ctx(bool include_usage = false) {
  return DecodeContext{kProvider, "m", "chatcmpl-42", 1700000000, include_usage};
}

TEST(Anthropic, EncodesUrlHeadersAndRequiredMaxTokens) {
  auto e = encode(kWireFormat, kProvider, "claude-3-5-haiku-latest",
                  R"({"model":"fast","messages":[{"role":"user","content":"Hello, Claude"}]})");
  EXPECT_EQ(e.request.url, "https://api.anthropic.com/v1/messages");
  EXPECT_NE(e.request.headers.find("x-api-key: sk-test-secret-key\n"), std::string::npos);
  EXPECT_NE(e.request.headers.find("anthropic-version: 2023-06-01\n"), std::string::npos);
  EXPECT_EQ(e.request.headers.find("authorization"), std::string::npos);
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"claude-3-5-haiku-latest","max_tokens":4096,
      "messages":[{"role":"user","content":[{"type":"text","text":"Hello, Claude"}]}]})"));
}

TEST(Anthropic, EncodesSystemImagesToolsAndParameters) {
  auto e = encode(kWireFormat, kProvider, "claude-sonnet-4-20250514", R"({
    "model": "smart", "max_tokens": 1024, "temperature": 1.6, "top_p": 0.9, "seed": 7, "n": 1,
    "stop": ["\n\nHuman:", " ", "END"], "user": "u-1", "presence_penalty": 0.5,
    "response_format": {"type": "json_object"}, "stream_options": {"include_usage": true},
    "switchyard": {"cache": "no-store"}, "provider": {"sort": "price"},
    "messages": [
      {"role": "system", "content": "You are terse."},
      {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
      {"role": "user", "content": [
        {"type": "text", "text": "What is the weather where this was taken?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="}},
        {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/a.jpg", "detail": "low"}}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "toolu_01A09q90qw90lq917835lq9", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"location\": \"San Francisco, CA\"}"}},
        {"id": "toolu_02", "type": "function", "function": {"name": "get_time", "arguments": "not json"}}]},
      {"role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
      {"role": "tool", "tool_call_id": "toolu_02", "content": [{"type": "text", "text": "noon"}]},
      {"role": "user", "content": "Thanks"}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather",
               "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}},
              {"type": "function", "function": {"name": "get_time"}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": false
  })",
                  true);
  EXPECT_TRUE(same_json(e.request.body, R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 1024, "temperature": 1, "top_p": 0.9,
    "stop_sequences": ["\n\nHuman:", "END"], "metadata": {"user_id": "u-1"}, "stream": true,
    "system": "You are terse.\n\nUse metric units.",
    "messages": [
      {"role": "user", "content": [
        {"type": "text", "text": "What is the weather where this was taken?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}},
        {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/a.jpg"}}]},
      {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}},
        {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
        {"type": "tool_result", "tool_use_id": "toolu_02", "content": "noon"},
        {"type": "text", "text": "Thanks"}]}
    ],
    "tools": [{"name": "get_weather", "description": "Get the current weather",
               "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}},
              {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}],
    "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true}
  })"));
  EXPECT_NE(e.request.headers.find("accept: text/event-stream\n"), std::string::npos);
}

TEST(Anthropic, ToolChoiceStrings) {
  const char* tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  auto choice = [&](const char* c) {
    auto e = encode(kWireFormat, kProvider, "m",
                    std::string(R"({"messages":[{"role":"user","content":"x"}],)") + tools + R"(,"tool_choice":)" + c + "}");
    return dump(e.body["tool_choice"]);
  };
  EXPECT_EQ(choice(R"("auto")"), R"({"type":"auto"})");
  EXPECT_EQ(choice(R"("required")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"("none")"), R"({"type":"none"})");
  // tool_choice without tools is not sent (Anthropic refuses it).
  auto e = encode(kWireFormat, kProvider, "m", R"({"messages":[{"role":"user","content":"x"}],"tool_choice":"auto"})");
  EXPECT_FALSE(e.body.HasMember("tool_choice"));
}

TEST(Anthropic, OverridesApplyBeforeTranslation) {
  auto e = encode(kWireFormat, kProvider, "m", R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}]})", false,
                  {{"max_tokens", "99"}, {"temperature", "0.25"}});
  EXPECT_EQ(e.body["max_tokens"].GetInt(), 99);
  EXPECT_EQ(e.body["temperature"].GetDouble(), 0.25);
}

TEST(Anthropic, DecodesATextAnswer) {
  auto d = kWireFormat.decode(200, R"({
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
    "content": [{"type": "text", "text": "Hello!"}],
    "model": "claude-sonnet-4-20250514", "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}
  })", ctx());
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({
    "id": "chatcmpl-42", "object": "chat.completion", "created": 1700000000,
    "model": "claude-sonnet-4-20250514", "provider": "up",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 112, "completion_tokens": 6, "total_tokens": 118,
              "prompt_tokens_details": {"cached_tokens": 100}, "cost": 0.000124}
  })"));
  EXPECT_EQ(d.usage.prompt_tokens, 112);
  EXPECT_EQ(d.usage.completion_tokens, 6);
}

TEST(Anthropic, DecodesToolUseAndStopReasons) {
  auto d = kWireFormat.decode(200, R"({
    "id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
    "stop_reason": "tool_use",
    "content": [
      {"type": "text", "text": "I need to use get_weather."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
       "input": {"location": "San Francisco, CA", "unit": "celsius"}}],
    "usage": {"input_tokens": 20, "output_tokens": 30}
  })", ctx());
  ASSERT_TRUE(d.ok);
  auto doc = parse(d.body);
  const auto& message = doc["choices"][0]["message"];
  EXPECT_STREQ(message["content"].GetString(), "I need to use get_weather.");
  EXPECT_STREQ(message["tool_calls"][0]["id"].GetString(), "toolu_01A09q90qw90lq917835lq9");
  EXPECT_STREQ(message["tool_calls"][0]["function"]["name"].GetString(), "get_weather");
  EXPECT_TRUE(same_json(message["tool_calls"][0]["function"]["arguments"].GetString(),
                        R"({"location": "San Francisco, CA", "unit": "celsius"})"));
  EXPECT_STREQ(doc["choices"][0]["finish_reason"].GetString(), "tool_calls");

  for (auto [stop, finish] : {std::pair{"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"},
                              {"tool_use", "tool_calls"}, {"refusal", "content_filter"}}) {
    std::string body = std::string(R"({"type":"message","content":[],"stop_reason":")") + stop + R"("})";
    auto r = kWireFormat.decode(200, body, ctx());
    ASSERT_TRUE(r.ok);
    EXPECT_STREQ(parse(r.body)["choices"][0]["finish_reason"].GetString(), finish) << stop;
  }
}

struct ErrorCase {
  int status;
  const char* type;
  const char* message;
  health::Outcome outcome;
  int caller_status;
  ErrorType error_type;
};

TEST(Anthropic, MapsErrorBodies) {
  const ErrorCase cases[] = {
      {400, "invalid_request_error", "max_tokens: Field required", health::Outcome::bad_request, 400, ErrorType::invalid_request},
      {400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum", health::Outcome::context_length, 400,
       ErrorType::context_length_exceeded},
      {401, "authentication_error", "invalid x-api-key", health::Outcome::auth, 502, ErrorType::auth},
      {403, "permission_error", "no access", health::Outcome::auth, 502, ErrorType::auth},
      {404, "not_found_error", "model: claude-x", health::Outcome::not_found, 502, ErrorType::provider_unavailable},
      {429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", health::Outcome::status_429,
       429, ErrorType::rate_limited},
      {500, "api_error", "Internal server error", health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
      {529, "overloaded_error", "Overloaded", health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
  };
  for (const auto& c : cases) {
    std::string body = std::string(R"({"type":"error","error":{"type":")") + c.type + R"(","message":")" + c.message +
                       R"("},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})";
    auto d = kWireFormat.decode(c.status, body, ctx());
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.outcome, c.outcome) << c.type << " " << c.message;
    EXPECT_EQ(d.error.status, c.caller_status) << c.type;
    EXPECT_EQ(d.error.type, c.error_type) << c.type;
    EXPECT_EQ(d.error.code, c.type);
    EXPECT_NE(d.error.message.find(c.message), std::string::npos);
  }
  auto in200 = kWireFormat.decode(200, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", ctx());
  EXPECT_EQ(in200.outcome, health::Outcome::error_body_200);
  auto garbage = kWireFormat.decode(200, "<html>", ctx());
  EXPECT_EQ(garbage.outcome, health::Outcome::malformed);
  auto leak = kWireFormat.decode(401, R"({"type":"error","error":{"type":"authentication_error","message":"bad key sk-test-secret-key"}})", ctx());
  EXPECT_EQ(leak.error.message.find("sk-test-secret-key"), std::string::npos);
}

// The streaming example of Anthropic's reference: text, then a tool_use block whose input
// arrives as input_json_delta fragments, a ping, and message_delta with the stop reason.
const char kToolStream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-opus-4-1-20250805\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":472,\"output_tokens\":2,\"cache_read_input_tokens\":28},\"content\":[],\"stop_reason\":null}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Okay, let's check \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"the weather — ☀️\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\":\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"San Francisco, CA\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

std::string chunk(std::string_view choices_and_more) {
  return std::string(R"({"id":"chatcmpl-42","object":"chat.completion.chunk","created":1700000000,"model":"m",)") +
         std::string(choices_and_more) + "}";
}

TEST(Anthropic, StreamTranslatesToOpenAIChunks) {
  auto r = run_stream(kWireFormat, ctx(true), {kToolStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  auto events = events_of(r.out);
  const std::string expected[] = {
      chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Okay, let's check "},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"content":"the weather — ☀️"},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":" \"San Francisco, CA\"}"}}]},"finish_reason":null}])"),
      chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])"),
      chunk(R"("choices":[],"usage":{"prompt_tokens":500,"completion_tokens":89,"total_tokens":589,"prompt_tokens_details":{"cached_tokens":28},"cost":0.000678})"),
  };
  ASSERT_EQ(events.size(), std::size(expected)) << r.out;
  for (size_t i = 0; i < events.size(); ++i) EXPECT_TRUE(same_json(events[i], expected[i])) << "event " << i;
  EXPECT_EQ(r.usage.prompt_tokens, 500);
  EXPECT_EQ(r.usage.completion_tokens, 89);
}

TEST(Anthropic, StreamWithoutIncludeUsageEndsWithTheFinishChunk) {
  auto r = run_stream(kWireFormat, ctx(false), {kToolStream});
  auto events = events_of(r.out);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.back().find("\"finish_reason\":\"tool_calls\""), std::string::npos);
  EXPECT_TRUE(r.usage.known);  // the engine still gets usage for stats
}

TEST(Anthropic, StreamIsTheSameWhateverTheSplit) {
  expect_split_invariant(kWireFormat, ctx(true), kToolStream);
  std::string crlf;
  for (char c : std::string(kToolStream)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  expect_split_invariant(kWireFormat, ctx(true), crlf);
  EXPECT_EQ(run_stream(kWireFormat, ctx(true), {crlf}).out, run_stream(kWireFormat, ctx(true), {kToolStream}).out);
}

TEST(Anthropic, StreamErrorsAndTruncation) {
  // An error event mid-stream (documented: overloaded_error may arrive after a 200).
  std::string overloaded = std::string(kToolStream).substr(0, std::string(kToolStream).find("event: content_block_stop")) +
                           "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
  auto r = run_stream(kWireFormat, ctx(), {overloaded});
  EXPECT_EQ(r.state, StreamDecoder::State::failed);
  EXPECT_EQ(r.outcome, health::Outcome::status_5xx);
  EXPECT_NE(r.error.message.find("Overloaded"), std::string::npos);
  EXPECT_EQ(events_of(r.out).size(), 2u);  // the text deltas before the error were passed on

  // Cut before message_stop: open after the last byte, failed at the end of the body.
  std::string cut = std::string(kToolStream).substr(0, std::string(kToolStream).find("event: message_stop"));
  auto t = run_stream(kWireFormat, ctx(), {cut});
  EXPECT_EQ(t.state, StreamDecoder::State::open);
  EXPECT_EQ(t.finished, StreamDecoder::State::failed);

  auto g = run_stream(kWireFormat, ctx(), {"event: message_start\ndata: {not json\n\n"});
  EXPECT_EQ(g.state, StreamDecoder::State::failed);

  // An error before any content event produces nothing, so the engine may still fail over.
  auto early = run_stream(kWireFormat, ctx(), {std::string(kToolStream).substr(0, std::string(kToolStream).find("event: content_block_delta")) +
                                                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}\n\n"});
  EXPECT_EQ(early.state, StreamDecoder::State::failed);
  EXPECT_EQ(early.outcome, health::Outcome::status_429);
  EXPECT_TRUE(early.out.empty());
}

TEST(Anthropic, ListsModelsAndHasNoEmbeddings) {
  EXPECT_EQ(kWireFormat.encode_embeddings, nullptr);
  EXPECT_EQ(kWireFormat.decode_embeddings, nullptr);
  UpstreamRequest out;
  kWireFormat.encode_models(kProvider, out);
  EXPECT_EQ(out.method, "GET");
  EXPECT_EQ(out.url, "https://api.anthropic.com/v1/models?limit=1000");
  EXPECT_EQ(out.headers, "x-api-key: sk-test-secret-key\nanthropic-version: 2023-06-01\n");
  DecodeContext c{kProvider, ""};
  auto d = kWireFormat.decode_models(200, R"({
    "data": [
      {"created_at": "2025-02-19T00:00:00Z", "display_name": "Claude 3.7 Sonnet", "id": "claude-3-7-sonnet-20250219", "type": "model"},
      {"created_at": "2024-10-22T05:30:00+02:00", "display_name": "Claude Sonnet 3.5 New", "id": "claude-3-5-sonnet-20241022", "type": "model"},
      {"created_at": "not a date", "display_name": "?", "id": "claude-x", "type": "model"}
    ],
    "first_id": "claude-3-7-sonnet-20250219", "has_more": false, "last_id": "claude-x"})",
                                   c);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.body, R"({"object":"list","data":[
      {"id":"claude-3-7-sonnet-20250219","object":"model","created":1739923200,"owned_by":"anthropic"},
      {"id":"claude-3-5-sonnet-20241022","object":"model","created":1729567800,"owned_by":"anthropic"},
      {"id":"claude-x","object":"model","created":0,"owned_by":"anthropic"}]})"));
  auto key = kWireFormat.decode_models(401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})", c);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(kWireFormat.decode_models(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", c).outcome,
            health::Outcome::status_5xx);
  EXPECT_EQ(kWireFormat.decode_models(200, R"({"type":"error","error":{"type":"api_error","message":"x"}})", c).outcome,
            health::Outcome::error_body_200);
  EXPECT_EQ(kWireFormat.decode_models(200, R"({"models":[]})", c).outcome, health::Outcome::malformed);
}

}  // namespace
}  // namespace sy::providers::anthropic
