#include "ledger/op.h"

#include <gtest/gtest.h>

namespace sy::ledger {
namespace {

TEST(LedgerOp, LeaseRoundTrips) {
  Op op;
  op.pool = "budget";
  op.holder = "h-5f2c0000aaaa1111";
  op.capacity = 0.05;
  op.ttl_ms = 30000;
  op.want = 0.01;
  op.min = 0.004;
  op.spent = 0.0123;
  op.returned = 0.018;
  std::string text = encode(op);
  EXPECT_EQ(text,
            "{\"op\":\"lease\",\"pool\":\"budget\",\"holder\":\"h-5f2c0000aaaa1111\",\"capacity\":0.05,"
            "\"window_ms\":0,\"ttl_ms\":30000,\"want\":0.01,\"min\":0.004,\"spent\":0.0123,\"returned\":0.018}");
  Op back;
  std::string error;
  ASSERT_TRUE(decode(text, back, error)) << error;
  EXPECT_EQ(back.holder, op.holder);
  EXPECT_EQ(back.capacity, 0.05);
  EXPECT_EQ(back.spent, 0.0123);
  EXPECT_EQ(back.returned, 0.018);
}

TEST(LedgerOp, GetRoundTrips) {
  Op op;
  op.kind = Op::Kind::get;
  op.pool = "rpm";
  op.capacity = 10;
  op.window_ms = 60000;
  std::string text = encode(op);
  EXPECT_EQ(text, "{\"op\":\"get\",\"pool\":\"rpm\",\"capacity\":10,\"window_ms\":60000}");
  Op back;
  std::string error;
  ASSERT_TRUE(decode(text, back, error)) << error;
  EXPECT_EQ(back.kind, Op::Kind::get);
  EXPECT_EQ(back.window_ms, 60000);
}

TEST(LedgerOp, BadOpsNameTheMemberAtFault) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"[1]", "an op must be a JSON object"},
      {"{\"op\":\"take\",\"pool\":\"b\"}", "\"op\" must be \"lease\" or \"get\""},
      {"{\"op\":\"get\",\"capacity\":1,\"window_ms\":0}", "\"pool\" must be a string of 1 to 128 characters"},
      {"{\"op\":\"get\",\"pool\":\"b\",\"window_ms\":0}", "\"capacity\" is required"},
      {"{\"op\":\"lease\",\"pool\":\"b\",\"capacity\":1,\"window_ms\":0,\"ttl_ms\":1}",
       "\"holder\" must be a string of 1 to 128 characters"},
      {"{\"op\":\"lease\",\"pool\":\"b\",\"holder\":\"h\",\"capacity\":1,\"window_ms\":0,\"ttl_ms\":0}",
       "\"ttl_ms\" must be a number > 0"},
      {"{\"op\":\"lease\",\"pool\":\"b\",\"holder\":\"h\",\"capacity\":1,\"window_ms\":0,\"ttl_ms\":5,\"want\":-1}",
       "\"want\" must be a number >= 0"},
      {"{\"op\":\"lease\",\"pool\":\"b\",\"holder\":\"h\",\"capacity\":\"1\",\"window_ms\":0,\"ttl_ms\":5}",
       "\"capacity\" must be a number >= 0"},
  };
  for (const Case& c : cases) {
    Op op;
    std::string error;
    EXPECT_FALSE(decode(c.text, op, error)) << c.text;
    EXPECT_EQ(error, c.error) << c.text;
  }
  Op op;
  std::string error;
  EXPECT_FALSE(decode("{", op, error));
  EXPECT_FALSE(error.empty());
}

TEST(LedgerOp, AnswersRoundTripAndBrokenOnesFail) {
  Answer a;
  a.granted = 0.01;
  a.lease = 0.02;
  a.available = 0.03;
  a.consumed = 0.004;
  a.capacity = 0.05;
  std::string text = encode(a, Op::Kind::lease);
  EXPECT_EQ(text, "{\"consumed\":0.004,\"granted\":0.01,\"lease\":0.02,\"available\":0.03,\"capacity\":0.05}");
  Answer back;
  ASSERT_TRUE(decode(text, Op::Kind::lease, back));
  EXPECT_EQ(back.lease, 0.02);
  EXPECT_EQ(back.available, 0.03);
  Answer get;
  get.leased = 2;
  get.consumed = 1;
  get.capacity = 3;
  ASSERT_TRUE(decode(encode(get, Op::Kind::get), Op::Kind::get, back));
  EXPECT_EQ(back.leased, 2);
  EXPECT_FALSE(decode("", Op::Kind::lease, back));
  EXPECT_FALSE(decode("{\"error\":\"bad op\"}", Op::Kind::lease, back));
  EXPECT_FALSE(decode("{\"consumed\":0,\"granted\":-1,\"lease\":0,\"available\":0,\"capacity\":1}",
                      Op::Kind::lease, back));
  EXPECT_FALSE(decode("not json", Op::Kind::get, back));
  EXPECT_EQ(back.frees_in_ms, -1);  // not said: not known
  // A windowed pool's answer says when something frees; when present it is a number >= 0.
  a.frees_in_ms = 1500;
  text = encode(a, Op::Kind::lease);
  EXPECT_EQ(text, "{\"consumed\":0.004,\"granted\":0.01,\"lease\":0.02,\"available\":0.03,\"frees_in_ms\":1500,\"capacity\":0.05}");
  ASSERT_TRUE(decode(text, Op::Kind::lease, back));
  EXPECT_EQ(back.frees_in_ms, 1500);
  EXPECT_FALSE(decode("{\"consumed\":0,\"granted\":0,\"lease\":0,\"available\":0,\"frees_in_ms\":-3,\"capacity\":1}",
                      Op::Kind::lease, back));
  EXPECT_FALSE(decode("{\"consumed\":0,\"granted\":0,\"lease\":0,\"available\":0,\"frees_in_ms\":\"soon\",\"capacity\":1}",
                      Op::Kind::lease, back));
}

}  // namespace
}  // namespace sy::ledger
