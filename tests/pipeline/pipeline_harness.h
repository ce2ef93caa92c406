// Pipelines driven through the engine in virtual time: configs whose pipelines are built by hand
// (their `after` edges computed from the templates with parse_reference, as the loader does),
// upstream answers at chosen times. Shared by tests/pipeline and tests/gateway.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "engine/harness.h"
#include "engine/impl.h"

namespace sy::engine {

class PipelineTest : public EngineTest {
 protected:
  // `config_json` loaded, then `pipelines` added to it, then installed.
  void install(std::string_view config_json, std::vector<config::Pipeline> pipelines) {
    std::vector<config::Problem> problems;
    auto loaded = config::load(config_json, "{}", problems);
    ASSERT_TRUE(loaded) << (problems.empty() ? "" : problems[0].path + ": " + problems[0].message);
    auto config = std::make_shared<config::Config>(*loaded);
    for (auto& p : pipelines) {
      fill_after(p);
      config->pipelines.push_back(std::move(p));
    }
    engine.impl().exchange.install(config);
    engine.impl().gateway.install(config);
  }

  // A step with inline templates: `prompt` over its input `fields` (field -> pipeline template).
  static config::PipelineStep step(std::string id, std::string model, std::string prompt,
                                   std::vector<std::pair<std::string, std::string>> fields) {
    config::PipelineStep s;
    s.id = std::move(id);
    s.model = std::move(model);
    s.prompt = std::move(prompt);
    s.input = std::move(fields);
    return s;
  }

  static config::Pipeline pipeline(std::string name, std::vector<config::PipelineStep> steps) {
    config::Pipeline p;
    p.name = std::move(name);
    p.steps = std::move(steps);
    return p;
  }

  // Each step's `after`: the steps its input templates refer to (plus those already listed).
  static void fill_after(config::Pipeline& p) {
    for (auto& s : p.steps) {
      for (const auto& field : s.input) {
        std::string_view t = field.second;
        for (size_t open = t.find("{{"); open != std::string_view::npos; open = t.find("{{", open + 2)) {
          size_t close = t.find("}}", open);
          config::Reference ref;
          if (close != std::string_view::npos && config::parse_reference(t.substr(open + 2, close - open - 2), p, ref) &&
              ref.step >= 0 && std::find(s.after.begin(), s.after.end(), size_t(ref.step)) == s.after.end())
            s.after.push_back(size_t(ref.step));
        }
      }
    }
  }

  static std::string completion(std::string_view text) {
    std::string body = R"({"id":"c","object":"chat.completion","created":1,"model":"m-a","choices":[{"index":0,"message":{"role":"assistant","content":)";
    json::append_string(body, text);
    return body + R"(},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}})";
  }

  static std::vector<Action> of_kind(const std::vector<Action>& actions, ActionKind kind) {
    std::vector<Action> out;
    for (const auto& a : actions)
      if (a.kind == kind) out.push_back(a);
    return out;
  }

  // The FETCH whose body contains `needle`.
  static const Action* fetch_with(const std::vector<Action>& actions, std::string_view needle) {
    for (const auto& a : actions)
      if (a.kind == ActionKind::fetch && a.body.find(needle) != std::string::npos) return &a;
    return nullptr;
  }

  std::vector<Action> reply(uint32_t fetch_id, std::string_view text) { return answer(fetch_id, 200, completion(text)); }

  std::vector<Action> call(std::string_view name, std::string_view body, std::string_view headers = kJson) {
    return submit(body, "/v1/pipelines/" + std::string(name), headers);
  }
};

// Two priced openai-compatible providers (upstream_config) and the cache on.
inline std::string pipeline_config() { return upstream_config(R"(, "cache": {"enabled": true})"); }

}  // namespace sy::engine
