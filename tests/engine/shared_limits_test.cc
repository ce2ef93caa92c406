// Provider and target limits shared through the ledger (src/engine/shared_limits.cc): the pools of
// a leaf, two isolates (two ledgers, two LedgerLimits) on one set of objects with the host's
// answers delivered as the engine does, random interleavings that must never hold more
// concurrency slots than the limit, rpm exact across isolates, tpm settled at the real count, and
// the object failing closed or open.
#include "engine/shared_limits.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "exchange/actions.h"
#include "ledger/objects.h"

namespace sy::engine {
namespace {

using exchange::Action;
using exchange::ActionKind;
using V = exchange::SharedLimits::Verdict;

std::shared_ptr<const config::Config> config_of(const std::string& limits, bool fail_open = false) {
  std::vector<config::Problem> problems;
  auto c = config::load(R"({"providers": {"p": {"type": "echo", "limits": )" + limits +
                            R"(}, "q": {"type": "echo"}},
      "models": {"m": {"targets": [{"provider": "p", "model": "x", "limits": {"concurrency": 5}}]}},
      "gateway": {"state_fail_open": )" + (fail_open ? "true" : "false") + "}}",
                        "{}", problems);
  EXPECT_TRUE(c) << (problems.empty() ? "" : problems[0].path + ": " + problems[0].message);
  return c;
}

// One isolate: its ledger and limits, and calls told pending that ask again on ready().
struct Isolate {
  Isolate(const config::Config& c, uint64_t seed) : config(c), rng(seed), ledger(rng, batch), limits(ledger) {
    ledger.enable_shared(true);
    limits.on_ready([this](uint32_t, double) { ++readied; });
    limits.on_lost([this](uint32_t call, double) { lost.push_back(call); });
  }
  V ask(uint32_t call, double now, double tokens = 10) {
    std::string object;
    V v = limits.acquire(call, call, config, 0, target, tokens, now, object);
    last_object = object;
    if (v == V::pending) waiting.insert(call);
    else waiting.erase(call);
    if (v == V::admitted) running.insert(call);
    return v;
  }
  // Asks until the answer is not pending, the host answering from `objects` in between.
  V ask_through(uint32_t call, ledger::Objects& objects, double now, double tokens = 10) {
    V v = ask(call, now, tokens);
    for (int n = 0; n < 8 && v == V::pending; ++n) {
      host(objects, now);
      v = ask(call, now, tokens);
    }
    return v;
  }
  void end(uint32_t call, double now, double tokens = 10) {
    limits.release(call, tokens, now);
    running.erase(call);
  }
  std::vector<Action> states() {
    std::vector<Action> out;
    for (Action& a : exchange::decode(batch.data()))
      if (a.kind == ActionKind::state) out.push_back(std::move(a));
    batch.clear();
    return out;
  }
  // The host answers every STATE op from `objects` (or fails it), as the engine delivers.
  void host(ledger::Objects& objects, double now, bool fail = false) {
    for (const Action& a : states()) {
      std::string answer;
      if (!fail) EXPECT_TRUE(objects.apply(a.url, a.body, now, answer));
      ledger.result(a.id, fail ? std::string() : answer, now);
      limits.deliver(ledger.take_decisions(), now);
    }
  }
  const config::Config& config;
  Rng rng;
  exchange::ActionBatch batch;
  ledger::Ledger ledger;
  LedgerLimits limits;
  uint32_t target = 7;  // p/<a model the config does not list>: the provider's pools only
  int readied = 0;
  std::string last_object;
  std::set<uint32_t> waiting, running;
  std::vector<uint32_t> lost;
};

TEST(SharedLimits, ThePoolsOfALeafInTheOrderACallTakesThem) {
  auto config = config_of(R"({"rpm": 60, "tpm": 1000, "concurrency": 2})");
  auto pools = LedgerLimits::pools(*config, 0, 0);
  ASSERT_EQ(pools.size(), 4u);
  EXPECT_EQ(pools[0].spec.object, "provider:p");
  EXPECT_EQ(pools[0].spec.pool, "concurrency");
  EXPECT_EQ(pools[0].spec.capacity, 2);
  EXPECT_EQ(pools[0].spec.window_ms, 0);
  EXPECT_TRUE(pools[0].spec.report_at_once);  // a slot goes back at once
  EXPECT_EQ(pools[1].spec.pool, "rpm");
  EXPECT_EQ(pools[1].spec.window_ms, 60000);
  EXPECT_FALSE(pools[1].spec.report_at_once);
  EXPECT_TRUE(pools[1].spec.grow);
  EXPECT_EQ(pools[2].spec.pool, "tpm");
  EXPECT_EQ(pools[2].spec.capacity, 1000);
  EXPECT_EQ(pools[3].spec.object, "target:p/x");
  EXPECT_EQ(pools[3].spec.pool, "concurrency");
  EXPECT_EQ(pools[3].spec.capacity, 5);
  // A provider without limits, and a provider/model the config does not list: none of theirs.
  EXPECT_TRUE(LedgerLimits::pools(*config, 1, 7).empty());
  EXPECT_EQ(LedgerLimits::pools(*config, 0, 7).size(), 3u);
}

TEST(SharedLimits, UnlimitedLeavesNeverAskTheHost) {
  auto config = config_of("{}");
  Isolate a(*config, 1);
  std::string object;
  EXPECT_EQ(a.limits.acquire(1, 1, *config, 1, 9, 10, 0, object), V::admitted);
  a.limits.release(1, 10, 1);
  EXPECT_TRUE(a.states().empty());
  EXPECT_EQ(a.limits.claims(), 0u);
}

TEST(SharedLimits, TwoIsolatesNeverHoldMoreThanTheConcurrency) {
  auto config = config_of(R"({"concurrency": 2})");
  ledger::Objects objects;
  Isolate a(*config, 1), b(*config, 2);
  EXPECT_EQ(a.ask(1, 0), V::pending);
  EXPECT_EQ(a.ask(1, 0), V::pending);  // asked once only
  EXPECT_EQ(a.ask(2, 0), V::pending);
  EXPECT_EQ(a.ask_through(1, objects, 0), V::admitted);
  EXPECT_EQ(a.readied, 1);
  EXPECT_EQ(a.ask_through(2, objects, 0), V::admitted);
  EXPECT_EQ(b.ask_through(3, objects, 0), V::refused);  // a holds both
  EXPECT_EQ(b.limits.claims(), 0u);
  a.end(1, 2);
  a.host(objects, 2);  // the slot goes back at once
  EXPECT_EQ(b.ask_through(3, objects, 3), V::admitted);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(a.ledger.holder()).first, 1);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(b.ledger.holder()).first, 1);
  a.end(2, 4);
  b.end(3, 4);
  a.host(objects, 4);
  b.host(objects, 4);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(a.ledger.holder()).first, 0);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(b.ledger.holder()).first, 0);
  EXPECT_EQ(a.limits.claims() + b.limits.claims(), 0u);
}

TEST(SharedLimits, ALimitedTargetIsAPoolOfItsOwnTakenAfterTheProvidersAndGivenBack) {
  auto config = config_of(R"({"concurrency": 2})");
  ledger::Objects objects;
  Isolate a(*config, 1);
  a.target = 0;  // p/x: concurrency 5 of its own
  EXPECT_EQ(a.ask(1, 0), V::pending);
  a.host(objects, 0);
  EXPECT_EQ(a.ask(1, 0), V::pending);  // the provider's slot came; now the target's
  a.host(objects, 0);
  EXPECT_EQ(a.ask(1, 0), V::admitted);
  EXPECT_EQ(objects.find("target:p/x", "concurrency")->lease_of(a.ledger.holder()).first, 1);
  a.end(1, 1);
  a.host(objects, 1);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(a.ledger.holder()).first, 0);
  EXPECT_EQ(objects.find("target:p/x", "concurrency")->lease_of(a.ledger.holder()).first, 0);
}

// Random interleavings of asks, ends, forgets and host answers on two isolates: the calls that
// run at once never outnumber the limit, and every call eventually runs.
TEST(SharedLimits, RandomInterleavingsKeepTheSumInFlightWithinTheLimit) {
  auto config = config_of(R"({"concurrency": 2})");
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    ledger::Objects objects;
    Isolate a(*config, seed * 2), b(*config, seed * 2 + 1);
    a.target = b.target = 0;  // the provider's pool and the target's
    Rng rng(seed);
    std::set<uint32_t> todo;
    for (uint32_t id = 1; id <= 24; ++id) todo.insert(id);
    int ran = 0;
    double now = 0;
    for (int step = 0; step < 4000 && ran < 24; ++step) {
      now += 1;
      Isolate& iso = (rng.next() & 1) ? a : b;
      uint64_t pick = rng.next() % 4;
      if (pick == 0 && !todo.empty()) {
        uint32_t id = *todo.begin();
        if ((id & 1) == (&iso == &a ? 1u : 0u)) {
          V v = iso.ask(id, now);
          if (v == V::admitted) {
            todo.erase(id);
            ++ran;
          }
        }
      } else if (pick == 1 && !iso.running.empty()) {
        iso.end(*iso.running.begin(), now);
      } else {
        iso.host(objects, now);
      }
      ASSERT_LE(a.running.size() + b.running.size(), 2u) << "seed " << seed << " step " << step;
      for (Isolate* iso : {&a, &b}) {  // a slot's lease has an expiry exactly while a call runs on it
        ASSERT_EQ(iso->limits.next_deadline() == ledger::Holder::kInf, iso->running.empty())
            << "seed " << seed << " step " << step;
      }
      const ledger::Pool* pool = objects.find("provider:p", "concurrency");
      if (pool) {
        double leased = pool->lease_of(a.ledger.holder()).first + pool->lease_of(b.ledger.holder()).first;
        ASSERT_LE(leased, 2);
      }
      // Calls that waited ask again in arrival order (refused ones too, as after a backoff).
      for (uint32_t id : todo) {
        if (a.waiting.count(id) == 0 && b.waiting.count(id) == 0) continue;
        Isolate& owner = a.waiting.count(id) ? a : b;
        if (owner.ask(id, now) == V::admitted) {
          todo.erase(id);
          ++ran;
          break;
        }
      }
    }
    EXPECT_EQ(ran, 24) << "seed " << seed;
  }
}

TEST(SharedLimits, TheNextDeadlineIsTheEarliestLeaseExpiryOfTheSlotsInUse) {
  auto config = config_of(R"({"concurrency": 100})");
  ledger::Objects objects;
  Isolate a(*config, 1);
  a.target = 0;  // the provider's pool (ttl 30 s) and the target's (concurrency 5)
  for (uint32_t call = 1; call <= 5; ++call) ASSERT_EQ(a.ask_through(call, objects, 0), V::admitted);
  EXPECT_EQ(a.limits.next_deadline(), 30000);  // both leases taken at 0
  a.ledger.timer(20000);                        // renewed a third of the ttl before
  a.host(objects, 20000);
  EXPECT_EQ(a.limits.next_deadline(), 50000);
  for (uint32_t call = 1; call <= 4; ++call) a.end(call, 20000);
  EXPECT_EQ(a.limits.next_deadline(), 50000);  // one call still holds both slots
  a.limits.forget(5, 20000);                    // gone without release(): its slots too
  EXPECT_EQ(a.limits.next_deadline(), ledger::Holder::kInf);
  EXPECT_EQ(a.limits.claims(), 0u);
}

TEST(SharedLimits, RpmIsExactAcrossIsolatesAndFreesWithTheWindow) {
  auto config = config_of(R"({"rpm": 3})");
  ledger::Objects objects;
  Isolate a(*config, 1), b(*config, 2);
  int admitted = 0;
  uint32_t id = 1;
  for (int round = 0; round < 6; ++round) {
    for (Isolate* iso : {&a, &b}) {
      for (int n = 0; n < 3; ++n, ++id) {
        if (iso->ask(id, round) == V::admitted) {
          ++admitted;
          iso->end(id, round);
        }
      }
      iso->host(objects, round);
      for (uint32_t w : std::set<uint32_t>(iso->waiting)) {
        if (iso->ask(w, round) == V::admitted) {
          ++admitted;
          iso->end(w, round);
        }
      }
    }
  }
  EXPECT_EQ(admitted, 3);
  // The window moves on: three more.
  a.waiting.clear();
  b.waiting.clear();
  int later = 0;
  for (int n = 0; n < 6; ++n, ++id) {
    for (int tries = 0; tries < 4; ++tries) {
      V v = a.ask(id, 61000 + n);
      if (v == V::admitted) {
        ++later;
        a.end(id, 61000 + n);
      }
      if (v != V::pending) break;
      a.host(objects, 61000 + n);
    }
  }
  EXPECT_EQ(later, 3);
}

TEST(SharedLimits, TpmTakesTheEstimateAndReportsTheRealCount) {
  auto config = config_of(R"({"tpm": 1000})");
  ledger::Objects objects;
  Isolate a(*config, 1);
  EXPECT_EQ(a.ask(1, 0, 300), V::pending);
  a.host(objects, 0);
  EXPECT_EQ(a.ask(1, 0, 300), V::admitted);
  a.end(1, 1, 450);  // 300 prompt estimated, 450 prompt + completion in fact
  // The report goes with the next op (a renewal, another refill, or the idle return).
  EXPECT_EQ(a.ask(2, 2, 800), V::pending);
  a.host(objects, 2);
  EXPECT_EQ(a.ask(2, 2, 800), V::refused);  // 450 consumed: 800 more does not fit in 1000
  std::string got;
  ASSERT_TRUE(objects.apply("provider:p", R"({"op":"get","pool":"tpm","capacity":1000,"window_ms":60000})", 3, got));
  EXPECT_NE(got.find("\"consumed\":450"), std::string::npos) << got;
  // A request larger than the whole tpm asks for the tpm, not for more than could ever fit.
  EXPECT_EQ(a.ask(3, 70000, 5000), V::pending);
  a.host(objects, 70000);
  EXPECT_EQ(a.ask(3, 70000, 5000), V::admitted);
}

TEST(SharedLimits, ARefusedPoolGivesBackWhatTheOthersGranted) {
  auto config = config_of(R"({"rpm": 1, "concurrency": 4})");
  ledger::Objects objects;
  Isolate a(*config, 1), b(*config, 2);
  EXPECT_EQ(a.ask(1, 0), V::pending);
  a.host(objects, 0);
  EXPECT_EQ(a.ask(1, 0), V::pending);  // concurrency granted; now the rpm
  a.host(objects, 0);
  EXPECT_EQ(a.ask(1, 0), V::admitted);
  EXPECT_EQ(b.ask_through(2, objects, 1), V::refused);
  b.host(objects, 1);  // the concurrency slot b took goes back
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(b.ledger.holder()).first, 0);
  EXPECT_EQ(b.limits.claims(), 0u);
}

TEST(SharedLimits, AnUnreachableObjectFailsClosedNamingItOrOpen) {
  for (bool open : {false, true}) {
    auto config = config_of(R"({"concurrency": 2})", open);
    ledger::Objects objects;
    Isolate a(*config, 1);
    a.target = 0;
    EXPECT_EQ(a.ask(1, 0), V::pending);
    a.host(objects, 0, true);
    if (!open) {
      EXPECT_EQ(a.ask(1, 0), V::unavailable);
      EXPECT_EQ(a.last_object, "provider:p");
      EXPECT_EQ(a.limits.claims(), 0u);
    } else {
      EXPECT_EQ(a.ask(1, 0), V::pending);  // the target's pool, asked next
      a.host(objects, 0, true);
      EXPECT_EQ(a.ask(1, 0), V::admitted);
      a.end(1, 1);
    }
  }
}

TEST(SharedLimits, ACallThatGoesAwayKeepsNothing) {
  auto config = config_of(R"({"concurrency": 1})");
  ledger::Objects objects;
  Isolate a(*config, 1), b(*config, 2);
  EXPECT_EQ(a.ask(1, 0), V::pending);
  a.limits.forget(1, 0);  // went away while waiting: the grant that comes stays in a's lease
  a.host(objects, 0);
  EXPECT_EQ(a.readied, 0);
  EXPECT_EQ(a.limits.claims(), 0u);
  EXPECT_EQ(a.ask(2, 1), V::admitted);  // from the lease: the grant call 1 did not take
  a.limits.forget(2, 2);  // ended without release: its slots go back
  a.host(objects, 2);
  EXPECT_EQ(objects.find("provider:p", "concurrency")->lease_of(a.ledger.holder()).first, 0);
  EXPECT_EQ(b.ask_through(3, objects, 3), V::admitted);
}

// A running call's concurrency slot lives as long as the lease it came from: renewed while the
// object answers; when renewals fail until the lease expires (the object may then hand the slot
// on), the call is named lost at that expiry and not before.
TEST(SharedLimits, ACallWhoseSlotsLeaseCouldNotBeRenewedIsLostAtItsExpiry) {
  auto config = config_of(R"({"concurrency": 1})");
  for (bool renewals_fail : {false, true}) {
    ledger::Objects objects;
    Isolate a(*config, 1);
    ASSERT_EQ(a.ask_through(1, objects, 0), V::admitted);  // its op was sent at 0: ttl 30 s
    EXPECT_EQ(a.limits.next_deadline(), 30000);
    EXPECT_EQ(a.ledger.next_deadline(), 20000);  // the renewal, ttl/3 before
    a.ledger.timer(20000);
    a.host(objects, 20000, renewals_fail);
    for (double at = 21000; at < 30000; at += 1000) {  // retried (with backoff) while failing
      a.ledger.timer(at);
      a.host(objects, at, renewals_fail);
    }
    a.limits.timer(29999);
    EXPECT_TRUE(a.lost.empty());
    a.limits.timer(30000);
    if (renewals_fail) {
      EXPECT_EQ(a.lost, std::vector<uint32_t>{1});
      a.end(1, 30000);  // the exchange stops it: nothing of it is kept
      EXPECT_EQ(a.limits.claims(), 0u);
      EXPECT_EQ(a.limits.next_deadline(), ledger::Holder::kInf);
    } else {
      EXPECT_TRUE(a.lost.empty());
      EXPECT_EQ(a.limits.next_deadline(), 50000);  // renewed at 20 s
    }
  }
}

}  // namespace
}  // namespace sy::engine
