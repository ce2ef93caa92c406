// Telemetry of calls (src/exchange/trace.cc, with the gateway's request end and the engine's
// outbox): through the engine, a span per request, per upstream attempt and per cache lookup,
// sent as OTLP/HTTP JSON with SEND; one JSON LOG line per request.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/harness.h"

namespace sy::engine {
namespace {

constexpr const char* kTelemetry =
    R"(, "retry": {"attempts": 0}, "cache": {"enabled": true},
       "keys": {"sk-team-secret": {"name": "team-a"}},
       "telemetry": {"logs": "json", "otlp": {"endpoint": "http://otel.test:4318/", "headers": {"x-tenant": "t1"}}})";
constexpr const char* kBody = R"({"model": "fo", "messages": [{"role": "user", "content": "the prompt text"}]})";
constexpr const char* kAuth = "content-type: application/json\nauthorization: Bearer sk-team-secret\n";

struct SpanView {
  std::string trace, id, parent, name;
  std::map<std::string, std::string> attrs;  // every value as text
  int status = 0;
};

class TraceTest : public EngineTest {
 protected:
  // The spans of every SEND in `actions`.
  std::vector<SpanView> spans_of(const std::vector<Action>& actions) {
    std::vector<SpanView> out;
    for (const auto& a : actions) {
      if (a.kind != ActionKind::send) continue;
      EXPECT_EQ(a.method, "POST");
      EXPECT_EQ(a.url, "http://otel.test:4318/v1/traces");
      EXPECT_NE(a.headers.find("x-tenant: t1\n"), std::string::npos);
      auto doc = parse(a.body);
      for (const auto& s : doc["resourceSpans"][0]["scopeSpans"][0]["spans"].GetArray()) {
        SpanView v{s["traceId"].GetString(), s["spanId"].GetString(),
                   s.HasMember("parentSpanId") ? s["parentSpanId"].GetString() : "", s["name"].GetString()};
        for (const auto& at : s["attributes"].GetArray()) {
          const auto& value = at["value"];
          std::string text = value.HasMember("stringValue") ? value["stringValue"].GetString()
                             : value.HasMember("intValue")  ? value["intValue"].GetString()
                                                            : std::to_string(value["doubleValue"].GetDouble());
          v.attrs[at["key"].GetString()] = text;
        }
        v.status = s["status"]["code"].GetInt();
        out.push_back(std::move(v));
      }
    }
    return out;
  }

  // A request to "fo": a answers 500, b answers; returns every action of it.
  std::vector<Action> failover() {
    std::vector<Action> all = submit(kBody, "/v1/chat/completions", kAuth);
    const Action* first = find(all, ActionKind::fetch);
    EXPECT_TRUE(first);
    now += 5;
    for (auto& a : answer(first->id, 500, R"({"error": {"message": "down"}})")) all.push_back(a);
    const Action* second = nullptr;
    for (const auto& a : all)
      if (a.kind == ActionKind::fetch && a.id != first->id) second = &a;
    EXPECT_TRUE(second);
    now += 7;
    for (auto& a : answer(second->id, 200, kCompletion)) all.push_back(a);
    return all;
  }
};

TEST_F(TraceTest, ARequestIsOneTraceWithItsAttemptsAndCacheLookups) {
  configure(upstream_config(kTelemetry));
  engine.begin(900, "POST", "/v1/chat/completions", kAuth, now);  // another request, still arriving
  take();
  auto actions = failover();
  ASSERT_TRUE(find(actions, ActionKind::respond));
  EXPECT_FALSE(find(actions, ActionKind::send));  // batched: not yet
  EXPECT_DOUBLE_EQ(deadline(), 1000 + 1000);      // 1 s after the first unsent span
  now = deadline();
  engine.timer(now);
  auto spans = spans_of(take());
  ASSERT_EQ(spans.size(), 4u);  // L1 lookup, two attempts, the request
  const SpanView& root = spans.back();
  EXPECT_EQ(root.parent, "");
  EXPECT_EQ(root.name, "POST /v1/chat/completions");
  EXPECT_EQ(root.attrs.at("http.response.status_code"), "200");
  EXPECT_EQ(root.attrs.at("switchyard.key"), "team-a");
  EXPECT_EQ(root.attrs.at("switchyard.attempts"), "2");
  EXPECT_EQ(root.attrs.at("switchyard.target"), "b/m-b");
  EXPECT_EQ(root.attrs.at("switchyard.cache"), "MISS");
  for (const auto& s : spans) {
    EXPECT_EQ(s.trace, root.trace);
    if (&s != &root) EXPECT_EQ(s.parent, root.id);
  }
  EXPECT_EQ(spans[0].attrs.at("switchyard.cache.tier"), "l1");
  EXPECT_EQ(spans[0].attrs.at("switchyard.cache.result"), "MISS");
  EXPECT_EQ(spans[1].attrs.at("switchyard.target"), "a/m-a");
  EXPECT_EQ(spans[1].attrs.at("http.response.status_code"), "500");
  EXPECT_EQ(spans[1].attrs.at("switchyard.outcome"), "status_5xx");
  EXPECT_EQ(spans[1].status, 2);
  EXPECT_EQ(spans[2].attrs.at("switchyard.target"), "b/m-b");
  EXPECT_EQ(spans[2].attrs.at("http.response.status_code"), "200");
  EXPECT_EQ(spans[2].attrs.at("switchyard.retry_reason"), "status_5xx");
  EXPECT_EQ(spans[2].status, 1);
  EXPECT_DOUBLE_EQ(deadline(), 1000 + 30000);  // only the other request's body deadline is left
}

TEST_F(TraceTest, WhenNoRequestIsLeftInFlightTheSpansGoAtOnce) {
  configure(upstream_config(kTelemetry));
  auto actions = failover();
  EXPECT_EQ(spans_of(actions).size(), 4u);  // with the answer's batch: no host timer is needed
  EXPECT_TRUE(std::isinf(deadline()));
}

TEST_F(TraceTest, SixtyFourSpansGoWithoutWaiting) {
  configure(upstream_config(kTelemetry));
  engine.begin(900, "POST", "/v1/chat/completions", kAuth, now);  // keeps the engine busy
  take();
  size_t sent = 0;
  for (int i = 0; i < 100 && sent == 0; ++i) sent = spans_of(submit("", "/v1/models", kAuth, "GET")).size();
  EXPECT_EQ(sent, 64u);  // one root span per request: the 64th is sent at once
}

TEST_F(TraceTest, OneJsonLogLinePerRequestWithoutTheKeyOrTheText) {
  configure(upstream_config(kTelemetry));
  auto actions = failover();
  std::vector<std::string> logs;
  for (const auto& a : actions)
    if (a.kind == ActionKind::log) logs.push_back(a.body);
  ASSERT_EQ(logs.size(), 1u);
  auto line = parse(logs[0]);
  EXPECT_STREQ(line["key"].GetString(), "team-a");
  EXPECT_STREQ(line["model"].GetString(), "fo");
  EXPECT_STREQ(line["target"].GetString(), "b/m-b");
  EXPECT_EQ(line["attempts"].GetInt(), 2);
  EXPECT_EQ(line["status"].GetInt(), 200);
  EXPECT_EQ(line["prompt_tokens"].GetInt(), 1000);
  EXPECT_DOUBLE_EQ(line["ms"].GetDouble(), 12);
  EXPECT_EQ(logs[0].find("sk-team-secret"), std::string::npos);
  EXPECT_EQ(logs[0].find("the prompt text"), std::string::npos);
  EXPECT_EQ(logs[0].find("hi!"), std::string::npos);
}

TEST_F(TraceTest, LogBodiesAddsTheTexts) {
  configure(upstream_config(R"(, "telemetry": {"logs": "json", "log_bodies": true})"));
  auto actions = submit(kBody);
  now += 3;
  auto more = answer(find(actions, ActionKind::fetch)->id, 200, kCompletion);
  const Action* log = find(more, ActionKind::log);
  ASSERT_TRUE(log);
  auto line = parse(log->body);
  EXPECT_NE(std::string(line["request_body"].GetString()).find("the prompt text"), std::string::npos);
  EXPECT_NE(std::string(line["answer_body"].GetString()).find("hi!"), std::string::npos);
  EXPECT_FALSE(line.HasMember("trace_id"));  // no otlp: no trace
  EXPECT_TRUE(std::isinf(deadline()));
}

TEST_F(TraceTest, ACacheHitAndGatewayAnswersAreTracedToo) {
  configure(upstream_config(kTelemetry));
  auto first = spans_of(failover());
  now += 1;
  auto hit = submit(kBody, "/v1/chat/completions", kAuth);
  EXPECT_EQ(header(*find(hit, ActionKind::respond), "x-switchyard-cache"), "HIT");
  auto spans = spans_of(hit);
  ASSERT_EQ(spans.size(), 2u);  // the L1 lookup, the request
  EXPECT_EQ(spans[0].attrs.at("switchyard.cache.result"), "HIT");
  EXPECT_EQ(spans[1].attrs.at("switchyard.cache"), "HIT");
  EXPECT_EQ(spans[0].parent, spans[1].id);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_NE(spans[1].trace, first[3].trace);  // one trace per request
  auto denied = submit(kBody);  // no key: 401 from the gateway itself
  EXPECT_EQ(find(denied, ActionKind::respond)->status, 401u);
  const Action* log = find(denied, ActionKind::log);
  ASSERT_TRUE(log);
  EXPECT_EQ(parse(log->body)["status"].GetInt(), 401);
  spans = spans_of(denied);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attrs.at("http.response.status_code"), "401");
  EXPECT_EQ(spans[0].attrs.count("switchyard.key"), 0u);
}

TEST_F(TraceTest, ACancelledRequestEndsItsAttemptAndIsLogged) {
  configure(upstream_config(kTelemetry));
  auto actions = submit(kBody, "/v1/chat/completions", kAuth);
  ASSERT_TRUE(find(actions, ActionKind::fetch));
  now += 2;
  engine.cancel(last_id, now);
  auto after = take();
  const Action* log = find(after, ActionKind::log);
  ASSERT_TRUE(log);
  EXPECT_EQ(parse(log->body)["status"].GetInt(), 499);
  auto spans = spans_of(after);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].attrs.at("switchyard.outcome"), "cancelled");
  EXPECT_EQ(spans[2].attrs.at("http.response.status_code"), "499");
}

TEST_F(TraceTest, TheHostTierAndSingleFlightWaitsAreLookupsToo) {
  configure(upstream_config(R"(, "cache": {"enabled": true, "persist": true},
      "telemetry": {"otlp": {"endpoint": "http://otel.test:4318", "headers": {"x-tenant": "t1"}}})"));
  engine.enable_persistence(true);
  auto leader = submit(kBody);
  const Action* get = find(leader, ActionKind::cache_get);
  ASSERT_TRUE(get);
  auto follower = submit(kBody);  // identical: waits for the leader (single-flight)
  EXPECT_FALSE(find(follower, ActionKind::fetch));
  now += 4;
  engine.cache_result(get->id, "", now);  // a miss in the host's tier: upstream
  auto after_miss = take();
  const Action* fetch = find(after_miss, ActionKind::fetch);
  ASSERT_TRUE(fetch);
  now += 6;
  auto answered = answer(fetch->id, 200, kCompletion);
  auto spans = spans_of(answered);
  const SpanView* l2 = nullptr;
  const SpanView* flight = nullptr;
  for (const auto& sp : spans) {
    if (sp.name == "cache l2") l2 = &sp;
    if (sp.name == "cache single-flight") flight = &sp;
  }
  ASSERT_TRUE(l2);
  EXPECT_EQ(l2->attrs.at("switchyard.cache.result"), "MISS");
  ASSERT_TRUE(flight);
  EXPECT_EQ(flight->attrs.at("switchyard.cache.result"), "COALESCED");
  EXPECT_NE(flight->trace, l2->trace);  // each request its own trace
  size_t roots = 0;
  for (const auto& sp : spans) roots += sp.parent.empty();
  EXPECT_EQ(roots, 2u);
  EXPECT_EQ(spans.size(), 2u + 3u + 2u);  // roots; the leader's l1, l2, attempt; the follower's l1, wait
}

TEST_F(TraceTest, AStreamIsLoggedWhenItEnds) {
  configure(std::string(kEchoConfig).insert(std::string(kEchoConfig).size() - 1, R"(, "telemetry": {"logs": "json"})"));
  auto actions = submit(R"({"model": "default", "stream": true, "messages": [{"role": "user", "content": "hello there"}]})");
  ASSERT_TRUE(find(actions, ActionKind::stream_end));
  const Action* log = find(actions, ActionKind::log);
  ASSERT_TRUE(log);
  auto line = parse(log->body);
  EXPECT_EQ(line["status"].GetInt(), 200);
  EXPECT_TRUE(line["stream"].GetBool());
  EXPECT_STREQ(line["target"].GetString(), "echo/echo-1");
  EXPECT_GT(line["completion_tokens"].GetInt(), 0);
}

TEST_F(TraceTest, WithoutTelemetryNothingChanges) {
  configure(upstream_config(R"(, "retry": {"attempts": 0})"));
  auto actions = failover();
  EXPECT_FALSE(find(actions, ActionKind::log));
  EXPECT_FALSE(find(actions, ActionKind::send));
  EXPECT_TRUE(std::isinf(deadline()));
}

}  // namespace
}  // namespace sy::engine
