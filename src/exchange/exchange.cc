// The exchange's events and the state machine's bookkeeping: starting calls, moving them through
// the transition table, deadlines, ending them. lookup.cc, attempt.cc and answer.cc hold the rest.
#include "exchange/exchange.h"

#include <algorithm>
#include <vector>

#include "base/headers.h"
#include "cache/key.h"
#include "exchange/call.h"

namespace sy::exchange {

Exchange::Exchange(Rng& rng, ActionBatch& batch) : rng_(rng), batch_(batch) {}
Exchange::~Exchange() = default;

void Exchange::use_limits(SharedLimits* limits) {
  limits_ = limits;
  // A decision arrived: its call asks again after the event.
  if (!limits_) return;
  limits_->on_ready([this](uint32_t call, double) { woken_.push_back(call); });
  limits_->on_lost([this](uint32_t call, double) { lost_.push_back(call); });
}

void Exchange::install(std::shared_ptr<const config::Config> config) {
  runtime_ = std::make_shared<Runtime>(std::move(config));
}

bool Exchange::persists() const { return persistence_ && runtime_ && runtime_->config->cache.persist; }

void Exchange::start(Start s, double now) {
  now_ = now;
  auto owned = std::make_unique<Call>();
  Call& c = *owned;
  c.id = s.id;
  c.owner = s.owner ? s.owner : s.id;
  c.request_id = std::move(s.request_id);
  c.rt = runtime_;
  c.env = std::move(s.envelope);
  c.caller = std::move(s.caller);
  c.controls = std::move(s.controls);
  c.tenant = std::move(s.tenant);
  if (tracer_ && tracer_->tracing()) c.trace = std::move(s.trace);
  c.created = int64_t(now / 1000);
  meter(c);
  if (c.controls.timeout_ms > 0) c.deadline = now + c.controls.timeout_ms;
  const model::Request& r = c.request();
  if (!r.routing.session_id.empty()) c.session = c.tenant + '\0' + std::string(r.routing.session_id);
  calls_[c.id] = std::move(owned);
  schedule(c);

  const config::Config& config = *c.rt->config;
  if (config.needs_prompt_tokens || r.kind == model::Kind::embeddings) c.prompt_tokens = model::prompt_tokens(r);
  c.preferences = std::move(s.preferences);  // planned when the cache has no answer (upstream())
  c.cacheable = config.cache.enabled && r.kind != model::Kind::models && c.controls.cache != CacheMode::no_store;
  if (c.cacheable) {
    c.key = s.key ? *s.key : cache::key_of(r, c.tenant);
    return lookup(c);
  }
  upstream(c);
}

void Exchange::cancel(uint32_t id, double now) {
  now_ = now;
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  abort_fetch(c);
  c.failure = "cancelled";
  close_attempt(c, false, false, nullptr);
  if (move(c, Event::cancel)) finish(c);
}

Call* Exchange::call_of_fetch(uint32_t fetch_id) {
  auto f = fetches_.find(fetch_id);
  if (f == fetches_.end()) return nullptr;
  auto c = calls_.find(f->second);
  return c == calls_.end() ? nullptr : c->second.get();
}

void Exchange::fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now) {
  now_ = now;
  if (Call* c = call_of_fetch(fetch_id)) {
    c->retry_after_ms = retry_after_ms(headers);
    on_head(*c, status);
  }
}

void Exchange::fetch_body(uint32_t fetch_id, std::string_view bytes, double now) {
  now_ = now;
  if (Call* c = call_of_fetch(fetch_id)) on_bytes(*c, bytes);
}

void Exchange::fetch_end(uint32_t fetch_id, double now) {
  now_ = now;
  if (Call* c = call_of_fetch(fetch_id)) on_end(*c);
}

void Exchange::fetch_error(uint32_t fetch_id, std::string_view message, double now) {
  now_ = now;
  Call* c = call_of_fetch(fetch_id);
  if (!c) return;
  fetches_.erase(fetch_id);
  c->fetch_id = 0;
  const config::Provider& provider = c->rt->config->providers[size_t(c->current().provider)];
  std::string text(message.substr(0, 300));
  providers::redact(provider, text);
  failed(*c, health::Outcome::network_error,
         {502, ErrorType::provider_unavailable, "upstream " + provider.name + " unreachable: " + text,
          "upstream_unreachable"},
         0);
}

void Exchange::timer(double now) {
  now_ = now;
  std::vector<uint32_t> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first <= now; ++it) due.push_back(it->second);
  for (uint32_t id : due) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& c = *it->second;
    timers_.erase({c.armed, c.id});
    c.armed = kNever;
    on_timer(c);
    if (auto again = calls_.find(id); again != calls_.end()) schedule(*again->second);
  }
}

// A call whose earliest deadline passed.
void Exchange::on_timer(Call& c) {
  double now = now_;
  if (c.state == State::queued && c.queue_deadline <= now) {
    // Waited for a limit until its deadline: 429, with when to come back.
    Error e{429, ErrorType::rate_limited,
            "rate limit reached for model \"" + std::string(c.request().model) + "\"; retry later", "rate_limited"};
    e.retry_after_s = c.wake_at != kNever ? std::max(1.0, (c.wake_at - now) / 1000) : 1;
    fail(c, e);
  } else if (c.deadline <= now) {
    abort_fetch(c);
    Error e{504, ErrorType::timeout, "request deadline passed after " + std::to_string(c.attempts) + " attempt(s)",
            "deadline_exceeded"};
    if (c.state == State::streaming) return failed(c, health::Outcome::timeout, e, 0);
    c.failure = "deadline";
    close_attempt(c, false, false, nullptr);
    fail(c, e);
  } else if ((c.state == State::queued || c.state == State::backoff) && c.wake_at <= now) {
    if (c.state == State::queued) queue_.erase({c.controls.priority, c.queue_seq, c.id});
    c.wake_at = kNever;
    attempt(c);
  } else if (c.state == State::fetching && c.wake_at <= now) {
    abort_fetch(c);
    const config::Provider& provider = c.rt->config->providers[size_t(c.current().provider)];
    failed(c, health::Outcome::timeout,
           {408, ErrorType::timeout, "upstream " + provider.name + " did not answer in time", "upstream_timeout"}, 0);
  }
}

void Exchange::after_event(double now) {
  now_ = now;
  std::vector<uint32_t> lost;
  lost.swap(lost_);
  for (uint32_t id : lost) {
    if (auto it = calls_.find(id); it != calls_.end()) stop_lost(*it->second);
  }
  std::vector<uint32_t> woken;
  woken.swap(woken_);
  retry_queued(woken);
  if (slot_freed_ && !queue_.empty()) drain_queue();
  slot_freed_ = false;
}

double Exchange::next_deadline() const { return timers_.empty() ? kNever : timers_.begin()->first; }

bool Exchange::cache_result(uint32_t id, std::string_view entry, double now) {
  now_ = now;
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->state != State::looking_up) return false;
  Call& c = *it->second;
  json::Document doc;
  std::string error;
  const json::Value *key, *target, *expires, *answer;
  bool hit = !entry.empty() && json::parse(entry, doc, error) && (key = json::find(doc, "key")) &&
             json::view(*key) == c.key_hex && (target = json::find(doc, "target")) && target->IsString() &&
             (expires = json::find(doc, "expires_at")) && expires->IsNumber() && expires->GetDouble() > now &&
             (answer = json::find(doc, "answer")) && answer->IsObject();
  c.rt->metrics.tier(hit);
  if (c.trace.valid()) trace_lookup(c, "l2", hit ? "HIT" : "MISS", c.lookup_started);
  if (hit) {
    // Back into L1, then answered like an L1 hit.
    std::string value(json::view(*target));
    value += '\n';
    size_t cut = value.size();
    json::append_value(value, *answer);
    c.rt->cache.put(c.key, value, expires->GetDouble(), now);
    serve_stored(c, std::string_view(value).substr(0, cut - 1), std::string_view(value).substr(cut), "HIT");
  } else {
    upstream(c);
  }
  return true;
}

// ---- the state machine ---------------------------------------------------------------------

bool Exchange::move(Call& c, Event event) {
  auto row = transition(c.state, event);
  if (!row) {
    illegal(c, event);
    return false;
  }
  ++fired_[*row];
  c.state = kTransitions[*row].to;
  return true;
}

// An event the table does not allow in the call's state: a bug. The call ends with an internal
// error (an error event when its stream already started), and nothing else of it runs.
void Exchange::illegal(Call& c, Event event) {
  Error e{500, ErrorType::internal,
          "internal error: event " + std::string(event_name(event)) + " in state " + std::string(state_name(c.state)),
          "illegal_transition"};
  abort_fetch(c);
  close_attempt(c, false, false, nullptr);
  if (c.state == State::streaming) {
    model::StreamEvent error_event;
    error_event.type = model::StreamEvent::Type::error;
    error_event.error = &e;
    c.caller->stream_events({&error_event, 1}, {});
    c.caller->stream_close({});
  } else if (c.state != State::done) {
    c.caller->fail(e, noted(c, e.status, meta(c, "BYPASS")));
  }
  c.state = State::done;
  finish(c);
}

void Exchange::fire_for_test(uint32_t id, Event event, double now) {
  now_ = now;
  auto it = calls_.find(id);
  if (it != calls_.end() && move(*it->second, event) && it->second->state == State::done) finish(*it->second);
}

void Exchange::finish(Call& c) {
  record(c);
  if (c.shared) c.shared->forget(c.id, now_);  // what it still waits for or holds goes back
  if (c.fetch_id) fetches_.erase(c.fetch_id);
  if (c.queue_seq) queue_.erase({c.controls.priority, c.queue_seq, c.id});
  if (c.armed != kNever) timers_.erase({c.armed, c.id});
  if (!c.key_hex.empty()) settle_followers(c);
  calls_.erase(c.id);  // destroys c
}

// Keeps the call's one entry in timers_ at its earliest deadline.
void Exchange::schedule(Call& c) {
  double at = std::min({c.wake_at, c.deadline, c.queue_deadline});
  if (at == c.armed) return;
  if (c.armed != kNever) timers_.erase({c.armed, c.id});
  c.armed = at;
  if (at != kNever) timers_.insert({at, c.id});
}

Meta Exchange::meta(const Call& c, std::string_view cache) const {
  Meta m;
  m.attempts = c.attempts;
  m.cache = cache;
  if (c.attempts > 0) {
    const routing::Leaf& leaf = c.plan[c.tried];
    m.target = c.rt->config->providers[size_t(leaf.provider)].name + "/" + std::string(leaf.model);
  }
  return m;
}

}  // namespace sy::exchange
