// Template values of a pipeline (src/pipeline/values.cc): input and step references, array
// indexes, null outputs, the output value and the facts `when` reads.
#include "pipeline/values.h"

#include <gtest/gtest.h>

namespace sy::pipeline {
namespace {

class ValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b"}) {
      config::PipelineStep s;
      s.id = id;
      s.input = {{"q", "{{input.q}}"}};
      pipeline.steps.push_back(s);
    }
    std::string error;
    ASSERT_TRUE(json::parse(R"({"q": "why", "n": 3, "list": [{"k": "v"}]})", input, error));
    steps.resize(2);
    steps[0].status = StepState::Status::done;
    steps[0].has_text = true;
    steps[0].text = R"({"items": ["x", {"y": 1}]})";
    steps[0].json = std::make_unique<json::Document>();
    ASSERT_TRUE(json::parse(steps[0].text, *steps[0].json, error));
    steps[1].status = StepState::Status::skipped;
  }

  std::string rendered(std::string_view tmpl) {
    std::string out, missing;
    EXPECT_TRUE(render({pipeline, input, steps}, tmpl, out, missing)) << missing;
    return out;
  }

  config::Pipeline pipeline;
  json::Document input;
  std::vector<StepState> steps;
};

TEST_F(ValuesTest, ReferencesRenderAsTextOrJson) {
  EXPECT_EQ(rendered("{{input.q}} {{ input.n }}"), "why 3");
  EXPECT_EQ(rendered("{{input.list.0.k}}"), "v");
  EXPECT_EQ(rendered("{{a.json.items.0}}|{{a.json.items.1}}"), R"(x|{"y":1})");
  EXPECT_EQ(rendered("[{{b.text}}]"), "[]");  // skipped: null renders as nothing
  std::string out, missing;
  EXPECT_FALSE(render({pipeline, input, steps}, "{{input.nope}}", out, missing));
  EXPECT_EQ(missing, "input.nope");
  EXPECT_FALSE(render({pipeline, input, steps}, "{{a.json.items.9}}", out, missing));
  EXPECT_FALSE(render({pipeline, input, steps}, "{{zz.text}}", out, missing));
}

TEST_F(ValuesTest, StepInputIsAnObjectOfStrings) {
  std::string out, missing;
  ASSERT_TRUE(step_input({pipeline, input, steps}, 0, out, missing));
  EXPECT_EQ(out, R"({"q":"why"})");
}

TEST_F(ValuesTest, OutputValue) {
  Scope scope{pipeline, input, steps};
  EXPECT_EQ(output_value(scope), "null");  // the last step was skipped
  pipeline.output = "{{a.json.items.1}}";
  EXPECT_EQ(output_value(scope), R"({"y":1})");
  pipeline.output = " {{input.n}} ";
  EXPECT_EQ(output_value(scope), "3");
  pipeline.output = "{{a.text}}";
  EXPECT_EQ(output_value(scope), R"("{\"items\": [\"x\", {\"y\": 1}]}")");
  pipeline.output = "q: {{input.q}}";
  EXPECT_EQ(output_value(scope), R"("q: why")");
  pipeline.output = "{{input.zz}}";
  EXPECT_EQ(output_value(scope), "null");
}

TEST_F(ValuesTest, TheOutputStepIsTheOneTheOutputNames) {
  EXPECT_EQ(output_step(pipeline), 1u);
  pipeline.output = "{{input.q}} {{a.text}}";
  EXPECT_EQ(output_step(pipeline), 0u);
}

TEST_F(ValuesTest, ConditionFieldsOfFinishedSteps) {
  EXPECT_EQ(condition_fields({pipeline, input, steps}),
            R"({"input":{"q":"why","n":3,"list":[{"k":"v"}]},"a":{"text":"{\"items\": [\"x\", {\"y\": 1}]}","json":{"items":["x",{"y":1}]}},"b":null})");
}

TEST(WalkTest, ObjectsAndArrays) {
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(R"({"a": [10, {"b": true}]})", doc, error));
  EXPECT_EQ(walk(&doc, {"a", "0"})->GetInt(), 10);
  EXPECT_TRUE(walk(&doc, {"a", "1", "b"})->GetBool());
  EXPECT_EQ(walk(&doc, {"a", "x"}), nullptr);
  EXPECT_EQ(walk(&doc, {"a", "0", "c"}), nullptr);
  EXPECT_EQ(walk(&doc, {}), &doc);
}

}  // namespace
}  // namespace sy::pipeline
