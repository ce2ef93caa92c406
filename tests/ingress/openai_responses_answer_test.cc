// Response objects (src/ingress/openai_responses_answer.cc): rendered from canonical answers and
// from the stored form, the upstream's own body passed through, the request members echoed.
#include "ingress/openai_responses_answer.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"
#include "ingress/openai_responses.h"
#include "model/stored.h"

namespace sy::ingress::openai_responses {
namespace {

using testing::parse;

// Deep JSON equality (member order ignored), printing both on mismatch.
::testing::AssertionResult same_json(std::string_view actual, std::string_view expected) {
  json::Document a = parse(actual), e = parse(expected);
  if (a == e) return ::testing::AssertionSuccess();
  std::string a_text, e_text;
  json::append_value(a_text, a);
  json::append_value(e_text, e);
  return ::testing::AssertionFailure() << "\n  actual:   " << a_text << "\n  expected: " << e_text;
}

std::string text_of(const json::Value& v) {
  std::string out;
  json::append_value(out, v);
  return out;
}

// The echoed members when the request sent none of them.
constexpr const char* kDefaults =
    R"("instructions":null,"max_output_tokens":null,"max_tool_calls":null,"parallel_tool_calls":true,
       "previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1,
       "text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1,
       "truncation":"disabled","user":null,"metadata":{})";

struct Rendered {
  testing::Decoded request;
  std::string body;
};

Rendered render(std::string_view request_body, const model::Answer& answer, std::string_view stored = {}) {
  Rendered r{testing::decode(kCodec, request_body), {}};
  EXPECT_TRUE(r.request.ok) << r.request.error.message;
  Context ctx{"req_7f3a", 1741476542, "ctx-model", &r.request.request()};
  r.body = kCodec.answer(stored, stored.empty() ? &answer : nullptr, ctx);
  return r;
}

model::Answer text_answer(std::string text) {
  model::Answer a;
  a.model = "gpt-4.1-2025-04-14";
  a.provider = "openai";
  model::Output& o = a.outputs.emplace_back();
  o.text = std::move(text);
  o.has_text = true;
  a.usage = {true, 36, 87, 0, 0, -1};
  return a;
}

TEST(OpenAIResponsesAnswer, ATextAnswerLooksLikeOpenAIs) {
  auto r = render(R"({"model": "fast", "input": "Tell me a story."})", text_answer("In a peaceful grove…"));
  EXPECT_TRUE(same_json(r.body, std::string(R"({"id":"resp_7f3a","object":"response","created_at":1741476542,
      "status":"completed","background":false,"error":null,"incomplete_details":null,"model":"gpt-4.1-2025-04-14",
      "output":[{"id":"msg_7f3a_0","type":"message","status":"completed","role":"assistant",
                 "content":[{"type":"output_text","text":"In a peaceful grove…","annotations":[],"logprobs":[]}]}],
      "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":87,
               "output_tokens_details":{"reasoning_tokens":0},"total_tokens":123},
      "provider":"openai",)") + kDefaults + "}"));
}

TEST(OpenAIResponsesAnswer, ReasoningRefusalsAndToolCalls) {
  model::Answer a;
  a.model = "claude-sonnet-4";
  model::Output& o = a.outputs.emplace_back();
  o.reasoning = {{"Let me think.", "EqQBCkYIBRgCKkA", false}, {"opaque-data", "", true}};
  o.refusal = "I can't share that.";
  o.tool_calls = {{"toolu_01A", "get_weather", R"({"city":"Paris"})"}, {"", "get_time", "{}"}};
  o.finish = model::Finish::tool_calls;
  a.usage = {true, 100, 50, 20, 30, 0.0012};
  auto r = render(R"({"model": "fast", "input": "x"})", a);
  auto doc = parse(r.body);
  EXPECT_STREQ(doc["status"].GetString(), "completed");
  EXPECT_FALSE(doc.HasMember("provider"));  // none known
  const auto& output = doc["output"];
  ASSERT_EQ(output.Size(), 5u);
  EXPECT_TRUE(same_json(text_of(output[0]), R"({"id":"rs_7f3a_0","type":"reasoning",
      "summary":[{"type":"summary_text","text":"Let me think."}],"encrypted_content":"EqQBCkYIBRgCKkA"})"));
  EXPECT_TRUE(same_json(text_of(output[1]), R"({"id":"rs_7f3a_1","type":"reasoning","summary":[],
      "encrypted_content":"opaque-data"})"));
  EXPECT_TRUE(same_json(text_of(output[2]), R"({"id":"msg_7f3a_2","type":"message","status":"completed",
      "role":"assistant","content":[{"type":"refusal","refusal":"I can't share that."}]})"));
  EXPECT_TRUE(same_json(text_of(output[3]), R"({"id":"fc_7f3a_3","type":"function_call","status":"completed",
      "arguments":"{\"city\":\"Paris\"}","call_id":"toolu_01A","name":"get_weather"})"));
  EXPECT_STREQ(output[4]["call_id"].GetString(), "call_7f3a_4");  // a call without an id gets one
  EXPECT_TRUE(same_json(text_of(doc["usage"]), R"({"input_tokens":100,"input_tokens_details":{"cached_tokens":20,
      "cache_write_tokens":0},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":150,
      "cost":0.0012})"));
}

TEST(OpenAIResponsesAnswer, ToolCallsAloneHaveNoMessage) {
  model::Answer a;
  model::Output& o = a.outputs.emplace_back();
  o.has_text = true;  // content "" beside the calls, as chat completions say it
  o.tool_calls = {{"call_1", "f", "{}"}};
  o.finish = model::Finish::tool_calls;
  auto doc = parse(render(R"({"model": "fast", "input": "x"})", a).body);
  ASSERT_EQ(doc["output"].Size(), 1u);
  EXPECT_STREQ(doc["output"][0]["type"].GetString(), "function_call");
  EXPECT_STREQ(doc["model"].GetString(), "ctx-model");  // the answer named none
}

TEST(OpenAIResponsesAnswer, CutShortAnswersAreIncomplete) {
  model::Answer a = text_answer("Once upon a");
  a.outputs[0].finish = model::Finish::length;
  auto doc = parse(render(R"({"model": "fast", "input": "x", "max_output_tokens": 16})", a).body);
  EXPECT_STREQ(doc["status"].GetString(), "incomplete");
  EXPECT_STREQ(doc["incomplete_details"]["reason"].GetString(), "max_output_tokens");
  EXPECT_STREQ(doc["output"][0]["status"].GetString(), "incomplete");
  EXPECT_EQ(doc["max_output_tokens"].GetInt(), 16);
  a.outputs[0].finish = model::Finish::content_filter;
  doc = parse(render(R"({"model": "fast", "input": "x"})", a).body);
  EXPECT_STREQ(doc["incomplete_details"]["reason"].GetString(), "content_filter");
}

TEST(OpenAIResponsesAnswer, TheRequestIsEchoedAsSent) {
  auto r = render(R"({"model": "fast", "input": "x", "instructions": "Be brief.", "temperature": 0.2, "top_p": null,
      "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}], "tool_choice": "required",
      "text": {"format": {"type": "json_object"}}, "reasoning": {"effort": "low"}, "store": false,
      "metadata": {"team": "a"}, "parallel_tool_calls": false, "truncation": "auto", "user": "u1",
      "previous_response_id": "resp_prev"})", text_answer("{}"));
  auto doc = parse(r.body);
  EXPECT_STREQ(doc["instructions"].GetString(), "Be brief.");
  EXPECT_EQ(doc["temperature"].GetDouble(), 0.2);
  EXPECT_EQ(doc["top_p"].GetInt(), 1);  // null: the default
  EXPECT_STREQ(doc["tools"][0]["name"].GetString(), "f");
  EXPECT_STREQ(doc["tool_choice"].GetString(), "required");
  EXPECT_STREQ(doc["text"]["format"]["type"].GetString(), "json_object");
  EXPECT_STREQ(doc["reasoning"]["effort"].GetString(), "low");
  EXPECT_FALSE(doc["store"].GetBool());
  EXPECT_STREQ(doc["metadata"]["team"].GetString(), "a");
  EXPECT_FALSE(doc["parallel_tool_calls"].GetBool());
  EXPECT_STREQ(doc["truncation"].GetString(), "auto");
  EXPECT_STREQ(doc["user"].GetString(), "u1");
  EXPECT_STREQ(doc["previous_response_id"].GetString(), "resp_prev");
  // A body whose keys hold escapes is read through a full parse.
  auto escaped = parse(render(R"({"model": "fast", "input": "x", "\u0074emperature": 0.5, "user": "u2"})", text_answer("")).body);
  EXPECT_EQ(escaped["temperature"].GetDouble(), 0.5);
  EXPECT_STREQ(escaped["user"].GetString(), "u2");
}

TEST(OpenAIResponsesAnswer, FromTheStoredFormOfACacheHit) {
  std::string stored = model::stored::serialize(text_answer("cached words"), "req_first", 5);
  auto r = render(R"({"model": "fast", "input": "x"})", model::Answer(), stored);
  auto doc = parse(r.body);
  EXPECT_STREQ(doc["id"].GetString(), "resp_7f3a");  // this request's id, not the first one's
  EXPECT_EQ(doc["created_at"].GetInt64(), 1741476542);
  EXPECT_STREQ(doc["output"][0]["content"][0]["text"].GetString(), "cached words");
  EXPECT_STREQ(doc["model"].GetString(), "gpt-4.1-2025-04-14");
  EXPECT_STREQ(doc["provider"].GetString(), "openai");
  EXPECT_EQ(doc["usage"]["total_tokens"].GetInt(), 123);
}

TEST(OpenAIResponsesAnswer, TheUpstreamsOwnResponsePassesThrough) {
  model::Answer a = text_answer("ignored");
  a.raw_format = model::Format::openai_responses;
  a.raw = R"({"provider":"openai","id":"resp_upstream","object":"response","output":[]})";
  EXPECT_EQ(render(R"({"model": "fast", "input": "x"})", a).body, a.raw);
  a.raw_format = model::Format::openai_chat;  // another format's raw body is never sent here
  EXPECT_STREQ(parse(render(R"({"model": "fast", "input": "x"})", a).body)["object"].GetString(), "response");
}

TEST(OpenAIResponsesAnswer, Ids) {
  EXPECT_EQ(response_id("req_abc"), "resp_abc");
  EXPECT_EQ(response_id("abc"), "resp_abc");
  EXPECT_EQ(item_id("msg", "resp_abc", 2), "msg_abc_2");
  EXPECT_EQ(item_id("fc", "other", 0), "fc_other_0");
  EXPECT_EQ(status_of(model::Finish::stop), "completed");
  EXPECT_EQ(status_of(model::Finish::tool_calls), "completed");
  EXPECT_EQ(status_of(model::Finish::length), "incomplete");
  EXPECT_EQ(status_of(model::Finish::content_filter), "incomplete");
}

TEST(OpenAIResponsesAnswer, AFailedResponseCarriesItsError) {
  Error e{429, ErrorType::rate_limited, "slow down"};
  ResponseHead head{"resp_1", 7, "failed", model::Finish::none, &e, "m", {}, nullptr};
  auto doc = parse(response_json(head, "", ""));
  EXPECT_STREQ(doc["status"].GetString(), "failed");
  EXPECT_STREQ(doc["error"]["code"].GetString(), "rate_limit_exceeded");
  EXPECT_STREQ(doc["error"]["message"].GetString(), "slow down");
  EXPECT_TRUE(doc["usage"].IsNull());
  EXPECT_TRUE(doc["incomplete_details"].IsNull());
  Error server{502, ErrorType::provider_unavailable, "upstream broke"};
  head.error = &server;
  EXPECT_STREQ(parse(response_json(head, "", ""))["error"]["code"].GetString(), "server_error");
}

TEST(OpenAIResponsesAnswer, MembersOfBodies) {
  std::vector<std::string> storage;
  auto plain = members_of(R"({"a": 1, "b": [2]})", storage);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[1].value, "[2]");
  EXPECT_TRUE(storage.empty());
  auto escaped = members_of(R"({"\u0061": 1, "b": "x"})", storage);
  ASSERT_EQ(escaped.size(), 2u);
  EXPECT_EQ(escaped[0].key, "a");
  EXPECT_EQ(escaped[1].value, "\"x\"");
  EXPECT_TRUE(members_of("", storage).empty());
  EXPECT_TRUE(members_of("[1]", storage).empty());
}

}  // namespace
}  // namespace sy::ingress::openai_responses
