#include "ledger/ledger.h"

#include <algorithm>
#include <cmath>

#include "ledger/op.h"

namespace sy::ledger {

namespace {

std::string key_of(const Spec& spec) { return spec.object + '\n' + spec.pool; }

Op op_for(const Spec& spec, Op::Kind kind, const std::string& holder) {
  Op op;
  op.kind = kind;
  op.pool = spec.pool;
  op.holder = holder;
  op.capacity = spec.capacity;
  op.window_ms = spec.window_ms;
  op.ttl_ms = Ledger::kLocalTtlMs;
  return op;
}

constexpr char kLocalHolder[] = "local";

}  // namespace

void Ledger::enable_shared(bool on) {
  shared_ = on;
  if (on && holder_.empty()) {
    static const char kHex[] = "0123456789abcdef";
    uint64_t bits = rng_.next();
    holder_ = "h-";
    for (int i = 60; i >= 0; i -= 4) holder_ += kHex[(bits >> i) & 15];
  }
}

uint32_t Ledger::next_op_id() {
  do {
    ++last_op_id_;
  } while (last_op_id_ == 0 || ops_.count(last_op_id_));
  return last_op_id_;
}

Ledger::Entry& Ledger::entry(const Spec& spec) {
  std::string key = key_of(spec);
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(key, Entry{Holder(spec, holder_), {}, 0}).first;
  it->second.holder.respec(spec);  // the config in force is the truth
  return touch(it->second);
}

Ledger::Entry& Ledger::touch(Entry& e) {
  if (!e.touched) touched_.push_back(&e);
  e.touched = true;
  return e;
}

Holder* Ledger::find(const Spec& spec) {
  auto it = entries_.find(key_of(spec));
  return it == entries_.end() ? nullptr : &touch(it->second).holder;
}

const Holder* Ledger::peek(const Spec& spec) const {
  auto it = entries_.find(key_of(spec));
  return it == entries_.end() ? nullptr : &it->second.holder;
}

Decision Ledger::reserve_in_memory(const Spec& spec, double amount, uint32_t owner, double now) {
  Op op = op_for(spec, Op::Kind::lease, kLocalHolder);
  op.want = op.min = amount;
  Answer answer = memory_.apply(spec.object, op, now);
  Decision d;
  d.owner = owner;
  if (answer.granted > 0 || amount == 0) {
    d.verdict = Verdict::admitted;
    d.ticket = Ticket{answer.granted, 0, true};
  } else {
    d.verdict = Verdict::refused;
    d.remaining = std::max(0.0, answer.available);
    d.retry_after_ms = answer.frees_in_ms;
  }
  return d;
}

Decision Ledger::reserve(const Spec& spec, double amount, double chunk, uint32_t owner, bool fail_open, double now,
                         uint32_t task) {
  if (!shared_) return reserve_in_memory(spec, amount, owner, now);
  Entry& e = entry(spec);
  if (!spec.grow || e.chunk == 0) e.chunk = chunk;
  Decision d;
  d.owner = owner;
  if (e.waiters.empty()) {
    if (auto ticket = e.holder.take(amount, now)) {
      d.verdict = Verdict::admitted;
      d.ticket = *ticket;
      return d;
    }
  }
  e.waiters.push_back(Waiter{owner, amount, fail_open, task ? task : owner});
  pump(e, key_of(spec), owner, now);
  return d;  // pending
}

void Ledger::settle(const Spec& spec, const Ticket& ticket, double spent, uint32_t owner, double now) {
  if (ticket.local) {
    Op op = op_for(spec, Op::Kind::lease, kLocalHolder);
    op.returned = ticket.amount;
    op.spent = spent;
    memory_.apply(spec.object, op, now);
    return;
  }
  Entry& e = entry(spec);
  e.holder.settle(ticket, spent, now);
  pump(e, key_of(spec), owner, now);
}

Decision Ledger::view(const Spec& spec, uint32_t owner, double now) {
  Decision d;
  d.owner = owner;
  d.is_view = true;
  Op op = op_for(spec, Op::Kind::get, holder_);
  if (!shared_) {
    d.verdict = Verdict::admitted;
    d.view = memory_.apply(spec.object, op, now);
    return d;
  }
  uint32_t id = next_op_id();
  ops_[id] = Pending{std::string(), owner};
  batch_.state(id, owner, spec.object, encode(op));
  return d;  // pending
}

void Ledger::forget(uint32_t owner) {
  for (auto& [key, e] : entries_) {
    std::erase_if(e.waiters, [&](const Waiter& w) { return w.owner == owner; });
  }
}

bool Ledger::holds(const Spec& spec, const Ticket& ticket, double now) {
  Holder* h = ticket.local || ticket.epoch == 0 ? nullptr : find(spec);
  if (!h) return true;
  h->free(now);  // drops the lease at its expiry
  return h->epoch() == ticket.epoch;
}

double Ledger::expiry(const Spec& spec, const Ticket& ticket) {
  Holder* h = ticket.local || ticket.epoch == 0 ? nullptr : find(spec);
  if (!h || h->epoch() != ticket.epoch || h->expires_at() == 0) return Holder::kInf;
  return h->expires_at();
}

void Ledger::send(Entry& e, const std::string& key, double want, double min, uint32_t owner, double now) {
  Op op = e.holder.op(want, min, now);
  uint32_t id = next_op_id();
  ops_[id] = Pending{key, owner};
  batch_.state(id, owner, e.holder.spec().object, encode(op));
}

void Ledger::pump(Entry& e, const std::string& key, uint32_t owner, double now) {
  if (e.holder.busy()) return;
  if (!e.waiters.empty()) {
    // Enough for the first waiter (beyond what the lease has free), and up to every waiter's
    // amount or the chunk, whichever is more, when the object has it.
    double free = e.holder.free(now), sum = 0;
    for (const Waiter& w : e.waiters) sum += w.amount;
    double min = std::max(0.0, e.waiters.front().amount - free);
    send(e, key, std::max(sum - free, std::max(e.chunk, min)), min, e.waiters.front().task, now);
    ops_[last_op_id_].refill = true;
    return;
  }
  if (e.holder.due(now)) send(e, key, 0, 0, owner, now);
}

// `frees_in_ms`: the answer's (Answer::frees_in_ms), what a refusal says about when to retry.
void Ledger::serve(Entry& e, bool failed, double frees_in_ms, double now) {
  while (!e.waiters.empty()) {
    Waiter w = e.waiters.front();
    Decision d;
    d.owner = w.owner;
    d.object = e.holder.spec().object;
    if (auto ticket = e.holder.take(w.amount, now)) {
      d.verdict = Verdict::admitted;
      d.ticket = *ticket;
    } else if (failed) {
      d.verdict = w.fail_open ? Verdict::admitted : Verdict::unavailable;
      if (w.fail_open) d.ticket = e.holder.force(w.amount, now);
    } else if (e.holder.free(now) + std::max(0.0, e.holder.available()) < w.amount) {
      d.verdict = Verdict::refused;
      d.remaining = e.holder.free(now) + std::max(0.0, e.holder.available());
      d.retry_after_ms = frees_in_ms;
    } else {
      return;  // the next op asks for it
    }
    e.waiters.pop_front();
    decisions_.push_back(d);
  }
}

bool Ledger::result(uint32_t op_id, std::string_view data, double now) {
  auto it = ops_.find(op_id);
  if (it == ops_.end()) return false;
  Pending pending = std::move(it->second);
  ops_.erase(it);
  if (pending.key.empty()) {  // a view
    Decision d;
    d.owner = pending.owner;
    d.is_view = true;
    d.verdict = decode(data, Op::Kind::get, d.view) ? Verdict::admitted : Verdict::unavailable;
    decisions_.push_back(d);
    return true;
  }
  auto e = entries_.find(pending.key);
  if (e == entries_.end()) return true;
  touch(e->second);
  Answer answer;
  bool ok = decode(data, Op::Kind::lease, answer);
  if (ok) {
    e->second.holder.answered(answer, now);
    // Demand drained the lease: the next refill asks for twice as much, up to a quarter of what
    // the object has left, in whole units (requests and tokens come whole: a fraction left in a
    // lease would serve nobody while other holders' requests are refused).
    if (pending.refill && e->second.holder.spec().grow) {
      e->second.chunk = std::max(1.0, std::floor(std::min(e->second.chunk * 2, answer.available / 4)));
    }
  } else {
    e->second.holder.failed(now);
  }
  serve(e->second, !ok, ok ? answer.frees_in_ms : -1, now);
  pump(e->second, pending.key, 0, now);
  return true;
}

void Ledger::timer(double now) {
  if (!shared_) return;
  for (auto& [key, e] : entries_) pump(touch(e), key, 0, now);
}

double Ledger::next_deadline() const {
  for (Entry* e : touched_) {
    e->touched = false;
    double at = e->holder.next_deadline();
    if (at == e->indexed) continue;
    if (e->indexed != Holder::kInf) deadlines_.erase({e->indexed, e});
    if (at != Holder::kInf) deadlines_.insert({at, e});
    e->indexed = at;
  }
  touched_.clear();
  return deadlines_.empty() ? Holder::kInf : deadlines_.begin()->first;
}

std::vector<Decision> Ledger::take_decisions() {
  std::vector<Decision> out;
  out.swap(decisions_);
  return out;
}

}  // namespace sy::ledger
