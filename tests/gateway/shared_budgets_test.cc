// Key budgets shared through the ledger (src/gateway/shared_budgets.cc): two isolates (two
// ledgers, two SharedBudgets) on one set of objects, the host's answers delivered as the engine
// does, failures closed or open.
#include "gateway/shared_budgets.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "exchange/actions.h"
#include "ledger/objects.h"
#include "ledger/op.h"

namespace sy::gateway {
namespace {

using exchange::Action;
using exchange::ActionKind;

std::shared_ptr<const config::Config> config_with(bool fail_open) {
  std::vector<config::Problem> problems;
  auto c = config::load(std::string(R"({"providers": {"e": {"type": "echo"}},
      "keys": {"sk-a": {"name": "team", "budget_usd": 0.05}, "sk-b": {}},
      "gateway": {"state_fail_open": )") + (fail_open ? "true" : "false") + "}}",
                        "{}", problems);
  EXPECT_TRUE(c);
  return c;
}

// One isolate: its ledger, its budgets, and (as the gateway does) requests told `pending` that
// ask again when ready() names their key.
struct Isolate {
  Isolate(const config::Config& config, uint64_t seed) : rng(seed), ledger(rng, batch), budgets(config, ledger) {
    ledger.enable_shared(true);
    budgets.on_ready([this](int key, double now) {
      readied.push_back(key);
      auto again = std::move(parked);
      parked.clear();
      for (auto [owner, usd] : again) ask(owner, usd, now);
    });
  }
  Verdict ask(uint32_t owner, double usd, double now) {
    Verdict v = budgets.reserve(0, usd, now, owner);
    if (v.kind == Verdict::Kind::pending) parked.push_back({owner, usd});
    else outcome[owner] = v.kind;
    return v;
  }
  std::vector<Action> states() {
    std::vector<Action> out;
    for (Action& a : exchange::decode(batch.data()))
      if (a.kind == ActionKind::state) out.push_back(std::move(a));
    batch.clear();
    return out;
  }
  // The host performs every STATE op on `objects` (or fails them all) and answers.
  void host(ledger::Objects& objects, double now, bool fail = false) {
    for (int round = 0; round < 8; ++round) {
      auto ops = states();
      if (ops.empty()) return;
      for (const Action& a : ops) {
        std::string answer;
        if (!fail) EXPECT_TRUE(objects.apply(a.url, a.body, now, answer));
        ledger.result(a.id, fail ? std::string() : answer, now);
        budgets.deliver(ledger.take_decisions(), now);
      }
    }
  }
  Rng rng;
  exchange::ActionBatch batch;
  ledger::Ledger ledger;
  SharedBudgets budgets;
  std::vector<int> readied;
  std::vector<std::pair<uint32_t, double>> parked;
  std::map<uint32_t, Verdict::Kind> outcome;
};

TEST(SharedBudgets, TheKeysObjectAndPoolAndARefillOfATenth) {
  auto config = config_with(false);
  Isolate a(*config, 1);
  ledger::Spec spec = a.budgets.spec(0);
  EXPECT_EQ(spec.object, "key:team");
  EXPECT_EQ(spec.pool, "budget");
  EXPECT_EQ(spec.capacity, 0.05);
  EXPECT_EQ(spec.window_ms, 0);
  EXPECT_EQ(a.budgets.reserve(0, 0.001, 0, 7).kind, Verdict::Kind::pending);
  EXPECT_EQ(a.budgets.reserve(0, 0.001, 0, 7).kind, Verdict::Kind::pending);  // asked once only
  auto ops = a.states();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].status, 7u);
  ledger::Op op;
  std::string error;
  ASSERT_TRUE(ledger::decode(ops[0].body, op, error));
  EXPECT_NEAR(op.want, 0.005, 1e-12);  // max(usd, 10% of the budget)
  EXPECT_NEAR(op.min, 0.001, 1e-12);
  // A settle with no ticket of ours (never from the gateway) still reports its spend.
  a.budgets.settle(0, 0.5, 0.002, 0);
  EXPECT_NEAR(a.budgets.view(0).spent_usd, 0.002, 1e-12);
  EXPECT_NEAR(a.budgets.view(0).reserved_usd, 0, 1e-12);
  // A key without a budget never asks the host.
  EXPECT_EQ(a.budgets.reserve(1, 5, 0, 8).kind, Verdict::Kind::admitted);
  a.budgets.settle(1, 5, 2, 1);
  EXPECT_EQ(a.budgets.view(1).spent_usd, 2);
  EXPECT_TRUE(a.states().empty());
}

TEST(SharedBudgets, TwoIsolatesNeverAdmitMoreThanTheBudget) {
  auto config = config_with(false);
  ledger::Objects objects;
  Isolate a(*config, 1), b(*config, 2);
  uint32_t owner = 1;
  for (int i = 0; i < 25; ++i) {
    a.ask(owner++, 0.018, 0);
    b.ask(owner++, 0.018, 0);
  }
  for (int round = 0; round < 40 && !(a.parked.empty() && b.parked.empty()); ++round) {
    a.host(objects, 1);
    b.host(objects, 1);
  }
  int admitted = 0, refused = 0;
  for (Isolate* iso : {&a, &b}) {
    EXPECT_TRUE(iso->parked.empty());
    for (auto [id, kind] : iso->outcome) {
      admitted += kind == Verdict::Kind::admitted;
      refused += kind == Verdict::Kind::refused;
    }
  }
  EXPECT_GE(admitted, 1);
  EXPECT_LE(admitted, 2);  // 2 × 0.018 ≤ 0.05 < 3 × 0.018
  EXPECT_EQ(admitted + refused, 50);
  // The admitted ones cost 0.018 each: settled spend reaches the object at once.
  for (Isolate* iso : {&a, &b}) {
    double held = iso->budgets.view(0).reserved_usd;
    for (int n = 0; held > 0.0179; ++n, held -= 0.018) iso->budgets.settle(0, 0.018, 0.018, 2);
    iso->host(objects, 2);
    EXPECT_NEAR(iso->budgets.view(0).reserved_usd, 0, 1e-12);
  }
  std::string got;
  ASSERT_TRUE(objects.apply("key:team", R"({"op":"get","pool":"budget","capacity":0.05,"window_ms":0,"ttl_ms":30000})", 3, got));
  ledger::Answer answer;
  ASSERT_TRUE(ledger::decode(got, ledger::Op::Kind::get, answer));
  EXPECT_NEAR(answer.consumed, 0.018 * admitted, 1e-9);
  EXPECT_NEAR(a.budgets.view(0).spent_usd, 0.018 * admitted, 1e-9);
  // A fresh isolate (a restart) learns every isolate's spend for GET /v1/key with a get op.
  Isolate c(*config, 5);
  EXPECT_EQ(c.budgets.view(0).spent_usd, 0);
  EXPECT_FALSE(c.budgets.view_ready(0, 4, 77));
  EXPECT_FALSE(c.budgets.view_ready(0, 4, 77));  // one get op per request
  std::vector<int> asked_again;
  c.budgets.on_ready([&](int key, double) {
    asked_again.push_back(key);
    EXPECT_TRUE(c.budgets.view_ready(key, 5, 77));
    EXPECT_NEAR(c.budgets.view(0).spent_usd, 0.018 * admitted, 1e-9);
  });
  c.host(objects, 5);
  EXPECT_EQ(asked_again, std::vector<int>{0});
  EXPECT_TRUE(c.budgets.view_ready(1, 6, 78));  // no budget: nothing to ask
}

TEST(SharedBudgets, AnUnreachableObjectFailsClosedOrOpen) {
  ledger::Objects objects;
  for (bool open : {false, true}) {
    auto config = config_with(open);
    Isolate a(*config, 3);
    EXPECT_EQ(a.ask(9, 0.01, 0).kind, Verdict::Kind::pending);
    a.host(objects, 1, /*fail=*/true);
    ASSERT_EQ(a.readied, std::vector<int>{0});
    EXPECT_EQ(a.outcome[9], open ? Verdict::Kind::admitted : Verdict::Kind::unavailable);
    if (open) a.budgets.settle(0, 0.01, 0.004, 2);  // kept and re-sent with the next op
    a.host(objects, 100000);
  }
}

TEST(SharedBudgets, ADecisionNobodyCameBackForGoesBackToTheObject) {
  auto config = config_with(false);
  ledger::Objects objects;
  Isolate a(*config, 4);
  a.budgets.on_ready([](int, double) {});  // the request went away: nobody asks again
  EXPECT_EQ(a.budgets.reserve(0, 0.01, 0, 11).kind, Verdict::Kind::pending);
  a.host(objects, 1);
  EXPECT_NEAR(a.budgets.view(0).reserved_usd, 0, 1e-12);
  std::string got;
  ASSERT_TRUE(objects.apply("key:team", R"({"op":"get","pool":"budget","capacity":0.05,"window_ms":0})", 2, got));
  ledger::Answer answer;
  ASSERT_TRUE(ledger::decode(got, ledger::Op::Kind::get, answer));
  EXPECT_NEAR(answer.leased, 0, 1e-12);  // returned, nothing spent
  EXPECT_NEAR(answer.consumed, 0, 1e-12);
}

// Key rpm through pool "rpm" of the key's object: one per request, consumed when admitted.
std::shared_ptr<const config::Config> rpm_config(bool fail_open) {
  std::vector<config::Problem> problems;
  auto c = config::load(std::string(R"({"providers": {"e": {"type": "echo"}},
      "keys": {"sk-a": {"name": "team", "rpm": 10}, "sk-b": {}},
      "gateway": {"state_fail_open": )") + (fail_open ? "true" : "false") + "}}",
                        "{}", problems);
  EXPECT_TRUE(c);
  return c;
}

// As Isolate, for request counts: a request told `pending` asks again when its key is ready.
struct RateIsolate {
  RateIsolate(const config::Config& config, uint64_t seed) : iso(config, seed) {
    iso.budgets.on_ready([this](int, double now) {
      auto again = std::move(parked);
      parked.clear();
      for (uint32_t owner : again) ask(owner, now);
    });
  }
  Verdict ask(uint32_t owner, double now) {
    Verdict v = iso.budgets.count_call(0, now, owner);
    if (v.kind == Verdict::Kind::pending) parked.push_back(owner);
    else outcome[owner] = v.kind, verdicts[owner] = v;
    return v;
  }
  Isolate iso;
  std::vector<uint32_t> parked;
  std::map<uint32_t, Verdict::Kind> outcome;
  std::map<uint32_t, Verdict> verdicts;
};

TEST(SharedRpm, TheKeysObjectAndPoolGrowingRefillsAndTheNextOpReports) {
  auto config = rpm_config(false);
  ledger::Objects objects;
  RateIsolate a(*config, 1);
  EXPECT_TRUE(a.iso.budgets.shares_rpm(0));
  EXPECT_FALSE(a.iso.budgets.shares_rpm(1));  // no rpm: nothing to count
  ledger::Spec spec = a.iso.budgets.rate_spec(0);
  EXPECT_EQ(spec.object, "key:team");
  EXPECT_EQ(spec.pool, "rpm");
  EXPECT_EQ(spec.capacity, 10);
  EXPECT_EQ(spec.window_ms, 60000);
  EXPECT_FALSE(spec.report_at_once);
  EXPECT_TRUE(spec.grow);
  EXPECT_EQ(a.ask(1, 0).kind, Verdict::Kind::pending);
  EXPECT_EQ(a.iso.budgets.count_call(0, 0, 1).kind, Verdict::Kind::pending);  // asked once only
  auto ops = a.iso.states();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].url, "key:team");
  EXPECT_EQ(ops[0].status, 1u);
  std::string answer;
  ASSERT_TRUE(objects.apply(ops[0].url, ops[0].body, 1, answer));
  a.iso.ledger.result(ops[0].id, answer, 1);
  a.iso.budgets.deliver(a.iso.ledger.take_decisions(), 1);
  EXPECT_EQ(a.outcome[1], Verdict::Kind::admitted);
  // The next request drains the lease (1): its refill asks for 2, and reports the first one spent.
  EXPECT_EQ(a.ask(2, 2).kind, Verdict::Kind::pending);
  ops = a.iso.states();
  ASSERT_EQ(ops.size(), 1u);
  ledger::Op op;
  std::string error;
  ASSERT_TRUE(ledger::decode(ops[0].body, op, error));
  EXPECT_EQ(op.pool, "rpm");
  EXPECT_EQ(op.spent, 1);
  EXPECT_EQ(op.returned, 1);
  EXPECT_EQ(op.want, 2);
  EXPECT_EQ(op.min, 1);
}

// A refusal says when the object next lets a request go: here when the oldest recorded
// consumption (reported at 20 s) leaves the 60 s window. Not a millisecond earlier is one admitted.
TEST(SharedRpm, ARefusalSaysWhenTheOldestRequestLeavesTheWindow) {
  auto config = rpm_config(false);
  ledger::Objects objects;
  RateIsolate a(*config, 1);
  a.ask(1, 0);
  a.iso.host(objects, 0);
  ASSERT_EQ(a.outcome[1], Verdict::Kind::admitted);
  for (uint32_t owner = 2; owner <= 10; ++owner) {  // the first one's consumption is reported at 20 s
    a.ask(owner, 20000);
    a.iso.host(objects, 20000);
    ASSERT_EQ(a.outcome[owner], Verdict::Kind::admitted) << owner;
  }
  a.ask(11, 30000);
  a.iso.host(objects, 30000);
  ASSERT_EQ(a.outcome[11], Verdict::Kind::refused);
  EXPECT_EQ(a.verdicts[11].retry_after_ms, 50000);  // 20000 + 60000 − 30000
  a.ask(12, 79999);
  a.iso.host(objects, 79999);
  ASSERT_EQ(a.outcome[12], Verdict::Kind::refused);
  EXPECT_EQ(a.verdicts[12].retry_after_ms, 1);
  a.ask(13, 80000);
  a.iso.host(objects, 80000);
  EXPECT_EQ(a.outcome[13], Verdict::Kind::admitted);
}

TEST(SharedRpm, TwoIsolatesAdmitExactlyTheKeysRpm) {
  auto config = rpm_config(false);
  ledger::Objects objects;
  RateIsolate a(*config, 1), b(*config, 2);
  uint32_t owner = 1;
  for (int i = 0; i < 25; ++i) {
    a.ask(owner++, 0);
    b.ask(owner++, 0);
  }
  for (int round = 0; round < 60 && !(a.parked.empty() && b.parked.empty()); ++round) {
    a.iso.host(objects, 1);
    b.iso.host(objects, 1);
  }
  int admitted = 0, refused = 0;
  for (RateIsolate* r : {&a, &b}) {
    EXPECT_TRUE(r->parked.empty());
    for (auto [id, kind] : r->outcome) {
      admitted += kind == Verdict::Kind::admitted;
      refused += kind == Verdict::Kind::refused;
    }
  }
  EXPECT_EQ(admitted, 10);
  EXPECT_EQ(refused, 40);
  // Each isolate reports what it consumed on its timer (consumptions count from when the object
  // records them); a minute after that the window is empty again.
  double reported = 0;
  for (RateIsolate* r : {&a, &b}) {
    double at = r->iso.ledger.next_deadline();
    if (at == ledger::Holder::kInf) continue;  // its last op (a refill) reported everything
    ASSERT_LT(at, 60000);
    r->iso.ledger.timer(at);
    r->iso.host(objects, at);
    reported = std::max(reported, at);
  }
  EXPECT_EQ(a.ask(owner, reported + 60001).kind, Verdict::Kind::pending);
  a.iso.host(objects, reported + 60001);
  EXPECT_EQ(a.outcome[owner], Verdict::Kind::admitted);
}

TEST(SharedRpm, AnUnreachableObjectFailsClosedOrOpenAndAGoneRequestIsForgotten) {
  ledger::Objects objects;
  for (bool open : {false, true}) {
    auto config = rpm_config(open);
    RateIsolate a(*config, 3);
    EXPECT_EQ(a.ask(9, 0).kind, Verdict::Kind::pending);
    a.iso.host(objects, 1, /*fail=*/true);
    EXPECT_EQ(a.outcome[9], open ? Verdict::Kind::admitted : Verdict::Kind::unavailable);
  }
  // A decision that arrives before its request asks again is kept for it (its body was still
  // arriving); forgotten when the request goes away.
  auto config = rpm_config(false);
  Isolate a(*config, 4);
  a.budgets.on_ready([](int, double) {});
  EXPECT_EQ(a.budgets.count_call(0, 0, 5).kind, Verdict::Kind::pending);
  EXPECT_EQ(a.budgets.count_call(0, 0, 6).kind, Verdict::Kind::pending);
  a.host(objects, 1);
  EXPECT_EQ(a.budgets.count_call(0, 2, 5).kind, Verdict::Kind::admitted);
  a.budgets.forget(6);
  EXPECT_EQ(a.budgets.count_call(0, 3, 6).kind, Verdict::Kind::admitted);  // a new count, from the lease
}

}  // namespace
}  // namespace sy::gateway
