#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include "cache/store.h"
#include "config/config.h"
#include "engine/errors.h"
#include "engine/rng.h"
#include "health/error_class.h"
#include "json/canonical.h"
#include "json/json.h"
#include "providers/echo.h"
#include "providers/provider.h"
#include "routing/router.h"
#include "services/service.h"

namespace sy::engine {

namespace {

using json::Value;
constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr size_t kMaxUpstreamBody = 32u << 20;

// Request members that never change the answer, left out of cache keys.
constexpr std::string_view kNotInCacheKey[] = {"stream", "stream_options", "user", "metadata", "switchyard",
                                               "session_id"};

std::string_view header(std::string_view headers, std::string_view name) {
  size_t at = 0;
  while (at < headers.size()) {
    size_t end = headers.find('\n', at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    at = end + 1;
    if (line.size() > name.size() && line[name.size()] == ':' && line.substr(0, name.size()) == name) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
      return v;
    }
  }
  return {};
}

enum class CacheMode { normal, no_store, refresh, only };

struct Runtime {
  explicit Runtime(std::shared_ptr<const config::Config> c)
      : config(std::move(c)),
        routing(*config),
        cache(size_t(config->cache.max_bytes),
              config->cache.policy == config::CachePolicy::lfu ? cache::Policy::lfu : cache::Policy::lru) {}
  std::shared_ptr<const config::Config> config;
  routing::RoutingState routing;
  cache::Store cache;
};

enum class Endpoint { chat, service };
enum class Phase { idle, backoff, fetching, streaming };

struct Call {
  uint32_t id = 0;
  std::shared_ptr<Runtime> rt;
  Endpoint endpoint = Endpoint::chat;
  std::string request_id;
  std::string completion_id;  // "chatcmpl-…", for answers a wire format synthesizes
  int64_t created = 0;
  json::Document body;
  std::string model;
  std::string tenant;
  bool stream = false;
  CacheMode cache_mode = CacheMode::normal;
  double cache_ttl_s = -1;
  bool cacheable = false;
  cache::Key key;

  std::vector<routing::Leaf> plan;
  size_t leaf = 0;
  int tries = 0;     // on the current leaf
  int attempts = 0;  // in all
  double timeout_ms = -1;  // the caller's whole-request deadline, relative
  double deadline = kNever;
  double wake_at = kNever;
  Phase phase = Phase::idle;

  uint32_t fetch_id = 0;
  int upstream_status = 0;
  double retry_after_ms = -1;
  std::string upstream_body;
  std::unique_ptr<providers::StreamDecoder> decoder;
  bool committed = false;  // a streaming RESPOND went out: no more failover
  bool has_error = false;
  Error last_error;
};

}  // namespace

struct Engine::Impl {
  explicit Impl(uint64_t seed) : rng(seed) {}

  Rng rng;
  ActionBatch batch;
  std::shared_ptr<Runtime> runtime;
  std::string last_error;
  std::unordered_map<uint32_t, std::unique_ptr<Call>> calls;
  std::unordered_map<uint32_t, uint32_t> fetches;  // fetch id -> request id
  uint32_t next_fetch_id = 1;
  double armed = kNever;  // the last WAKE_AT sent

  // ---- answering -------------------------------------------------------

  // The headers every answer carries (SPEC section 2); the target is left out
  // only when no target was chosen (the request failed before routing).
  static std::string answer_headers(std::string_view content_type, std::string_view request_id,
                                    std::string_view target, int attempts, std::string_view cache) {
    std::string h;
    h.reserve(160);
    h += "content-type: ";
    h.append(content_type);
    h += "\nx-switchyard-request-id: ";
    h.append(request_id);
    if (!target.empty()) {
      h += "\nx-switchyard-target: ";
      h.append(target);
    }
    h += "\nx-switchyard-attempts: " + std::to_string(attempts) + "\nx-switchyard-cache: ";
    h.append(cache);
    h += '\n';
    return h;
  }

  std::string target_of(const Call& call) {
    if (call.leaf >= call.plan.size() || !call.rt || call.attempts == 0) return {};
    const auto& leaf = call.plan[call.leaf];
    return call.rt->config->providers[size_t(leaf.provider)].name + "/" + std::string(leaf.model);
  }

  std::string response_headers(const Call& call, std::string_view content_type, std::string_view cache) {
    return answer_headers(content_type, call.request_id, target_of(call), call.attempts, cache);
  }

  void finish(Call& call) {
    if (call.fetch_id) {
      fetches.erase(call.fetch_id);
      call.fetch_id = 0;
    }
    calls.erase(call.id);
  }

  void respond_error(Call& call, const Error& error) {
    // After the last target failed, call.leaf is past the plan: name the last one tried.
    if (call.leaf == call.plan.size() && call.leaf > 0) --call.leaf;
    std::string h = response_headers(call, "application/json", "BYPASS");
    if (error.retry_after_s >= 0)
      h += "retry-after: " + std::to_string(int64_t(std::ceil(error.retry_after_s))) + "\n";
    batch.respond(call.id, error.status, false, h, error_body(error));
    finish(call);
  }

  void respond_json(Call& call, int status, std::string_view body, std::string_view cache_status = "BYPASS") {
    batch.respond(call.id, status, false, response_headers(call, "application/json", cache_status), body);
    finish(call);
  }

  // An answer that did not come from the engine's own routing (health, models).
  void respond_plain(uint32_t id, const std::string& request_id, int status, std::string_view body,
                     std::string_view extra_headers = {}) {
    std::string h = answer_headers("application/json", request_id, {}, 0, "BYPASS");
    h.append(extra_headers);
    batch.respond(id, status, false, h, body);
  }

  void respond_success(Call& call, const std::string& completion, std::string_view cache_status) {
    if (call.endpoint == Endpoint::service) respond_json(call, 200, services::answer(completion), cache_status);
    else respond_json(call, 200, completion, cache_status);
  }

  // ---- intake -----------------------------------------------------------

  std::string new_request_id() {
    static const char hex[] = "0123456789abcdef";
    std::string id = "req_";
    uint64_t r = rng.next();
    for (int i = 0; i < 16; ++i, r >>= 4) id += hex[r & 15];
    return id;
  }

  void submit(uint32_t id, std::string_view method, std::string_view path, std::string_view headers,
              std::string_view body, double now) {
    std::string request_id = new_request_id();
    path = path.substr(0, path.find('?'));
    if (path == "/health") {
      if (method != "GET" && method != "HEAD") return method_not_allowed(id, request_id, "GET");
      return respond_plain(id, request_id, 200, runtime ? "{\"status\":\"ok\"}" : "{\"status\":\"unconfigured\"}");
    }
    auto fail = [&](Error e) {
      respond_plain(id, request_id, e.status, error_body(e), e.status == 401 ? "www-authenticate: Bearer\n" : "");
    };
    if (!runtime) return fail({503, ErrorType::internal, "the gateway has no valid configuration", "not_configured"});
    const config::Config& config = *runtime->config;

    const config::GatewayKey* key = nullptr;
    if (!config.keys.empty()) {
      std::string_view token = header(headers, "authorization");
      if (token.size() > 7 && (token.substr(0, 7) == "Bearer " || token.substr(0, 7) == "bearer "))
        token.remove_prefix(7);
      else
        token = header(headers, "x-api-key");
      if (token.empty())
        return fail({401, ErrorType::auth, "missing gateway key: send Authorization: Bearer <key>", "missing_api_key"});
      key = config.find_key(token);
      if (!key) return fail({401, ErrorType::auth, "invalid gateway key", "invalid_api_key"});
    }
    if (body.size() > config.gateway.max_body_bytes || header(headers, "x-switchyard-body-truncated") == "1")
      return fail({413, ErrorType::invalid_request,
                   "request body is larger than " + std::to_string(config.gateway.max_body_bytes) + " bytes",
                   "body_too_large"});

    if (path == "/v1/models") {
      if (method != "GET") return method_not_allowed(id, request_id, "GET");
      return respond_plain(id, request_id, 200, models_list(config, key));
    }
    bool chat = path == "/v1/chat/completions";
    constexpr std::string_view service_prefix = "/v1/services/";
    bool service = path.substr(0, service_prefix.size()) == service_prefix && path.size() > service_prefix.size();
    if (!chat && !service) {
      constexpr std::string_view later[] = {"/v1/embeddings", "/v1/stats", "/metrics", "/v1/cache"};
      if (std::find(std::begin(later), std::end(later), path) != std::end(later) ||
          path.substr(0, 14) == "/v1/pipelines/")
        return fail({501, ErrorType::invalid_request, "route " + std::string(path) + " is not implemented yet",
                     "not_implemented"});
      return fail({404, ErrorType::invalid_request, "no route " + std::string(method) + " " + std::string(path),
                   "route_not_found"});
    }
    if (method != "POST") return method_not_allowed(id, request_id, "POST");

    auto call = std::make_unique<Call>();
    Call& c = *call;
    c.id = id;
    c.rt = runtime;
    c.request_id = std::move(request_id);
    c.tenant = key ? key->key : std::string();
    calls[id] = std::move(call);

    std::string parse_error;
    json::Document input;
    if (!json::parse(body, service ? input : c.body, parse_error))
      return respond_error(c, {400, ErrorType::invalid_request, "request body is not valid JSON: " + parse_error,
                               "invalid_json"});
    if (service) {
      std::string name(path.substr(service_prefix.size()));
      const config::Service* s = config.find_service(name);
      if (!s) return respond_error(c, {404, ErrorType::invalid_request, "unknown service \"" + name + "\"", "service_not_found"});
      if (!input.IsObject())
        return respond_error(c, {400, ErrorType::invalid_request, "service input must be a JSON object", "invalid_input"});
      std::string built;
      Error error;
      if (!services::build_request(*s, input, built, error)) return respond_error(c, error);
      c.endpoint = Endpoint::service;
      json::parse(built, c.body, parse_error);
    }
    if (Error error; !validate_chat(c, headers, key, error)) return respond_error(c, error);
    start(c, now);
  }

  void method_not_allowed(uint32_t id, const std::string& request_id, std::string_view allow) {
    Error e{405, ErrorType::invalid_request, "method not allowed; use " + std::string(allow), "method_not_allowed"};
    respond_plain(id, request_id, 405, error_body(e), "allow: " + std::string(allow) + "\n");
  }

  std::string models_list(const config::Config& config, const config::GatewayKey* key) {
    auto allowed = [&](const std::string& name) {
      return !key || std::any_of(key->models.begin(), key->models.end(),
                                 [&](const std::string& m) { return m == "*" || m == name; });
    };
    std::vector<std::string> names;
    for (const auto& m : config.models) names.push_back(m.name);
    auto add_leaves = [&](auto&& self, const config::Target& t) -> void {
      if (t.is_leaf()) names.push_back(config.providers[size_t(t.provider)].name + "/" + t.model);
      for (const auto& child : t.targets) self(self, child);
    };
    for (const auto& m : config.models) add_leaves(add_leaves, m.root);
    std::string out = "{\"object\":\"list\",\"data\":[";
    bool first = true;
    for (size_t i = 0; i < names.size(); ++i) {
      if (std::find(names.begin(), names.begin() + long(i), names[i]) != names.begin() + long(i) || !allowed(names[i]))
        continue;
      if (!first) out += ',';
      first = false;
      out += "{\"id\":";
      json::append_string(out, names[i]);
      out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"switchyard\"}";
    }
    out += "]}";
    return out;
  }

  bool validate_chat(Call& c, std::string_view headers, const config::GatewayKey* key, Error& error) {
    auto bad = [&](std::string param, std::string message, std::string code = "invalid_request") {
      error = {400, ErrorType::invalid_request, std::move(message), std::move(code), std::move(param)};
      return false;
    };
    const Value& body = c.body;
    if (!body.IsObject()) return bad("", "request body must be a JSON object", "invalid_json");
    const Value* model = json::find(body, "model");
    if (!model) return bad("model", "\"model\" is required", "missing_model");
    if (!model->IsString() || model->GetStringLength() == 0) return bad("model", "\"model\" must be a non-empty string");
    c.model = json::view(*model);
    const Value* messages = json::find(body, "messages");
    if (!messages) return bad("messages", "\"messages\" is required", "missing_messages");
    if (!messages->IsArray() || messages->Empty()) return bad("messages", "\"messages\" must be a non-empty array");
    constexpr std::string_view roles[] = {"system", "developer", "user", "assistant", "tool"};
    for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
      const Value& m = (*messages)[i];
      std::string at = "messages[" + std::to_string(i) + "]";
      if (!m.IsObject()) return bad(at, at + " must be an object");
      const Value* role = json::find(m, "role");
      if (!role || !role->IsString() ||
          std::find(std::begin(roles), std::end(roles), json::view(*role)) == std::end(roles))
        return bad(at + ".role", at + ".role must be one of system, developer, user, assistant, tool");
      const Value* content = json::find(m, "content");
      if (content && !content->IsString() && !content->IsArray() && !content->IsNull())
        return bad(at + ".content", at + ".content must be a string, an array of parts, or null");
    }
    if (const Value* s = json::find(body, "stream")) {
      if (!s->IsBool()) return bad("stream", "\"stream\" must be true or false");
      c.stream = s->GetBool();
    }

    // Switchyard's controls: headers, overridden by the body's "switchyard" object.
    std::string_view mode = header(headers, "x-switchyard-cache");
    std::string_view param = "x-switchyard-cache";
    double timeout_ms = -1;
    if (auto t = header(headers, "x-switchyard-timeout"); !t.empty()) {
      timeout_ms = std::atof(std::string(t).c_str());
      if (timeout_ms <= 0) return bad("x-switchyard-timeout", "x-switchyard-timeout must be a positive number of milliseconds");
    }
    if (auto t = header(headers, "x-switchyard-cache-ttl"); !t.empty()) {
      c.cache_ttl_s = std::atof(std::string(t).c_str());
      if (c.cache_ttl_s < 0) return bad("x-switchyard-cache-ttl", "x-switchyard-cache-ttl must be seconds >= 0");
    }
    if (const Value* sy = json::find(body, "switchyard")) {
      if (!sy->IsObject()) return bad("switchyard", "\"switchyard\" must be an object");
      if (const Value* m = json::find(*sy, "cache")) {
        if (!m->IsString()) return bad("switchyard.cache", "switchyard.cache must be a string");
        mode = json::view(*m);
        param = "switchyard.cache";
      }
      if (const Value* t = json::find(*sy, "timeout_ms")) {
        if (!t->IsNumber() || t->GetDouble() <= 0) return bad("switchyard.timeout_ms", "switchyard.timeout_ms must be a positive number");
        timeout_ms = t->GetDouble();
      }
      if (const Value* t = json::find(*sy, "cache_ttl_s")) {
        if (!t->IsNumber() || t->GetDouble() < 0) return bad("switchyard.cache_ttl_s", "switchyard.cache_ttl_s must be a number >= 0");
        c.cache_ttl_s = t->GetDouble();
      }
      if (const Value* p = json::find(*sy, "priority"); p && (!p->IsInt() || p->GetInt() < 0 || p->GetInt() > 9))
        return bad("switchyard.priority", "switchyard.priority must be a whole number from 0 to 9");
      if (const Value* m = json::find(*sy, "metadata"); m && !m->IsObject())
        return bad("switchyard.metadata", "switchyard.metadata must be an object");
    }
    if (mode.empty() || mode == "default") c.cache_mode = CacheMode::normal;
    else if (mode == "no-store") c.cache_mode = CacheMode::no_store;
    else if (mode == "refresh") c.cache_mode = CacheMode::refresh;
    else if (mode == "only") c.cache_mode = CacheMode::only;
    else return bad(std::string(param), std::string(param) + " must be one of default, no-store, refresh, only");
    c.timeout_ms = timeout_ms;

    if (key && std::none_of(key->models.begin(), key->models.end(),
                            [&](const std::string& m) { return m == "*" || m == c.model; })) {
      error = {403, ErrorType::auth, "this gateway key may not use model \"" + c.model + "\"", "model_not_allowed", "model"};
      return false;
    }
    if (!routing::plan(*c.rt->config, c.rt->routing, rng, c.model, c.plan)) {
      error = {404, ErrorType::invalid_request,
               "unknown model \"" + c.model + "\": configure it under models, or write provider/model",
               "model_not_found", "model"};
      return false;
    }
    return true;
  }

  cache::Key cache_key(const Call& c) {
    std::vector<std::pair<std::string_view, const Value*>> members;
    for (auto& m : c.body.GetObject()) {
      std::string_view name = json::view(m.name);
      if (std::find(std::begin(kNotInCacheKey), std::end(kNotInCacheKey), name) == std::end(kNotInCacheKey))
        members.emplace_back(name, &m.value);
    }
    std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.first < b.first; });
    json::Hasher h;
    h.update(c.tenant);
    h.update(std::string_view("\0/v1/chat/completions\0", 22));
    std::string part;
    for (auto& [name, value] : members) {
      part.clear();
      json::append_string(part, name);
      part += ':';
      json::write_canonical(*value, part);
      part += ',';
      h.update(part);
    }
    json::Hash128 hash = h.finish();
    return {hash.hi, hash.lo};
  }

  void start(Call& c, double now) {
    c.completion_id = "chatcmpl-" + c.request_id.substr(4);
    c.created = int64_t(now / 1000);
    if (c.timeout_ms > 0) c.deadline = now + c.timeout_ms;
    const config::Config& config = *c.rt->config;
    // Streams are not cached yet: they always go upstream.
    c.cacheable = config.cache.enabled && !c.stream && c.cache_mode != CacheMode::no_store;
    if (c.cacheable) {
      c.key = cache_key(c);
      if (c.cache_mode != CacheMode::refresh) {
        if (const std::string* hit = c.rt->cache.get(c.key, now)) {
          size_t cut = hit->find('\n');
          std::string headers = answer_headers("application/json", c.request_id, hit->substr(0, cut), 0, "HIT");
          std::string body = c.endpoint == Endpoint::service ? services::answer(std::string_view(*hit).substr(cut + 1))
                                                             : hit->substr(cut + 1);
          batch.respond(c.id, 200, false, headers, body);
          return finish(c);
        }
      }
    }
    if (c.cache_mode == CacheMode::only)
      return respond_error(c, {504, ErrorType::cache_miss_offline,
                               "cache-only request and no cached answer for it", "cache_miss"});
    attempt(c, now);
  }

  // ---- attempts ---------------------------------------------------------

  const config::Provider& provider_of(const Call& c) {
    return c.rt->config->providers[size_t(c.plan[c.leaf].provider)];
  }

  void attempt(Call& c, double now) {
    if (c.leaf >= c.plan.size()) {
      if (c.has_error) return respond_error(c, c.last_error);
      return respond_error(c, {503, ErrorType::no_healthy_target, "no target could serve model \"" + c.model + "\"",
                               "no_healthy_target"});
    }
    const routing::Leaf& leaf = c.plan[c.leaf];
    const config::Provider& provider = provider_of(c);
    const providers::WireFormat* format = providers::wire_format(provider.type);
    ++c.attempts;
    ++c.tries;
    c.upstream_status = 0;
    c.retry_after_ms = -1;
    c.upstream_body.clear();
    c.decoder.reset();
    if (provider.type == config::ProviderType::echo) {
      std::string answer = providers::echo::answer(c.body, leaf.model, c.completion_id, c.created, c.stream);
      uint32_t id = c.id;
      c.phase = Phase::fetching;
      on_head(c, 200);
      on_bytes(c, answer, now);  // a stream finishes here, destroying c
      if (auto it = calls.find(id); it != calls.end()) on_end(*it->second, now);
      return;
    }
    providers::UpstreamRequest up;
    format->encode({provider, leaf.model, c.body, leaf.overrides, c.stream}, up);
    c.fetch_id = next_fetch_id++;
    fetches[c.fetch_id] = c.id;
    c.phase = Phase::fetching;
    double timeout = provider.timeout_ms > 0 ? provider.timeout_ms : c.rt->config->timeout_ms;
    c.wake_at = std::min(now + timeout, c.deadline);
    batch.fetch(c.fetch_id, c.id, c.stream, up.method, up.url, up.headers, up.body);
  }

  providers::DecodeContext decode_context(const Call& c) {
    const Value* options = json::find(c.body, "stream_options");
    const Value* usage = options ? json::find(*options, "include_usage") : nullptr;
    return {provider_of(c), c.plan[c.leaf].model, c.completion_id, c.created, usage && usage->IsTrue()};
  }

  void on_head(Call& c, int status) {
    c.upstream_status = status;
    if (c.stream && status >= 200 && status < 300)
      c.decoder = providers::wire_format(provider_of(c).type)->stream(decode_context(c));
  }

  void on_bytes(Call& c, std::string_view bytes, double now) {
    if (!c.decoder) {
      if (c.upstream_body.size() + bytes.size() > kMaxUpstreamBody) {
        abort_fetch(c);
        return failed(c, health::Outcome::malformed,
                      {502, ErrorType::provider_unavailable, "upstream answer is larger than 32 MiB", "bad_upstream_response"},
                      0, now);
      }
      c.upstream_body.append(bytes);
      return;
    }
    std::string events;
    auto state = c.decoder->feed(bytes, events);
    if (!events.empty()) {
      if (!c.committed) {
        c.committed = true;
        c.phase = Phase::streaming;
        c.wake_at = kNever;  // only the whole-request deadline applies once streaming
        std::string h = response_headers(c, "text/event-stream", "BYPASS");
        h += "cache-control: no-cache\n";
        batch.respond(c.id, 200, true, h, {});
      }
      batch.stream_chunk(c.id, events);
    }
    if (state == providers::StreamDecoder::State::done) {
      batch.stream_chunk(c.id, "data: [DONE]\n\n");
      batch.stream_end(c.id);
      abort_fetch(c);
      finish(c);
    } else if (state == providers::StreamDecoder::State::failed) {
      abort_fetch(c);
      failed(c, health::Outcome::malformed, c.decoder->error(), 0, now);
    }
  }

  void on_end(Call& c, double now) {
    if (c.decoder) {
      if (c.decoder->finish() == providers::StreamDecoder::State::failed)
        failed(c, health::Outcome::malformed, c.decoder->error(), 0, now);
      return;
    }
    const config::Provider& provider = provider_of(c);
    fetches.erase(c.fetch_id);
    c.fetch_id = 0;
    auto decoded = providers::wire_format(provider.type)->decode(c.upstream_status, c.upstream_body, decode_context(c));
    if (!decoded.ok) {
      if (c.retry_after_ms >= 0) decoded.error.retry_after_s = c.retry_after_ms / 1000;
      return failed(c, decoded.outcome, decoded.error, c.upstream_status, now);
    }
    const char* cache_status = c.cacheable ? "MISS" : "BYPASS";
    if (c.cacheable) {
      const auto& leaf = c.plan[c.leaf];
      std::string value = provider.name + "/" + std::string(leaf.model) + "\n" + decoded.body;
      double ttl = c.cache_ttl_s >= 0 ? c.cache_ttl_s : c.rt->config->cache.ttl_s;
      if (ttl > 0) c.rt->cache.put(c.key, std::move(value), now + ttl * 1000, now);
    }
    respond_success(c, decoded.body, cache_status);
  }

  void abort_fetch(Call& c) {
    if (!c.fetch_id) return;
    batch.fetch_abort(c.fetch_id);
    fetches.erase(c.fetch_id);
    c.fetch_id = 0;
  }

  // An attempt failed: retry, fall back or answer, per the error-class table.
  void failed(Call& c, health::Outcome outcome, Error error, int upstream_status, double now) {
    if (c.committed) {
      // Bytes reached the caller: end the stream with an error chunk.
      std::string chunk = "data: {\"object\":\"chat.completion.chunk\",\"model\":";
      json::append_string(chunk, c.plan[c.leaf].model);
      chunk += ",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}],\"error\":";
      std::string body = error_body(error);
      chunk.append(body, 9, body.size() - 10);  // the inside of {"error":...}
      chunk += "}\n\ndata: [DONE]\n\n";
      batch.stream_chunk(c.id, chunk);
      batch.stream_end(c.id);
      abort_fetch(c);
      return finish(c);
    }
    c.last_error = std::move(error);
    c.has_error = true;
    c.phase = Phase::idle;
    c.wake_at = kNever;
    const config::Config& config = *c.rt->config;
    auto decision = health::decide(outcome, upstream_status, config.retry.on_status);
    if (decision == health::Decision::return_now) return respond_error(c, c.last_error);
    if (decision == health::Decision::retry_same && c.tries <= config.retry.attempts) {
      // Exponential backoff with full jitter; Retry-After wins when longer (capped).
      double ceiling = std::min(config.retry.max_backoff_ms, config.retry.backoff_ms * std::ldexp(1.0, c.tries - 1));
      double delay = rng.uniform() * ceiling;
      if (c.retry_after_ms >= 0) delay = std::max(delay, std::min(c.retry_after_ms, config.retry.max_backoff_ms));
      if (now + delay < c.deadline) {
        c.phase = Phase::backoff;
        c.wake_at = now + delay;
        return;
      }
    }
    ++c.leaf;
    c.tries = 0;
    attempt(c, now);
  }

  Call* call_of_fetch(uint32_t fetch_id) {
    auto f = fetches.find(fetch_id);
    if (f == fetches.end()) return nullptr;
    auto c = calls.find(f->second);
    return c == calls.end() ? nullptr : c->second.get();
  }

  void timer(double now) {
    std::vector<uint32_t> due;
    for (auto& [id, call] : calls)
      if (call->wake_at <= now || call->deadline <= now) due.push_back(id);
    for (uint32_t id : due) {
      auto it = calls.find(id);
      if (it == calls.end()) continue;
      Call& c = *it->second;
      if (c.deadline <= now) {
        abort_fetch(c);
        Error e{504, ErrorType::timeout, "request deadline passed after " + std::to_string(c.attempts) + " attempt(s)",
                "deadline_exceeded"};
        if (c.committed) failed(c, health::Outcome::timeout, e, 0, now);
        else respond_error(c, e);
      } else if (c.phase == Phase::backoff) {
        c.wake_at = kNever;
        attempt(c, now);
      } else if (c.phase == Phase::fetching) {
        abort_fetch(c);
        failed(c, health::Outcome::timeout,
               {408, ErrorType::timeout, "upstream " + provider_of(c).name + " did not answer in time", "upstream_timeout"},
               0, now);
      }
    }
  }

  // Called after every event: tells the host when to wake us next.
  void arm() {
    double next = kNever;
    for (auto& [id, call] : calls) next = std::min({next, call->wake_at, call->deadline});
    if (next != armed && next != kNever) batch.wake_at(next);
    armed = next;
  }
};

Engine::Engine(uint64_t seed) : impl_(std::make_unique<Impl>(seed)) {}
Engine::~Engine() = default;

bool Engine::configure(std::string_view config_json, std::string_view env_json) {
  std::vector<config::Problem> problems;
  auto config = config::load(config_json, env_json, problems);
  if (!config) {
    std::string list = "\"errors\":[";
    for (size_t i = 0; i < problems.size(); ++i) {
      if (i) list += ',';
      list += "{\"path\":";
      json::append_string(list, problems[i].path);
      list += ",\"message\":";
      json::append_string(list, problems[i].message);
      list += '}';
    }
    list += ']';
    std::string summary = "invalid config: " + std::to_string(problems.size()) + " problem(s); first: " +
                          (problems[0].path.empty() ? "" : problems[0].path + ": ") + problems[0].message;
    Error error{400, ErrorType::invalid_request, summary, "invalid_config"};
    error.metadata_json = std::move(list);
    impl_->last_error = error_body(error);
    return false;
  }
  impl_->runtime = std::make_shared<Runtime>(std::move(config));
  impl_->last_error.clear();
  return true;
}

const std::string& Engine::last_error() const { return impl_->last_error; }

void Engine::submit(uint32_t request_id, std::string_view method, std::string_view path, std::string_view headers,
                    std::string_view body, double now_ms) {
  impl_->batch.clear();
  impl_->submit(request_id, method, path, headers, body, now_ms);
  impl_->arm();
}

void Engine::cancel(uint32_t request_id, double) {
  impl_->batch.clear();
  if (auto it = impl_->calls.find(request_id); it != impl_->calls.end()) {
    impl_->abort_fetch(*it->second);
    impl_->finish(*it->second);
  }
  impl_->arm();
}

void Engine::fetch_response(uint32_t fetch_id, int status, std::string_view headers, double now_ms) {
  impl_->batch.clear();
  if (Call* c = impl_->call_of_fetch(fetch_id)) {
    if (auto ra = header(headers, "retry-after"); !ra.empty()) {
      double seconds = std::atof(std::string(ra).c_str());
      if (seconds >= 0 && ra.find_first_not_of("0123456789. ") == std::string_view::npos)
        c->retry_after_ms = seconds * 1000;
    }
    (void)now_ms;
    impl_->on_head(*c, status);
  }
  impl_->arm();
}

void Engine::fetch_body(uint32_t fetch_id, std::string_view bytes, double now_ms) {
  impl_->batch.clear();
  if (Call* c = impl_->call_of_fetch(fetch_id)) impl_->on_bytes(*c, bytes, now_ms);
  impl_->arm();
}

void Engine::fetch_end(uint32_t fetch_id, double now_ms) {
  impl_->batch.clear();
  if (Call* c = impl_->call_of_fetch(fetch_id)) impl_->on_end(*c, now_ms);
  impl_->arm();
}

void Engine::fetch_error(uint32_t fetch_id, std::string_view message, double now_ms) {
  impl_->batch.clear();
  if (Call* c = impl_->call_of_fetch(fetch_id)) {
    impl_->fetches.erase(fetch_id);
    c->fetch_id = 0;
    std::string text(message.substr(0, 300));
    providers::redact(impl_->provider_of(*c), text);
    impl_->failed(*c, health::Outcome::network_error,
                  {502, ErrorType::provider_unavailable, "upstream " + impl_->provider_of(*c).name + " unreachable: " + text,
                   "upstream_unreachable"},
                  0, now_ms);
  }
  impl_->arm();
}

void Engine::timer(double now_ms) {
  impl_->batch.clear();
  impl_->timer(now_ms);
  impl_->armed = kNever;  // the host's timer has fired: re-arm whatever remains
  impl_->arm();
}

ActionBatch& Engine::batch() { return impl_->batch; }
size_t Engine::in_flight() const { return impl_->calls.size(); }

}  // namespace sy::engine
