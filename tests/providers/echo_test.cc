#include "providers/echo.h"

#include <gtest/gtest.h>

namespace sy::providers::echo {
namespace {

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error << "\n" << text;
  return doc;
}

TEST(Echo, AnswersWithTheLastUserMessage) {
  auto request = parse(R"({"messages": [{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "first"},
                                        {"role": "assistant", "content": "ok"},
                                        {"role": "user", "content": "hello there"}]})");
  auto answer = parse(echo::answer(request, "echo-1", "chatcmpl-1", 1700000000, false));
  EXPECT_STREQ(answer["object"].GetString(), "chat.completion");
  EXPECT_STREQ(answer["model"].GetString(), "echo-1");
  EXPECT_STREQ(answer["choices"][0]["message"]["content"].GetString(), "hello there");
  EXPECT_STREQ(answer["choices"][0]["finish_reason"].GetString(), "stop");
  // prompt: 4 messages * 4 + ceil(8/4) + ceil(5/4) + ceil(2/4) + ceil(11/4)
  EXPECT_EQ(answer["usage"]["prompt_tokens"].GetInt(), 16 + 2 + 2 + 1 + 3);
  EXPECT_EQ(answer["usage"]["completion_tokens"].GetInt(), 3);
  EXPECT_EQ(answer["usage"]["total_tokens"].GetInt(), 24 + 3);
}

TEST(Echo, IsDeterministic) {
  auto request = parse(R"({"messages": [{"role": "user", "content": "same"}]})");
  EXPECT_EQ(echo::answer(request, "m", "id", 1, false), echo::answer(request, "m", "id", 1, false));
  EXPECT_EQ(echo::answer(request, "m", "id", 1, true), echo::answer(request, "m", "id", 1, true));
}

TEST(Echo, PartsAndImages) {
  auto request = parse(R"({"messages": [{"role": "user", "content": [
      {"type": "text", "text": "what is"}, {"type": "image_url", "image_url": {"url": "data:x"}}]}]})");
  auto answer = parse(echo::answer(request, "m", "id", 1, false));
  EXPECT_STREQ(answer["choices"][0]["message"]["content"].GetString(), "what is\n[image]");
}

TEST(Echo, MaxTokensCutsTheAnswer) {
  auto request = parse(R"({"max_tokens": 2, "messages": [{"role": "user", "content": "abcdefghijklmnop"}]})");
  auto answer = parse(echo::answer(request, "m", "id", 1, false));
  EXPECT_STREQ(answer["choices"][0]["message"]["content"].GetString(), "abcdefgh");
  EXPECT_STREQ(answer["choices"][0]["finish_reason"].GetString(), "length");
  EXPECT_EQ(answer["usage"]["completion_tokens"].GetInt(), 2);
}

TEST(Echo, StreamDeltasConcatenateToTheAnswer) {
  auto request = parse(R"({"stream": true, "stream_options": {"include_usage": true},
                           "messages": [{"role": "user", "content": "one two  three\nfour é"}]})");
  std::string stream = echo::answer(request, "m", "id", 1, true);
  ASSERT_EQ(stream.substr(stream.size() - 14), "data: [DONE]\n\n");
  std::string text, finish;
  int usage_chunks = 0;
  size_t at = 0;
  while ((at = stream.find("data: ", at)) != std::string::npos) {
    size_t end = stream.find("\n\n", at);
    std::string data = stream.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") break;
    auto chunk = parse(data);
    EXPECT_STREQ(chunk["object"].GetString(), "chat.completion.chunk");
    if (chunk["choices"].Empty()) {
      ++usage_chunks;
      EXPECT_EQ(chunk["usage"]["completion_tokens"].GetInt(), 6);
      continue;
    }
    const auto& delta = chunk["choices"][0]["delta"];
    if (delta.HasMember("content")) text += delta["content"].GetString();
    if (chunk["choices"][0]["finish_reason"].IsString()) finish = chunk["choices"][0]["finish_reason"].GetString();
  }
  EXPECT_EQ(text, "one two  three\nfour é");
  EXPECT_EQ(finish, "stop");
  EXPECT_EQ(usage_chunks, 1);
}

TEST(Echo, TokenEstimateCountsCodePoints) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens("éééé"), 1);
}

}  // namespace
}  // namespace sy::providers::echo
