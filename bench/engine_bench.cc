// Engine costs, native: one routing decision, and one complete request cycle
// (submit -> FETCH -> upstream answer -> RESPOND) with a 1 KB request and a
// 1 KB answer, as a host drives it through the C interface.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <malloc.h>

#include "cache/store.h"
#include "config/config.h"
#include "engine/shared_limits.h"
#include "exchange/actions.h"
#include "ledger/objects.h"
#include "routing/router.h"
#include "switchyard.h"

namespace {

constexpr const char* kConfig = R"({"providers": {
    "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "api_key": "sk-a"},
    "b": {"type": "openai-compatible", "base_url": "http://b.test/v1"},
    "echo": {"type": "echo"}},
  "models": {"fast": {"strategy": "fallback", "targets": [
    {"strategy": "round_robin", "targets": [{"provider": "a", "model": "m-a"}, {"provider": "b", "model": "m-b"}]},
    {"provider": "echo", "model": "echo-1"}]}}})";

std::string request_1k(bool stream = false) {
  std::string text(900, 'x');
  return std::string(R"({"model": "fast", "temperature": 0.2,)") + (stream ? R"("stream": true,)" : "") +
         R"("messages": [{"role": "user", "content": ")" + text + R"("}]})";
}

std::string answer_1k() {
  return R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m-a","choices":[{"index":0,"message":{"role":"assistant","content":")" +
         std::string(850, 'y') +
         R"(","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":230,"completion_tokens":213,"total_tokens":443}})";
}

uint32_t u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

constexpr const char* kJsonHeaders = "content-type: application/json\n";

// One request answered by an upstream with `answer` (submit → FETCH → response, body, end): the
// batch fetch_end returned, or submit's when that was not a FETCH.
const uint8_t* upstream_cycle(sy_engine* engine, uint32_t id, const char* path, const std::string& body,
                              const std::string& answer, double now) {
  const uint8_t* batch =
      sy_request_submit(engine, id, "POST", 4, path, std::strlen(path), kJsonHeaders, std::strlen(kJsonHeaders),
                        reinterpret_cast<const uint8_t*>(body.data()), body.size(), now);
  if (u32(batch + 4) != 1) return batch;  // the first record is not a FETCH
  uint32_t fetch_id = u32(batch + 8);
  sy_fetch_response(engine, fetch_id, 200, kJsonHeaders, std::strlen(kJsonHeaders), now);
  sy_fetch_body(engine, fetch_id, reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), now);
  return sy_fetch_end(engine, fetch_id, now);
}

// Whether a cycle's last batch is a 200 RESPOND.
bool answered_200(const uint8_t* batch) { return batch && u32(batch + 4) == 3 && u32(batch + 12) == 200; }

void BM_RoutingDecision(benchmark::State& state) {
  std::vector<sy::config::Problem> problems;
  auto config = sy::config::load(kConfig, "{}", problems);
  sy::routing::RoutingState routing(*config);
  sy::Rng rng(1);
  std::vector<sy::routing::Leaf> plan;
  sy::routing::HealthOf health = [](uint32_t) { return sy::balance::Candidate{}; };
  sy::condition::Facts facts;
  for (auto _ : state) {
    plan.clear();
    sy::routing::plan(*config, routing, rng, health, facts, "fast", plan);
    benchmark::DoNotOptimize(plan.data());
  }
}
BENCHMARK(BM_RoutingDecision);

// The full request cycle (submit → FETCH → response, body, end → RESPOND) under `config`.
void full_cycle(benchmark::State& state, const std::string& config) {
  sy_engine* engine = sy_engine_new(1);
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = request_1k(), answer = answer_1k();
  double now = 0;
  uint32_t id = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(upstream_cycle(engine, ++id, "/v1/chat/completions", body, answer, now));
    now += 0.01;
  }
  state.SetItemsProcessed(state.iterations());
  sy_engine_free(engine);
}

void BM_FullCycleUpstream(benchmark::State& state) { full_cycle(state, kConfig); }
BENCHMARK(BM_FullCycleUpstream);

void BM_FullCycleEchoStream(benchmark::State& state) {
  sy_engine* engine = sy_engine_new(1);
  std::string config = R"({"providers": {"echo": {"type": "echo"}}})";
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = R"({"model": "echo/e", "stream": true, "messages": [{"role": "user", "content": ")" +
                     std::string(200, 'w') + " " + std::string(200, 'v') + R"("}]})";
  uint32_t id = 0;
  for (auto _ : state) {
    const uint8_t* batch = sy_request_submit(engine, ++id, "POST", 4, "/v1/chat/completions", 20, "", 0,
                                             reinterpret_cast<const uint8_t*>(body.data()), body.size(), 0);
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations());
  sy_engine_free(engine);
}
BENCHMARK(BM_FullCycleEchoStream);

// The BM_FullCycleUpstream cycle for callers of the other formats: the same 1 KB prompt and 1 KB
// answer text, each to an upstream of its own format (same-format fast path) or to an
// openai-compatible one (translated through the canonical model).
struct FormatCase {
  const char* path;
  const char* target;  // provider/model
  std::string (*request)();
  std::string (*answer)();
};

std::string responses_1k() {
  return R"({"model": "TARGET", "temperature": 0.2, "input": [{"role": "user", "content": ")" + std::string(900, 'x') +
         R"("}]})";
}

std::string messages_1k() {
  return R"({"model": "TARGET", "max_tokens": 1024, "temperature": 0.2, "messages": [{"role": "user", "content": ")" +
         std::string(900, 'x') + R"("}]})";
}

std::string response_answer_1k() {
  return R"({"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"m","output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":")" +
         std::string(850, 'y') +
         R"(","annotations":[]}]}],"usage":{"input_tokens":230,"output_tokens":213,"total_tokens":443}})";
}

std::string message_answer_1k() {
  return R"({"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":")" +
         std::string(850, 'y') +
         R"("}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":230,"output_tokens":213}})";
}

const FormatCase kFormatCases[] = {
    {"/v1/chat/completions", "a/m-a", [] { return request_1k(); }, answer_1k},
    {"/v1/responses", "oa/m", responses_1k, response_answer_1k},
    {"/v1/responses", "a/m-a", responses_1k, answer_1k},
    {"/v1/messages", "an/m", messages_1k, message_answer_1k},
    {"/v1/messages", "a/m-a", messages_1k, answer_1k},
};

void BM_FullCycleFormat(benchmark::State& state) {
  const FormatCase& c = kFormatCases[state.range(0)];
  std::string config = R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "api_key": "sk-a"},
      "oa": {"type": "openai", "base_url": "http://oa.test/v1", "api_key": "sk-oa"},
      "an": {"type": "anthropic", "base_url": "http://an.test/v1", "api_key": "sk-an"}}})";
  sy_engine* engine = sy_engine_new(1);
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = c.request(), answer = c.answer();
  if (size_t at = body.find("TARGET"); at != std::string::npos) body.replace(at, 6, c.target);
  else body.replace(body.find("\"fast\""), 6, std::string("\"") + c.target + "\"");
  const uint8_t* batch = nullptr;
  double now = 0;
  uint32_t id = 0;
  for (auto _ : state) {
    batch = upstream_cycle(engine, ++id, c.path, body, answer, now);
    if (!answered_200(batch)) break;  // reported below
    now += 0.01;
  }
  if (!answered_200(batch)) state.SkipWithError("the cycle did not end in a 200 RESPOND");
  state.SetLabel(std::string(c.path) + " -> " + c.target);
  state.SetItemsProcessed(state.iterations());
  sy_engine_free(engine);
}
BENCHMARK(BM_FullCycleFormat)->DenseRange(0, 4);

// A cached answer: submit → RESPOND from L1, the whole hit path.
void BM_CacheHit(benchmark::State& state) {
  sy_engine* engine = sy_engine_new(1);
  std::string config = R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
                           "cache": {"enabled": true}})";
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = request_1k(), answer = answer_1k();
  body.replace(body.find("\"fast\""), 6, "\"a/m-a\"");
  const uint8_t* batch = upstream_cycle(engine, 1, "/v1/chat/completions", body, answer, 0);  // stored
  uint32_t id = 1;
  for (auto _ : state) {
    batch = sy_request_submit(engine, ++id, "POST", 4, "/v1/chat/completions", 20, kJsonHeaders,
                              std::strlen(kJsonHeaders), reinterpret_cast<const uint8_t*>(body.data()), body.size(), 1);
    benchmark::DoNotOptimize(batch);
  }
  if (u32(batch + 4) != 3) state.SkipWithError("the request was not answered from the cache");
  state.SetItemsProcessed(state.iterations());
  sy_engine_free(engine);
}
BENCHMARK(BM_CacheHit);

// A miss with the cache on, as the gateway benchmark's distinct requests are: every body new, so
// each pays its cache key, is stored, and once the 256 KiB are full evicts an older answer. With
// an argument of 1, every body also starts with the same 4 KB system message, as an app's do.
void BM_CacheMiss(benchmark::State& state) {
  sy_engine* engine = sy_engine_new(1);
  std::string config = R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
                           "cache": {"enabled": true, "max_bytes": 262144}})";
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = request_1k(), answer = answer_1k();
  body.replace(body.find("\"fast\""), 6, "\"a/m-a\"");
  if (state.range(0) == 1)
    body.insert(body.find("{\"role\""), R"({"role": "system", "content": ")" + std::string(4096, 's') + R"("}, )");
  size_t serial_at = body.find("xxxxxxxx");  // the prompt's first 8 characters number the request
  const uint8_t* batch = nullptr;
  double now = 0;
  uint32_t id = 0;
  char serial[9];
  for (auto _ : state) {
    std::snprintf(serial, sizeof serial, "%08x", ++id);
    body.replace(serial_at, 8, serial);
    batch = upstream_cycle(engine, id, "/v1/chat/completions", body, answer, now);
    if (!answered_200(batch)) break;  // a hit or an error: reported below
    now += 0.01;
  }
  if (!answered_200(batch)) state.SkipWithError("the cycle did not end in a 200 RESPOND");
  state.SetItemsProcessed(state.iterations());
  sy_engine_free(engine);
}
BENCHMARK(BM_CacheMiss)->Arg(0)->Arg(1);

// A streamed answer, per chunk: an OpenAI caller's stream from an openai-compatible upstream, as
// chat UIs call, each SSE event (one delta of a few words, as OpenAI sends them) a fetch_body of
// its own. 200 events per request, the cache on (the answer is collected to be stored) with
// argument 1, off with 0. Items are chunks.
void BM_StreamChunk(benchmark::State& state) {
  sy_engine* engine = sy_engine_new(1);
  std::string config = R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
                           "cache": {"enabled": )" + std::string(state.range(0) ? "true" : "false") + "}}";
  sy_engine_configure(engine, config.data(), config.size(), "{}", 2);
  std::string body = request_1k(true);
  body.replace(body.find("\"fast\""), 6, "\"a/m-a\"");
  const char* sse = "content-type: text/event-stream\n";
  std::vector<std::string> events;
  for (int i = 0; i < 200; ++i)
    events.push_back(R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m-a","choices":[{"index":0,"delta":{"content":" word)" +
                     std::to_string(i) + R"( and"},"logprobs":null,"finish_reason":null}]})" + "\n\n");
  const std::string last = R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m-a","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})"
                           "\n\ndata: [DONE]\n\n";
  uint32_t id = 0;
  size_t chunks = 0;
  double now = 0;
  std::string serial;
  while (state.KeepRunningBatch(201)) {
    serial = std::to_string(++id);  // a body of its own: no cache hits
    std::string numbered = body;
    numbered.replace(numbered.find("xxxx"), serial.size(), serial);
    const uint8_t* batch = sy_request_submit(engine, id, "POST", 4, "/v1/chat/completions", 20, kJsonHeaders, std::strlen(kJsonHeaders),
                                             reinterpret_cast<const uint8_t*>(numbered.data()), numbered.size(), now);
    uint32_t fetch_id = u32(batch + 8);
    sy_fetch_response(engine, fetch_id, 200, sse, std::strlen(sse), now);
    for (const std::string& e : events)
      benchmark::DoNotOptimize(sy_fetch_body(engine, fetch_id, reinterpret_cast<const uint8_t*>(e.data()), e.size(), now));
    sy_fetch_body(engine, fetch_id, reinterpret_cast<const uint8_t*>(last.data()), last.size(), now);
    benchmark::DoNotOptimize(sy_fetch_end(engine, fetch_id, now));
    chunks += 201;
    now += 0.01;
  }
  state.SetItemsProcessed(int64_t(chunks));
  sy_engine_free(engine);
}
BENCHMARK(BM_StreamChunk)->Arg(0)->Arg(1);

// Heap bytes per cache entry beyond its value, at 10,000 entries of 1 KB.
void BM_CacheOverheadPerEntry(benchmark::State& state) {
  constexpr size_t kEntries = 10000, kValue = 1024;
  double overhead = 0, charged = 0;
  for (auto _ : state) {
    size_t before = mallinfo2().uordblks;
    {
      sy::cache::Store store(size_t(1) << 30);
      for (size_t i = 0; i < kEntries; ++i) store.put({i, ~i}, std::string(kValue, 'x'), 1e18, 0);
      size_t after = mallinfo2().uordblks;
      overhead = double(after - before) / kEntries - kValue;
      charged = double(store.stats().bytes) / kEntries - kValue;
    }
  }
  state.counters["heap_overhead_bytes"] = overhead;
  state.counters["charged_overhead_bytes"] = charged;
}
BENCHMARK(BM_CacheOverheadPerEntry)->Iterations(3)->Unit(benchmark::kMillisecond);

// BM_FullCycleUpstream with telemetry on: a JSON log line and a trace (a root and an attempt span)
// per request. One request at a time leaves the engine idle after each, so each request's spans
// are encoded into a SEND of their own: the worst case for batching. Compare with
// BM_FullCycleUpstream for what telemetry costs per request.
void BM_FullCycleUpstreamTelemetry(benchmark::State& state) {
  std::string config = kConfig;
  config.insert(config.size() - 1, R"(, "telemetry": {"logs": "json", "otlp": {"endpoint": "http://otel.test:4318"}})");
  full_cycle(state, config);
}
BENCHMARK(BM_FullCycleUpstreamTelemetry);

// The host's part for ledger benchmarks: every STATE action of `batch` answered by `objects` (in
// memory, as the Durable Object would), the batch cleared.
void answer_states(sy::exchange::ActionBatch& batch, sy::ledger::Objects& objects, sy::ledger::Ledger& ledger) {
  for (const sy::exchange::Action& a : sy::exchange::decode(batch.data())) {
    if (a.kind != sy::exchange::ActionKind::state) continue;
    std::string answer;
    objects.apply(a.url, a.body, 0, answer);
    ledger.result(a.id, answer, 0);
  }
  batch.clear();
}

// N calls in flight, each holding a slot of a provider's concurrency shared across instances
// (limits.concurrency with shared state), the STATE ops answered by ledger::Objects in memory as
// the Durable Object would. The engine asks LedgerLimits for its next deadline after every event
// and passes it every timer of its own.
struct SharedSlots {
  explicit SharedSlots(uint32_t in_flight) : ledger(rng, batch), limits(ledger) {
    std::vector<sy::config::Problem> problems;
    config = sy::config::load(R"({"providers": {"p": {"type": "echo", "limits": {"concurrency": 100000}}}})", "{}",
                              problems);
    ledger.enable_shared(true);
    for (uint32_t call = 1; call <= in_flight; ++call) admitted = admitted && admit(call);
  }
  bool admit(uint32_t call) {
    using V = sy::exchange::SharedLimits::Verdict;
    std::string object;
    V v = limits.acquire(call, call, *config, 0, 0, 1, 0, object);
    for (int n = 0; n < 8 && v == V::pending; ++n) {
      answer_states(batch, objects, ledger);
      limits.deliver(ledger.take_decisions(), 0);
      v = limits.acquire(call, call, *config, 0, 0, 1, 0, object);
    }
    return v == V::admitted;
  }
  std::shared_ptr<const sy::config::Config> config;
  sy::Rng rng{1};
  sy::exchange::ActionBatch batch;
  sy::ledger::Ledger ledger;
  sy::engine::LedgerLimits limits;
  sy::ledger::Objects objects;
  bool admitted = true;
};

void BM_SharedSlotsNextDeadline(benchmark::State& state) {
  SharedSlots s(uint32_t(state.range(0)));
  if (!s.admitted) return state.SkipWithError("a call was not admitted");
  for (auto _ : state) benchmark::DoNotOptimize(s.limits.next_deadline());
}
BENCHMARK(BM_SharedSlotsNextDeadline)->Arg(1)->Arg(100)->Arg(1000);

void BM_SharedSlotsTimer(benchmark::State& state) {
  SharedSlots s(uint32_t(state.range(0)));
  if (!s.admitted) return state.SkipWithError("a call was not admitted");
  for (auto _ : state) s.limits.timer(1);
}
BENCHMARK(BM_SharedSlotsTimer)->Arg(1)->Arg(100)->Arg(1000);

// The ledger's next deadline with N pools an isolate has used (a key budget each, say), each
// reserved and settled once, as the engine asks after every event.
void BM_LedgerPoolsNextDeadline(benchmark::State& state) {
  sy::Rng rng(1);
  sy::exchange::ActionBatch batch;
  sy::ledger::Ledger ledger(rng, batch);
  sy::ledger::Objects objects;
  ledger.enable_shared(true);
  for (int64_t i = 0; i < state.range(0); ++i) {
    sy::ledger::Spec spec;
    spec.object = "key:k" + std::to_string(i);
    spec.pool = "usd";
    spec.capacity = 100;
    sy::ledger::Decision d = ledger.reserve(spec, 1, 1, uint32_t(i + 1), false, 0, 0);
    answer_states(batch, objects, ledger);
    for (const sy::ledger::Decision& got : ledger.take_decisions()) d = got;
    if (d.verdict != sy::ledger::Verdict::admitted) return state.SkipWithError("a pool did not admit");
    ledger.settle(spec, d.ticket, 0.5, uint32_t(i + 1), 0);
  }
  batch.clear();
  for (auto _ : state) benchmark::DoNotOptimize(ledger.next_deadline());
}
BENCHMARK(BM_LedgerPoolsNextDeadline)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);

// What every event costs the engine with N pipelines in flight (each waiting for its one step's
// upstream answer): a timer with nothing due, and the next deadline a host asks for after it.
void BM_PipelinesInFlightEvent(benchmark::State& state) {
  std::unique_ptr<sy_engine, decltype(&sy_engine_free)> owned(sy_engine_new(1), sy_engine_free);  // freed on every return
  sy_engine* engine = owned.get();
  std::string config = R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"}},
      "pipelines": {"p": {"timeout_ms": 60000, "steps": [{"id": "one", "model": "a/m-a", "prompt": "{{x}}",
                                                         "input": {"x": "{{input.x}}"}}]}}})";
  if (sy_engine_configure(engine, config.data(), config.size(), "{}", 2) != 0) {
    const uint8_t* error = sy_engine_last_error(engine);
    std::fprintf(stderr, "%.*s\n", int(u32(error)), reinterpret_cast<const char*>(error + 4));
    return state.SkipWithError("the config was refused");
  }
  const char* path = "/v1/pipelines/p";
  std::string body = R"({"x": "go"})";
  for (int64_t i = 0; i < state.range(0); ++i) {
    const uint8_t* batch = sy_request_submit(engine, uint32_t(i + 1), "POST", 4, path, std::strlen(path), kJsonHeaders,
                                             std::strlen(kJsonHeaders), reinterpret_cast<const uint8_t*>(body.data()),
                                             body.size(), 0);
    if (u32(batch + 4) != 1) return state.SkipWithError("a pipeline did not fetch its step");
  }
  double now = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sy_timer(engine, now));
    benchmark::DoNotOptimize(sy_engine_next_deadline(engine));
  }
}
BENCHMARK(BM_PipelinesInFlightEvent)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
