// The engine facade (src/engine/engine.cc): configuration, events in, actions out.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "engine/harness.h"
#include "engine/impl.h"
#include "ledger/objects.h"

namespace sy::engine {
namespace {

TEST_F(EngineTest, InvalidConfigKeepsThePreviousOne) {
  configure(kEchoConfig);
  EXPECT_FALSE(engine.configure(R"({"providers": {"x": {"type": "nope"}}, "models": 3})", "{}"));
  auto error = parse(engine.last_error());
  EXPECT_STREQ(error["error"]["code"].GetString(), "invalid_config");
  const auto& errors = error["error"]["metadata"]["errors"];
  ASSERT_EQ(errors.Size(), 2u);
  EXPECT_STREQ(errors[0]["path"].GetString(), "providers.x.type");
  EXPECT_STREQ(errors[1]["path"].GetString(), "models");
  EXPECT_EQ(submit(R"({"model": "default", "messages": [{"role": "user", "content": "x"}]})")[0].status, 200u);
}

TEST_F(EngineTest, ARequestInPiecesIsTheSameAsOneSubmit) {
  configure(kEchoConfig);
  std::string body = R"({"model": "echo/e", "messages": [{"role": "user", "content": "pieces"}]})";
  auto whole = submit(body);
  engine.begin(++last_id, "POST", "/v1/chat/completions", kJson, now);
  EXPECT_TRUE(take().empty());
  for (size_t at = 0; at < body.size(); at += 5) {
    engine.body(last_id, std::string_view(body).substr(at, 5), now);
    EXPECT_TRUE(take().empty());
  }
  engine.end(last_id, now);
  auto pieces = take();
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].status, 200u);
  EXPECT_EQ(parse(pieces[0].body)["choices"][0]["message"]["content"],
            parse(whole[0].body)["choices"][0]["message"]["content"]);
}

TEST_F(EngineTest, EnvNamesAreTheReferencesTheConfigResolves) {
  EXPECT_EQ(engine.env_names(R"({"providers": {"o": {"type": "openai", "api_key": "env:OPENAI_KEY"},
      "g": {"type": "gemini", "api_key": "env:GEMINI_KEY"}, "x": {"type": "openai", "api_key": "literal"}},
      "keys": {"env:TEAM_KEY": {}, "sk-plain": {}}, "services": {"s": {"model": "o/m", "prompt": "env:NOT_A_REF"}}})"),
            R"(["GEMINI_KEY","OPENAI_KEY","TEAM_KEY"])");
  EXPECT_EQ(engine.env_names("not json"), "[]");
}

TEST_F(EngineTest, TheNextDeadlineCoversBodiesAndCalls) {
  configure(upstream_config(R"(, "gateway": {"body_timeout_ms": 500}, "timeout_ms": 2000)"));
  EXPECT_EQ(deadline(), exchange::kNever);
  engine.begin(++last_id, "POST", "/v1/chat/completions", kJson, now);
  EXPECT_DOUBLE_EQ(deadline(), now + 500);  // the body's arrival deadline
  engine.body(last_id, R"({"model": "fo", "messages": [{"role": "user", "content": "x"}]})", now);
  engine.end(last_id, now);
  EXPECT_DOUBLE_EQ(deadline(), now + 2000);  // now the attempt's
}

}  // namespace
}  // namespace sy::engine

namespace sy::engine {
namespace {

// Shared state (src/ledger/): STATE actions go out in the engine's batch, and state_result hands
// the answer to the holder waiting for it.
TEST(EngineSharedState, StateResultReachesTheWaitingHolder) {
  Engine engine(7);
  ledger::Ledger& ledger = engine.impl().ledger;
  ledger::Spec spec{"key:team", "budget", 1, 0, 30000};
  // Without shared state: in memory, answered at once, no STATE.
  EXPECT_EQ(ledger.reserve(spec, 0.5, 0.1, 1, false, 0).verdict, ledger::Verdict::admitted);
  engine.enable_shared_state(true);
  engine.timer(0);  // a fresh batch
  EXPECT_EQ(ledger.reserve(spec, 0.5, 0.1, 2, false, 0).verdict, ledger::Verdict::pending);
  auto actions = exchange::decode(engine.batch().data());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, exchange::ActionKind::state);
  EXPECT_EQ(actions[0].status, 2u);
  EXPECT_EQ(actions[0].url, "key:team");
  ledger::Objects objects;
  std::string answer;
  ASSERT_TRUE(objects.apply("key:team", actions[0].body, 10, answer));
  engine.state_result(actions[0].id + 1, answer, 10);  // unknown: ignored
  EXPECT_TRUE(ledger.take_decisions().empty());
  engine.state_result(actions[0].id, answer, 10);
  // The engine hands the decision on at once (to the key budgets, gateway/shared_budgets.h): the
  // waiting request's ticket is taken from the lease.
  EXPECT_TRUE(ledger.take_decisions().empty());
  ASSERT_NE(ledger.find(spec), nullptr);
  EXPECT_NEAR(ledger.find(spec)->reserved(), 0.5, 1e-12);
  // The lease's renewal is on the engine's one timer: ttl - ttl/3 after the op was sent.
  EXPECT_EQ(engine.next_deadline(), 20000);
  engine.timer(20000);
  actions = exchange::decode(engine.batch().data());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].status, 0u);
  EXPECT_NE(actions[0].body.find("\"want\":0"), std::string::npos);
}

TEST(EngineSharedState, ACancelledRequestTakesNoDecision) {
  Engine engine(7);
  ledger::Ledger& ledger = engine.impl().ledger;
  ledger::Spec spec{"key:team", "budget", 1, 0, 30000};
  engine.enable_shared_state(true);
  engine.timer(0);
  EXPECT_EQ(ledger.reserve(spec, 0.5, 0.1, 3, false, 0).verdict, ledger::Verdict::pending);
  auto actions = exchange::decode(engine.batch().data());
  ASSERT_EQ(actions.size(), 1u);
  engine.cancel(3, 1);
  engine.state_result(actions[0].id, "", 2);
  EXPECT_TRUE(ledger.take_decisions().empty());
}

// Provider limits shared by two engines (src/engine/shared_limits.cc) over one set of objects, the
// host performing every STATE op at once: 12 requests to a provider with concurrency 2 never
// have more than 2 fetches open across both engines, and all are answered 200.
TEST(EngineSharedLimits, TwoEnginesNeverHaveMoreThanTheConcurrencyUpstream) {
  const char* config = R"({"providers": {"u": {"type": "openai-compatible", "base_url": "http://u.test/v1",
      "limits": {"concurrency": 2}}}, "cache": {"enabled": false}})";
  Engine engines[2] = {Engine(7), Engine(8)};
  ledger::Objects objects;
  struct Open {
    int engine;
    uint32_t fetch;
  };
  std::vector<Open> open;
  std::map<uint32_t, uint32_t> statuses;
  double now = 1000;
  size_t most_open = 0;
  // Performs the actions of engine `e` (STATE at once, FETCH kept open), and what they lead to.
  auto host = [&](int e) {
    std::deque<Action> todo;
    for (Action& a : exchange::decode(engines[e].batch().data())) todo.push_back(std::move(a));
    for (int n = 0; n < 10000 && !todo.empty(); ++n) {
      Action a = std::move(todo.front());
      todo.pop_front();
      if (a.kind == ActionKind::fetch) open.push_back({e, a.id});
      if (a.kind == ActionKind::respond) statuses[a.id * 2 + uint32_t(e)] = a.status;
      if (a.kind != ActionKind::state) continue;
      std::string answer;
      ASSERT_TRUE(objects.apply(a.url, a.body, now, answer));
      engines[e].state_result(a.id, answer, now);
      for (Action& b : exchange::decode(engines[e].batch().data())) todo.push_back(std::move(b));
    }
    ASSERT_TRUE(todo.empty()) << "the engines keep asking the object";
    most_open = std::max(most_open, open.size());
  };
  for (int e = 0; e < 2; ++e) {
    ASSERT_TRUE(engines[e].configure(config, "{}"));
    engines[e].enable_shared_state(true);
  }
  for (uint32_t id = 1; id <= 6; ++id) {
    for (int e = 0; e < 2; ++e) {
      engines[e].submit(id, "POST", "/v1/chat/completions", kJson,
                        R"({"model": "u/m", "messages": [{"role": "user", "content": "x"}]})", now);
      host(e);
    }
  }
  for (int step = 0; step < 400 && statuses.size() < 12; ++step) {
    now += 10;
    if (!open.empty()) {
      Open o = open.front();
      open.erase(open.begin());
      engines[o.engine].fetch_response(o.fetch, 200, kJson, now);
      host(o.engine);
      engines[o.engine].fetch_body(o.fetch, kCompletion, now);
      host(o.engine);
      engines[o.engine].fetch_end(o.fetch, now);
      host(o.engine);
    }
    for (int e = 0; e < 2; ++e) {
      if (engines[e].next_deadline() > now) continue;
      engines[e].timer(now);  // a backoff ended: a refused request asks again
      host(e);
    }
    ASSERT_LE(open.size(), 2u) << "step " << step;
  }
  EXPECT_EQ(most_open, 2u);
  ASSERT_EQ(statuses.size(), 12u);
  for (auto [id, status] : statuses) EXPECT_EQ(status, 200u) << id;
}

// The engine stops an attempt whose shared concurrency slot's lease expired because the object
// stopped answering its renewals: the fetch is aborted and the caller gets 503 state_unavailable,
// at the lease's expiry (before the object may hand the slot to another instance).
TEST(EngineSharedLimits, AnAttemptWhoseSlotCouldNotBeRenewedIsStopped) {
  Engine engine(7);
  ASSERT_TRUE(engine.configure(R"({"providers": {"u": {"type": "openai-compatible", "base_url": "http://u.test/v1",
      "limits": {"concurrency": 1}}}, "cache": {"enabled": false}, "timeout_ms": 120000})", "{}"));
  engine.enable_shared_state(true);
  ledger::Objects objects;
  engine.submit(1, "POST", "/v1/chat/completions", kJson, R"({"model": "u/m", "messages": [{"role": "user", "content": "x"}]})", 0);
  auto actions = exchange::decode(engine.batch().data());
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].kind, ActionKind::state);
  std::string answer;
  ASSERT_TRUE(objects.apply(actions[0].url, actions[0].body, 0, answer));
  engine.state_result(actions[0].id, answer, 0);
  actions = exchange::decode(engine.batch().data());
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].kind, ActionKind::fetch);  // the slot is held: the attempt runs
  uint32_t fetch = actions[0].id;
  // Every renewal fails from now on; the request keeps running until the lease's expiry.
  bool stopped = false;
  for (int n = 0; n < 50 && !stopped; ++n) {
    double at = engine.next_deadline();
    ASSERT_LE(at, 30000);
    engine.timer(at);
    for (const Action& a : exchange::decode(engine.batch().data())) {
      if (a.kind == ActionKind::state) engine.state_result(a.id, "", at);
      if (a.kind == ActionKind::fetch_abort) {
        EXPECT_EQ(a.id, fetch);
        EXPECT_EQ(at, 30000);
        stopped = true;
      }
      if (a.kind == ActionKind::respond) {
        EXPECT_EQ(a.status, 503u);
        EXPECT_NE(a.body.find("state_unavailable"), std::string::npos) << a.body;
        EXPECT_NE(a.body.find("provider u"), std::string::npos) << a.body;
      }
    }
  }
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace sy::engine
