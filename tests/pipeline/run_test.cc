// The pipeline runner (src/pipeline/run.cc) in virtual time: dependency order, parallel steps,
// each step a full exchange call.
#include <gtest/gtest.h>

#include "condition/condition.h"
#include "pipeline/pipeline_harness.h"

namespace sy::engine {
namespace {

class RunTest : public PipelineTest {};

// Two independent steps whose upstreams answer after 1 s finish in 1 s together; the step that
// reads both starts only then, in the same event as the second answer.
TEST_F(RunTest, IndependentStepsRunInParallelDependentOnesInOrder) {
  install(pipeline_config(), {pipeline("p", {step("left", "a/m-a", "L {{x}}", {{"x", "{{input.x}}"}}),
                                             step("right", "b/m-b", "R {{x}}", {{"x", "{{input.x}}"}}),
                                             step("join", "a/m-a", "J {{l}} {{r}}", {{"l", "{{left.text}}"}, {"r", "{{right.text}}"}})})});
  auto started = call("p", R"({"x": "go"})");
  auto fetches = of_kind(started, ActionKind::fetch);
  ASSERT_EQ(fetches.size(), 2u);  // both in the first event
  EXPECT_EQ(fetches[0].status, last_id);  // owned by the pipeline's request
  EXPECT_NE(fetch_with(started, "L go"), nullptr);
  EXPECT_NE(fetch_with(started, "R go"), nullptr);
  uint32_t left = fetch_with(started, "L go")->id, right = fetch_with(started, "R go")->id;
  now += 1000;
  EXPECT_EQ(of_kind(reply(left, "lefty"), ActionKind::fetch).size(), 0u);  // join waits for right
  auto after_right = reply(right, "righty");
  const Action* join = fetch_with(after_right, "J lefty righty");
  ASSERT_NE(join, nullptr);
  now += 1000;
  auto done = reply(join->id, "joined");
  const Action* respond = find(done, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  ASSERT_EQ(respond->status, 200u) << respond->body;
  auto body = parse(respond->body);
  EXPECT_STREQ(body["output"].GetString(), "joined");
  EXPECT_EQ(body["steps"]["left"]["ms"].GetDouble(), 1000);
  EXPECT_EQ(body["steps"]["right"]["ms"].GetDouble(), 1000);
  EXPECT_EQ(body["steps"]["join"]["ms"].GetDouble(), 1000);  // started at 1 s: 2 s in all, not 3
  EXPECT_STREQ(body["steps"]["left"]["provider"].GetString(), "a");
  EXPECT_STREQ(body["steps"]["right"]["provider"].GetString(), "b");
  EXPECT_STREQ(body["steps"]["join"]["cache"].GetString(), "MISS");
  EXPECT_EQ(body["steps"]["join"]["attempts"].GetInt(), 1);
  EXPECT_EQ(body["usage"]["prompt_tokens"].GetInt(), 30);
  EXPECT_EQ(body["usage"]["total_tokens"].GetInt(), 45);
  // a/m-a costs $1 per million input tokens and $2 per million output: two calls of 10 + 5.
  EXPECT_NEAR(body["cost"].GetDouble(), 2 * (10 * 1e-6 + 5 * 2e-6), 1e-12);
  EXPECT_EQ(engine.impl().exchange.in_flight(), 0u);
}

// A repeated pipeline is served from the cache step by step.
TEST_F(RunTest, ARepeatedPipelineHitsTheCachePerStep) {
  install(pipeline_config(), {pipeline("p", {step("one", "a/m-a", "1 {{x}}", {{"x", "{{input.x}}"}}),
                                             step("two", "a/m-a", "2 {{y}}", {{"y", "{{one.text}}"}})})});
  auto first = call("p", R"({"x": "go"})");
  auto second = reply(fetch_with(first, "1 go")->id, "uno");
  auto done = reply(fetch_with(second, "2 uno")->id, "dos");
  ASSERT_EQ(find(done, ActionKind::respond)->status, 200u);
  auto again = call("p", R"({"x": "go"})");
  EXPECT_EQ(of_kind(again, ActionKind::fetch).size(), 0u);
  const Action* respond = find(again, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  auto body = parse(respond->body);
  EXPECT_STREQ(body["output"].GetString(), "dos");
  EXPECT_STREQ(body["steps"]["one"]["cache"].GetString(), "HIT");
  EXPECT_STREQ(body["steps"]["two"]["cache"].GetString(), "HIT");
  auto other = call("p", R"({"x": "other"})");  // a new input misses the first step's cache
  EXPECT_NE(fetch_with(other, "1 other"), nullptr);
}

// A step's own cache control: "no-store" bypasses the cache for that step only.
TEST_F(RunTest, StepCacheControl) {
  auto p = pipeline("p", {step("one", "a/m-a", "1 {{x}}", {{"x", "{{input.x}}"}})});
  p.steps[0].cache = "no-store";
  install(pipeline_config(), {p});
  reply(fetch_with(call("p", R"({"x": "go"})"), "1 go")->id, "uno");
  auto again = call("p", R"({"x": "go"})");
  EXPECT_NE(fetch_with(again, "1 go"), nullptr);
}

condition::Condition when(std::string_view text) {
  json::Document doc;
  std::string error, path;
  EXPECT_TRUE(json::parse(text, doc, error));
  condition::Condition c;
  EXPECT_TRUE(condition::parse_condition(doc, c, path, error, {true})) << path << ": " << error;
  return c;
}

// `when` reads the input and earlier outputs; a false one skips the step (null output), and the
// steps after it still run.
TEST_F(RunTest, WhenSkipsAStep) {
  auto p = pipeline("w", {step("detect", "a/m-a", "D {{x}}", {{"x", "{{input.x}}"}}),
                          step("translate", "a/m-a", "T {{x}}", {{"x", "{{input.x}}"}}),
                          step("spanish", "b/m-b", "S {{x}}", {{"x", "{{input.x}}"}}),
                          step("final", "a/m-a", "F {{t}}|{{s}}", {{"t", "{{translate.text}}"}, {"s", "{{spanish.text}}"}})});
  p.steps[1].has_when = true;
  p.steps[1].when = when(R"({"detect.text": {"$ne": "en"}})");
  p.steps[1].after = {0};
  p.steps[2].has_when = true;
  p.steps[2].when = when(R"({"input.lang": "es"})");
  install(pipeline_config(), {p});
  auto started = call("w", R"({"x": "hello", "lang": "fr"})");
  ASSERT_NE(fetch_with(started, "D hello"), nullptr);
  EXPECT_EQ(fetch_with(started, "S hello"), nullptr);  // skipped at once: lang is not es
  auto after_detect = reply(fetch_with(started, "D hello")->id, "en");
  EXPECT_EQ(fetch_with(after_detect, "T hello"), nullptr);  // skipped: the text is "en"
  const Action* final_fetch = fetch_with(after_detect, "F |");
  ASSERT_NE(final_fetch, nullptr);
  auto body = parse(find(reply(final_fetch->id, "done"), ActionKind::respond)->body);
  EXPECT_TRUE(body["steps"]["translate"]["skipped"].GetBool());
  EXPECT_TRUE(body["steps"]["spanish"]["text"].IsNull());
  EXPECT_FALSE(body["steps"]["translate"].HasMember("error"));
  auto spanish = call("w", R"({"x": "hello", "lang": "es"})");
  EXPECT_NE(fetch_with(spanish, "S hello"), nullptr);
}

}  // namespace
}  // namespace sy::engine
