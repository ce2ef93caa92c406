// Placeholder names of pipeline templates (src/config/reference.cc).
#include <gtest/gtest.h>

#include "config/config.h"

namespace sy::config {
namespace {

Pipeline two_steps() {
  Pipeline p;
  p.steps.resize(2);
  p.steps[0].id = "describe";
  p.steps[1].id = "translate";
  return p;
}

TEST(PipelineReference, InputsTextsAndJsonPaths) {
  Pipeline p = two_steps();
  Reference r;
  ASSERT_TRUE(parse_reference("input.lang", p, r));
  EXPECT_EQ(r.kind, Reference::Kind::input);
  EXPECT_EQ(r.path, (std::vector<std::string>{"lang"}));
  ASSERT_TRUE(parse_reference("input", p, r));
  EXPECT_TRUE(r.path.empty());
  ASSERT_TRUE(parse_reference("translate.text", p, r));
  EXPECT_EQ(r.kind, Reference::Kind::text);
  EXPECT_EQ(r.step, 1);
  ASSERT_TRUE(parse_reference("describe.json.items.0.name", p, r));
  EXPECT_EQ(r.kind, Reference::Kind::json);
  EXPECT_EQ(r.step, 0);
  EXPECT_EQ(r.path, (std::vector<std::string>{"items", "0", "name"}));
  ASSERT_TRUE(parse_reference("describe.json", p, r));
  EXPECT_TRUE(r.path.empty());
}

TEST(PipelineReference, NamesThatCanNameNothing) {
  Pipeline p = two_steps();
  Reference r;
  for (const char* name : {"", "input.", ".text", "describe", "describe.text.more", "describe.usage", "nope.text",
                           "describe..json", "describe.json..a"})
    EXPECT_FALSE(parse_reference(name, p, r)) << name;
}

}  // namespace
}  // namespace sy::config
