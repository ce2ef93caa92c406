// Ids, batching and the outbox of the tracer (src/telemetry/tracer.cc).
#include "telemetry/tracer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "json/json.h"

namespace sy::telemetry {
namespace {

bool lower_hex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos &&
         s.find_first_not_of('0') != std::string::npos;
}

class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Telemetry t;
    t.otlp.endpoint = "http://collector.test:4318";
    t.otlp.headers = {{"authorization", "Bearer tok"}};
    tracer.install(t);
    tracer.set_now(1000);
  }
  void add(int n) {
    Context c = tracer.begin();
    for (int i = 0; i < n; ++i) tracer.record(tracer.child(c, "s", Kind::internal, tracer.now()));
  }
  Rng rng{3};
  Tracer tracer{rng};
};

TEST_F(TracerTest, IdsAreLowercaseHexOfOtlpSizes) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Context c = tracer.begin();
    EXPECT_TRUE(lower_hex(c.trace_id, 32)) << c.trace_id;
    EXPECT_TRUE(lower_hex(c.span_id, 16)) << c.span_id;
    Span s = tracer.child(c, "x", Kind::client, 5);
    EXPECT_EQ(s.trace_id, c.trace_id);
    EXPECT_EQ(s.parent_id, c.span_id);
    EXPECT_TRUE(lower_hex(s.span_id, 16));
    EXPECT_TRUE(seen.insert(c.trace_id).second);
  }
}

TEST_F(TracerTest, SixtyFourSpansAreSentAtOnce) {
  add(63);
  Outbox out;
  tracer.take(1000, out);
  EXPECT_TRUE(out.sends.empty());
  EXPECT_DOUBLE_EQ(tracer.next_deadline(), 2000);
  add(1);
  tracer.take(1000, out);
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].url, "http://collector.test:4318/v1/traces");
  EXPECT_EQ(out.sends[0].headers, "content-type: application/json\nauthorization: Bearer tok\n");
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(out.sends[0].body, doc, error)) << error;
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].Size(), 64u);
  EXPECT_EQ(tracer.unsent(), 0u);
  EXPECT_TRUE(std::isinf(tracer.next_deadline()));
}

TEST_F(TracerTest, OneSecondAfterTheFirstUnsentSpanTheyGo) {
  add(1);
  tracer.set_now(1500);
  add(2);
  Outbox out;
  tracer.take(1999, out);
  EXPECT_TRUE(out.sends.empty());
  EXPECT_DOUBLE_EQ(tracer.next_deadline(), 2000);  // from the first one, not the last
  tracer.take(2000, out);
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(tracer.unsent(), 0u);
}

TEST_F(TracerTest, ManySpansInOneEventGoInBatchesOf64) {
  add(150);
  Outbox out;
  tracer.take(1000, out);
  ASSERT_EQ(out.sends.size(), 3u);
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(out.sends[2].body, doc, error));
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].Size(), 22u);
}

TEST_F(TracerTest, WithoutAnEndpointNothingIsTracedAndPendingSpansAreDropped) {
  add(3);
  tracer.install({});
  EXPECT_EQ(tracer.unsent(), 0u);
  EXPECT_FALSE(tracer.begin().valid());
  Context c;
  c.trace_id = "0123456789abcdef0123456789abcdef";
  c.span_id = "0123456789abcdef";
  tracer.record(tracer.child(c, "x", Kind::internal, 1));
  EXPECT_EQ(tracer.unsent(), 0u);
  EXPECT_TRUE(std::isinf(tracer.next_deadline()));
}

TEST_F(TracerTest, AFinishedRequestIsARootSpanAndALogLine) {
  config::Telemetry t;
  t.otlp.endpoint = "http://c.test";
  t.json_logs = true;
  tracer.install(t);
  RequestFacts f;
  f.request_id = "req_1";
  f.method = "POST";
  f.path = "/v1/chat/completions";
  f.status = 502;
  f.error = "upstream_unreachable";
  f.started_ms = 900;
  f.ended_ms = 1000;
  f.trace = tracer.begin();
  tracer.finish(f);
  Outbox out;
  tracer.take(1000, out, true);
  ASSERT_EQ(out.logs.size(), 1u);
  EXPECT_NE(out.logs[0].find("\"status\":502"), std::string::npos);
  ASSERT_EQ(out.sends.size(), 1u);
  json::Document doc;
  std::string error;
  ASSERT_TRUE(json::parse(out.sends[0].body, doc, error));
  const auto& root = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_STREQ(root["spanId"].GetString(), f.trace.span_id.c_str());
  EXPECT_FALSE(root.HasMember("parentSpanId"));
  EXPECT_EQ(root["kind"].GetInt(), 2);
  EXPECT_EQ(root["status"]["code"].GetInt(), 2);
  EXPECT_STREQ(root["name"].GetString(), "POST /v1/chat/completions");
}

TEST_F(TracerTest, BodiesNeedJsonLogsAndLogBodies) {
  config::Telemetry t;
  t.log_bodies = true;
  tracer.install(t);
  EXPECT_FALSE(tracer.bodies());
  t.json_logs = true;
  tracer.install(t);
  EXPECT_TRUE(tracer.bodies());
  EXPECT_FALSE(tracer.tracing());
}

}  // namespace
}  // namespace sy::telemetry
