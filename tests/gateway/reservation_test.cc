// Budget reservations (src/gateway/reservation.cc): the worst-case estimate, and every path a model
// request can end by settles its reservation exactly once (GET /v1/key shows `reserved_usd` back
// at 0 and what was charged).
#include "gateway/reservation.h"

#include <gtest/gtest.h>

#include "engine/harness.h"
#include "engine/impl.h"
#include "engine/simulator.h"
#include "ledger/objects.h"

namespace sy::engine {
namespace {

// $1000 per million tokens both ways: 1 token = $0.001.
std::string priced_config(std::string_view extra = "", std::string_view budget = "100") {
  return std::string(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1",
                                             "prices": {"m": {"input": 1000, "output": 1000}}},
                                       "e": {"type": "echo"}},
                         "retry": {"attempts": 1, "backoff_ms": 1, "max_backoff_ms": 1},
                         "keys": {"sk-a": {"budget_usd": )") +
         std::string(budget) + "}}" + std::string(extra) + "}";
}

constexpr const char* kKey = "authorization: Bearer sk-a\n";
// Prompt estimate 4 + 1 = 5 tokens, max_tokens 100: $0.105 reserved.
constexpr const char* kChat = R"({"model": "a/m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]})";
constexpr const char* kStreamChat =
    R"({"model": "a/m", "max_tokens": 100, "stream": true, "messages": [{"role": "user", "content": "hi"}]})";
constexpr double kReserved = 0.105;
constexpr double kPromptOnly = 0.005;
// 1000 + 500 tokens: $1.50.
constexpr const char* kAnswer =
    R"({"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}})";
// "Hello" (2 tokens estimated), then usage of 10 + 20 tokens: $0.03.
constexpr const char* kStreamHead =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}\n\n";
constexpr const char* kStreamTail =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,\"total_tokens\":30}}\n\n"
    "data: [DONE]\n\n";

class Reservations : public EngineTest {
 protected:
  struct Numbers {
    double spent = -1, reserved = -1, remaining = -1;
  };

  Numbers numbers() {
    engine.submit(++last_id, "GET", "/v1/key", kKey, "", now);
    auto actions = take();
    EXPECT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].status, 200u) << actions[0].body;
    auto doc = parse(actions[0].body);
    const auto& d = doc["data"];
    return {d["spent_usd"].GetDouble(), d["reserved_usd"].GetDouble(), d["remaining_usd"].GetDouble()};
  }

  std::vector<Action> chat(std::string_view body = kChat, std::string extra = "") {
    return submit(body, "/v1/chat/completions", kKey + extra);
  }

  void expect_settled(double spent) {
    Numbers n = numbers();
    EXPECT_EQ(n.reserved, 0);
    EXPECT_NEAR(n.spent, spent, 1e-9);
    EXPECT_NEAR(n.remaining, 100 - spent, 1e-9);
  }
};

TEST(Estimate, WorstCaseOverEveryReachableTarget) {
  std::vector<config::Problem> problems;
  auto config = config::load(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "prices": {"m": {"input": 2, "output": 8}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1", "prices": {"m": {"input": 5, "output": 1}}},
      "c": {"type": "openai-compatible", "base_url": "http://c.test/v1"}},
    "models": {"x": {"strategy": "conditional", "default": "cheap",
                     "conditions": [{"when": {"prompt_tokens": {"$gt": 1000}}, "then": "dear"}],
                     "targets": [{"name": "cheap", "provider": "c", "model": "m"},
                                 {"name": "dear", "strategy": "fallback", "targets": [
                                    {"provider": "a", "model": "m"},
                                    {"provider": "b", "model": "m", "override_params": {"max_tokens": 9000}}]}]},
               "free": {"targets": [{"provider": "c", "model": "m"}]}},
    "gateway": {"reserve_output_tokens": 100}})", "{}", problems);
  ASSERT_TRUE(config) << problems[0].message;
  model::Request r;
  r.model = "x";
  r.messages.push_back({});  // an empty user message: 4 tokens
  r.max_tokens = 50;
  gateway::Estimate e = gateway::estimate(*config, r);
  EXPECT_TRUE(e.priced);
  EXPECT_EQ(e.prompt_tokens, 4);
  EXPECT_EQ(e.input_price, 5);   // b's, though the condition picks the unpriced one today
  EXPECT_EQ(e.output_price, 8);  // a's
  EXPECT_EQ(e.output_tokens, 9000);  // b's override wins over the request's 50
  EXPECT_DOUBLE_EQ(e.usd, (4 * 5 + 9000 * 8) / 1e6);
  EXPECT_DOUBLE_EQ(e.cost_with(10), (4 * 5 + 10 * 8) / 1e6);

  r.model = "free";
  EXPECT_EQ(gateway::estimate(*config, r).usd, 0);  // no price known: nothing reserved
  r.routing.models = {"a/m"};                       // … unless a fallback model has one
  r.max_tokens = -1;
  r.sampling.n = 2;
  e = gateway::estimate(*config, r);
  EXPECT_EQ(e.output_tokens, 200);  // gateway.reserve_output_tokens × n
  EXPECT_DOUBLE_EQ(e.usd, (4 * 2 + 200 * 8) / 1e6);
  r.kind = model::Kind::embeddings;
  e = gateway::estimate(*config, r);
  EXPECT_EQ(e.output_tokens, 0);  // embeddings produce no output tokens
  EXPECT_DOUBLE_EQ(e.usd, double(e.prompt_tokens) * 2 / 1e6);
}

TEST_F(Reservations, SuccessChargesTheReportedUsage) {
  configure(priced_config());
  auto f = chat();
  ASSERT_EQ(f[0].kind, ActionKind::fetch);
  EXPECT_NEAR(numbers().reserved, kReserved, 1e-9);
  EXPECT_EQ(answer(f[0].id, 200, kAnswer)[0].status, 200u);
  expect_settled(1.5);  // more than the estimate: the provider's usage is the truth
}

TEST_F(Reservations, AStreamSettlesWithItsUsage) {
  configure(priced_config());
  auto f = chat(kStreamChat);
  engine.fetch_response(f[0].id, 200, "content-type: text/event-stream\n", now);
  engine.fetch_body(f[0].id, kStreamHead, now);
  EXPECT_NEAR(numbers().reserved, kReserved, 1e-9);
  engine.fetch_body(f[0].id, kStreamTail, now);
  ASSERT_NE(find(take(), ActionKind::stream_end), nullptr);
  expect_settled(0.03);
}

TEST_F(Reservations, UpstreamFailureAfterRetriesChargesNothing) {
  configure(priced_config());
  auto f = chat();
  answer(f[0].id, 500, R"({"error": {"message": "down"}})");
  now += 10;
  engine.timer(now);
  auto retry = take();
  ASSERT_EQ(retry.size(), 1u);
  ASSERT_EQ(retry[0].kind, ActionKind::fetch);
  EXPECT_EQ(answer(retry[0].id, 500, R"({"error": {"message": "down"}})")[0].status, 502u);
  expect_settled(0);
}

TEST_F(Reservations, CancelMidFlightChargesThePrompt) {
  configure(priced_config());
  chat();
  engine.cancel(last_id, now);
  EXPECT_EQ(find(take(), ActionKind::fetch_abort)->kind, ActionKind::fetch_abort);
  expect_settled(kPromptOnly);  // the provider may have started: the prompt is billed
}

TEST_F(Reservations, CancelMidStreamChargesWhatWasRelayed) {
  configure(priced_config());
  auto f = chat(kStreamChat);
  uint32_t caller = last_id;
  engine.fetch_response(f[0].id, 200, "content-type: text/event-stream\n", now);
  engine.fetch_body(f[0].id, kStreamHead, now);
  take();
  engine.cancel(caller, now);
  take();
  expect_settled(kPromptOnly + 0.002);  // the prompt + "Hello" (2 tokens)
}

TEST_F(Reservations, ADeadlineChargesThePrompt) {
  configure(priced_config());
  chat(kChat, "x-switchyard-timeout: 1000\n");
  now += 1001;
  engine.timer(now);
  auto after = take();
  const Action* r = find(after, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 504u);
  expect_settled(kPromptOnly);
}

TEST_F(Reservations, CacheHitsAndCoalescedFollowersAreFree) {
  configure(priced_config(R"(, "cache": {"enabled": true})"));
  auto leader = chat();
  EXPECT_TRUE(chat().empty());  // a follower waits for the leader's answer
  EXPECT_NEAR(numbers().reserved, 2 * kReserved, 1e-9);
  auto done = answer(leader[0].id, 200, kAnswer);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(header(done[1], "x-switchyard-cache"), "COALESCED");
  expect_settled(1.5);
  auto hit = chat();
  EXPECT_EQ(header(hit[0], "x-switchyard-cache"), "HIT");
  expect_settled(1.5);
}

TEST_F(Reservations, EveryPipelineStepSettles) {
  configure(priced_config(R"(, "pipelines": {"p": {"steps": [
      {"id": "one", "model": "a/m", "prompt": "one {{x}}", "input": {"x": "{{input.x}}"}},
      {"id": "two", "model": "a/m", "prompt": "two {{x}}", "input": {"x": "{{one.text}}"}}]}})"));
  auto one = submit(R"({"x": "go"})", "/v1/pipelines/p", kKey);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(one[0].kind, ActionKind::fetch);
  EXPECT_GT(numbers().reserved, 0);
  auto two = answer(one[0].id, 200, kAnswer);
  const Action* second = find(two, ActionKind::fetch);
  ASSERT_NE(second, nullptr);
  auto failed = answer(second->id, 400, R"({"error": {"message": "no"}})");
  const Action* r = find(failed, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 400u) << r->body;  // the step's error, the pipeline failed
  expect_settled(1.5);
}

TEST_F(Reservations, NothingIsReservedForBodiesRefusedBeforeDispatch) {
  configure(priced_config(R"(, "gateway": {"max_body_bytes": 1024, "body_timeout_ms": 100})"));
  EXPECT_EQ(chat(std::string(2000, ' ') + kChat)[0].status, 413u);
  engine.begin(++last_id, "POST", "/v1/chat/completions", kKey, now);
  engine.body(last_id, "{\"model\": ", now);
  take();
  now += 101;
  engine.timer(now);
  EXPECT_EQ(take()[0].status, 408u);
  expect_settled(0);
}

TEST_F(Reservations, ReservationsInFlightCountAgainstTheBudget) {
  configure(priced_config("", "0.21"));
  auto first = chat();
  auto second = chat();
  ASSERT_EQ(second[0].kind, ActionKind::fetch);
  auto third = chat();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].status, 402u);
  EXPECT_EQ(std::string(parse(third[0].body)["error"]["message"].GetString()),
            "this gateway key has nothing left of its budget of $0.21 (spent and reserved by requests in flight)");
  answer(first[0].id, 400, R"({"error": {"message": "bad"}})");  // frees its reservation: room again
  EXPECT_EQ(chat()[0].kind, ActionKind::fetch);
}

TEST_F(Reservations, ARequestThatDoesNotFitGets402BeforeAnyUpstreamCall) {
  configure(priced_config());
  auto big = chat(R"({"model": "a/m", "max_tokens": 200000, "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0].status, 402u);
  auto error = parse(big[0].body);
  EXPECT_STREQ(error["error"]["code"].GetString(), "budget_exhausted");
  EXPECT_EQ(std::string(error["error"]["message"].GetString()),
            "this gateway key has $100 of its $100 budget left (spent and reserved by requests in flight); this "
            "request may cost up to $200.005");
  expect_settled(0);
}

// With shared state (gateway/shared_budgets.h): the request waits for its key's object, the
// host's answer starts it, its settle is reported at once, and GET /v1/key asks the object.
TEST_F(Reservations, WithSharedStateARequestWaitsForItsKeysObject) {
  configure(priced_config());
  engine.enable_shared_state(true);
  ledger::Objects objects;
  // The host performs a STATE action on `objects` and answers it; what the engine does next.
  auto perform = [&](const Action& a) {
    EXPECT_EQ(a.kind, ActionKind::state);
    EXPECT_EQ(a.url.substr(0, 8), "key:key-");  // the key's name, never the key
    std::string out;
    EXPECT_TRUE(objects.apply(a.url, a.body, now, out));
    engine.state_result(a.id, out, now);
    return take();
  };
  auto asked = chat();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].status, last_id);  // performed from the waiting request's task
  uint32_t parked = last_id;
  auto started = perform(asked[0]);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].kind, ActionKind::fetch);
  EXPECT_EQ(started[0].status, parked);
  std::vector<Action> reports;
  for (auto& a : answer(started[0].id, 200, kAnswer))
    if (a.kind == ActionKind::state) reports.push_back(a);
  ASSERT_EQ(reports.size(), 1u);  // the settle, at once
  EXPECT_NE(reports[0].body.find("\"spent\":1.5"), std::string::npos) << reports[0].body;
  // The reservation ($0.105) and the excess over it, taken from the free lease (the refill was
  // 10% of the $100 budget): docs/host-interface.md, "The overshoot bound".
  EXPECT_NE(reports[0].body.find("\"returned\":1.5"), std::string::npos) << reports[0].body;
  perform(reports[0]);
  engine.submit(++last_id, "GET", "/v1/key", kKey, "", now);
  auto view = take();
  ASSERT_EQ(view.size(), 1u);
  EXPECT_NE(view[0].body.find("\"op\":\"get\""), std::string::npos);
  auto shown = perform(view[0]);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].status, 200u);
  auto doc = parse(shown[0].body);
  EXPECT_NEAR(doc["data"]["spent_usd"].GetDouble(), 1.5, 1e-9);
  EXPECT_NEAR(doc["data"]["reserved_usd"].GetDouble(), 0, 1e-12);
}

// Budgets that must ask the host first (as the shared ledger does): `pending` until released.
class HeldBudgets final : public gateway::Budgets {
 public:
  explicit HeldBudgets(const config::Config& config) : local_(config) {}
  gateway::Verdict reserve(int key, double usd, double now, uint32_t) override {
    ++asked;
    if (failing) return {gateway::Verdict::Kind::unavailable, -1};
    if (held) return {gateway::Verdict::Kind::pending, -1};
    return local_.reserve(key, usd, now);
  }
  void settle(int key, double reserved, double actual, double now) override { local_.settle(key, reserved, actual, now); }
  gateway::BudgetView view(int key) const override { return local_.view(key); }
  void release(int key, double now) {
    held = false;
    ready(key, now);
  }

  bool held = true, failing = false;
  int asked = 0;

 private:
  gateway::LocalBudgets local_;
};

TEST_F(Reservations, APendingReservationWaitsForTheBudgetsAnswer) {
  configure(priced_config());
  auto owned = std::make_unique<HeldBudgets>(*engine.impl().exchange.runtime()->config);
  HeldBudgets& budgets = *owned;
  engine.impl().gateway.use_budgets(std::move(owned));
  EXPECT_TRUE(chat().empty());  // parked: nothing goes upstream yet
  uint32_t parked = last_id;
  EXPECT_TRUE(chat().empty());
  uint32_t gone = last_id;
  engine.cancel(gone, now);  // the caller of the second one leaves while it waits
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(numbers().reserved, 0);
  engine.impl().batch.clear();  // the ledger calls ready() inside the host's STATE answer event
  budgets.release(0, now);
  auto resumed = take();
  ASSERT_EQ(resumed.size(), 1u);  // only the one still waiting
  EXPECT_EQ(resumed[0].kind, ActionKind::fetch);
  EXPECT_EQ(resumed[0].status, parked);
  EXPECT_EQ(budgets.asked, 3);  // two parked, one asked again
  EXPECT_NEAR(numbers().reserved, kReserved, 1e-9);
  answer(resumed[0].id, 200, kAnswer);
  expect_settled(1.5);

  budgets.failing = true;  // the shared state cannot be reached: fail closed
  auto unavailable = chat();
  ASSERT_EQ(unavailable.size(), 1u);
  EXPECT_EQ(unavailable[0].status, 503u);
  auto error = parse(unavailable[0].body);
  EXPECT_STREQ(error["error"]["code"].GetString(), "state_unavailable");
  EXPECT_NE(std::string(error["error"]["message"].GetString()).find("\"key-"), std::string::npos);  // its name
  EXPECT_EQ(header(unavailable[0], "retry-after"), "1");
}

// A pipeline step whose reservation must wait for the budgets' answer waits like a plain request
// (no 503): nothing goes upstream until the answer, then the step starts. Steps that become ready
// meanwhile wait behind the one that asked, and a pipeline whose caller leaves takes nothing.
TEST_F(Reservations, APipelineStepWaitsForTheBudgetsAnswer) {
  configure(priced_config(R"(, "pipelines": {"p": {"steps": [
      {"id": "one", "model": "a/m", "prompt": "one {{x}}", "input": {"x": "{{input.x}}"}},
      {"id": "two", "model": "a/m", "prompt": "two {{x}}", "input": {"x": "{{input.x}}"}}]}})"));
  auto owned = std::make_unique<HeldBudgets>(*engine.impl().exchange.runtime()->config);
  HeldBudgets& budgets = *owned;
  engine.impl().gateway.use_budgets(std::move(owned));
  EXPECT_TRUE(submit(R"({"x": "go"})", "/v1/pipelines/p", kKey).empty());  // both steps wait
  EXPECT_EQ(budgets.asked, 1);  // step two waits behind step one without asking
  engine.impl().batch.clear();  // the ledger calls ready() inside the host's STATE answer event
  budgets.release(0, now);
  auto resumed = take();
  ASSERT_EQ(resumed.size(), 2u);  // both steps' requests go upstream
  EXPECT_EQ(resumed[0].kind, ActionKind::fetch);
  EXPECT_EQ(resumed[1].kind, ActionKind::fetch);
  EXPECT_EQ(budgets.asked, 3);
  EXPECT_GT(numbers().reserved, 0);  // both steps' estimates are held
  answer(resumed[0].id, 200, kAnswer);
  auto done = answer(resumed[1].id, 200, kAnswer);
  const Action* r = find(done, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200u) << r->body;
  expect_settled(3.0);

  budgets.held = true;  // a caller that leaves while its step waits takes nothing
  EXPECT_TRUE(submit(R"({"x": "go"})", "/v1/pipelines/p", kKey).empty());
  engine.cancel(last_id, now);
  engine.impl().batch.clear();
  budgets.release(0, now);
  EXPECT_TRUE(take().empty());
  expect_settled(3.0);
}

// The issue's proof in one engine: 50 concurrent requests on a $0.05 budget, each answer costing
// $0.018 (6 prompt tokens at $1500 per million + 20 completion tokens at $450 per million; the
// estimate is the same: the prompt estimate of "hello" is 6 tokens and max_tokens is 20).
TEST(ReservationProof, FiftyConcurrentRequestsCannotOverspend) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    sim::Simulator s(seed);
    ASSERT_TRUE(s.configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1",
                                                  "prices": {"m": {"input": 1500, "output": 450}}}},
                               "keys": {"sk-a": {"budget_usd": 0.05}}})"))
        << s.last_error();
    sim::Profile& p = s.profile("a");
    p.prompt_tokens = 6;
    p.completion_tokens = 20;
    p.latency_min_ms = 50;
    p.latency_max_ms = 500;
    std::string key = std::string(sim::kJsonHeaders) + "authorization: Bearer sk-a\n";
    // All within 5 ms, long before the first answer, then a late wave after every answer.
    s.submit_every(0, 0.1, 50, sim::Simulator::chat("a/m", R"(, "max_tokens": 20)"), key);
    s.submit_every(2000, 10, 10, sim::Simulator::chat("a/m", R"(, "max_tokens": 20)"), key);
    s.run();
    EXPECT_TRUE(s.check().empty()) << s.check()[0];
    auto statuses = s.statuses();
    EXPECT_LE(statuses[200], 3) << seed;
    EXPECT_EQ(statuses[200] + statuses[402], 60) << seed;
    EXPECT_EQ(int(s.attempts().size()), statuses[200]);  // no upstream call for a refused request
    json::Document key_doc;
    std::string error;
    ASSERT_TRUE(json::parse(s.get("/v1/key", "authorization: Bearer sk-a\n"), key_doc, error)) << error;
    const json::Value& data = key_doc["data"];
    EXPECT_EQ(data["reserved_usd"].GetDouble(), 0);
    EXPECT_NEAR(data["spent_usd"].GetDouble(), 0.018 * statuses[200], 1e-9);
    EXPECT_LE(data["spent_usd"].GetDouble(), 0.05 + 1e-12);  // the estimate is exact here: no overshoot
  }
}

}  // namespace
}  // namespace sy::engine
