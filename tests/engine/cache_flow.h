// The cache flow fixture shared by the exchange's lookup tests and the gateway's snapshot tests:
// one openai-compatible provider and echo, the cache on, a plain and a streamed chat request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/harness.h"

namespace sy::engine {

inline constexpr const char* kAnswer =
    R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cached words"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

inline std::string config(std::string_view cache = R"({"enabled": true})", std::string_view extra = "") {
  return std::string(R"({"providers": {"a": {"type": "openai-compatible", "base_url": "http://a.test/v1"},
                                       "e": {"type": "echo"}},
                         "retry": {"attempts": 0}, "cache": )") +
         std::string(cache) + std::string(extra) + "}";
}

inline constexpr const char* kChat = R"({"model": "a/m", "messages": [{"role": "user", "content": "hi"}]})";
inline constexpr const char* kStreamChat = R"({"model": "a/m", "stream": true, "messages": [{"role": "user", "content": "hi"}]})";

class CacheFlow : public EngineTest {
 protected:
  const Action* respond_for(const std::vector<Action>& actions, uint32_t id) {
    for (const auto& a : actions)
      if (a.kind == ActionKind::respond && a.id == id) return &a;
    return nullptr;
  }
};

}  // namespace sy::engine
