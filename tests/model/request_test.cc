#include "model/request.h"

#include <gtest/gtest.h>

namespace sy::model {
namespace {

TEST(Request, TokenEstimates) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens("ééé"), 1);  // code points, not bytes
  Request r;
  Message m;
  Part text;
  text.text = "12345678";
  Part image;
  image.type = PartType::image;
  m.parts = {text, image};
  r.messages = {m, Message{}};
  EXPECT_EQ(text_of(m, "\n", true), "12345678\n[image]");
  EXPECT_EQ(text_of(m), "12345678\n");
  EXPECT_EQ(prompt_tokens(r), 4 + 4 + 4);  // "12345678\n[image]" is 16 characters, plus 4 per message
}

TEST(Request, ImageRequestsCountTheirPrompt) {
  Request r;
  r.kind = Kind::images;
  r.prompt = "A cute baby sea otter";  // 21 characters
  EXPECT_EQ(prompt_tokens(r), 6);
  r.prompt = {};
  EXPECT_EQ(prompt_tokens(r), 0);
}

}  // namespace
}  // namespace sy::model
