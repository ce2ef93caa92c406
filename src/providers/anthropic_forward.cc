#include "providers/anthropic_forward.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "model/params.h"

namespace sy::providers::anthropic {

namespace {

// Members never sent upstream: Switchyard's and OpenRouter's routing controls, and `stream`,
// written as the request asks.
constexpr std::string_view kDropped[] = {"model", "models", "provider", "switchyard", "session_id", "stream"};

bool dropped(std::string_view name) { return std::find(std::begin(kDropped), std::end(kDropped), name) != std::end(kDropped); }

// Canonical parameters that are Anthropic members of the same meaning, under Anthropic's name.
constexpr std::pair<std::string_view, std::string_view> kSameMeaning[] = {
    {"temperature", "temperature"}, {"top_p", "top_p"},           {"top_k", "top_k"},
    {"max_tokens", "max_tokens"},   {"max_completion_tokens", "max_tokens"}, {"stop", "stop_sequences"},
};

// A member to write: its name and its value as JSON text (empty: the member is removed).
struct Edit {
  std::string name;
  std::string value;
  bool written = false;
};

// The overrides as Anthropic members (the last of each name wins). False when one is a
// canonical parameter without an Anthropic member of the same meaning.
bool overrides_as_members(const EncodeInput& in, std::vector<Edit>& edits) {
  for (const auto& override : in.overrides) {  // no structured binding: lambdas capture name
    const auto& name = override.first;
    const auto& raw = override.second;
    json::Document value;
    std::string error;
    if (!json::parse(raw, value, error)) continue;  // ignored, as translate::with_overrides does
    model::Request scratch;
    model::ParamError problem;
    model::ParamResult result = model::set_param(scratch, name, value, problem);
    if (result == model::ParamResult::invalid) continue;
    std::string member = name, text = value.IsNull() ? std::string() : raw;  // empty: remove the member
    if (result == model::ParamResult::set) {
      auto same = std::find_if(std::begin(kSameMeaning), std::end(kSameMeaning), [&](const auto& p) { return p.first == name; });
      if (same == std::end(kSameMeaning)) return false;
      member = same->second;
      if (name == "stop" && value.IsString()) text = "[" + raw + "]";
    }
    if (dropped(member)) continue;
    edits.erase(std::remove_if(edits.begin(), edits.end(), [&](const Edit& e) { return e.name == member; }), edits.end());
    edits.push_back({std::move(member), std::move(text)});
  }
  return true;
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  json::append_string(out, name);
  out += ':';
  out += value;
}

// The caller's members (name, value text): spliced from the text, or, when a key holds an
// escape, from a parse of it (values re-serialized into `storage`).
bool caller_members(std::string_view raw, std::vector<std::pair<std::string, std::string_view>>& members,
                    std::vector<std::string>& storage) {
  std::vector<json::Member> spliced;
  if (json::top_level_members(raw, spliced)) {
    for (const auto& m : spliced) members.emplace_back(std::string(m.key), m.value);
    return true;
  }
  json::Document doc;
  std::string error;
  if (!json::parse(raw, doc, error) || !doc.IsObject()) return false;
  storage.reserve(doc.MemberCount());
  for (const auto& m : doc.GetObject()) {
    json::append_value(storage.emplace_back(), m.value);
    members.emplace_back(std::string(json::view(m.name)), storage.back());
  }
  return true;
}

}  // namespace

bool forward_body(const EncodeInput& in, std::string& out) {
  std::vector<Edit> edits;
  if (in.request.raw.empty() || !overrides_as_members(in, edits)) return false;
  std::vector<std::pair<std::string, std::string_view>> members;
  std::vector<std::string> storage;
  if (!caller_members(in.request.raw, members, storage)) return false;
  out.clear();
  out.reserve(in.request.raw.size() + 64);
  out += "{\"model\":";
  json::append_string(out, in.model);
  for (const auto& [name, value] : members) {
    if (dropped(name)) continue;
    const std::string_view key = name;  // Emscripten's clang 14 cannot capture a structured binding
    auto edit = std::find_if(edits.begin(), edits.end(), [&](const Edit& e) { return e.name == key; });
    if (edit == edits.end()) {
      append_member(out, name, value);
      continue;
    }
    edit->written = true;
    if (!edit->value.empty()) append_member(out, name, edit->value);
  }
  for (const Edit& e : edits)
    if (!e.written && !e.value.empty()) append_member(out, e.name, e.value);
  if (in.request.stream) out += ",\"stream\":true";
  out += '}';
  return true;
}

}  // namespace sy::providers::anthropic
