#include "model/answer.h"

#include <utility>

namespace sy::model {

namespace {

constexpr std::pair<Finish, std::string_view> kFinishNames[] = {
    {Finish::none, ""},
    {Finish::stop, "stop"},
    {Finish::length, "length"},
    {Finish::tool_calls, "tool_calls"},
    {Finish::content_filter, "content_filter"},
    {Finish::error, "error"},
};

}  // namespace

std::string_view finish_name(Finish finish) {
  for (const auto& [f, name] : kFinishNames)
    if (f == finish) return name;
  return "";
}

Finish finish_of(std::string_view name) {
  for (const auto& [f, n] : kFinishNames)
    if (n == name && f != Finish::none) return f;
  return Finish::stop;
}

}  // namespace sy::model
