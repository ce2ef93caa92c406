// The engine under simulated load, in virtual time: each test builds upstreams
// with latency and failure profiles, offers thousands of requests and checks
// the strategy's distribution, health, limits and that every request ends
// exactly once. Every bound below is derived in a comment beside it.
#include "engine/simulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

namespace sy::sim {
namespace {

// Every invariant of the host contract held over the run.
void expect_clean(const Simulator& sim) {
  auto problems = sim.check();
  for (const auto& p : problems) ADD_FAILURE() << p;
}

// An openai-compatible provider at http://<name>.test/v1; `extra` is spliced
// into its object (", \"limits\": {...}").
std::string provider(const std::string& name, const std::string& extra = "") {
  return "\"" + name + "\": {\"type\": \"openai-compatible\", \"base_url\": \"http://" + name + ".test/v1\"" + extra +
         "}";
}

std::string leaf(const std::string& p, const std::string& extra = "") {
  return "{\"provider\": \"" + p + "\", \"model\": \"m\"" + extra + "}";
}

// A config: the providers, one model "x" with `strategy` over `targets`, and
// the rest (", \"retry\": {...}").
std::string config(const std::vector<std::string>& providers, const std::string& strategy,
                   const std::vector<std::string>& targets, const std::string& rest = "") {
  std::string c = "{\"providers\": {";
  for (size_t i = 0; i < providers.size(); ++i) c += (i ? ", " : "") + providers[i];
  c += "}, \"models\": {\"x\": {\"strategy\": \"" + strategy + "\", \"targets\": [";
  for (size_t i = 0; i < targets.size(); ++i) c += (i ? ", " : "") + targets[i];
  return c + "]}}" + rest + "}";
}

// Five standard deviations of a binomial count: a deterministic run outside
// it would be a one-in-1.7-million draw, so it means the weights are wrong.
double five_sigma(double n, double p) { return 5 * std::sqrt(n * p * (1 - p)); }

// The order in which requests made their first attempt, as targets.
std::vector<std::string> first_choices(const Simulator& sim) {
  std::vector<std::string> out;
  for (const auto& [id, r] : sim.requests())
    if (!r.attempts.empty()) out.push_back(sim.attempts()[r.attempts.front()].target);
  return out;
}

TEST(Simulator, TheCheckNoticesAnUnfinishedRequest) {
  // The harness's own guard: a request still waiting for its upstream has no
  // RESPOND, its fetch is open and the engine holds it.
  Simulator sim(0);
  ASSERT_TRUE(sim.configure(config({provider("a")}, "fallback", {leaf("a")})));
  sim.submit_at(0, Simulator::chat("x"));
  sim.run(50);
  EXPECT_EQ(sim.check().size(), 3u);
  sim.run();
  EXPECT_TRUE(sim.check().empty());
}

TEST(Simulator, RoundRobinIsAnExactRotation) {
  Simulator sim(1);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b"), provider("c")}, "round_robin",
                                   {leaf("a"), leaf("b"), leaf("c")})))
      << sim.last_error();
  for (const char* p : {"a", "b", "c"}) sim.profile(p) = {.latency_min_ms = 50, .latency_max_ms = 150};
  sim.submit_every(0, 10, 3000, Simulator::chat("x"));  // ~10 in flight at once
  sim.run();
  expect_clean(sim);
  auto by = sim.answered_by();
  EXPECT_EQ(by["a/m"], 1000);
  EXPECT_EQ(by["b/m"], 1000);
  EXPECT_EQ(by["c/m"], 1000);
  // Exact: the FETCH sequence is a, b, c, a, b, c, ...
  const auto& at = sim.attempts();
  ASSERT_EQ(at.size(), 3000u);
  EXPECT_EQ(at[0].target, "a/m");
  EXPECT_EQ(at[1].target, "b/m");
  EXPECT_EQ(at[2].target, "c/m");
  int breaks = 0;
  for (size_t i = 3; i < at.size(); ++i) breaks += at[i].target != at[i - 3].target;
  EXPECT_EQ(breaks, 0);
}

TEST(Simulator, WeightedIsThreeToOneInEveryWindowOfFour) {
  Simulator sim(2);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "weighted",
                                   {leaf("a", ", \"weight\": 3"), leaf("b", ", \"weight\": 1")})));
  sim.profile("a") = sim.profile("b") = {.latency_min_ms = 20, .latency_max_ms = 200};
  sim.submit_every(0, 5, 4000, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  auto seq = first_choices(sim);
  ASSERT_EQ(seq.size(), 4000u);
  int bad_windows = 0;
  for (size_t i = 0; i + 4 <= seq.size(); ++i) {
    int a = 0;
    for (size_t k = i; k < i + 4; ++k) a += seq[k] == "a/m";
    bad_windows += a != 3;
  }
  EXPECT_EQ(bad_windows, 0);
  EXPECT_EQ(sim.answered_by()["a/m"], 3000);
}

TEST(Simulator, WeightedStaysThreeToOneWithFailures) {
  // 5% network errors on both: retries stay on the chosen target (attempts 3),
  // so a request changes target only after 4 failures in a row (0.05^4 =
  // 6e-6, 0.03 expected in 4000) and the breaker (5 in a row, ~1e-3 per run)
  // stays shut: the balancer's choices, counted per request, are still exact.
  Simulator sim(3);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "weighted",
                                   {leaf("a", ", \"weight\": 3"), leaf("b", ", \"weight\": 1")})));
  sim.profile("a") = sim.profile("b") = {.latency_min_ms = 20, .latency_max_ms = 200, .p_network_error = 0.05};
  sim.submit_every(0, 5, 4000, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  auto seq = first_choices(sim);
  int a_first = 0;
  for (const auto& t : seq) a_first += t == "a/m";
  EXPECT_EQ(a_first, 3000);
  auto by = sim.answered_by();
  EXPECT_EQ(by["a/m"] + by["b/m"], 4000);
  EXPECT_NEAR(by["a/m"], 3000, 2);
  int retries = int(sim.attempts().size()) - 4000;
  EXPECT_NEAR(retries, 4000 * 0.05 / 0.95, five_sigma(4000, 0.05) / 0.95);  // geometric retries
}

std::vector<std::string> random_run(uint64_t seed, int n) {
  Simulator sim(seed);
  EXPECT_TRUE(sim.configure(config({provider("a"), provider("b"), provider("c")}, "random",
                                   {leaf("a", ", \"weight\": 2"), leaf("b"), leaf("c")})));
  sim.submit_every(0, 10, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  return first_choices(sim);
}

TEST(Simulator, RandomFollowsWeightsAndReplaysFromItsSeed) {
  const int n = 8000;
  auto seq = random_run(42, n);
  ASSERT_EQ(seq.size(), size_t(n));
  std::map<std::string, int> count;
  for (const auto& t : seq) ++count[t];
  EXPECT_NEAR(count["a/m"], n * 0.5, five_sigma(n, 0.5));
  EXPECT_NEAR(count["b/m"], n * 0.25, five_sigma(n, 0.25));
  EXPECT_NEAR(count["c/m"], n * 0.25, five_sigma(n, 0.25));
  EXPECT_EQ(random_run(42, n), seq);  // same seed, same choices
  EXPECT_NE(random_run(43, n), seq);
}

TEST(Simulator, LeastOutstandingFavoursTheFasterTarget) {
  // a answers in 50 ms, b in 200 ms; one request every 10 ms (λ = 0.1/ms).
  // Balancing outstanding counts means λa·50 ≈ λb·200 (Little's law) to
  // within about one request: λa = (0.1·200 ± 1) / 250 → a's share 0.80 ± 0.04.
  Simulator sim(4);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "least_outstanding", {leaf("a"), leaf("b")})));
  sim.profile("a") = {.latency_min_ms = 50, .latency_max_ms = 50};
  sim.profile("b") = {.latency_min_ms = 200, .latency_max_ms = 200};
  const int n = 4000;
  sim.submit_every(0, 10, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  auto by = sim.answered_by();
  EXPECT_EQ(by["a/m"] + by["b/m"], n);
  EXPECT_NEAR(double(by["a/m"]) / n, 0.80, 0.04);
}

TEST(Simulator, LatencyPrefersTheFastTargetAndShiftsWhenItSlows) {
  // One request every 200 ms, so nothing queues behind another: the balancer
  // scores latency × (outstanding + 1) and picks the fastest. After the first
  // two requests explore (unmeasured targets score 0), a (50 ms) takes all.
  // At t = 200 s a slows to 400 ms; the peak-EWMA jumps on the first slow
  // sample, which arrives 400 ms after the switch, so at most 3 more requests
  // go to a (at +0, +200, +400 ms) before b (150 ms) takes over. (An
  // unmeasured target scores 0 even while its first request is in flight, so
  // c, whose first answer takes ~300 ms, also gets the request after it.)
  Simulator sim(5);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b"), provider("c")}, "latency",
                                   {leaf("a"), leaf("b"), leaf("c")})));
  sim.profile("a") = {.latency_min_ms = 45, .latency_max_ms = 55};
  sim.profile("b") = {.latency_min_ms = 140, .latency_max_ms = 160};
  sim.profile("c") = {.latency_min_ms = 280, .latency_max_ms = 320};
  const double switch_at = 200000;
  sim.submit_every(0, 200, 2000, Simulator::chat("x"));
  sim.at(switch_at, [&] { sim.profile("a") = {.latency_min_ms = 400, .latency_max_ms = 440}; });
  sim.run();
  expect_clean(sim);
  int before = sim.starts_between("a/m", 0, switch_at);
  EXPECT_GE(before, 1000 - 3);
  EXPECT_EQ(sim.starts_between("b/m", 0, switch_at), 1);
  EXPECT_LE(sim.starts_between("c/m", 0, switch_at), 2);  // ceil(320 / 200)
  EXPECT_LE(sim.starts_between("a/m", switch_at, 1e12), 3);
  EXPECT_GE(sim.starts_between("b/m", switch_at, 1e12), 1000 - 3);
  EXPECT_EQ(sim.starts_between("c/m", switch_at, 1e12), 0);
}

TEST(Simulator, LatencyDoesNotFloodAnUnmeasuredSlowTarget) {
  // a answers in 50 ms, b in 5 s; one request every 10 ms for 10 s. Peak-EWMA
  // (Finagle's PeakEwma) charges a target with no latency sample yet but
  // requests in flight a large penalty, so b is probed, not flooded: once a
  // is measured (at 50 ms) a takes nearly everything. Scoring an unmeasured
  // target 0 whatever its outstanding count instead sends b every request
  // for the 5 s until its first answer arrives (~500 requests).
  Simulator sim(18);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "latency", {leaf("a"), leaf("b")})));
  sim.profile("a") = {.latency_min_ms = 50, .latency_max_ms = 50};
  sim.profile("b") = {.latency_min_ms = 5000, .latency_max_ms = 5000};
  sim.submit_every(0, 10, 1000, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  // Before a's first answer (t < 50 ms) requests alternate: 3 of the first 5
  // may go to b; afterwards b's penalty must outweigh a's 50 ms × (1 + 1).
  EXPECT_LE(sim.upstream("b/m").attempts, 10);
}

TEST(Simulator, CostWeighsByInverseSquarePrice) {
  // Prices (input + output per million) 2, 4, 8 → weights 1/4, 1/16, 1/64 =
  // 16 : 4 : 1.
  Simulator sim(6);
  auto priced = [](const std::string& name, int each) {
    std::string p = std::to_string(each);
    return provider(name, ", \"prices\": {\"m\": {\"input\": " + p + ", \"output\": " + p + "}}");
  };
  ASSERT_TRUE(sim.configure(config({priced("a", 1), priced("b", 2), priced("c", 4)}, "cost",
                                   {leaf("a"), leaf("b"), leaf("c")})))
      << sim.last_error();
  const int n = 8400;
  sim.submit_every(0, 10, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  auto by = sim.answered_by();
  EXPECT_NEAR(by["a/m"], n * 16 / 21.0, five_sigma(n, 16 / 21.0));
  EXPECT_NEAR(by["b/m"], n * 4 / 21.0, five_sigma(n, 4 / 21.0));
  EXPECT_NEAR(by["c/m"], n * 1 / 21.0, five_sigma(n, 1 / 21.0));
}

TEST(Simulator, UsageSpreadsByHeadroom) {
  // rpm 60, 120, 180 (capacity 360/min); 240 requests a minute for 10 minutes.
  // Picking the most headroom (1 - starts/rpm) keeps the three shares of their
  // own limit within one request of each other in every window, so the counts
  // follow 1 : 2 : 3 (400 / 800 / 1200) to within about one request per
  // target per minute: ±10 each over the run (±15 allowed).
  Simulator sim(7);
  ASSERT_TRUE(sim.configure(config({provider("a", ", \"limits\": {\"rpm\": 60}"),
                                    provider("b", ", \"limits\": {\"rpm\": 120}"),
                                    provider("c", ", \"limits\": {\"rpm\": 180}")},
                                   "usage", {leaf("a"), leaf("b"), leaf("c")})));
  const int n = 2400;
  sim.submit_every(0, 250, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  auto by = sim.answered_by();
  EXPECT_EQ(by["a/m"] + by["b/m"] + by["c/m"], n);  // under capacity: nobody waits for a 429
  EXPECT_NEAR(by["a/m"], 400, 15);
  EXPECT_NEAR(by["b/m"], 800, 15);
  EXPECT_NEAR(by["c/m"], 1200, 15);
  EXPECT_LE(sim.max_starts_in_window("a"), 60);
  EXPECT_LE(sim.max_starts_in_window("b"), 120);
  EXPECT_LE(sim.max_starts_in_window("c"), 180);
}

TEST(Simulator, ConditionalRoutesByMetadata) {
  // Premium callers go to the gold group (rr over a and b), the rest to c.
  Simulator sim(19);
  ASSERT_TRUE(sim.configure(
      R"({"providers": {)" + provider("a") + ", " + provider("b") + ", " + provider("c") + R"(},
          "models": {"x": {"strategy": "conditional",
            "conditions": [{"when": {"metadata.tier": {"$eq": "premium"}}, "then": "gold"}], "default": "basic",
            "targets": [{"name": "gold", "strategy": "round_robin", "targets": [)" + leaf("a") + ", " + leaf("b") + R"(]},
                        {"name": "basic", "provider": "c", "model": "m"}]}}})"))
      << sim.last_error();
  std::vector<uint32_t> premium, free;
  for (int i = 0; i < 2000; ++i) {
    const char* tier = i % 2 ? "premium" : "free";
    uint32_t id = sim.submit_at(i * 10, Simulator::chat("x", std::string(R"(, "switchyard": {"metadata": {"tier": ")") + tier + "\"}}"));
    (i % 2 ? premium : free).push_back(id);
  }
  sim.run();
  expect_clean(sim);
  std::map<std::string, int> gold, basic;
  for (uint32_t id : premium) ++gold[sim.request(id).target()];
  for (uint32_t id : free) ++basic[sim.request(id).target()];
  EXPECT_EQ(gold, (std::map<std::string, int>{{"a/m", 500}, {"b/m", 500}}));
  EXPECT_EQ(basic, (std::map<std::string, int>{{"c/m", 1000}}));
}

// ---- failures -------------------------------------------------------------

struct FailingCase {
  const char* strategy;
  Fate fate;
};

void PrintTo(const FailingCase& c, std::ostream* os) {
  *os << c.strategy << "/" << (c.fate == Fate::status ? "500" : c.fate == Fate::network_error ? "network error" : "timeout");
}

class OneTargetFailing : public ::testing::TestWithParam<FailingCase> {};

TEST_P(OneTargetFailing, EveryRequestSucceeds) {
  // a fails every attempt; b and c are healthy. 2000 requests over 40 s.
  // a's breaker (5 failures, 5 s cooldown) opens early; afterwards only one
  // probe per cooldown reaches it: at most 40/5 + 1 = 9 probes, on top of the
  // attempts made before it opened (5 failures, plus what was in flight).
  const auto& param = GetParam();
  Simulator sim(8);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b"), provider("c")}, param.strategy,
                                   {leaf("a"), leaf("b"), leaf("c")},
                                   R"(, "timeout_ms": 1000, "breaker": {"failures": 5, "cooldown_ms": 5000})")));
  Profile bad{.latency_min_ms = 20, .latency_max_ms = 80};
  if (param.fate == Fate::status) bad.p_status = 1;
  if (param.fate == Fate::network_error) bad.p_network_error = 1;
  if (param.fate == Fate::timeout) bad.p_timeout = 1;
  sim.profile("a") = bad;
  sim.profile("b") = sim.profile("c") = {.latency_min_ms = 50, .latency_max_ms = 150};
  const int n = 2000;
  sim.submit_every(0, 20, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.statuses()[200], n);
  EXPECT_EQ(sim.answered_by()["a/m"], 0);
  double opened = -1;
  int failures = 0;
  for (const auto& at : sim.attempts())
    if (at.target == "a/m" && ++failures == 5) opened = at.end;
  ASSERT_GT(opened, 0);
  int before_open = sim.starts_between("a/m", 0, opened);
  EXPECT_LE(before_open, 5 + sim.upstream("a/m").max_in_flight);
  EXPECT_LE(sim.starts_between("a/m", opened, 1e12), 9);
}

INSTANTIATE_TEST_SUITE_P(Simulator, OneTargetFailing,
                         ::testing::Values(FailingCase{"fallback", Fate::status},
                                           FailingCase{"fallback", Fate::network_error},
                                           FailingCase{"fallback", Fate::timeout},
                                           FailingCase{"round_robin", Fate::status},
                                           FailingCase{"round_robin", Fate::network_error},
                                           FailingCase{"round_robin", Fate::timeout}),
                         [](const auto& info) {
                           const char* fate = info.param.fate == Fate::status          ? "Status500"
                                              : info.param.fate == Fate::network_error ? "NetworkError"
                                                                                       : "Timeout";
                           return std::string(info.param.strategy) + "_" + fate;
                         });

TEST(Simulator, BreakerOpensStopsTrafficAndRecovers) {
  // a is down (503) from 10 s to 40 s; b stays healthy; rr between them, one
  // request every 50 ms for 60 s. /v1/stats is sampled every 10 ms.
  Simulator sim(9);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "round_robin", {leaf("a"), leaf("b")},
                                   R"(, "retry": {"attempts": 1, "backoff_ms": 50},
                                      "breaker": {"failures": 5, "cooldown_ms": 5000})")));
  const double down_from = 10000, down_until = 40000, cooldown = 5000, end = 60000;
  sim.profile("a") = {.latency_min_ms = 80, .latency_max_ms = 120, .down_from = down_from, .down_until = down_until};
  sim.profile("b") = {.latency_min_ms = 80, .latency_max_ms = 120};
  const int n = int(end / 50);
  sim.submit_every(0, 50, n, Simulator::chat("x"));
  std::vector<std::pair<double, std::string>> samples;
  for (double t = 0; t <= end + 1000; t += 10) sim.at(t, [&, t] { samples.push_back({t, sim.breaker("a/m")}); });
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.statuses()[200], n);

  double first_open = -1, closed_again = -1;
  int half_open_episodes = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& [t, state] = samples[i];
    if (state == "open" && first_open < 0) first_open = t;
    if (state == "half_open" && (i == 0 || samples[i - 1].second != "half_open")) ++half_open_episodes;
    if (state == "closed" && first_open >= 0 && closed_again < 0) closed_again = t;
  }
  ASSERT_GE(first_open, down_from);
  EXPECT_LT(first_open, down_from + 2000);  // 5 failures come within ~10 requests to a
  // While down, a probe per cooldown: 30 s / 5 s → at most 7 half-open episodes.
  EXPECT_GE(half_open_episodes, 5);
  EXPECT_LE(half_open_episodes, 7);
  // Recovery: the first probe after 40 s succeeds (within one cooldown + one answer).
  ASSERT_GT(closed_again, down_until);
  EXPECT_LE(closed_again, down_until + cooldown + 200);
  EXPECT_EQ(samples.back().second, "closed");

  // No attempt to a starts between two samples that both saw "open".
  int during_open = 0, probes = 0;
  for (const auto& at : sim.attempts()) {
    if (at.target != "a/m" || at.start < first_open || at.start >= closed_again) continue;
    size_t i = size_t(at.start / 10);  // the sample at or before the start
    ASSERT_LT(i + 1, samples.size());
    if (samples[i].second == "open" && samples[i + 1].second == "open" && samples[i].first <= at.start) ++during_open;
    else ++probes;
  }
  EXPECT_EQ(during_open, 0);
  EXPECT_LE(probes, half_open_episodes);
  // Traffic returns: rr splits the last 15 s evenly again (300 requests; ±1 for
  // the rotation's phase).
  EXPECT_NEAR(sim.starts_between("a/m", end - 15000, end), 150, 1);
}

// ---- limits ---------------------------------------------------------------

TEST(Simulator, RpmLimitsAreNeverExceeded) {
  // Provider a allows 30 rpm, its model m1 20 rpm; rr over a/m1 and a/m2.
  // One request a second for 3 minutes (60 rpm offered): half must wait, and
  // those that wait past timeout_ms (20 s) get 429 with retry-after.
  Simulator sim(10);
  ASSERT_TRUE(sim.configure(
      R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"rpm": 30}}},
          "models": {"x": {"strategy": "round_robin", "targets": [
             {"provider": "a", "model": "m1", "limits": {"rpm": 20}}, {"provider": "a", "model": "m2"}]}},
          "timeout_ms": 20000})"))
      << sim.last_error();
  const int n = 180;
  auto ids = sim.submit_every(0, 1000, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.max_starts_in_window("a"), 30);  // reached, never exceeded
  EXPECT_LE(sim.max_starts_in_window("a/m1"), 20);
  auto st = sim.statuses();
  EXPECT_EQ(st[200] + st[429], n);
  EXPECT_GT(st[429], 0);
  int waited = 0;
  for (uint32_t id : ids) {
    const auto& r = sim.request(id);
    if (r.status == 429) {
      EXPECT_EQ(r.ended - r.submitted, 20000) << id;  // waited until its deadline, no longer
      EXPECT_GE(std::atoi(r.header("retry-after").c_str()), 1) << id;
      EXPECT_TRUE(r.attempts.empty()) << id;
    } else if (!r.attempts.empty() && sim.attempts()[r.attempts.front()].start > r.submitted) {
      ++waited;
    }
  }
  EXPECT_GT(waited, 0);  // some were queued, then served
}

TEST(Simulator, TpmLimitsAreNeverExceeded) {
  // Provider a allows 1000 tokens a minute. Each request's prompt is estimated
  // at 4 + 396/4 = 103 tokens, charged when it starts; its 50 completion
  // tokens are charged when it ends. A start is admitted only if the window
  // (t - 60 s, t] holds at most 1000 - 103 tokens already.
  Simulator sim(11);
  ASSERT_TRUE(sim.configure(config({provider("a", ", \"limits\": {\"tpm\": 1000}")}, "fallback", {leaf("a")},
                                   R"(, "timeout_ms": 30000)")));
  sim.profile("a") = {.latency_min_ms = 200, .latency_max_ms = 400, .completion_tokens = 50};
  const int n = 240;
  std::string body = R"({"model":"x","messages":[{"role":"user","content":")" + std::string(396, 'w') + R"("}]})";
  sim.submit_every(0, 500, n, body);
  sim.run();
  expect_clean(sim);
  const double prompt = 103, completion = 50, tpm = 1000;
  const auto& all = sim.attempts();
  double most = 0;
  for (const auto& s : all) {
    double window = 0;
    for (const auto& o : all) {
      if (o.start > s.start - 60000 && o.start_tick <= s.start_tick) window += prompt;
      if (o.fate == Fate::ok && o.end > s.start - 60000 && o.end_tick < s.start_tick) window += completion;
    }
    most = std::max(most, window);
  }
  EXPECT_LE(most, tpm);
  EXPECT_GE(most, tpm - prompt - completion);  // the limit was reached
  auto st = sim.statuses();
  EXPECT_EQ(st[200] + st[429], n);
  EXPECT_GT(st[429], 0);
}

TEST(Simulator, ConcurrencyLimitsAreNeverExceeded) {
  // Provider a: 3 at once; its model m1: 2 at once. Answers take 500 ms; 50
  // requests a second arrive for 20 s, far over the ~6/s capacity, so the
  // queue fills and requests waiting past 5 s get 429.
  Simulator sim(12);
  ASSERT_TRUE(sim.configure(
      R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"concurrency": 3}}},
          "models": {"x": {"strategy": "round_robin", "targets": [
             {"provider": "a", "model": "m1", "limits": {"concurrency": 2}}, {"provider": "a", "model": "m2"}]}},
          "timeout_ms": 5000})"));
  sim.profile("a") = {.latency_min_ms = 500, .latency_max_ms = 500};
  const int n = 1000;
  sim.submit_every(0, 20, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.upstream("a").max_in_flight, 3);
  EXPECT_EQ(sim.upstream("a/m1").max_in_flight, 2);
  auto st = sim.statuses();
  EXPECT_EQ(st[200] + st[429], n);
  // 3 slots × 500 ms each over ~25 s of service: about 150 answers.
  EXPECT_NEAR(st[200], 3 * (20000 + 5000) / 500, 6);

  // A burst within capacity over time: 50 at once, 2 at a time, all served.
  Simulator burst(13);
  ASSERT_TRUE(burst.configure(config({provider("a", ", \"limits\": {\"concurrency\": 2}")}, "fallback", {leaf("a")})));
  burst.submit_every(0, 0, 50, Simulator::chat("x"));
  burst.run();
  expect_clean(burst);
  EXPECT_EQ(burst.statuses()[200], 50);
  EXPECT_EQ(burst.upstream("a").max_in_flight, 2);
  double last = 0;
  for (const auto& [id, r] : burst.requests()) last = std::max(last, r.ended);
  EXPECT_DOUBLE_EQ(last, 25 * 100);  // 25 rounds of 100 ms, no idle gap
}

TEST(Simulator, PriorityZeroIsServedBeforeEarlierPriorityNine) {
  Simulator sim(14);
  ASSERT_TRUE(sim.configure(config({provider("a", ", \"limits\": {\"concurrency\": 1}")}, "fallback", {leaf("a")})));
  uint32_t first = sim.submit_at(0, Simulator::chat("x"));
  std::vector<uint32_t> low, high;
  for (int i = 0; i < 10; ++i) low.push_back(sim.submit_at(1 + i, Simulator::chat("x", R"(, "switchyard": {"priority": 9})")));
  for (int i = 0; i < 10; ++i) high.push_back(sim.submit_at(11 + i, Simulator::chat("x", R"(, "switchyard": {"priority": 0})")));
  sim.run();
  expect_clean(sim);
  std::vector<uint32_t> order, expected{first};
  for (const auto& at : sim.attempts()) order.push_back(at.request_id);
  expected.insert(expected.end(), high.begin(), high.end());
  expected.insert(expected.end(), low.begin(), low.end());
  EXPECT_EQ(order, expected);
  EXPECT_EQ(sim.statuses()[200], 21);
}

TEST(Simulator, AQueuedRequestGetsItsFullAttemptTimeoutOnceStarted) {
  // Minimal: concurrency 1, answers take 600 ms, timeout_ms 1000. Request 2
  // waits 0..600 ms in the queue, then starts; its attempt may take until
  // 1600 ms, so it is answered at 1200 ms. Its queue deadline (1000 ms) must
  // no longer apply once it left the queue.
  Simulator sim(17);
  ASSERT_TRUE(sim.configure(config({provider("a", ", \"limits\": {\"concurrency\": 1}")}, "fallback", {leaf("a")},
                                   R"(, "timeout_ms": 1000, "retry": {"attempts": 0})")));
  sim.profile("a") = {.latency_min_ms = 600, .latency_max_ms = 600};
  uint32_t first = sim.submit_at(0, Simulator::chat("x"));
  uint32_t second = sim.submit_at(0, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.request(first).status, 200);
  EXPECT_EQ(sim.request(second).status, 200);
  EXPECT_EQ(sim.request(second).ended, 1200);
  ASSERT_EQ(sim.attempts().size(), 2u);
  EXPECT_FALSE(sim.attempts()[1].aborted) << "aborted at " << sim.attempts()[1].end;
}

// ---- upstream 429 ---------------------------------------------------------

// For each retry of one request on the same target after a 429: the gap from
// the 429's arrival to the retry. Retry-After wins over the jittered backoff
// when longer, capped at max_backoff_ms.
void expect_retry_after_honoured(double retry_after_s, double expected_gap) {
  Simulator sim(15);
  ASSERT_TRUE(sim.configure(config({provider("a"), provider("b")}, "fallback", {leaf("a"), leaf("b")},
                                   R"(, "retry": {"attempts": 3, "backoff_ms": 100, "max_backoff_ms": 5000})")));
  sim.profile("a") = {.latency_min_ms = 50, .latency_max_ms = 50, .p_rate_limited = 0.5, .retry_after_s = retry_after_s};
  const int n = 1000;
  sim.submit_every(0, 100, n, Simulator::chat("x"));
  sim.run();
  expect_clean(sim);
  EXPECT_EQ(sim.statuses()[200], n);
  int checked = 0;
  for (const auto& [id, r] : sim.requests()) {
    for (size_t k = 0; k + 1 < r.attempts.size(); ++k) {
      const Attempt& was = sim.attempts()[r.attempts[k]];
      const Attempt& next = sim.attempts()[r.attempts[k + 1]];
      if (was.fate != Fate::rate_limited || next.target != was.target) continue;
      // The backoff ceiling of this try is at most 100 · 2^2 = 400 ms < expected_gap.
      EXPECT_DOUBLE_EQ(next.start - was.end, expected_gap) << "request " << id;
      ++checked;
    }
  }
  // Half of a's attempts are 429s: ~1000 retries (each request tries a until
  // success or 4 tries: 1 + 0.5 + 0.25 + 0.125 ≈ 1.9 tries, 0.9 of them retries).
  EXPECT_GT(checked, 800);
}

TEST(Simulator, UpstreamRetryAfterIsHonoured) { expect_retry_after_honoured(2, 2000); }
TEST(Simulator, UpstreamRetryAfterIsCappedAtMaxBackoff) { expect_retry_after_honoured(10, 5000); }

// ---- soak -----------------------------------------------------------------

TEST(Simulator, SoakTenThousandMixedRequests) {
  Simulator sim(16);
  sim.set_late_answers(true);
  ASSERT_TRUE(sim.configure(R"({
    "providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "prices": {"m": {"input": 1, "output": 1}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1", "prices": {"m": {"input": 2, "output": 2}}},
      "c": {"type": "openai-compatible", "base_url": "http://c.test/v1", "limits": {"rpm": 600, "concurrency": 4}},
      "d": {"type": "openai-compatible", "base_url": "http://d.test/v1"},
      "e": {"type": "echo"}},
    "models": {
      "main": {"strategy": "fallback", "targets": [
        {"strategy": "weighted", "targets": [{"provider": "a", "model": "m", "weight": 3}, {"provider": "b", "model": "m"}]},
        {"strategy": "round_robin", "targets": [{"provider": "c", "model": "m"}, {"provider": "d", "model": "m"}]}]},
      "lo": {"strategy": "least_outstanding", "targets": [{"provider": "a", "model": "m"}, {"provider": "c", "model": "m"}, {"provider": "d", "model": "m"}]},
      "lat": {"strategy": "latency", "targets": [{"provider": "b", "model": "m"}, {"provider": "c", "model": "m"}]},
      "cheap": {"strategy": "cost", "targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}]},
      "safe": {"strategy": "fallback", "targets": [{"provider": "d", "model": "m"}, {"provider": "e", "model": "echo-1"}]}},
    "retry": {"attempts": 2, "backoff_ms": 50, "max_backoff_ms": 1000},
    "timeout_ms": 2000,
    "breaker": {"failures": 5, "cooldown_ms": 3000}})"))
      << sim.last_error();
  sim.profile("a") = {.latency_min_ms = 30, .latency_max_ms = 300, .p_network_error = 0.02, .p_timeout = 0.01,
                      .p_status = 0.03, .status = 500, .stream_pieces = 4, .stream_gap_ms = 20};
  sim.profile("b") = {.latency_min_ms = 50, .latency_max_ms = 150, .p_rate_limited = 0.05, .retry_after_s = 1};
  sim.profile("c") = {.latency_min_ms = 100, .latency_max_ms = 400, .p_status = 0.02, .status = 502,
                      .stream_pieces = 5, .stream_gap_ms = 100};
  sim.profile("d") = {.latency_min_ms = 40, .latency_max_ms = 90, .p_status = 0.01, .down_from = 100000,
                      .down_until = 200000, .down_fate = Fate::network_error};
  const char* models[] = {"main", "main", "main", "lo", "lat", "cheap", "safe"};
  const int n = 10000;
  double t = 0;
  auto& rng = sim.rng();
  int cancels = 0;
  for (int i = 0; i < n; ++i) {
    t += -30 * std::log(1 - rng.uniform());  // Poisson arrivals, 30 ms apart on average
    std::string extra;
    if (rng.uniform() < 0.25) extra += R"(, "stream": true)";
    extra += R"(, "switchyard": {"priority": )" + std::to_string(int(rng.uniform() * 10));
    if (rng.uniform() < 0.05) extra += R"(, "timeout_ms": 800)";
    extra += "}";
    uint32_t id = sim.submit_at(t, Simulator::chat(models[int(rng.uniform() * 7)], extra));
    if (rng.uniform() < 0.01) {
      sim.cancel_at(t + rng.uniform() * 500, id);
      ++cancels;
    }
  }
  sim.run();
  expect_clean(sim);
  auto st = sim.statuses();
  int ended = 0;
  for (const auto& [status, count] : st) {
    ended += count;
    EXPECT_TRUE(status == 200 || status == 429 || status == 502 || status == 503 || status == 504 || status == 408)
        << status << " × " << count;
  }
  EXPECT_GE(ended, n - cancels);
  if (std::getenv("SIM_VERBOSE")) {  // a summary of the run, for whoever tunes it
    for (auto& [status, count] : st) printf("status %d: %d\n", status, count);
    for (const char* u : {"a/m", "b/m", "c/m", "d/m"}) printf("%s attempts %d max in flight %d\n", u, sim.upstream(u).attempts, sim.upstream(u).max_in_flight);
    int streamed = 0, aborted = 0;
    for (auto& [id, r] : sim.requests()) streamed += r.streaming;
    for (auto& a : sim.attempts()) aborted += a.aborted;
    printf("streamed %d, aborted fetches %d, cancels %d, end %.0f\n", streamed, aborted, cancels, sim.now());
  }
  EXPECT_GE(st[200], n * 95 / 100) << "statuses: 200=" << st[200] << " 429=" << st[429] << " 502=" << st[502]
                                   << " 503=" << st[503] << " 504=" << st[504];
  EXPECT_LE(sim.upstream("c").max_in_flight, 4);
  EXPECT_LE(sim.max_starts_in_window("c"), 600);
  for (const char* b : {"a/m", "b/m", "c/m", "d/m"}) EXPECT_EQ(sim.breaker(b), "closed") << b;
}

}  // namespace
}  // namespace sy::sim
