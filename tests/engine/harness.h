// The engine driven as a host would, in virtual time: tests feed events and
// check the actions that come back.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exchange/actions.h"
#include "engine/engine.h"
#include "json/json.h"

namespace sy::engine {

inline constexpr const char* kJson = "content-type: application/json\n";

class EngineTest : public ::testing::Test {
 protected:
  void configure(std::string_view config) {
    ASSERT_TRUE(engine.configure(config, "{}")) << engine.last_error();
  }

  std::vector<Action> take() { return decode(engine.batch().data()); }

  std::vector<Action> submit(std::string_view body, std::string_view path = "/v1/chat/completions",
                             std::string_view headers = kJson, std::string_view method = "POST") {
    engine.submit(++last_id, method, path, headers, body, now);
    return take();
  }

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

  Engine engine{7};
  uint32_t last_id = 0;
  double now = 1000;
};

}  // namespace sy::engine
