// Cache snapshots (src/gateway/snapshot.cc): export, import all or nothing, admin keys, and the
// host's persistent tier merged in (CACHE_LIST) and emptied (CACHE_CLEAR).
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/cache_flow.h"

namespace sy::engine {
namespace {



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
    auto imported = exchange::decode(fresh.batch().data());
    EXPECT_EQ(imported[0].status, 200u);
    EXPECT_EQ(parse(imported[0].body)["imported"].GetInt(), 1);
    fresh.submit(2, "POST", "/v1/chat/completions", "x-switchyard-cache: only\n", kChat, now);
    auto hit = exchange::decode(fresh.batch().data());
    EXPECT_EQ(hit[0].status, 200u);
    EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  }
  EXPECT_EQ(parse(submit("", "/v1/cache", "", "DELETE")[0].body)["deleted"].GetInt(), 1);
  EXPECT_EQ(submit(kChat)[0].kind, ActionKind::fetch);
}

TEST_F(CacheFlow, ImageAnswersTravelInSnapshots) {
  configure(config());
  const char* image = R"({"model": "e/echo-img", "prompt": "A cute baby sea otter"})";
  auto first = submit(image, "/v1/images/generations");
  ASSERT_EQ(first[0].status, 200u);
  std::string snapshot = submit("", "/v1/cache", "", "GET")[0].body;
  ASSERT_EQ(parse(snapshot)["entries"].Size(), 1u);
  Engine fresh(3);
  ASSERT_TRUE(fresh.configure(config(), "{}"));
  fresh.submit(1, "PUT", "/v1/cache", "", snapshot, now);
  auto imported = exchange::decode(fresh.batch().data());
  ASSERT_EQ(imported[0].status, 200u) << imported[0].body;
  EXPECT_EQ(parse(imported[0].body)["imported"].GetInt(), 1);
  fresh.submit(2, "POST", "/v1/images/generations", "x-switchyard-cache: only\n", image, now);
  auto hit = exchange::decode(fresh.batch().data());
  EXPECT_EQ(hit[0].status, 200u);
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  EXPECT_EQ(hit[0].body, first[0].body);
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

TEST_F(CacheFlow, WithAPersistentTierSnapshotsHoldTheTierToo) {
  configure(config(R"({"enabled": true, "persist": true})"));
  engine.enable_persistence(true);
  submit(kChat);
  engine.cache_result(last_id, "", now);
  auto done = answer(find(take(), ActionKind::fetch)->id, 200, kAnswer);
  std::string mine = find(done, ActionKind::cache_put)->body;
  std::string other = R"({"key":"0123456789abcdef0123456789abcdef","target":"a/m","expires_at":1e15,"answer":)" +
                      std::string(kAnswer) + "}";
  std::string expired = R"({"key":"fedcba9876543210fedcba9876543210","target":"a/m","expires_at":1,"answer":)" +
                        std::string(kAnswer) + "}";
  std::string older_mine = mine;  // the same key, expiring sooner: the core's newer entry wins
  older_mine.replace(older_mine.find("\"expires_at\":") + 13, 1, "1");

  auto list = submit("", "/v1/cache?format=ndjson", "", "GET");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, ActionKind::cache_list);
  EXPECT_EQ(list[0].id, last_id);
  engine.cache_result(last_id, older_mine + "\n" + other + "\n" + expired + "\nnot json\n", now);
  auto exported = take();
  ASSERT_EQ(exported.size(), 1u);
  EXPECT_EQ(header(exported[0], "content-type"), "application/x-ndjson");
  const std::string& text = exported[0].body;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);  // the head and two entries
  EXPECT_NE(text.find(mine), std::string::npos);
  EXPECT_NE(text.find("0123456789abcdef0123456789abcdef"), std::string::npos);
  EXPECT_EQ(text.find("fedcba9876543210"), std::string::npos);

  auto clear = submit("", "/v1/cache", "", "DELETE");
  ASSERT_EQ(clear[0].kind, ActionKind::cache_clear);
  engine.cache_result(last_id, "", now);
  auto cleared = take();
  EXPECT_EQ(parse(cleared[0].body)["deleted"].GetInt(), 1);
}

}  // namespace
}  // namespace sy::engine
