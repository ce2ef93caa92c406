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

}  // namespace
}  // namespace sy::condition
