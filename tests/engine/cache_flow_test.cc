// The cache as the engine uses it: single-flight, streams, the host's
// persistent tier, snapshots and tenants — driven in virtual time.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {

constexpr const char* kAnswer =
    R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cached words"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

std::string config(std::string_view cache = R"({"enabled": true})", std::string_view extra = "") {
  return std::string(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"},
                                       "e": {"type": "echo"}},
                         "retry": {"attempts": 0}, "cache": )") +
         std::string(cache) + std::string(extra) + "}";
}

constexpr const char* kChat = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
constexpr const char* kStreamChat = R"({"model": "a/m", "stream": true, "messages": [{"role": "user", "content": "hi"}]})";

class CacheFlow : public EngineTest {
 protected:
  const Action* respond_for(const std::vector<Action>& actions, uint32_t id) {
    for (const auto& a : actions)
      if (a.kind == ActionKind::respond && a.id == id) return &a;
    return nullptr;
  }
};

TEST_F(CacheFlow, IdenticalRequestsInFlightShareOneUpstreamCall) {
  configure(config());
  auto first = submit(kChat);
  uint32_t leader = last_id;
  for (int i = 0; i < 19; ++i) EXPECT_TRUE(submit(kChat).empty()) << i;  // followers wait quietly
  auto done = answer(first[0].id, 200, kAnswer);
  int coalesced = 0;
  for (uint32_t id = leader; id <= last_id; ++id) {
    const Action* r = respond_for(done, id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(parse(r->body)["choices"][0]["message"]["content"], "cached words");
    coalesced += header(*r, "x-switchyard-cache") == "COALESCED";
  }
  EXPECT_EQ(coalesced, 19);
  EXPECT_EQ(header(*respond_for(done, leader), "x-switchyard-cache"), "MISS");
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(CacheFlow, WhenTheLeaderFailsFollowersGoOnTheirOwn) {
  configure(config());
  auto first = submit(kChat);
  submit(kChat);
  submit(kChat);
  auto after = answer(first[0].id, 400, R"({"error": {"message": "bad"}})");
  EXPECT_EQ(respond_for(after, last_id - 2)->status, 400u);
  int fetches = 0;
  for (auto& a : after) fetches += a.kind == ActionKind::fetch;
  EXPECT_EQ(fetches, 2);  // each follower tries upstream itself
  for (auto& a : after)
    if (a.kind == ActionKind::fetch) answer(a.id, 200, kAnswer);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(CacheFlow, ACancelledLeaderReleasesItsFollowers) {
  configure(config());
  submit(kChat);
  uint32_t leader = last_id;
  submit(kChat);
  engine.cancel(leader, now);
  auto after = take();
  EXPECT_NE(find(after, ActionKind::fetch), nullptr);
}

TEST_F(CacheFlow, ACompletedStreamIsStoredAndReplayed) {
  configure(config());
  auto actions = submit(kStreamChat);
  engine.fetch_response(actions[0].id, 200, "", now);
  engine.fetch_body(actions[0].id,
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"stream\"}}]}\n\n"
                    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ed\"},\"finish_reason\":\"stop\"}]}\n\n"
                    "data: [DONE]\n\n",
                    now);
  auto streamed = take();
  EXPECT_EQ(header(streamed[0], "x-switchyard-cache"), "MISS");
  // The same request again, as a stream and as a plain request: no upstream.
  auto replay = submit(kStreamChat);
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(replay[0].flags, 1u);
  EXPECT_EQ(header(replay[0], "x-switchyard-cache"), "HIT");
  EXPECT_NE(replay[1].body.find("\"content\":\"streamed\""), std::string::npos);
  EXPECT_EQ(replay[1].body.substr(replay[1].body.size() - 14), "data: [DONE]\n\n");
  EXPECT_EQ(replay[2].kind, ActionKind::stream_end);
  auto plain = submit(kChat);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(parse(plain[0].body)["choices"][0]["message"]["content"], "streamed");
  EXPECT_STREQ(parse(plain[0].body)["provider"].GetString(), "a");
}

TEST_F(CacheFlow, PartialStreamsAreNeverStored) {
  configure(config());
  auto actions = submit(kStreamChat);
  engine.fetch_response(actions[0].id, 200, "", now);
  engine.fetch_body(actions[0].id, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n", now);
  engine.fetch_error(actions[0].id, "reset", now);
  take();
  EXPECT_EQ(submit(kStreamChat)[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, AStreamRequestIsServedFromACachedPlainAnswer) {
  configure(config());
  answer(submit(kChat)[0].id, 200, kAnswer);
  auto replay = submit(R"({"model": "a/m", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_NE(replay[1].body.find("\"content\":\"cached words\""), std::string::npos);
  EXPECT_NE(replay[1].body.find("\"total_tokens\":5"), std::string::npos);
}

TEST_F(CacheFlow, AnswersCutByMaxTokensAreNotStoredUnlessConfigured) {
  std::string cut = kAnswer;
  cut.replace(cut.find("\"stop\""), 6, "\"length\"");
  configure(config());
  answer(submit(kChat)[0].id, 200, cut);
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::fetch);
  engine.cancel(last_id, now);
  configure(config(R"({"enabled": true, "store_truncated": true})"));
  answer(submit(kChat)[0].id, 200, cut);
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::respond);
}

TEST_F(CacheFlow, ErrorsAndNoStoreAreNotStored) {
  configure(config());
  answer(submit(kChat)[0].id, 500, "{}");
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::fetch);
  engine.cancel(last_id, now);
  answer(submit(kChat, "/v1/chat/completions", "x-switchyard-cache: no-store\n")[0].id, 200, kAnswer);
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, RefreshOverwrites) {
  configure(config());
  answer(submit(kChat)[0].id, 200, kAnswer);
  std::string fresh = kAnswer;
  fresh.replace(fresh.find("cached words"), 12, "fresh words!");
  auto refresh = submit(kChat, "/v1/chat/completions", "x-switchyard-cache: refresh\n");
  ASSERT_EQ(refresh[0].kind, ActionKind::fetch);
  answer(refresh[0].id, 200, fresh);
  EXPECT_EQ(parse(submit(kChat)[0].body)["choices"][0]["message"]["content"], "fresh words!");
}

TEST_F(CacheFlow, TenantsNeverShareEntries) {
  configure(config(R"({"enabled": true})", R"(, "keys": {"sk-one": {}, "sk-two": {}})"));
  answer(submit(kChat, "/v1/chat/completions", "authorization: Bearer sk-one\n")[0].id, 200, kAnswer);
  EXPECT_EQ(submit(kChat, "/v1/chat/completions", "authorization: Bearer sk-one\n")[0].kind, ActionKind::respond);
  EXPECT_EQ(submit(kChat, "/v1/chat/completions", "authorization: Bearer sk-two\n")[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, ThePersistentTierIsAskedOnMissesAndGivenEveryAnswer) {
  configure(config(R"({"enabled": true, "persist": true})"));
  engine.enable_persistence(true);
  auto first = submit(kChat);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].kind, ActionKind::cache_get);
  EXPECT_EQ(first[0].id, last_id);
  std::string key = first[0].url;
  ASSERT_EQ(key.size(), 32u);
  engine.cache_result(last_id, "", now);  // a miss
  auto fetch = take();
  ASSERT_EQ(fetch[0].kind, ActionKind::fetch);
  auto done = answer(fetch[0].id, 200, kAnswer);
  const Action* put = find(done, ActionKind::cache_put);
  ASSERT_NE(put, nullptr);
  EXPECT_EQ(put->url, key);
  EXPECT_DOUBLE_EQ(put->at_ms, now + 3600 * 1000.0);
  auto entry = parse(put->body);
  EXPECT_STREQ(entry["key"].GetString(), key.c_str());
  EXPECT_STREQ(entry["target"].GetString(), "a/m");
  EXPECT_EQ(entry["answer"]["choices"][0]["message"]["content"], "cached words");
  EXPECT_EQ(put->body.find("sk-"), std::string::npos);

  // A new engine (a reload): its L1 is empty, the tier answers.
  Engine fresh(9);
  ASSERT_TRUE(fresh.configure(config(R"({"enabled": true, "persist": true})"), "{}"));
  fresh.enable_persistence(true);
  fresh.submit(1, "POST", "/v1/chat/completions", "", kChat, now);
  auto ask = decode(fresh.batch().data());
  ASSERT_EQ(ask[0].kind, ActionKind::cache_get);
  EXPECT_EQ(ask[0].url, key);
  fresh.cache_result(1, put->body, now);
  auto hit = decode(fresh.batch().data());
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0].kind, ActionKind::respond);
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  fresh.submit(2, "POST", "/v1/chat/completions", "", kChat, now);  // now in L1
  EXPECT_EQ(decode(fresh.batch().data())[0].kind, ActionKind::respond);
}

TEST_F(CacheFlow, CacheOnlyAsksTheTierThenFailsOffline) {
  configure(config(R"({"enabled": true, "persist": true})"));
  engine.enable_persistence(true);
  auto ask = submit(kChat, "/v1/chat/completions", "x-switchyard-cache: only\n");
  ASSERT_EQ(ask[0].kind, ActionKind::cache_get);
  engine.cache_result(last_id, "", now);
  auto r = take();
  EXPECT_EQ(r[0].status, 504u);
  EXPECT_NE(r[0].body.find("cache_miss_offline"), std::string::npos);
}

TEST_F(CacheFlow, SnapshotsExportAndImport) {
  configure(config());
  answer(submit(kChat)[0].id, 200, kAnswer);
  std::string json_snapshot = submit("", "/v1/cache", "", "GET")[0].body;
  auto doc = parse(json_snapshot);
  EXPECT_STREQ(doc["format"].GetString(), "switchyard.cache");
  ASSERT_EQ(doc["entries"].Size(), 1u);
  std::string ndjson = submit("", "/v1/cache?format=ndjson", "", "GET")[0].body;
  EXPECT_EQ(std::count(ndjson.begin(), ndjson.end(), '\n'), 2);

  for (const std::string& snapshot : {json_snapshot, ndjson}) {
    Engine fresh(3);
    ASSERT_TRUE(fresh.configure(config(), "{}"));
    fresh.submit(1, "PUT", "/v1/cache", "", snapshot, now);
    auto imported = decode(fresh.batch().data());
    EXPECT_EQ(imported[0].status, 200u);
    EXPECT_EQ(parse(imported[0].body)["imported"].GetInt(), 1);
    fresh.submit(2, "POST", "/v1/chat/completions", "x-switchyard-cache: only\n", kChat, now);
    auto hit = decode(fresh.batch().data());
    EXPECT_EQ(hit[0].status, 200u);
    EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  }
  EXPECT_EQ(parse(submit("", "/v1/cache", "", "DELETE")[0].body)["deleted"].GetInt(), 1);
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, ABadSnapshotChangesNothing) {
  configure(config());
  std::string good = R"({"key":"0123456789abcdef0123456789abcdef","target":"a/m","expires_at":1e15,"answer":)" +
                     std::string(kAnswer) + "}";
  auto r = submit(R"({"format":"switchyard.cache","version":1,"entries":[)" + good + R"(,{"key":"nope"}]})", "/v1/cache",
                  "", "PUT");
  EXPECT_EQ(r[0].status, 400u);
  EXPECT_NE(r[0].body.find("entries[1]"), std::string::npos);
  EXPECT_EQ(parse(submit("", "/v1/cache", "", "GET")[0].body)["entries"].Size(), 0u);
  EXPECT_EQ(submit("{\"format\":\"other\"}", "/v1/cache", "", "PUT")[0].status, 400u);
}

TEST_F(CacheFlow, SnapshotsNeedAnAdminKey) {
  configure(config(R"({"enabled": true})", R"(, "keys": {"sk-user": {}, "sk-ops": {"admin": true}})"));
  EXPECT_EQ(submit("", "/v1/cache", "authorization: Bearer sk-user\n", "GET")[0].status, 403u);
  EXPECT_EQ(submit("", "/v1/cache", "authorization: Bearer sk-ops\n", "GET")[0].status, 200u);
}

TEST_F(CacheFlow, EchoEmbeddings) {
  configure(config());
  auto r = submit(R"({"model": "e/emb", "input": ["one", "two"], "dimensions": 8})", "/v1/embeddings");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].status, 200u) << r[0].body;
  auto body = parse(r[0].body);
  EXPECT_STREQ(body["object"].GetString(), "list");
  ASSERT_EQ(body["data"].Size(), 2u);
  double norm = 0;
  for (auto& x : body["data"][0]["embedding"].GetArray()) norm += x.GetDouble() * x.GetDouble();
  EXPECT_NEAR(norm, 1, 1e-5);
  EXPECT_EQ(body["data"][0]["embedding"].Size(), 8u);
  EXPECT_NE(body["data"][0]["embedding"][0].GetDouble(), body["data"][1]["embedding"][0].GetDouble());
  auto again = submit(R"({"model": "e/emb", "input": ["one", "two"], "dimensions": 8})", "/v1/embeddings");
  EXPECT_EQ(header(again[0], "x-switchyard-cache"), "HIT");
  auto b64 = parse(submit(R"({"model": "e/emb", "input": "one", "encoding_format": "base64", "dimensions": 3})", "/v1/embeddings")[0].body);
  EXPECT_EQ(std::string(b64["data"][0]["embedding"].GetString()).size(), 16u);  // 12 bytes -> 16 base64 chars
  EXPECT_STREQ(parse(submit(R"({"model": "e/emb"})", "/v1/embeddings")[0].body)["error"]["param"].GetString(), "input");
  EXPECT_STREQ(parse(submit(R"({"model": "e/emb", "input": [1, "x"]})", "/v1/embeddings")[0].body)["error"]["param"].GetString(), "input");
  EXPECT_STREQ(parse(submit(R"({"model": "e/emb", "input": "x", "dimensions": 0})", "/v1/embeddings")[0].body)["error"]["param"].GetString(), "dimensions");
}

TEST_F(CacheFlow, EchoModelList) {
  configure(R"({"providers": {"e": {"type": "echo"}}, "models": {"m": {"targets": [{"provider": "e", "model": "echo-1"}]}}})");
  auto r = submit("", "/v1/models?provider=e", "", "GET");
  ASSERT_EQ(r[0].status, 200u) << r[0].body;
  EXPECT_STREQ(parse(r[0].body)["data"][0]["id"].GetString(), "echo-1");
  EXPECT_EQ(submit("", "/v1/models?provider=zz", "", "GET")[0].status, 404u);
}

}  // namespace
}  // namespace sy::engine
