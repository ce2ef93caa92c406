#include "config/env.h"

#include <algorithm>

#include "json/json.h"

namespace sy::config {

std::vector<std::string> env_names(std::string_view text) {
  std::vector<std::string> names;
  json::Document doc;
  std::string error;
  if (!json::parse(text, doc, error) || !doc.IsObject()) return names;
  // Kept sorted, without repeats, as they come (an insertion: no std::sort code in the wasm).
  auto add = [&](std::string_view value) {
    if (value.size() <= 4 || value.substr(0, 4) != "env:") return;
    std::string name(value.substr(4));
    auto at = std::lower_bound(names.begin(), names.end(), name);
    if (at == names.end() || *at != name) names.insert(at, std::move(name));
  };
  if (const json::Value* providers = json::find(doc, "providers"); providers && providers->IsObject())
    for (auto& p : providers->GetObject())
      if (const json::Value* key = json::find(p.value, "api_key"); key && key->IsString()) add(json::view(*key));
  if (const json::Value* keys = json::find(doc, "keys"); keys && keys->IsObject())
    for (auto& k : keys->GetObject()) add(json::view(k.name));
  if (const json::Value* t = json::find(doc, "telemetry"); t && t->IsObject())
    if (const json::Value* o = json::find(*t, "otlp"); o && o->IsObject())
      if (const json::Value* h = json::find(*o, "headers"); h && h->IsObject())
        for (auto& m : h->GetObject())
          if (m.value.IsString()) add(json::view(m.value));
  return names;
}

}  // namespace sy::config
