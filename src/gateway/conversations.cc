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

// A request that refers to what earlier answers left behind waits for those records, one after
// another, from the host's tier. Without a tier, only optional references can go on (unresolved).
void Gateway::recall(uint32_t id, Pending& p, std::unique_ptr<model::Envelope> env,
                     std::vector<ingress::Reference> references, double now) {
  p.envelope = std::move(env);
  p.references = std::move(references);
  p.records.clear();
  if (!exchange_.has_tier()) {
    for (const ingress::Reference& ref : p.references)
      if (!ref.optional)
        return respond(id, p, {400, ErrorType::invalid_request,
                               ref.field + " refers to an earlier response, and this gateway keeps none: give "
                               "its host a persistent tier (docs/reference.md, Responses), or send the whole "
                               "conversation as input with store: false",
                               "persistence_required", ref.field});
    p.records.resize(p.references.size());
    return resume(id, p, now);
  }
  p.waits_for_tier = true;
  batch_.cache_get(id, conversations::key_hex(tenant(p.key), p.references[0].id));
  pending_.emplace(id, std::move(p));
}

// The tier's answer for the next reference: the next lookup, the request on its way with every
// record folded in, or a 400 naming a required reference nothing is kept for.
void Gateway::recalled(uint32_t id, Pending& p, std::string_view entry, double now) {
  std::string record = conversations::record_of(entry, now);
  const ingress::Reference& ref = p.references[p.records.size()];
  if (record.empty() && !ref.optional)
    return respond(id, p, {400, ErrorType::invalid_request, ref.what + " with id '" + ref.id + "' not found.", ref.code,
                           ref.field});
  p.records.push_back(std::move(record));
  if (p.records.size() < p.references.size()) {
    batch_.cache_get(id, conversations::key_hex(tenant(p.key), p.references[p.records.size()].id));
    pending_.emplace(id, std::move(p));
    return;
  }
  resume(id, p, now);
}

// Every record of p.references is at hand (empty for an optional one not kept): the request is
// decoded again with them folded in, then launched.
void Gateway::resume(uint32_t id, Pending& p, double now) {
  std::unique_ptr<model::Envelope> env = std::move(p.envelope);
  Error error;
  ingress::DecodeArgs args{*runtime_->config, p.name};
  if (!codec_of(p.route->handler)->conversations->resume(*env, p.records, args, error)) return respond(id, p, error);
  launch(id, p, {std::move(env), {}}, now);
}

}  // namespace sy::gateway
