// Gateway keys (SPEC section 4): who may call, at what rate, with which models, within which
// budget. State per key lives as long as the config that declared it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/errors.h"
#include "config/config.h"
#include "gateway/budgets.h"
#include "gateway/repeats.h"
#include "health/limiter.h"

namespace sy::gateway {

struct KeyState {
  health::Limiter rpm;
};

// Everything the gateway keeps per installed config.
struct Runtime {
  explicit Runtime(std::shared_ptr<const config::Config> c);

  std::shared_ptr<const config::Config> config;
  std::vector<KeyState> keys;  // as config->keys
  // Spend and reservations per key: LocalBudgets (this process's memory, from zero when the config
  // is loaded) unless a shared implementation is plugged in.
  std::unique_ptr<Budgets> budgets;
  Repeats repeats;  // model requests seen before, decoded
};

// The calling key: `Authorization: Bearer <key>` or `x-api-key`. With keys configured, a missing
// or unknown key is a 401 and a key over its rpm a 429 (each call counts); on success `key` is
// its index, or -1 when the config has no keys. A key whose rpm is shared (Budgets::shares_rpm)
// is not counted here: count_call() does it.
bool authenticate(Runtime& rt, std::string_view headers, double now, int& key, Error& error);

// Counts request `owner` against the shared rpm of `key` (Budgets::count_call): admitted; refused
// with a 429 `key_rate_limited`; unavailable with a 503 `state_unavailable` naming the key; or
// pending (no error: the caller waits and asks again).
Verdict count_call(Runtime& rt, int key, double now, Error& error, uint32_t owner);

// A key with nothing left of its budget (spend and reservations reached it) may not make model
// requests (402), whatever they would cost.
bool within_budget(const Runtime& rt, int key, Error& error);

// Reserves `usd` (a request's worst-case cost) against the key's budget: admitted; refused with a
// 402 `budget_exhausted` naming what is left and the estimate; unavailable with a 503
// `state_unavailable` naming the key; or pending (no error: the caller waits, budgets.h). No keys
// (key < 0): admitted.
Verdict reserve(Runtime& rt, int key, double usd, double now, Error& error, uint32_t owner = 0);

// GET /v1/key: {"data": {"name", "budget_usd" (null: none), "spent_usd", "reserved_usd",
// "remaining_usd" (null without a budget), "limits": {"rpm" (null: none)}, "models", "admin"}}
// (OpenRouter's /api/v1/key has the `data` wrapper). The key itself never appears.
std::string key_info(const Runtime& rt, int key);

// Whether the key may use `model` (403 naming the model otherwise).
bool allows_model(const Runtime& rt, int key, std::string_view model, Error& error);

}  // namespace sy::gateway
