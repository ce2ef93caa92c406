// The HTTP front of the engine: routes, gateway keys, request validation and
// request-level routing (models[], provider{}, :floor/:nitro, session_id).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cctype>
#include <cstring>

#include "engine/internal.h"
#include "providers/echo.h"
#include "services/service.h"

namespace sy::engine {

namespace {

using json::Value;

double number_of(std::string_view text) { return text.empty() ? -1 : std::atof(std::string(text).c_str()); }

// A 400 naming the field at fault.
bool bad(Error& error, std::string param, std::string message, std::string code = "invalid_request") {
  error = {400, ErrorType::invalid_request, std::move(message), std::move(code), std::move(param)};
  return false;
}

bool string_list(const Value& v, std::vector<std::string>& out) {
  if (!v.IsArray()) return false;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) return false;
    out.emplace_back(json::view(e));
  }
  return true;
}

}  // namespace

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

std::string Engine::Impl::new_request_id() {
  static const char hex[] = "0123456789abcdef";
  std::string id = "req_";
  uint64_t r = rng.next();
  for (int i = 0; i < 16; ++i, r >>= 4) id += hex[r & 15];
  return id;
}

void Engine::Impl::method_not_allowed(uint32_t id, const std::string& request_id, std::string_view allow) {
  Error e{405, ErrorType::invalid_request, "method not allowed; use " + std::string(allow), "method_not_allowed"};
  respond_plain(id, request_id, 405, error_body(e), "allow: " + std::string(allow) + "\n");
}

namespace {

// The value of `name` in a query string ("a=1&b=2"), %-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name) {
  size_t at = 0;
  while (at <= query.size()) {
    size_t end = query.find('&', at);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(at, end - at);
    at = end + 1;
    if (pair.substr(0, name.size()) != name || pair.size() <= name.size() || pair[name.size()] != '=') continue;
    std::string out;
    std::string_view v = pair.substr(name.size() + 1);
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '+') out += ' ';
      else if (v[i] == '%' && i + 2 < v.size()) {
        out += char(std::strtol(std::string(v.substr(i + 1, 2)).c_str(), nullptr, 16));
        i += 2;
      } else out += v[i];
    }
    return out;
  }
  return {};
}

}  // namespace

void Engine::Impl::submit(uint32_t id, std::string_view method, std::string_view target, std::string_view headers,
                          std::string_view body, double now) {
  std::string request_id = new_request_id();
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (method == "OPTIONS") {
    // A CORS preflight (no credentials by design): allowed origins get the CORS answer.
    std::string allow = cors_headers(headers, true);
    if (!header(headers, "origin").empty() && allow.empty())
      return respond_plain(id, request_id, 403,
                           error_body({403, ErrorType::auth, "this origin may not call the gateway (gateway.cors)",
                                       "origin_not_allowed"}));
    return respond(id, 204, false, "allow: GET, POST, PUT, DELETE, OPTIONS\n" + allow, {});
  }
  if (std::string h = cors_headers(headers, false); !h.empty()) cors[id] = std::move(h);
  if (path == "/health") {
    if (method != "GET" && method != "HEAD") return method_not_allowed(id, request_id, "GET");
    return respond_plain(id, request_id, 200, runtime ? "{\"status\":\"ok\"}" : "{\"status\":\"unconfigured\"}");
  }
  auto fail = [&](Error e) {
    std::string extra = e.status == 401 ? "www-authenticate: Bearer\n" : "";
    if (e.retry_after_s >= 0) extra += "retry-after: " + std::to_string(int64_t(std::ceil(e.retry_after_s))) + "\n";
    respond_plain(id, request_id, e.status, error_body(e), extra);
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
    // The key's own request rate: every request it makes counts.
    health::Limiter& rpm = runtime->keys[size_t(key - config.keys.data())].rpm;
    if (!rpm.admits(now, 0)) {
      Error e{429, ErrorType::rate_limited,
              "this gateway key is over its limit of " + std::to_string(int64_t(key->rpm)) + " requests per minute",
              "key_rate_limited"};
      e.retry_after_s = std::max(1.0, (rpm.next_free_at(now, 0) - now) / 1000);
      return fail(e);
    }
    rpm.start(now, 0);
    rpm.finish(now, 0);
  }
  if (body.size() > config.gateway.max_body_bytes || header(headers, "x-switchyard-body-truncated") == "1")
    return fail({413, ErrorType::invalid_request,
                 "request body is larger than " + std::to_string(config.gateway.max_body_bytes) + " bytes",
                 "body_too_large"});

  Endpoint endpoint;
  std::string service_name;
  constexpr std::string_view service_prefix = "/v1/services/";
  if (path == "/v1/models") {
    if (method != "GET") return method_not_allowed(id, request_id, "GET");
    std::string provider = query_param(query, "provider");
    if (provider.empty()) return respond_plain(id, request_id, 200, models_list(config, key));
    endpoint = Endpoint::models;
    service_name = std::move(provider);
  } else if (path == "/v1/stats" || path == "/metrics") {
    if (method != "GET") return method_not_allowed(id, request_id, "GET");
    bool prometheus = path == "/metrics";
    std::string h = answer_headers(prometheus ? "text/plain; version=0.0.4" : "application/json", request_id, {}, 0,
                                   "BYPASS");
    return respond(id, 200, false, h, stats_rows(prometheus, now));
  } else if (path == "/v1/cache") {
    if (key && !key->admin)
      return fail({403, ErrorType::auth, "cache snapshots need a gateway key marked \"admin\": true", "admin_only"});
    return cache_route(id, request_id, method, query, body, now);
  } else if (path == "/v1/chat/completions" || path == "/v1/embeddings") {
    if (method != "POST") return method_not_allowed(id, request_id, "POST");
    endpoint = path == "/v1/embeddings" ? Endpoint::embeddings : Endpoint::chat;
  } else if (path.substr(0, service_prefix.size()) == service_prefix && path.size() > service_prefix.size()) {
    if (method != "POST") return method_not_allowed(id, request_id, "POST");
    endpoint = Endpoint::service;
    service_name = path.substr(service_prefix.size());
  } else if (path.substr(0, 14) == "/v1/pipelines/") {
    return fail({501, ErrorType::invalid_request, "route " + std::string(path) + " is not implemented yet",
                 "not_implemented"});
  } else {
    return fail({404, ErrorType::invalid_request, "no route " + std::string(method) + " " + std::string(path),
                 "route_not_found"});
  }

  if (key && key->budget_usd > 0 && endpoint != Endpoint::models) {
    double spent = runtime->keys[size_t(key - config.keys.data())].spent_usd;
    if (spent >= key->budget_usd) {
      std::string budget;
      json::append_number(budget, key->budget_usd);
      return fail({402, ErrorType::rate_limited, "this gateway key has used its budget of $" + budget, "budget_exhausted"});
    }
  }

  auto owned = std::make_unique<Call>();
  Call& c = *owned;
  c.key_index = key ? int(key - config.keys.data()) : -1;
  c.id = id;
  c.rt = runtime;
  c.endpoint = endpoint;
  c.request_id = std::move(request_id);
  c.tenant = key ? key->key : std::string();
  calls[id] = std::move(owned);

  if (endpoint == Endpoint::models) {
    int provider = config.find_provider(service_name);
    if (provider < 0)
      return respond_error(c, {404, ErrorType::invalid_request, "unknown provider \"" + service_name + "\"",
                               "provider_not_found", "provider"});
    c.provider_query = std::move(service_name);
    c.model = c.provider_query + "/*";
    c.plan.push_back({provider, "", direct_target(*c.rt, provider, "*"), {}});
    c.body.SetObject();
    return start(c, now);
  }

  std::string parse_error;
  json::Document input;
  if (!json::parse(body, endpoint == Endpoint::service ? input : c.body, parse_error))
    return respond_error(c, {400, ErrorType::invalid_request, "request body is not valid JSON: " + parse_error,
                             "invalid_json"});
  if (endpoint == Endpoint::service) {
    const config::Service* s = config.find_service(service_name);
    if (!s)
      return respond_error(c, {404, ErrorType::invalid_request, "unknown service \"" + service_name + "\"",
                               "service_not_found"});
    if (!input.IsObject())
      return respond_error(c, {400, ErrorType::invalid_request, "service input must be a JSON object", "invalid_input"});
    std::string built;
    Error error;
    if (!services::build_request(*s, input, built, error)) return respond_error(c, error);
    json::parse(built, c.body, parse_error);
    c.body_text = std::move(built);
  } else {
    c.body_text = body;
  }
  Error error;
  bool ok = endpoint == Endpoint::embeddings ? validate_embeddings(c, headers, key, now, error)
                                            : validate_chat(c, headers, key, now, error);
  if (!ok) return respond_error(c, error);
  start(c, now);
}

std::string Engine::Impl::cors_headers(std::string_view headers, bool preflight) {
  std::string_view origin = header(headers, "origin");
  if (!runtime || origin.empty()) return {};
  const auto& origins = runtime->config->gateway.cors_origins;
  bool listed = std::find(origins.begin(), origins.end(), origin) != origins.end();
  if (!listed && std::find(origins.begin(), origins.end(), "*") == origins.end()) return {};
  std::string h = "access-control-allow-origin: " + std::string(listed ? origin : "*") + "\nvary: origin\n";
  if (!preflight)
    return h + "access-control-expose-headers: x-switchyard-request-id, x-switchyard-target, x-switchyard-attempts, "
               "x-switchyard-cache, retry-after\n";
  // The headers the page asked to send, when they are plain header names.
  std::string_view asked = header(headers, "access-control-request-headers");
  bool plain = std::all_of(asked.begin(), asked.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == ',' || ch == ' ';
  });
  h += "access-control-allow-methods: GET, POST, PUT, DELETE, OPTIONS\n";
  h += "access-control-allow-headers: ";
  h += !asked.empty() && plain ? std::string(asked) : "authorization, content-type, x-api-key, x-switchyard-cache, x-switchyard-cache-ttl, x-switchyard-priority, x-switchyard-timeout, x-switchyard-metadata";
  h += "\naccess-control-max-age: " + std::to_string(int64_t(runtime->config->gateway.cors_max_age_s)) + "\n";
  return h;
}

bool Engine::Impl::allowed(const config::GatewayKey* key, const Call& c, Error& error) {
  if (!key || std::any_of(key->models.begin(), key->models.end(),
                          [&](const std::string& m) { return m == "*" || m == c.model; }))
    return true;
  error = {403, ErrorType::auth, "this gateway key may not use model \"" + c.model + "\"", "model_not_allowed", "model"};
  return false;
}

// model / models, and Switchyard's controls: headers, overridden by the body's "switchyard" object.
bool Engine::Impl::read_controls(Call& c, std::string_view headers, Error& error) {
  const Value& body = c.body;
  if (!body.IsObject()) return bad(error, "", "request body must be a JSON object", "invalid_json");
  const Value* model = json::find(body, "model");
  const Value* models = json::find(body, "models");
  if (models && (!models->IsArray() || std::any_of(models->Begin(), models->End(), [](auto& m) {
                   return !m.IsString() || m.GetStringLength() == 0;
                 })))
    return bad(error, "models", "\"models\" must be an array of model names");
  if (!model && models && !models->Empty()) model = &(*models)[0];
  if (!model) return bad(error, "model", "\"model\" is required", "missing_model");
  if (!model->IsString() || model->GetStringLength() == 0)
    return bad(error, "model", "\"model\" must be a non-empty string");
  c.model = json::view(*model);

  std::string_view mode = header(headers, "x-switchyard-cache");
  std::string_view param = "x-switchyard-cache";
  if (auto t = header(headers, "x-switchyard-timeout"); !t.empty() && (c.timeout_ms = number_of(t)) <= 0)
    return bad(error, "x-switchyard-timeout", "x-switchyard-timeout must be a positive number of milliseconds");
  if (auto t = header(headers, "x-switchyard-cache-ttl"); !t.empty() && (c.cache_ttl_s = number_of(t)) < 0)
    return bad(error, "x-switchyard-cache-ttl", "x-switchyard-cache-ttl must be seconds >= 0");
  if (auto p = header(headers, "x-switchyard-priority"); !p.empty()) {
    if (p.size() != 1 || p[0] < '0' || p[0] > '9')
      return bad(error, "x-switchyard-priority", "x-switchyard-priority must be a whole number from 0 to 9");
    c.priority = p[0] - '0';
  }
  if (auto m = header(headers, "x-switchyard-metadata"); !m.empty()) {
    std::string parse_error;
    if (!json::parse(m, c.metadata, parse_error) || !c.metadata.IsObject())
      return bad(error, "x-switchyard-metadata", "x-switchyard-metadata must be a JSON object");
  }
  if (const Value* sy = json::find(body, "switchyard")) {
    if (!sy->IsObject()) return bad(error, "switchyard", "\"switchyard\" must be an object");
    if (const Value* m = json::find(*sy, "cache")) {
      if (!m->IsString()) return bad(error, "switchyard.cache", "switchyard.cache must be a string");
      mode = json::view(*m);
      param = "switchyard.cache";
    }
    if (const Value* t = json::find(*sy, "timeout_ms")) {
      if (!t->IsNumber() || t->GetDouble() <= 0)
        return bad(error, "switchyard.timeout_ms", "switchyard.timeout_ms must be a positive number");
      c.timeout_ms = t->GetDouble();
    }
    if (const Value* t = json::find(*sy, "cache_ttl_s")) {
      if (!t->IsNumber() || t->GetDouble() < 0)
        return bad(error, "switchyard.cache_ttl_s", "switchyard.cache_ttl_s must be a number >= 0");
      c.cache_ttl_s = t->GetDouble();
    }
    if (const Value* p = json::find(*sy, "priority")) {
      if (!p->IsInt() || p->GetInt() < 0 || p->GetInt() > 9)
        return bad(error, "switchyard.priority", "switchyard.priority must be a whole number from 0 to 9");
      c.priority = p->GetInt();
    }
    if (const Value* m = json::find(*sy, "metadata")) {
      if (!m->IsObject()) return bad(error, "switchyard.metadata", "switchyard.metadata must be an object");
      c.metadata.CopyFrom(*m, c.metadata.GetAllocator());
    }
  }
  if (mode.empty() || mode == "default") c.cache_mode = CacheMode::normal;
  else if (mode == "no-store") c.cache_mode = CacheMode::no_store;
  else if (mode == "refresh") c.cache_mode = CacheMode::refresh;
  else if (mode == "only") c.cache_mode = CacheMode::only;
  else return bad(error, std::string(param), std::string(param) + " must be one of default, no-store, refresh, only");
  return true;
}

bool Engine::Impl::validate_chat(Call& c, std::string_view headers, const config::GatewayKey* key, double now,
                                 Error& error) {
  if (!read_controls(c, headers, error)) return false;
  const Value& body = c.body;
  const Value* messages = json::find(body, "messages");
  if (!messages) return bad(error, "messages", "\"messages\" is required", "missing_messages");
  if (!messages->IsArray() || messages->Empty()) return bad(error, "messages", "\"messages\" must be a non-empty array");
  constexpr std::string_view roles[] = {"system", "developer", "user", "assistant", "tool"};
  for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
    const Value& m = (*messages)[i];
    std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.IsObject()) return bad(error, at, at + " must be an object");
    const Value* role = json::find(m, "role");
    if (!role || !role->IsString() || std::find(std::begin(roles), std::end(roles), json::view(*role)) == std::end(roles))
      return bad(error, at + ".role", at + ".role must be one of system, developer, user, assistant, tool");
    const Value* content = json::find(m, "content");
    if (content && !content->IsString() && !content->IsArray() && !content->IsNull())
      return bad(error, at + ".content", at + ".content must be a string, an array of parts, or null");
  }
  if (const Value* s = json::find(body, "stream")) {
    if (!s->IsBool()) return bad(error, "stream", "\"stream\" must be true or false");
    c.stream = s->GetBool();
  }
  if (const Value* s = json::find(body, "session_id")) {
    if (!s->IsString()) return bad(error, "session_id", "\"session_id\" must be a string");
    c.session = c.tenant + '\0' + std::string(json::view(*s));
  }
  if (!allowed(key, c, error)) return false;
  if (c.rt->config->needs_prompt_tokens) c.prompt_tokens = providers::echo::prompt_tokens(body);
  return route(c, json::find(body, "models"), json::find(body, "provider"), now, error);
}

bool Engine::Impl::validate_embeddings(Call& c, std::string_view headers, const config::GatewayKey* key, double now,
                                       Error& error) {
  if (!read_controls(c, headers, error)) return false;
  const Value& body = c.body;
  const Value* input = json::find(body, "input");
  if (!input) return bad(error, "input", "\"input\" is required", "missing_input");
  auto tokens = [](const Value& v) {
    return v.IsArray() && !v.Empty() && std::all_of(v.Begin(), v.End(), [](auto& t) { return t.IsUint(); });
  };
  bool ok = (input->IsString() && input->GetStringLength() > 0) || tokens(*input) ||
            (input->IsArray() && !input->Empty() && std::all_of(input->Begin(), input->End(), [&](auto& e) {
               return (e.IsString() && e.GetStringLength() > 0) || tokens(e);
             }));
  if (!ok)
    return bad(error, "input",
               "\"input\" must be a non-empty string, an array of non-empty strings, or token arrays");
  c.token_input = tokens(*input) || (input->IsArray() && tokens((*input)[0]));
  // The prompt estimate of the texts (token arrays count one per id).
  if (input->IsString()) c.prompt_tokens = providers::echo::estimate_tokens(json::view(*input));
  for (rapidjson::SizeType i = 0; input->IsArray() && i < input->Size(); ++i) {
    const Value& e = (*input)[i];
    c.prompt_tokens += e.IsString() ? providers::echo::estimate_tokens(json::view(e)) : e.IsArray() ? e.Size() : 1;
  }
  if (const Value* f = json::find(body, "encoding_format");
      f && (!f->IsString() || (json::view(*f) != "float" && json::view(*f) != "base64")))
    return bad(error, "encoding_format", "\"encoding_format\" must be \"float\" or \"base64\"");
  if (const Value* d = json::find(body, "dimensions"); d && (!d->IsUint() || d->GetUint() == 0 || d->GetUint() > 65536))
    return bad(error, "dimensions", "\"dimensions\" must be a whole number from 1 to 65536");
  if (!allowed(key, c, error)) return false;
  return route(c, json::find(body, "models"), json::find(body, "provider"), now, error);
}

void Engine::Impl::cache_route(uint32_t id, const std::string& request_id, std::string_view method,
                               std::string_view query, std::string_view body, double now) {
  Runtime& rt = *runtime;
  if (method == "GET") {
    bool ndjson = query_param(query, "format") == "ndjson";
    std::string h = answer_headers(ndjson ? "application/x-ndjson" : "application/json", request_id, {}, 0, "BYPASS");
    return respond(id, 200, false, h, snapshot(ndjson, now));
  }
  if (method == "DELETE") {
    auto entries = rt.cache.stats().entries;
    rt.cache.clear();
    return respond_plain(id, request_id, 200, "{\"deleted\":" + std::to_string(entries) + "}");
  }
  if (method != "PUT") return method_not_allowed(id, request_id, "GET, PUT, DELETE");
  // One JSON document {"format","version","entries"}, or NDJSON: a header line, then entries.
  // Every entry is checked before any is stored: a bad snapshot changes nothing.
  std::vector<json::Document> entries;
  std::string error;
  auto take = [&](const Value& entry, size_t index) {
    std::string why;
    if (!import_entry(entry, now, why, false) && !why.empty() && error.empty())
      error = "entries[" + std::to_string(index) + "]: " + why;
    entries.emplace_back().CopyFrom(entry, entries.back().GetAllocator());
  };
  auto header_ok = [&](const Value& doc) {
    const Value* format = json::find(doc, "format");
    const Value* version = json::find(doc, "version");
    return format && json::view(*format) == "switchyard.cache" && version && version->IsInt() && version->GetInt() == 1;
  };
  json::Document doc;
  std::string parse_error;
  size_t first_line = body.find('\n');
  bool ndjson = first_line != std::string_view::npos && first_line + 1 < body.size() &&
                body.find_first_not_of(" \r\n\t", first_line) != std::string_view::npos &&
                json::parse(body.substr(0, first_line), doc, parse_error) && doc.IsObject() &&
                !json::find(doc, "entries");
  if (ndjson) {
    if (!header_ok(doc)) error = "the first line must be {\"format\":\"switchyard.cache\",\"version\":1}";
    size_t index = 0;
    for (size_t at = first_line + 1; error.empty() && at < body.size();) {
      size_t end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(at, end - at);
      at = end + 1;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      json::Document entry;
      if (!json::parse(line, entry, parse_error)) error = "line " + std::to_string(index + 2) + ": " + parse_error;
      else take(entry, index);
      ++index;
    }
  } else if (!json::parse(body, doc, parse_error)) {
    error = "snapshot is not valid JSON: " + parse_error;
  } else if (!header_ok(doc) || !json::find(doc, "entries") || !doc["entries"].IsArray()) {
    error = "a snapshot is {\"format\":\"switchyard.cache\",\"version\":1,\"entries\":[…]} or NDJSON";
  } else {
    for (rapidjson::SizeType i = 0; i < doc["entries"].Size(); ++i) take(doc["entries"][i], i);
  }
  if (!error.empty()) {
    Error e{400, ErrorType::invalid_request, "cache snapshot refused, nothing imported: " + error, "invalid_snapshot"};
    return respond_plain(id, request_id, 400, error_body(e));
  }
  size_t imported = 0;
  for (const auto& entry : entries) imported += import_entry(entry, now, error, true) ? 1 : 0;
  respond_plain(id, request_id, 200,
                "{\"imported\":" + std::to_string(imported) + ",\"expired\":" + std::to_string(entries.size() - imported) + "}");
}

bool Engine::Impl::route(Call& c, const Value* models, const Value* provider, double now, Error& error) {
  Runtime& rt = *c.rt;
  const config::Config& config = *rt.config;
  routing::Preferences prefs;
  // OpenRouter's suffixes: :floor sorts by price, :nitro by throughput.
  std::string_view model = c.model;
  for (auto [suffix, sort] : {std::pair{std::string_view(":floor"), routing::Preferences::Sort::price},
                              std::pair{std::string_view(":nitro"), routing::Preferences::Sort::throughput}}) {
    if (model.size() > suffix.size() && model.substr(model.size() - suffix.size()) == suffix &&
        !config.find_model(model)) {
      model.remove_suffix(suffix.size());
      prefs.sort = sort;
    }
  }
  if (provider) {
    if (!provider->IsObject()) return bad(error, "provider", "\"provider\" must be an object");
    for (auto [name, list] : {std::pair{"order", &prefs.order}, std::pair{"only", &prefs.only},
                              std::pair{"ignore", &prefs.ignore}}) {
      const Value* v = json::find(*provider, name);
      if (v && !string_list(*v, *list))
        return bad(error, std::string("provider.") + name, std::string("provider.") + name + " must be an array of provider names");
    }
    if (const Value* v = json::find(*provider, "allow_fallbacks")) {
      if (!v->IsBool()) return bad(error, "provider.allow_fallbacks", "provider.allow_fallbacks must be true or false");
      prefs.allow_fallbacks = v->GetBool();
    }
    if (const Value* v = json::find(*provider, "sort")) {
      std::string_view s = json::view(*v);
      if (s == "price") prefs.sort = routing::Preferences::Sort::price;
      else if (s == "latency") prefs.sort = routing::Preferences::Sort::latency;
      else if (s == "throughput") prefs.sort = routing::Preferences::Sort::throughput;
      else return bad(error, "provider.sort", "provider.sort must be one of price, latency, throughput");
    }
    if (const Value* v = json::find(*provider, "max_price")) {
      const Value* p = json::find(*v, "prompt");
      const Value* o = json::find(*v, "completion");
      if (!v->IsObject() || (p && !p->IsNumber()) || (o && !o->IsNumber()))
        return bad(error, "provider.max_price", "provider.max_price must be {prompt, completion} in USD per million tokens");
      if (p) prefs.max_prompt_price = p->GetDouble();
      if (o) prefs.max_completion_price = o->GetDouble();
    }
  }

  routing::HealthOf health = [&](uint32_t target) { return candidate(rt, target, now); };
  condition::Facts facts{&c.body, c.metadata.IsObject() ? &c.metadata : nullptr, c.prompt_tokens, c.model};
  auto add = [&](std::string_view name, const std::string& param) {
    if (routing::plan(config, rt.routing, rng, health, facts, name, c.plan)) return true;
    error = {404, ErrorType::invalid_request,
             "unknown model \"" + std::string(name) + "\": configure it under models, or write provider/model",
             "model_not_found", param};
    return false;
  };
  if (!add(model, "model")) return false;
  for (rapidjson::SizeType i = 0; models && i < models->Size(); ++i) {
    std::string_view name = json::view((*models)[i]);
    if (name != c.model && !add(name, "models[" + std::to_string(i) + "]")) return false;
  }
  for (auto& leaf : c.plan)
    if (leaf.target == routing::kDirectTarget) leaf.target = direct_target(rt, leaf.provider, leaf.model);
  if (prefs.any() || (models && models->Size() > 1)) routing::apply(prefs, config, health, c.plan);
  if (c.plan.empty()) {
    error = {404, ErrorType::no_healthy_target, "no target of \"" + c.model + "\" meets the request's provider preferences",
             "no_matching_target", "provider"};
    return false;
  }
  // session_id keeps a conversation on its last target while that target is available.
  if (!c.session.empty()) {
    auto it = rt.sessions.find(c.session);
    if (it != rt.sessions.end()) {
      auto sticky = std::find_if(c.plan.begin(), c.plan.end(), [&](auto& l) { return l.target == it->second; });
      if (sticky != c.plan.end() && candidate(rt, sticky->target, now).available)
        std::rotate(c.plan.begin(), sticky, sticky + 1);
    }
  }
  return true;
}

std::string Engine::Impl::models_list(const config::Config& config, const config::GatewayKey* key) {
  auto allowed = [&](const std::string& name) {
    return !key || std::any_of(key->models.begin(), key->models.end(),
                               [&](const std::string& m) { return m == "*" || m == name; });
  };
  std::vector<std::string> names;
  for (const auto& m : config.models) names.push_back(m.name);
  for (const auto& t : config.targets) names.push_back(config.providers[size_t(t.provider)].name + "/" + t.model);
  std::string out = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (const auto& name : names) {
    if (!allowed(name)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    json::append_string(out, name);
    out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"switchyard\"}";
  }
  out += "]}";
  return out;
}

std::string Engine::Impl::stats_rows(bool prometheus, double now) {
  std::vector<stats::TargetRow> rows;
  stats::CacheRow cache{};
  if (runtime) {
    const config::Config& config = *runtime->config;
    for (auto& t : runtime->targets)
      rows.push_back({config.providers[size_t(t.provider)].name + "/" + t.model, &t.stats,
                      health::breaker_state_name(t.breaker.state(now, config.breaker.cooldown_ms)), t.outstanding});
    auto s = runtime->cache.stats();
    cache = {s.entries, s.bytes, s.hits, s.misses, s.evictions};
  }
  return prometheus ? stats::render_prometheus(rows, cache) : stats::render_json(rows, cache);
}

}  // namespace sy::engine
