// Spans and their OTLP/HTTP JSON encoding (src/telemetry/span.cc).
#include "telemetry/span.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace sy::telemetry {
namespace {

json::Document parse(const std::string& text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error << ": " << text;
  return doc;
}

Span sample() {
  Span s;
  s.trace_id = "0123456789abcdef0123456789abcdef";
  s.span_id = "0123456789abcdef";
  s.parent_id = "fedcba9876543210";
  s.name = "attempt \"up\"/m1";
  s.kind = Kind::client;
  s.start_ms = 1795569025123.5;
  s.end_ms = 1795569025130.25;
  s.add("switchyard.target", std::string_view("up/m1"));
  s.add("http.response.status_code", int64_t(503));
  s.add("switchyard.cost_usd", 0.0125);
  s.status = Status::error;
  s.status_message = "status_5xx";
  return s;
}

TEST(UnixNanos, KeepsMillisecondFractionsExactly) {
  EXPECT_EQ(unix_nanos(1795569025123.5), "1795569025123500000");
  EXPECT_EQ(unix_nanos(1795569025123.0), "1795569025123000000");
  EXPECT_EQ(unix_nanos(1.000001), "1000001");
  EXPECT_EQ(unix_nanos(0), "0");
  EXPECT_EQ(unix_nanos(-5), "0");
}

TEST(EncodeOtlp, IsAnExportTraceServiceRequest) {
  Span spans[] = {sample()};
  auto doc = parse(encode_otlp(spans, "switchyard"));
  const auto& resource = doc["resourceSpans"][0];
  EXPECT_STREQ(resource["resource"]["attributes"][0]["key"].GetString(), "service.name");
  EXPECT_STREQ(resource["resource"]["attributes"][0]["value"]["stringValue"].GetString(), "switchyard");
  EXPECT_STREQ(resource["scopeSpans"][0]["scope"]["name"].GetString(), "switchyard");
  const auto& s = resource["scopeSpans"][0]["spans"][0];
  EXPECT_STREQ(s["traceId"].GetString(), "0123456789abcdef0123456789abcdef");
  EXPECT_STREQ(s["spanId"].GetString(), "0123456789abcdef");
  EXPECT_STREQ(s["parentSpanId"].GetString(), "fedcba9876543210");
  EXPECT_STREQ(s["name"].GetString(), "attempt \"up\"/m1");
  EXPECT_EQ(s["kind"].GetInt(), 3);
  EXPECT_STREQ(s["startTimeUnixNano"].GetString(), "1795569025123500000");
  EXPECT_STREQ(s["endTimeUnixNano"].GetString(), "1795569025130250000");
  const auto& a = s["attributes"];
  ASSERT_EQ(a.Size(), 3u);
  EXPECT_STREQ(a[0]["value"]["stringValue"].GetString(), "up/m1");
  EXPECT_STREQ(a[1]["key"].GetString(), "http.response.status_code");
  EXPECT_STREQ(a[1]["value"]["intValue"].GetString(), "503");  // int64 as a decimal string
  EXPECT_DOUBLE_EQ(a[2]["value"]["doubleValue"].GetDouble(), 0.0125);
  EXPECT_EQ(s["status"]["code"].GetInt(), 2);
  EXPECT_STREQ(s["status"]["message"].GetString(), "status_5xx");
}

TEST(EncodeOtlp, ARootSpanHasNoParentAndAnOkStatusHasNoMessage) {
  Span root = sample();
  root.parent_id.clear();
  root.status = Status::ok;
  root.end_ms = root.start_ms - 1;  // a clock that went back never gives a negative span
  Span spans[] = {root, sample()};
  auto doc = parse(encode_otlp(spans, "svc"));
  const auto& list = doc["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(list.Size(), 2u);
  EXPECT_FALSE(list[0].HasMember("parentSpanId"));
  EXPECT_EQ(list[0]["status"]["code"].GetInt(), 1);
  EXPECT_FALSE(list[0]["status"].HasMember("message"));
  EXPECT_STREQ(list[0]["endTimeUnixNano"].GetString(), list[0]["startTimeUnixNano"].GetString());
}

TEST(EncodeOtlp, NoSpansIsStillValid) {
  auto doc = parse(encode_otlp({}, "svc"));
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].Size(), 0u);
}

}  // namespace
}  // namespace sy::telemetry
