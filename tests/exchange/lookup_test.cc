// The cache and single-flight (src/exchange/lookup.cc): L1 hits, keys, followers, streams stored
// and replayed, what is never stored, tenants, the host's persistent tier.
#include <gtest/gtest.h>

#include "engine/cache_flow.h"

namespace sy::engine {
namespace {



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
  ASSERT_GE(replay.size(), 3u);
  EXPECT_EQ(replay[0].flags, 1u);
  EXPECT_EQ(header(replay[0], "x-switchyard-cache"), "HIT");
  std::string text = chunks(replay);
  EXPECT_NE(text.find("\"content\":\"streamed\""), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 14), "data: [DONE]\n\n");
  EXPECT_EQ(replay.back().kind, ActionKind::stream_end);
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
  EXPECT_NE(chunks(replay).find("\"content\":\"cached words\""), std::string::npos);
  EXPECT_NE(chunks(replay).find("\"total_tokens\":5"), std::string::npos);
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
  auto ask = exchange::decode(fresh.batch().data());
  ASSERT_EQ(ask[0].kind, ActionKind::cache_get);
  EXPECT_EQ(ask[0].url, key);
  fresh.cache_result(1, put->body, now);
  auto hit = exchange::decode(fresh.batch().data());
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0].kind, ActionKind::respond);
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  fresh.submit(2, "POST", "/v1/chat/completions", "", kChat, now);  // now in L1
  EXPECT_EQ(exchange::decode(fresh.batch().data())[0].kind, ActionKind::respond);
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
  EXPECT_STREQ(parse(submit(R"({"model": "e/emb", "input": [1, "x"]})", "/v1/embeddings")[0].body)["error"]["param"].GetString(), "input[1]");
  EXPECT_STREQ(parse(submit(R"({"model": "e/emb", "input": "x", "dimensions": 0})", "/v1/embeddings")[0].body)["error"]["param"].GetString(), "dimensions");
}

TEST_F(CacheFlow, EchoModelList) {
  configure(R"({"providers": {"e": {"type": "echo"}}, "models": {"m": {"targets": [{"provider": "e", "model": "echo-1"}]}}})");
  auto r = submit("", "/v1/models?provider=e", "", "GET");
  ASSERT_EQ(r[0].status, 200u) << r[0].body;
  EXPECT_STREQ(parse(r[0].body)["data"][0]["id"].GetString(), "echo-1");
  EXPECT_EQ(submit("", "/v1/models?provider=zz", "", "GET")[0].status, 404u);
}

TEST_F(CacheFlow, CacheHitsIgnoreKeyOrderAndStreamControls) {
  configure(upstream_config(R"(, "cache": {"enabled": true})"));
  auto first = submit(R"({"model": "fo", "temperature": 0, "messages": [{"role": "user", "content": "hi"}]})");
  auto done = answer(first[0].id, 200, kCompletion);
  EXPECT_EQ(header(done[0], "x-switchyard-cache"), "MISS");
  auto second = submit(R"({ "messages": [{"content": "hi", "role": "user"}], "temperature": 0.0, "model": "fo", "user": "u1" })");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind, ActionKind::respond);
  EXPECT_EQ(header(second[0], "x-switchyard-cache"), "HIT");
  EXPECT_EQ(header(second[0], "x-switchyard-target"), "a/m-a");
  EXPECT_EQ(parse(second[0].body)["choices"][0]["message"]["content"], "hi!");
  auto different = submit(R"({"model": "fo", "temperature": 1, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(different[0].kind, ActionKind::fetch);
  auto no_store = submit(R"({"model": "fo", "temperature": 0, "switchyard": {"cache": "no-store"}, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(no_store[0].kind, ActionKind::fetch);
  auto only_miss = submit(R"({"model": "fo", "temperature": 2, "messages": [{"role": "user", "content": "hi"}]})",
                          "/v1/chat/completions", "x-switchyard-cache: only\n");
  EXPECT_EQ(only_miss[0].status, 504u);
  EXPECT_NE(only_miss[0].body.find("cache_miss_offline"), std::string::npos);
}

TEST_F(CacheFlow, CacheEntriesExpire) {
  configure(upstream_config(R"(, "cache": {"enabled": true, "ttl_s": 10})"));
  std::string body = R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})";
  answer(submit(body)[0].id, 200, kCompletion);
  now += 9999;
  EXPECT_EQ(submit(body)[0].kind, ActionKind::respond);
  now += 1;
  EXPECT_EQ(submit(body)[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, HitsMoveNoRoundRobinTurn) {
  // Two targets in turn; a hit between two misses leaves the second miss its turn on b.
  configure(upstream_config(R"(, "cache": {"enabled": true})"));
  auto ask = [&](std::string_view content) {
    return submit(R"({"model": "rr", "messages": [{"role": "user", "content": ")" + std::string(content) + R"("}]})");
  };
  auto first = ask("one");
  ASSERT_EQ(first[0].kind, ActionKind::fetch);
  EXPECT_NE(first[0].url.find("a.test"), std::string::npos);
  answer(first[0].id, 200, kAnswer);
  EXPECT_EQ(header(ask("one")[0], "x-switchyard-cache"), "HIT");
  auto second = ask("two");
  ASSERT_EQ(second[0].kind, ActionKind::fetch);
  EXPECT_NE(second[0].url.find("b.test"), std::string::npos);
}

TEST_F(CacheFlow, ACacheOnlyRequestForAnUnknownModelSaysSo) {
  configure(config());
  std::string only = std::string(kJson) + "x-switchyard-cache: only\n";
  auto unknown = submit(R"({"model": "nope", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions", only);
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_STREQ(parse(unknown[0].body)["error"]["code"].GetString(), "model_not_found");
  auto missing = submit(kChat, "/v1/chat/completions", only);
  EXPECT_EQ(missing[0].status, 504u);
}

}  // namespace
}  // namespace sy::engine
