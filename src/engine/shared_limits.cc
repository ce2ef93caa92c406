#include "engine/shared_limits.h"

#include <algorithm>
#include <string_view>

namespace sy::engine {

namespace {

// The pools of one limited object, in the order a call takes them.
void add_pools(std::vector<LedgerLimits::Pool>& out, const std::string& object, const config::Limits& limits) {
  using Kind = LedgerLimits::Kind;
  auto add = [&](const char* name, double capacity, double window_ms, Kind kind) {
    LedgerLimits::Pool p;
    p.spec.object = object;
    p.spec.pool = name;
    p.spec.capacity = capacity;
    p.spec.window_ms = window_ms;
    // A concurrency slot goes back to the object as soon as its request ends; consumption of a
    // window is reported with the next op (one round trip per request would be the price).
    p.spec.report_at_once = kind == Kind::concurrency;
    p.spec.grow = kind != Kind::concurrency;
    p.kind = kind;
    out.push_back(std::move(p));
  };
  if (limits.concurrency > 0) add("concurrency", limits.concurrency, 0, Kind::concurrency);
  if (limits.rpm > 0) add("rpm", limits.rpm, 60000, Kind::rpm);
  if (limits.tpm > 0) add("tpm", limits.tpm, 60000, Kind::tpm);
}

}  // namespace

std::vector<LedgerLimits::Pool> LedgerLimits::pools(const config::Config& config, int provider, uint32_t target) {
  std::vector<Pool> out;
  const config::Provider& p = config.providers[size_t(provider)];
  add_pools(out, "provider:" + p.name, p.limits);
  if (target < config.targets.size()) {
    const config::TargetKey& t = config.targets[target];
    add_pools(out, "target:" + config.providers[size_t(t.provider)].name + "/" + t.model, t.limits);
  }
  return out;
}

bool LedgerLimits::concerns(const ledger::Decision& d) {
  std::string_view object = d.object;
  return !d.is_view && (object.starts_with("provider:") || object.starts_with("target:"));
}

double LedgerLimits::amount(const Claim& c, const Pool& p) const {
  if (p.kind != Kind::tpm) return 1;
  // A request larger than the whole tpm still starts once nothing else holds the window.
  return std::clamp(c.tokens, 1.0, p.spec.capacity);
}

LedgerLimits::Verdict LedgerLimits::acquire(uint32_t call, uint32_t task, const config::Config& config, int provider,
                                            uint32_t target, double tokens, double now, std::string& object) {
  auto it = claims_.find(call);
  if (it == claims_.end() && !config.providers[size_t(provider)].limits.any() &&
      (target >= config.targets.size() || !config.targets[target].limits.any())) {
    return Verdict::admitted;  // nothing shared to take (and no strings built per attempt)
  }
  if (it != claims_.end() && (it->second.config != &config || it->second.provider != provider ||
                              it->second.target != target || it->second.started)) {
    drop(call, it->second, now);  // another leaf (or a new attempt): start over
    claims_.erase(it);
    it = claims_.end();
  }
  if (it == claims_.end()) {
    std::vector<Pool> leaf = pools(config, provider, target);
    if (leaf.empty()) return Verdict::admitted;
    Claim c;
    c.config = &config;
    c.provider = provider;
    c.target = target;
    c.task = task;
    c.tokens = tokens;
    c.pools = std::move(leaf);
    it = claims_.emplace(call, std::move(c)).first;
  }
  Claim& c = it->second;
  if (c.waiting) return Verdict::pending;  // asked once: the decision comes through deliver()
  Verdict v = take_all(call, c, now, object);
  if (v == Verdict::refused || v == Verdict::unavailable) {
    drop(call, c, now);
    claims_.erase(call);
  }
  return v;
}

LedgerLimits::Verdict LedgerLimits::take_all(uint32_t call, Claim& c, double now, std::string& object) {
  bool fail_open = c.config->gateway.state_fail_open;
  while (c.held.size() < c.pools.size()) {
    const Pool& pool = c.pools[c.held.size()];
    ledger::Decision d;
    if (c.decided) {
      d = *c.decided;
      c.decided.reset();
    } else {
      double want = amount(c, pool);
      d = ledger_.reserve(pool.spec, want, want, call, fail_open, now, c.task);
    }
    switch (d.verdict) {
      case ledger::Verdict::admitted:
        c.held.push_back(Held{pool, d.ticket});
        continue;
      case ledger::Verdict::pending:
        c.waiting = true;
        return Verdict::pending;
      case ledger::Verdict::refused:
        return Verdict::refused;
      case ledger::Verdict::unavailable:
        object = pool.spec.object;
        return Verdict::unavailable;
    }
  }
  // Every pool admitted the call: its request is consumed from the rpm windows now.
  c.started = true;
  count_slots(c, true);
  for (Held& h : c.held) {
    if (h.pool.kind != Kind::rpm) continue;
    ledger_.settle(h.pool.spec, h.ticket, 1, c.task, now);
    h.ticket = ledger::Ticket{};  // settled
  }
  return Verdict::admitted;
}

void LedgerLimits::release(uint32_t call, double tokens, double now) {
  auto it = claims_.find(call);
  if (it == claims_.end()) return;
  Claim& c = it->second;
  if (c.started) count_slots(c, false);
  for (const Held& h : c.held) {
    if (h.pool.kind == Kind::concurrency) ledger_.settle(h.pool.spec, h.ticket, 0, c.task, now);
    if (h.pool.kind == Kind::tpm) ledger_.settle(h.pool.spec, h.ticket, std::max(0.0, tokens), c.task, now);
  }
  claims_.erase(it);
}

void LedgerLimits::drop(uint32_t call, Claim& c, double now) {
  if (c.started) {  // ended without release(): what it used is the estimate
    double tokens = c.tokens;
    count_slots(c, false);
    c.started = false;
    for (const Held& h : c.held) {
      if (h.pool.kind == Kind::rpm) continue;
      ledger_.settle(h.pool.spec, h.ticket, h.pool.kind == Kind::tpm ? std::max(0.0, tokens) : 0, c.task, now);
    }
  } else {
    for (const Held& h : c.held) ledger_.settle(h.pool.spec, h.ticket, 0, c.task, now);
  }
  // A decision it did not come back for: the next pool's grant goes back.
  if (c.decided && c.decided->verdict == ledger::Verdict::admitted && c.held.size() < c.pools.size()) {
    ledger_.settle(c.pools[c.held.size()].spec, c.decided->ticket, 0, c.task, now);
  }
  c.decided.reset();
  c.held.clear();
  if (c.waiting) ledger_.forget(call);
  c.waiting = false;
}

void LedgerLimits::forget(uint32_t call, double now) {
  auto it = claims_.find(call);
  if (it == claims_.end()) return;
  drop(call, it->second, now);
  claims_.erase(it);
}

void LedgerLimits::timer(double now) {
  // Every timer of the engine comes here: while each lease in use holds, no call has lost its slot.
  auto holds = [&](const Slots& s) { return ledger_.holds(s.spec, ledger::Ticket{0, s.epoch, false}, now); };
  if (std::all_of(slots_.begin(), slots_.end(), holds)) return;
  std::vector<uint32_t> lost_calls;
  for (const auto& [call, c] : claims_) {
    if (!c.started) continue;
    for (const Held& h : c.held) {
      if (h.pool.kind != Kind::concurrency || ledger_.holds(h.pool.spec, h.ticket, now)) continue;
      lost_calls.push_back(call);
      break;
    }
  }
  for (uint32_t call : lost_calls) lost(call, now);  // the exchange stops them after the event
}

void LedgerLimits::count_slots(const Claim& c, bool add) {
  for (const Held& h : c.held) {
    // The tickets Ledger::expiry() gives no expiry: from a pool in memory, or without a lease.
    if (h.pool.kind != Kind::concurrency || h.ticket.local || h.ticket.epoch == 0) continue;
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slots& s) {
      return s.epoch == h.ticket.epoch && s.spec.object == h.pool.spec.object && s.spec.pool == h.pool.spec.pool;
    });
    if (add) {
      if (it == slots_.end()) it = slots_.insert(it, Slots{h.pool.spec, h.ticket.epoch, 0});
      ++it->calls;
    } else if (it != slots_.end() && --it->calls == 0) {
      *it = std::move(slots_.back());
      slots_.pop_back();
    }
  }
}

double LedgerLimits::next_deadline() const {
  double at = ledger::Holder::kInf;
  for (const Slots& s : slots_) at = std::min(at, ledger_.expiry(s.spec, ledger::Ticket{0, s.epoch, false}));
  return at;
}

void LedgerLimits::deliver(const std::vector<ledger::Decision>& decisions, double now) {
  for (const ledger::Decision& d : decisions) {
    if (!concerns(d)) continue;
    auto it = claims_.find(d.owner);
    if (it == claims_.end() || !it->second.waiting) continue;
    it->second.waiting = false;
    it->second.decided = d;
    ready(d.owner, now);
  }
}

}  // namespace sy::engine
