// Gateway keys (SPEC section 4): who may call, at what rate, with which models, within which
// budget. State per key lives as long as the config that declared it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/errors.h"
#include "config/config.h"
#include "health/limiter.h"

namespace sy::gateway {

struct KeyState {
  health::Limiter rpm;
  double spent_usd = 0;  // in this process, since the config was loaded
};

// Everything the gateway keeps per installed config.
struct Runtime {
  explicit Runtime(std::shared_ptr<const config::Config> c);

  std::shared_ptr<const config::Config> config;
  std::vector<KeyState> keys;  // as config->keys
};

// The calling key: `Authorization: Bearer <key>` or `x-api-key`. With keys configured, a missing
// or unknown key is a 401 and a key over its rpm a 429 (each call counts); on success `key` is
// its index, or -1 when the config has no keys.
bool authenticate(Runtime& rt, std::string_view headers, double now, int& key, Error& error);

// A key whose spend reached its budget may not make model requests (402).
bool within_budget(const Runtime& rt, int key, Error& error);

// Whether the key may use `model` (403 naming the model otherwise).
bool allows_model(const Runtime& rt, int key, std::string_view model, Error& error);

}  // namespace sy::gateway
