#include "exchange/runtime.h"

#include <algorithm>
#include <cmath>

#include "providers/provider.h"

namespace sy::exchange {

namespace {

constexpr size_t kMaxDirectTargets = 1024;
constexpr double kLatencyDecayMs = 10000;  // peak-EWMA time constant

}  // namespace

void TargetRuntime::observe_latency(double ms, double now) {
  stats.latency.add(ms);
  if (latency_ms == 0 || ms > latency_ms) {
    latency_ms = ms;  // peak: jump up at once
  } else {
    double w = std::exp(-(now - latency_at) / kLatencyDecayMs);
    latency_ms = latency_ms * w + ms * (1 - w);
  }
  latency_at = now;
}

Runtime::Runtime(std::shared_ptr<const config::Config> c)
    : config(std::move(c)),
      routing(*config),
      cache(size_t(config->cache.max_bytes),
            config->cache.policy == config::CachePolicy::lfu ? cache::Policy::lfu : cache::Policy::lru) {
  for (const auto& t : config->targets) {
    targets.emplace_back();
    targets.back().provider = t.provider;
    targets.back().model = t.model;
    targets.back().limiter = health::Limiter(t.limits);
  }
  for (const auto& p : config->providers) providers.emplace_back(p.limits);
}

uint32_t Runtime::direct_target(int provider, std::string_view model) {
  std::string key = config->providers[size_t(provider)].name + "/" + std::string(model);
  if (direct.size() >= kMaxDirectTargets && !direct.count(key))
    key = config->providers[size_t(provider)].name + "/*";
  auto [it, added] = direct.try_emplace(key, uint32_t(targets.size()));
  if (added) {
    targets.emplace_back();
    targets.back().provider = provider;
    targets.back().model = key.substr(key.find('/') + 1);
  }
  return it->second;
}

balance::Candidate Runtime::candidate(uint32_t target, double now) {
  TargetRuntime& t = targets[target];
  const config::Provider& provider = config->providers[size_t(t.provider)];
  health::Limiter& shared = providers[size_t(t.provider)];
  balance::Candidate c;
  c.healthy = t.breaker.state(now, config->breaker.cooldown_ms) != health::Breaker::State::open;
  c.available = t.breaker.allows(now, config->breaker.cooldown_ms) && t.limiter.admits(now, 0) && shared.admits(now, 0);
  c.outstanding = t.outstanding;
  c.latency_ms = t.latency_ms;
  c.throughput = t.throughput;
  if (providers::codec(provider.type).caps.free) {
    c.input_price = c.output_price = 0;
  } else if (auto it = provider.prices.find(t.model); it != provider.prices.end()) {
    c.input_price = it->second.input_per_million;
    c.output_price = it->second.output_per_million;
  }
  if (c.input_price >= 0) c.price = c.input_price + c.output_price;
  c.headroom = std::min(t.limiter.headroom(now), shared.headroom(now));
  return c;
}

}  // namespace sy::exchange
