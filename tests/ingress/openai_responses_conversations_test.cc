// Kept conversations for the Responses ingress (src/ingress/openai_responses_conversations.cc):
// what a request refers to, the records kept for an answer, and a request resumed from them. (The whole flow through the
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

using Kept = std::vector<std::pair<std::string, std::string>>;

Kept keep_all(const model::Request* request, std::string_view answer) {
  Context ctx{"req_1", 1, "m", request};
  Kept kept;
  kConversations.keep(ctx, answer, kept);
  return kept;
}

// The record kept under the Response's id (the first pair), or "" when nothing is kept.
std::string keep(std::string_view body, std::string_view answer, std::string& id) {
  auto d = testing::decode(kCodec, body);
  EXPECT_TRUE(d.ok) << d.error.message;
  Kept kept = keep_all(&d.request(), answer);
  id = kept.empty() ? std::string() : kept[0].first;
  return kept.empty() ? std::string() : kept[0].second;
}

struct Resumed {
  std::unique_ptr<model::Envelope> env = std::make_unique<model::Envelope>();
  std::vector<Reference> references;
  Error error;
  bool ok = false;
};

// As the gateway does: decode, ask what the request refers to, look each up in `tier` (a
// missing one is ""), resume.
Resumed resume(std::string_view body, const Kept& tier) {
  static const auto config = testing::load_config();
  Resumed r;
  r.env->text = body;
  EXPECT_TRUE(kCodec.decode(*r.env, DecodeArgs{*config, {}}, r.error)) << r.error.message;
  kConversations.references(*r.env, r.references);
  std::vector<std::string> records;
  for (const Reference& ref : r.references) {
    records.emplace_back();
    for (const auto& [id, record] : tier)
      if (id == ref.id) records.back() = record;
  }
  r.ok = kConversations.resume(*r.env, records, DecodeArgs{*config, {}}, r.error);
  return r;
}

Resumed resume(std::string_view body, std::string_view record) { return resume(body, Kept{{"resp_1", std::string(record)}}); }

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
  EXPECT_TRUE(keep_all(nullptr, kAnswer).empty());
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
  Kept next = keep_all(&q, R"({"id":"resp_2","output":[]})");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(testing::parse(next[0].second)["input"].Size(), 5u);
}

TEST(OpenAIResponsesConversations, EachOutputItemIsKeptUnderItsId) {
  auto d = testing::decode(kCodec, R"({"model": "m", "input": "Capital of France?"})");
  Kept kept = keep_all(&d.request(), kAnswer);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[1].first, "msg_1_0");
  EXPECT_STREQ(testing::parse(kept[1].second)["content"][0]["text"].GetString(), "Paris.");
  EXPECT_EQ(kept[2].first, "fc_1_1");
  EXPECT_STREQ(testing::parse(kept[2].second)["call_id"].GetString(), "call_9");
}

TEST(OpenAIResponsesConversations, ReferencesAreThePreviousResponseThenItemReferences) {
  auto r = resume(R"({"model": "m", "previous_response_id": "resp_1",
                      "input": [{"role": "user", "content": "x"}, {"type": "item_reference", "id": "msg_a"}, {"id": "fc_b"},
                                {"type": "function_call", "id": "fc_c", "call_id": "c", "name": "f", "arguments": "{}"}]})",
                  Kept{{"resp_1", R"({"input": [], "output": []})"}});
  ASSERT_EQ(r.references.size(), 3u);
  EXPECT_EQ(r.references[0].field, "previous_response_id");
  EXPECT_EQ(r.references[0].code, "previous_response_not_found");
  EXPECT_FALSE(r.references[0].optional);
  EXPECT_EQ(r.references[1].field, "input[1]");
  EXPECT_EQ(r.references[1].id, "msg_a");
  EXPECT_EQ(r.references[1].code, "item_not_found");
  EXPECT_TRUE(r.references[1].optional);
  EXPECT_EQ(r.references[2].id, "fc_b");
  std::vector<Reference> none;
  model::Envelope plain;
  plain.text = R"({"model": "m", "input": "hi"})";
  kConversations.references(plain, none);
  EXPECT_TRUE(none.empty());
}

// What the Vercel AI SDK sends on a second turn: earlier assistant text as an item reference to
// the message item the first answer carried, with no previous_response_id.
TEST(OpenAIResponsesConversations, ItemReferencesAreResolvedFromKeptItems) {
  auto d = testing::decode(kCodec, R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]}]})");
  Kept tier = keep_all(&d.request(), kAnswer);
  auto r = resume(R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]},
                                            {"type": "item_reference", "id": "msg_1_0"},
                                            {"role": "user", "content": [{"type": "input_text", "text": "And of Spain?"}]}]})",
                  tier);
  ASSERT_TRUE(r.ok) << r.error.message;
  const auto& m = r.env->request.messages;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].role, Role::assistant);
  EXPECT_EQ(m[1].parts[0].text, "Paris.");
  EXPECT_TRUE(r.env->request.native_only.empty());
  // An item the gateway does not keep stays a reference: only OpenAI itself can serve it.
  auto unknown = resume(R"({"model": "m", "input": [{"type": "item_reference", "id": "msg_elsewhere"}]})", Kept{});
  ASSERT_TRUE(unknown.ok) << unknown.error.message;
  EXPECT_EQ(unknown.env->request.native_only, "input[0]");
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
