#include "base/headers.h"

#include <gtest/gtest.h>

namespace sy {
namespace {

TEST(Headers, FindsExactNamesAndTrims) {
  std::string_view h = "content-type: application/json\nx-a:  one \r\nx-ab: two\n";
  EXPECT_EQ(header(h, "content-type"), "application/json");
  EXPECT_EQ(header(h, "x-a"), "one");
  EXPECT_EQ(header(h, "x-ab"), "two");
  EXPECT_EQ(header(h, "x"), "");
}

TEST(Headers, RetryAfterInSecondsOnly) {
  EXPECT_EQ(retry_after_ms("retry-after: 2\n"), 2000);
  EXPECT_EQ(retry_after_ms("retry-after: 0.5\n"), 500);
  EXPECT_EQ(retry_after_ms("retry-after: Wed, 21 Oct 2015 07:28:00 GMT\n"), -1);
  EXPECT_EQ(retry_after_ms(""), -1);
}

}  // namespace
}  // namespace sy
