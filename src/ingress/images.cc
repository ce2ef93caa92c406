#include "ingress/images.h"

#include <algorithm>
#include <array>

#include "ingress/body.h"

namespace sy::ingress::images {

namespace {

using json::Value;

// Members whose value is one of a few strings.
struct Choice {
  std::string_view name;
  std::array<std::string_view, 6> values;  // the allowed ones, then empty
};

constexpr Choice kChoices[] = {
    {"quality", {"standard", "hd", "low", "medium", "high", "auto"}},
    {"style", {"vivid", "natural"}},
    {"response_format", {"url", "b64_json"}},
    {"background", {"transparent", "opaque", "auto"}},
    {"output_format", {"png", "jpeg", "webp"}},
    {"moderation", {"low", "auto"}},
};

// Members whose value is an integer in a range.
struct Range {
  std::string_view name;
  int64_t lo, hi;
};

constexpr Range kRanges[] = {{"n", 1, kMaxImages}, {"output_compression", 0, 100}, {"partial_images", 0, 3}};

std::string choices_text(const Choice& c) {
  std::string out;
  for (std::string_view v : c.values) {
    if (v.empty()) break;
    if (!out.empty()) out += ", ";
    out += '"' + std::string(v) + '"';
  }
  return out;
}

size_t characters(std::string_view text) {
  return size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// "auto", or WIDTHxHEIGHT: two positive numbers of at most 5 digits.
bool valid_size(std::string_view size) {
  if (size == "auto") return true;
  size_t x = size.find('x');
  if (x == std::string_view::npos) return false;
  auto number = [](std::string_view digits) {
    return !digits.empty() && digits.size() <= 5 && digits[0] != '0' &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return number(size.substr(0, x)) && number(size.substr(x + 1));
}

enum class Read { done, other, invalid };

Read refused(Error& error, std::string param, std::string message, std::string code = "invalid_request") {
  body::refuse(error, std::move(param), std::move(message), std::move(code));
  return Read::invalid;
}

// A member with a fixed set of values: into the request's field, or its extras.
Read read_choice(const Choice& c, const Value& v, model::Request& r, Error& error) {
  std::string_view value = json::view(v);
  bool allowed = v.IsString() && std::find(c.values.begin(), c.values.end(), value) != c.values.end() && !value.empty();
  if (!v.IsNull() && !allowed)
    return refused(error, std::string(c.name), std::string(c.name) + " must be one of " + choices_text(c));
  if (c.name == "quality") {
    r.quality = value;
  } else if (c.name == "style") {
    r.style = value;
  } else if (c.name == "response_format") {
    r.image_urls = value == "url";
    r.image_b64 = value == "b64_json";
  } else if (!v.IsNull()) {
    r.extras.emplace_back(c.name, &v);
  }
  return Read::done;
}

Read read_range(const Range& range, const Value& v, model::Request& r, Error& error) {
  bool within = v.IsInt64() && v.GetInt64() >= range.lo && v.GetInt64() <= range.hi;
  if (!v.IsNull() && !within)
    return refused(error, std::string(range.name),
                   std::string(range.name) + " must be an integer from " + std::to_string(range.lo) + " to " +
                       std::to_string(range.hi));
  if (range.name == "n") r.sampling.n = v.IsNull() ? 1 : v.GetInt64();
  else if (!v.IsNull()) r.extras.emplace_back(range.name, &v);
  return Read::done;
}

// size, user, stream.
Read read_other(std::string_view name, const Value& v, model::Request& r, Error& error) {
  if (name == "size") {
    if (!v.IsNull() && !(v.IsString() && valid_size(json::view(v))))
      return refused(error, "size", "size must be \"auto\" or WIDTHxHEIGHT, such as \"1024x1024\"");
    r.size = json::view(v);
  } else if (name == "user") {
    if (!v.IsNull() && !v.IsString()) return refused(error, "user", "user must be a string");
    r.user = json::view(v);
  } else if (name == "stream") {
    if (!v.IsNull() && !v.IsBool()) return refused(error, "stream", "stream must be true or false");
    if (v.IsTrue())
      return refused(error, "stream",
                     "stream is not supported on /v1/images/generations: leave it out, the images come in one answer",
                     "unsupported_parameter");
  } else {
    return Read::other;
  }
  return Read::done;
}

Read read_member(std::string_view name, const Value& v, model::Request& r, Error& error) {
  for (const Choice& c : kChoices)
    if (c.name == name) return read_choice(c, v, r, error);
  for (const Range& range : kRanges)
    if (range.name == name) return read_range(range, v, r, error);
  return read_other(name, v, r, error);
}

// The prompt's limit for the model asked for (its name after any "provider/").
size_t prompt_limit(std::string_view model) {
  if (size_t slash = model.rfind('/'); slash != std::string_view::npos) model.remove_prefix(slash + 1);
  if (model == "dall-e-3") return kMaxPromptDallE3;
  if (model == "dall-e-2") return kMaxPromptDallE2;
  return kMaxPrompt;
}

bool read_prompt(const Value* prompt, model::Request& r, Error& error) {
  if (!prompt || prompt->IsNull()) return body::refuse(error, "prompt", "prompt is required", "missing_prompt");
  if (!prompt->IsString() || prompt->GetStringLength() == 0)
    return body::refuse(error, "prompt", "prompt must be a non-empty string");
  r.prompt = json::view(*prompt);
  size_t limit = prompt_limit(r.model);
  if (characters(r.prompt) > limit)
    return body::refuse(error, "prompt",
                        "prompt must be at most " + std::to_string(limit) + " characters" +
                            (limit == kMaxPrompt ? std::string() : " for " + std::string(r.model)),
                        "string_above_max_length");
  return true;
}

bool decode(model::Envelope& env, const DecodeArgs&, Error& error) {
  if (!body::parse(env, error)) return false;
  model::Request& request = env.request;
  request.kind = model::Kind::images;
  request.format = model::Format::openai_images;
  request.raw = env.text;
  const Value* prompt = nullptr;
  for (const auto& member : static_cast<const Value&>(env.doc).GetObject()) {
    std::string_view name = json::view(member.name);
    body::Member kind = body::routing(request, name, member.value, error);
    if (kind == body::Member::invalid) return false;
    if (kind == body::Member::routing) continue;
    if (name == "prompt") {
      prompt = &member.value;
      continue;
    }
    Read read = read_member(name, member.value, request, error);
    if (read == Read::invalid) return false;
    if (read == Read::other) request.extras.emplace_back(name, &member.value);
  }
  return body::resolve_model(request, error) && read_prompt(prompt, request, error);
}

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::openai_images, decode, nullptr, nullptr, error};

}  // namespace sy::ingress::images
