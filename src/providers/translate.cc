#include "providers/translate.h"

#include <algorithm>

#include "model/params.h"

namespace sy::providers::translate {

model::Request with_overrides(const EncodeInput& in, json::Document& arena) {
  model::Request request = in.request;
  if (in.overrides.empty()) return request;
  // Values live in one array reserved up front, so pointers into it stay valid.
  arena.SetArray();
  auto& alloc = arena.GetAllocator();
  arena.Reserve(rapidjson::SizeType(in.overrides.size()), alloc);
  for (const auto& [name, raw] : in.overrides) {
    json::Document value;
    std::string error;
    if (!json::parse(raw, value, error)) continue;
    arena.PushBack(json::copy(value, alloc), alloc);
    const json::Value& kept = arena[arena.Size() - 1];
    model::ParamError problem;
    if (model::set_param(request, name, kept, problem) != model::ParamResult::unknown) continue;
    auto& extras = request.extras;
    auto same = [&, key = std::string_view(name)](const auto& e) { return e.first == key; };
    extras.erase(std::remove_if(extras.begin(), extras.end(), same), extras.end());
    extras.emplace_back(name, &kept);
  }
  return request;
}

std::string system_prompt(const model::Request& request) {
  std::string system;
  for (const model::Message& m : request.messages) {
    if (m.role != model::Role::system && m.role != model::Role::developer) continue;
    std::string text = model::text_of(m);
    if (text.empty()) continue;
    if (!system.empty()) system += "\n\n";
    system += text;
  }
  return system;
}

bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data) {
  if (url.substr(0, 5) != "data:") return false;
  size_t comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view meta = url.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) return false;
  media_type = meta.substr(0, meta.size() - kBase64.size());
  if (size_t semi = media_type.find(';'); semi != std::string_view::npos) media_type = media_type.substr(0, semi);
  if (media_type.empty()) media_type = "application/octet-stream";
  data = url.substr(comma + 1);
  return true;
}

std::vector<std::string_view> stop_sequences(const model::Request& request, size_t limit) {
  std::vector<std::string_view> out;
  for (std::string_view s : request.sampling.stop)
    if (!s.empty() && out.size() < limit) out.push_back(s);
  return out;
}

std::string headers(const EncodeInput& in, std::string_view auth) {
  std::string h = "content-type: application/json\n";
  if (in.request.stream) h += "accept: text/event-stream\n";
  h += auth;
  for (const auto& [name, value] : in.provider.headers) h += name + ": " + value + "\n";
  return h;
}

void add_to_turn(std::vector<Turn>& turns, bool user, const std::string& item) {
  if (turns.empty() || turns.back().user != user) turns.push_back({user, {}});
  else turns.back().items += ',';
  turns.back().items += item;
}

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

ErrorType hint_from_message(std::string_view m) {
  if (contains(m, "prompt is too long") || contains(m, "context length") || contains(m, "context window") ||
      contains(m, "exceeds the maximum number of tokens") || contains(m, "input token count"))
    return ErrorType::context_length_exceeded;
  if (contains(m, "content filtering policy") || contains(m, "content_filter")) return ErrorType::content_filtered;
  return ErrorType::internal;
}

Decoded upstream_error(int status, ErrorType hint, Error error, const DecodeContext& ctx, health::Outcome forced) {
  Decoded d;
  d.error = std::move(error);
  redact(ctx.provider, d.error.message);
  d.outcome = forced != health::Outcome::malformed ? forced : health::outcome_of_status(status, hint);
  const auto& row = health::classify(d.outcome);
  d.error.status = row.status;
  d.error.type = row.type;
  if (d.outcome != health::Outcome::bad_request && d.outcome != health::Outcome::context_length &&
      d.outcome != health::Outcome::content_filter)
    d.error.param.clear();
  d.error.message = "upstream " + ctx.provider.name + " answered " + std::to_string(status) +
                    (d.error.message.empty() ? "" : ": " + d.error.message);
  return d;
}

Decoded error_in_200(Error error, const DecodeContext& ctx) {
  Decoded d;
  d.error = std::move(error);
  redact(ctx.provider, d.error.message);
  d.outcome = health::Outcome::error_body_200;
  d.error.status = 502;
  d.error.type = ErrorType::provider_unavailable;
  d.error.param.clear();
  d.error.message = "upstream " + ctx.provider.name + " answered 200 with an error: " + d.error.message;
  return d;
}

Decoded malformed(const DecodeContext& ctx, std::string_view what) {
  Decoded d;
  d.outcome = health::Outcome::malformed;
  d.error = {502, ErrorType::provider_unavailable,
             "upstream " + ctx.provider.name + " answered something that is not " + std::string(what),
             "bad_upstream_response"};
  return d;
}

}  // namespace sy::providers::translate
