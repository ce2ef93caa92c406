#include "gateway/keys.h"

#include <algorithm>

#include "base/headers.h"
#include "json/json.h"

namespace sy::gateway {

Runtime::Runtime(std::shared_ptr<const config::Config> c) : config(std::move(c)) {
  for (const auto& k : config->keys) keys.push_back({health::Limiter({k.rpm, 0, 0}), 0});
}

bool authenticate(Runtime& rt, std::string_view headers, double now, int& key, Error& error) {
  key = -1;
  const config::Config& config = *rt.config;
  if (config.keys.empty()) return true;
  std::string_view token = header(headers, "authorization");
  if (token.size() > 7 && (token.substr(0, 7) == "Bearer " || token.substr(0, 7) == "bearer "))
    token.remove_prefix(7);
  else
    token = header(headers, "x-api-key");
  if (token.empty()) {
    error = {401, ErrorType::auth, "missing gateway key: send Authorization: Bearer <key>", "missing_api_key"};
    return false;
  }
  const config::GatewayKey* found = config.find_key(token);
  if (!found) {
    error = {401, ErrorType::auth, "invalid gateway key", "invalid_api_key"};
    return false;
  }
  key = int(found - config.keys.data());
  health::Limiter& rpm = rt.keys[size_t(key)].rpm;
  if (!rpm.admits(now, 0)) {
    error = {429, ErrorType::rate_limited,
             "this gateway key is over its limit of " + std::to_string(int64_t(found->rpm)) + " requests per minute",
             "key_rate_limited"};
    error.retry_after_s = std::max(1.0, (rpm.next_free_at(now, 0) - now) / 1000);
    return false;
  }
  rpm.start(now, 0);
  rpm.finish(now, 0);
  return true;
}

bool within_budget(const Runtime& rt, int key, Error& error) {
  if (key < 0) return true;
  const config::GatewayKey& k = rt.config->keys[size_t(key)];
  if (k.budget_usd <= 0 || rt.keys[size_t(key)].spent_usd < k.budget_usd) return true;
  std::string budget;
  json::append_number(budget, k.budget_usd);
  error = {402, ErrorType::rate_limited, "this gateway key has used its budget of $" + budget, "budget_exhausted"};
  return false;
}

bool allows_model(const Runtime& rt, int key, std::string_view model, Error& error) {
  if (key < 0) return true;
  const auto& models = rt.config->keys[size_t(key)].models;
  if (std::any_of(models.begin(), models.end(), [&](const std::string& m) { return m == "*" || m == model; }))
    return true;
  error = {403, ErrorType::auth, "this gateway key may not use model \"" + std::string(model) + "\"",
           "model_not_allowed", "model"};
  return false;
}

}  // namespace sy::gateway
