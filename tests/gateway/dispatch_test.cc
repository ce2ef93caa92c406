// Dispatch by route (src/gateway/dispatch.cc): model requests through their ingress codec, the
// model list, stats and metrics, services, and what is not built yet.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {

TEST_F(EngineTest, ServicesFillTemplates) {
  configure(kEchoConfig);
  auto actions = submit(R"({"name": "Ada"})", "/v1/services/greet");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].status, 200u);
  auto body = parse(actions[0].body);
  EXPECT_STREQ(body["text"].GetString(), "Say hello to Ada");
  EXPECT_STREQ(body["model"].GetString(), "echo-1");
  EXPECT_TRUE(body["usage"].IsObject());
  auto missing = submit(R"({"nom": "Ada"})", "/v1/services/greet");
  EXPECT_EQ(missing[0].status, 400u);
  EXPECT_STREQ(parse(missing[0].body)["error"]["param"].GetString(), "name");
  EXPECT_EQ(submit("{}", "/v1/services/nope")[0].status, 404u);
}

TEST_F(EngineTest, TheModelListShowsWhatTheKeyMayUse) {
  configure(R"({"providers": {"e": {"type": "echo"}},
                "models": {"fast": {"targets": [{"provider": "e", "model": "e1"}]}, "slow": {"targets": [{"provider": "e", "model": "e2"}]}},
                "keys": {"sk-a": {"models": ["fast", "e/e1"]}, "sk-all": {}}})");
  auto ids = [&](std::string key) {
    std::vector<std::string> out;
    auto list = parse(submit("", "/v1/models", "authorization: Bearer " + key + "\n", "GET")[0].body);
    for (auto& m : list["data"].GetArray()) out.push_back(m["id"].GetString());
    return out;
  };
  EXPECT_EQ(ids("sk-a"), (std::vector<std::string>{"fast", "e/e1"}));
  EXPECT_EQ(ids("sk-all"), (std::vector<std::string>{"fast", "slow", "e/e1", "e/e2"}));
}

TEST_F(EngineTest, OneModelByIdEvenWithSlashes) {
  configure(R"({"providers": {"e": {"type": "echo"}},
                "models": {"fast": {"targets": [{"provider": "e", "model": "org/e1"}]}},
                "keys": {"sk-a": {"models": ["fast"]}, "sk-all": {}}})");
  std::string all = "authorization: Bearer sk-all\n";
  auto plain = submit("", "/v1/models/e/org/e1", all, "GET")[0];
  ASSERT_EQ(plain.status, 200u);
  auto entry = parse(plain.body);
  EXPECT_STREQ(entry["id"].GetString(), "e/org/e1");
  EXPECT_STREQ(entry["object"].GetString(), "model");
  EXPECT_STREQ(entry["owned_by"].GetString(), "switchyard");
  EXPECT_EQ(submit("", "/v1/models/e%2Forg%2Fe1", all, "GET")[0].status, 200u);  // encoded as newer SDKs do
  EXPECT_EQ(submit("", "/v1/models/fast", all, "GET")[0].status, 200u);
  auto hidden = submit("", "/v1/models/e/org/e1", "authorization: Bearer sk-a\n", "GET")[0];
  EXPECT_EQ(hidden.status, 404u);  // listed for sk-all only
  auto error = parse(hidden.body)["error"].GetObject();
  EXPECT_STREQ(error["code"].GetString(), "model_not_found");
  EXPECT_STREQ(error["param"].GetString(), "model");
  EXPECT_EQ(submit("", "/v1/models/e/org/e1", all, "POST")[0].status, 405u);
}

TEST_F(EngineTest, StatsAndMetrics) {
  configure(kEchoConfig);
  submit(R"({"model": "default", "messages": [{"role": "user", "content": "hi"}]})");
  auto stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  EXPECT_STREQ(stats["targets"][0]["target"].GetString(), "echo/echo-1");
  EXPECT_EQ(stats["targets"][0]["requests"].GetInt(), 1);
  auto metrics = submit("", "/metrics", "", "GET")[0];
  EXPECT_EQ(header(metrics, "content-type"), "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body.find("switchyard_upstream_attempts_total{target=\"echo/echo-1\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("switchyard_requests_total{target=\"echo/echo-1\",status=\"2xx\",cache=\"bypass\"} 1\n"),
            std::string::npos)
      << metrics.body;
}

TEST_F(EngineTest, ChecksBeforeTheExchange) {
  configure(R"({"providers": {"e": {"type": "echo"}, "a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
                "keys": {"sk-a": {"budget_usd": 0.000001}}})");
  std::string a = "authorization: Bearer sk-a\n";
  auto bad_prefs = submit(R"({"model": "e/x", "provider": {"only": "a"}, "messages": [{"role": "user", "content": "x"}]})",
                          "/v1/chat/completions", a);
  EXPECT_EQ(bad_prefs[0].status, 400u);
  EXPECT_STREQ(parse(bad_prefs[0].body)["error"]["param"].GetString(), "provider.only");
  auto unknown = submit("", "/v1/models?provider=zz", a, "GET");
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_STREQ(parse(unknown[0].body)["error"]["param"].GetString(), "provider");
  auto pipeline = submit("{}", "/v1/pipelines/any", a);  // tests/gateway/pipelines_test.cc runs them
  EXPECT_EQ(pipeline[0].status, 404u);
  EXPECT_STREQ(parse(pipeline[0].body)["error"]["code"].GetString(), "pipeline_not_found");
}

// The (event, data) pairs of an SSE text.
std::vector<std::pair<std::string, std::string>> sse_events(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> events;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find("\n\n", at);
    if (end == std::string::npos) end = text.size();
    std::string block = text.substr(at, end - at), name, data;
    for (size_t line = 0; line < block.size();) {
      size_t stop = block.find('\n', line);
      if (stop == std::string::npos) stop = block.size();
      std::string l = block.substr(line, stop - line);
      if (l.rfind("event: ", 0) == 0) name = l.substr(7);
      if (l.rfind("data: ", 0) == 0) data = l.substr(6);
      line = stop + 1;
    }
    if (!block.empty()) events.emplace_back(name, data);
    at = end + 2;
  }
  return events;
}

// ---- the Anthropic Messages API ----------------------------------------------------------------

constexpr const char* kMessages = R"({"model": "default", "max_tokens": 64,
  "system": "You are a scientist", "messages": [{"role": "user", "content": "Hello, Claude"}]})";

// POST /v1/messages/count_tokens: answered by the gateway itself with the core's estimate (the
// one limits and budgets use), after the same checks as /v1/messages; errors in Anthropic's shape.
TEST_F(EngineTest, CountTokens) {
  configure(R"({"providers": {"echo": {"type": "echo"}},
                "models": {"default": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
                "keys": {"sk-a": {"models": ["other"]}, "sk-all": {}}})");
  std::string all = "x-api-key: sk-all\nanthropic-version: 2023-06-01\ncontent-type: application/json\n";
  auto counted = submit(R"({"model": "default", "system": "You are a scientist",
                            "messages": [{"role": "user", "content": "Hello, Claude"}]})",
                        "/v1/messages/count_tokens", all);
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_EQ(counted[0].status, 200u);
  EXPECT_EQ(counted[0].body, R"({"input_tokens":17})");  // (4 + 5) + (4 + 4): two messages of 19 and 13 characters
  auto bad = submit(R"({"model": "default", "messages": [{"role": "user", "content": [{"type": "image"}]}]})",
                    "/v1/messages/count_tokens", all);
  EXPECT_EQ(bad[0].status, 400u);
  auto error = parse(bad[0].body);
  EXPECT_STREQ(error["type"].GetString(), "error");
  EXPECT_STREQ(error["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_STREQ(error["error"]["param"].GetString(), "messages[0].content[0].source.type");
  auto denied = submit(kMessages, "/v1/messages/count_tokens", "x-api-key: sk-a\n");
  EXPECT_EQ(denied[0].status, 403u);
  EXPECT_STREQ(parse(denied[0].body)["error"]["type"].GetString(), "permission_error");
  auto anonymous = submit(kMessages, "/v1/messages/count_tokens", kJson);
  EXPECT_EQ(anonymous[0].status, 401u);
  EXPECT_STREQ(parse(anonymous[0].body)["error"]["type"].GetString(), "authentication_error");
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, MessagesAnsweredByEcho) {
  configure(kEchoConfig);
  auto whole = submit(kMessages, "/v1/messages");
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].status, 200u);
  auto message = parse(whole[0].body);
  EXPECT_EQ(std::string(message["id"].GetString()).rfind("msg_", 0), 0u);
  EXPECT_STREQ(message["type"].GetString(), "message");
  EXPECT_STREQ(message["role"].GetString(), "assistant");
  EXPECT_STREQ(message["model"].GetString(), "echo-1");
  EXPECT_STREQ(message["content"][0]["type"].GetString(), "text");
  EXPECT_STREQ(message["content"][0]["text"].GetString(), "Hello, Claude");
  EXPECT_STREQ(message["stop_reason"].GetString(), "end_turn");
  EXPECT_TRUE(message["usage"]["input_tokens"].IsInt());
  // The SDKs' beta namespace (Claude Code's) adds ?beta=true.
  auto beta = submit(kMessages, "/v1/messages?beta=true", "x-api-key: any\nanthropic-beta: interleaved-thinking-2025-05-14\n");
  EXPECT_EQ(beta[0].status, 200u);
  EXPECT_STREQ(parse(beta[0].body)["type"].GetString(), "message");

  std::string streamed = R"({"model": "default", "max_tokens": 64, "stream": true,
                             "messages": [{"role": "user", "content": "Hello, Claude"}]})";
  auto events = submit(streamed, "/v1/messages");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(header(events[0], "content-type"), "text/event-stream");
  std::string text = chunks(events);
  EXPECT_EQ(text.rfind("event: message_start\ndata: {\"type\":\"message_start\"", 0), 0u) << text;
  EXPECT_NE(text.find("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                      "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello, \"}}"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.substr(text.size() - 51), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  EXPECT_NE(find(events, ActionKind::stream_end), nullptr);
}

// An Anthropic target is sent the caller's own body (model replaced) and answers with its own
// Message; a cache hit is the same answer in this format, rendered from the stored form.
TEST_F(EngineTest, MessagesToAnAnthropicTargetPassThrough) {
  configure(R"({"providers": {"claude": {"type": "anthropic", "base_url": "http://anthropic.test/v1", "api_key": "sk-ant-secret"}},
                "models": {"smart": {"targets": [{"provider": "claude", "model": "claude-sonnet-4-20250514"}]}},
                "cache": {"enabled": true}})");
  const char* body = R"({"model": "smart", "max_tokens": 1024,
    "system": [{"type": "text", "text": "Policy.", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "Greet.", "signature": "EqQBCgIYAhIM"}, {"type": "text", "text": "Hello!"}]},
      {"role": "user", "content": "How are you?"}]})";
  auto actions = submit(body, "/v1/messages", "x-api-key: caller-key\nanthropic-version: 2023-06-01\nanthropic-beta: x\n");
  ASSERT_EQ(actions.size(), 1u);
  const Action& f = actions[0];
  EXPECT_EQ(f.url, "http://anthropic.test/v1/messages");
  EXPECT_EQ(header(f, "x-api-key"), "sk-ant-secret");
  EXPECT_EQ(header(f, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header(f, "anthropic-beta"), "") << "caller headers never reach the upstream";
  EXPECT_EQ(f.body.find("\"model\":\"claude-sonnet-4-20250514\""), 1u);
  EXPECT_NE(f.body.find(R"({"type": "thinking", "thinking": "Greet.", "signature": "EqQBCgIYAhIM"})"), std::string::npos);
  EXPECT_NE(f.body.find(R"("cache_control": {"type": "ephemeral"})"), std::string::npos);
  const char* upstream = R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",)"
                         R"("content":[{"type":"thinking","thinking":"Answer kindly.","signature":"ErUBCkYIBxgCIkB"},)"
                         R"({"type":"text","text":"Fine, thanks!"}],"stop_reason":"end_turn","stop_sequence":null,)"
                         R"("usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":30,"output_tokens":6}})";
  auto done = answer(f.id, 200, upstream);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status, 200u);
  EXPECT_EQ(done[0].body, upstream);
  EXPECT_EQ(header(done[0], "x-switchyard-cache"), "MISS");
  auto hit = submit(body, "/v1/messages");
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  auto message = parse(hit[0].body);
  EXPECT_STREQ(message["type"].GetString(), "message");
  EXPECT_EQ(std::string(message["id"].GetString()).rfind("msg_", 0), 0u);
  EXPECT_STREQ(message["content"][0]["signature"].GetString(), "ErUBCkYIBxgCIkB");
  EXPECT_STREQ(message["content"][1]["text"].GetString(), "Fine, thanks!");
  EXPECT_EQ(message["usage"]["input_tokens"].GetInt(), 12);
  EXPECT_EQ(message["usage"]["cache_read_input_tokens"].GetInt(), 30);
}

constexpr const char* kOverloadedEarly =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"claude-sonnet-4-20250514\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

constexpr const char* kClaudeStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"claude-sonnet-4-20250514\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi!\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

// A stream from an Anthropic target reaches the caller as sent; an overloaded error right after
// message_start still fails over to the next target (nothing was handed on yet).
TEST_F(EngineTest, MessagesStreamsPassThroughAndFailOverEarly) {
  configure(R"({"providers": {"c1": {"type": "anthropic", "base_url": "http://one.test/v1", "api_key": "k1"},
                              "c2": {"type": "anthropic", "base_url": "http://two.test/v1", "api_key": "k2"}},
                "retry": {"attempts": 0},
                "models": {"smart": {"strategy": "fallback", "targets": [{"provider": "c1", "model": "claude-a"},
                                                                          {"provider": "c2", "model": "claude-b"}]}}})");
  auto first = submit(R"({"model": "smart", "max_tokens": 64, "stream": true, "messages": [{"role": "user", "content": "Hi"}]})",
                      "/v1/messages");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(first[0].body.find("\"stream\":true"), std::string::npos);
  engine.fetch_response(first[0].id, 200, "content-type: text/event-stream\n", now);
  take();
  engine.fetch_body(first[0].id, kOverloadedEarly, now);
  auto retried = take();
  EXPECT_EQ(find(retried, ActionKind::respond), nullptr) << "nothing reached the caller";
  const Action* second = find(retried, ActionKind::fetch);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->url, "http://two.test/v1/messages");
  engine.fetch_response(second->id, 200, "content-type: text/event-stream\n", now);
  std::vector<Action> out = take();
  engine.fetch_body(second->id, kClaudeStream, now);
  for (auto& a : take()) out.push_back(a);
  EXPECT_EQ(header(*find(out, ActionKind::respond), "x-switchyard-target"), "c2/claude-b");
  EXPECT_EQ(chunks(out), kClaudeStream) << "every event as sent, ping included";
  EXPECT_NE(find(out, ActionKind::stream_end), nullptr);
}

// Anthropic's server tools run only at Anthropic: other targets are skipped, and with none left
// the request is refused naming the field.
TEST_F(EngineTest, MessagesWithServerToolsNeedAnAnthropicTarget) {
  configure(kEchoConfig);
  auto refused = submit(R"({"model": "default", "max_tokens": 64, "messages": [{"role": "user", "content": "news?"}],
                            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]})",
                        "/v1/messages");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status, 400u);
  auto error = parse(refused[0].body);
  EXPECT_STREQ(error["type"].GetString(), "error");
  EXPECT_STREQ(error["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_STREQ(error["error"]["param"].GetString(), "tools");
  EXPECT_STREQ(error["error"]["message"].GetString(), "no target of \"default\" runs the server tools the request declares");
}


// ---- any target answers /v1/messages through the canonical model ---------------------------------

// The reference's tool round trip (system blocks, an image, thinking, stop_sequences,
// metadata.user_id) sent by a caller holding a gateway key in x-api-key to an OpenAI-compatible
// target: the upstream gets its own chat request, the caller a Message with a tool_use block.
TEST_F(EngineTest, MessagesThroughAnOpenAITarget) {
  configure(R"({"providers": {"oa": {"type": "openai-compatible", "base_url": "http://oa.test/v1", "api_key": "sk-up"}},
                "models": {"smart": {"targets": [{"provider": "oa", "model": "gpt-4.1"}]}},
                "keys": {"sk-caller": {}}})");
  const char* body = R"({"model": "smart", "max_tokens": 512, "stop_sequences": ["###"],
    "metadata": {"user_id": "user-7"}, "thinking": {"type": "enabled", "budget_tokens": 2048},
    "system": [{"type": "text", "text": "You are a weather bot.", "cache_control": {"type": "ephemeral"}}],
    "tools": [{"name": "get_weather", "description": "Get the current weather in a given location",
               "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}],
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "Weather where this was taken?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
      {"role": "assistant", "content": [{"type": "thinking", "thinking": "Paris.", "signature": "EqQBCgIYAhIM"},
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "Paris"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"}]}]})";
  std::string headers = "x-api-key: sk-caller\nanthropic-version: 2023-06-01\ncontent-type: application/json\n";
  auto actions = submit(body, "/v1/messages", headers);
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].kind, ActionKind::fetch);
  EXPECT_EQ(actions[0].url, "http://oa.test/v1/chat/completions");
  EXPECT_EQ(header(actions[0], "authorization"), "Bearer sk-up");
  auto sent = parse(actions[0].body);
  EXPECT_STREQ(sent["model"].GetString(), "gpt-4.1");
  EXPECT_EQ(sent["max_tokens"].GetInt(), 512);
  EXPECT_STREQ(sent["stop"][0].GetString(), "###");
  EXPECT_STREQ(sent["user"].GetString(), "user-7");
  auto& turns = sent["messages"];
  ASSERT_EQ(turns.Size(), 4u);
  EXPECT_STREQ(turns[0]["role"].GetString(), "system");
  EXPECT_STREQ(turns[0]["content"].GetString(), "You are a weather bot.");
  EXPECT_STREQ(turns[1]["content"][1]["image_url"]["url"].GetString(), "data:image/png;base64,iVBORw0KGgo=");
  EXPECT_STREQ(turns[2]["tool_calls"][0]["id"].GetString(), "toolu_01A09q90qw90lq917835lq9");
  EXPECT_STREQ(turns[2]["tool_calls"][0]["function"]["arguments"].GetString(), R"({"location":"Paris"})");
  EXPECT_STREQ(turns[3]["role"].GetString(), "tool");
  EXPECT_STREQ(turns[3]["tool_call_id"].GetString(), "toolu_01A09q90qw90lq917835lq9");
  EXPECT_STREQ(turns[3]["content"].GetString(), "15 degrees");
  EXPECT_STREQ(sent["tools"][0]["function"]["parameters"]["required"][0].GetString(), "location");
  EXPECT_EQ(actions[0].body.find("signature"), std::string::npos) << "thinking stays with Anthropic targets";

  auto done = answer(actions[0].id, 200, R"({"id": "chatcmpl-B9", "object": "chat.completion", "created": 1741570283,
    "model": "gpt-4.1-2025-04-14", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
      "content": "Checking London too.", "tool_calls": [{"id": "call_Dn2R", "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"location\": \"London\"}"}}]}}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
              "prompt_tokens_details": {"cached_tokens": 64}}})");
  const Action* respond = find(done, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 200u);
  auto message = parse(respond->body);
  EXPECT_STREQ(message["type"].GetString(), "message");
  EXPECT_STREQ(message["role"].GetString(), "assistant");
  ASSERT_EQ(message["content"].Size(), 2u);
  EXPECT_STREQ(message["content"][0]["type"].GetString(), "text");
  EXPECT_STREQ(message["content"][0]["text"].GetString(), "Checking London too.");
  EXPECT_STREQ(message["content"][1]["type"].GetString(), "tool_use");
  EXPECT_STREQ(message["content"][1]["id"].GetString(), "call_Dn2R");
  EXPECT_STREQ(message["content"][1]["name"].GetString(), "get_weather");
  EXPECT_STREQ(message["content"][1]["input"]["location"].GetString(), "London");
  EXPECT_STREQ(message["stop_reason"].GetString(), "tool_use");
  EXPECT_TRUE(message["stop_sequence"].IsNull());
  // Anthropic counts cached prompt tokens apart from input_tokens.
  EXPECT_EQ(message["usage"]["input_tokens"].GetInt(), 18);
  EXPECT_EQ(message["usage"]["cache_read_input_tokens"].GetInt(), 64);
  EXPECT_EQ(message["usage"]["output_tokens"].GetInt(), 17);
}


// A Gemini target streaming a thought, text and a function call: the caller gets Anthropic's
// event sequence, thinking_delta and input_json_delta included, usage in message_delta.
TEST_F(EngineTest, MessagesStreamFromAGeminiTarget) {
  configure(R"({"providers": {"g": {"type": "gemini", "base_url": "http://g.test/v1beta", "api_key": "g-key"}},
                "models": {"smart": {"targets": [{"provider": "g", "model": "gemini-2.5-flash"}]}}})");
  auto actions = submit(R"({"model": "smart", "max_tokens": 1024, "stream": true,
    "thinking": {"type": "enabled", "budget_tokens": 1024}, "stop_sequences": ["END"],
    "tools": [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "messages": [{"role": "user", "content": "Weather in Paris?"}]})",
                        "/v1/messages");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].url, "http://g.test/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  auto sent = parse(actions[0].body);
  EXPECT_EQ(sent["generationConfig"]["thinkingConfig"]["thinkingBudget"].GetInt(), 1024);
  EXPECT_STREQ(sent["generationConfig"]["stopSequences"][0].GetString(), "END");
  EXPECT_STREQ(sent["tools"][0]["functionDeclarations"][0]["name"].GetString(), "get_weather");
  engine.fetch_response(actions[0].id, 200, "content-type: text/event-stream\n", now);
  std::vector<Action> out = take();
  engine.fetch_body(actions[0].id,
      "data: {\"candidates\": [{\"content\": {\"role\": \"model\", \"parts\": [{\"text\": \"The user wants Paris.\", \"thought\": true}]}}]}\r\n\r\n"
      "data: {\"candidates\": [{\"content\": {\"role\": \"model\", \"parts\": [{\"text\": \"Let me check.\"}]}}]}\r\n\r\n"
      "data: {\"candidates\": [{\"content\": {\"role\": \"model\", \"parts\": [{\"functionCall\": {\"name\": \"get_weather\", "
      "\"args\": {\"city\": \"Paris\"}}, \"thoughtSignature\": \"CiQBjz1rX0sig1\"}]}, \"finishReason\": \"STOP\"}], "
      "\"usageMetadata\": {\"promptTokenCount\": 40, \"candidatesTokenCount\": 30, \"thoughtsTokenCount\": 12, \"totalTokenCount\": 82}}\r\n\r\n",
      now);
  for (auto& a : take()) out.push_back(a);
  engine.fetch_end(actions[0].id, now);
  for (auto& a : take()) out.push_back(a);
  std::vector<std::string> names, deltas;
  std::vector<json::Document> data;
  for (const auto& [name, payload] : sse_events(chunks(out))) {
    names.push_back(name);
    data.push_back(parse(payload));
    EXPECT_EQ(name, data.back()["type"].GetString()) << "the event name is the data's type";
    if (name == "content_block_delta") deltas.push_back(data.back()["delta"]["type"].GetString());
  }
  std::vector<std::string> expected = {"message_start"};
  for (int block = 0; block < 4; ++block)
    for (const char* name : {"content_block_start", "content_block_delta", "content_block_stop"}) expected.push_back(name);
  expected.insert(expected.end(), {"message_delta", "message_stop"});
  EXPECT_EQ(names, expected);
  EXPECT_EQ(deltas, (std::vector<std::string>{"thinking_delta", "text_delta", "signature_delta", "input_json_delta"}));
  ASSERT_EQ(data.size(), expected.size());
  EXPECT_STREQ(data[0]["message"]["model"].GetString(), "gemini-2.5-flash");
  EXPECT_STREQ(data[2]["delta"]["thinking"].GetString(), "The user wants Paris.");
  EXPECT_STREQ(data[5]["delta"]["text"].GetString(), "Let me check.");
  EXPECT_STREQ(data[8]["delta"]["signature"].GetString(), "CiQBjz1rX0sig1") << "Gemini's thought signature, for the next turn";
  EXPECT_STREQ(data[10]["content_block"]["name"].GetString(), "get_weather");
  EXPECT_STREQ(data[11]["delta"]["partial_json"].GetString(), R"({"city":"Paris"})");
  EXPECT_STREQ(data[13]["delta"]["stop_reason"].GetString(), "tool_use");
  EXPECT_EQ(data[13]["usage"]["input_tokens"].GetInt(), 40);
  EXPECT_EQ(data[13]["usage"]["output_tokens"].GetInt(), 42) << "thoughts count as output";
  EXPECT_NE(find(out, ActionKind::stream_end), nullptr);
}


// Every error on /v1/messages is in Anthropic's shape: the body's, the key's, the model's, an
// upstream's, and one that ends a stream already under way (an `error` event, in band).
TEST_F(EngineTest, MessagesErrorsInAnthropicsShape) {
  configure(R"({"providers": {"oa": {"type": "openai-compatible", "base_url": "http://oa.test/v1"}},
                "retry": {"attempts": 0},
                "models": {"smart": {"targets": [{"provider": "oa", "model": "m"}]}},
                "keys": {"sk-caller": {}}})");
  std::string key = "x-api-key: sk-caller\nanthropic-version: 2023-06-01\n";
  auto error_of = [&](const Action& a) {
    auto body = parse(a.body);
    EXPECT_STREQ(body["type"].GetString(), "error") << a.body;
    return std::string(body["error"]["type"].GetString());
  };
  auto no_max = submit(R"({"model": "smart", "messages": [{"role": "user", "content": "Hi"}]})", "/v1/messages", key);
  EXPECT_EQ(no_max[0].status, 400u);
  EXPECT_EQ(error_of(no_max[0]), "invalid_request_error");
  EXPECT_STREQ(parse(no_max[0].body)["error"]["param"].GetString(), "max_tokens");
  auto stranger = submit(kMessages, "/v1/messages", "x-api-key: sk-nobody\nanthropic-version: 2023-06-01\n");
  EXPECT_EQ(stranger[0].status, 401u);
  EXPECT_EQ(error_of(stranger[0]), "authentication_error");
  auto unknown = submit(R"({"model": "nope", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]})", "/v1/messages", key);
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_EQ(error_of(unknown[0]), "not_found_error");
  EXPECT_STREQ(parse(unknown[0].body)["error"]["param"].GetString(), "model") << "our members kept beside Anthropic's";

  const char* hi = R"({"model": "smart", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]})";
  auto limited = submit(hi, "/v1/messages", key);
  ASSERT_EQ(limited.size(), 1u);
  auto refused = answer(limited[0].id, 429, R"({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})");
  const Action* respond = find(refused, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 429u);
  EXPECT_EQ(error_of(*respond), "rate_limit_error");
  EXPECT_STREQ(parse(respond->body)["error"]["code"].GetString(), "rate_limit_exceeded");

  auto streamed = submit(R"({"model": "smart", "max_tokens": 8, "stream": true, "messages": [{"role": "user", "content": "Hi"}]})",
                         "/v1/messages", key);
  ASSERT_EQ(streamed.size(), 1u);
  engine.fetch_response(streamed[0].id, 200, "content-type: text/event-stream\n", now);
  std::vector<Action> out = take();
  engine.fetch_body(streamed[0].id,
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    "\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
                    now);
  for (auto& a : take()) out.push_back(a);
  engine.fetch_error(streamed[0].id, "connection reset", now);
  for (auto& a : take()) out.push_back(a);
  auto events = sse_events(chunks(out));
  ASSERT_EQ(events.size(), 4u) << chunks(out);
  EXPECT_EQ(events[0].first, "message_start");
  EXPECT_EQ(events[2].first, "content_block_delta");
  EXPECT_EQ(events[3].first, "error");
  auto error = parse(events[3].second);
  EXPECT_STREQ(error["type"].GetString(), "error");
  EXPECT_STREQ(error["error"]["type"].GetString(), "api_error");
  EXPECT_NE(std::string(error["error"]["message"].GetString()).find("connection reset"), std::string::npos);
  EXPECT_NE(find(out, ActionKind::stream_end), nullptr);
  EXPECT_EQ(engine.in_flight(), 0u);
}

}  // namespace
}  // namespace sy::engine
