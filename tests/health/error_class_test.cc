// The error-class table (src/health/error_class.cc): what each upstream outcome leads to.
#include "health/error_class.h"

#include <gtest/gtest.h>

namespace sy::health {
namespace {

TEST(ErrorClass, EveryOutcomeHasItsRow) {
  for (int o = 0; o <= int(Outcome::error_body_200); ++o) EXPECT_EQ(classify(Outcome(o)).outcome, Outcome(o));
  EXPECT_EQ(classify(Outcome::status_429).decision, Decision::retry_same);
  EXPECT_FALSE(classify(Outcome::status_429).unhealthy);
  EXPECT_EQ(classify(Outcome::content_filter).decision, Decision::return_now);
  EXPECT_EQ(classify(Outcome::auth).status, 502);
  EXPECT_EQ(classify(Outcome::auth).type, ErrorType::auth);
  EXPECT_EQ(classify(Outcome::not_found).decision, Decision::fall_back);
}

TEST(ErrorClass, OutcomesHaveNames) {
  EXPECT_STREQ(outcome_name(Outcome::network_error), "network_error");
  EXPECT_STREQ(outcome_name(Outcome::status_5xx), "status_5xx");
  EXPECT_STREQ(outcome_name(Outcome::error_body_200), "error_body_200");
  for (int o = 0; o <= int(Outcome::error_body_200); ++o) EXPECT_STRNE(outcome_name(Outcome(o)), "unknown");
}

TEST(ErrorClass, StatusesAndHints) {
  EXPECT_EQ(outcome_of_status(400, ErrorType::context_length_exceeded), Outcome::context_length);
  EXPECT_EQ(outcome_of_status(400, ErrorType::content_filtered), Outcome::content_filter);
  EXPECT_EQ(outcome_of_status(408, ErrorType::internal), Outcome::status_408);
  EXPECT_EQ(outcome_of_status(429, ErrorType::internal), Outcome::status_429);
  EXPECT_EQ(outcome_of_status(403, ErrorType::internal), Outcome::auth);
  EXPECT_EQ(outcome_of_status(404, ErrorType::internal), Outcome::not_found);
  EXPECT_EQ(outcome_of_status(529, ErrorType::internal), Outcome::status_5xx);
  EXPECT_EQ(outcome_of_status(422, ErrorType::internal), Outcome::bad_request);
  EXPECT_EQ(outcome_of_status(200, ErrorType::internal), Outcome::malformed);
}

TEST(ErrorClass, ConfiguredRetryStatuses) {
  std::vector<int> retry = {500, 503};
  EXPECT_EQ(decide(Outcome::status_5xx, 503, retry), Decision::retry_same);
  EXPECT_EQ(decide(Outcome::status_5xx, 502, retry), Decision::fall_back);  // not listed: move on
  EXPECT_EQ(decide(Outcome::malformed, 0, retry), Decision::retry_same);
  EXPECT_EQ(decide(Outcome::bad_request, 400, retry), Decision::return_now);
  EXPECT_EQ(decide(Outcome::bad_request, 400, {400}), Decision::retry_same);
}

}  // namespace
}  // namespace sy::health
