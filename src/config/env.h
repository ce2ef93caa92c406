// `env:NAME` references: the config's values a host fills from its environment (provider
// api_key values and gateway keys). Hosts ask which names a config needs, and pass only those.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sy::config {

// The variable names `text` references as "env:NAME", sorted and without duplicates, exactly
// where load() resolves them. Empty for text that is not a JSON object.
std::vector<std::string> env_names(std::string_view text);

}  // namespace sy::config
