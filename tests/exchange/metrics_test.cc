// What calls add to the runtime's metrics (src/exchange/metrics.cc), read back through GET
// /metrics and GET /v1/stats in virtual time: requests by target, status class and cache
// result; request duration, gateway overhead, queue wait, attempt duration, time to first token;
// tokens and cost by key name and model; both cache tiers.
#include <gtest/gtest.h>

#include "engine/harness.h"
#include "stats/exposition.h"

namespace sy::engine {
namespace {

using sy::testing::Exposition;
using sy::testing::parse_exposition;

constexpr const char* kChat = R"({"model": "a/m-a", "messages": [{"role": "user", "content": "hi"}]})";
constexpr const char* kStreamed =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

class Metrics : public EngineTest {
 protected:
  Exposition scrape(std::string_view headers = "") {
    std::string text = submit("", "/metrics", headers, "GET")[0].body;
    Exposition x = parse_exposition(text);
    EXPECT_EQ(x.error, "") << text;
    scraped = text;
    return x;
  }
  std::string scraped;
};

TEST_F(Metrics, RequestsByTargetStatusClassAndCacheResult) {
  configure(upstream_config(R"(, "cache": {"enabled": true}, "retry": {"attempts": 0})"));
  auto miss = submit(kChat);
  now += 200;
  answer(miss[0].id, 200, kCompletion);
  EXPECT_EQ(header(submit(kChat)[0], "x-switchyard-cache"), "HIT");
  // Two identical calls at once: the second waits for the first (COALESCED).
  std::string other = R"({"model": "a/m-a", "messages": [{"role": "user", "content": "other"}]})";
  auto leader = submit(other);
  EXPECT_TRUE(submit(other).empty());
  auto both = answer(leader[0].id, 200, kCompletion);
  ASSERT_EQ(both.size(), 2u);
  // An upstream 400 is returned as is (4xx); an unknown model never reaches a target.
  auto bad = submit(R"({"model": "b/m-b", "messages": [{"role": "user", "content": "x"}]})");
  answer(bad[0].id, 400, R"({"error": {"message": "bad"}})");
  EXPECT_EQ(submit(R"({"model": "nope", "messages": [{"role": "user", "content": "x"}]})")[0].status, 404u);

  auto x = scrape();
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="miss"})"), 2);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="hit"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="coalesced"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="b/m-b",status="4xx",cache="bypass"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="-",status="4xx",cache="bypass"})"), 1);
  EXPECT_EQ(x.value("switchyard_request_duration_seconds_count"), 6);
  EXPECT_DOUBLE_EQ(x.value("switchyard_request_duration_seconds_sum"), 0.2);
  EXPECT_EQ(x.value(R"(switchyard_upstream_attempt_duration_seconds_bucket{target="a/m-a",le="0.25"})"), 2);
  EXPECT_EQ(x.value(R"(switchyard_upstream_attempt_duration_seconds_bucket{target="a/m-a",le="0.1"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_upstream_attempts_total{target="b/m-b"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_upstream_errors_total{target="b/m-b"})"), 1);
}

// Overhead = duration minus upstream time (attempts and retry backoff): 0 here in virtual time,
// however long the attempts and the backoff took.
TEST_F(Metrics, OverheadLeavesOutAttemptsAndBackoff) {
  configure(upstream_config(R"(, "retry": {"attempts": 2, "backoff_ms": 100})"));
  auto first = submit(kChat);
  now += 300;
  answer(first[0].id, 500, "oops");
  now = deadline();
  engine.timer(now);
  auto retried = take();
  const Action* again = find(retried, ActionKind::fetch);
  ASSERT_NE(again, nullptr);
  now += 700;
  answer(again->id, 200, kCompletion);
  auto x = scrape();
  EXPECT_EQ(x.value("switchyard_request_duration_seconds_count"), 1);
  EXPECT_GE(x.value("switchyard_request_duration_seconds_sum"), 1.0);
  EXPECT_EQ(x.value("switchyard_gateway_overhead_seconds_count"), 1);
  EXPECT_NEAR(x.value("switchyard_gateway_overhead_seconds_sum"), 0, 1e-9);
  EXPECT_EQ(x.value(R"(switchyard_gateway_overhead_seconds_bucket{le="0.001"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_upstream_attempt_duration_seconds_count{target="a/m-a"})"), 2);
  EXPECT_DOUBLE_EQ(x.value(R"(switchyard_upstream_attempt_duration_seconds_sum{target="a/m-a"})"), 1.0);
  EXPECT_EQ(x.value("switchyard_queue_wait_seconds_count"), 0);  // it never waited for a limit
}

TEST_F(Metrics, QueueWaitOfRequestsThatWaitedForALimit) {
  configure(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"concurrency": 1}}},
                "timeout_ms": 60000})");
  std::string body = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
  auto first = submit(body);
  EXPECT_EQ(find(submit(body), ActionKind::fetch), nullptr);  // queued
  now += 400;
  auto done = answer(first[0].id, 200, kCompletion);
  const Action* next = find(done, ActionKind::fetch);
  ASSERT_NE(next, nullptr);
  now += 100;
  answer(next->id, 200, kCompletion);
  auto x = scrape();
  EXPECT_EQ(x.value("switchyard_queue_wait_seconds_count"), 1);
  EXPECT_DOUBLE_EQ(x.value("switchyard_queue_wait_seconds_sum"), 0.4);
  EXPECT_EQ(x.value(R"(switchyard_queue_wait_seconds_bucket{le="0.25"})"), 0);
  EXPECT_EQ(x.value(R"(switchyard_queue_wait_seconds_bucket{le="0.5"})"), 1);
  EXPECT_DOUBLE_EQ(x.value("switchyard_gateway_overhead_seconds_sum"), 0.4);  // the wait is the gateway's
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m",status="2xx",cache="bypass"})"), 2);
}

TEST_F(Metrics, TimeToFirstTokenOfStreams) {
  configure(upstream_config());
  auto f = submit(R"({"model": "a/m-a", "stream": true, "messages": [{"role": "user", "content": "hi"}]})");
  now += 50;
  engine.fetch_response(f[0].id, 200, "content-type: text/event-stream\n", now);
  take();
  std::string stream = kStreamed;
  size_t cut = stream.find("\n\n") + 2;
  now += 30;
  engine.fetch_body(f[0].id, stream.substr(0, cut), now);
  take();
  now += 500;
  engine.fetch_body(f[0].id, stream.substr(cut), now);
  engine.fetch_end(f[0].id, now);
  take();
  auto x = scrape();
  EXPECT_EQ(x.value(R"(switchyard_time_to_first_token_seconds_count{target="a/m-a"})"), 1);
  EXPECT_DOUBLE_EQ(x.value(R"(switchyard_time_to_first_token_seconds_sum{target="a/m-a"})"), 0.08);
  EXPECT_DOUBLE_EQ(x.value("switchyard_request_duration_seconds_sum"), 0.58);  // to the stream's end
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="bypass"})"), 1);
}

// Tokens and cost by the key's name; the key itself appears nowhere.
TEST_F(Metrics, TokensAndCostByKeyNameNeverTheKey) {
  configure(upstream_config(R"(, "keys": {"sk-team-secret-1": {"name": "team-a"}, "sk-team-secret-2": {}})"));
  answer(submit(kChat, "/v1/chat/completions", "authorization: Bearer sk-team-secret-1\n")[0].id, 200, kCompletion);
  answer(submit(kChat, "/v1/chat/completions", "authorization: Bearer sk-team-secret-2\n")[0].id, 200, kCompletion);
  EXPECT_EQ(submit(kChat)[0].status, 401u);  // refused before the exchange: counted all the same
  auto x = scrape("authorization: Bearer sk-team-secret-1\n");
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="-",status="4xx",cache="bypass"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="bypass"})"), 2);
  EXPECT_EQ(x.value("switchyard_request_duration_seconds_count"), 2);
  EXPECT_EQ(x.value(R"(switchyard_tokens_total{key="team-a",model="a/m-a",type="prompt"})"), 1000);
  EXPECT_EQ(x.value(R"(switchyard_tokens_total{key="team-a",model="a/m-a",type="completion"})"), 500);
  EXPECT_DOUBLE_EQ(x.value(R"(switchyard_cost_usd_total{key="team-a",model="a/m-a"})"), 0.002);  // $1 + $2 per M
  EXPECT_EQ(scraped.find("sk-team"), std::string::npos);
  EXPECT_NE(scraped.find(R"(switchyard_tokens_total{key="key-)"), std::string::npos);  // the default name
}

TEST_F(Metrics, WithoutKeysTheKeyLabelIsADash) {
  configure(upstream_config());
  answer(submit(kChat)[0].id, 200, kCompletion);
  auto x = scrape();
  EXPECT_EQ(x.value(R"(switchyard_tokens_total{key="-",model="a/m-a",type="prompt"})"), 1000);
}

// Label sets stay bounded: provider/model pairs the config does not list are labelled one by one
// up to the runtime's cap (1024), then share "provider/*".
TEST_F(Metrics, UnlistedModelsAreCappedLabelSets) {
  configure(R"({"providers": {"e": {"type": "echo"}}})");
  for (int i = 0; i < 1100; ++i) {
    std::string body = R"({"model": "e/m)" + std::to_string(i) + R"(", "messages": [{"role": "user", "content": "hi"}]})";
    ASSERT_EQ(submit(body)[0].status, 200u);
  }
  auto x = scrape();
  size_t requests = 0, prompt = 0;
  for (const auto& [series, value] : x.series) {
    requests += series.rfind("switchyard_requests_total{", 0) == 0;
    prompt += series.rfind("switchyard_tokens_total{", 0) == 0 && series.find("type=\"prompt\"") != std::string::npos;
  }
  EXPECT_EQ(requests, 1025u);
  EXPECT_EQ(prompt, 1025u);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="e/*",status="2xx",cache="bypass"})"), 1100 - 1024);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="e/m7",status="2xx",cache="bypass"})"), 1);
}

// The host's tier (a fake one here, answering CACHE_GET): its hits and misses reach /v1/stats and
// /metrics, and an L1 miss the tier answered is a hit overall.
TEST_F(Metrics, StatsCountBothCacheTiers) {
  configure(upstream_config(R"(, "cache": {"enabled": true, "persist": true})"));
  engine.enable_persistence(true);
  ASSERT_EQ(submit(kChat)[0].kind, ActionKind::cache_get);
  engine.cache_result(last_id, "", now);  // the tier has nothing
  auto done = answer(take()[0].id, 200, kCompletion);
  const Action* put = find(done, ActionKind::cache_put);
  ASSERT_NE(put, nullptr);
  std::string entry = put->body;
  // Another request for the same answer after L1 lost it: the tier has it.
  ASSERT_EQ(submit("", "/v1/cache", "", "DELETE")[0].kind, ActionKind::cache_clear);
  engine.cache_result(last_id, "", now);
  take();
  ASSERT_EQ(submit(kChat)[0].kind, ActionKind::cache_get);
  engine.cache_result(last_id, entry, now);
  EXPECT_EQ(header(take()[0], "x-switchyard-cache"), "HIT");
  EXPECT_EQ(header(submit(kChat)[0], "x-switchyard-cache"), "HIT");  // back in L1

  auto stats = parse(submit("", "/v1/stats", "", "GET")[0].body);
  const auto& cache = stats["cache"];
  EXPECT_EQ(cache["l1"]["hits"].GetInt(), 1);
  EXPECT_EQ(cache["l1"]["misses"].GetInt(), 2);
  EXPECT_EQ(cache["l2"]["hits"].GetInt(), 1);
  EXPECT_EQ(cache["l2"]["misses"].GetInt(), 1);
  EXPECT_EQ(cache["hits"].GetInt(), 2);
  EXPECT_EQ(cache["misses"].GetInt(), 1);
  auto x = scrape();
  EXPECT_EQ(x.value(R"(switchyard_cache_hits_total{tier="l2"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_cache_misses_total{tier="l2"})"), 1);
  EXPECT_EQ(x.value(R"(switchyard_requests_total{target="a/m-a",status="2xx",cache="hit"})"), 2);
}

}  // namespace
}  // namespace sy::engine
