#include "condition/condition.h"

#include <gtest/gtest.h>

namespace sy::condition {
namespace {

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error;
  return doc;
}

struct Case {
  json::Document body, metadata;
  Facts facts;
  Case(std::string_view body_text, std::string_view metadata_text, int64_t tokens = 10)
      : body(parse(body_text)), metadata(parse(metadata_text)) {
    facts = {&body, &metadata, tokens, "fast"};
  }
};

bool check(std::string_view when, const Case& c) {
  auto doc = parse(when);
  Condition condition;
  std::string path, error;
  EXPECT_TRUE(parse_condition(doc, condition, path, error)) << path << ": " << error;
  return matches(condition, c.facts);
}

TEST(Condition, Operators) {
  Case c(R"({"max_tokens": 500, "temperature": 0.2})", R"({"tier": "premium", "age": 30, "tags": ["a"]})");
  EXPECT_TRUE(check(R"({"metadata.tier": {"$eq": "premium"}})", c));
  EXPECT_TRUE(check(R"({"metadata.tier": "premium"})", c));
  EXPECT_FALSE(check(R"({"metadata.tier": {"$ne": "premium"}})", c));
  EXPECT_TRUE(check(R"({"metadata.age": {"$gt": 29, "$lte": 30}})", c));
  EXPECT_FALSE(check(R"({"metadata.age": {"$gt": 30}})", c));
  EXPECT_TRUE(check(R"({"metadata.age": {"$gte": 30.0}})", c));
  EXPECT_TRUE(check(R"({"params.max_tokens": {"$lt": 1000}})", c));
  EXPECT_TRUE(check(R"({"metadata.tier": {"$in": ["free", "premium"]}})", c));
  EXPECT_TRUE(check(R"({"metadata.tier": {"$nin": ["free"]}})", c));
  EXPECT_TRUE(check(R"({"prompt_tokens": {"$gte": 10}})", c));
  EXPECT_TRUE(check(R"({"model": "fast"})", c));
}

TEST(Condition, MissingFieldsAndCombinations) {
  Case c(R"({})", R"({"tier": "free"})");
  EXPECT_FALSE(check(R"({"metadata.plan": {"$eq": "x"}})", c));
  EXPECT_TRUE(check(R"({"metadata.plan": {"$ne": "x"}})", c));
  EXPECT_TRUE(check(R"({"metadata.plan": {"$nin": ["x"]}})", c));
  EXPECT_FALSE(check(R"({"metadata.plan": {"$gt": 1}})", c));
  EXPECT_TRUE(check(R"({"$or": [{"metadata.tier": "premium"}, {"metadata.tier": "free"}]})", c));
  EXPECT_FALSE(check(R"({"$and": [{"metadata.tier": "free"}, {"prompt_tokens": {"$gt": 1000}}]})", c));
  EXPECT_FALSE(check(R"({"metadata.tier": "free", "prompt_tokens": {"$gt": 1000}})", c));  // implicit and
  EXPECT_FALSE(check(R"({"metadata.tier": {"$gt": 3}})", c));  // string vs number: no order
}

TEST(Condition, ProblemsNameTheirPlace) {
  auto bad = [](std::string_view when, std::string_view want_path, std::string_view want_words) {
    auto doc = parse(when);
    Condition condition;
    std::string path, error;
    EXPECT_FALSE(parse_condition(doc, condition, path, error)) << when;
    EXPECT_EQ(path, want_path) << when;
    EXPECT_NE(error.find(want_words), std::string::npos) << error;
  };
  bad(R"({"user.tier": 1})", "user.tier", "unknown field");
  bad(R"({"metadata.tier": {"$like": 1}})", "metadata.tier.$like", "unknown operator");
  bad(R"({"metadata.tier": {"$in": 1}})", "metadata.tier.$in", "must be an array");
  bad(R"({"$or": [{"metadata.a": 1}, {"nope": 2}]})", "$or[1].nope", "unknown field");
  bad(R"({"$and": []})", "$and", "non-empty array");
  bad(R"([])", "", "non-empty object");
}

// Pipelines' `when`: any field head parses with any_field; routing keeps refusing unknown heads.
TEST(ConditionPipeline, AnyFieldOnlyWhenAsked) {
  auto doc = parse(R"({"describe.json.score": {"$gt": 0.5}, "input.lang": "es"})");
  Condition condition;
  std::string path, error;
  EXPECT_FALSE(parse_condition(doc, condition, path, error));
  EXPECT_EQ(path, "describe.json.score");
  EXPECT_TRUE(parse_condition(doc, condition, path, error, ParseOptions{true})) << error;
  std::vector<std::vector<std::string>> seen;
  fields(condition, seen);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::vector<std::string>{"describe", "json", "score"}));
  EXPECT_EQ(seen[1], (std::vector<std::string>{"input", "lang"}));
  auto bad = parse(R"({"$or": [{"input..lang": "es"}]})");
  EXPECT_FALSE(parse_condition(bad, condition, path, error, ParseOptions{true}));
  EXPECT_EQ(path, "$or[0].input..lang");
  EXPECT_EQ(error, "a field must be dot-separated names with no empty part");
}

bool when(std::string_view condition_text, std::string_view fields_text) {
  auto doc = parse(condition_text);
  auto values = parse(fields_text);
  Condition condition;
  std::string path, error;
  EXPECT_TRUE(parse_condition(doc, condition, path, error, ParseOptions{true})) << path << ": " << error;
  Facts facts;
  facts.fields = &values;
  return matches(condition, facts);
}

TEST(ConditionPipeline, EvaluatesOverPipelineValues) {
  constexpr const char* values =
      R"({"input": {"lang": "es", "n": 3}, "describe": {"text": "a cat", "json": {"score": 0.8, "tags": ["cat", "pet"]}}, "skipped": null})";
  EXPECT_TRUE(when(R"({"input.lang": "es"})", values));
  EXPECT_FALSE(when(R"({"input.lang": {"$in": ["fr", "de"]}})", values));
  EXPECT_TRUE(when(R"({"input.n": {"$gte": 3}, "describe.text": "a cat"})", values));
  EXPECT_TRUE(when(R"({"describe.json.score": {"$gt": 0.5}})", values));
  EXPECT_TRUE(when(R"({"describe.json.tags.1": "pet"})", values)) << "a numeric segment indexes an array";
  EXPECT_FALSE(when(R"({"describe.json.tags.2": {"$eq": "pet"}})", values));
  EXPECT_TRUE(when(R"({"describe.json.tags.x": {"$ne": "pet"}})", values)) << "missing: $ne holds";
  EXPECT_TRUE(when(R"({"skipped": null})", values)) << "a skipped step's output is null";
  EXPECT_FALSE(when(R"({"skipped.text": "x"})", values));
  EXPECT_TRUE(when(R"({"$or": [{"input.lang": "fr"}, {"describe.json.score": {"$lt": 1}}]})", values));
}

TEST(ConditionPipeline, FieldsWinOverRequestFactsOnlyForTheirMembers) {
  auto body = parse(R"({"max_tokens": 5})");
  auto values = parse(R"({"model": {"text": "step named model"}})");
  auto doc = parse(R"({"model.text": "step named model", "params.max_tokens": 5})");
  Condition condition;
  std::string path, error;
  ASSERT_TRUE(parse_condition(doc, condition, path, error, ParseOptions{true}));
  Facts facts;
  facts.body = &body;
  facts.model = "fast";
  facts.fields = &values;
  EXPECT_TRUE(matches(condition, facts));
}

}  // namespace
}  // namespace sy::condition
