#include "providers/openai_images.h"

#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "model/stored.h"
#include "providers/openai.h"
#include "providers/translate.h"

namespace sy::providers::openai_images {

namespace {

using json::Value;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

// Members that are Switchyard's routing controls, never sent upstream.
bool is_routing_member(std::string_view name) {
  return name == "model" || name == "models" || name == "provider" || name == "switchyard" || name == "session_id";
}

using Members = std::vector<std::pair<std::string_view, std::string>>;

void set(Members& members, std::string_view name, std::string value) {
  auto it = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.first == name; });
  if (it != members.end()) it->second = std::move(value);
  else members.emplace_back(name, std::move(value));
}

void set_string(Members& members, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  std::string text;
  json::append_string(text, value);
  set(members, name, std::move(text));
}

// The canonical request as an OpenAI image request; overrides replace or join its members.
std::string render(const EncodeInput& in) {
  const model::Request& r = in.request;
  Members members;
  std::string prompt;
  json::append_string(prompt, r.prompt);
  members.emplace_back("prompt", std::move(prompt));
  if (r.sampling.n != 1) members.emplace_back("n", std::to_string(r.sampling.n));
  set_string(members, "size", r.size);
  set_string(members, "quality", r.quality);
  set_string(members, "style", r.style);
  if (!is_gpt_image(in.model) && (r.image_urls || r.image_b64))
    set_string(members, "response_format", r.image_urls ? "url" : "b64_json");
  set_string(members, "user", r.user);
  for (const auto& extra : r.extras) {  // no structured binding: Emscripten's clang 14 cannot capture one
    std::string_view name = extra.first;
    bool written = std::any_of(members.begin(), members.end(), [&](const auto& m) { return m.first == name; });
    if (written || is_routing_member(name) || !extra.second) continue;
    json::append_value(members.emplace_back(name, std::string()).second, *extra.second);
  }
  for (const auto& [name, value] : in.overrides)
    if (!is_routing_member(name)) set(members, name, value);
  std::string out = "{\"model\":";
  json::append_string(out, in.model);
  for (const auto& [name, value] : members) {
    out += ',';
    json::append_string(out, name);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

// A non-2xx answer: OpenAI's error body read, image moderation recognised, a refused n named.
Decoded status_error(int status, std::string_view body, const DecodeContext& ctx) {
  Error error;
  ErrorType hint = openai::read_error(body, ctx.provider, error);
  if (error.code == "moderation_blocked" || error.code == "contentFilter" || error.code == "content_policy_violation")
    hint = ErrorType::content_filtered;
  if (error.param.empty() && ctx.request.sampling.n > 1 && contains(error.message, "n=1")) error.param = "n";
  return translate::upstream_error(status, hint, std::move(error), ctx);
}

// Whether some image comes as base64 only (a caller that asked for URLs gets it as a data: URL).
bool has_base64_only(const Value& data) {
  for (const Value& item : data.GetArray()) {
    const Value* url = item.IsObject() ? json::find(item, "url") : nullptr;
    if (!url || !url->IsString() || url->GetStringLength() == 0) return true;
  }
  return false;
}

void to_data_urls(std::vector<model::Image>& images) {
  for (model::Image& image : images) {
    if (!image.url.empty() || image.b64.empty()) continue;
    image.url = "data:" + (image.media_type.empty() ? std::string("image/png") : image.media_type) + ";base64," + image.b64;
    image.b64.clear();
  }
}

}  // namespace

std::string body(const EncodeInput& in) {
  static constexpr std::string_view kRefusedByGptImage[] = {"response_format"};
  std::span<const std::string_view> drop;
  if (is_gpt_image(in.model)) drop = kRefusedByGptImage;
  std::string out;
  if (in.request.format == model::Format::openai_images && openai::splice(in, drop, out)) return out;
  return render(in);
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  if (status < 200 || status >= 300) return status_error(status, body, ctx);
  json::Document doc;
  std::string error;
  bool parsed = json::parse(body, doc, error) && doc.IsObject();
  const Value* data = parsed ? json::find(doc, "data") : nullptr;
  if (parsed && !data && json::find(doc, "error")) {
    Error upstream;
    openai::read_error(body, ctx.provider, upstream);
    return translate::error_in_200(std::move(upstream), ctx);
  }
  if (!data || !data->IsArray() || data->Empty()) return translate::malformed(ctx, "an image answer");
  bool urls = ctx.request.image_urls && has_base64_only(*data);
  Decoded d;
  model::Answer& a = d.answer;
  // A caller of this format is sent the answer as is when nothing in it changes.
  bool content = ctx.request.format != model::Format::openai_images || urls;
  if (!model::stored::parse(doc, a, error, content) || a.kind != model::Kind::images)
    return translate::malformed(ctx, "an image answer");
  double cost = a.usage.known ? cost_of(ctx.provider, ctx.model, a.usage.prompt_tokens, a.usage.completion_tokens) : -1;
  if (cost >= 0) {
    if (!content && !model::stored::parse(doc, a, error, true)) return translate::malformed(ctx, "an image answer");
    a.usage.cost = cost;
  }
  a.provider = ctx.provider.name;
  a.model = ctx.model;
  if (urls) to_data_urls(a.images);
  if (a.summary) {
    a.raw = body;
    a.raw_format = model::Format::openai_images;
  }
  d.ok = true;
  return d;
}

int64_t max_images(std::string_view model) {
  std::string name = lowercase(model);
  if (contains(name, "dall-e-3") || contains(name, "dalle-3") || contains(name, "dalle3")) return 1;
  return 10;
}

bool is_gpt_image(std::string_view model) { return contains(lowercase(model), "gpt-image"); }

}  // namespace sy::providers::openai_images
