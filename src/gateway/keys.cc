#include "gateway/keys.h"

#include <algorithm>
#include <cmath>

#include "base/headers.h"
#include "json/json.h"

namespace sy::gateway {

Runtime::Runtime(std::shared_ptr<const config::Config> c) : config(std::move(c)) {
  for (const auto& k : config->keys) keys.push_back({health::Limiter({k.rpm, 0, 0})});
  budgets = std::make_unique<LocalBudgets>(*config);
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
  if (rt.budgets->shares_rpm(key)) return true;  // count_call() counts it
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

Verdict count_call(Runtime& rt, int key, double now, Error& error, uint32_t owner) {
  Verdict verdict = rt.budgets->count_call(key, now, owner);
  const config::GatewayKey& k = rt.config->keys[size_t(key)];
  if (verdict.kind == Verdict::Kind::refused) {
    error = {429, ErrorType::rate_limited,
             "this gateway key is over its limit of " + std::to_string(int64_t(k.rpm)) + " requests per minute",
             "key_rate_limited"};
    // When the key's object next lets a request go as things stand (its oldest leaves the window,
    // or a lease lapses unless renewed first); 60 s, the window, when the object did not say.
    error.retry_after_s = verdict.retry_after_ms >= 0 ? std::max(1.0, verdict.retry_after_ms / 1000) : 60;
  } else if (verdict.kind == Verdict::Kind::unavailable) {
    error = {503, ErrorType::provider_unavailable,
             "the rate limit of gateway key \"" + k.name + "\" cannot be checked right now (shared state unavailable); retry",
             "state_unavailable"};
    error.retry_after_s = 1;
  }
  return verdict;
}

namespace {

std::string dollars(double usd) {
  std::string out = "$";
  json::append_number(out, std::round(usd * 1e6) / 1e6);
  return out;
}

}  // namespace

bool within_budget(const Runtime& rt, int key, Error& error) {
  if (key < 0) return true;
  BudgetView v = rt.budgets->view(key);
  if (v.budget_usd <= 0 || v.remaining_usd() > 0) return true;
  error = {402, ErrorType::rate_limited,
           v.spent_usd >= v.budget_usd
               ? "this gateway key has used its budget of " + dollars(v.budget_usd)
               : "this gateway key has nothing left of its budget of " + dollars(v.budget_usd) +
                     " (spent and reserved by requests in flight)",
           "budget_exhausted"};
  return false;
}

Verdict reserve(Runtime& rt, int key, double usd, double now, Error& error, uint32_t owner) {
  if (key < 0) return {};
  Verdict verdict = rt.budgets->reserve(key, usd, now, owner);
  if (verdict.kind == Verdict::Kind::admitted) return verdict;
  if (verdict.kind == Verdict::Kind::pending) return verdict;  // the caller parks the request
  if (verdict.kind == Verdict::Kind::unavailable) {
    error = {503, ErrorType::provider_unavailable,
             "the budget of gateway key \"" + rt.config->keys[size_t(key)].name + "\" cannot be checked right now (shared state unavailable); retry",
             "state_unavailable"};
    error.retry_after_s = 1;
    return verdict;
  }
  double budget = rt.budgets->view(key).budget_usd;
  error = {402, ErrorType::rate_limited,
           "this gateway key has " + dollars(verdict.remaining_usd) + " of its " + dollars(budget) +
               " budget left (spent and reserved by requests in flight); this request may cost up to " + dollars(usd),
           "budget_exhausted"};
  return verdict;
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

namespace {

// Amounts are rounded to 12 decimals, so that sums of prices show as written (0.014, not
// 0.014000000000000006).
void member(std::string& out, std::string_view name, double value, bool present = true) {
  json::append_string(out, name);
  out += ':';
  if (present) json::append_number(out, std::round(value * 1e12) / 1e12);
  else out += "null";
  out += ',';
}

}  // namespace

std::string key_info(const Runtime& rt, int key) {
  const config::GatewayKey& k = rt.config->keys[size_t(key)];
  BudgetView v = rt.budgets->view(key);
  bool budgeted = v.budget_usd > 0;
  std::string out = "{\"data\":{\"name\":";
  json::append_string(out, k.name);
  out += ',';
  member(out, "budget_usd", v.budget_usd, budgeted);
  member(out, "spent_usd", v.spent_usd);
  member(out, "reserved_usd", v.reserved_usd);
  member(out, "remaining_usd", v.remaining_usd(), budgeted);
  out += "\"limits\":{";
  member(out, "rpm", k.rpm, k.rpm > 0);
  out.back() = '}';
  out += ",\"models\":[";
  for (size_t i = 0; i < k.models.size(); ++i) {
    if (i) out += ',';
    json::append_string(out, k.models[i]);
  }
  out += k.admin ? "],\"admin\":true}}" : "],\"admin\":false}}";
  return out;
}

}  // namespace sy::gateway
