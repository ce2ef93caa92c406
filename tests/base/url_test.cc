#include "base/url.h"

#include <gtest/gtest.h>

namespace sy {
namespace {

TEST(PathSegment, NoNameCanLeaveItsSegment) {
  EXPECT_EQ(path_segment("gpt-4o_mini.2~x"), "gpt-4o_mini.2~x");
  EXPECT_EQ(path_segment("../../x?y="), "..%2F..%2Fx%3Fy%3D");
  EXPECT_EQ(path_segment("x:generateContent?key=k#"), "x%3AgenerateContent%3Fkey%3Dk%23");
  EXPECT_EQ(path_segment(".."), "%2E%2E");
  EXPECT_EQ(path_segment("."), "%2E");
  EXPECT_EQ(path_segment("a b/é"), "a%20b%2F%C3%A9");
  EXPECT_EQ(path_segment(""), "");
}

TEST(QueryParam, DecodesAndFindsExactNames) {
  EXPECT_EQ(query_param("provider=open%20ai&x=1", "provider"), "open ai");
  EXPECT_EQ(query_param("a=1&format=ndjson", "format"), "ndjson");
  EXPECT_EQ(query_param("formats=x", "format"), "");
  EXPECT_EQ(query_param("q=a+b", "q"), "a b");
  EXPECT_EQ(query_param("", "q"), "");
}

TEST(PercentDecode, KeepsInvalidEscapes) {
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz"), "%zz");
}

}  // namespace
}  // namespace sy
