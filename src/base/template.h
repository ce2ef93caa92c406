// {{name}} templates: services and pipelines fill them from a call's input (SPEC section 1).
#pragma once

#include <string>
#include <string_view>

namespace sy {

// Appends `tmpl` to `out` with each {{name}} (spaces around the name allowed) replaced by what
// lookup(name, out) appends. Returns false, with `missing` = the name, at the first placeholder
// the lookup could not resolve (`out` then holds a partial rendering). Text outside placeholders,
// and a "{{" with no "}}" after it, is copied as is.
template <class Lookup>
bool render_template(std::string_view tmpl, Lookup&& lookup, std::string& out, std::string& missing) {
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

}  // namespace sy
