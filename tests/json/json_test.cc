#include "json/json.h"

#include <gtest/gtest.h>

namespace sy::json {
namespace {

TEST(Json, FindTakesViewsThatAreNotNulTerminated) {
  Document doc;
  std::string error;
  ASSERT_TRUE(parse(R"({"name": 1, "na": 2})", doc, error));
  std::string_view text = "xnamex";
  ASSERT_NE(find(doc, text.substr(1, 4)), nullptr);
  EXPECT_EQ(find(doc, text.substr(1, 4))->GetInt(), 1);
  EXPECT_EQ(find(doc, text.substr(1, 2))->GetInt(), 2);
  EXPECT_EQ(find(doc, "nam"), nullptr);
}

TEST(Json, RefusesDeepNestingAndTrailingGarbage) {
  Document doc;
  std::string error;
  EXPECT_FALSE(parse(std::string(200, '[') + std::string(200, ']'), doc, error));
  EXPECT_NE(error.find("deeper than"), std::string::npos);
  EXPECT_TRUE(parse(R"({"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})",
                    doc, error))
      << error;
  EXPECT_FALSE(parse("{} {}", doc, error));
  EXPECT_TRUE(parse("{}  \n", doc, error));
}

TEST(Json, AppendStringEscapes) {
  std::string out;
  append_string(out, std::string_view("a\"b\\c\n\x01é", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001é\"");
}

TEST(Json, AppendNumber) {
  std::string out;
  append_number(out, 3);
  out += ' ';
  append_number(out, 0.25);
  out += ' ';
  append_number(out, 1.0 / 0.0);
  EXPECT_EQ(out, "3 0.25 null");
}

}  // namespace
}  // namespace sy::json
