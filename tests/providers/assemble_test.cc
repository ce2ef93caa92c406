#include "providers/assemble.h"

#include <gtest/gtest.h>

#include "json/canonical.h"
#include "json/json.h"
#include "providers/echo.h"

namespace sy::providers {
namespace {

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error << "\n" << text;
  return doc;
}

std::string canonical(std::string_view text) {
  std::string out;
  json::write_canonical(parse(text), out);
  return out;
}

constexpr const char* kCompletion = R"({"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"m",
  "choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"there\"","tool_calls":[
     {"id":"call_a","type":"function","function":{"name":"get","arguments":"{\"x\":1}"}}]},"finish_reason":"tool_calls"}],
  "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7},"provider":"p"})";

TEST(Assemble, ReplayThenAssembleIsTheSameAnswer) {
  std::string events = replay_as_stream(kCompletion, true);
  ASSERT_FALSE(events.empty());
  for (size_t at = 0; (at = events.find("data: ", at)) != std::string::npos; at += 6) {
    size_t end = events.find("\n\n", at);
    auto chunk = parse(events.substr(at + 6, end - at - 6));
    EXPECT_STREQ(chunk["object"].GetString(), "chat.completion.chunk");
  }
  StreamAssembler a;
  a.add(events);
  EXPECT_EQ(canonical(a.finish()), canonical(kCompletion));
  EXPECT_EQ(a.finish_reason(), "tool_calls");
}

TEST(Assemble, WithoutUsageTheReplayHasNoUsageChunk) {
  std::string events = replay_as_stream(kCompletion, false);
  EXPECT_EQ(events.find("\"usage\""), std::string::npos);
}

TEST(Assemble, AssemblesDeltasAndToolCallFragments) {
  StreamAssembler a;
  a.add("data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"He\"}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"}}]}\n\n");
  a.add("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":2}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n");
  auto done = parse(a.finish());
  EXPECT_STREQ(done["choices"][0]["message"]["content"].GetString(), "Hello");
  EXPECT_STREQ(done["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"].GetString(), "{\"a\":2}");
  EXPECT_STREQ(done["choices"][0]["finish_reason"].GetString(), "tool_calls");
  EXPECT_EQ(done["usage"]["total_tokens"].GetInt(), 3);
}

TEST(Assemble, EchoStreamAssemblesToTheEchoAnswer) {
  auto request = parse(R"({"messages": [{"role": "user", "content": "one two three"}], "stream_options": {"include_usage": true}})");
  std::string stream = echo::answer(request, "m", "id", 5, true);
  StreamAssembler a;
  a.add(stream);  // [DONE] is not a chunk object: ignored
  EXPECT_EQ(canonical(a.finish()), canonical(echo::answer(request, "m", "id", 5, false)));
}

TEST(Assemble, GarbageIsIgnored) {
  StreamAssembler a;
  a.add("data: nope\n\ndata: [1,2]\n\n: comment\n\n");
  EXPECT_EQ(replay_as_stream("not json", false), "");
  EXPECT_EQ(parse(a.finish())["choices"].Size(), 0u);
}

}  // namespace
}  // namespace sy::providers
