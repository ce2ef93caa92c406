// Provider and target limits that every instance of a gateway shares (docs/host-interface.md,
// "Shared state"), behind one small interface so that the exchange never sees where they are kept:
// the engine implements it over the ledger (engine/shared_limits.h) when the host has shared state.
// Without it, limits are health::Limiter's in this engine's memory only, exactly as before.
//
// The exchange asks its in-memory limiters first (what this engine has in flight is a part of what
// every instance has), then acquire() for the leaf it would start:
//   admitted     the leaf's slots are held for the call: the attempt starts; release() at its end
//   pending      the shared object is asked: the call waits in the queue; ready(call) wakes that
//                call and it asks again (acquire() with the same call and leaf answers the decision)
//   refused      other instances hold the slots (or the window is full): the call waits in the
//                queue, and asks again when a slot frees here or after a bounded backoff
//   unavailable  the shared object did not answer: 503 state_unavailable naming `object`
// A call that ends or moves to another leaf while it holds or waits calls forget(): whatever it
// holds goes back, and a decision that comes later is given back too.
// A call whose concurrency slot's lease is gone while its attempt runs (renewals failed until the
// lease expired: the object may hand the slot on) is named by lost(): the exchange stops the
// attempt and answers 503 state_unavailable, so no more than the limit are ever in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/config.h"

namespace sy::exchange {

class SharedLimits {
 public:
  enum class Verdict { admitted, refused, pending, unavailable };

  virtual ~SharedLimits() = default;
  // Takes the shared slots of leaf (`provider`, `target`: an index into config.targets, or
  // beyond it for a provider/model the config does not list) for call `call`, performed from host
  // request `task`; `tokens`: the prompt-token estimate (tpm). `object`: on unavailable, the
  // shared object that did not answer.
  virtual Verdict acquire(uint32_t call, uint32_t task, const config::Config& config, int provider, uint32_t target,
                          double tokens, double now, std::string& object) = 0;
  // The call's attempt ended having used `tokens` in all (the real count, or the estimate when
  // the answer did not say): its concurrency slots go back, its tokens are reported.
  virtual void release(uint32_t call, double tokens, double now) = 0;
  // The call went away (or tries another leaf) while it waits or holds: nothing of it is kept.
  virtual void forget(uint32_t call, double now) = 0;

  // The exchange's callback: the decision call `call` waits for arrived; it asks again. Only that
  // call: waking every queued call would have each refused one ask the object again at once.
  void on_ready(std::function<void(uint32_t call, double now)> ready) { ready_ = std::move(ready); }
  // The exchange's callback: call `call` lost its concurrency slot mid-attempt (see above).
  void on_lost(std::function<void(uint32_t call, double now)> lost) { lost_ = std::move(lost); }

 protected:
  void ready(uint32_t call, double now) {
    if (ready_) ready_(call, now);
  }
  void lost(uint32_t call, double now) {
    if (lost_) lost_(call, now);
  }

 private:
  std::function<void(uint32_t call, double now)> ready_, lost_;
};

}  // namespace sy::exchange
