#include "gateway/snapshot.h"

#include "base/url.h"
#include "gateway/gateway.h"

#include <unordered_map>
#include <vector>

#include "cache/key.h"
#include "exchange/exchange.h"
#include "json/json.h"

namespace sy::gateway {

namespace {

using json::Value;

constexpr std::string_view kHead = "{\"format\":\"switchyard.cache\",\"version\":1";

struct Line {
  std::string key;
  double expires_at;
  std::string text;
};

// Adds a line, or replaces the line of the same key when it expires later.
void keep(std::vector<Line>& lines, std::unordered_map<std::string, size_t>& index, Line line) {
  auto it = index.find(line.key);
  if (it == index.end()) {
    index.emplace(line.key, lines.size());
    lines.push_back(std::move(line));
  } else if (line.expires_at > lines[it->second].expires_at) {
    lines[it->second] = std::move(line);
  }
}

// The problem with one snapshot entry, or empty when it is valid.
std::string check_entry(const Value& entry) {
  cache::Key key;
  const Value* k = json::find(entry, "key");
  const Value* target = json::find(entry, "target");
  const Value* expires = json::find(entry, "expires_at");
  const Value* answer = json::find(entry, "answer");
  if (!entry.IsObject()) return "must be an object";
  if (!k || !cache::key_of_hex(json::view(*k), key)) return "\"key\" must be 32 lowercase hex characters";
  if (!target || !target->IsString()) return "\"target\" must be a string";
  if (!expires || !expires->IsNumber()) return "\"expires_at\" must be a number (ms)";
  if (!answer || !answer->IsObject() || (!json::find(*answer, "choices") && !json::find(*answer, "data")))
    return "\"answer\" must be a chat completion, an embeddings list or an image answer";
  return {};
}

bool header_ok(const Value& doc) {
  const Value* format = json::find(doc, "format");
  const Value* version = json::find(doc, "version");
  return format && json::view(*format) == "switchyard.cache" && version && version->IsInt() && version->GetInt() == 1;
}

// The entries of a snapshot body (JSON document or NDJSON), each checked; false with `error` at
// the first problem.
bool read_entries(std::string_view body, std::vector<json::Document>& entries, std::string& error) {
  auto take = [&](const Value& entry, size_t index) {
    std::string why = check_entry(entry);
    if (!why.empty()) error = "entries[" + std::to_string(index) + "]: " + why;
    json::Document& kept = entries.emplace_back();
    json::Value copy = json::copy(entry, kept.GetAllocator());
    static_cast<json::Value&>(kept).Swap(copy);
    return why.empty();
  };
  json::Document doc;
  std::string parse_error;
  size_t first_line = body.find('\n');
  bool ndjson = first_line != std::string_view::npos && first_line + 1 < body.size() &&
                body.find_first_not_of(" \r\n\t", first_line) != std::string_view::npos &&
                json::parse(body.substr(0, first_line), doc, parse_error) && doc.IsObject() &&
                !json::find(doc, "entries");
  if (ndjson) {
    if (!header_ok(doc)) return error = "the first line must be {\"format\":\"switchyard.cache\",\"version\":1}", false;
    size_t index = 0;
    for (size_t at = first_line + 1; at < body.size();) {
      size_t end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(at, end - at);
      at = end + 1;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      json::Document entry;
      if (!json::parse(line, entry, parse_error)) return error = "line " + std::to_string(index + 2) + ": " + parse_error, false;
      if (!take(entry, index++)) return false;
    }
    return true;
  }
  if (!json::parse(body, doc, parse_error)) return error = "snapshot is not valid JSON: " + parse_error, false;
  if (!header_ok(doc) || !json::find(doc, "entries") || !doc["entries"].IsArray())
    return error = "a snapshot is {\"format\":\"switchyard.cache\",\"version\":1,\"entries\":[…]} or NDJSON", false;
  for (rapidjson::SizeType i = 0; i < doc["entries"].Size(); ++i)
    if (!take(doc["entries"][i], i)) return false;
  return true;
}

}  // namespace

std::string export_snapshot(const cache::Store& store, std::string_view tier_lines, bool ndjson, double now) {
  std::vector<Line> lines;
  std::unordered_map<std::string, size_t> index;
  store.for_each([&](const cache::Key& key, const std::string& value, double expires_at) {
    if (expires_at <= now) return;
    std::string hex = cache::hex_of(key);
    keep(lines, index, {hex, expires_at, exchange::Exchange::entry_of(hex, value, expires_at)});
  });
  for (size_t at = 0; at < tier_lines.size();) {
    size_t end = tier_lines.find('\n', at);
    if (end == std::string_view::npos) end = tier_lines.size();
    std::string_view line = tier_lines.substr(at, end - at);
    at = end + 1;
    json::Document entry;
    std::string error;
    if (line.empty() || !json::parse(line, entry, error) || !check_entry(entry).empty()) continue;  // damaged
    double expires_at = entry["expires_at"].GetDouble();
    if (expires_at <= now) continue;
    keep(lines, index, {std::string(json::view(entry["key"])), expires_at, std::string(line)});
  }
  std::string out(kHead);
  out += ndjson ? "}\n" : ",\"entries\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!ndjson && i) out += ',';
    out += lines[i].text;
    if (ndjson) out += '\n';
  }
  if (!ndjson) out += "]}";
  return out;
}

bool import_snapshot(std::string_view body, cache::Store& store, exchange::ActionBatch* tier, double now,
                     Imported& result, std::string& error) {
  std::vector<json::Document> entries;
  if (!read_entries(body, entries, error)) return false;
  for (const json::Document& entry : entries) {
    double expires_at = entry["expires_at"].GetDouble();
    if (expires_at <= now) {
      ++result.expired;
      continue;
    }
    cache::Key key;
    std::string_view hex = json::view(entry["key"]);
    cache::key_of_hex(hex, key);
    std::string value(json::view(entry["target"]));
    value += '\n';
    json::append_value(value, entry["answer"]);
    if (tier) tier->cache_put(hex, exchange::Exchange::entry_of(hex, value, expires_at), expires_at);
    if (store.put(key, std::move(value), expires_at, now)) ++result.imported;
    else ++result.expired;
  }
  return true;
}

// GET, PUT and DELETE /v1/cache (admin keys only when keys are configured). With a persistent
// tier, GET and DELETE also need the host's tier (CACHE_LIST / CACHE_CLEAR): they answer from
// cache_result().
void Gateway::cache_route(uint32_t id, Pending& p, double now) {
  if (p.key >= 0 && !runtime_->config->keys[size_t(p.key)].admin)
    return respond(id, p, {403, ErrorType::auth, "cache snapshots need a gateway key marked \"admin\": true", "admin_only"});
  const auto& rt = exchange_.runtime();
  bool tier = exchange_.persists();
  if (p.method == "PUT") {
    Imported result;
    std::string error;
    if (!import_snapshot(p.body, rt->cache, tier ? &batch_ : nullptr, now, result, error))
      return respond(id, p, {400, ErrorType::invalid_request, "cache snapshot refused, nothing imported: " + error,
                             "invalid_snapshot"});
    return respond(id, p, 200, "application/json",
                   "{\"imported\":" + std::to_string(result.imported) + ",\"expired\":" + std::to_string(result.expired) + "}");
  }
  if (p.method == "DELETE") {
    p.body = std::to_string(rt->cache.stats().entries);  // kept for the answer
    rt->cache.clear();
  }
  if (!tier) return cache_result_for(id, p, {}, now);
  if (p.method == "DELETE") batch_.cache_clear(id);
  else batch_.cache_list(id);
  p.waits_for_tier = true;
  pending_.emplace(id, std::move(p));
}

bool Gateway::cache_result(uint32_t id, std::string_view entries, double now) {
  auto it = pending_.find(id);
  if (it == pending_.end() || !it->second.waits_for_tier) return false;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.envelope) recalled(id, p, entries, now);
  else cache_result_for(id, p, entries, now);
  return true;
}

void Gateway::cache_result_for(uint32_t id, Pending& p, std::string_view entries, double now) {
  if (p.method == "DELETE") return respond(id, p, 200, "application/json", "{\"deleted\":" + p.body + "}");
  bool ndjson = query_param(p.query, "format") == "ndjson";
  respond(id, p, 200, ndjson ? "application/x-ndjson" : "application/json",
          export_snapshot(exchange_.runtime()->cache, entries, ndjson, now));
}

}  // namespace sy::gateway
