// Golden tests for the Anthropic egress codec. Requests are read from OpenAI chat bodies the way
// the ingress reads them; upstream payloads follow the examples of Anthropic's API reference
// (Messages, streaming, tool use, extended thinking, errors, models).
#include "providers/anthropic.h"

#include "wire_test_util.h"

namespace sy::providers::anthropic {
namespace {

using namespace test;
using model::Finish;

const config::Provider kProvider =
    make_provider(config::ProviderType::anthropic, "https://api.anthropic.com/v1", "2023-06-01");

const model::Request kChat;

DecodeContext ctx(const model::Request& request = kChat) { return DecodeContext{kProvider, "m", request}; }

// The body sent to model "m" for an OpenAI chat body.
json::Document body_of(std::string_view openai_body, const Overrides& overrides = {}) {
  return std::move(encode(kCodec, kProvider, "m", openai_body, overrides).body);
}

json::Document body_of(const model::Request& request, const Overrides& overrides = {}) {
  return std::move(encode(kCodec, kProvider, "m", request, overrides).body);
}

// One member of the body sent for an OpenAI chat body, as compact JSON ("" when absent).
std::string member(std::string_view openai_body, const char* name) {
  json::Document body = body_of(openai_body);
  const json::Value* v = json::find(body, name);
  return v ? dump(*v) : std::string();
}

// An OpenAI chat body with one user message "x" and `more` members.
std::string with(std::string_view more) {
  std::string body = R"({"model":"fast","messages":[{"role":"user","content":"x"}])";
  if (!more.empty()) body += "," + std::string(more);
  return body + "}";
}

// ---------------------------------------------------------------------------------------
// Requests (ported from main)

TEST(Anthropic, EncodesUrlHeadersAndRequiredMaxTokens) {
  auto e = encode(kCodec, kProvider, "claude-3-5-haiku-latest",
                  R"({"model":"fast","messages":[{"role":"user","content":"Hello, Claude"}]})");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://api.anthropic.com/v1/messages");
  EXPECT_NE(e.request.headers.find("x-api-key: sk-test-secret-key\n"), std::string::npos);
  EXPECT_NE(e.request.headers.find("anthropic-version: 2023-06-01\n"), std::string::npos);
  EXPECT_EQ(e.request.headers.find("authorization"), std::string::npos);
  EXPECT_EQ(e.request.headers.find("accept: text/event-stream"), std::string::npos);
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"claude-3-5-haiku-latest","max_tokens":4096,
      "messages":[{"role":"user","content":[{"type":"text","text":"Hello, Claude"}]}]})"));
}

TEST(Anthropic, DefaultVersionAndConfiguredHeaders) {
  config::Provider p = make_provider(config::ProviderType::anthropic, "https://api.anthropic.com/v1");
  p.headers = {{"anthropic-beta", "context-management-2025-06-27"}};
  auto e = encode(kCodec, p, "m", with(""));
  EXPECT_EQ(e.request.headers,
            "content-type: application/json\nx-api-key: sk-test-secret-key\nanthropic-version: 2023-06-01\n"
            "anthropic-beta: context-management-2025-06-27\n");
}

// Main's request, with one change of behaviour: response_format json_object is no longer
// dropped but adds the structured-output tool (the caller's named tool_choice is kept).
TEST(Anthropic, EncodesSystemImagesToolsAndParameters) {
  EnvelopePtr env = chat_request(R"({
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
  })");
  env->request.stream = true;
  auto e = encode(kCodec, kProvider, "claude-sonnet-4-20250514", env->request);
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
              {"name": "get_time", "input_schema": {"type": "object", "properties": {}}},
              {"name": "json_answer", "description": "Give your answer as this tool's input, a JSON object.",
               "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true}
  })"));
  EXPECT_NE(e.request.headers.find("accept: text/event-stream\n"), std::string::npos);
}

TEST(Anthropic, ToolChoiceStrings) {
  const char* tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  auto choice = [&](const char* c) { return member(with(std::string(tools) + R"(,"tool_choice":)" + c), "tool_choice"); };
  EXPECT_EQ(choice(R"("auto")"), R"({"type":"auto"})");
  EXPECT_EQ(choice(R"("required")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"("none")"), R"({"type":"none"})");
  EXPECT_EQ(choice(R"({"type":"function","function":{"name":"f"}})"), R"({"type":"tool","name":"f"})");
  EXPECT_EQ(member(with(tools), "tool_choice"), "");
  // tool_choice without tools is not sent (Anthropic refuses it).
  EXPECT_EQ(member(with(R"("tool_choice":"auto")"), "tool_choice"), "");
  // parallel_tool_calls false alone still says so; tool_choice none never does.
  EXPECT_EQ(member(with(std::string(tools) + R"(,"parallel_tool_calls":false)"), "tool_choice"),
            R"({"type":"auto","disable_parallel_tool_use":true})");
  EXPECT_EQ(member(with(std::string(tools) + R"(,"parallel_tool_calls":false,"tool_choice":"none")"), "tool_choice"),
            R"({"type":"none"})");
}

TEST(Anthropic, OverridesApplyBeforeTranslation) {
  auto body = body_of(R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}]})",
                      {{"max_tokens", "99"}, {"temperature", "0.25"}});
  EXPECT_EQ(body["max_tokens"].GetInt(), 99);
  EXPECT_EQ(body["temperature"].GetDouble(), 0.25);
}

TEST(Anthropic, EmptyTextsAreSkippedAndTurnsMerge) {
  EXPECT_TRUE(same_json(member(R"({"messages":[
      {"role":"user","content":""}, {"role":"user","content":"a"},
      {"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
      {"role":"assistant","content":""},
      {"role":"assistant","content":"c","refusal":"I can't help with that."},
      {"role":"user","content":"d"}]})", "messages"), R"([
    {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
    {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"I can't help with that."}]},
    {"role":"user","content":[{"type":"text","text":"d"}]}])"));
  // A tool call without an id gets one; a call without a name cannot be sent.
  EXPECT_TRUE(same_json(member(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","content":null,"tool_calls":[
        {"type":"function","function":{"name":"f","arguments":"[1]"}},
        {"id":"t","type":"function","function":{"arguments":"{}"}}]}]})", "messages"), R"([
    {"role":"user","content":[{"type":"text","text":"x"}]},
    {"role":"assistant","content":[{"type":"tool_use","id":"call_0","name":"f","input":{}}]}])"));
}

// ---------------------------------------------------------------------------------------
// Answers (ported from main)

TEST(Anthropic, DecodesATextAnswer) {
  auto d = kCodec.decode(200, R"({
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
    "content": [{"type": "text", "text": "Hello!"}],
    "model": "claude-sonnet-4-20250514", "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}
  })", ctx());
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Answer& a = d.answer;
  EXPECT_EQ(a.kind, model::Kind::chat);
  EXPECT_EQ(a.id, "msg_01XFDUDYJgAACzvnptvVoYEL");
  EXPECT_EQ(a.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(a.provider, "up");
  EXPECT_EQ(a.raw_format, model::Format::none);
  EXPECT_TRUE(a.raw.empty());
  ASSERT_EQ(a.outputs.size(), 1u);
  EXPECT_EQ(a.outputs[0].text, "Hello!");
  EXPECT_TRUE(a.outputs[0].has_text);
  EXPECT_TRUE(a.outputs[0].refusal.empty());
  EXPECT_TRUE(a.outputs[0].tool_calls.empty());
  EXPECT_TRUE(a.outputs[0].reasoning.empty());
  EXPECT_EQ(a.outputs[0].finish, Finish::stop);
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 112);
  EXPECT_EQ(a.usage.completion_tokens, 6);
  EXPECT_EQ(a.usage.cached_tokens, 100);
  EXPECT_EQ(a.usage.reasoning_tokens, -1);
  EXPECT_DOUBLE_EQ(a.usage.cost, 0.000124);
}

TEST(Anthropic, CacheWritesCountAsPromptTokens) {
  auto d = kCodec.decode(200, R"({"type":"message","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",
      "usage":{"input_tokens":5,"cache_creation_input_tokens":2000,"output_tokens":1}})", ctx());
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.answer.usage.prompt_tokens, 2005);
  EXPECT_EQ(d.answer.usage.cached_tokens, -1);
  auto none = kCodec.decode(200, R"({"type":"message","content":[],"stop_reason":"end_turn"})", ctx());
  ASSERT_TRUE(none.ok);
  EXPECT_FALSE(none.answer.usage.known);
  EXPECT_FALSE(none.answer.outputs.at(0).has_text);
}

TEST(Anthropic, DecodesToolUseAndStopReasons) {
  auto d = kCodec.decode(200, R"({
    "id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
    "stop_reason": "tool_use",
    "content": [
      {"type": "text", "text": "I need to use get_weather."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
       "input": {"location": "San Francisco, CA", "unit": "celsius"}}],
    "usage": {"input_tokens": 20, "output_tokens": 30}
  })", ctx());
  ASSERT_TRUE(d.ok);
  const model::Output& out = d.answer.outputs.at(0);
  EXPECT_EQ(out.text, "I need to use get_weather.");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].id, "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_TRUE(same_json(out.tool_calls[0].arguments, R"({"location": "San Francisco, CA", "unit": "celsius"})"));
  EXPECT_EQ(out.finish, Finish::tool_calls);

  for (auto [stop, finish] : {std::pair{"end_turn", Finish::stop}, {"stop_sequence", Finish::stop}, {"pause_turn", Finish::stop},
                              {"max_tokens", Finish::length}, {"model_context_window_exceeded", Finish::length},
                              {"tool_use", Finish::tool_calls}, {"refusal", Finish::content_filter}}) {
    std::string body = std::string(R"({"type":"message","content":[],"stop_reason":")") + stop + R"("})";
    auto r = kCodec.decode(200, body, ctx());
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.answer.outputs.at(0).finish, finish) << stop;
  }
  auto missing = kCodec.decode(200, R"({"type":"message","content":[]})", ctx());
  EXPECT_EQ(missing.answer.outputs.at(0).finish, Finish::stop);
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
    auto d = kCodec.decode(c.status, body, ctx());
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.outcome, c.outcome) << c.type << " " << c.message;
    EXPECT_EQ(d.error.status, c.caller_status) << c.type;
    EXPECT_EQ(d.error.type, c.error_type) << c.type;
    EXPECT_EQ(d.error.code, c.type);
    EXPECT_NE(d.error.message.find(c.message), std::string::npos);
  }
  auto in200 = kCodec.decode(200, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", ctx());
  EXPECT_FALSE(in200.ok);
  EXPECT_EQ(in200.outcome, health::Outcome::error_body_200);
  auto garbage = kCodec.decode(200, "<html>", ctx());
  EXPECT_FALSE(garbage.ok);
  EXPECT_EQ(garbage.outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"type":"message","content":"Hello"})", ctx()).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(502, "<html>Bad gateway</html>", ctx()).outcome, health::Outcome::status_5xx);
  auto leak = kCodec.decode(401, R"({"type":"error","error":{"type":"authentication_error","message":"bad key sk-test-secret-key"}})", ctx());
  EXPECT_EQ(leak.error.message.find("sk-test-secret-key"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Streams (ported from main)

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

// Main's StreamTranslatesToOpenAIChunks, on canonical events.
TEST(Anthropic, StreamTranslatesToCanonicalEvents) {
  auto r = run_stream(kCodec, ctx(), kToolStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.finished, StreamDecoder::State::done);
  const std::vector<std::string> expected = {
      R"(text[0] "Okay, let's check ")",
      R"(text[0] "the weather — ☀️")",
      R"(tool_call[0].0 id=toolu_01T1x1fJ34qAmk2tNTrN7Up6 name=get_weather "")",
      R"(tool_arguments[0].0 "{\"location\":")",
      R"(tool_arguments[0].0 " \"San Francisco, CA\"}")",
      R"(finish[0] tool_calls)",
      R"(usage 500+89 cached=28 reasoning=-1 cost=0.000678)",
  };
  EXPECT_EQ(r.events, expected);
  for (const std::string& raw : r.raw) EXPECT_TRUE(raw.empty());  // a translating codec gives no raw events
  // Assembled, the stream is the answer a non-streamed request would have decoded to.
  ASSERT_EQ(r.answer.outputs.size(), 1u);
  const model::Output& out = r.answer.outputs[0];
  EXPECT_EQ(out.text, "Okay, let's check the weather — ☀️");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(out.tool_calls[0].arguments, R"({"location": "San Francisco, CA"})");
  EXPECT_EQ(out.finish, Finish::tool_calls);
  EXPECT_EQ(r.answer.usage.prompt_tokens, 500);
  EXPECT_TRUE(r.usage.known);
  EXPECT_EQ(r.usage.prompt_tokens, 500);
  EXPECT_EQ(r.usage.completion_tokens, 89);
  EXPECT_EQ(r.usage.cached_tokens, 28);
}

// Main's StreamWithoutIncludeUsageEndsWithTheFinishChunk: whether the caller sees usage is now
// the ingress's choice; the decoder always ends with the finish, then the priced usage.
TEST(Anthropic, StreamEndsWithFinishThenUsage) {
  EnvelopePtr no_usage = chat_request(with(R"("stream":true)"));
  auto r = run_stream(kCodec, ctx(no_usage->request), kToolStream);
  ASSERT_GE(r.events.size(), 2u);
  EXPECT_EQ(r.events[r.events.size() - 2], "finish[0] tool_calls");
  EXPECT_EQ(r.events.back().rfind("usage ", 0), 0u);
  EXPECT_TRUE(r.usage.known);  // the exchange still gets usage for stats
  EXPECT_DOUBLE_EQ(r.usage.cost, 0.000678);
}

TEST(Anthropic, StreamIsTheSameWhateverTheSplit) {
  expect_split_invariant(kCodec, ctx(), kToolStream);
  std::string crlf;
  for (char c : std::string(kToolStream)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  expect_split_invariant(kCodec, ctx(), crlf);
  EXPECT_EQ(run_stream(kCodec, ctx(), crlf).events, run_stream(kCodec, ctx(), kToolStream).events);
}

TEST(Anthropic, StreamErrorsAndTruncation) {
  const std::string stream = kToolStream;
  // An error event mid-stream (documented: overloaded_error may arrive after a 200).
  std::string overloaded = stream.substr(0, stream.find("event: content_block_stop")) +
                           "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
  auto r = run_stream(kCodec, ctx(), overloaded);
  EXPECT_EQ(r.state, StreamDecoder::State::failed);
  EXPECT_EQ(r.outcome, health::Outcome::status_5xx);
  EXPECT_EQ(r.error.status, 502);
  EXPECT_NE(r.error.message.find("Overloaded"), std::string::npos);
  EXPECT_EQ(r.events.size(), 2u);  // the text deltas before the error were passed on
  expect_split_invariant(kCodec, ctx(), overloaded);

  // Cut before message_stop: open after the last byte, failed at the end of the body.
  std::string cut = stream.substr(0, stream.find("event: message_stop"));
  auto t = run_stream(kCodec, ctx(), cut);
  EXPECT_EQ(t.state, StreamDecoder::State::open);
  EXPECT_EQ(t.finished, StreamDecoder::State::failed);

  auto g = run_stream(kCodec, ctx(), "event: message_start\ndata: {not json\n\n");
  EXPECT_EQ(g.state, StreamDecoder::State::failed);

  // An error before any content event produces nothing, so the exchange may still fail over.
  auto early = run_stream(kCodec, ctx(), stream.substr(0, stream.find("event: content_block_delta")) +
                                             "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}\n\n");
  EXPECT_EQ(early.state, StreamDecoder::State::failed);
  EXPECT_EQ(early.outcome, health::Outcome::status_429);
  EXPECT_TRUE(early.events.empty());
  EXPECT_TRUE(early.groups.empty());

  // The key never leaks through a stream error; a context-length message decides the outcome.
  auto leak = run_stream(kCodec, ctx(), "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                                        "\"message\":\"prompt is too long for sk-test-secret-key\"}}\n\n");
  EXPECT_EQ(leak.error.message.find("sk-test-secret-key"), std::string::npos);
  EXPECT_EQ(leak.outcome, health::Outcome::context_length);
}

TEST(Anthropic, StreamIgnoresBadIndexesAndUnknownEvents) {
  std::string s =
      "data: {\"type\":\"content_block_start\",\"index\":100000000,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\n\n"
      "data: {\"type\":\"content_block_start\",\"index\":5,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t5\",\"name\":\"f\"}}\n\n"
      "data: {\"type\":\"content_block_start\",\"index\":5,\"content_block\":{\"type\":\"tool_use\",\"id\":\"again\",\"name\":\"g\"}}\n\n"
      "data: {\"type\":\"content_block_delta\",\"index\":-1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
      "data: {\"type\":\"content_block_delta\",\"index\":\"0\",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
      "data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
      "data: {\"type\":\"content_block_delta\",\"delta\":7}\n\n"
      "data: {\"type\":\"content_block_start\",\"content_block\":[]}\n\n"
      "data: {\"type\":\"content_block_stop\",\"index\":4095}\n\n"
      "data: {\"type\":\"future_event\",\"index\":0}\n\n"
      "event: message_stop\n"
      "data: {}\n\n";
  auto r = run_stream(kCodec, ctx(), s);
  EXPECT_EQ(r.state, StreamDecoder::State::done);  // the event name stands in for a missing type
  const std::vector<std::string> expected = {R"(tool_call[0].0 id=t5 name=f "")", "finish[0] stop",
                                             "usage 0+0 cached=-1 reasoning=-1 cost=0"};
  EXPECT_EQ(r.events, expected);
}

// ---------------------------------------------------------------------------------------
// Model lists and capabilities (ported from main)

TEST(Anthropic, ListsModelsAndHasNoEmbeddings) {
  EXPECT_TRUE(kCodec.caps.chat);
  EXPECT_TRUE(kCodec.caps.models);
  EXPECT_FALSE(kCodec.caps.embeddings);
  EXPECT_FALSE(kCodec.caps.local);
  EXPECT_EQ(kCodec.answer, nullptr);
  EnvelopePtr embeddings = embeddings_request(R"({"model":"m","input":"hello"})");
  EXPECT_EQ(refusal(kCodec, embeddings->request).param, "model");

  EnvelopePtr models = models_request();
  EXPECT_TRUE(refusal(kCodec, models->request).param.empty());
  auto e = encode(kCodec, kProvider, "", models->request);
  EXPECT_EQ(e.request.method, "GET");
  EXPECT_EQ(e.request.url, "https://api.anthropic.com/v1/models?limit=1000");
  EXPECT_EQ(e.request.headers, "x-api-key: sk-test-secret-key\nanthropic-version: 2023-06-01\n");
  EXPECT_TRUE(e.request.body.empty());

  DecodeContext c{kProvider, "", models->request};
  auto d = kCodec.decode(200, R"({
    "data": [
      {"created_at": "2025-02-19T00:00:00Z", "display_name": "Claude 3.7 Sonnet", "id": "claude-3-7-sonnet-20250219", "type": "model"},
      {"created_at": "2024-10-22T05:30:00+02:00", "display_name": "Claude Sonnet 3.5 New", "id": "claude-3-5-sonnet-20241022", "type": "model"},
      {"created_at": "not a date", "display_name": "?", "id": "claude-x", "type": "model"},
      {"created_at": "2024-10-22T00:00:00Z", "display_name": "no id", "type": "model"}
    ],
    "first_id": "claude-3-7-sonnet-20250219", "has_more": false, "last_id": "claude-x"})",
                         c);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::models);
  ASSERT_EQ(d.answer.models.size(), 3u);
  auto expect_model = [&](size_t i, const char* id, int64_t created) {
    EXPECT_EQ(d.answer.models[i].id, id);
    EXPECT_EQ(d.answer.models[i].created, created) << id;
    EXPECT_EQ(d.answer.models[i].owned_by, "anthropic");
  };
  expect_model(0, "claude-3-7-sonnet-20250219", 1739923200);
  expect_model(1, "claude-3-5-sonnet-20241022", 1729567800);
  expect_model(2, "claude-x", 0);
  auto key = kCodec.decode(401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})", c);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(kCodec.decode(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", c).outcome,
            health::Outcome::status_5xx);
  EXPECT_EQ(kCodec.decode(200, R"({"type":"error","error":{"type":"api_error","message":"x"}})", c).outcome,
            health::Outcome::error_body_200);
  EXPECT_EQ(kCodec.decode(200, R"({"models":[]})", c).outcome, health::Outcome::malformed);
}

// n > 1 is refused by the exchange with a 400 naming `n` instead of answering one choice.
TEST(Anthropic, RefusesMoreThanOneAnswer) {
  EXPECT_EQ(kCodec.caps.max_n, 1);
  EXPECT_TRUE(refusal(kCodec, chat_request(with(R"("n":1)"))->request).param.empty());
  EXPECT_EQ(refusal(kCodec, chat_request(with(R"("n":2)"))->request).param, "n");
  EXPECT_EQ(refusal(kCodec, chat_request(with(R"("n":3,"stream":true)"))->request).param, "n");
}

// ---------------------------------------------------------------------------------------
// Extended thinking

// The example answer of Anthropic's extended-thinking guide: a thinking block with its
// signature, a redacted block, then the text.
const char kThinkingAnswer[] = R"({
  "id": "msg_01Thinking", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
  "content": [
    {"type": "thinking", "thinking": "Let me analyze this step by step...",
     "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"},
    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
    {"type": "text", "text": "Based on my analysis, the answer is 21."}
  ],
  "stop_reason": "end_turn", "usage": {"input_tokens": 2095, "output_tokens": 503}
})";

TEST(Anthropic, DecodesThinkingWithSignatures) {
  auto d = kCodec.decode(200, kThinkingAnswer, ctx());
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Output& out = d.answer.outputs.at(0);
  EXPECT_EQ(out.text, "Based on my analysis, the answer is 21.");
  ASSERT_EQ(out.reasoning.size(), 2u);
  EXPECT_EQ(out.reasoning[0].text, "Let me analyze this step by step...");
  EXPECT_EQ(out.reasoning[0].signature, "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL");
  EXPECT_FALSE(out.reasoning[0].redacted);
  EXPECT_EQ(out.reasoning[1].text, "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP");
  EXPECT_TRUE(out.reasoning[1].signature.empty());
  EXPECT_TRUE(out.reasoning[1].redacted);
  EXPECT_EQ(d.answer.usage.completion_tokens, 503);
}

// A multi-turn conversation with extended thinking: the decoded reasoning, sent back by an
// OpenRouter-style client as reasoning_details, becomes the same blocks first in the assistant
// turn; reasoning without a signature (another provider's) is dropped.
TEST(Anthropic, ThinkingRoundTripsItsSignatures) {
  auto d = kCodec.decode(200, kThinkingAnswer, ctx());
  ASSERT_TRUE(d.ok);
  const model::Output& out = d.answer.outputs.at(0);
  std::string details = "[";
  for (const model::Reasoning& r : out.reasoning) {
    std::string item = r.redacted ? R"({"type":"reasoning.encrypted","data":)" : R"({"type":"reasoning.text","text":)";
    json::append_string(item, r.text);
    if (!r.redacted) {
      item += R"(,"signature":)";
      json::append_string(item, r.signature);
    }
    details += item + "},";
  }
  details += R"({"type":"reasoning.text","text":"unsigned thoughts from elsewhere"}])";
  std::string body = R"({"messages":[{"role":"user","content":"What is GCD(1071, 462)?"},
      {"role":"assistant","content":"Based on my analysis, the answer is 21.","reasoning_details":)" + details + R"(,
       "tool_calls":[{"id":"toolu_9","type":"function","function":{"name":"calc","arguments":"{\"a\":1071,\"b\":462}"}}]},
      {"role":"tool","tool_call_id":"toolu_9","content":"21"}]})";
  json::Document sent = body_of(body);
  json::Document answer = parse(kThinkingAnswer);
  std::string expected = "[" + dump(answer["content"][0]) + "," + dump(answer["content"][1]) + "," +
                         R"({"type":"text","text":"Based on my analysis, the answer is 21."},
                            {"type":"tool_use","id":"toolu_9","name":"calc","input":{"a":1071,"b":462}}])";
  EXPECT_STREQ(sent["messages"][1]["role"].GetString(), "assistant");
  EXPECT_TRUE(same_json(dump(sent["messages"][1]["content"]), expected));
  EXPECT_TRUE(same_json(dump(sent["messages"][2]),
                        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"21"}]})"));
}

// Thinking as anthropic.h describes it: "<max_tokens> <thinking> <sampling members sent>".
std::string thinking_of(int64_t budget, std::string_view effort, int64_t max_tokens = -1) {
  EnvelopePtr env = chat_request(with(R"("temperature":0.7,"top_p":0.9,"top_k":40)"));
  env->request.reasoning_budget = budget;
  env->request.reasoning_effort = effort;
  env->request.max_tokens = max_tokens;
  json::Document body = body_of(env->request);
  std::string out = std::to_string(body["max_tokens"].GetInt64());
  if (body.HasMember("thinking")) out += " " + dump(body["thinking"]);
  for (const char* name : {"temperature", "top_p", "top_k"})
    if (body.HasMember(name)) out += std::string(" ") + name;
  return out;
}

TEST(Anthropic, ReasoningBudgetAndEffortTurnThinkingOn) {
  EXPECT_EQ(thinking_of(-1, ""), "4096 temperature top_p top_k");
  EXPECT_EQ(thinking_of(8000, ""), R"(9024 {"type":"enabled","budget_tokens":8000})");
  EXPECT_EQ(thinking_of(8000, "", 20000), R"(20000 {"type":"enabled","budget_tokens":8000})");
  EXPECT_EQ(thinking_of(8000, "", 8000), R"(9024 {"type":"enabled","budget_tokens":8000})");
  EXPECT_EQ(thinking_of(100, ""), R"(4096 {"type":"enabled","budget_tokens":1024})");  // Anthropic's minimum
  EXPECT_EQ(thinking_of(0, "high"), "4096 temperature top_p top_k");                   // 0: off, and it wins
  EXPECT_EQ(thinking_of(2048, "high"), R"(4096 {"type":"enabled","budget_tokens":2048})");
  EXPECT_EQ(thinking_of(-1, "low"), R"(4096 {"type":"enabled","budget_tokens":1024})");
  EXPECT_EQ(thinking_of(-1, "medium"), R"(5120 {"type":"enabled","budget_tokens":4096})");
  EXPECT_EQ(thinking_of(-1, "high"), R"(17408 {"type":"enabled","budget_tokens":16384})");
  EXPECT_EQ(thinking_of(-1, "high", 32000), R"(32000 {"type":"enabled","budget_tokens":16384})");
  EXPECT_EQ(thinking_of(-1, "xhigh"), R"(33792 {"type":"enabled","budget_tokens":32768})");
  EXPECT_EQ(thinking_of(-1, "max"), R"(50176 {"type":"enabled","budget_tokens":49152})");
  EXPECT_EQ(thinking_of(-1, "minimal"), "4096 temperature top_p top_k");
  EXPECT_EQ(thinking_of(-1, "none"), "4096 temperature top_p top_k");
  // From the caller's body.
  EXPECT_EQ(member(with(R"("reasoning_effort":"medium","max_completion_tokens":3000)"), "thinking"),
            R"({"type":"enabled","budget_tokens":4096})");
  EXPECT_EQ(body_of(with(R"("reasoning_effort":"medium","max_completion_tokens":3000)"))["max_tokens"].GetInt(), 5120);
}

TEST(Anthropic, RawThinkingPassesThroughUnlessCanonicalFieldsSayMore) {
  json::Document body = body_of(with(R"("temperature":0.5,"thinking":{"type":"enabled","budget_tokens":10000})"));
  EXPECT_EQ(dump(body["thinking"]), R"({"type":"enabled","budget_tokens":10000})");
  EXPECT_EQ(body["max_tokens"].GetInt(), 11024);
  EXPECT_FALSE(body.HasMember("temperature"));

  body = body_of(with(R"("temperature":0.5,"thinking":{"type":"disabled"})"));
  EXPECT_EQ(dump(body["thinking"]), R"({"type":"disabled"})");
  EXPECT_EQ(body["temperature"].GetDouble(), 0.5);

  body = body_of(with(R"("reasoning_effort":"low","thinking":{"type":"enabled","budget_tokens":10000})"));
  EXPECT_EQ(dump(body["thinking"]), R"({"type":"enabled","budget_tokens":1024})");

  EXPECT_EQ(member(with(R"("thinking":"yes")"), "thinking"), "");
}

// Anthropic refuses thinking together with a forced tool choice: the forced choice wins.
TEST(Anthropic, ForcedToolChoiceTurnsThinkingOff) {
  const std::string tools = R"("reasoning_effort":"high","temperature":0.3,"tools":[{"type":"function","function":{"name":"f"}}])";
  for (const char* choice : {R"("required")", R"({"type":"function","function":{"name":"f"}})"}) {
    json::Document body = body_of(with(tools + R"(,"tool_choice":)" + choice));
    EXPECT_FALSE(body.HasMember("thinking")) << choice;
    EXPECT_EQ(body["max_tokens"].GetInt(), 4096);
    EXPECT_EQ(body["temperature"].GetDouble(), 0.3);
  }
  EXPECT_NE(member(with(tools + R"(,"tool_choice":"auto")"), "thinking"), "");
  EXPECT_EQ(member(with(R"("reasoning_effort":"high","response_format":{"type":"json_object"})"), "thinking"), "");
}

// Continuing a tool-use turn, Anthropic wants the assistant message that called the tools to
// start with its signed thinking; a history without it is sent without thinking.
TEST(Anthropic, ThinkingNeedsTheSignedToolTurn) {
  auto thinking = [](std::string_view details) {
    return member(std::string(R"({"reasoning_effort":"high","messages":[{"role":"user","content":"Weather in Paris?"},
        {"role":"assistant","content":null,)") + std::string(details) + R"("tool_calls":[
          {"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"toolu_1","content":"18 degrees"}]})", "thinking");
  };
  EXPECT_EQ(thinking(""), "");
  EXPECT_EQ(thinking(R"("reasoning":"unsigned",)"), "");
  EXPECT_EQ(thinking(R"("reasoning_details":[{"type":"reasoning.text","text":"t","signature":"c2ln"}],)"),
            R"({"type":"enabled","budget_tokens":16384})");
  EXPECT_EQ(thinking(R"("reasoning_details":[{"type":"reasoning.encrypted","data":"ZGF0YQ=="}],)"),
            R"({"type":"enabled","budget_tokens":16384})");
  // A finished earlier turn needs nothing.
  EXPECT_EQ(member(R"({"reasoning_effort":"high","messages":[{"role":"user","content":"Hi"},
      {"role":"assistant","content":"Hello!"},{"role":"user","content":"Weather in Paris?"}]})", "thinking"),
            R"({"type":"enabled","budget_tokens":16384})");
}

// The extended-thinking streaming example: thinking deltas, the signature, a redacted block,
// then the text.
const char kThinkingStream[] =
    "event: message_start\n"
    "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01Think\", \"type\": \"message\", \"role\": \"assistant\", "
    "\"content\": [], \"model\": \"claude-sonnet-4-5\", \"stop_reason\": null, \"stop_sequence\": null, "
    "\"usage\": {\"input_tokens\": 100, \"output_tokens\": 1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\", \"signature\": \"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", "
    "\"thinking\": \"I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\\n\\n1071 = 2 × 462 + 147\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", "
    "\"thinking\": \"\\n462 = 3 × 147 + 21\\n147 = 7 × 21 + 0\\n\\nSo GCD(1071, 462) = 21\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"signature_delta\", "
    "\"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"redacted_thinking\", \"data\": \"EmwKAhgBEgy3va3pzix\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 2, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 2, \"delta\": {\"type\": \"text_delta\", \"text\": \"The greatest common divisor of 1071 and 462 is **21**.\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 2}\n\n"
    "event: message_delta\n"
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}, \"usage\": {\"output_tokens\": 120}}\n\n"
    "event: message_stop\n"
    "data: {\"type\": \"message_stop\"}\n\n";

TEST(Anthropic, StreamsThinkingAndSignatures) {
  auto r = run_stream(kCodec, ctx(), kThinkingStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  const std::vector<std::string> expected = {
      R"(reasoning[0] "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147")",
      R"(reasoning[0] "\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21")",
      R"(reasoning[0] "" sig="EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")",
      R"(reasoning[0] "EmwKAhgBEgy3va3pzix" redacted)",
      R"(text[0] "The greatest common divisor of 1071 and 462 is **21**.")",
      R"(finish[0] stop)",
      R"(usage 100+120 cached=-1 reasoning=-1 cost=0.00034)",
  };
  EXPECT_EQ(r.events, expected);
  // Assembled: one signed thinking block and one redacted, ready to be sent back next turn.
  const model::Output& out = r.answer.outputs.at(0);
  ASSERT_EQ(out.reasoning.size(), 2u);
  EXPECT_EQ(out.reasoning[0].text,
            "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"
            "\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21");
  EXPECT_EQ(out.reasoning[0].signature, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
  EXPECT_TRUE(out.reasoning[1].redacted);
  EXPECT_EQ(out.reasoning[1].text, "EmwKAhgBEgy3va3pzix");
  EXPECT_EQ(out.text, "The greatest common divisor of 1071 and 462 is **21**.");
  expect_split_invariant(kCodec, ctx(), kThinkingStream);
}

// ---------------------------------------------------------------------------------------
// Structured output

TEST(Anthropic, StructuredOutputIsAForcedToolCall) {
  json::Document body = body_of(with(R"("response_format":{"type":"json_schema","json_schema":{
      "name":"person","description":"A person and the year they were born","strict":true,
      "schema":{"type":"object","properties":{"name":{"type":"string"},"born":{"type":"integer"}},
                "required":["name","born"],"additionalProperties":false}}})"));
  EXPECT_TRUE(same_json(dump(body["tools"]), R"([{"name":"json_answer","description":"A person and the year they were born",
      "input_schema":{"type":"object","properties":{"name":{"type":"string"},"born":{"type":"integer"}},
                      "required":["name","born"],"additionalProperties":false}}])"));
  EXPECT_EQ(dump(body["tool_choice"]), R"({"type":"tool","name":"json_answer"})");

  EXPECT_TRUE(same_json(member(with(R"("response_format":{"type":"json_schema","json_schema":{"name":"person"}})"), "tools"),
                        R"([{"name":"json_answer","description":"Give your answer as this tool's input, following its schema.",
                             "input_schema":{"type":"object"}}])"));
  EXPECT_TRUE(same_json(member(with(R"("response_format":{"type":"json_object"})"), "tools"),
                        R"([{"name":"json_answer","description":"Give your answer as this tool's input, a JSON object.",
                             "input_schema":{"type":"object"}}])"));
  EXPECT_EQ(member(with(R"("response_format":{"type":"text"})"), "tools"), "");
  EXPECT_EQ(member(with(R"("response_format":{"type":"text"})"), "tool_choice"), "");
}

TEST(Anthropic, StructuredOutputKeepsTheCallersTools) {
  auto choice = [](std::string_view more) {
    json::Document body = body_of(with(std::string(R"("response_format":{"type":"json_object"},
        "tools":[{"type":"function","function":{"name":"lookup"}}])") + std::string(more)));
    EXPECT_EQ(body["tools"].Size(), 2u);
    EXPECT_STREQ(body["tools"][1]["name"].GetString(), "json_answer");
    return dump(body["tool_choice"]);
  };
  EXPECT_EQ(choice(""), R"({"type":"any"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"auto")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"required")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"required","parallel_tool_calls":false)"), R"({"type":"any","disable_parallel_tool_use":true})");
  EXPECT_EQ(choice(R"(,"tool_choice":{"type":"function","function":{"name":"lookup"}})"), R"({"type":"tool","name":"lookup"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"none")"), R"({"type":"tool","name":"json_answer"})");

  // A caller tool of the very same name stays the caller's: no structured tool is added.
  json::Document body = body_of(with(R"("response_format":{"type":"json_object"},
      "tools":[{"type":"function","function":{"name":"json_answer"}}])"));
  EXPECT_EQ(body["tools"].Size(), 1u);
  EXPECT_FALSE(body.HasMember("tool_choice"));
}

TEST(Anthropic, DecodesAStructuredAnswerAsText) {
  EnvelopePtr env = chat_request(with(R"("response_format":{"type":"json_object"})"));
  auto d = kCodec.decode(200, R"({
    "id": "msg_01Json", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "tool_use", "id": "toolu_01Json", "name": "json_answer",
                 "input": {"name": "Ada Lovelace", "born": 1815}}],
    "stop_reason": "tool_use", "usage": {"input_tokens": 40, "output_tokens": 20}
  })", ctx(env->request));
  ASSERT_TRUE(d.ok);
  const model::Output& out = d.answer.outputs.at(0);
  EXPECT_TRUE(same_json(out.text, R"({"name": "Ada Lovelace", "born": 1815})"));
  EXPECT_TRUE(out.has_text);
  EXPECT_TRUE(out.tool_calls.empty());
  EXPECT_EQ(out.finish, Finish::stop);

  // Alongside a call of one of the caller's tools, that call stays a tool call.
  auto both = kCodec.decode(200, R"({"type":"message","stop_reason":"tool_use","content":[
      {"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"Ada"}},
      {"type":"tool_use","id":"toolu_2","name":"json_answer","input":{}}]})", ctx(env->request));
  ASSERT_TRUE(both.ok);
  EXPECT_EQ(both.answer.outputs[0].text, "{}");
  ASSERT_EQ(both.answer.outputs[0].tool_calls.size(), 1u);
  EXPECT_EQ(both.answer.outputs[0].tool_calls[0].name, "lookup");
  EXPECT_EQ(both.answer.outputs[0].finish, Finish::tool_calls);

  // Cut by max_tokens: the partial answer says so.
  auto cut = kCodec.decode(200, R"({"type":"message","stop_reason":"max_tokens","content":[
      {"type":"tool_use","id":"toolu_2","name":"json_answer","input":{"name":"Ada"}}]})", ctx(env->request));
  EXPECT_EQ(cut.answer.outputs[0].finish, Finish::length);

  // A caller tool that happens to be called json_answer is a tool call.
  EnvelopePtr own = chat_request(with(R"("response_format":{"type":"json_object"},
      "tools":[{"type":"function","function":{"name":"json_answer"}}])"));
  auto call = kCodec.decode(200, R"({"type":"message","stop_reason":"tool_use","content":[
      {"type":"tool_use","id":"toolu_2","name":"json_answer","input":{"a":1}}]})", ctx(own->request));
  EXPECT_EQ(call.answer.outputs[0].tool_calls.size(), 1u);
  EXPECT_EQ(call.answer.outputs[0].finish, Finish::tool_calls);
}

const char kStructuredStream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01Json\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":50,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Json\","
    "\"name\":\"json_answer\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\": \\\"Ada\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" Lovelace\\\", \\\"born\\\": 1815}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

TEST(Anthropic, StreamsAStructuredAnswerAsText) {
  EnvelopePtr env = chat_request(with(R"("stream":true,"response_format":{"type":"json_object"})"));
  auto s = run_stream(kCodec, ctx(env->request), kStructuredStream);
  EXPECT_EQ(s.state, StreamDecoder::State::done);
  const std::vector<std::string> expected = {
      R"(text[0] "{\"name\": \"Ada")",
      R"(text[0] " Lovelace\", \"born\": 1815}")",
      R"(finish[0] stop)",
      R"(usage 50+20 cached=-1 reasoning=-1 cost=9e-05)",
  };
  EXPECT_EQ(s.events, expected);
  EXPECT_EQ(s.answer.outputs.at(0).text, R"({"name": "Ada Lovelace", "born": 1815})");
  EXPECT_TRUE(s.answer.outputs[0].tool_calls.empty());
  EXPECT_EQ(s.answer.outputs[0].finish, Finish::stop);
  expect_split_invariant(kCodec, ctx(env->request), kStructuredStream);

  // Only this codec declares the tool, so its calls are the answer even when response_format
  // came from a target's override_params (which the decoder does not see) ...
  EXPECT_EQ(run_stream(kCodec, ctx(), kStructuredStream).events, expected);
  // ... unless the caller has a tool of that name: then they are its tool calls.
  EnvelopePtr own = chat_request(with(R"("tools":[{"type":"function","function":{"name":"json_answer"}}])"));
  auto call = run_stream(kCodec, ctx(own->request), kStructuredStream);
  EXPECT_EQ(call.events.at(0), R"(tool_call[0].0 id=toolu_01Json name=json_answer "")");
  EXPECT_EQ(call.events.at(3), "finish[0] tool_calls");

  // An input that arrives without a JSON piece is the empty object.
  std::string empty = kStructuredStream;
  for (std::string_view piece : {R"({\"name\": \"Ada)", R"( Lovelace\", \"born\": 1815})"}) {
    size_t at = empty.find(piece);
    ASSERT_NE(at, std::string::npos) << piece;
    empty.erase(at, piece.size());
  }
  auto e = run_stream(kCodec, ctx(env->request), empty);
  const std::vector<std::string> expected_empty = {R"(text[0] "{}")", "finish[0] stop",
                                                   "usage 50+20 cached=-1 reasoning=-1 cost=9e-05"};
  EXPECT_EQ(e.events, expected_empty);
}

// ---------------------------------------------------------------------------------------
// Files, audio, cache_control, metadata

TEST(Anthropic, PdfFilesBecomeDocumentsOtherFilesAndAudioAreDropped) {
  EXPECT_TRUE(same_json(member(R"({"messages":[
    {"role":"user","content":[
      {"type":"text","text":"Summarize these."},
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0xLjQK","filename":"report.pdf"}},
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0xLjcK"}},
      {"type":"file","file":{"file_data":"data:text/plain;base64,aGVsbG8=","filename":"notes.txt"}},
      {"type":"file","file":{"file_id":"file-abc123"}},
      {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}},
      {"type":"image_url","image_url":{"url":"ftp://example.com/a.png"}}]},
    {"role":"assistant","content":"ok"}]})", "messages"), R"([
    {"role":"user","content":[
      {"type":"text","text":"Summarize these."},
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQK"},"title":"report.pdf"},
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjcK"}}]},
    {"role":"assistant","content":[{"type":"text","text":"ok"}]}])"));
}

// OpenRouter lets OpenAI-format callers mark content parts for Anthropic's prompt cache.
TEST(Anthropic, CacheControlMarkersAreKept) {
  json::Document body = body_of(R"({"messages":[
    {"role":"system","content":[{"type":"text","text":"Be brief."},
      {"type":"text","text":"You are a helpful assistant with this whole book: ...","cache_control":{"type":"ephemeral"}}]},
    {"role":"user","content":[{"type":"text","text":"What happens in chapter 3?","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]})");
  EXPECT_TRUE(same_json(dump(body["system"]), R"([{"type":"text","text":"Be brief."},
      {"type":"text","text":"You are a helpful assistant with this whole book: ...","cache_control":{"type":"ephemeral"}}])"));
  EXPECT_TRUE(same_json(dump(body["messages"]), R"([{"role":"user","content":[
      {"type":"text","text":"What happens in chapter 3?","cache_control":{"type":"ephemeral","ttl":"1h"}}]}])"));
}

TEST(Anthropic, UserIdComesFromUserOrMetadata) {
  EXPECT_EQ(member(with(R"("metadata":{"user_id":"from-metadata","team":"a"})"), "metadata"), R"({"user_id":"from-metadata"})");
  EXPECT_EQ(member(with(R"("metadata":{"user_id":"from-metadata"},"user":"from-user")"), "metadata"), R"({"user_id":"from-user"})");
  EXPECT_EQ(member(with(R"("metadata":{"team":"a"})"), "metadata"), "");
}

// ---------------------------------------------------------------------------------------
// Extras and overrides

TEST(Anthropic, OnlyAnthropicExtrasArePassed) {
  json::Document body = body_of(with(R"(
    "store": true, "service_tier": "auto", "prediction": {"type": "content", "content": "x"}, "top_k": 5,
    "container": "container_011CPR5CNjB747bTd36fQLFk",
    "mcp_servers": [{"type": "url", "url": "https://mcp.example.com/sse", "name": "example"}],
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
    "inference_geo": "us", "cache_control": {"type": "ephemeral"}, "output_config": {"effort": "medium"},
    "modalities": ["text"], "system": "sneaky", "web_search_options": {}, "verbosity": "low")"));
  EXPECT_TRUE(same_json(dump(body), R"({"model":"m","max_tokens":4096,
    "messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],
    "top_k":5, "service_tier":"auto", "container":"container_011CPR5CNjB747bTd36fQLFk",
    "mcp_servers":[{"type":"url","url":"https://mcp.example.com/sse","name":"example"}],
    "context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},
    "inference_geo":"us", "cache_control":{"type":"ephemeral"}, "output_config":{"effort":"medium"}})"));

  // OpenAI's service tiers mean something else: not passed.
  EXPECT_EQ(member(with(R"("service_tier":"flex")"), "service_tier"), "");
  EXPECT_EQ(member(with(R"("service_tier":"standard_only")"), "service_tier"), R"("standard_only")");
  // An extra named twice is sent once (the first).
  json::Document arena = parse(R"(["b"])");
  EnvelopePtr env = chat_request(with(R"("container":"a")"));
  env->request.extras.emplace_back("container", &arena[0]);
  EXPECT_EQ(dump(body_of(env->request)["container"]), R"("a")");
}

TEST(Anthropic, OverridesReachEveryTranslatedField) {
  json::Document body = body_of(with(""), {{"reasoning_effort", R"("medium")"}, {"top_k", "3"}, {"service_tier", R"("auto")"}});
  EXPECT_EQ(dump(body["thinking"]), R"({"type":"enabled","budget_tokens":4096})");
  EXPECT_EQ(body["max_tokens"].GetInt(), 5120);
  EXPECT_FALSE(body.HasMember("top_k"));  // not with thinking
  EXPECT_STREQ(body["service_tier"].GetString(), "auto");

  body = body_of(with(R"("service_tier":"auto")"),
                 {{"top_k", "3"}, {"stop", R"(["END"])"}, {"max_tokens", "not json"}, {"service_tier", R"("standard_only")"}});
  EXPECT_EQ(body["top_k"].GetInt(), 3);
  EXPECT_EQ(dump(body["stop_sequences"]), R"(["END"])");
  EXPECT_EQ(body["max_tokens"].GetInt(), 4096);
  EXPECT_STREQ(body["service_tier"].GetString(), "standard_only");
}

}  // namespace
}  // namespace sy::providers::anthropic
