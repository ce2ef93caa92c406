// A step's canonical request (src/pipeline/request.cc): its service's templates or its own, the
// model override, structured output, streaming.
#include "pipeline/request.h"

#include <gtest/gtest.h>

namespace sy::pipeline {
namespace {

std::shared_ptr<const config::Config> load() {
  std::vector<config::Problem> problems;
  auto c = config::load(R"({"providers": {"e": {"type": "echo"}},
    "services": {"t": {"model": "e/one", "prompt": "Translate {{text}}", "schema": {"type": "object"}}}})",
                        "{}", problems);
  EXPECT_TRUE(c) << (problems.empty() ? "" : problems[0].message);
  return c;
}

TEST(StepRequestTest, FromAServiceWithItsModelOverridden) {
  auto config = load();
  config::PipelineStep step;
  step.id = "s";
  step.service = "t";
  step.model = "e/two";
  model::Envelope env;
  Error error;
  ASSERT_TRUE(step_request(*config, step, R"({"text": "hola"})", false, env, error)) << error.message;
  EXPECT_EQ(env.request.model, "e/two");
  EXPECT_FALSE(env.request.stream);
  EXPECT_NE(env.text.find("Translate hola"), std::string::npos);
  EXPECT_NE(env.text.find("json_schema"), std::string::npos);
  EXPECT_TRUE(structured(*config, step));
}

TEST(StepRequestTest, InlineTemplatesAndStreaming) {
  auto config = load();
  config::PipelineStep step;
  step.id = "s";
  step.model = "e/one";
  step.system = "Be brief.";
  step.prompt = "Say {{x}}";
  model::Envelope env;
  Error error;
  ASSERT_TRUE(step_request(*config, step, R"({"x": "hi"})", true, env, error)) << error.message;
  EXPECT_TRUE(env.request.stream);
  EXPECT_NE(env.text.find("Say hi"), std::string::npos);
  EXPECT_FALSE(structured(*config, step));
}

TEST(StepRequestTest, Refusals) {
  auto config = load();
  config::PipelineStep step;
  step.id = "s";
  step.service = "t";
  model::Envelope env;
  Error error;
  EXPECT_FALSE(step_request(*config, step, R"({"other": 1})", false, env, error));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.param, "text");
  step.service = "nope";
  EXPECT_FALSE(step_request(*config, step, "{}", false, env, error));
  EXPECT_EQ(error.status, 404);
}

}  // namespace
}  // namespace sy::pipeline
