// POST /v1/pipelines/{name} (src/gateway/pipelines.cc, src/pipeline/run.cc): failures and
// on_error, the pipeline's deadline, cancellation, streaming, and what is refused up front.
#include <gtest/gtest.h>

#include "pipeline/pipeline_harness.h"

namespace sy::engine {
namespace {

constexpr const char* kBadRequest = R"({"error":{"message":"bad prompt","type":"invalid_request_error"}})";

class PipelinesTest : public PipelineTest {
 protected:
  // first -> (left, right) -> last
  config::Pipeline diamond(config::OnError right_on_error, std::string fallback = {}) {
    auto p = pipeline("d", {step("first", "a/m-a", "F {{x}}", {{"x", "{{input.x}}"}}),
                            step("left", "a/m-a", "L {{f}}", {{"f", "{{first.text}}"}}),
                            step("right", "b/m-b", "R {{f}}", {{"f", "{{first.text}}"}}),
                            step("last", "a/m-a", "Z {{l}} {{r}}", {{"l", "{{left.text}}"}, {"r", "{{right.text}}"}})});
    p.steps[2].on_error = right_on_error;
    p.steps[2].fallback_value = std::move(fallback);
    return p;
  }

  // Runs `d` up to the pair in flight: returns the FETCHes of left and right.
  std::pair<uint32_t, uint32_t> up_to_the_pair() {
    auto started = call("d", R"({"x": "go"})");
    auto pair = reply(fetch_with(started, "F go")->id, "f1");
    EXPECT_EQ(of_kind(pair, ActionKind::fetch).size(), 2u);
    return {fetch_with(pair, "L f1")->id, fetch_with(pair, "R f1")->id};
  }
};

TEST_F(PipelinesTest, AFailingMiddleStepEndsThePipelineNamingIt) {
  install(pipeline_config(), {diamond(config::OnError::fail)});
  auto [left, right] = up_to_the_pair();
  auto failed = answer(right, 400, kBadRequest);
  const Action* abort = find(failed, ActionKind::fetch_abort);
  ASSERT_NE(abort, nullptr);  // left, still running, is cancelled
  EXPECT_EQ(abort->id, left);
  const Action* respond = find(failed, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 400u);
  auto body = parse(respond->body);
  EXPECT_STREQ(body["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_STREQ(body["error"]["param"].GetString(), "steps.right");
  EXPECT_STREQ(body["error"]["metadata"]["step"].GetString(), "right");
  EXPECT_EQ(std::string(body["error"]["message"].GetString()).rfind("step 'right' failed: ", 0), 0u);
  EXPECT_STREQ(body["steps"]["first"]["text"].GetString(), "f1");  // what finished
  EXPECT_FALSE(body["steps"].HasMember("left"));
  EXPECT_FALSE(body["steps"].HasMember("right"));
  EXPECT_EQ(engine.impl().exchange.in_flight(), 0u);
  EXPECT_TRUE(of_kind(answer(left, 200, completion("late")), ActionKind::respond).empty());  // nothing after
}

TEST_F(PipelinesTest, OnErrorSkipGivesNullAndGoesOn) {
  install(pipeline_config(), {diamond(config::OnError::skip)});
  auto [left, right] = up_to_the_pair();
  EXPECT_TRUE(of_kind(answer(right, 400, kBadRequest), ActionKind::fetch).empty());
  auto last = reply(left, "l1");
  const Action* fetch = fetch_with(last, "Z l1 ");  // the skipped step renders as nothing
  ASSERT_NE(fetch, nullptr);
  auto body = parse(find(reply(fetch->id, "end"), ActionKind::respond)->body);
  EXPECT_STREQ(body["output"].GetString(), "end");
  EXPECT_TRUE(body["steps"]["right"]["text"].IsNull());
  EXPECT_TRUE(body["steps"]["right"]["skipped"].GetBool());
  EXPECT_STREQ(body["steps"]["right"]["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_FALSE(body["steps"]["left"].HasMember("skipped"));
}

TEST_F(PipelinesTest, OnErrorFallbackValueStandsInForTheOutput) {
  install(pipeline_config(), {diamond(config::OnError::fallback_value, R"("n/a")")});
  auto [left, right] = up_to_the_pair();
  answer(right, 400, kBadRequest);
  auto last = reply(left, "l1");
  const Action* fetch = fetch_with(last, "Z l1 n/a");
  ASSERT_NE(fetch, nullptr);
  auto body = parse(find(reply(fetch->id, "end"), ActionKind::respond)->body);
  EXPECT_STREQ(body["steps"]["right"]["text"].GetString(), "n/a");
  EXPECT_TRUE(body["steps"]["right"].HasMember("error"));
  EXPECT_FALSE(body["steps"]["right"].HasMember("skipped"));
}

// Each run in flight keeps its deadline until it ends, however it ends (cancelled, answered,
// expired): the engine's next deadline is the earliest of the runs left.
TEST_F(PipelinesTest, TheNextDeadlineIsTheEarliestOfTheRunsLeft) {
  auto p = pipeline("one", {step("only", "a/m-a", "O {{x}}", {{"x", "{{input.x}}"}})});
  p.timeout_ms = 5000;
  install(pipeline_config(), {p});
  double start = now;
  call("one", R"({"x": "a"})");
  uint32_t first = last_id;
  now = start + 1000;
  auto second = call("one", R"({"x": "b"})");
  now = start + 2000;
  call("one", R"({"x": "c"})");
  EXPECT_EQ(deadline(), start + 5000);
  engine.cancel(first, now);
  EXPECT_EQ(deadline(), start + 6000);
  EXPECT_EQ(of_kind(reply(fetch_with(second, "O b")->id, "done"), ActionKind::respond).size(), 1u);
  EXPECT_EQ(deadline(), start + 7000);
  now = start + 7000;
  engine.timer(now);
  auto actions = take();
  const Action* expired = find(actions, ActionKind::respond);
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->status, 504u);
  EXPECT_EQ(deadline(), exchange::kNever);
}

TEST_F(PipelinesTest, TheDeadlineCancelsWhatRunsAndAnswers504) {
  auto p = diamond(config::OnError::fail);
  p.timeout_ms = 5000;
  install(pipeline_config(), {p});
  double start = now;
  auto [left, right] = up_to_the_pair();
  EXPECT_EQ(deadline(), start + 5000);
  now = start + 5000;
  engine.timer(now);
  auto expired = take();
  auto aborts = of_kind(expired, ActionKind::fetch_abort);
  ASSERT_EQ(aborts.size(), 2u);
  EXPECT_TRUE((aborts[0].id == left && aborts[1].id == right) || (aborts[0].id == right && aborts[1].id == left));
  const Action* respond = find(expired, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 504u);
  auto body = parse(respond->body);
  EXPECT_STREQ(body["error"]["type"].GetString(), "timeout_error");
  EXPECT_NE(std::string(body["error"]["message"].GetString()).find("still running: left, right"), std::string::npos);
  EXPECT_TRUE(body["steps"].HasMember("first"));
  EXPECT_EQ(engine.impl().exchange.in_flight(), 0u);
}

TEST_F(PipelinesTest, CancellingTheRequestCancelsEveryStepInFlight) {
  install(pipeline_config(), {diamond(config::OnError::fail)});
  auto [left, right] = up_to_the_pair();
  engine.cancel(last_id, now);
  auto cancelled = take();
  auto aborts = of_kind(cancelled, ActionKind::fetch_abort);
  ASSERT_EQ(aborts.size(), 2u);
  EXPECT_EQ(find(cancelled, ActionKind::respond), nullptr);
  EXPECT_EQ(engine.impl().exchange.in_flight(), 0u);
  EXPECT_EQ(deadline(), exchange::kNever);
}

TEST_F(PipelinesTest, AHostReusingTheIdCancelsTheRunningPipeline) {
  install(pipeline_config(), {diamond(config::OnError::fail)});
  up_to_the_pair();
  engine.submit(last_id, "GET", "/health", "", "", now);
  EXPECT_EQ(of_kind(take(), ActionKind::fetch_abort).size(), 2u);
  EXPECT_EQ(engine.impl().exchange.in_flight(), 0u);
}

TEST_F(PipelinesTest, StepTimeoutIsTheStepsOwn) {
  auto p = pipeline("t", {step("slow", "a/m-a", "S {{x}}", {{"x", "{{input.x}}"}})});
  p.steps[0].timeout_ms = 300;
  install(pipeline_config(), {p});
  call("t", R"({"x": "go"})");
  EXPECT_EQ(deadline(), now + 300);
  now += 300;
  engine.timer(now);
  auto timed_out = take();
  const Action* respond = find(timed_out, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(parse(respond->body)["error"]["param"], "steps.slow");
}

// The final step streams: step events (in finish order), its tokens as delta events, then done.
TEST_F(PipelinesTest, StreamsStepEventsThenTheFinalStepsTokens) {
  install(pipeline_config(), {pipeline("s", {step("first", "a/m-a", "F {{x}}", {{"x", "{{input.x}}"}}),
                                             step("last", "b/m-b", "Z {{f}}", {{"f", "{{first.text}}"}})})});
  auto started = call("s", R"({"x": "go", "stream": true})");
  const Action* head = find(started, ActionKind::respond);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(header(*head, "content-type"), "text/event-stream");
  EXPECT_EQ(head->flags & 1, 1u);
  const Action* first = fetch_with(started, "F go");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->body.find("\"stream\""), std::string::npos);  // only the output step streams
  EXPECT_EQ(first->body.find("\"x\""), std::string::npos);       // `stream` is not part of the input
  auto second = reply(first->id, "f1");
  std::string events = chunks(second);
  EXPECT_EQ(events.rfind("event: step\ndata: {\"id\":\"first\",\"text\":\"f1\"", 0), 0u) << events;
  const Action* last = fetch_with(second, "Z f1");
  ASSERT_NE(last, nullptr);
  EXPECT_NE(last->body.find("\"stream\":true"), std::string::npos);
  engine.fetch_response(last->id, 200, "content-type: text/event-stream\n", now);
  take();
  auto chunk = [](std::string_view text) {
    std::string c = R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m-b","choices":[{"index":0,"delta":{"content":)";
    json::append_string(c, text);
    return c + "},\"finish_reason\":null}]}\n\n";
  };
  engine.fetch_body(last->id, chunk("Hel"), now);
  EXPECT_EQ(chunks(take()), "event: delta\ndata: {\"text\":\"Hel\"}\n\n");
  engine.fetch_body(last->id, chunk("lo"), now);
  EXPECT_EQ(chunks(take()), "event: delta\ndata: {\"text\":\"lo\"}\n\n");
  engine.fetch_body(last->id, "data: [DONE]\n\n", now);
  auto end = take();
  engine.fetch_end(last->id, now);
  std::string tail = chunks(end);
  size_t done = tail.find("event: done\ndata: ");
  ASSERT_NE(done, std::string::npos) << tail;
  EXPECT_EQ(tail.find("event: step\ndata: {\"id\":\"last\",\"text\":\"Hello\""), 0u) << tail;
  auto answer_doc = parse(tail.substr(done + 18, tail.size() - done - 20));
  EXPECT_STREQ(answer_doc["output"].GetString(), "Hello");
  EXPECT_NE(find(end, ActionKind::stream_end), nullptr);
}

TEST_F(PipelinesTest, AStreamedFailureIsAnErrorEvent) {
  install(pipeline_config(), {pipeline("s", {step("first", "a/m-a", "F {{x}}", {{"x", "{{input.x}}"}}),
                                             step("last", "b/m-b", "Z {{f}}", {{"f", "{{first.text}}"}})})});
  auto started = call("s", R"({"x": "go", "stream": true})");
  auto failed = answer(fetch_with(started, "F go")->id, 400, kBadRequest);
  std::string events = chunks(failed);
  ASSERT_EQ(events.rfind("event: error\ndata: ", 0), 0u) << events;
  auto body = parse(events.substr(19, events.size() - 21));
  EXPECT_STREQ(body["error"]["param"].GetString(), "steps.first");
  EXPECT_TRUE(body["steps"].IsObject());
  EXPECT_NE(find(failed, ActionKind::stream_end), nullptr);
}

TEST_F(PipelinesTest, RefusedUpFront) {
  install(pipeline_config(), {pipeline("p", {step("one", "a/m-a", "1 {{x}}", {{"x", "{{input.x}}"}})})});
  auto unknown = call("nope", "{}");
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_STREQ(parse(unknown[0].body)["error"]["code"].GetString(), "pipeline_not_found");
  EXPECT_EQ(call("p", "[1]")[0].status, 400u);
  EXPECT_EQ(call("p", "{bad")[0].status, 400u);
  auto stream = call("p", R"({"x": "go", "stream": "yes"})");
  EXPECT_EQ(stream[0].status, 400u);
  EXPECT_STREQ(parse(stream[0].body)["error"]["param"].GetString(), "stream");
  auto missing = call("p", R"({"y": "go"})");  // {{input.x}} cannot be resolved
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].status, 400u);
  EXPECT_STREQ(parse(missing[0].body)["error"]["param"].GetString(), "steps.one");
}

TEST_F(PipelinesTest, TheKeyAppliesToEveryStep) {
  install(upstream_config(R"(, "keys": {"sk-a": {"models": ["a/m-a"]}})"),
          {pipeline("p", {step("one", "a/m-a", "1 {{x}}", {{"x", "{{input.x}}"}}),
                          step("two", "b/m-b", "2 {{x}}", {{"x", "{{one.text}}"}})})});
  EXPECT_EQ(call("p", "{\"x\": \"go\"}")[0].status, 401u);
  auto started = call("p", R"({"x": "go"})", "authorization: Bearer sk-a\n");
  auto second = reply(fetch_with(started, "1 go")->id, "uno");
  const Action* respond = find(second, ActionKind::respond);
  ASSERT_NE(respond, nullptr);  // b/m-b is not the key's
  EXPECT_EQ(respond->status, 403u);
  EXPECT_STREQ(parse(respond->body)["error"]["param"].GetString(), "steps.two");
}

// Each step is charged to the key: a budget spent by the first step refuses the second.
TEST_F(PipelinesTest, StepsSpendTheKeysBudget) {
  // Step one reserves (5 prompt tokens at $1 + 1 output token at $2 per million) = $0.000007.
  install(upstream_config(R"(, "keys": {"sk-a": {"budget_usd": 0.00001}}, "gateway": {"reserve_output_tokens": 1})"),
          {pipeline("p", {step("one", "a/m-a", "1 {{x}}", {{"x", "{{input.x}}"}}),
                          step("two", "a/m-a", "2 {{x}}", {{"x", "{{one.text}}"}})})});
  auto started = call("p", R"({"x": "go"})", "authorization: Bearer sk-a\n");
  auto second = reply(fetch_with(started, "1 go")->id, "uno");  // costs $0.00002
  const Action* respond = find(second, ActionKind::respond);
  ASSERT_NE(respond, nullptr);
  EXPECT_EQ(respond->status, 402u);
  EXPECT_STREQ(parse(respond->body)["error"]["param"].GetString(), "steps.two");
}

// A pipeline as the config loads it, on the echo provider (it answers with the prompt).
TEST_F(PipelinesTest, APipelineFromTheConfigOnEcho) {
  configure(R"({"providers": {"echo": {"type": "echo"}},
    "services": {"upper": {"model": "echo/e1", "prompt": "up {{t}}"}, "wrap": {"model": "echo/e1", "prompt": "[{{a}}+{{b}}]"}},
    "pipelines": {"chain": {"steps": [
        {"id": "one", "service": "upper", "input": {"t": "{{input.t}}"}},
        {"id": "two", "service": "upper", "input": {"t": "{{input.t}}!"}},
        {"id": "both", "service": "wrap", "input": {"a": "{{one.text}}", "b": "{{two.text}}"}}],
      "timeout_ms": 1000}}})");
  auto actions = call("chain", R"({"t": "x"})");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].status, 200u) << actions[0].body;
  auto body = parse(actions[0].body);
  EXPECT_STREQ(body["output"].GetString(), "[up x+up x!]");
  EXPECT_STREQ(body["steps"]["one"]["provider"].GetString(), "echo");
  EXPECT_STREQ(body["steps"]["both"]["cache"].GetString(), "BYPASS");
  EXPECT_EQ(deadline(), exchange::kNever);  // nothing left running, no deadline kept
}

// Telemetry of a pipeline: one log line for the call (its steps' attempts and tokens summed), and
// in its trace a root span, a child span per step that started (skipped ones too), and each
// step's upstream attempts under its step's span. The key's text never appears.
TEST_F(PipelinesTest, APipelineIsOneLogLineAndOneTraceWithASpanPerStep) {
  configure(upstream_config(R"(, "retry": {"attempts": 0},
      "keys": {"sk-team-secret": {"name": "team-a"}},
      "telemetry": {"logs": "json", "otlp": {"endpoint": "http://otel.test:4318"}},
      "pipelines": {"p": {"steps": [
        {"id": "one", "model": "a/m-a", "prompt": "one {{x}}", "input": {"x": "{{input.x}}"}},
        {"id": "two", "model": "a/m-a", "prompt": "two {{x}}", "input": {"x": "{{one.text}}"}},
        {"id": "never", "model": "a/m-a", "prompt": "never", "when": {"input.x": {"$eq": "nothing"}}}]}})"));
  auto started = call("p", R"({"x": "go"})", "content-type: application/json\nauthorization: Bearer sk-team-secret\n");
  auto second = reply(fetch_with(started, "one go")->id, "o1");
  auto all = reply(fetch_with(second, "two o1")->id, "t1");
  ASSERT_EQ(find(all, ActionKind::respond)->status, 200u);

  auto logs = of_kind(all, ActionKind::log);
  ASSERT_EQ(logs.size(), 1u);
  auto line = parse(logs[0].body);
  EXPECT_STREQ(line["path"].GetString(), "/v1/pipelines/p");
  EXPECT_STREQ(line["key"].GetString(), "team-a");
  EXPECT_EQ(line["status"].GetInt(), 200);
  EXPECT_EQ(line["attempts"].GetInt(), 2);
  EXPECT_EQ(line["prompt_tokens"].GetInt(), 20);  // 10 + 10
  EXPECT_EQ(line["completion_tokens"].GetInt(), 10);
  EXPECT_NEAR(line["cost_usd"].GetDouble(), 2 * (10 * 1e-6 + 5 * 2e-6), 1e-12);  // a/m-a: $1 / $2 per million
  EXPECT_EQ(logs[0].body.find("sk-team-secret"), std::string::npos);

  struct SpanView {
    std::string id, parent, name, step_status;
  };
  std::vector<SpanView> spans;
  std::string trace;
  for (const auto& a : of_kind(all, ActionKind::send)) {
    auto doc = parse(a.body);
    for (const auto& sp : doc["resourceSpans"][0]["scopeSpans"][0]["spans"].GetArray()) {
      SpanView v{sp["spanId"].GetString(), sp.HasMember("parentSpanId") ? sp["parentSpanId"].GetString() : "",
                 sp["name"].GetString(), ""};
      for (const auto& at : sp["attributes"].GetArray())
        if (std::string_view(at["key"].GetString()) == "switchyard.step.status") v.step_status = at["value"]["stringValue"].GetString();
      if (trace.empty()) trace = sp["traceId"].GetString();
      EXPECT_EQ(trace, sp["traceId"].GetString());  // one trace
      spans.push_back(std::move(v));
    }
  }
  auto named = [&](std::string_view name) {
    for (const auto& v : spans)
      if (v.name == name) return v;
    ADD_FAILURE() << "no span " << name;
    return SpanView{};
  };
  SpanView root = named("POST /v1/pipelines/p");
  EXPECT_EQ(root.parent, "");
  for (const char* step : {"step one", "step two", "step never"}) EXPECT_EQ(named(step).parent, root.id) << step;
  EXPECT_EQ(named("step one").step_status, "done");
  EXPECT_EQ(named("step never").step_status, "skipped");
  int attempts = 0;
  for (const auto& v : spans) {
    if (v.name.rfind("step ", 0) == 0 || v.parent.empty()) continue;
    ++attempts;  // an attempt (or a cache lookup) sits under a step's span
    EXPECT_TRUE(v.parent == named("step one").id || v.parent == named("step two").id) << v.name;
  }
  EXPECT_GE(attempts, 2);
}

// A pipeline that fails, or whose caller leaves, is logged too (its status, or 499).
TEST_F(PipelinesTest, AFailedOrCancelledPipelineIsLogged) {
  configure(upstream_config(R"(, "retry": {"attempts": 0}, "telemetry": {"logs": "json"},
      "pipelines": {"p": {"steps": [{"id": "one", "model": "a/m-a", "prompt": "one {{x}}", "input": {"x": "{{input.x}}"}}]}})"));
  auto started = call("p", R"({"x": "go"})");
  auto failed = answer(fetch_with(started, "one go")->id, 400, kBadRequest);
  auto logs = of_kind(failed, ActionKind::log);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(parse(logs[0].body)["status"].GetInt(), 400);
  started = call("p", R"({"x": "go"})");
  EXPECT_TRUE(of_kind(started, ActionKind::log).empty());
  engine.cancel(last_id, now);
  logs = of_kind(take(), ActionKind::log);
  ASSERT_EQ(logs.size(), 1u);
  auto line = parse(logs[0].body);
  EXPECT_EQ(line["status"].GetInt(), 499);
  EXPECT_STREQ(line["error"].GetString(), "cancelled");
}

}  // namespace
}  // namespace sy::engine
