// Base URLs of common OpenAI-compatible providers, for `{"type": "openai-compatible",
// "preset": "groq"}` (config fills base_url from the preset when base_url is absent).
#pragma once

#include <string>
#include <string_view>

namespace sy::config::presets {

// The preset's base URL (no trailing slash), or an empty view for an unknown name.
std::string_view base_url(std::string_view preset);

// Every preset name, comma separated, for error messages.
std::string names();

}  // namespace sy::config::presets
