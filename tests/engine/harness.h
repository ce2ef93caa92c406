// The engine driven as a host would, in virtual time: tests feed events and check the actions that
// come back. Shared by the engine, exchange and gateway tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "exchange/actions.h"
#include "exchange/exchange.h"
#include "json/json.h"

namespace sy::engine {

using exchange::Action;
using exchange::ActionKind;

inline constexpr const char* kJson = "content-type: application/json\n";

class EngineTest : public ::testing::Test {
 protected:
  void configure(std::string_view config) {
    ASSERT_TRUE(engine.configure(config, "{}")) << engine.last_error();
  }

  std::vector<Action> take() { return exchange::decode(engine.batch().data()); }

  std::vector<Action> submit(std::string_view body, std::string_view path = "/v1/chat/completions",
                             std::string_view headers = kJson, std::string_view method = "POST") {
    engine.submit(++last_id, method, path, headers, body, now);
    return take();
  }

  // The engine's next deadline (the host's one timer).
  double deadline() const { return engine.next_deadline(); }

  static const Action* find(const std::vector<Action>& actions, ActionKind kind) {
    for (const auto& a : actions)
      if (a.kind == kind) return &a;
    return nullptr;
  }

  static std::string header(const Action& a, const std::string& name) {
    size_t at = a.headers.find(name + ": ");
    if (at == std::string::npos) return "";
    size_t end = a.headers.find('\n', at);
    return a.headers.substr(at + name.size() + 2, end - at - name.size() - 2);
  }

  static json::Document parse(const std::string& text) {
    json::Document doc;
    std::string error;
    EXPECT_TRUE(json::parse(text, doc, error)) << error << ": " << text;
    return doc;
  }

  // Answers a FETCH with a complete body.
  std::vector<Action> answer(uint32_t fetch_id, int status, std::string_view body, std::string_view headers = kJson) {
    std::vector<Action> all;
    engine.fetch_response(fetch_id, status, headers, now);
    for (auto& a : take()) all.push_back(a);
    engine.fetch_body(fetch_id, body, now);
    for (auto& a : take()) all.push_back(a);
    engine.fetch_end(fetch_id, now);
    for (auto& a : take()) all.push_back(a);
    return all;
  }

  // The text of every STREAM_CHUNK in `actions`.
  static std::string chunks(const std::vector<Action>& actions) {
    std::string text;
    for (const auto& a : actions)
      if (a.kind == ActionKind::stream_chunk) text += a.body;
    return text;
  }

  Engine engine{7};
  uint32_t last_id = 0;
  double now = 1000;
};

// Upstream configs shared by the exchange tests: two openai-compatible providers, one priced.
inline constexpr const char* kCompletion =
    R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"m-up","choices":[{"index":0,"message":{"role":"assistant","content":"hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}})";

inline std::string upstream_config(std::string_view extra = "") {
  return std::string(R"({"providers": {
      "a": {"type": "openai-compatible", "base_url": "http://a.test/v1", "api_key": "sk-secret-a",
            "prices": {"m-a": {"input": 1, "output": 2}}},
      "b": {"type": "openai-compatible", "base_url": "http://b.test/v1"}},
    "models": {"fo": {"strategy": "fallback", "targets": [{"provider": "a", "model": "m-a"}, {"provider": "b", "model": "m-b"}]},
               "rr": {"strategy": "round_robin", "targets": [{"provider": "a", "model": "m-a"}, {"provider": "b", "model": "m-b"}]}})") +
         std::string(extra) + "}";
}

inline constexpr const char* kEchoConfig = R"({"providers": {"echo": {"type": "echo"}},
  "models": {"default": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
  "services": {"greet": {"model": "echo/echo-1", "system": "Be kind.", "prompt": "Say hello to {{name}}"}}})";

}  // namespace sy::engine
