// The Messages ingress: the Message answer (anthropic_messages_answer.cc), from a canonical
// answer, from its stored form (cache hits), or as an Anthropic target sent it.
#include <gtest/gtest.h>

#include "ingress/anthropic_messages.h"
#include "ingress/anthropic_messages_impl.h"
#include "ingress/ingress_test_util.h"
#include "model/stored.h"

namespace sy::ingress::anthropic_messages {
namespace {

using testing::parse;

std::string dump(const json::Value& v) {
  std::string out;
  json::append_value(out, v);
  return out;
}

::testing::AssertionResult same_json(std::string_view actual, std::string_view expected) {
  json::Document a = parse(actual), e = parse(expected);
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << dump(a) << "\n  expected: " << dump(e);
}

// An answer with everything a Message can show: thinking (signed, redacted), text, tool calls.
model::Answer rich_answer() {
  model::Answer a;
  a.id = "chatcmpl-up";
  a.model = "claude-sonnet-4-20250514";
  a.provider = "claude";
  model::Output& o = a.outputs.emplace_back();
  o.reasoning.push_back({"Let me analyze this step by step...", "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve", false});
  o.reasoning.push_back({"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP", "", true});
  o.text = "I'll check the weather.";
  o.has_text = true;
  o.tool_calls.push_back({"toolu_01A09q90qw90lq917835lq9", "get_weather", R"({"location": "San Francisco, CA"})"});
  o.tool_calls.push_back({"", "get_time", "not json"});
  o.finish = model::Finish::tool_calls;
  a.usage = {true, 2095, 503, 2000, -1, 0.01};
  return a;
}

constexpr const char* kRichMessage = R"({
  "id": "msg_01ABC", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
  "content": [
    {"type": "thinking", "thinking": "Let me analyze this step by step...", "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve"},
    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
    {"type": "text", "text": "I'll check the weather."},
    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}},
    {"type": "tool_use", "id": "toolu_1", "name": "get_time", "input": {}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 95, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2000, "output_tokens": 503}
})";

Context context(std::string_view model = {}, const model::Request* request = nullptr) {
  Context ctx;
  ctx.request_id = "req_01ABC";
  ctx.created = 1700000000;
  ctx.model = model;
  ctx.request = request;
  return ctx;
}

TEST(AnthropicMessagesAnswer, FromTheCanonicalAnswer) {
  model::Answer a = rich_answer();
  std::string stored = model::stored::serialize(a, "req_01ABC", 1);
  EXPECT_TRUE(same_json(kCodec.answer(stored, &a, context()), kRichMessage));
}

// A cache hit has only the stored form (an OpenAI chat completion with OpenRouter's reasoning
// details): the same Message comes out, signatures included.
TEST(AnthropicMessagesAnswer, FromTheStoredForm) {
  model::Answer a = rich_answer();
  std::string stored = model::stored::serialize(a, "req_other", 1);
  EXPECT_TRUE(same_json(kCodec.answer(stored, nullptr, context()), kRichMessage));
}

// An Anthropic target answering a caller of this format: its body as sent (its own id,
// stop_sequence, citations, server tool blocks…).
TEST(AnthropicMessagesAnswer, TheUpstreamsOwnMessage) {
  model::Answer a = rich_answer();
  a.raw_format = model::Format::anthropic_messages;
  a.raw = R"({"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",)"
          R"("content":[{"type":"text","text":"Hi! My name is Claude.","citations":null}],"stop_reason":"stop_sequence",)"
          R"("stop_sequence":"\n\nHuman:","usage":{"input_tokens":2095,"output_tokens":503}})";
  EXPECT_EQ(kCodec.answer("{}", &a, context()), a.raw);
  // A raw body of another format is not this format's answer.
  a.raw_format = model::Format::openai_chat;
  EXPECT_TRUE(same_json(kCodec.answer("{}", &a, context()), kRichMessage));
}

TEST(AnthropicMessagesAnswer, StopReasonsAndEmptyContent) {
  struct Case {
    model::Finish finish;
    const char* reason;
  } cases[] = {{model::Finish::stop, "end_turn"},       {model::Finish::length, "max_tokens"},
               {model::Finish::tool_calls, "tool_use"}, {model::Finish::content_filter, "refusal"},
               {model::Finish::none, "end_turn"},       {model::Finish::error, "end_turn"}};
  for (const Case& c : cases) {
    model::Answer a;
    a.model = "m";
    a.outputs.emplace_back().finish = c.finish;
    auto body = parse(kCodec.answer("", &a, context()));
    EXPECT_STREQ(body["stop_reason"].GetString(), c.reason);
    EXPECT_TRUE(body["content"].IsArray());
    EXPECT_EQ(body["content"].Size(), 0u) << "no empty text block";
    EXPECT_TRUE(body["stop_sequence"].IsNull());
    EXPECT_EQ(body["usage"]["input_tokens"].GetInt(), 0);
  }
  // No output at all (never from a provider; still a Message).
  model::Answer none;
  auto body = parse(kCodec.answer("", &none, context("claude-x")));
  EXPECT_STREQ(body["model"].GetString(), "claude-x");
  EXPECT_STREQ(body["stop_reason"].GetString(), "end_turn");
}

TEST(AnthropicMessagesAnswer, RefusalsAreTextAndTheModelFallsBack) {
  model::Request request;
  request.model = "fast";
  model::Answer a;
  model::Output& o = a.outputs.emplace_back();
  o.refusal = "I can't help with that.";
  o.finish = model::Finish::content_filter;
  auto body = parse(kCodec.answer("", &a, context({}, &request)));
  EXPECT_STREQ(body["model"].GetString(), "fast");
  EXPECT_STREQ(body["id"].GetString(), "msg_01ABC");
  ASSERT_EQ(body["content"].Size(), 1u);
  EXPECT_STREQ(body["content"][0]["text"].GetString(), "I can't help with that.");
  EXPECT_STREQ(body["stop_reason"].GetString(), "refusal");
}

TEST(AnthropicMessagesAnswer, UsageAndIds) {
  std::string out;
  append_usage(out, {true, 100, 20, -1, -1, -1});
  EXPECT_EQ(out, R"({"input_tokens":100,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":20})");
  out.clear();
  append_usage(out, {true, 100, 20, 250, 5, -1});  // more cached than prompt: never negative
  EXPECT_EQ(out, R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":250,"output_tokens":20})");
  EXPECT_EQ(message_id("req_abc"), "msg_abc");
  EXPECT_EQ(message_id("abc"), "msg_abc");
}

}  // namespace
}  // namespace sy::ingress::anthropic_messages
