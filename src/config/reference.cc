#include "config/config.h"

namespace sy::config {

bool parse_reference(std::string_view name, const Pipeline& pipeline, Reference& out) {
  std::vector<std::string> segments;
  for (size_t at = 0;;) {
    size_t dot = name.find('.', at);
    std::string_view segment = name.substr(at, dot == std::string_view::npos ? dot : dot - at);
    if (segment.empty()) return false;
    segments.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    at = dot + 1;
  }
  out = Reference();
  if (segments[0] == "input") {
    out.path.assign(segments.begin() + 1, segments.end());
    return true;
  }
  for (size_t i = 0; i < pipeline.steps.size(); ++i)
    if (pipeline.steps[i].id == segments[0]) out.step = int(i);
  if (out.step < 0 || segments.size() < 2) return false;
  if (segments[1] == "text") {
    out.kind = Reference::Kind::text;
    return segments.size() == 2;
  }
  if (segments[1] != "json") return false;
  out.kind = Reference::Kind::json;
  out.path.assign(segments.begin() + 2, segments.end());
  return true;
}

}  // namespace sy::config
