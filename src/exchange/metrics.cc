// What each call adds to its runtime's metrics (stats/metrics.h): the outcome its caller is
// told (status, cache result, the answer's target), noted where the exchange tells it, and
// recorded with the call's durations when it finishes.
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

}  // namespace

void Exchange::meter(Call& c) {
  c.started_at = now_;
  const auto& keys = c.rt->config->keys;
  if (!c.tenant.empty()) {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const config::GatewayKey& k) { return k.key == c.tenant; });
    if (it != keys.end()) c.key_index = int(it - keys.begin());
  }
}

const Meta& Exchange::noted(Call& c, int status, const Meta& meta) {
  c.told_status = status;
  c.told_cache = stats::cache_result_of(meta.cache);
  if (meta.attempts > 0 && c.attempts > 0) c.told_target = c.plan[c.tried].target;
  else if (!meta.target.empty()) c.told_target = target_named(*c.rt, meta.target);
  return meta;
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
