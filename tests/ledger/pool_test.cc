#include "ledger/pool.h"

#include <gtest/gtest.h>

namespace sy::ledger {
namespace {

Op lease(const std::string& holder, double want, double min, double spent = 0, double returned = 0) {
  Op op;
  op.pool = "budget";
  op.holder = holder;
  op.capacity = 10;
  op.window_ms = 0;
  op.ttl_ms = 1000;
  op.want = want;
  op.min = min;
  op.spent = spent;
  op.returned = returned;
  return op;
}

TEST(Pool, GrantsWhatIsAvailableWhenTheMinimumFits) {
  Pool pool;
  Answer a = pool.lease(lease("a", 4, 1), 0);
  EXPECT_EQ(a.granted, 4);
  EXPECT_EQ(a.lease, 4);
  EXPECT_EQ(a.available, 6);
  EXPECT_EQ(a.capacity, 10);
  Answer b = pool.lease(lease("b", 8, 2), 0);
  EXPECT_EQ(b.granted, 6);  // min(want, available)
  EXPECT_EQ(b.available, 0);
  Answer c = pool.lease(lease("c", 1, 1), 0);
  EXPECT_EQ(c.granted, 0);
  EXPECT_EQ(c.lease, 0);
  EXPECT_EQ(pool.lease_of("c").first, 0);  // a holder that holds nothing has no row
}

TEST(Pool, RefusesWhenLessThanTheMinimumIsAvailable) {
  Pool pool;
  pool.lease(lease("a", 7, 7), 0);
  Answer b = pool.lease(lease("b", 4, 4), 0);
  EXPECT_EQ(b.granted, 0);
  EXPECT_EQ(b.available, 3);
}

TEST(Pool, ReturnsAndSpendsBeforeItGrants) {
  Pool pool;
  pool.lease(lease("a", 10, 10), 0);
  // a returns 4 of its 10 and reports 3 spent: 3 consumed, lease 6, 1 available; then b asks.
  Answer a = pool.lease(lease("a", 0, 0, 3, 4), 10);
  EXPECT_EQ(a.lease, 6);
  EXPECT_EQ(a.consumed, 3);
  EXPECT_EQ(a.available, 1);
  EXPECT_EQ(a.granted, 0);  // want 0: only a report
  EXPECT_EQ(pool.lease(lease("b", 2, 1), 10).granted, 1);
  // Returning more than held leaves nothing, never a negative lease.
  EXPECT_EQ(pool.lease(lease("a", 0, 0, 0, 100), 10).lease, 0);
}

TEST(Pool, AnyOpRenewsAndExpiredLeasesGoBack) {
  Pool pool;
  pool.lease(lease("a", 5, 5), 0);
  EXPECT_EQ(pool.lease_of("a").second, 1000);
  pool.lease(lease("a", 0, 0), 600);  // a report renews
  EXPECT_EQ(pool.lease_of("a").second, 1600);
  Answer b = pool.lease(lease("b", 10, 1), 1599);
  EXPECT_EQ(b.granted, 5);
  Answer c = pool.lease(lease("c", 10, 1), 1600);  // a's lease expired at 1600
  EXPECT_EQ(c.granted, 5);
  EXPECT_EQ(pool.lease_of("a").first, 0);
}

TEST(Pool, WindowedConsumptionExpiresAfterTheWindow) {
  Pool pool;
  Op op = lease("a", 0, 0, 4, 0);
  op.window_ms = 60000;
  pool.lease(op, 1000);
  op.spent = 3;
  pool.lease(op, 30000);
  Op get = op;
  get.kind = Op::Kind::get;
  EXPECT_EQ(pool.get(get, 60999).consumed, 7);
  EXPECT_EQ(pool.get(get, 61000).consumed, 3);  // recorded at 1000, gone 60000 ms later
  EXPECT_EQ(pool.get(get, 90000).consumed, 0);
  // With window 0, consumption stays.
  Pool spend;
  spend.lease(lease("a", 0, 0, 4, 0), 0);
  Op total = lease("a", 0, 0);
  total.kind = Op::Kind::get;
  EXPECT_EQ(spend.get(total, 1e12).consumed, 4);
}

// A windowed pool's lease answer says when something it holds is let go next: the oldest
// consumption leaving the window or a lease expiring, whichever is first.
TEST(Pool, AWindowedAnswerSaysWhenSomethingFrees) {
  Pool pool;
  Op op = lease("a", 0, 0, 4, 0);
  op.window_ms = 60000;
  EXPECT_EQ(pool.lease(op, 1000).frees_in_ms, 60000);  // recorded at 1000: leaves the window at 61000
  op.spent = 0;
  op.holder = "b";
  op.want = op.min = 2;  // b's lease expires 1000 ms (ttl) after its op
  EXPECT_EQ(pool.lease(op, 30000).frees_in_ms, 1000);
  op.want = op.min = 0;
  op.returned = 2;  // b holds nothing any more: the consumption at 1000 is next
  EXPECT_EQ(pool.lease(op, 30500).frees_in_ms, 30500);
  EXPECT_EQ(pool.lease(op, 61000).frees_in_ms, 0);  // nothing held
  EXPECT_EQ(Pool().lease(lease("a", 1, 1), 0).frees_in_ms, -1);  // window 0: spend never frees
}

TEST(Pool, GetAnswersConsumedLeasedAndCapacity) {
  Pool pool;
  pool.lease(lease("a", 3, 3, 2, 0), 0);
  Op get = lease("", 0, 0);
  get.kind = Op::Kind::get;
  Answer a = pool.get(get, 1);
  EXPECT_EQ(a.consumed, 2);
  EXPECT_EQ(a.leased, 3);
  EXPECT_EQ(a.capacity, 10);
  EXPECT_EQ(pool.get(get, 1000).leased, 0);  // expired
}

TEST(Pool, OverspentPoolGrantsNothingEvenWithMinimumZero) {
  Pool pool;
  pool.lease(lease("a", 0, 0, 12, 0), 0);  // spend beyond capacity is recorded all the same
  Answer a = pool.lease(lease("a", 5, 0), 1);
  EXPECT_EQ(a.granted, 0);
  EXPECT_EQ(a.available, -2);
}

}  // namespace
}  // namespace sy::ledger
