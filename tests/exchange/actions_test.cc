#include "exchange/actions.h"

#include <gtest/gtest.h>

namespace sy::exchange {
namespace {

TEST(Actions, EveryKindRoundTrips) {
  ActionBatch batch;
  batch.fetch(1, 2, true, "POST", "http://u", "h: v\n", "body");
  batch.fetch_abort(1);
  batch.respond(2, 200, true, "x: y\n", "");
  batch.stream_chunk(2, "data: 1\n\n");
  batch.stream_end(2);
  batch.log("line");
  batch.cache_get(3, "key");
  batch.cache_put("key", "entry", 1.5e12);
  batch.cache_list(4);
  batch.cache_clear(5);
  batch.state(7, 6, "key:team", "{\"op\":\"get\"}");
  auto actions = decode(batch.data());
  ASSERT_EQ(actions.size(), 11u);
  EXPECT_EQ(actions[10].kind, ActionKind::state);
  EXPECT_EQ(actions[10].id, 7u);
  EXPECT_EQ(actions[10].status, 6u);
  EXPECT_EQ(actions[10].url, "key:team");
  EXPECT_EQ(actions[10].body, "{\"op\":\"get\"}");
  EXPECT_EQ(actions[0].kind, ActionKind::fetch);
  EXPECT_EQ(actions[0].status, 2u);
  EXPECT_EQ(actions[0].flags, 1u);
  EXPECT_EQ(actions[0].body, "body");
  EXPECT_EQ(actions[2].status, 200u);
  EXPECT_EQ(actions[5].body, "line");
  EXPECT_EQ(actions[7].at_ms, 1.5e12);
  EXPECT_EQ(actions[8].kind, ActionKind::cache_list);
  EXPECT_EQ(actions[8].id, 4u);
  EXPECT_EQ(actions[9].kind, ActionKind::cache_clear);
  batch.clear();
  EXPECT_TRUE(decode(batch.data()).empty());
}

TEST(Actions, SendCarriesItsOwnerAndRequest) {
  ActionBatch batch;
  batch.send(7, "POST", "http://otel.test/v1/traces", "content-type: application/json\n", "{}");
  auto actions = decode(batch.data());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::send);
  EXPECT_EQ(uint32_t(actions[0].kind), 13u);
  EXPECT_EQ(actions[0].id, 0u);
  EXPECT_EQ(actions[0].status, 7u);
  EXPECT_EQ(actions[0].method, "POST");
  EXPECT_EQ(actions[0].url, "http://otel.test/v1/traces");
  EXPECT_EQ(actions[0].headers, "content-type: application/json\n");
  EXPECT_EQ(actions[0].body, "{}");
}

}  // namespace
}  // namespace sy::exchange
