#include "gateway/conversations.h"

#include <cmath>

#include "cache/key.h"
#include "gateway/gateway.h"
#include "json/canonical.h"

namespace sy::gateway::conversations {

std::string key_hex(std::string_view tenant, std::string_view id) {
  json::Hasher h;
  std::string head = "switchyard.conversation\n" + std::to_string(tenant.size()) + "\n";
  h.update(head);
  h.update(tenant);
  h.update("\n");
  h.update(id);
  json::Hash128 hash = h.finish();
  return cache::hex_of({hash.hi, hash.lo});
}

std::string entry(std::string_view key_hex, std::string_view record, double expires_at) {
  std::string out = "{\"key\":\"";
  out.append(key_hex);
  out += "\",\"expires_at\":";
  json::append_number(out, std::floor(expires_at));
  out += ",\"conversation\":";
  json::append_string(out, record);
  out += '}';
  return out;
}

std::string record_of(std::string_view entry, double now) {
  json::Document doc;
  std::string error;
  if (entry.empty() || !json::parse(entry, doc, error) || !doc.IsObject()) return {};
  const json::Value* expires = json::find(doc, "expires_at");
  const json::Value* record = json::find(doc, "conversation");
  if (!expires || !expires->IsNumber() || expires->GetDouble() <= now) return {};
  if (!record || !record->IsString()) return {};
  return std::string(json::view(*record));
}

}  // namespace sy::gateway::conversations

namespace sy::gateway {

// A request that continues a kept conversation waits for its record in the host's tier.
void Gateway::recall(uint32_t id, Pending& p, std::unique_ptr<model::Envelope> env) {
  std::string_view previous = env->request.previous_response_id;
  if (!exchange_.has_tier() || !codec_of(p.route->handler)->conversations)
    return respond(id, p, {400, ErrorType::invalid_request,
                           "previous_response_id needs a place to keep responses and this gateway has none: give its "
                           "host a persistent tier (docs/reference.md, Responses) or send the whole conversation as input",
                           "persistence_required", "previous_response_id"});
  batch_.cache_get(id, conversations::key_hex(tenant(p.key), previous));
  p.envelope = std::move(env);
  p.waits_for_tier = true;
  pending_.emplace(id, std::move(p));
}

// The tier's answer for a recalled conversation: the request continues it, or gets a 400.
void Gateway::resume(uint32_t id, Pending& p, std::string_view entry, double now) {
  std::unique_ptr<model::Envelope> env = std::move(p.envelope);
  std::string record = conversations::record_of(entry, now);
  if (record.empty())
    return respond(id, p, {400, ErrorType::invalid_request,
                           "Previous response with id '" + std::string(env->request.previous_response_id) + "' not found.",
                           "previous_response_not_found", "previous_response_id"});
  Error error;
  ingress::DecodeArgs args{*runtime_->config, p.name};
  if (!codec_of(p.route->handler)->conversations->resume(*env, record, args, error)) return respond(id, p, error);
  launch(id, p, std::move(env), now);
}

}  // namespace sy::gateway
