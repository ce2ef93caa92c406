#include "model/answer.h"

#include <gtest/gtest.h>

namespace sy::model {
namespace {

TEST(Answer, FinishNamesRoundTrip) {
  for (Finish f : {Finish::stop, Finish::length, Finish::tool_calls, Finish::content_filter, Finish::error})
    EXPECT_EQ(finish_of(finish_name(f)), f);
  EXPECT_EQ(finish_name(Finish::none), "");
  EXPECT_EQ(finish_of("something_new"), Finish::stop);
}

}  // namespace
}  // namespace sy::model
