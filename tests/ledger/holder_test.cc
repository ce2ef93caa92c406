#include "ledger/holder.h"

#include <gtest/gtest.h>

#include "ledger/pool.h"

namespace sy::ledger {
namespace {

Spec budget() { return Spec{"key:team", "budget", 10, 0, 3000}; }

// Sends the holder's op to `pool` at once and hands back the answer.
Answer round_trip(Holder& h, Pool& pool, double want, double min, double now) {
  Answer a = pool.lease(h.op(want, min, now), now);
  h.answered(a, now);
  return a;
}

TEST(Holder, TakesFromTheLeaseWithoutARoundTrip) {
  Pool pool;
  Holder h(budget(), "h-a");
  EXPECT_FALSE(h.take(1, 0));
  Op op = h.op(4, 1, 0);
  EXPECT_EQ(op.holder, "h-a");
  EXPECT_EQ(op.want, 4);
  EXPECT_EQ(op.min, 1);
  EXPECT_EQ(op.ttl_ms, 3000);
  EXPECT_TRUE(h.busy());
  h.answered(pool.lease(op, 0), 0);
  EXPECT_EQ(h.free(0), 4);
  auto a = h.take(1.5, 10);
  auto b = h.take(2.5, 10);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(h.take(0.1, 10));
  EXPECT_EQ(h.reserved(), 4);
}

TEST(Holder, SettlesAreReportedWithTheNextOp) {
  Pool pool;
  Holder h(budget(), "h-a");
  round_trip(h, pool, 4, 4, 0);
  auto t = h.take(2, 0);
  h.settle(*t, 1.5, 5);
  EXPECT_EQ(h.free(5), 2);  // what was reserved goes back to the object, not to the free part
  EXPECT_TRUE(h.due(5));    // reports go out at once
  Op op = h.op(0, 0, 5);
  EXPECT_EQ(op.spent, 1.5);
  EXPECT_EQ(op.returned, 2);
  Answer a = pool.lease(op, 5);
  h.answered(a, 5);
  EXPECT_EQ(a.consumed, 1.5);
  EXPECT_EQ(a.lease, 2);
  EXPECT_EQ(h.unreported(), 0);
  EXPECT_FALSE(h.due(5));
}

TEST(Holder, SpendBeyondTheTicketComesOutOfTheFreeLease) {
  Pool pool;
  Holder h(budget(), "h-a");
  round_trip(h, pool, 4, 4, 0);
  auto t = h.take(1, 0);
  h.settle(*t, 2.5, 1);  // 1.5 over: taken from the 3 free
  EXPECT_EQ(h.free(1), 1.5);
  Op op = h.op(0, 0, 1);
  EXPECT_EQ(op.returned, 2.5);
  EXPECT_EQ(pool.lease(op, 1).lease, 1.5);
}

TEST(Holder, ALeaseIsGoneLocallyAtItsExpiryCountedFromTheSend) {
  Pool pool;
  Holder h(budget(), "h-a");
  Op op = h.op(4, 1, 100);
  h.answered(pool.lease(op, 400), 900);  // applied at 400 (object expiry 3400), answered at 900
  EXPECT_EQ(h.expires_at(), 3100);       // never later than the object's
  auto t = h.take(1, 3099);
  ASSERT_TRUE(t);
  EXPECT_FALSE(h.take(1, 3100));
  EXPECT_EQ(h.free(3100), 0);
  // A ticket of the lost lease reports its spend, and returns nothing to the next lease.
  h.settle(*t, 0.5, 3200);
  Op report = h.op(0, 0, 3200);
  EXPECT_EQ(report.spent, 0.5);
  EXPECT_EQ(report.returned, 0);
}

TEST(Holder, RenewsALeaseStillNeededAndReturnsAnIdleOne) {
  Pool pool;
  Holder h(budget(), "h-a");
  round_trip(h, pool, 4, 4, 0);
  auto t = h.take(1, 0);
  EXPECT_EQ(h.next_deadline(), 2000);  // expires_at - ttl/3
  EXPECT_FALSE(h.due(1999));
  EXPECT_TRUE(h.due(2000));
  Answer a = round_trip(h, pool, 0, 0, 2000);
  EXPECT_EQ(a.lease, 4);
  EXPECT_EQ(pool.lease_of("h-a").second, 5000);
  EXPECT_EQ(h.expires_at(), 5000);
  h.settle(*t, 1, 2100);
  round_trip(h, pool, 0, 0, 2100);  // the report
  // Idle (nothing reserved) for ttl/2 after the last use: the whole lease goes back.
  EXPECT_EQ(h.next_deadline(), 3600);
  EXPECT_TRUE(h.due(3600));
  Op back = h.op(0, 0, 3600);
  EXPECT_EQ(back.returned, 3);
  a = pool.lease(back, 3600);
  h.answered(a, 3600);
  EXPECT_EQ(a.lease, 0);
  EXPECT_EQ(pool.lease_of("h-a").first, 0);
  EXPECT_EQ(h.next_deadline(), Holder::kInf);
}

TEST(Holder, AFailedOpKeepsItsReportsAndRetriesWithBackoff) {
  Pool pool;
  Spec spec = budget();
  spec.ttl_ms = 30000;
  Holder h(spec, "h-a");
  round_trip(h, pool, 4, 4, 0);
  auto t = h.take(2, 0);
  h.settle(*t, 2, 10);
  Op lost = h.op(0, 0, 10);
  h.failed(20);
  EXPECT_EQ(h.unreported(), 2);
  EXPECT_FALSE(h.due(500));
  EXPECT_EQ(h.next_deadline(), 1020);
  EXPECT_TRUE(h.due(1020));
  h.op(0, 0, 1020);
  h.failed(1030);
  EXPECT_EQ(h.next_deadline(), 3030);  // doubled
  Op again = h.op(0, 0, 3030);
  EXPECT_EQ(again.spent, lost.spent);
  EXPECT_EQ(again.returned, lost.returned);
  EXPECT_EQ(h.free(3030), 0);  // not used until an answer says what the object holds
  h.answered(pool.lease(again, 3030), 3030);
  EXPECT_EQ(h.free(3030), 2);
  EXPECT_EQ(h.unreported(), 0);
  EXPECT_EQ(pool.get(again, 3030).consumed, 2);  // reported exactly once
}

TEST(Holder, AnObjectThatLostTheLeaseStartsANewOne) {
  Pool pool;
  Holder h(budget(), "h-a");
  round_trip(h, pool, 4, 4, 0);
  auto t = h.take(3, 0);
  Pool fresh;  // the object forgot us (a lost answer counted a return twice, or it lost state)
  Answer a = round_trip(h, fresh, 2, 2, 1);
  EXPECT_EQ(a.lease, 2);
  EXPECT_EQ(h.free(1), 2);  // the old tickets no longer count against the new lease
  h.settle(*t, 3, 2);
  EXPECT_EQ(h.op(0, 0, 2).returned, 0);
}

TEST(Holder, ForcedTicketsReportSpendOnly) {
  Holder h(budget(), "h-a");
  Ticket t = h.force(1, 0);
  EXPECT_EQ(t.epoch, 0u);
  h.settle(t, 0.7, 1);
  Op op = h.op(0, 0, 1);
  EXPECT_EQ(op.spent, 0.7);
  EXPECT_EQ(op.returned, 0);
}

}  // namespace
}  // namespace sy::ledger

namespace sy::ledger {
namespace {

TEST(Holder, ReportsCanWaitForTheNextOp) {
  Pool pool;
  Spec rpm{"key:team", "rpm", 10, 60000, 3000};
  rpm.report_at_once = false;
  Holder h(rpm, "h-a");
  round_trip(h, pool, 4, 1, 0);
  auto t = h.take(1, 0);
  h.settle(*t, 1, 0);  // a start consumed one
  EXPECT_FALSE(h.due(0));  // rides with the next op
  EXPECT_EQ(h.next_deadline(), 1500);  // ... the idle return at the latest
  Op op = h.op(0, 0, 1500);
  EXPECT_EQ(op.spent, 1);
  EXPECT_EQ(op.returned, 4);  // the idle lease, with the consumed one
  // Without a lease to ride on, they go at once.
  Holder lone(rpm, "h-b");
  Ticket forced = lone.force(1, 0);
  lone.settle(forced, 1, 0);
  EXPECT_TRUE(lone.due(0));
}

}  // namespace
}  // namespace sy::ledger
