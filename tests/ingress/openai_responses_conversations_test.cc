// previous_response_id for the Responses ingress (src/ingress/openai_responses_conversations.cc):
// the record kept for an answer, and a request resumed from one. (The whole flow through the
// gateway and the host's tier is in tests/gateway/conversations_test.cc.)
#include "ingress/openai_responses_conversations.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"
#include "ingress/openai_responses.h"

namespace sy::ingress::openai_responses {
namespace {

using model::PartType;
using model::Role;

constexpr const char* kAnswer =
    R"({"id":"resp_1","object":"response","status":"completed","output":[{"id":"msg_1_0","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Paris.","annotations":[],"logprobs":[]}]},{"id":"fc_1_1","type":"function_call","status":"completed","call_id":"call_9","name":"map","arguments":"{}"}],"usage":null})";

std::string keep(std::string_view body, std::string_view answer, std::string& id) {
  auto d = testing::decode(kCodec, body);
  EXPECT_TRUE(d.ok) << d.error.message;
  Context ctx{"req_1", 1, "m", &d.request()};
  return kConversations.keep(ctx, answer, id);
}

struct Resumed {
  std::unique_ptr<model::Envelope> env = std::make_unique<model::Envelope>();
  Error error;
  bool ok = false;
};

Resumed resume(std::string_view body, std::string_view record) {
  static const auto config = testing::load_config();
  Resumed r;
  r.env->text = body;
  EXPECT_TRUE(kCodec.decode(*r.env, DecodeArgs{*config, {}}, r.error)) << r.error.message;  // as the gateway does first
  r.ok = kConversations.resume(*r.env, record, DecodeArgs{*config, {}}, r.error);
  return r;
}

TEST(OpenAIResponsesConversations, TheRecordHoldsTheInputAndTheOutput) {
  std::string id;
  std::string record = keep(R"({"model": "m", "instructions": "Be brief.", "input": "Capital of France?"})", kAnswer, id);
  EXPECT_EQ(id, "resp_1");
  auto doc = testing::parse(record);
  ASSERT_EQ(doc["input"].Size(), 1u);
  EXPECT_STREQ(doc["input"][0]["role"].GetString(), "user");
  EXPECT_STREQ(doc["input"][0]["content"].GetString(), "Capital of France?");
  ASSERT_EQ(doc["output"].Size(), 2u);
  EXPECT_STREQ(doc["output"][1]["call_id"].GetString(), "call_9");
  EXPECT_EQ(record.find("Be brief."), std::string::npos);  // instructions are not carried over

  record = keep(R"({"model": "m", "input": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]})", kAnswer, id);
  EXPECT_EQ(testing::parse(record)["input"].Size(), 2u);
}

TEST(OpenAIResponsesConversations, NothingIsKeptWhenStoreIsFalseOrTheAnswerIsNotAResponse) {
  std::string id;
  EXPECT_EQ(keep(R"({"model": "m", "input": "x", "store": false})", kAnswer, id), "");
  EXPECT_NE(keep(R"({"model": "m", "input": "x", "store": true})", kAnswer, id), "");
  EXPECT_EQ(keep(R"({"model": "m", "input": "x"})", R"({"id":"resp_1"})", id), "");
  EXPECT_EQ(keep(R"({"model": "m", "input": "x"})", R"({"output":[]})", id), "");
  EXPECT_EQ(keep(R"({"model": "m", "input": "x"})", "", id), "");
  Context none{"req_1", 1, "m", nullptr};
  EXPECT_EQ(kConversations.keep(none, kAnswer, id), "");
}

TEST(OpenAIResponsesConversations, AResumedRequestHasTheHistoryFirst) {
  std::string id;
  std::string record = keep(R"({"model": "m", "instructions": "Old rules.", "input": "Capital of France?"})", kAnswer, id);
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1", "instructions": "New rules.",
                      "input": [{"type": "function_call_output", "call_id": "call_9", "output": "a map"},
                                {"role": "user", "content": "And of Spain?"}]})",
                  record);
  ASSERT_TRUE(r.ok) << r.error.message;
  const model::Request& q = r.env->request;
  EXPECT_EQ(q.previous_response_id, "resp_1");  // echoed in the answer
  ASSERT_EQ(q.messages.size(), 5u);
  EXPECT_EQ(q.messages[0].role, Role::system);
  EXPECT_EQ(q.messages[0].parts[0].text, "New rules.");
  EXPECT_EQ(q.messages[1].parts[0].text, "Capital of France?");
  EXPECT_EQ(q.messages[2].role, Role::assistant);
  ASSERT_EQ(q.messages[2].parts.size(), 2u);
  EXPECT_EQ(q.messages[2].parts[0].text, "Paris.");
  EXPECT_EQ(q.messages[2].parts[1].type, PartType::tool_call);
  EXPECT_EQ(q.messages[3].role, Role::tool);
  EXPECT_EQ(q.messages[4].parts[0].text, "And of Spain?");
  EXPECT_EQ(q.raw, r.env->text);
  EXPECT_EQ(std::string(q.raw).find("Old rules."), std::string::npos);
  // The next record continues the whole conversation.
  Context ctx{"req_2", 2, "m", &q};
  std::string next = kConversations.keep(ctx, R"({"id":"resp_2","output":[]})", id);
  EXPECT_EQ(testing::parse(next)["input"].Size(), 5u);
}

TEST(OpenAIResponsesConversations, AStringInputAndNoInputAtAll) {
  std::string id;
  std::string record = keep(R"({"model": "m", "input": "hi"})", kAnswer, id);
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1", "input": "more"})", record);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.env->request.messages.size(), 3u);
  auto none = resume(R"({"model": "m", "previous_response_id": "resp_1"})", record);
  ASSERT_TRUE(none.ok) << none.error.message;
  EXPECT_EQ(none.env->request.messages.size(), 2u);
}

TEST(OpenAIResponsesConversations, ItemReferencesAreResolvedFromTheConversation) {
  std::string id;
  std::string record = keep(R"({"model": "m", "input": [{"id": "msg_in", "role": "user", "content": "first"}]})", kAnswer, id);
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1",
                      "input": [{"type": "item_reference", "id": "fc_1_1"}, {"id": "msg_in"}, {"role": "user", "content": "next"}]})",
                  record);
  ASSERT_TRUE(r.ok) << r.error.message;
  const auto& m = r.env->request.messages;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].parts.back().name, "map");  // the call, referenced after the history's own
  EXPECT_EQ(m[2].parts[0].text, "first");
  EXPECT_EQ(m[3].parts[0].text, "next");
  auto missing = resume(R"({"model": "m", "previous_response_id": "resp_1",
                            "input": [{"role": "user", "content": "x"}, {"type": "item_reference", "id": "msg_nope"}]})",
                        record);
  ASSERT_TRUE(missing.ok) << missing.error.message;
  EXPECT_EQ(missing.env->request.native_only, "input[4]");  // indexes count the history; OpenAI may hold it
  EXPECT_TRUE(r.env->request.native_only.empty());
}

TEST(OpenAIResponsesConversations, BadRecordsAndBodies) {
  for (const char* record : {"", "not json", "[]", R"({"input": 5, "output": []})", R"({"input": [], "output": {}})"}) {
    auto r = resume(R"({"model": "m", "previous_response_id": "resp_1", "input": "x"})", record);
    ASSERT_FALSE(r.ok) << record;
    EXPECT_EQ(r.error.status, 400);
    EXPECT_EQ(r.error.param, "previous_response_id") << record;
  }
  // A record whose items are wrong fails as its decode says.
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1", "input": "x"})", R"({"input": [5], "output": []})");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.param, "input[0]");
  // Keys with escapes in the request body.
  std::string id;
  std::string record = keep(R"({"model": "m", "input": "hi"})", kAnswer, id);
  auto escaped = resume(R"({"model": "m", "previous_response_id": "resp_1", "\u0069nput": "more", "\u0075ser": "u"})", record);
  ASSERT_TRUE(escaped.ok) << escaped.error.message;
  EXPECT_EQ(escaped.env->request.messages.size(), 3u);
  EXPECT_EQ(escaped.env->request.user, "u");
}

TEST(OpenAIResponsesConversations, AConversationHasABound) {
  std::string big(kMaxConversationBytes, 'a');
  std::string record = R"({"input": [{"role": "user", "content": ")" + big + R"("}], "output": []})";
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1", "input": "x"})", record);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.param, "previous_response_id");
  EXPECT_NE(r.error.message.find("too long"), std::string::npos);
}

}  // namespace
}  // namespace sy::ingress::openai_responses
