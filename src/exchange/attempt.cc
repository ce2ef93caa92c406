// Targets and attempts: the plan of leaves a call may try, choosing the next one (capabilities,
// breakers, limits), starting and closing attempts, and what a failure leads to (the error-class
// table: retry, fall back or answer).
#include <algorithm>
#include <cmath>

#include "exchange/call.h"

namespace sy::exchange {

namespace {

constexpr size_t kMaxSessions = 100000;
// A call refused by shared limits asks again after this, doubling up to the cap (an attempt that
// ends here lets it ask sooner: the queue drains).
constexpr double kFirstSharedBackoffMs = 100, kLastSharedBackoffMs = 2000;

}  // namespace

// The leaves the call may try, in order: the model's tree, then `routing.models`, filtered and
// sorted by the request's provider preferences; a sticky session's last target first.
bool Exchange::plan(Call& c, Error& error) {
  routing::Preferences& prefs = c.preferences;
  Runtime& rt = *c.rt;
  const config::Config& config = *rt.config;
  const model::Request& r = c.request();
  std::string_view model = routing::strip_suffix(config, r.model, prefs);
  routing::HealthOf health = [&](uint32_t target) { return rt.candidate(target, now_); };
  condition::Facts facts{&c.env->doc, c.controls.metadata.IsObject() ? &c.controls.metadata : nullptr,
                         c.prompt_tokens, r.model};
  auto add = [&](std::string_view name, std::string param) {
    if (routing::plan(config, rt.routing, rng_, health, facts, name, c.plan)) return true;
    error = {404, ErrorType::invalid_request,
             "unknown model \"" + std::string(name) + "\": configure it under models, or write provider/model",
             "model_not_found", std::move(param)};
    return false;
  };
  c.plan.reserve(4);  // one allocation for the usual plan (a model's few targets)
  if (!add(model, "model")) return false;
  for (size_t i = 0; i < r.routing.models.size(); ++i)
    if (r.routing.models[i] != r.model && !add(r.routing.models[i], "models[" + std::to_string(i) + "]")) return false;
  for (auto& leaf : c.plan)
    if (leaf.target == routing::kDirectTarget) leaf.target = rt.direct_target(leaf.provider, leaf.model);
  if (prefs.any() || r.routing.models.size() > 1) routing::apply(prefs, config, health, c.plan);
  if (c.plan.empty()) {
    error = {404, ErrorType::no_healthy_target,
             "no target of \"" + std::string(r.model) + "\" meets the request's provider preferences",
             "no_matching_target", "provider"};
    return false;
  }
  if (!c.session.empty()) {
    auto it = rt.sessions.find(c.session);
    if (it != rt.sessions.end()) {
      auto sticky = std::find_if(c.plan.begin(), c.plan.end(), [&](auto& l) { return l.target == it->second; });
      if (sticky != c.plan.end() && rt.candidate(sticky->target, now_).available)
        std::rotate(c.plan.begin(), sticky, sticky + 1);
    }
  }
  return true;
}

// Starts the next attempt on the first leaf, from the current one on, whose codec can serve the
// request, whose breaker lets it through and whose limits have room; waits in the queue when the
// only candidates left are at a limit; otherwise answers with the reason nothing is left.
void Exchange::attempt(Call& c) {
  Runtime& rt = *c.rt;
  const config::Config& config = *rt.config;
  double free_at = kNever, reopens_at = kNever;
  bool limited = false, pending = false;
  double tokens = double(c.prompt_tokens);
  c.state_error.reset();
  for (size_t i = c.leaf; i < c.plan.size(); ++i) {
    const config::Provider& provider = config.providers[size_t(c.plan[i].provider)];
    providers::Refusal refused = providers::refusal(providers::codec(provider.type), c.request(), c.plan[i].model);
    if (!refused.param.empty()) {
      if (c.refused.param.empty()) c.refused = refused;
      continue;
    }
    TargetRuntime& t = rt.targets[c.plan[i].target];
    health::Limiter& shared = rt.providers[size_t(c.plan[i].provider)];
    if (!t.breaker.allows(now_, config.breaker.cooldown_ms)) {
      reopens_at = std::min(reopens_at, t.breaker.reopens_at(config.breaker.cooldown_ms));
      continue;
    }
    if (!t.limiter.admits(now_, tokens) || !shared.admits(now_, tokens)) {
      limited = true;
      free_at = std::min(free_at, std::max(t.limiter.next_free_at(now_, tokens), shared.next_free_at(now_, tokens)));
      continue;
    }
    if (!shared_admits(c, i, tokens, limited, pending, free_at)) {
      if (pending) return enqueue(c, kNever);  // its decision wakes it (after_event)
      continue;
    }
    if (i != c.leaf) {
      c.leaf = i;
      c.tries = 0;
    }
    return open_attempt(c);
  }
  if (limited) return enqueue(c, free_at);
  if (c.state_error) return fail(c, *c.state_error);
  if (c.last_error) return fail(c, *c.last_error);
  if (!c.refused.param.empty())
    return fail(c, {400, ErrorType::invalid_request,
                    "no target of \"" + std::string(c.request().model) + "\" " + std::string(c.refused.lacks),
                    "unsupported_request", std::string(c.refused.param)});
  Error e{503, ErrorType::no_healthy_target,
          "no healthy target for model \"" + std::string(c.request().model) + "\": every circuit breaker is open",
          "no_healthy_target"};
  if (reopens_at != kNever) e.retry_after_s = std::max(1.0, (reopens_at - now_) / 1000);
  fail(c, e);
}

bool Exchange::shared_admits(Call& c, size_t i, double tokens, bool& limited, bool& pending, double& free_at) {
  if (!limits_) return true;
  if (c.shared && c.shared != limits_) c.shared->forget(c.id, now_);  // shared state was switched
  c.shared = limits_;
  const routing::Leaf& leaf = c.plan[i];
  std::string object;
  auto verdict = limits_->acquire(c.id, c.owner, *c.rt->config, leaf.provider, leaf.target, tokens, now_, object);
  switch (verdict) {
    case SharedLimits::Verdict::admitted:
      c.shared_backoff_ms = 0;
      return true;
    case SharedLimits::Verdict::pending:
      pending = true;
      return false;
    case SharedLimits::Verdict::refused:
      limited = true;
      c.shared_backoff_ms = c.shared_backoff_ms == 0 ? kFirstSharedBackoffMs
                                                     : std::min(c.shared_backoff_ms * 2, kLastSharedBackoffMs);
      free_at = std::min(free_at, now_ + c.shared_backoff_ms);
      return false;
    case SharedLimits::Verdict::unavailable:
      break;
  }
  if (!c.state_error) {
    c.state_error = Error{503, ErrorType::provider_unavailable,
                          "the limits of " + object + " cannot be checked right now (shared state unavailable); retry",
                          "state_unavailable"};
    c.state_error->retry_after_s = 1;
  }
  return false;
}

void Exchange::stop_lost(Call& c) {
  if (!c.holds_slot) return;
  const config::Provider& provider = c.rt->config->providers[size_t(c.current().provider)];
  Error e{503, ErrorType::provider_unavailable,
          "the shared concurrency slot of provider " + provider.name +
              " could not be renewed (shared state unavailable): the attempt was stopped; retry",
          "state_unavailable"};
  e.retry_after_s = 1;
  abort_fetch(c);
  c.failure = "state_unavailable";
  close_attempt(c, false, false, nullptr);  // not the target's fault: its breaker is not told
  if (c.state == State::streaming) return failed(c, health::Outcome::network_error, e, 0);  // an error event
  fail(c, e);
}

void Exchange::open_attempt(Call& c) {
  if (!move(c, Event::open)) return;
  const routing::Leaf& leaf = c.current();
  const config::Config& config = *c.rt->config;
  const config::Provider& provider = config.providers[size_t(leaf.provider)];
  TargetRuntime& t = c.rt->targets[leaf.target];
  t.breaker.on_start(now_, config.breaker.cooldown_ms);
  t.limiter.start(now_, double(c.prompt_tokens));
  c.rt->providers[size_t(leaf.provider)].start(now_, double(c.prompt_tokens));
  ++t.outstanding;
  ++t.stats.requests;
  c.holds_slot = true;
  if (c.queue_seq) queue_.erase({c.controls.priority, c.queue_seq, c.id});
  c.queue_seq = 0;  // out of the queue: its wait deadline no longer applies
  c.stop_waiting(now_);
  c.queue_deadline = kNever;
  c.tried = c.leaf;
  c.attempt_started = now_;
  ++c.attempts;
  ++c.tries;
  c.upstream_status = 0;
  c.retry_after_ms = -1;
  c.upstream_body.clear();
  c.decoder.reset();
  const providers::Codec& codec = providers::codec(provider.type);
  if (codec.caps.local) return answer_locally(c);
  providers::UpstreamRequest up;
  codec.encode({config, provider, leaf.model, c.request(), leaf.overrides}, up);
  c.fetch_id = next_fetch_id_++;
  fetches_[c.fetch_id] = c.id;
  double timeout = provider.timeout_ms > 0 ? provider.timeout_ms : config.timeout_ms;
  c.wake_at = std::min(now_ + timeout, c.deadline);
  schedule(c);
  batch_.fetch(c.fetch_id, c.owner, c.request().stream, up.method, up.url, up.headers, up.body);
}

// A local codec (echo) answers inside the core: its answer is handled like a decoded upstream
// answer, or replayed word by word for a stream request.
void Exchange::answer_locally(Call& c) {
  const routing::Leaf& leaf = c.current();
  const config::Config& config = *c.rt->config;
  const config::Provider& provider = config.providers[size_t(leaf.provider)];
  providers::Decoded decoded =
      providers::codec(provider.type).answer({config, provider, leaf.model, c.request(), leaf.overrides});
  if (!decoded.ok || !c.request().stream) return on_decoded(c, std::move(decoded));
  std::vector<model::StreamEvent> events;
  model::replay(decoded.answer, true, events);
  uint32_t id = c.id;
  stream_events(c, events, {});
  if (!calls_.count(id)) return;
  close_attempt(c, true, false, &decoded.answer.usage);
  stream_done(c, decoded.answer.usage);
}

// Gives back the target's slot and records what the attempt taught.
void Exchange::close_attempt(Call& c, bool success, bool unhealthy, const model::Usage* usage) {
  if (!c.holds_slot) return;
  c.holds_slot = false;
  slot_freed_ = true;
  if (c.trace.valid()) trace_attempt(c, success);
  const routing::Leaf& leaf = c.current();
  TargetRuntime& t = c.rt->targets[leaf.target];
  const config::Config& config = *c.rt->config;
  double completion = usage && usage->known ? double(usage->completion_tokens) : 0;
  --t.outstanding;
  t.stats.attempt.observe_ms(now_ - c.attempt_started);
  c.upstream_ms += now_ - c.attempt_started;
  t.limiter.finish(now_, completion);
  c.rt->providers[size_t(leaf.provider)].finish(now_, completion);
  if (c.shared) {
    // The real count when the answer said it, else the estimate taken at the start.
    double used = usage && usage->known ? double(usage->prompt_tokens + usage->completion_tokens) : double(c.prompt_tokens);
    c.shared->release(c.id, used, now_);
  }
  if (!success) {
    ++t.stats.errors;
    if (unhealthy) t.breaker.on_failure(now_, config.breaker.failures);
    else t.breaker.on_neutral();
    return;
  }
  t.breaker.on_success();
  if (c.state != State::streaming) t.observe_latency(now_ - c.attempt_started, now_);
  if (usage && usage->known) {
    t.stats.prompt_tokens += uint64_t(usage->prompt_tokens);
    t.stats.completion_tokens += uint64_t(usage->completion_tokens);
    if (usage->cost > 0) t.stats.cost += usage->cost;
    c.rt->metrics.usage(c.key_index, leaf.target, uint64_t(usage->prompt_tokens), uint64_t(usage->completion_tokens),
                        usage->cost);
    c.caller->spent(*usage);
    double seconds = (now_ - c.attempt_started) / 1000;
    if (seconds > 0 && completion > 0)
      t.throughput = t.throughput == 0 ? completion / seconds : 0.8 * t.throughput + 0.2 * completion / seconds;
  }
  if (!c.session.empty()) {
    if (c.rt->sessions.size() >= kMaxSessions) c.rt->sessions.clear();
    c.rt->sessions[c.session] = leaf.target;
  }
}

void Exchange::enqueue(Call& c, double free_at) {
  if (!move(c, Event::wait)) return;
  if (c.queue_seq == 0) {
    c.queue_seq = next_queue_seq_++;
    c.queue_deadline = std::min(c.deadline, now_ + c.rt->config->timeout_ms);
    c.queued_at = now_;
  }
  c.wake_at = free_at > now_ ? free_at : kNever;  // kNever: a finishing attempt drains the queue
  queue_.insert({c.controls.priority, c.queue_seq, c.id});
  schedule(c);
}

// Lets waiting calls try again, most urgent first.
void Exchange::drain_queue() {
  std::vector<uint32_t> waiting;
  for (auto& entry : queue_) waiting.push_back(std::get<2>(entry));
  retry_queued(waiting);
}

void Exchange::retry_queued(const std::vector<uint32_t>& ids) {
  for (uint32_t id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second->state != State::queued) continue;
    Call& c = *it->second;
    queue_.erase({c.controls.priority, c.queue_seq, c.id});
    c.wake_at = kNever;
    attempt(c);
  }
}

// An attempt failed: retry, fall back or answer, per the error-class table. A stream already
// started ends with an error event instead.
void Exchange::failed(Call& c, health::Outcome outcome, Error error, int upstream_status) {
  c.failure = health::outcome_name(outcome);
  close_attempt(c, false, health::classify(outcome).unhealthy, nullptr);
  if (c.state == State::streaming) {
    abort_fetch(c);
    model::StreamEvent e;
    e.type = model::StreamEvent::Type::error;
    e.error = &error;
    c.caller->stream_events({&e, 1}, {});
    model::Usage usage = c.decoder ? c.decoder->usage() : model::Usage{};
    c.caller->stream_close(usage);
    if (move(c, Event::fail)) finish(c);
    return;
  }
  c.last_error = std::move(error);
  c.wake_at = kNever;
  const config::Config& config = *c.rt->config;
  auto decision = health::decide(outcome, upstream_status, config.retry.on_status);
  if (decision == health::Decision::return_now) return fail(c, *c.last_error);
  if (decision == health::Decision::retry_same && c.tries <= config.retry.attempts) {
    // Exponential backoff with full jitter; Retry-After wins when longer (capped).
    double ceiling = std::min(config.retry.max_backoff_ms, config.retry.backoff_ms * std::ldexp(1.0, c.tries - 1));
    double delay = rng_.uniform() * ceiling;
    if (c.retry_after_ms >= 0) delay = std::max(delay, std::min(c.retry_after_ms, config.retry.max_backoff_ms));
    if (now_ + delay < c.deadline) {
      if (!move(c, Event::back_off)) return;
      c.wake_at = now_ + delay;
      c.upstream_ms += delay;  // waiting for upstream too, not the gateway's own time
      schedule(c);
      return;
    }
  }
  ++c.leaf;
  c.tries = 0;
  attempt(c);
}

// Ends the call with an error answer (or error event, for a started stream).
void Exchange::fail(Call& c, const Error& error) {
  if (c.state == State::streaming) {
    Error copy = error;
    return failed(c, health::Outcome::malformed, copy, 0);
  }
  if (!move(c, Event::fail)) return;
  c.caller->fail(error, noted(c, error.status, meta(c, "BYPASS")));
  finish(c);
}

}  // namespace sy::exchange
