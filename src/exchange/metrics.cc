// What each call adds to its runtime's metrics (stats/metrics.h): the outcome its caller was
// told (status, cache result, the answer's target), noted by a Caller wrapped around the real
// one, and recorded with the call's durations when it finishes.
#include <algorithm>

#include "exchange/call.h"

namespace sy::exchange {

namespace {

// "provider/model" of a cached answer, as a target index (kNoTarget when the runtime has none).
uint32_t target_named(const Runtime& rt, std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return stats::kNoTarget;
  int provider = rt.config->find_provider(name.substr(0, slash));
  if (provider < 0) return stats::kNoTarget;
  int target = rt.config->find_target(provider, name.substr(slash + 1));
  if (target >= 0) return uint32_t(target);
  auto direct = rt.direct.find(std::string(name));
  return direct == rt.direct.end() ? stats::kNoTarget : direct->second;
}

class Metered final : public Caller {
 public:
  Metered(std::unique_ptr<Caller> inner, Call& call) : inner_(std::move(inner)), call_(call) {}

  void answer(std::string_view stored, const model::Answer* answer, const Meta& meta) override {
    note(200, meta);
    inner_->answer(stored, answer, meta);
  }
  void fail(const Error& error, const Meta& meta) override {
    note(error.status, meta);
    inner_->fail(error, meta);
  }
  void stream_open(const Meta& meta) override {
    note(200, meta);
    inner_->stream_open(meta);
  }
  void stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override {
    inner_->stream_events(events, raw);
  }
  void stream_close(const model::Usage& usage) override { inner_->stream_close(usage); }
  void spent(const model::Usage& usage) override { inner_->spent(usage); }

 private:
  void note(int status, const Meta& meta) {
    Call& c = call_;
    c.told_status = status;
    c.told_cache = stats::cache_result_of(meta.cache);
    if (meta.attempts > 0 && c.attempts > 0) c.told_target = c.plan[c.tried].target;
    else if (!meta.target.empty()) c.told_target = target_named(*c.rt, meta.target);
  }

  std::unique_ptr<Caller> inner_;
  Call& call_;
};

}  // namespace

void Exchange::meter(Call& c) {
  c.started_at = now_;
  const auto& keys = c.rt->config->keys;
  if (!c.tenant.empty()) {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const config::GatewayKey& k) { return k.key == c.tenant; });
    if (it != keys.end()) c.key_index = int(it - keys.begin());
  }
  c.caller = std::make_unique<Metered>(std::move(c.caller), c);
}

void Exchange::record(Call& c) {
  c.stop_waiting(now_);
  if (!c.told_status) return;  // cancelled before any answer
  stats::Finished f;
  f.target = c.told_target;
  f.status = c.told_status;
  f.cache = c.told_cache;
  f.duration_ms = now_ - c.started_at;
  f.upstream_ms = std::min(c.upstream_ms, f.duration_ms);
  f.queued_ms = c.queued_ms;
  c.rt->metrics.finished(f);
}

}  // namespace sy::exchange
