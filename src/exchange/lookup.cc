// The cache and single-flight: L1, then an identical call already on its way, then the host's
// persistent tier, and only then upstream; storing answers; releasing followers.
#include <cmath>

#include "cache/key.h"
#include "exchange/call.h"
#include "model/stored.h"

namespace sy::exchange {

namespace {

// L1 values are "provider/model\n" + the stored form.
std::pair<std::string_view, std::string_view> split_value(std::string_view value) {
  size_t cut = value.find('\n');
  return {value.substr(0, cut), value.substr(cut + 1)};
}

bool truncated(const model::Answer& answer) {
  for (const model::Output& o : answer.outputs)
    if (o.finish == model::Finish::length) return true;
  return false;
}

}  // namespace

std::string Exchange::entry_of(std::string_view key_hex, std::string_view value, double expires_at) {
  auto [target, stored] = split_value(value);
  std::string out = "{\"key\":\"";
  out.append(key_hex);
  out += "\",\"target\":";
  json::append_string(out, target);
  out += ",\"expires_at\":";
  json::append_number(out, std::floor(expires_at));
  out += ",\"answer\":";
  out.append(stored);
  out += '}';
  return out;
}

void Exchange::lookup(Call& c) {
  Runtime& rt = *c.rt;
  if (c.controls.cache != CacheMode::refresh) {
    const std::string* hit = rt.cache.get(c.key, now_);
    if (c.trace.valid()) trace_lookup(c, "l1", hit ? "HIT" : "MISS", now_);
    if (hit) {
      auto [target, stored] = split_value(*hit);
      return serve_stored(c, target, stored, "HIT");
    }
  }
  if (c.key_hex.empty()) c.key_hex = cache::hex_of(c.key);  // single-flight, the tier and storing name it
  if (c.controls.cache == CacheMode::normal && c.may_coalesce) {
    auto leader = rt.leaders.find(c.key_hex);
    if (leader != rt.leaders.end() && calls_.count(leader->second)) {
      if (!move(c, Event::coalesce)) return;
      c.lookup_started = now_;
      c.leader = leader->second;
      calls_[leader->second]->followers.push_back(c.id);
      return;
    }
  }
  if (c.controls.cache != CacheMode::only) rt.leaders[c.key_hex] = c.id;
  if (persists() && c.controls.cache != CacheMode::refresh) {
    if (!move(c, Event::ask_tier)) return;
    c.lookup_started = now_;
    batch_.cache_get(c.id, c.key_hex);
    return;
  }
  upstream(c);
}

// The cache has no answer: the call's targets are planned (once: a plan that succeeds is never
// empty; a hit never needs one, so hits move no round-robin turn), then a cache-only call fails
// and any other makes its first attempt.
void Exchange::upstream(Call& c) {
  Error error;
  if (c.plan.empty() && !plan(c, error)) return fail(c, error);
  if (c.controls.cache == CacheMode::only)
    return fail(c, {504, ErrorType::cache_miss_offline, "cache-only request and no cached answer for it", "cache_miss"});
  attempt(c);
}

// Answers with a stored answer (a cache hit or a leader's answer): as is, or replayed as events
// for a stream request.
void Exchange::serve_stored(Call& c, std::string_view target, std::string_view stored, std::string_view status) {
  if (!move(c, Event::hit)) return;
  if (!c.followers.empty()) {
    c.stored = stored;
    c.answer_target = target;
  }
  Meta m{std::string(target), 0, status};
  if (!c.request().stream || !replay_stored(c, stored, m)) c.caller->answer(stored, nullptr, noted(c, 200, m));
  finish(c);
}

// A stored answer replayed as a stream's events; false (nothing sent) when it does not parse.
// Apart from serve_stored so that a plain answer builds no model::Answer.
bool Exchange::replay_stored(Call& c, std::string_view stored, const Meta& m) {
  model::Answer answer;
  std::string error;
  if (!model::stored::parse(stored, answer, error)) return false;
  std::vector<model::StreamEvent> events;
  model::replay(answer, false, events);
  c.caller->stream_open(noted(c, 200, m));
  c.caller->stream_events(events, {});
  c.caller->stream_close(answer.usage);
  return true;
}

// A successful answer: kept for followers, and into L1 (and the host's tier) unless the request
// said no-store or the answer was cut short by its token limit.
void Exchange::store(Call& c, const model::Answer& answer) {
  const config::Cache& settings = c.rt->config->cache;
  if (!c.cacheable || c.controls.cache == CacheMode::no_store) return;
  const routing::Leaf& leaf = c.current();
  c.answer_target = c.rt->config->providers[size_t(leaf.provider)].name + "/" + std::string(leaf.model);
  if (!settings.store_truncated && truncated(answer)) return;
  double ttl = c.controls.cache_ttl_s >= 0 ? c.controls.cache_ttl_s : settings.ttl_s;
  if (ttl <= 0) return;
  double expires_at = now_ + ttl * 1000;
  std::string value = c.answer_target + "\n" + c.stored;
  if (persists()) batch_.cache_put(c.key_hex, entry_of(c.key_hex, value, expires_at), expires_at);
  c.rt->cache.put(c.key, std::move(value), expires_at, now_);
}

// The leader is done: followers get its answer (COALESCED), or, if it failed, each goes on alone.
void Exchange::settle_followers(Call& c) {
  auto leader = c.rt->leaders.find(c.key_hex);
  if (leader != c.rt->leaders.end() && leader->second == c.id) c.rt->leaders.erase(leader);
  std::vector<uint32_t> followers = std::move(c.followers);
  c.followers.clear();
  std::string stored = c.stored, target = c.answer_target;  // c may be gone once a follower runs
  for (uint32_t id : followers) {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second->state != State::coalesced || it->second->leader != c.id) continue;
    Call& f = *it->second;
    f.leader = 0;
    if (f.trace.valid()) trace_lookup(f, "single-flight", stored.empty() ? "MISS" : "COALESCED", f.lookup_started);
    if (!stored.empty()) {
      serve_stored(f, target, stored, "COALESCED");
    } else if (move(f, Event::leader_failed)) {
      f.may_coalesce = false;
      lookup(f);
    }
  }
}

}  // namespace sy::exchange
