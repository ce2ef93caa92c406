// Kept conversations (src/gateway/conversations.cc): tier keys partitioned by tenant, entries
// and what a damaged or expired entry yields; then the whole previous_response_id flow through
// the engine with a host tier (stream and non-stream, store: false, unknown ids, another
// tenant's, no persistence, an openai target sent the history).
#include "gateway/conversations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/harness.h"

namespace sy::gateway::conversations {
namespace {

TEST(Conversations, KeysArePerTenantAndId) {
  std::string k = key_hex("sk-a", "resp_1");
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(k, key_hex("sk-a", "resp_1"));
  EXPECT_NE(k, key_hex("sk-b", "resp_1"));
  EXPECT_NE(k, key_hex("sk-a", "resp_2"));
  EXPECT_NE(key_hex("sk-a\nresp", "_1"), key_hex("sk-a", "\nresp_1"));  // no forged boundary
}

TEST(Conversations, EntriesKeepTheRecordUntilTheyExpire) {
  std::string record = R"({"input":[{"role":"user","content":"hi \"there\""}]})";
  std::string e = entry("0123456789abcdef0123456789abcdef", record, 5000.7);
  EXPECT_EQ(record_of(e, 1000), record);
  EXPECT_EQ(record_of(e, 4999), record);
  EXPECT_EQ(record_of(e, 5000), "");  // expired (at a whole ms)
  EXPECT_EQ(record_of("", 0), "");
  EXPECT_EQ(record_of("{not json", 0), "");
  EXPECT_EQ(record_of(R"({"key":"x","expires_at":9e99,"answer":{}})", 0), "");  // a cache entry
}

}  // namespace
}  // namespace sy::gateway::conversations

// ---- previous_response_id through the gateway, with a host tier ----------------------------------

namespace sy::engine {
namespace {

constexpr const char* kResponsesConfig = R"({"providers": {
    "echo": {"type": "echo"},
    "oa": {"type": "openai", "base_url": "http://oa.test/v1", "api_key": "sk-oa-secret"}},
  "models": {"default": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
  "retry": {"attempts": 0},
  "cache": {"enabled": true, "persist": true}%s})";

std::string responses_config(std::string_view extra = "") {
  std::string text = kResponsesConfig;
  text.replace(text.find("%s"), 2, extra);
  return text;
}

// A host with a persistent tier: CACHE_PUTs are kept, CACHE_GETs answered from them.
class ResponsesFlow : public EngineTest {
 protected:
  void SetUp() override {
    configure(responses_config());
    engine.enable_persistence(true);
  }

  // Performs the tier's actions until none is left; every action seen, in order.
  std::vector<Action> settle(std::vector<Action> actions) {
    std::vector<Action> all;
    while (!actions.empty()) {
      std::vector<Action> next;
      for (const Action& a : actions) {
        all.push_back(a);
        if (a.kind == ActionKind::cache_put) tier[a.url] = a.body;
        if (a.kind != ActionKind::cache_get) continue;
        auto it = tier.find(a.url);
        engine.cache_result(a.id, it == tier.end() ? "" : it->second, now);
        for (Action& b : take()) next.push_back(std::move(b));
      }
      actions = std::move(next);
    }
    return all;
  }

  std::vector<Action> post(std::string_view body, std::string_view headers = kJson) {
    return settle(submit(body, "/v1/responses", headers));
  }

  static const Action* respond(const std::vector<Action>& actions) { return find(actions, ActionKind::respond); }

  // The conversation entries among `actions`' CACHE_PUTs.
  static int conversations_kept(const std::vector<Action>& actions) {
    int n = 0;
    for (const Action& a : actions)
      if (a.kind == ActionKind::cache_put && a.body.find("\"conversation\":") != std::string::npos) ++n;
    return n;
  }

  static std::string error_code(const Action& a) { return parse(a.body)["error"]["code"].GetString(); }

  std::map<std::string, std::string> tier;
};

TEST_F(ResponsesFlow, AResponseIsContinuedByItsId) {
  auto first = post(R"({"model": "default", "instructions": "Be terse.", "input": "My name is Ada."})");
  const Action* answer = respond(first);
  ASSERT_NE(answer, nullptr);
  ASSERT_EQ(answer->status, 200u) << answer->body;
  EXPECT_EQ(conversations_kept(first), 2);  // the response, and its message item
  auto response = parse(answer->body);
  std::string id = response["id"].GetString();
  EXPECT_EQ(id.rfind("resp_", 0), 0u);
  EXPECT_STREQ(response["output"][0]["content"][0]["text"].GetString(), "My name is Ada.");
  int64_t alone = response["usage"]["input_tokens"].GetInt64();

  auto second = post(R"({"model": "default", "previous_response_id": ")" + id + R"(", "input": "What is my name?"})");
  answer = respond(second);
  ASSERT_NE(answer, nullptr);
  ASSERT_EQ(answer->status, 200u) << answer->body;
  auto next = parse(answer->body);
  EXPECT_STREQ(next["previous_response_id"].GetString(), id.c_str());
  EXPECT_STREQ(next["output"][0]["content"][0]["text"].GetString(), "What is my name?");
  EXPECT_TRUE(next["instructions"].IsNull());  // not carried over
  // The history was sent: the prompt holds the first turn (without its instructions) too.
  EXPECT_GT(next["usage"]["input_tokens"].GetInt64(), alone);
  EXPECT_EQ(conversations_kept(second), 2);  // the response, and its message item

  // A third turn continues the whole conversation.
  auto third = post(R"({"model": "default", "previous_response_id": ")" + std::string(next["id"].GetString()) +
                    R"(", "input": "Thanks."})");
  ASSERT_EQ(respond(third)->status, 200u);
  EXPECT_GT(parse(respond(third)->body)["usage"]["input_tokens"].GetInt64(), next["usage"]["input_tokens"].GetInt64());
}

TEST_F(ResponsesFlow, StreamedResponsesAreKeptAndContinuedToo) {
  auto first = post(R"({"model": "default", "input": "Remember 42.", "stream": true})");
  const Action* head = respond(first);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(header(*head, "content-type"), "text/event-stream");
  std::string text = chunks(first);
  EXPECT_EQ(text.rfind("event: response.created\n", 0), 0u) << text;
  size_t completed = text.find("event: response.completed\ndata: ");
  ASSERT_NE(completed, std::string::npos) << text;
  EXPECT_NE(find(first, ActionKind::stream_end), nullptr);
  EXPECT_EQ(conversations_kept(first), 2);  // the response, and its message item
  size_t data = completed + std::string("event: response.completed\ndata: ").size();
  auto event = parse(text.substr(data, text.find("\n\n", data) - data));
  std::string id = event["response"]["id"].GetString();

  auto second = post(R"({"model": "default", "previous_response_id": ")" + id + R"(", "input": "Which number?", "stream": true})");
  std::string more = chunks(second);
  EXPECT_NE(more.find("Which number?"), std::string::npos) << more;
  EXPECT_NE(more.find("\"previous_response_id\":\"" + id + "\""), std::string::npos);
  EXPECT_EQ(conversations_kept(second), 2);  // the response, and its message item
}

TEST_F(ResponsesFlow, StoreFalseKeepsNothing) {
  auto first = post(R"({"model": "default", "input": "Forget this.", "store": false})");
  ASSERT_EQ(respond(first)->status, 200u);
  EXPECT_EQ(conversations_kept(first), 0);
  EXPECT_FALSE(parse(respond(first)->body)["store"].GetBool());
  std::string id = parse(respond(first)->body)["id"].GetString();
  auto second = post(R"({"model": "default", "previous_response_id": ")" + id + R"(", "input": "x"})");
  ASSERT_EQ(respond(second)->status, 400u);
  EXPECT_EQ(error_code(*respond(second)), "previous_response_not_found");
}

TEST_F(ResponsesFlow, AnUnknownIdIsA400NamingTheField) {
  auto actions = post(R"({"model": "default", "previous_response_id": "resp_nope", "input": "x"})");
  const Action* a = respond(actions);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->status, 400u);
  auto error = parse(a->body)["error"].GetObject();
  EXPECT_STREQ(error["code"].GetString(), "previous_response_not_found");
  EXPECT_STREQ(error["param"].GetString(), "previous_response_id");
  EXPECT_STREQ(error["message"].GetString(), "Previous response with id 'resp_nope' not found.");
}

TEST_F(ResponsesFlow, OneTenantCannotContinueAnothersResponse) {
  configure(responses_config(R"(, "keys": {"sk-a": {}, "sk-b": {}})"));
  auto first = post(R"({"model": "default", "input": "secret plans"})", "authorization: Bearer sk-a\n");
  ASSERT_EQ(respond(first)->status, 200u);
  std::string id = parse(respond(first)->body)["id"].GetString();
  std::string next = R"({"model": "default", "previous_response_id": ")" + id + R"(", "input": "and?"})";
  auto theirs = post(next, "authorization: Bearer sk-b\n");
  EXPECT_EQ(respond(theirs)->status, 400u);
  EXPECT_EQ(error_code(*respond(theirs)), "previous_response_not_found");
  auto mine = post(next, "authorization: Bearer sk-a\n");
  EXPECT_EQ(respond(mine)->status, 200u);
}

TEST_F(ResponsesFlow, WithoutPersistenceItIsAClear400) {
  engine.enable_persistence(false);
  auto actions = post(R"({"model": "default", "previous_response_id": "resp_1", "input": "x"})");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].status, 400u);
  auto error = parse(actions[0].body)["error"].GetObject();
  EXPECT_STREQ(error["code"].GetString(), "persistence_required");
  EXPECT_STREQ(error["param"].GetString(), "previous_response_id");
  // Answers are not kept either, and nothing is asked of a tier.
  auto plain = post(R"({"model": "default", "input": "x"})");
  EXPECT_EQ(respond(plain)->status, 200u);
  EXPECT_EQ(conversations_kept(plain), 0);
  // Item references need no tier: they go, unresolved, to OpenAI, which may hold them.
  auto items = post(R"({"model": "oa/gpt-4.1", "input": [{"type": "item_reference", "id": "msg_openai"}]})");
  const Action* fetch = find(items, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_NE(fetch->body.find("\"msg_openai\""), std::string::npos);
  EXPECT_EQ(find(items, ActionKind::cache_get), nullptr);
}

TEST_F(ResponsesFlow, AnOpenAITargetIsSentTheHistoryInsteadOfTheId) {
  auto first = post(R"({"model": "oa/gpt-4.1", "input": "My name is Ada."})");
  const Action* fetch = find(first, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->url, "http://oa.test/v1/responses");
  EXPECT_EQ(fetch->body, R"({"model":"gpt-4.1","input":"My name is Ada."})");
  auto done = settle(answer(fetch->id, 200, R"({"id":"resp_up1","object":"response","created_at":1,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"id":"msg_up1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello Ada!","annotations":[]}]}],"usage":{"input_tokens":12,"output_tokens":3,"total_tokens":15}})"));
  const Action* answered = respond(done);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->body.rfind(R"({"provider":"oa","id":"resp_up1")", 0), 0u) << answered->body;  // the upstream's own
  EXPECT_EQ(conversations_kept(done), 2);  // the response, and its message item

  auto second = post(R"({"model": "oa/gpt-4.1", "previous_response_id": "resp_up1", "input": "My name?", "store": true})");
  fetch = find(second, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  auto sent = parse(fetch->body);
  EXPECT_FALSE(sent.HasMember("previous_response_id"));  // resolved here: any target can continue it
  ASSERT_EQ(sent["input"].Size(), 3u);
  EXPECT_STREQ(sent["input"][0]["content"].GetString(), "My name is Ada.");
  EXPECT_STREQ(sent["input"][1]["id"].GetString(), "msg_up1");
  EXPECT_STREQ(sent["input"][2]["content"].GetString(), "My name?");
  EXPECT_TRUE(sent["store"].GetBool());
}

TEST_F(ResponsesFlow, ItemReferencesResolveFromKeptItemsElseNeedOpenAI) {
  auto first = post(R"({"model": "default", "input": "Remember 7."})");
  auto response = parse(respond(first)->body);
  std::string id = response["id"].GetString(), item = response["output"][0]["id"].GetString();
  std::string text = response["output"][0]["content"][0]["text"].GetString();
  auto resolved = post(R"({"model": "default", "previous_response_id": ")" + id + R"(",
      "input": [{"type": "item_reference", "id": ")" + item + R"("}, {"role": "user", "content": "Which?"}]})");
  EXPECT_EQ(respond(resolved)->status, 200u) << respond(resolved)->body;
  // The Vercel AI SDK's second turn: the earlier answer as a reference to its message item.
  auto alone = post(R"({"model": "oa/gpt-4.1", "input": [{"role": "user", "content": "Remember 7."},
      {"type": "item_reference", "id": ")" + item + R"("}, {"role": "user", "content": "Which?"}]})");
  const Action* fetch = find(alone, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  auto sent = parse(fetch->body);
  ASSERT_EQ(sent["input"].Size(), 3u);
  EXPECT_STREQ(sent["input"][1]["type"].GetString(), "message");
  EXPECT_EQ(std::string(sent["input"][1]["content"][0]["text"].GetString()), text);
  // An item this gateway never kept: only OpenAI, which may hold it, can take the request.
  auto unknown = post(R"({"model": "default", "input": [{"type": "item_reference", "id": "msg_openai"}]})");
  const Action* refused = respond(unknown);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->status, 400u);
  EXPECT_STREQ(parse(refused->body)["error"]["param"].GetString(), "input[0]");
  auto native = post(R"({"model": "oa/gpt-4.1", "input": [{"type": "item_reference", "id": "msg_openai"}]})");
  fetch = find(native, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_NE(fetch->body.find("\"msg_openai\""), std::string::npos);
}

TEST_F(ResponsesFlow, AnOpenAITargetsStreamReachesTheCallerAsItCameAndIsKept) {
  auto actions = post(R"({"model": "oa/gpt-4.1", "input": "Say hi", "stream": true})");
  const Action* fetch = find(actions, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->url, "http://oa.test/v1/responses");
  const char* upstream[][2] = {
      {"response.created", R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_s","object":"response","created_at":1,"status":"in_progress","model":"gpt-4.1","output":[],"usage":null}})"},
      {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_s","type":"message","status":"in_progress","role":"assistant","content":[]}})"},
      {"response.content_part.added", R"({"type":"response.content_part.added","sequence_number":2,"item_id":"msg_s","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}})"},
      {"response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_s","output_index":0,"content_index":0,"delta":"Hi sk-oa-secret"})"},
      {"response.completed", R"({"type":"response.completed","sequence_number":4,"response":{"id":"resp_s","object":"response","created_at":1,"status":"completed","model":"gpt-4.1","output":[{"id":"msg_s","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi sk-oa-secret","annotations":[]}]}],"usage":{"input_tokens":2,"output_tokens":1,"total_tokens":3}}})"},
  };
  std::string stream;
  for (const auto& [name, data] : upstream) stream += "event: " + std::string(name) + "\ndata: " + data + "\n\n";
  engine.fetch_response(fetch->id, 200, "content-type: text/event-stream\n", now);
  std::vector<Action> all = take();
  for (size_t at = 0; at < stream.size(); at += 97) {
    engine.fetch_body(fetch->id, std::string_view(stream).substr(at, 97), now);
    for (Action& a : settle(take())) all.push_back(std::move(a));
  }
  std::string text = chunks(all);
  std::string expected = stream;
  for (size_t at = expected.find("sk-oa-secret"); at != std::string::npos; at = expected.find("sk-oa-secret"))
    expected.replace(at, 12, "[redacted]");  // the provider's key never reaches the caller
  EXPECT_EQ(text, expected);
  EXPECT_NE(find(all, ActionKind::stream_end), nullptr);
  EXPECT_EQ(conversations_kept(all), 2);  // the response, and its message item
  EXPECT_NE(tier.end(), std::find_if(tier.begin(), tier.end(), [](const auto& e) {
    return e.second.find("msg_s") != std::string::npos && e.second.find("\"conversation\"") != std::string::npos;
  }));

  // The same request again: the cache's canonical answer, replayed as this format's events.
  auto again = post(R"({"model": "oa/gpt-4.1", "input": "Say hi", "stream": true})");
  EXPECT_EQ(find(again, ActionKind::fetch), nullptr);
  EXPECT_EQ(header(*respond(again), "x-switchyard-cache"), "HIT");
  std::string replay = chunks(again);
  EXPECT_EQ(replay.rfind("event: response.created\n", 0), 0u) << replay;
  EXPECT_NE(replay.find("event: response.output_text.delta\ndata: "), std::string::npos);
  EXPECT_NE(replay.find("event: response.completed\n"), std::string::npos);
  EXPECT_EQ(replay.find("sk-oa-secret"), std::string::npos);
}

TEST_F(ResponsesFlow, BuiltInToolsNeedATargetThatRunsThem) {
  auto refused = post(R"({"model": "default", "input": "news?", "tools": [{"type": "web_search_preview"}]})");
  const Action* a = respond(refused);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->status, 400u);
  auto error = parse(a->body)["error"].GetObject();
  EXPECT_STREQ(error["param"].GetString(), "tools[0].type");
  EXPECT_NE(std::string(error["message"].GetString()).find("natively"), std::string::npos);
  auto served = post(R"({"model": "oa/gpt-4.1", "input": "news?", "tools": [{"type": "web_search_preview"}]})");
  const Action* fetch = find(served, ActionKind::fetch);
  ASSERT_NE(fetch, nullptr);
  EXPECT_NE(fetch->body.find("web_search_preview"), std::string::npos);
}

}  // namespace
}  // namespace sy::engine
