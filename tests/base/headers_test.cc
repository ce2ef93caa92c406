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

TEST(Headers, LastLineWithoutNewlineEmptyValuesAndNamesInsideValues) {
  std::string_view h = "a: x-b: 1\nempty:\t \nb:2";
  EXPECT_EQ(header(h, "b"), "2");  // the last line needs no newline
  EXPECT_EQ(header(h, "a"), "x-b: 1");
  EXPECT_EQ(header(h, "x-b"), "");  // a name inside a value is not a line's name
  EXPECT_TRUE(header(h, "empty").empty());
  EXPECT_EQ(header("", "a"), "");
  EXPECT_EQ(header("\n\n", "a"), "");
}

TEST(Headers, PrefixMatchesOnlyTheStartOfANameFollowedByMore) {
  std::string_view h = "accept: */*\nx-switchyard-timeout: 5\n";
  EXPECT_TRUE(has_header_prefix(h, "x-switchyard-"));
  EXPECT_TRUE(has_header_prefix(h, "acc"));
  EXPECT_FALSE(has_header_prefix(h, "switchyard"));
  EXPECT_FALSE(has_header_prefix("x-switchyard-", "x-switchyard-"));  // a prefix is not a whole line
  EXPECT_FALSE(has_header_prefix("accept: x-switchyard-a\n", "x-switchyard-"));
  EXPECT_FALSE(has_header_prefix("", "x"));
}

TEST(Headers, ContentLengthIsDigitsOnly) {
  EXPECT_EQ(content_length("0"), 0);
  EXPECT_EQ(content_length("1024"), 1024);
  EXPECT_GT(content_length("99999999999999999999"), 9e19);  // too long for any limit, still a number
  EXPECT_EQ(content_length(""), -1);
  EXPECT_EQ(content_length("12a"), -1);
  EXPECT_EQ(content_length("-1"), -1);
  EXPECT_EQ(content_length("1.5"), -1);
  EXPECT_EQ(content_length(" 5"), -1);  // header() trims; a value with blanks inside is no length
}

TEST(Headers, RetryAfterInSecondsOnly) {
  EXPECT_EQ(retry_after_ms("retry-after: 2\n"), 2000);
  EXPECT_EQ(retry_after_ms("retry-after: 0.5\n"), 500);
  EXPECT_EQ(retry_after_ms("retry-after: Wed, 21 Oct 2015 07:28:00 GMT\n"), -1);
  EXPECT_EQ(retry_after_ms(""), -1);
}

}  // namespace
}  // namespace sy
