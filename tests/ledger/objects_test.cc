#include "ledger/objects.h"

#include <gtest/gtest.h>

namespace sy::ledger {
namespace {

TEST(Objects, EachNameHoldsItsOwnPools) {
  Objects objects;
  std::string out;
  const char* op =
      "{\"op\":\"lease\",\"pool\":\"budget\",\"holder\":\"h-1\",\"capacity\":1,\"window_ms\":0,\"ttl_ms\":100,"
      "\"want\":0.6,\"min\":0.6}";
  ASSERT_TRUE(objects.apply("key:a", op, 0, out));
  EXPECT_EQ(out, "{\"consumed\":0,\"granted\":0.6,\"lease\":0.6,\"available\":0.4,\"capacity\":1}");
  ASSERT_TRUE(objects.apply("key:b", op, 0, out));  // another object: its own budget
  EXPECT_NE(out.find("\"granted\":0.6"), std::string::npos);
  ASSERT_TRUE(objects.apply("key:a", op, 0, out));
  EXPECT_NE(out.find("\"granted\":0,"), std::string::npos);
  ASSERT_TRUE(objects.apply("key:a", "{\"op\":\"get\",\"pool\":\"budget\",\"capacity\":1,\"window_ms\":0}", 1, out));
  EXPECT_EQ(out, "{\"consumed\":0,\"leased\":0.6,\"capacity\":1}");
  EXPECT_NE(objects.find("key:a", "budget"), nullptr);
  EXPECT_EQ(objects.find("key:a", "rpm"), nullptr);
  EXPECT_EQ(objects.find("key:c", "budget"), nullptr);
}

TEST(Objects, ABadOpIsAnErrorAndChangesNothing) {
  Objects objects;
  std::string out;
  EXPECT_FALSE(objects.apply("key:a", "{\"op\":\"lease\"}", 0, out));
  EXPECT_EQ(out, "\"pool\" must be a string of 1 to 128 characters");
  EXPECT_EQ(objects.find("key:a", "budget"), nullptr);
}

}  // namespace
}  // namespace sy::ledger
