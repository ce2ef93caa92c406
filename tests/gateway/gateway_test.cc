// The gateway (src/gateway/gateway.cc, dispatch.cc): routes, methods, bad requests, bodies, CORS.
#include <gtest/gtest.h>

#include "engine/harness.h"

namespace sy::engine {
namespace {


TEST_F(EngineTest, BadRequestsGetTheRightError) {
  configure(kEchoConfig);
  struct Case {
    const char* body;
    unsigned status;
    const char* code;
    const char* param;
  } cases[] = {
      {"{not json", 400, "invalid_json", nullptr},
      {"[1]", 400, "invalid_json", nullptr},
      {R"({"messages": [{"role": "user", "content": "x"}]})", 400, "missing_model", "model"},
      {R"({"model": 5, "messages": []})", 400, "invalid_request", "model"},
      {R"({"model": "default"})", 400, "missing_messages", "messages"},
      {R"({"model": "default", "messages": [{"role": "wizard", "content": "x"}]})", 400, "invalid_request", "messages[0].role"},
      {R"({"model": "default", "messages": [{"role": "user", "content": 7}]})", 400, "invalid_request", "messages[0].content"},
      {R"({"model": "default", "stream": "yes", "messages": [{"role": "user", "content": "x"}]})", 400, "invalid_request", "stream"},
      {R"({"model": "default", "switchyard": {"cache": "maybe"}, "messages": [{"role": "user", "content": "x"}]})", 400, "invalid_request", "switchyard.cache"},
      {R"({"model": "nope", "messages": [{"role": "user", "content": "x"}]})", 404, "model_not_found", "model"},
      {R"({"model": "ghost/x", "messages": [{"role": "user", "content": "x"}]})", 404, "model_not_found", "model"},
  };
  for (const auto& c : cases) {
    auto actions = submit(c.body);
    ASSERT_EQ(actions.size(), 1u) << c.body;
    EXPECT_EQ(actions[0].status, c.status) << c.body;
    auto body = parse(actions[0].body);
    ASSERT_TRUE(body["error"].IsObject()) << actions[0].body;
    EXPECT_STREQ(body["error"]["code"].GetString(), c.code) << c.body;
    EXPECT_TRUE(body["error"]["message"].IsString());
    EXPECT_STREQ(body["error"]["metadata"]["error_type"].GetString(), "invalid_request");
    EXPECT_EQ(header(actions[0], "x-switchyard-attempts"), "0") << c.body;
    EXPECT_EQ(header(actions[0], "x-switchyard-cache"), "BYPASS") << c.body;
    EXPECT_EQ(header(actions[0], "x-switchyard-request-id").substr(0, 4), "req_") << c.body;
    if (c.param) EXPECT_STREQ(body["error"]["param"].GetString(), c.param) << c.body;
    else EXPECT_TRUE(body["error"]["param"].IsNull()) << c.body;  // always present (OpenAI's schema)
  }
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST_F(EngineTest, RoutesMethodsAndHealth) {
  configure(kEchoConfig);
  EXPECT_EQ(submit("", "/health", "", "GET")[0].status, 200u);
  EXPECT_EQ(submit("", "/nope", "", "GET")[0].status, 404u);
  auto wrong = submit("", "/v1/chat/completions", "", "GET");
  EXPECT_EQ(wrong[0].status, 405u);
  EXPECT_EQ(header(wrong[0], "allow"), "POST");
  auto models = parse(submit("", "/v1/models?x=1", "", "GET")[0].body);
  std::vector<std::string> ids;
  for (auto& m : models["data"].GetArray()) ids.push_back(m["id"].GetString());
  EXPECT_EQ(ids, (std::vector<std::string>{"default", "echo/echo-1"}));
}

TEST_F(EngineTest, UnconfiguredEngineAnswers503) {
  auto actions = submit(R"({"model": "x", "messages": []})");
  EXPECT_EQ(actions[0].status, 503u);
  EXPECT_EQ(submit("", "/health", "", "GET")[0].status, 200u);
}

TEST_F(EngineTest, BodyLimit) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"max_body_bytes": 1024}})");
  std::string big = R"({"model": "echo/a", "messages": [{"role": "user", "content": ")" + std::string(2000, 'x') + "\"}]}";
  EXPECT_EQ(submit(big)[0].status, 413u);
}

TEST_F(EngineTest, DeeplyNestedBodiesAreRefused) {
  configure(kEchoConfig);
  std::string deep(100000, '[');
  auto actions = submit(deep);
  EXPECT_EQ(actions[0].status, 400u);
}

TEST_F(EngineTest, NoCrossOriginByDefault) {
  configure(kEchoConfig);
  std::string body = R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})";
  auto r = submit(body, "/v1/chat/completions", "origin: https://evil.example\n");
  EXPECT_EQ(r[0].status, 200u);
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "");
  auto preflight = submit("", "/v1/chat/completions", "origin: https://evil.example\naccess-control-request-method: POST\n", "OPTIONS");
  EXPECT_EQ(preflight[0].status, 403u);
}

TEST_F(EngineTest, CorsForConfiguredOrigins) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "keys": {"sk-a": {}},
                "gateway": {"cors": {"origins": ["https://app.example"], "max_age_s": 60}}})");
  std::string body = R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})";
  // The preflight needs no key (browsers send none).
  auto preflight = submit("", "/v1/chat/completions",
                          "origin: https://app.example\naccess-control-request-method: POST\n"
                          "access-control-request-headers: authorization, content-type\n",
                          "OPTIONS");
  ASSERT_EQ(preflight[0].status, 204u);
  EXPECT_EQ(header(preflight[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(header(preflight[0], "access-control-allow-headers"), "authorization, content-type");
  EXPECT_EQ(header(preflight[0], "access-control-max-age"), "60");
  auto r = submit(body, "/v1/chat/completions", "origin: https://app.example\nauthorization: Bearer sk-a\n");
  EXPECT_EQ(r[0].status, 200u);
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_NE(header(r[0], "access-control-expose-headers").find("x-switchyard-cache"), std::string::npos);
  auto denied = submit(body, "/v1/chat/completions", "authorization: Bearer sk-a\n" "origin: https://other.example\n");
  EXPECT_EQ(header(denied[0], "access-control-allow-origin"), "");
  auto unauthorized = submit(body, "/v1/chat/completions", "origin: https://app.example\n");
  EXPECT_EQ(unauthorized[0].status, 401u);  // errors carry CORS too, so the page can read them
  EXPECT_EQ(header(unauthorized[0], "access-control-allow-origin"), "https://app.example");
  auto stream = submit(R"({"model": "echo/x", "stream": true, "messages": [{"role": "user", "content": "hi"}]})",
                       "/v1/chat/completions", "origin: https://app.example\nauthorization: Bearer sk-a\n");
  EXPECT_EQ(header(stream[0], "access-control-allow-origin"), "https://app.example");
  EXPECT_FALSE(engine.configure(R"({"providers": {"e": {"type": "echo"}}, "gateway": {"cors": {"origins": ["app.example/"]}}})", "{}"));
  EXPECT_NE(engine.last_error().find("gateway.cors.origins[0]"), std::string::npos);
}

// Refusals answered at the head of a request count in /metrics whatever the route, and a CORS
// preflight gets its log line like any other request.
TEST_F(EngineTest, HeadRefusalsCountInMetricsAndPreflightsAreLogged) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "telemetry": {"logs": "json"},
                "gateway": {"max_body_bytes": 1024, "cors": {"origins": ["https://app.example"]}}})");
  EXPECT_EQ(submit("", "/nope", "", "GET")[0].status, 404u);
  EXPECT_EQ(submit("", "/v1/chat/completions", "", "GET")[0].status, 405u);
  EXPECT_EQ(submit("", "/v1/stats", "", "POST")[0].status, 405u);
  EXPECT_EQ(submit("{}", "/v1/chat/completions", "content-length: 5000\n")[0].status, 413u);
  auto metrics = submit("", "/metrics", "", "GET")[0].body;
  EXPECT_NE(metrics.find("switchyard_requests_total{target=\"-\",status=\"4xx\",cache=\"bypass\"} 4\n"),
            std::string::npos)
      << metrics;

  auto logs_of = [](const std::vector<Action>& actions) {
    std::vector<std::string> out;
    for (const auto& a : actions)
      if (a.kind == ActionKind::log) out.push_back(a.body);
    return out;
  };
  auto allowed = submit("", "/v1/chat/completions", "origin: https://app.example\naccess-control-request-method: POST\n",
                        "OPTIONS");
  EXPECT_EQ(allowed[0].status, 204u);
  auto lines = logs_of(allowed);
  ASSERT_EQ(lines.size(), 1u);
  auto line = parse(lines[0]);
  EXPECT_STREQ(line["method"].GetString(), "OPTIONS");
  EXPECT_STREQ(line["path"].GetString(), "/v1/chat/completions");
  EXPECT_EQ(line["status"].GetInt(), 204);
  auto refused = submit("", "/v1/chat/completions", "origin: https://evil.example\naccess-control-request-method: POST\n",
                        "OPTIONS");
  EXPECT_EQ(refused[0].status, 403u);
  lines = logs_of(refused);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(parse(lines[0])["status"].GetInt(), 403);
}

TEST_F(EngineTest, CorsWildcard) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"cors": {"origins": ["*"]}}})");
  auto r = submit(R"({"model": "echo/x", "messages": [{"role": "user", "content": "hi"}]})", "/v1/chat/completions",
                  "origin: https://anyone.example\n");
  EXPECT_EQ(header(r[0], "access-control-allow-origin"), "*");
}

TEST_F(EngineTest, ABodyOverTheLimitIsRefusedWhileItArrives) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"max_body_bytes": 1024}})");
  engine.begin(++last_id, "POST", "/v1/chat/completions", kJson, now);
  engine.body(last_id, std::string(1000, ' '), now);
  EXPECT_TRUE(take().empty());
  engine.body(last_id, std::string(100, ' '), now);
  auto refused = take();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status, 413u);
  EXPECT_STREQ(parse(refused[0].body)["error"]["code"].GetString(), "body_too_large");
  engine.body(last_id, "more", now);  // the host may still send what it had: ignored
  engine.end(last_id, now);
  EXPECT_TRUE(take().empty());
  // A content-length over the limit is refused before any body is read.
  engine.begin(++last_id, "POST", "/v1/chat/completions", "content-length: 5000\n", now);
  EXPECT_EQ(take()[0].status, 413u);
}

TEST_F(EngineTest, ABodyThatDoesNotArriveInTimeGets408) {
  configure(R"({"providers": {"echo": {"type": "echo"}}, "gateway": {"body_timeout_ms": 300}})");
  engine.begin(++last_id, "POST", "/v1/chat/completions", kJson, now);
  uint32_t slow = last_id;
  engine.body(slow, "{\"model\"", now);
  now += 299;
  engine.timer(now);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(submit(R"({"model": "echo/e", "messages": [{"role": "user", "content": "fast"}]})")[0].status, 200u);
  now += 1;
  engine.timer(now);
  auto late = take();
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id, slow);
  EXPECT_EQ(late[0].status, 408u);
  EXPECT_STREQ(parse(late[0].body)["error"]["code"].GetString(), "body_timeout");
  EXPECT_EQ(deadline(), exchange::kNever);
  engine.body(slow, ": 1}", now);  // too late: ignored
  engine.end(slow, now);
  EXPECT_TRUE(take().empty());
}

TEST_F(EngineTest, CancellingARequestWhoseBodyIsArrivingForgetsIt) {
  configure(kEchoConfig);
  engine.begin(++last_id, "POST", "/v1/chat/completions", kJson, now);
  engine.cancel(last_id, now);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(deadline(), exchange::kNever);
  engine.end(last_id, now);
  EXPECT_TRUE(take().empty());
}

}  // namespace
}  // namespace sy::engine
