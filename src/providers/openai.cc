#include "providers/openai.h"

#include <algorithm>
#include <optional>

#include "providers/sse_parser.h"
#include "providers/translate.h"

namespace sy::providers::openai {

namespace {

using json::Value;

// Members of the caller's body that are Switchyard's or OpenRouter's
// routing controls, never sent upstream.
constexpr std::string_view kRoutingMembers[] = {"model", "models", "provider", "switchyard", "session_id"};

bool is_routing_member(std::string_view name) {
  return std::find(std::begin(kRoutingMembers), std::end(kRoutingMembers), name) != std::end(kRoutingMembers);
}

const std::string* override_for(const EncodeInput& in, std::string_view name) {
  for (auto it = in.overrides.rbegin(); it != in.overrides.rend(); ++it)
    if (it->first == name) return &it->second;
  return nullptr;
}

// The caller's body text with minimal edits: the target's model, routing
// members dropped, overrides replacing or joining members. False when the
// text cannot be spliced (the caller then rebuilds it from the parsed body).
bool splice_body(const EncodeInput& in, std::string& out) {
  std::vector<json::Member> members;
  if (in.raw.empty() || !json::top_level_members(in.raw, members)) return false;
  out.clear();
  out.reserve(in.raw.size() + 64);
  out += "{\"model\":";
  json::append_string(out, in.model);
  for (const auto& m : members) {
    if (is_routing_member(m.key)) continue;
    out += ",\"";
    out.append(m.key);
    out += "\":";
    const std::string* raw = override_for(in, m.key);
    out.append(raw ? std::string_view(*raw) : m.value);
  }
  for (size_t i = 0; i < in.overrides.size(); ++i) {
    const auto& name = in.overrides[i].first;
    bool present = std::any_of(members.begin(), members.end(), [&](const json::Member& m) { return m.key == name; });
    bool later = std::any_of(in.overrides.begin() + long(i) + 1, in.overrides.end(),
                             [&](const auto& o) { return o.first == name; });
    if (present || later || is_routing_member(name)) continue;
    out += ",\"";
    out += name;
    out += "\":";
    out += in.overrides[i].second;
  }
  out += '}';
  return true;
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "POST";
  out.url = in.provider.base_url + "/chat/completions";
  out.headers = "content-type: application/json\n";
  if (in.stream) out.headers += "accept: text/event-stream\n";
  if (!in.provider.api_key.empty()) out.headers += "authorization: Bearer " + in.provider.api_key + "\n";
  for (const auto& [name, value] : in.provider.headers) out.headers += name + ": " + value + "\n";
  if (splice_body(in, out.body)) return;

  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  w.Key("model");
  w.String(in.model.data(), rapidjson::SizeType(in.model.size()));
  std::vector<std::string_view> written;
  for (auto& m : in.request.GetObject()) {
    std::string_view name = json::view(m.name);
    if (is_routing_member(name)) continue;
    w.Key(name.data(), rapidjson::SizeType(name.size()));
    if (const std::string* raw = override_for(in, name)) {
      w.RawValue(raw->data(), raw->size(), rapidjson::kObjectType);
      written.push_back(name);
    } else {
      m.value.Accept(w);
    }
  }
  for (const auto& [name, raw] : in.overrides) {
    if (is_routing_member(name) || in.request.HasMember(name.c_str()) ||
        std::find(written.begin(), written.end(), name) != written.end())
      continue;
    written.push_back(name);
    w.Key(name.data(), rapidjson::SizeType(name.size()));
    const std::string& last = *override_for(in, name);
    w.RawValue(last.data(), last.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  out.body.assign(buffer.GetString(), buffer.GetSize());
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Usage read_usage(const Value& root, const DecodeContext& ctx) {
  Usage u;
  const Value* usage = json::find(root, "usage");
  if (!usage || !usage->IsObject()) return u;
  const Value* p = json::find(*usage, "prompt_tokens");
  const Value* c = json::find(*usage, "completion_tokens");
  if (p && p->IsInt64()) u.prompt_tokens = p->GetInt64();
  if (c && c->IsInt64()) u.completion_tokens = c->GetInt64();
  u.known = p || c;
  u.cost = cost_of(ctx.provider, ctx.model, u.prompt_tokens, u.completion_tokens);
  return u;
}

// A non-2xx answer (an OpenAI error body, or anything else) as a Decoded error.
Decoded status_error(int status, std::string_view body, const DecodeContext& ctx) {
  Error error;
  ErrorType hint = read_error(body, ctx.provider, error);
  return translate::upstream_error(status, hint, std::move(error), ctx);
}

// A 2xx whose body is an OpenAI error document.
Decoded error_in_200(std::string_view body, const DecodeContext& ctx) {
  Error error;
  read_error(body, ctx.provider, error);
  return translate::error_in_200(std::move(error), ctx);
}

// The answer as sent, with "provider" naming ours and usage.cost set when a price is known
// (d.usage already read). `doc` is `body` parsed.
void pass_through(std::string_view body, json::Document& doc, const DecodeContext& ctx, Decoded& d) {
  auto& alloc = doc.GetAllocator();
  // usage.cost, when a price is known: the only member rewritten.
  std::string usage_with_cost;
  if (d.usage.known && d.usage.cost >= 0) {
    Value& usage = doc["usage"];
    if (usage.HasMember("cost")) usage["cost"].SetDouble(d.usage.cost);
    else usage.AddMember("cost", d.usage.cost, alloc);
    json::append_value(usage_with_cost, usage);
  }
  std::vector<json::Member> members;
  if (json::top_level_members(body, members)) {
    d.body.reserve(body.size() + ctx.provider.name.size() + 32);
    d.body = "{\"provider\":";
    json::append_string(d.body, ctx.provider.name);
    for (const auto& m : members) {
      if (m.key == "provider") continue;
      d.body += ",\"";
      d.body.append(m.key);
      d.body += "\":";
      d.body.append(m.key == "usage" && !usage_with_cost.empty() ? std::string_view(usage_with_cost) : m.value);
    }
    d.body += '}';
    return;
  }
  doc.RemoveMember("provider");
  doc.AddMember("provider", Value(ctx.provider.name.c_str(), alloc), alloc);
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  doc.Accept(w);
  d.body.assign(buffer.GetString(), buffer.GetSize());
}

// The front every OpenAI decode shares: a non-2xx, a 2xx error document and a body without
// the `member` array end in the error returned; otherwise `doc` holds the answer and
// `array` points at its member.
std::optional<Decoded> refuse(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                              const char* member, std::string_view what, const Value*& array) {
  if (status < 200 || status >= 300) return status_error(status, body, ctx);
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (parsed && json::find(doc, "error") && !json::find(doc, member)) return error_in_200(body, ctx);
  array = parsed ? json::find(doc, member) : nullptr;
  if (!array || !array->IsArray()) return translate::malformed(ctx, what);
  return std::nullopt;
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* choices;
  if (auto refused = refuse(status, body, ctx, doc, "choices", "a chat completion", choices)) return *refused;
  Decoded d;
  d.ok = true;
  d.usage = read_usage(doc, ctx);
  pass_through(body, doc, ctx, d);
  return d;
}

// ---------------------------------------------------------------------------------------
// Embeddings: the same body and auth at {base_url}/embeddings; the answer passes through.

void encode_embeddings(const EncodeInput& in, UpstreamRequest& out) {
  EncodeInput plain = in;
  plain.stream = false;
  encode(plain, out);
  out.url = in.provider.base_url + "/embeddings";
}

Decoded decode_embeddings(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* data;
  if (auto refused = refuse(status, body, ctx, doc, "data", "an embeddings list", data)) return *refused;
  for (const Value& item : data->GetArray()) {
    const Value* e = json::find(item, "embedding");
    if (!e || !(e->IsArray() || e->IsString())) return translate::malformed(ctx, "an embeddings list");
  }
  Decoded d;
  d.ok = true;
  if (const Value* usage = json::find(doc, "usage"); usage && usage->IsObject()) {
    const Value* p = json::find(*usage, "prompt_tokens");
    if (p && p->IsInt64()) {
      d.usage.known = true;
      d.usage.prompt_tokens = p->GetInt64();
      d.usage.cost = cost_of(ctx.provider, ctx.model, d.usage.prompt_tokens, 0);
    }
  }
  pass_through(body, doc, ctx, d);
  return d;
}

// ---------------------------------------------------------------------------------------
// Models: GET {base_url}/models.

void encode_models(const config::Provider& provider, UpstreamRequest& out) {
  out.method = "GET";
  out.url = provider.base_url + "/models";
  out.headers.clear();
  if (!provider.api_key.empty()) out.headers += "authorization: Bearer " + provider.api_key + "\n";
  for (const auto& [name, value] : provider.headers) out.headers += name + ": " + value + "\n";
  out.body.clear();
}

Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* data;
  if (auto refused = refuse(status, body, ctx, doc, "data", "a model list", data)) return *refused;
  std::vector<ModelEntry> entries;
  for (const Value& item : data->GetArray()) {
    const Value* id_v = json::find(item, "id");
    std::string_view id = id_v ? json::view(*id_v) : std::string_view();
    if (id.empty()) continue;
    ModelEntry e{std::string(id), 0, std::string(ctx.provider.name)};
    if (const Value* c = json::find(item, "created"); c && c->IsInt64()) e.created = c->GetInt64();
    if (const Value* o = json::find(item, "owned_by"); o && o->IsString() && o->GetStringLength()) e.owned_by = json::view(*o);
    entries.push_back(std::move(e));
  }
  Decoded d;
  d.ok = true;
  d.body = model_list_json(entries);
  return d;
}

class OpenAIStream final : public StreamDecoder {
 public:
  explicit OpenAIStream(const DecodeContext& ctx) : StreamDecoder("[DONE]"), provider_(ctx.provider), model_(ctx.model) {}

 private:
  void on_event(const sse::Event& e, std::string& out) override {
    if (e.data == "[DONE]") {
      state_ = State::done;
      return;
    }
    json::Document doc;
    std::string parse_error;
    if (!json::parse(e.data, doc, parse_error) || !doc.IsObject()) {
      fail("upstream sent a stream event that is not JSON");
      return;
    }
    if (json::find(doc, "error")) {
      read_error(e.data, provider_, error_);
      fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
      return;
    }
    // No choices and no usage (Azure's prompt_filter_results): nothing for the caller, and
    // passing it on would commit the stream before its first real chunk.
    const Value* choices = json::find(doc, "choices");
    const Value* usage = json::find(doc, "usage");
    if (choices && choices->IsArray() && choices->Empty() && (!usage || usage->IsNull())) return;
    Usage u = read_usage(doc, DecodeContext{provider_, model_});
    if (u.known) usage_ = u;
    out += "data: ";
    if (e.data.find('\n') == std::string_view::npos) out.append(e.data);
    else json::append_value(out, doc);  // an event of several data lines: one line for the client
    out += "\n\n";
  }

  const config::Provider& provider_;
  std::string_view model_;
};

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<OpenAIStream>(ctx); }

}  // namespace

const WireFormat kWireFormat = {encode, decode, stream, encode_embeddings, decode_embeddings, encode_models, decode_models};

ErrorType read_error(std::string_view body, const config::Provider& provider, Error& error) {
  json::Document doc;
  std::string parse_error;
  if (!json::parse(body, doc, parse_error) || !doc.IsObject()) return ErrorType::internal;
  const Value* e = json::find(doc, "error");
  if (!e) return ErrorType::internal;
  if (e->IsString()) {
    error.message = json::view(*e);
  } else {
    if (const Value* m = json::find(*e, "message"); m && m->IsString()) error.message = json::view(*m);
    if (const Value* c = json::find(*e, "code"); c && c->IsString()) error.code = json::view(*c);
    if (const Value* p = json::find(*e, "param"); p && p->IsString()) error.param = json::view(*p);
  }
  redact(provider, error.message);
  if (error.code == "context_length_exceeded" || contains(error.message, "maximum context length") ||
      contains(error.message, "context length"))
    return ErrorType::context_length_exceeded;
  if (error.code == "content_filter" || error.code == "content_policy_violation")
    return ErrorType::content_filtered;
  return ErrorType::internal;
}

std::string model_list_json(const std::vector<ModelEntry>& models) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < models.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    json::append_string(out, models[i].id);
    out += ",\"object\":\"model\",\"created\":" + std::to_string(models[i].created) + ",\"owned_by\":";
    json::append_string(out, models[i].owned_by);
    out += '}';
  }
  return out + "]}";
}

}  // namespace sy::providers::openai
