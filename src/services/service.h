// Services: a named call = a model plus templates filled from the caller's
// input (SPEC section 1). Pipelines will reuse the same rendering.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "base/errors.h"
#include "json/json.h"

namespace sy::services {

// Replaces each {{name}} (spaces around the name allowed) in `tmpl` by
// lookup(name, out_text). Returns false, with `missing` = the first name the
// lookup could not resolve. Text outside placeholders is copied as is.
template <class Lookup>
bool render(std::string_view tmpl, Lookup&& lookup, std::string& out, std::string& missing) {
  size_t at = 0;
  while (true) {
    size_t open = tmpl.find("{{", at);
    size_t close = open == std::string_view::npos ? open : tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(at));
      return true;
    }
    out.append(tmpl.substr(at, open - at));
    std::string_view name = tmpl.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!lookup(name, out)) {
      missing = name;
      return false;
    }
    at = close + 2;
  }
}

// The chat-completions body for a call of `service` with `input` (a JSON
// object). On a missing field returns false with a 400 naming it.
bool build_request(const config::Service& service, const json::Value& input, std::string& body, Error& error);

// {"text", "json"?, "usage", "model", "provider"} from a chat.completion body.
std::string answer(std::string_view completion);

}  // namespace sy::services
