#include "providers/gemini_images.h"

#include <cmath>
#include <span>
#include <string>

#include "base/url.h"
#include "json/json.h"
#include "providers/gemini.h"
#include "providers/translate.h"

namespace sy::providers::gemini_images {

namespace {

using json::Value;

struct Ratio {
  std::string_view name;
  double value;
};

constexpr Ratio kImageModelRatios[] = {{"1:1", 1.0},     {"2:3", 2.0 / 3}, {"3:2", 1.5},      {"3:4", 0.75},
                                       {"4:3", 4.0 / 3}, {"4:5", 0.8},     {"5:4", 1.25},     {"9:16", 9.0 / 16},
                                       {"16:9", 16.0 / 9}, {"21:9", 21.0 / 9}};
constexpr Ratio kImagenRatios[] = {{"1:1", 1.0}, {"3:4", 0.75}, {"4:3", 4.0 / 3}, {"9:16", 9.0 / 16}, {"16:9", 16.0 / 9}};

std::string_view text_at(const Value& object, std::string_view name) {
  const Value* v = json::find(object, name);
  return v && v->IsString() ? json::view(*v) : std::string_view();
}

// 1 to 5 digits, not zero.
bool side(std::string_view digits, double& out) {
  return digits.size() <= 5 && json::parse_digits(digits, out) && out > 0;
}

// The last extra named `snake` or `camel` (the request's extras, the target's overrides after
// them), or nullptr.
const Value* extra(const model::Request& r, std::string_view snake, std::string_view camel) {
  const Value* found = nullptr;
  for (const auto& [name, value] : r.extras)
    if ((name == snake || name == camel) && value && !value->IsNull()) found = value;
  return found;
}

// `"name":value` after a comma when `out` already holds a member.
void member(std::string& out, std::string_view name, const Value* value, std::string_view text = {}) {
  if (!value && text.empty()) return;
  if (out.back() != '{') out += ',';
  json::append_string(out, name);
  out += ':';
  if (value) json::append_value(out, *value);
  else json::append_string(out, text);
}

void start(const EncodeInput& in, std::string_view method, UpstreamRequest& out) {
  out.method = "POST";
  out.url = in.provider.base_url + "/models/" + path_segment(in.model) + std::string(method);
  out.headers = translate::headers(in, in.provider.api_key.empty() ? std::string() : "x-goog-api-key: " + in.provider.api_key + "\n");
}

void encode_image_model(const EncodeInput& in, const model::Request& r, UpstreamRequest& out) {
  start(in, ":generateContent", out);
  std::string& b = out.body;
  b = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":";
  json::append_string(b, r.prompt);
  b += "}]}],\"generationConfig\":{\"responseModalities\":[\"IMAGE\"]";
  std::string config = "{";
  member(config, "aspectRatio", extra(r, "aspect_ratio", "aspectRatio"), aspect_ratio(r.size, false));
  member(config, "imageSize", extra(r, "image_size", "imageSize"));
  if (config.size() > 1) b += ",\"imageConfig\":" + config + "}";
  b += '}';
  member(b, "safetySettings", extra(r, "safety_settings", "safetySettings"));
  b += '}';
}

void encode_imagen(const EncodeInput& in, const model::Request& r, UpstreamRequest& out) {
  start(in, ":predict", out);
  std::string& b = out.body;
  b = "{\"instances\":[{\"prompt\":";
  json::append_string(b, r.prompt);
  b += "}],\"parameters\":{\"sampleCount\":" + std::to_string(r.sampling.n);
  member(b, "aspectRatio", extra(r, "aspect_ratio", "aspectRatio"), aspect_ratio(r.size, true));
  member(b, "imageSize", extra(r, "image_size", "imageSize"));
  member(b, "personGeneration", extra(r, "person_generation", "personGeneration"));
  b += "}}";
}

// An answer that holds no image for a reason other than a filter.
Decoded no_image(const DecodeContext& ctx, std::string_view finish, std::string text) {
  if (text.size() > 200) {
    size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    text = text.substr(0, cut) + "…";
  }
  Decoded d;
  d.outcome = health::Outcome::malformed;
  d.error = {502, ErrorType::provider_unavailable,
             "upstream " + ctx.provider.name + " answered no image" +
                 (finish.empty() ? std::string() : " (finishReason " + std::string(finish) + ")") +
                 (text.empty() ? std::string() : ": " + text),
             "no_image"};
  return d;
}

// generateContent: the first candidate's inlineData images.
Decoded read_candidates(const json::Document& doc, const DecodeContext& ctx) {
  const Value* candidates = json::find(doc, "candidates");
  if (!candidates || !candidates->IsArray() || candidates->Empty()) {
    std::string_view reason = gemini::shared::block_reason(doc);
    if (!reason.empty()) return gemini::shared::blocked("prompt", reason, ctx);
    return translate::malformed(ctx, "a Gemini image answer");
  }
  const Value& candidate = (*candidates)[0];
  const Value* content = json::find(candidate, "content");
  const Value* parts = content ? json::find(*content, "parts") : nullptr;
  Decoded d;
  std::string text;
  rapidjson::SizeType count = parts && parts->IsArray() ? parts->Size() : 0;
  for (rapidjson::SizeType i = 0; i < count; ++i) {
    const Value& part = (*parts)[i];
    const Value* thought = json::find(part, "thought");
    if (thought && thought->IsTrue()) continue;  // Gemini 3's drafts
    text += text_at(part, "text");
    const Value* data = json::find(part, "inlineData");
    std::string_view mime = data ? text_at(*data, "mimeType") : std::string_view();
    std::string_view bytes = data ? text_at(*data, "data") : std::string_view();
    if (mime.substr(0, 6) == "image/" && !bytes.empty()) d.answer.images.push_back({std::string(bytes), {}, std::string(mime), {}});
  }
  std::string_view finish = text_at(candidate, "finishReason");
  if (d.answer.images.empty() && gemini::shared::is_filter_reason(finish))
    return gemini::shared::blocked("answer", finish, ctx);
  if (d.answer.images.empty()) return no_image(ctx, finish, std::move(text));
  gemini::shared::read_usage(doc, d.answer.usage);
  d.answer.model = text_at(doc, "modelVersion");
  d.ok = true;
  return d;
}

// Imagen's :predict: one image per prediction with bytes; those its filters withheld say why.
Decoded read_predictions(const json::Document& doc, const DecodeContext& ctx) {
  const Value* predictions = json::find(doc, "predictions");
  if (predictions && !predictions->IsArray()) return translate::malformed(ctx, "an Imagen answer");
  Decoded d;
  std::string_view filtered;
  rapidjson::SizeType count = predictions ? predictions->Size() : 0;
  for (rapidjson::SizeType i = 0; i < count; ++i) {
    const Value& p = (*predictions)[i];
    std::string_view bytes = text_at(p, "bytesBase64Encoded"), mime = text_at(p, "mimeType");
    if (bytes.empty()) {
      if (std::string_view why = text_at(p, "raiFilteredReason"); !why.empty()) filtered = why;
      continue;
    }
    d.answer.images.push_back({std::string(bytes), {}, mime.empty() ? "image/png" : std::string(mime), std::string(text_at(p, "prompt"))});
  }
  if (d.answer.images.empty())
    return gemini::shared::blocked("answer", filtered.empty() ? "every image was filtered" : filtered, ctx);
  d.ok = true;
  return d;
}

}  // namespace

bool is_imagen(std::string_view model) { return model.substr(0, 6) == "imagen"; }

int64_t max_images(std::string_view model) { return is_imagen(model) ? 4 : 1; }

std::string_view aspect_ratio(std::string_view size, bool imagen) {
  size_t x = size.find('x');
  double width = 0, height = 0;
  if (x == std::string_view::npos || !side(size.substr(0, x), width) || !side(size.substr(x + 1), height)) return {};
  std::span<const Ratio> ratios = imagen ? std::span<const Ratio>(kImagenRatios) : std::span<const Ratio>(kImageModelRatios);
  double wanted = std::log(width / height), best = INFINITY;
  std::string_view name;
  for (const Ratio& r : ratios) {
    double distance = std::fabs(std::log(r.value) - wanted);
    if (distance < best) {
      best = distance;
      name = r.name;
    }
  }
  return name;
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  json::Document arena;
  model::Request request = translate::with_overrides(in, arena);
  if (is_imagen(in.model)) encode_imagen(in, request, out);
  else encode_image_model(in, request, out);
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  bool parsed = false;
  if (auto failed = gemini::shared::failure(status, body, ctx, doc, parsed)) return std::move(*failed);
  if (!parsed) return translate::malformed(ctx, "a Gemini image answer");
  Decoded d = is_imagen(ctx.model) ? read_predictions(doc, ctx) : read_candidates(doc, ctx);
  if (!d.ok) return d;
  model::Answer& a = d.answer;
  a.kind = model::Kind::images;
  a.provider = ctx.provider.name;
  if (a.model.empty()) a.model = ctx.model;
  if (a.usage.known) price(a.usage, ctx.provider, ctx.model);
  if (ctx.request.image_urls) {
    for (model::Image& image : a.images) {
      image.url = "data:" + image.media_type + ";base64," + image.b64;
      image.b64.clear();
    }
  }
  return d;
}

}  // namespace sy::providers::gemini_images
