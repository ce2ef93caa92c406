// The JSON log line of a finished request (src/telemetry/request.cc).
#include "telemetry/request.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace sy::telemetry {
namespace {

RequestFacts facts() {
  RequestFacts f;
  f.request_id = "req_0123456789abcdef";
  f.method = "POST";
  f.path = "/v1/chat/completions";
  f.key = "team-a";
  f.model = "fo";
  f.target = "up/m2";
  f.attempts = 2;
  f.cache = "MISS";
  f.status = 200;
  f.prompt_tokens = 12;
  f.completion_tokens = 7;
  f.cost_usd = 0.0015;
  f.started_ms = 1000;
  f.ended_ms = 1012.25;
  f.request_text = R"({"messages":[{"role":"user","content":"secret prompt"}]})";
  f.answer_text = "secret answer";
  f.trace.trace_id = "0123456789abcdef0123456789abcdef";
  f.trace.span_id = "0123456789abcdef";
  return f;
}

TEST(LogLine, CarriesTheRequestsFacts) {
  std::string line = log_line(facts(), false);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(line, doc, error)) << error;
  EXPECT_STREQ(doc["type"].GetString(), "request");
  EXPECT_STREQ(doc["request_id"].GetString(), "req_0123456789abcdef");
  EXPECT_STREQ(doc["key"].GetString(), "team-a");
  EXPECT_STREQ(doc["model"].GetString(), "fo");
  EXPECT_STREQ(doc["target"].GetString(), "up/m2");
  EXPECT_EQ(doc["attempts"].GetInt(), 2);
  EXPECT_STREQ(doc["cache"].GetString(), "MISS");
  EXPECT_EQ(doc["status"].GetInt(), 200);
  EXPECT_EQ(doc["prompt_tokens"].GetInt(), 12);
  EXPECT_EQ(doc["completion_tokens"].GetInt(), 7);
  EXPECT_DOUBLE_EQ(doc["cost_usd"].GetDouble(), 0.0015);
  EXPECT_DOUBLE_EQ(doc["ms"].GetDouble(), 12.25);
  EXPECT_STREQ(doc["trace_id"].GetString(), "0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(doc.HasMember("request_body"));
  EXPECT_EQ(line.find("secret"), std::string::npos);
}

TEST(LogLine, BodiesOnlyWhenAsked) {
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(log_line(facts(), true), doc, error)) << error;
  EXPECT_STREQ(doc["answer_body"].GetString(), "secret answer");
  EXPECT_NE(std::string(doc["request_body"].GetString()).find("secret prompt"), std::string::npos);
}

TEST(LogLine, LeavesOutWhatIsUnknown) {
  RequestFacts f;
  f.request_id = "req_1";
  f.method = "GET";
  f.path = "/health";
  f.status = 200;
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(log_line(f, false), doc, error)) << error;
  for (const char* absent : {"key", "model", "target", "cache", "error", "trace_id", "stream"})
    EXPECT_FALSE(doc.HasMember(absent)) << absent;
  EXPECT_EQ(doc["attempts"].GetInt(), 0);
}

}  // namespace
}  // namespace sy::telemetry
