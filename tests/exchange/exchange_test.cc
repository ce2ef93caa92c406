// The exchange's bookkeeping (src/exchange/exchange.cc): whole-request deadlines, cancellation,
// the next deadline a host arms its one timer at.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {


TEST_F(EngineTest, CancelStopsUpstreamWork) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})");
  engine.cancel(last_id, now);
  auto after = take();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].kind, ActionKind::fetch_abort);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, WholeRequestDeadline) {
  configure(upstream_config());
  auto actions = submit(R"({"model": "fo", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions",
                        "x-switchyard-timeout: 500\n");
  EXPECT_DOUBLE_EQ(deadline(), now + 500);
  now += 500;
  engine.timer(now);
  auto after = take();
  EXPECT_NE(find(after, ActionKind::fetch_abort), nullptr);
  EXPECT_EQ(find(after, ActionKind::respond)->status, 504u);
  EXPECT_EQ(engine.in_flight(), 0u);
}

}  // namespace
}  // namespace sy::engine
