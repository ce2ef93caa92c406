// The Anthropic codec's same-format fast path (anthropic_forward.cc, and the raw answers and
// events of anthropic.cc): a caller of Anthropic's Messages API is sent to an Anthropic target
// with minimal edits and gets the upstream's own answer and events back. Requests are read by the
// Messages ingress itself; payloads follow Anthropic's API reference (prompt caching, extended
// thinking with tool use, web search, streaming).
#include "providers/anthropic_forward.h"

#include "ingress/anthropic_messages.h"
#include "providers/anthropic.h"
#include "wire_test_util.h"

namespace sy::providers::anthropic {
namespace {

using namespace test;

config::Provider provider() {
  config::Provider p = make_provider(config::ProviderType::anthropic, "https://api.anthropic.com/v1", "2023-06-01");
  p.headers = {{"anthropic-beta", "interleaved-thinking-2025-05-14"}};
  return p;
}
const config::Provider kProvider = provider();

// A request read from a Messages body by the Messages ingress.
EnvelopePtr messages_request(std::string_view body) {
  auto env = std::make_unique<model::Envelope>();
  env->text = body;
  Error error;
  EXPECT_TRUE(ingress::anthropic_messages::kCodec.decode(*env, {empty_config(), {}}, error)) << error.message;
  return env;
}

DecodeContext ctx(const model::Request& request) { return DecodeContext{kProvider, "m", request}; }

// Prompt caching, a signed thinking turn with a tool round trip, a server tool, Switchyard's
// routing members, and whitespace that a splice keeps.
constexpr const char* kBody = R"({
  "model": "smart",
  "models": ["smart", "fallback"],
  "max_tokens": 16000,
  "system": [{"type": "text", "text": "You are a travel agent."},
             {"type": "text", "text": "<a long policy document>", "cache_control": {"type": "ephemeral"}}],
  "thinking": {"type": "enabled", "budget_tokens": 10000},
  "tools": [{"name": "get_weather", "description": "Get the current weather",
             "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
             "cache_control": {"type": "ephemeral"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}],
  "messages": [
    {"role": "user", "content": "What's the weather in Paris?"},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "I should call get_weather.", "signature": "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV9Ve4kVWJdd9oqjjvfvwWwNtCi2IggmjQdKjodBqDRj+8Cek6E+HSxd+RkXUg6JhhGPoCCUhSMHqtx6b0/7zSo6QLdy+dGHzl6XGEh0IEsXtXSqhH9NWqZNWm3jVXtHhwlOANa7OU="},
      {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18°C, sunny"}]}
  ],
  "provider": {"sort": "price"},
  "switchyard": {"cache": "no-store"},
  "session_id": "s-1",
  "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
  "stream": false
})";

TEST(AnthropicForward, TheCallersBodyWithMinimalEdits) {
  EnvelopePtr env = messages_request(kBody);
  auto e = encode(kCodec, kProvider, "claude-sonnet-4-20250514", env->request);
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://api.anthropic.com/v1/messages");
  // Anthropic's headers come from the provider's config, never from the caller.
  EXPECT_EQ(e.request.headers,
            "content-type: application/json\nx-api-key: sk-test-secret-key\nanthropic-version: 2023-06-01\n"
            "anthropic-beta: interleaved-thinking-2025-05-14\n");
  std::string_view body = e.request.body;
  EXPECT_EQ(body.substr(0, 44), R"({"model":"claude-sonnet-4-20250514","max_tok)");
  for (const char* gone : {"\"models\"", "\"provider\"", "\"switchyard\"", "\"session_id\"", "\"stream\""})
    EXPECT_EQ(body.find(gone), std::string_view::npos) << gone;
  std::string text = kBody;
  // Values are the caller's text, byte for byte (their whitespace included).
  for (const char* kept : {"[{\"type\": \"text\", \"text\": \"You are a travel agent.\"},\n",
                           "\"signature\": \"EuYBCkQYAiJAgCs1le6", "{\"type\": \"web_search_20250305\", \"name\": \"web_search\", \"max_uses\": 3}",
                           "\"input\": {\"location\": \"Paris\"}}]},\n    {\"role\"", "18°C, sunny"}) {
    ASSERT_NE(text.find(kept), std::string::npos) << kept;
    EXPECT_NE(body.find(kept), std::string_view::npos) << kept;
  }
  EXPECT_TRUE(same_json(e.request.body, R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 16000,
    "system": [{"type": "text", "text": "You are a travel agent."},
               {"type": "text", "text": "<a long policy document>", "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 10000},
    "tools": [{"name": "get_weather", "description": "Get the current weather",
               "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
               "cache_control": {"type": "ephemeral"}},
              {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}],
    "messages": [
      {"role": "user", "content": "What's the weather in Paris?"},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "I should call get_weather.", "signature": "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV9Ve4kVWJdd9oqjjvfvwWwNtCi2IggmjQdKjodBqDRj+8Cek6E+HSxd+RkXUg6JhhGPoCCUhSMHqtx6b0/7zSo6QLdy+dGHzl6XGEh0IEsXtXSqhH9NWqZNWm3jVXtHhwlOANa7OU="},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18°C, sunny"}]}
    ],
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}
  })"));
}

TEST(AnthropicForward, StreamAsTheRequestAsks) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})");
  auto streaming = encode(kCodec, kProvider, "claude-x", env->request);
  EXPECT_TRUE(same_json(streaming.request.body,
                        R"({"model": "claude-x", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "stream": true})"));
  EXPECT_NE(streaming.request.headers.find("accept: text/event-stream\n"), std::string::npos);
  env->request.stream = false;
  auto whole = encode(kCodec, kProvider, "claude-x", env->request);
  EXPECT_EQ(whole.request.body, R"({"model":"claude-x","max_tokens":5,"messages":[{"role": "user", "content": "x"}]})");
}

TEST(AnthropicForward, OverridesUnderAnthropicsNames) {
  EnvelopePtr env = messages_request(
      R"({"model": "m", "max_tokens": 5, "temperature": 0.2, "top_k": 3, "messages": [{"role": "user", "content": "x"}]})");
  Overrides overrides = {{"temperature", "0.9"},     {"max_completion_tokens", "64"}, {"stop", "\"END\""},
                         {"top_k", "null"},          {"service_tier", "\"standard_only\""},
                         {"top_p", "not json"},      {"temperature", "0.5"},          {"model", "\"other\""},
                         {"top_p", "7"}};
  auto e = encode(kCodec, kProvider, "claude-x", env->request, overrides);
  EXPECT_EQ(e.request.body,
            R"({"model":"claude-x","max_tokens":64,"temperature":0.5,"messages":[{"role": "user", "content": "x"}],)"
            R"("stop_sequences":["END"],"service_tier":"standard_only"})");
  std::string body;
  EXPECT_TRUE(forward_body(EncodeInput{empty_config(), kProvider, "claude-x", env->request, {{"stop", R"(["a","b"])"}}}, body));
  EXPECT_TRUE(same_json(body, R"({"model":"claude-x","max_tokens":5,"temperature":0.2,"top_k":3,
      "messages":[{"role":"user","content":"x"}],"stop_sequences":["a","b"]})"));
}

// An override whose meaning only the translation gives Anthropic (reasoning_effort becomes a
// thinking budget): the request is translated from its canonical form instead.
TEST(AnthropicForward, OtherCanonicalOverridesTranslate) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 2000, "system": "Be brief.",
      "messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}]})");
  std::string body;
  EXPECT_FALSE(forward_body(EncodeInput{empty_config(), kProvider, "claude-x", env->request, {{"reasoning_effort", "\"medium\""}}}, body));
  auto e = encode(kCodec, kProvider, "claude-x", env->request, {{"reasoning_effort", "\"medium\""}});
  EXPECT_TRUE(same_json(e.request.body, R"({"model": "claude-x", "max_tokens": 5120, "system": "Be brief.",
      "messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}],
      "thinking": {"type": "enabled", "budget_tokens": 4096}})"));
  // Nothing to forward: no raw body.
  model::Request bare = env->request;
  bare.raw = {};
  EXPECT_FALSE(forward_body(EncodeInput{empty_config(), kProvider, "claude-x", bare, {}}, body));
}

// Keys written with escapes cannot be spliced: the body is re-serialized from its parse.
TEST(AnthropicForward, EscapedKeysAreReserialized) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
      "met\u0061data": {"user_id": "u-1"}, "stre\u0061m": true})");
  EXPECT_EQ(env->request.user, "u-1");
  EXPECT_TRUE(env->request.stream);
  auto e = encode(kCodec, kProvider, "claude-x", env->request);
  EXPECT_EQ(e.request.body,
            R"({"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u-1"},"stream":true})");
}

// ---- answers ----------------------------------------------------------------------------

constexpr const char* kAnswer = R"({
  "id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
  "content": [
    {"type": "thinking", "thinking": "The user is asking about Paris.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
    {"type": "server_tool_use", "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "name": "web_search", "input": {"query": "Paris weather"}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "content": []},
    {"type": "text", "text": "It is sunny.", "citations": null},
    {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {"location": "Paris"}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 100, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 1000, "output_tokens": 50}
})";

TEST(AnthropicForward, AnswersAreDecodedAndKeptAsSent) {
  EnvelopePtr env = messages_request(kBody);
  Decoded d = kCodec.decode(200, kAnswer, ctx(env->request));
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.raw_format, model::Format::anthropic_messages);
  EXPECT_EQ(d.answer.raw, kAnswer);
  EXPECT_FALSE(d.answer.summary) << "the cache stores the canonical answer";
  const model::Output& o = d.answer.outputs.at(0);
  EXPECT_EQ(o.text, "It is sunny.");
  ASSERT_EQ(o.reasoning.size(), 2u);
  EXPECT_EQ(o.reasoning[0].signature, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
  EXPECT_TRUE(o.reasoning[1].redacted);
  ASSERT_EQ(o.tool_calls.size(), 1u);
  EXPECT_EQ(o.tool_calls[0].arguments, R"({"location":"Paris"})");
  EXPECT_EQ(o.finish, model::Finish::tool_calls);
  EXPECT_EQ(d.answer.usage.prompt_tokens, 1120);
  EXPECT_EQ(d.answer.usage.cached_tokens, 1000);
  // A caller of another format gets no raw body of this one.
  EnvelopePtr openai = chat_request(R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  Decoded translated = kCodec.decode(200, kAnswer, ctx(openai->request));
  ASSERT_TRUE(translated.ok);
  EXPECT_TRUE(translated.answer.raw.empty());
  EXPECT_EQ(translated.answer.raw_format, model::Format::none);
  // Errors are errors whatever the caller's format.
  Decoded overloaded = kCodec.decode(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                                     ctx(env->request));
  EXPECT_FALSE(overloaded.ok);
  EXPECT_EQ(overloaded.outcome, health::Outcome::status_5xx);
}

// ---- streams ----------------------------------------------------------------------------

// Extended thinking with a tool call, as Anthropic streams it (ping and a future event type
// included).
constexpr const char* kStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"claude-sonnet-4-20250514\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,"
    "\"cache_read_input_tokens\":28,\"output_tokens\":2}}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Paris, so get_weather.\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_02\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"Paris\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: future_event\n"
    "data: {\"type\":\"future_event\"}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

// The data lines of `stream`, in order.
std::vector<std::string> data_lines(std::string_view stream) {
  std::vector<std::string> out;
  for (size_t at = stream.find("data: "); at != std::string_view::npos; at = stream.find("data: ", at + 1))
    out.emplace_back(stream.substr(at + 6, stream.find('\n', at) - at - 6));
  return out;
}

TEST(AnthropicForward, StreamEventsAreHandedOnAsSent) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})");
  auto r = run_stream(kCodec, ctx(env->request), kStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.raw, data_lines(kStream)) << "every event, ping and unknown ones included, in order";
  // message_start and ping were held back, then handed on (without canonical events) just
  // before the first content event.
  ASSERT_GE(r.groups.size(), 3u);
  EXPECT_EQ(r.groups[0], 0u);
  EXPECT_EQ(r.groups[1], 0u);
  // The canonical events are the same as for a caller of another format (the cache keeps them).
  EnvelopePtr openai = chat_request(R"({"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(r.events, run_stream(kCodec, ctx(openai->request), kStream).events);
  EXPECT_EQ(r.answer.outputs.at(0).reasoning.at(0).signature, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
  expect_split_invariant(kCodec, ctx(env->request), kStream);
}

// An error right after message_start hands nothing on: the exchange may still fail over.
TEST(AnthropicForward, AnEarlyErrorForwardsNothing) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})");
  std::string stream = kStream;
  std::string early = stream.substr(0, stream.find("event: content_block_start")) +
                      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  auto r = run_stream(kCodec, ctx(env->request), early);
  EXPECT_EQ(r.state, StreamDecoder::State::failed);
  EXPECT_EQ(r.outcome, health::Outcome::status_5xx);
  EXPECT_TRUE(r.groups.empty());
  // Later, the error event itself is not handed on: the exchange ends the stream with its own.
  std::string late = stream.substr(0, stream.find("event: message_delta")) +
                     "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  auto l = run_stream(kCodec, ctx(env->request), late);
  EXPECT_EQ(l.state, StreamDecoder::State::failed);
  EXPECT_EQ(l.raw.back(), R"({"type":"future_event"})");
  expect_split_invariant(kCodec, ctx(env->request), late);
}

TEST(AnthropicForward, StreamEdgeCases) {
  EnvelopePtr env = messages_request(R"({"model": "m", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})");
  // Data over several lines is handed on as one line; the key never appears.
  std::string multi =
      "event: message_start\ndata: {\"type\":\"message_start\",\ndata: \"message\":{\"id\":\"sk-test-secret-key\"}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\n"
      "data: \"content_block\":{\"type\":\"text\",\"text\":\"\\u0073k-test-secret-key\"}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  auto m = run_stream(kCodec, ctx(env->request), multi);
  EXPECT_EQ(m.state, StreamDecoder::State::done);
  ASSERT_EQ(m.raw.size(), 3u);
  EXPECT_EQ(m.raw[0], R"({"type":"message_start","message":{"id":"[redacted]"}})");
  EXPECT_EQ(m.raw[1], R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":"[redacted]"}})");
  // Held events are bounded: a stream of pings before any content is handed on past eight.
  std::string pings;
  for (int i = 0; i < 20; ++i) pings += "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  auto p = run_stream(kCodec, ctx(env->request), pings);
  EXPECT_EQ(p.state, StreamDecoder::State::open);
  EXPECT_EQ(p.raw.size(), 20u - 8u + 8u);
  EXPECT_EQ(p.raw.size(), p.groups.size());
}

}  // namespace
}  // namespace sy::providers::anthropic
