// Helpers for the ingress codec tests: a config, decoding a body, reading JSON answers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ingress/ingress.h"
#include "json/json.h"

namespace sy::ingress::testing {

inline constexpr const char* kConfig = R"({"providers": {"echo": {"type": "echo"}},
  "models": {"default": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
  "services": {
    "greet": {"model": "echo/echo-1", "system": "Be kind.", "prompt": "Say hello to {{name}}"},
    "translate": {"model": "default", "system": "Translate from {{source_language}} to {{target_language}}. Answer with the translation only.", "prompt": "{{text}}"},
    "describe": {"model": "default", "prompt": "Describe this image in one sentence.", "image": "{{image}}"},
    "describe-with": {"model": "default", "prompt": "{{question}}", "image": "{{ image }}"},
    "count": {"model": "default", "prompt": "How many items in {{items}}? Options: {{options}}"}}})";

inline std::shared_ptr<const config::Config> load_config(std::string_view text = kConfig) {
  std::vector<config::Problem> problems;
  auto config = config::load(text, "{}", problems);
  EXPECT_TRUE(config) << (problems.empty() ? "" : problems[0].path + ": " + problems[0].message);
  return config;
}

// The result of decoding one body: the envelope (which the request points into) and the error.
struct Decoded {
  std::unique_ptr<model::Envelope> env = std::make_unique<model::Envelope>();
  Error error;
  bool ok = false;
  const model::Request& request() const { return env->request; }
};

inline Decoded decode(const Codec& codec, std::string_view body, std::string_view name = {}) {
  static const auto config = load_config();
  Decoded d;
  d.env->text = body;
  d.ok = codec.decode(*d.env, DecodeArgs{*config, name}, d.error);
  return d;
}

inline json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error << ": " << text;
  return doc;
}

}  // namespace sy::ingress::testing
