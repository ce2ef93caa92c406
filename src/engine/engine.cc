// The attempt state machine: from a validated request to its answer through
// cache, targets, retries, limits and streams. front.cc takes requests in.
#include "engine/engine.h"

#include <algorithm>
#include <cmath>

#include "engine/internal.h"
#include "json/canonical.h"
#include "providers/echo.h"
#include "services/service.h"

namespace sy::engine {

namespace {

using json::Value;
constexpr size_t kMaxUpstreamBody = 32u << 20;
constexpr size_t kMaxDirectTargets = 1024;  // provider/model pairs not in the config
constexpr size_t kMaxSessions = 100000;
constexpr double kLatencyDecayMs = 10000;  // peak-EWMA time constant

// Request members that never change the answer, left out of cache keys.
constexpr std::string_view kNotInCacheKey[] = {"stream", "stream_options", "user", "metadata", "switchyard",
                                               "session_id"};

}  // namespace

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
  for (const auto& k : config->keys) keys.push_back({health::Limiter({k.rpm, 0, 0}), 0});
}

// ---- answering ------------------------------------------------------------

std::string Engine::Impl::answer_headers(std::string_view content_type, std::string_view request_id,
                                         std::string_view target, int attempts, std::string_view cache) {
  std::string h;
  h.reserve(160);
  h += "content-type: ";
  h.append(content_type);
  h += "\nx-switchyard-request-id: ";
  h.append(request_id);
  if (!target.empty()) {
    h += "\nx-switchyard-target: ";
    h.append(target);
  }
  h += "\nx-switchyard-attempts: " + std::to_string(attempts) + "\nx-switchyard-cache: ";
  h.append(cache);
  h += '\n';
  return h;
}

// Every RESPOND goes through here, so that a request's CORS headers are never missed.
void Engine::Impl::respond(uint32_t id, int status, bool streaming, std::string headers, std::string_view body) {
  if (auto it = cors.find(id); it != cors.end()) {
    headers += it->second;
    cors.erase(it);
  }
  batch.respond(id, status, streaming, headers, body);
}

std::string Engine::Impl::target_of(const Call& c) {
  if (c.attempts == 0) return {};
  const auto& leaf = c.plan[c.tried];
  return c.rt->config->providers[size_t(leaf.provider)].name + "/" + std::string(leaf.model);
}

std::string Engine::Impl::response_headers(const Call& c, std::string_view content_type, std::string_view cache) {
  return answer_headers(content_type, c.request_id, target_of(c), c.attempts, cache);
}

void Engine::Impl::finish(Call& c) {
  if (c.fetch_id) fetches.erase(c.fetch_id);
  if (c.phase == Phase::queued) queue.erase({c.priority, c.queue_seq, c.id});
  if (!c.key_hex.empty()) settle_followers(c, now);
  calls.erase(c.id);
}

void Engine::Impl::respond_error(Call& c, const Error& error) {
  std::string h = response_headers(c, "application/json", "BYPASS");
  if (error.retry_after_s >= 0)
    h += "retry-after: " + std::to_string(int64_t(std::ceil(error.retry_after_s))) + "\n";
  respond(c.id, error.status, false, h, error_body(error));
  finish(c);
}

void Engine::Impl::respond_plain(uint32_t id, const std::string& request_id, int status, std::string_view body,
                                 std::string_view extra_headers) {
  std::string h = answer_headers("application/json", request_id, {}, 0, "BYPASS");
  h.append(extra_headers);
  respond(id, status, false, h, body);
}

void Engine::Impl::respond_success(Call& c, const std::string& completion, std::string_view cache_status) {
  std::string body = c.endpoint == Endpoint::service ? services::answer(completion) : completion;
  respond(c.id, 200, false, response_headers(c, "application/json", cache_status), body);
  finish(c);
}

// The answer of the current attempt, kept for the cache and for followers.
static void keep_answer(Call& c, const config::Provider& provider, std::string answer) {
  c.answer = std::move(answer);
  c.answer_target = provider.name + "/" + std::string(c.plan[c.leaf].model);
}

// ---- cache ----------------------------------------------------------------

cache::Key Engine::Impl::cache_key(const Call& c) {
  std::vector<std::pair<std::string_view, const Value*>> members;
  for (auto& m : c.body.GetObject()) {
    std::string_view name = json::view(m.name);
    if (std::find(std::begin(kNotInCacheKey), std::end(kNotInCacheKey), name) == std::end(kNotInCacheKey))
      members.emplace_back(name, &m.value);
  }
  std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.first < b.first; });
  json::Hasher h;
  h.update(c.tenant);
  h.update(c.endpoint == Endpoint::embeddings ? std::string_view("\0/v1/embeddings\0", 16)
                                              : std::string_view("\0/v1/chat/completions\0", 22));
  std::string part;
  for (auto& [name, value] : members) {
    part.clear();
    json::append_string(part, name);
    part += ':';
    json::write_canonical(*value, part);
    part += ',';
    h.update(part);
  }
  json::Hash128 hash = h.finish();
  return {hash.hi, hash.lo};
}

namespace {

std::string hex_of(const cache::Key& key) {
  static const char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[size_t(15 - i)] = digits[(key.hi >> (4 * i)) & 15];
    out[size_t(31 - i)] = digits[(key.lo >> (4 * i)) & 15];
  }
  return out;
}

bool key_of(std::string_view hex, cache::Key& key) {
  if (hex.size() != 32) return false;
  key = {};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    uint64_t& half = i < 16 ? key.hi : key.lo;
    half = half << 4 | uint64_t(v);
  }
  return true;
}

// L1 values are "provider/model\n" + the answer's JSON.
std::pair<std::string_view, std::string_view> split_value(std::string_view value) {
  size_t cut = value.find('\n');
  return {value.substr(0, cut), value.substr(cut + 1)};
}

}  // namespace

// Answers from the cache: the stored answer as is, replayed as chunks for a
// stream request, or reshaped for a service.
void Engine::Impl::serve_cached(Call& c, std::string_view target, std::string_view answer, std::string_view status) {
  if (c.stream) {
    const Value* options = json::find(c.body, "stream_options");
    const Value* usage = options ? json::find(*options, "include_usage") : nullptr;
    std::string events = providers::replay_as_stream(answer, usage && usage->IsTrue());
    std::string h = answer_headers("text/event-stream", c.request_id, target, 0, status);
    h += "cache-control: no-cache\n";
    respond(c.id, 200, true, h, {});
    batch.stream_chunk(c.id, events + "data: [DONE]\n\n");
    batch.stream_end(c.id);
  } else {
    std::string body = c.endpoint == Endpoint::service ? services::answer(answer) : std::string(answer);
    respond(c.id, 200, false, answer_headers("application/json", c.request_id, target, 0, status), body);
  }
  finish(c);
}

// L1, then an identical request already on its way (single-flight), then the
// host's persistent tier; only then upstream.
void Engine::Impl::lookup(Call& c, double now) {
  Runtime& rt = *c.rt;
  if (c.cache_mode != CacheMode::refresh) {
    if (const std::string* hit = rt.cache.get(c.key, now)) {
      auto [target, answer] = split_value(*hit);
      return serve_cached(c, target, answer, "HIT");
    }
  }
  if (c.cache_mode == CacheMode::normal && c.may_coalesce) {
    auto leader = rt.leaders.find(c.key_hex);
    if (leader != rt.leaders.end() && calls.count(leader->second)) {
      c.leader = leader->second;
      c.phase = Phase::coalesced;
      calls[leader->second]->followers.push_back(c.id);
      return;
    }
  }
  if (c.cache_mode != CacheMode::only) rt.leaders[c.key_hex] = c.id;
  if (persistence && rt.config->cache.persist && c.cache_mode != CacheMode::refresh) {
    c.phase = Phase::cache_lookup;
    batch.cache_get(c.id, c.key_hex);
    return;
  }
  if (c.cache_mode == CacheMode::only)
    return respond_error(c, {504, ErrorType::cache_miss_offline, "cache-only request and no cached answer for it",
                             "cache_miss"});
  attempt(c, now);
}

std::string Engine::Impl::entry_of(std::string_view key_hex, std::string_view value, double expires_at) {
  auto [target, answer] = split_value(value);
  std::string out = "{\"key\":\"";
  out.append(key_hex);
  out += "\",\"target\":";
  json::append_string(out, target);
  out += ",\"expires_at\":";
  json::append_number(out, std::floor(expires_at));
  out += ",\"answer\":";
  out.append(answer);
  out += '}';
  return out;
}

bool Engine::Impl::import_entry(const Value& entry, double now, std::string& error, bool apply) {
  cache::Key key;
  const Value* k = json::find(entry, "key");
  const Value* target = json::find(entry, "target");
  const Value* expires = json::find(entry, "expires_at");
  const Value* answer = json::find(entry, "answer");
  if (!entry.IsObject()) error = "must be an object";
  else if (!k || !key_of(json::view(*k), key)) error = "\"key\" must be 32 lowercase hex characters";
  else if (!target || !target->IsString()) error = "\"target\" must be a string";
  else if (!expires || !expires->IsNumber()) error = "\"expires_at\" must be a number (ms)";
  else if (!answer || !answer->IsObject() || (!json::find(*answer, "choices") && !json::find(*answer, "data")))
    error = "\"answer\" must be a chat completion or an embeddings list";
  if (!error.empty()) return false;
  if (expires->GetDouble() <= now) return false;
  if (!apply) return true;
  std::string value(json::view(*target));
  value += '\n';
  json::append_value(value, *answer);
  std::string hex(json::view(*k));
  if (persistence && runtime->config->cache.persist) batch.cache_put(hex, entry_of(hex, value, expires->GetDouble()), expires->GetDouble());
  return runtime->cache.put(key, std::move(value), expires->GetDouble(), now);
}

std::string Engine::Impl::snapshot(bool ndjson, double now) {
  std::string out = ndjson ? "{\"format\":\"switchyard.cache\",\"version\":1}\n"
                           : "{\"format\":\"switchyard.cache\",\"version\":1,\"entries\":[";
  bool first = true;
  runtime->cache.for_each([&](const cache::Key& key, const std::string& value, double expires_at) {
    if (expires_at <= now) return;
    if (!ndjson && !first) out += ',';
    first = false;
    out += entry_of(hex_of(key), value, expires_at);
    if (ndjson) out += '\n';
  });
  if (!ndjson) out += "]}";
  return out;
}

// A successful answer: into L1 (and the host's tier), unless the request said
// no-store or the answer was cut short by max_tokens.
void Engine::Impl::store(Call& c, double now) {
  const config::Cache& settings = c.rt->config->cache;
  if (!c.cacheable || c.cache_mode == CacheMode::no_store) return;
  if (!settings.store_truncated && c.answer.find("\"finish_reason\":\"length\"") != std::string::npos) return;
  double ttl = c.cache_ttl_s >= 0 ? c.cache_ttl_s : settings.ttl_s;
  if (ttl <= 0) return;
  double expires_at = now + ttl * 1000;
  std::string value = c.answer_target + "\n" + c.answer;
  if (persistence && settings.persist) batch.cache_put(c.key_hex, entry_of(c.key_hex, value, expires_at), expires_at);
  c.rt->cache.put(c.key, std::move(value), expires_at, now);
}

// The leader is done: followers get its answer (COALESCED), or, if it failed,
// each goes on its own (no longer coalescing).
void Engine::Impl::settle_followers(Call& c, double now) {
  auto leader = c.rt->leaders.find(c.key_hex);
  if (leader != c.rt->leaders.end() && leader->second == c.id) c.rt->leaders.erase(leader);
  std::vector<uint32_t> followers = std::move(c.followers);
  c.followers.clear();
  for (uint32_t id : followers) {
    auto it = calls.find(id);
    if (it == calls.end() || it->second->phase != Phase::coalesced || it->second->leader != c.id) continue;
    Call& f = *it->second;
    f.leader = 0;
    f.phase = Phase::idle;
    if (!c.answer.empty()) {
      serve_cached(f, c.answer_target, c.answer, "COALESCED");
    } else {
      f.may_coalesce = false;
      lookup(f, now);
    }
  }
}

void Engine::Impl::start(Call& c, double now) {
  c.completion_id = "chatcmpl-" + c.request_id.substr(4);
  c.created = int64_t(now / 1000);
  if (c.timeout_ms > 0) c.deadline = now + c.timeout_ms;
  const config::Config& config = *c.rt->config;
  c.cacheable = config.cache.enabled && c.endpoint != Endpoint::models && c.cache_mode != CacheMode::no_store;
  if (c.cacheable) {
    c.key = cache_key(c);
    c.key_hex = hex_of(c.key);
    return lookup(c, now);
  }
  if (c.cache_mode == CacheMode::only)
    return respond_error(c, {504, ErrorType::cache_miss_offline, "cache-only request and no cached answer for it",
                             "cache_miss"});
  attempt(c, now);
}

// The model list of an echo provider: the models the config names for it.
static std::string echo_models(const config::Config& config, int provider) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (const auto& t : config.targets) {
    if (t.provider != provider) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    json::append_string(out, t.model);
    out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"echo\"}";
  }
  return out + "]}";
}

// ---- targets --------------------------------------------------------------

balance::Candidate Engine::Impl::candidate(Runtime& rt, uint32_t target, double now) {
  TargetRuntime& t = rt.targets[target];
  const config::Config& config = *rt.config;
  const config::Provider& provider = config.providers[size_t(t.provider)];
  health::Limiter& shared = rt.providers[size_t(t.provider)];
  balance::Candidate c;
  c.healthy = t.breaker.state(now, config.breaker.cooldown_ms) != health::Breaker::State::open;
  c.available = t.breaker.allows(now, config.breaker.cooldown_ms) && t.limiter.admits(now, 0) && shared.admits(now, 0);
  c.outstanding = t.outstanding;
  c.latency_ms = t.latency_ms;
  c.throughput = t.throughput;
  if (provider.type == config::ProviderType::echo) c.price = 0;
  else if (auto it = provider.prices.find(t.model); it != provider.prices.end())
    c.price = it->second.input_per_million + it->second.output_per_million;
  c.headroom = std::min(t.limiter.headroom(now), shared.headroom(now));
  return c;
}

uint32_t Engine::Impl::direct_target(Runtime& rt, int provider, std::string_view model) {
  std::string key = rt.config->providers[size_t(provider)].name + "/" + std::string(model);
  // Past the bound, further unlisted models of a provider share one entry.
  if (rt.direct.size() >= kMaxDirectTargets && !rt.direct.count(key))
    key = rt.config->providers[size_t(provider)].name + "/*";
  auto [it, added] = rt.direct.try_emplace(key, uint32_t(rt.targets.size()));
  if (added) {
    rt.targets.emplace_back();
    rt.targets.back().provider = provider;
    rt.targets.back().model = key.substr(key.find('/') + 1);
  }
  return it->second;
}

const config::Provider& Engine::Impl::provider_of(const Call& c) {
  return c.rt->config->providers[size_t(c.plan[c.leaf].provider)];
}

TargetRuntime& Engine::Impl::target_of_leaf(Call& c) { return c.rt->targets[c.plan[c.leaf].target]; }

// ---- attempts -------------------------------------------------------------

// Starts the next attempt on the first leaf, from the current one on, whose
// breaker lets it through and whose limits have room; waits in the queue when
// the only candidates left are at a limit.
void Engine::Impl::attempt(Call& c, double now) {
  Runtime& rt = *c.rt;
  const config::Config& config = *rt.config;
  double free_at = kNever, reopens_at = kNever;
  bool limited = false, capable = false;
  double tokens = double(c.prompt_tokens);
  for (size_t i = c.leaf; i < c.plan.size(); ++i) {
    const config::Provider& provider = config.providers[size_t(c.plan[i].provider)];
    const providers::WireFormat* format = providers::wire_format(provider.type);
    bool echo = provider.type == config::ProviderType::echo;
    if ((c.endpoint == Endpoint::embeddings && !echo && !format->encode_embeddings) ||
        (c.endpoint == Endpoint::models && !echo && !format->encode_models) ||
        (c.token_input && provider.type == config::ProviderType::gemini))
      continue;  // this provider has no such API (Gemini embeds text only, not token ids)
    capable = true;
    TargetRuntime& t = rt.targets[c.plan[i].target];
    health::Limiter& shared = rt.providers[size_t(c.plan[i].provider)];
    if (!t.breaker.allows(now, config.breaker.cooldown_ms)) {
      reopens_at = std::min(reopens_at, t.breaker.reopens_at(config.breaker.cooldown_ms));
      continue;
    }
    if (!t.limiter.admits(now, tokens) || !shared.admits(now, tokens)) {
      limited = true;
      free_at = std::min(free_at, std::max(t.limiter.next_free_at(now, tokens), shared.next_free_at(now, tokens)));
      continue;
    }
    if (i != c.leaf) {
      c.leaf = i;
      c.tries = 0;
    }
    return open_attempt(c, now);
  }
  if (limited) return enqueue(c, now, free_at);
  if (c.has_error) return respond_error(c, c.last_error);
  if (!capable)
    return respond_error(c, {400, ErrorType::invalid_request,
                             "no target of \"" + c.model + "\" offers " +
                                 (c.endpoint == Endpoint::models ? "a model list" : "embeddings"),
                             "unsupported_endpoint", "model"});
  Error e{503, ErrorType::no_healthy_target,
          "no healthy target for model \"" + c.model + "\": every circuit breaker is open", "no_healthy_target"};
  if (reopens_at != kNever) e.retry_after_s = std::max(1.0, (reopens_at - now) / 1000);
  respond_error(c, e);
}

void Engine::Impl::open_attempt(Call& c, double now) {
  const routing::Leaf& leaf = c.plan[c.leaf];
  const config::Provider& provider = provider_of(c);
  TargetRuntime& t = target_of_leaf(c);
  const config::Config& config = *c.rt->config;
  t.breaker.on_start(now, config.breaker.cooldown_ms);
  t.limiter.start(now, double(c.prompt_tokens));
  c.rt->providers[size_t(leaf.provider)].start(now, double(c.prompt_tokens));
  ++t.outstanding;
  ++t.stats.requests;
  c.attempt_open = true;
  c.queue_seq = 0;  // out of the queue: its wait deadline no longer applies
  c.queue_deadline = kNever;
  c.tried = c.leaf;
  c.attempt_started = now;
  c.first_byte_seen = false;
  ++c.attempts;
  ++c.tries;
  c.upstream_status = 0;
  c.retry_after_ms = -1;
  c.upstream_body.clear();
  c.decoder.reset();
  c.phase = Phase::fetching;
  if (provider.type == config::ProviderType::echo) {
    std::string answer = c.endpoint == Endpoint::embeddings ? providers::echo::embeddings(c.body, leaf.model)
                         : c.endpoint == Endpoint::models    ? echo_models(*c.rt->config, leaf.provider)
                                                             : providers::echo::answer(c.body, leaf.model, c.completion_id, c.created, c.stream);
    uint32_t id = c.id;
    on_head(c, 200);
    on_bytes(c, answer, now);  // a stream finishes here, destroying c
    if (auto it = calls.find(id); it != calls.end()) on_end(*it->second, now);
    return;
  }
  providers::UpstreamRequest up;
  const providers::WireFormat& format = *providers::wire_format(provider.type);
  providers::EncodeInput in{provider, leaf.model, c.body, leaf.overrides, c.stream, c.body_text};
  if (c.endpoint == Endpoint::embeddings) format.encode_embeddings(in, up);
  else if (c.endpoint == Endpoint::models) format.encode_models(provider, up);
  else format.encode(in, up);
  c.fetch_id = next_fetch_id++;
  fetches[c.fetch_id] = c.id;
  double timeout = provider.timeout_ms > 0 ? provider.timeout_ms : config.timeout_ms;
  c.wake_at = std::min(now + timeout, c.deadline);
  batch.fetch(c.fetch_id, c.id, c.stream, up.method, up.url, up.headers, up.body);
}

// The target's first answer byte (streams) or whole answer: a latency sample.
static void observe_latency(TargetRuntime& t, double ms, double now) {
  t.stats.latency.add(ms);
  if (t.latency_ms == 0 || ms > t.latency_ms) {
    t.latency_ms = ms;  // peak: jump up at once
  } else {
    double w = std::exp(-(now - t.latency_at) / kLatencyDecayMs);
    t.latency_ms = t.latency_ms * w + ms * (1 - w);
  }
  t.latency_at = now;
}

// Gives back the target's slot and records what the attempt taught.
void Engine::Impl::close_attempt(Call& c, double now, bool success, bool counts_against_target,
                                 const providers::Usage* usage) {
  if (!c.attempt_open) return;
  c.attempt_open = false;
  slot_freed = true;
  TargetRuntime& t = target_of_leaf(c);
  const config::Config& config = *c.rt->config;
  double completion = usage && usage->known ? double(usage->completion_tokens) : 0;
  --t.outstanding;
  t.limiter.finish(now, completion);
  c.rt->providers[size_t(c.plan[c.leaf].provider)].finish(now, completion);
  if (success) {
    t.breaker.on_success();
    if (!c.first_byte_seen) observe_latency(t, now - c.attempt_started, now);
    if (usage && usage->known) {
      t.stats.prompt_tokens += uint64_t(usage->prompt_tokens);
      t.stats.completion_tokens += uint64_t(usage->completion_tokens);
      if (usage->cost > 0) t.stats.cost += usage->cost;
      if (usage->cost > 0 && c.key_index >= 0) c.rt->keys[size_t(c.key_index)].spent_usd += usage->cost;
      double seconds = (now - c.attempt_started) / 1000;
      if (seconds > 0 && completion > 0)
        t.throughput = t.throughput == 0 ? completion / seconds : 0.8 * t.throughput + 0.2 * completion / seconds;
    }
    if (!c.session.empty()) {
      if (c.rt->sessions.size() >= kMaxSessions) c.rt->sessions.clear();
      c.rt->sessions[c.session] = c.plan[c.leaf].target;
    }
  } else {
    ++t.stats.errors;
    if (counts_against_target) t.breaker.on_failure(now, config.breaker.failures);
    else t.breaker.on_neutral();
  }
}

void Engine::Impl::enqueue(Call& c, double now, double free_at) {
  if (c.queue_seq == 0) {
    c.queue_seq = next_queue_seq++;
    c.queue_deadline = std::min(c.deadline, now + c.rt->config->timeout_ms);
  }
  c.phase = Phase::queued;
  c.wake_at = free_at > now ? free_at : kNever;  // kNever: a finishing attempt drains the queue
  queue.emplace(std::make_tuple(c.priority, c.queue_seq, c.id), true);
}

// Lets waiting requests try again, most urgent first.
void Engine::Impl::drain_queue(double now) {
  std::vector<uint32_t> waiting;
  for (auto& [key, _] : queue) waiting.push_back(std::get<2>(key));
  for (uint32_t id : waiting) {
    auto it = calls.find(id);
    if (it == calls.end() || it->second->phase != Phase::queued) continue;
    Call& c = *it->second;
    queue.erase({c.priority, c.queue_seq, c.id});
    c.phase = Phase::idle;
    c.wake_at = kNever;
    attempt(c, now);
  }
}

// ---- upstream events ------------------------------------------------------

providers::DecodeContext Engine::Impl::decode_context(const Call& c) {
  const Value* options = json::find(c.body, "stream_options");
  const Value* usage = options ? json::find(*options, "include_usage") : nullptr;
  providers::DecodeContext ctx{provider_of(c), c.plan[c.leaf].model, c.completion_id, c.created,
                               usage && usage->IsTrue()};
  const Value* format = json::find(c.body, "encoding_format");
  ctx.base64_embeddings = c.endpoint == Endpoint::embeddings && format && json::view(*format) == "base64";
  return ctx;
}

void Engine::Impl::on_head(Call& c, int status) {
  c.upstream_status = status;
  if (c.stream && status >= 200 && status < 300)
    c.decoder = providers::wire_format(provider_of(c).type)->stream(decode_context(c));
}

void Engine::Impl::on_bytes(Call& c, std::string_view bytes, double now) {
  if (!c.decoder) {
    if (c.upstream_body.size() + bytes.size() > kMaxUpstreamBody) {
      abort_fetch(c);
      return failed(c, health::Outcome::malformed,
                    {502, ErrorType::provider_unavailable, "upstream answer is larger than 32 MiB", "bad_upstream_response"},
                    0, now);
    }
    c.upstream_body.append(bytes);
    return;
  }
  std::string events;
  auto state = c.decoder->feed(bytes, events);
  if (!events.empty()) {
    if (!c.committed) {
      c.committed = true;
      c.first_byte_seen = true;
      observe_latency(target_of_leaf(c), now - c.attempt_started, now);
      c.phase = Phase::streaming;
      c.wake_at = kNever;  // only the whole-request deadline applies once streaming
      std::string h = response_headers(c, "text/event-stream", c.cacheable ? "MISS" : "BYPASS");
      h += "cache-control: no-cache\n";
      respond(c.id, 200, true, h, {});
      if (c.cacheable) c.assembler = std::make_unique<providers::StreamAssembler>();
    }
    if (c.assembler) c.assembler->add(events);
    batch.stream_chunk(c.id, events);
  }
  if (state == providers::StreamDecoder::State::done) {
    close_attempt(c, now, true, false, &c.decoder->usage());
    if (c.assembler) {
      keep_answer(c, provider_of(c), c.assembler->finish(provider_of(c).name));
      store(c, now);
    }
    batch.stream_chunk(c.id, "data: [DONE]\n\n");
    batch.stream_end(c.id);
    abort_fetch(c);
    finish(c);
  } else if (state == providers::StreamDecoder::State::failed) {
    abort_fetch(c);
    failed(c, c.decoder->outcome(), c.decoder->error(), 0, now);
  }
}

void Engine::Impl::on_end(Call& c, double now) {
  if (c.decoder) {
    if (c.decoder->finish() == providers::StreamDecoder::State::failed)
      failed(c, c.decoder->outcome(), c.decoder->error(), 0, now);
    return;
  }
  const config::Provider& provider = provider_of(c);
  fetches.erase(c.fetch_id);
  c.fetch_id = 0;
  const providers::WireFormat& format = *providers::wire_format(provider.type);
  auto decode = c.endpoint == Endpoint::embeddings ? format.decode_embeddings
                : c.endpoint == Endpoint::models   ? format.decode_models
                                                   : format.decode;
  auto decoded = decode(c.upstream_status, c.upstream_body, decode_context(c));
  if (!decoded.ok) {
    if (c.retry_after_ms >= 0) decoded.error.retry_after_s = c.retry_after_ms / 1000;
    return failed(c, decoded.outcome, decoded.error, c.upstream_status, now);
  }
  if (c.endpoint == Endpoint::embeddings && !decoded.usage.known) {
    // Some providers (Gemini) report no tokens for embeddings: count the estimate.
    decoded.usage.known = true;
    decoded.usage.prompt_tokens = c.prompt_tokens;
  }
  close_attempt(c, now, true, false, &decoded.usage);
  keep_answer(c, provider, std::move(decoded.body));
  store(c, now);
  respond_success(c, c.answer, c.cacheable ? "MISS" : "BYPASS");
}

void Engine::Impl::abort_fetch(Call& c) {
  if (!c.fetch_id) return;
  batch.fetch_abort(c.fetch_id);
  fetches.erase(c.fetch_id);
  c.fetch_id = 0;
}

// An attempt failed: retry, fall back or answer, per the error-class table.
void Engine::Impl::failed(Call& c, health::Outcome outcome, Error error, int upstream_status, double now) {
  close_attempt(c, now, false, health::classify(outcome).unhealthy, nullptr);
  if (c.committed) {
    // Bytes reached the caller: end the stream with an error chunk.
    std::string chunk = "data: {\"id\":";
    json::append_string(chunk, c.completion_id);
    chunk += ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(c.created) + ",\"model\":";
    json::append_string(chunk, c.plan[c.leaf].model);
    chunk += ",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}],\"error\":";
    std::string body = error_body(error);
    chunk.append(body, 9, body.size() - 10);  // the inside of {"error":...}
    chunk += "}\n\ndata: [DONE]\n\n";
    batch.stream_chunk(c.id, chunk);
    batch.stream_end(c.id);
    abort_fetch(c);
    return finish(c);
  }
  c.last_error = std::move(error);
  c.has_error = true;
  c.phase = Phase::idle;
  c.wake_at = kNever;
  const config::Config& config = *c.rt->config;
  auto decision = health::decide(outcome, upstream_status, config.retry.on_status);
  if (decision == health::Decision::return_now) return respond_error(c, c.last_error);
  if (decision == health::Decision::retry_same && c.tries <= config.retry.attempts) {
    // Exponential backoff with full jitter; Retry-After wins when longer (capped).
    double ceiling = std::min(config.retry.max_backoff_ms, config.retry.backoff_ms * std::ldexp(1.0, c.tries - 1));
    double delay = rng.uniform() * ceiling;
    if (c.retry_after_ms >= 0) delay = std::max(delay, std::min(c.retry_after_ms, config.retry.max_backoff_ms));
    if (now + delay < c.deadline) {
      c.phase = Phase::backoff;
      c.wake_at = now + delay;
      return;
    }
  }
  ++c.leaf;
  c.tries = 0;
  attempt(c, now);
}

Call* Engine::Impl::call_of_fetch(uint32_t fetch_id) {
  auto f = fetches.find(fetch_id);
  if (f == fetches.end()) return nullptr;
  auto c = calls.find(f->second);
  return c == calls.end() ? nullptr : c->second.get();
}

void Engine::Impl::timer(double now) {
  std::vector<uint32_t> due;
  for (auto& [id, call] : calls)
    if (call->wake_at <= now || call->deadline <= now || call->queue_deadline <= now) due.push_back(id);
  for (uint32_t id : due) {
    auto it = calls.find(id);
    if (it == calls.end()) continue;
    Call& c = *it->second;
    if (c.phase == Phase::queued && c.queue_deadline <= now) {
      // Waited for a limit until the deadline: 429, with when to come back.
      Error e{429, ErrorType::rate_limited, "rate limit reached for model \"" + c.model + "\"; retry later",
              "rate_limited"};
      e.retry_after_s = c.wake_at != kNever ? std::max(1.0, (c.wake_at - now) / 1000) : 1;
      respond_error(c, e);
    } else if (c.deadline <= now) {
      abort_fetch(c);
      Error e{504, ErrorType::timeout, "request deadline passed after " + std::to_string(c.attempts) + " attempt(s)",
              "deadline_exceeded"};
      if (c.committed) {
        failed(c, health::Outcome::timeout, e, 0, now);
      } else {
        close_attempt(c, now, false, false, nullptr);
        respond_error(c, e);
      }
    } else if (c.phase == Phase::queued || c.phase == Phase::backoff) {
      if (c.phase == Phase::queued) queue.erase({c.priority, c.queue_seq, c.id});
      c.phase = Phase::idle;
      c.wake_at = kNever;
      attempt(c, now);
    } else if (c.phase == Phase::fetching) {
      abort_fetch(c);
      failed(c, health::Outcome::timeout,
             {408, ErrorType::timeout, "upstream " + provider_of(c).name + " did not answer in time", "upstream_timeout"},
             0, now);
    }
  }
}

// Called after every event: lets queued requests into freed slots, then tells
// the host when to wake us next.
void Engine::Impl::arm() {
  if (slot_freed && !queue.empty()) drain_queue(now);
  slot_freed = false;
  double next = kNever;
  for (auto& [id, call] : calls) next = std::min({next, call->wake_at, call->deadline, call->queue_deadline});
  if (next != armed && next != kNever) batch.wake_at(next);
  armed = next;
}

// ---- the public face ------------------------------------------------------

Engine::Engine(uint64_t seed) : impl_(std::make_unique<Impl>(seed)) {}
Engine::~Engine() = default;

bool Engine::configure(std::string_view config_json, std::string_view env_json) {
  std::vector<config::Problem> problems;
  auto config = config::load(config_json, env_json, problems);
  if (!config) {
    std::string list = "\"errors\":[";
    for (size_t i = 0; i < problems.size(); ++i) {
      if (i) list += ',';
      list += "{\"path\":";
      json::append_string(list, problems[i].path);
      list += ",\"message\":";
      json::append_string(list, problems[i].message);
      list += '}';
    }
    list += ']';
    std::string summary = "invalid config: " + std::to_string(problems.size()) + " problem(s); first: " +
                          (problems[0].path.empty() ? "" : problems[0].path + ": ") + problems[0].message;
    Error error{400, ErrorType::invalid_request, summary, "invalid_config"};
    error.metadata_json = std::move(list);
    impl_->last_error = error_body(error);
    return false;
  }
  impl_->runtime = std::make_shared<Runtime>(std::move(config));
  impl_->last_error.clear();
  return true;
}

const std::string& Engine::last_error() const { return impl_->last_error; }

void Engine::submit(uint32_t request_id, std::string_view method, std::string_view path, std::string_view headers,
                    std::string_view body, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  impl_->submit(request_id, method, path, headers, body, now_ms);
  impl_->arm();
}

void Engine::cancel(uint32_t request_id, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  impl_->cors.erase(request_id);
  if (auto it = impl_->calls.find(request_id); it != impl_->calls.end()) {
    impl_->abort_fetch(*it->second);
    impl_->close_attempt(*it->second, now_ms, false, false, nullptr);
    impl_->finish(*it->second);
  }
  impl_->arm();
}

void Engine::fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  if (Call* c = impl_->call_of_fetch(fetch_id)) {
    if (auto ra = header(headers, "retry-after"); !ra.empty()) {
      double seconds = std::atof(std::string(ra).c_str());
      if (seconds >= 0 && ra.find_first_not_of("0123456789. ") == std::string_view::npos)
        c->retry_after_ms = seconds * 1000;
    }
    impl_->on_head(*c, status);
  }
  impl_->arm();
}

void Engine::fetch_body(uint32_t fetch_id, std::string_view bytes, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  if (Call* c = impl_->call_of_fetch(fetch_id)) impl_->on_bytes(*c, bytes, now_ms);
  impl_->arm();
}

void Engine::fetch_end(uint32_t fetch_id, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  if (Call* c = impl_->call_of_fetch(fetch_id)) impl_->on_end(*c, now_ms);
  impl_->arm();
}

void Engine::fetch_error(uint32_t fetch_id, std::string_view message, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  if (Call* c = impl_->call_of_fetch(fetch_id)) {
    impl_->fetches.erase(fetch_id);
    c->fetch_id = 0;
    std::string text(message.substr(0, 300));
    providers::redact(impl_->provider_of(*c), text);
    impl_->failed(*c, health::Outcome::network_error,
                  {502, ErrorType::provider_unavailable,
                   "upstream " + impl_->provider_of(*c).name + " unreachable: " + text, "upstream_unreachable"},
                  0, now_ms);
  }
  impl_->arm();
}

void Engine::timer(double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  impl_->timer(now_ms);
  impl_->armed = kNever;  // the host's timer has fired: re-arm whatever remains
  impl_->arm();
}

void Engine::enable_persistence(bool enabled) { impl_->persistence = enabled; }

void Engine::cache_result(uint32_t request_id, std::string_view entry, double now_ms) {
  impl_->batch.clear();
  impl_->now = now_ms;
  auto it = impl_->calls.find(request_id);
  if (it != impl_->calls.end() && it->second->phase == Phase::cache_lookup) {
    Call& c = *it->second;
    c.phase = Phase::idle;
    json::Document doc;
    std::string error;
    const Value *key, *target, *expires, *answer;
    bool hit = !entry.empty() && json::parse(entry, doc, error) && (key = json::find(doc, "key")) &&
               json::view(*key) == c.key_hex && (target = json::find(doc, "target")) && target->IsString() &&
               (expires = json::find(doc, "expires_at")) && expires->IsNumber() && expires->GetDouble() > now_ms &&
               (answer = json::find(doc, "answer")) && answer->IsObject();
    if (hit) {
      // Back into L1, then answered like an L1 hit.
      std::string value(json::view(*target));
      value += '\n';
      json::append_value(value, *answer);
      c.rt->cache.put(c.key, value, expires->GetDouble(), now_ms);
      auto [t, a] = std::pair{std::string(json::view(*target)), value.substr(value.find('\n') + 1)};
      c.answer = a;
      c.answer_target = t;
      impl_->serve_cached(c, t, a, "HIT");
    } else if (c.cache_mode == CacheMode::only) {
      impl_->respond_error(c, {504, ErrorType::cache_miss_offline, "cache-only request and no cached answer for it",
                               "cache_miss"});
    } else {
      impl_->attempt(c, now_ms);
    }
  }
  impl_->arm();
}

ActionBatch& Engine::batch() { return impl_->batch; }
size_t Engine::in_flight() const { return impl_->calls.size(); }

}  // namespace sy::engine
