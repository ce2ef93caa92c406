// The transition table (src/exchange/state.h): every row is reached through the engine by a real
// scenario, and an event the table does not allow ends that call with an internal error.
#include "exchange/state.h"

#include <gtest/gtest.h>

#include "engine/harness.h"
#include "engine/impl.h"

namespace sy::engine {
namespace {

using exchange::Event;
using exchange::State;

constexpr const char* kAnswer =
    R"({"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";
constexpr const char* kStream =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n"
    "data: [DONE]\n\n";

std::string chat(std::string_view model, std::string_view text, bool stream = false) {
  return std::string(R"({"model": ")") + std::string(model) + R"(", )" + (stream ? R"("stream": true, )" : "") +
         R"("messages": [{"role": "user", "content": ")" + std::string(text) + R"("}]})";
}

// Providers a and b take one request at a time; n (Anthropic) gives one answer per request.
std::string config(std::string_view cache = R"({"enabled": false})", std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "limits": {"concurrency": 1}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1", "limits": {"concurrency": 1}},
      "n": {"type": "anthropic", "base_url": "http://n.test/v1"}},
    "models": {"ab": {"targets": [{"provider": "a", "model": "m"}, {"provider": "b", "model": "m"}]}},
    "retry": {"attempts": 1, "backoff_ms": 10}, "cache": )") +
         std::string(cache) + std::string(extra) + "}";
}

class Transitions : public EngineTest {
 protected:
  uint32_t fetch_of(const std::vector<Action>& actions) {
    const Action* f = find(actions, ActionKind::fetch);
    return f ? f->id : 0;
  }
  void settled() { ASSERT_EQ(engine.in_flight(), 0u); }

  // routed -> open / coalesce / hit; fetching -> answer; coalesced -> hit; routed -> fail.
  void cache_and_single_flight() {
    configure(config(R"({"enabled": true})"));
    uint32_t f = fetch_of(submit(chat("a/m", "one")));
    EXPECT_TRUE(submit(chat("a/m", "one")).empty());
    answer(f, 200, kAnswer);
    EXPECT_EQ(submit(chat("a/m", "one"))[0].status, 200u);
    EXPECT_EQ(submit(chat("zz", "one"))[0].status, 404u);
    EXPECT_EQ(submit(R"({"model": "n/m", "n": 2, "messages": [{"role": "user", "content": "x"}]})")[0].status, 400u);
    settled();
  }

  // coalesced -> cancel, -> fail (deadline), -> leader_failed (then on its own); fetching -> fail.
  void followers() {
    configure(config(R"({"enabled": true})"));
    uint32_t f = fetch_of(submit(chat("a/m", "two")));
    submit(chat("a/m", "two"));
    submit(chat("a/m", "two"));
    engine.cancel(last_id, now);
    submit(chat("a/m", "two"), "/v1/chat/completions", "x-switchyard-timeout: 100\n");
    now += 100;
    engine.timer(now);
    EXPECT_EQ(find(take(), ActionKind::respond)->status, 504u);
    auto alone = answer(f, 400, R"({"error": {"message": "bad"}})");
    answer(fetch_of(alone), 200, kAnswer);
    settled();
  }

  // looking_up -> open, hit, fail, cancel, wait.
  void persistent_tier() {
    configure(config(R"({"enabled": true, "persist": true})"));
    engine.enable_persistence(true);
    submit(chat("a/m", "tier"));
    engine.cache_result(last_id, "", now);
    auto done = answer(fetch_of(take()), 200, kAnswer);
    std::string entry = find(done, ActionKind::cache_put)->body;
    submit("", "/v1/cache", "", "DELETE");
    engine.cache_result(last_id, "", now);  // the tier is cleared
    submit(chat("a/m", "tier"));
    engine.cache_result(last_id, entry, now);
    EXPECT_EQ(header(take()[0], "x-switchyard-cache"), "HIT");
    submit(chat("a/m", "offline"), "/v1/chat/completions", "x-switchyard-cache: only\n");
    engine.cache_result(last_id, "", now);
    submit(chat("a/m", "gone"));
    engine.cancel(last_id, now);
    uint32_t busy = fetch_of(submit(chat("a/m", "busy"), "/v1/chat/completions", "x-switchyard-cache: no-store\n"));
    submit(chat("a/m", "waits"));
    engine.cache_result(last_id, "", now);  // a is at its limit: the call waits
    auto next = answer(busy, 200, kAnswer);
    answer(fetch_of(next), 200, kAnswer);
    settled();
  }

  // routed -> wait; queued -> cancel, fail (deadline), open, wait.
  void queue() {
    configure(config());
    uint32_t busy = fetch_of(submit(chat("a/m", "q1")));
    submit(chat("a/m", "q2"));
    submit(chat("a/m", "q3"));
    submit(chat("a/m", "q4"));
    engine.cancel(last_id, now);
    submit(chat("a/m", "q5"), "/v1/chat/completions", "x-switchyard-timeout: 50\n");
    now += 50;
    engine.timer(now);
    auto next = answer(busy, 200, kAnswer);  // q2 opens, q3 waits again
    auto after = answer(fetch_of(next), 200, kAnswer);
    answer(fetch_of(after), 200, kAnswer);
    settled();
  }

  // fetching -> back_off; backoff -> open, wait, cancel.
  void backoff() {
    configure(config());
    answer(fetch_of(submit(chat("a/m", "b1"))), 503, "{}");
    now = deadline();
    engine.timer(now);
    answer(fetch_of(take()), 200, kAnswer);
    answer(fetch_of(submit(chat("a/m", "b2"))), 503, "{}");  // backing off; its slot is free
    uint32_t busy = fetch_of(submit(chat("a/m", "b3")));     // taken by another call
    now = deadline();
    engine.timer(now);                                       // the retry finds a busy: it waits
    auto next = answer(busy, 200, kAnswer);
    answer(fetch_of(next), 200, kAnswer);
    answer(fetch_of(submit(chat("a/m", "b4"))), 503, "{}");
    engine.cancel(last_id, now);
    settled();
  }

  // backoff -> fail: the breaker opened meanwhile, and no target is left.
  void backoff_then_nothing_left() {
    configure(config(R"({"enabled": false})", R"(, "breaker": {"failures": 1, "cooldown_ms": 60000})"));
    answer(fetch_of(submit(chat("a/m", "b5"))), 503, "{}");
    now = deadline();
    engine.timer(now);
    EXPECT_EQ(find(take(), ActionKind::respond)->status, 502u);
    settled();
  }

  // fetching -> open (fallback), wait (fallback target busy), fail, cancel, first_event;
  // streaming -> end_stream, fail, cancel.
  void attempts_and_streams() {
    configure(config());
    auto fallback = answer(fetch_of(submit(chat("ab", "f1"))), 404, "{}");
    answer(fetch_of(fallback), 200, kAnswer);
    uint32_t busy = fetch_of(submit(chat("b/m", "f2")));
    EXPECT_TRUE(find(answer(fetch_of(submit(chat("ab", "f3"))), 404, "{}"), ActionKind::fetch) == nullptr);
    auto next = answer(busy, 200, kAnswer);
    answer(fetch_of(next), 200, kAnswer);
    answer(fetch_of(submit(chat("a/m", "f4"))), 400, R"({"error": {"message": "no"}})");
    submit(chat("a/m", "f5"));
    engine.cancel(last_id, now);
    for (int ending = 0; ending < 3; ++ending) {
      uint32_t f = fetch_of(submit(chat("a/m", "s", true)));
      engine.fetch_response(f, 200, "", now);
      std::string_view stream = kStream;
      engine.fetch_body(f, ending == 0 ? stream : stream.substr(0, stream.find("data: [DONE]")), now);
      if (ending == 1) engine.fetch_error(f, "reset", now);
      if (ending == 2) engine.cancel(last_id, now);
    }
    settled();
  }
};

TEST_F(Transitions, EveryRowIsReachable) {
  cache_and_single_flight();
  followers();
  persistent_tier();
  queue();
  backoff();
  backoff_then_nothing_left();
  attempts_and_streams();
  const auto& fired = engine.impl().exchange.transitions_fired();
  for (size_t i = 0; i < exchange::kTransitionCount; ++i) {
    const auto& t = exchange::kTransitions[i];
    EXPECT_GT(fired[i], 0u) << exchange::state_name(t.from) << " --" << exchange::event_name(t.event) << "--> "
                            << exchange::state_name(t.to);
  }
}

TEST_F(Transitions, AnIllegalEventEndsTheCallWithAnInternalError) {
  configure(config());
  uint32_t f = fetch_of(submit(chat("a/m", "x")));
  engine.batch().clear();
  engine.impl().exchange.fire_for_test(last_id, Event::hit, now);  // fetching has no `hit`
  auto out = take();
  ASSERT_NE(find(out, ActionKind::fetch_abort), nullptr);
  EXPECT_EQ(find(out, ActionKind::fetch_abort)->id, f);
  const Action* r = find(out, ActionKind::respond);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 500u);
  EXPECT_STREQ(parse(r->body)["error"]["code"].GetString(), "illegal_transition");
  EXPECT_EQ(engine.in_flight(), 0u);

  // A call whose stream started ends with an error event instead.
  f = fetch_of(submit(chat("a/m", "y", true)));
  engine.fetch_response(f, 200, "", now);
  engine.fetch_body(f, std::string_view(kStream).substr(0, std::string_view(kStream).find("data: [DONE]")), now);
  engine.batch().clear();
  engine.impl().exchange.fire_for_test(last_id, Event::wait, now);
  out = take();
  EXPECT_NE(chunks(out).find("illegal_transition"), std::string::npos);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().kind, ActionKind::stream_end);
  EXPECT_EQ(engine.in_flight(), 0u);
}

}  // namespace
}  // namespace sy::engine
