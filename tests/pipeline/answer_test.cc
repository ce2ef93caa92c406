// The answer of a pipeline call (src/pipeline/answer.cc): step objects, sums, errors naming steps.
#include "pipeline/answer.h"

#include <gtest/gtest.h>

namespace sy::pipeline {
namespace {

TEST(AnswerTest, StepObjects) {
  StepState s;
  s.status = StepState::Status::done;
  s.has_text = true;
  s.text = "hi";
  s.model = "m";
  s.provider = "p";
  s.cache = "HIT";
  s.attempts = 2;
  s.ms = 12;
  s.usage = {true, 3, 4, -1, -1, 0.5};
  EXPECT_EQ(step_object(s, "x"),
            R"({"id":"x","text":"hi","model":"m","provider":"p","cache":"HIT","attempts":2,"ms":12,"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"cost":0.5}})");
  StepState skipped;
  skipped.status = StepState::Status::skipped;
  skipped.error = Error{502, ErrorType::provider_unavailable, "down"};
  std::string object = step_object(skipped);
  EXPECT_EQ(object.rfind(R"({"text":null,)", 0), 0u);
  EXPECT_NE(object.find(R"("skipped":true,"error":{"message":"down")"), std::string::npos) << object;
}

TEST(AnswerTest, SumsAndSteps) {
  config::Pipeline p;
  p.steps.resize(3);
  p.steps[0].id = "a";
  p.steps[1].id = "b";
  p.steps[2].id = "c";
  std::vector<StepState> steps(3);
  for (auto& s : steps) {
    s.status = StepState::Status::done;
    s.has_text = true;
    s.usage = {true, 10, 5, -1, -1, 0.25};
  }
  steps[2].text = "out";
  steps[1].status = StepState::Status::failed;
  json::Document input;
  input.SetObject();
  std::string body = answer_body({p, input, steps});
  EXPECT_EQ(body.rfind(R"({"output":"out","steps":{"a":{)", 0), 0u) << body;
  EXPECT_EQ(body.find(R"("b":)"), std::string::npos);  // failed: not among the finished
  EXPECT_NE(body.find(R"("usage":{"prompt_tokens":30,"completion_tokens":15,"total_tokens":45,"cost":0.75},"cost":0.75})"),
            std::string::npos)
      << body;
}

TEST(AnswerTest, ErrorsNameTheStep) {
  Error cause{429, ErrorType::rate_limited, "slow down", "rate_limited"};
  cause.retry_after_s = 3;
  Error e = step_error("translate", cause);
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.type, ErrorType::rate_limited);
  EXPECT_EQ(e.message, "step 'translate' failed: slow down");
  EXPECT_EQ(e.param, "steps.translate");
  EXPECT_EQ(e.retry_after_s, 3);
  config::Pipeline p;
  std::vector<StepState> steps;
  json::Document input;
  input.SetObject();
  std::string body = error_with_steps(e, {p, input, steps});
  EXPECT_NE(body.find(R"("metadata":{"error_type":"rate_limited","step":"translate"})"), std::string::npos) << body;
  EXPECT_EQ(body.substr(body.size() - 12), R"(,"steps":{}})");
}

}  // namespace
}  // namespace sy::pipeline
