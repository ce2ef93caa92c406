// The Messages ingress: the body's top-level members (anthropic_messages.cc). Bodies follow the
// examples of Anthropic's Messages API reference (tool use, prompt caching, extended thinking).
#include "ingress/anthropic_messages.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::anthropic_messages {
namespace {

using model::PartType;
using model::Role;
using testing::parse;

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

// A body whose other members are `members` after a valid model, max_tokens and one user message.
std::string with(std::string_view members) {
  std::string body = R"({"model": "claude-sonnet-4-20250514", "max_tokens": 1024,
                         "messages": [{"role": "user", "content": "Hello, Claude"}])";
  if (!members.empty()) body += ", " + std::string(members);
  return body + "}";
}

struct Refusal {
  std::string body;
  const char* param;  // nullptr: no param
  const char* code = "invalid_request";
};

void expect_refused(const Codec& codec, const Refusal& r) {
  auto d = testing::decode(codec, r.body);
  ASSERT_FALSE(d.ok) << r.body;
  EXPECT_EQ(d.error.status, 400) << r.body;
  EXPECT_EQ(d.error.type, ErrorType::invalid_request) << r.body;
  EXPECT_EQ(d.error.code, r.code) << r.body << " -> " << d.error.message;
  EXPECT_EQ(d.error.param, r.param ? r.param : "") << r.body << " -> " << d.error.message;
  EXPECT_FALSE(d.error.message.empty());
  // In Anthropic's error shape, with our param and code kept.
  auto body = parse(codec.error(d.error));
  EXPECT_STREQ(body["type"].GetString(), "error");
  EXPECT_STREQ(body["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_EQ(body["error"]["message"].GetString(), d.error.message);
  EXPECT_STREQ(body["error"]["code"].GetString(), r.code);
  if (r.param) EXPECT_STREQ(body["error"]["param"].GetString(), r.param);
  else EXPECT_TRUE(body["error"]["param"].IsNull());
}

void expect_refused(const Refusal& r) { expect_refused(kCodec, r); }

// ---- the reference's examples ----------------------------------------------------------------

TEST(AnthropicMessagesDecode, TheBasicRequest) {
  auto d = decode(R"({"model": "claude-sonnet-4-20250514", "max_tokens": 1024,
                      "messages": [{"role": "user", "content": "Hello, world"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::chat);
  EXPECT_EQ(r.format, model::Format::anthropic_messages);
  EXPECT_EQ(r.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(r.max_tokens, 1024);
  EXPECT_EQ(r.raw, d.env->text);
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.sampling.n, 1);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, Role::user);
  ASSERT_EQ(r.messages[0].parts.size(), 1u);
  EXPECT_EQ(r.messages[0].parts[0].type, PartType::text);
  EXPECT_EQ(r.messages[0].parts[0].text, "Hello, world");
  EXPECT_TRUE(r.extras.empty());
}

// Tool use (the reference's get_weather example, with tool_choice and parallel use disabled).
TEST(AnthropicMessagesDecode, ToolsAndToolChoice) {
  auto d = decode(R"({
    "model": "claude-opus-4-1-20250805", "max_tokens": 1024,
    "tools": [
      {"name": "get_weather", "description": "Get the current weather in a given location",
       "input_schema": {"type": "object", "properties": {"location": {"type": "string",
         "description": "The city and state, e.g. San Francisco, CA"}}, "required": ["location"]},
       "cache_control": {"type": "ephemeral"}},
      {"type": "custom", "name": "get_time", "input_schema": {"type": "object"}, "strict": true},
      {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    ],
    "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true},
    "messages": [{"role": "user", "content": "What is the weather like in San Francisco?"}]
  })");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  ASSERT_EQ(r.tools.size(), 3u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].description, "Get the current weather in a given location");
  ASSERT_NE(r.tools[0].parameters, nullptr);
  EXPECT_STREQ((*r.tools[0].parameters)["required"][0].GetString(), "location");
  EXPECT_EQ(r.tools[0].raw, nullptr) << "other codecs read Tool::raw as OpenAI's shape";
  EXPECT_EQ(r.tools[0].server, model::Format::none);
  EXPECT_FALSE(r.tools[0].strict.has_value());
  EXPECT_EQ(r.tools[1].name, "get_time");
  EXPECT_EQ(r.tools[1].strict, true);
  EXPECT_EQ(r.tools[2].name, "web_search");
  EXPECT_EQ(r.tools[2].server, model::Format::anthropic_messages);
  ASSERT_NE(r.tools[2].raw, nullptr);
  EXPECT_EQ((*r.tools[2].raw)["max_uses"].GetInt(), 5);
  EXPECT_EQ(r.tool_choice.mode, model::ToolChoice::Mode::named);
  EXPECT_EQ(r.tool_choice.name, "get_weather");
  EXPECT_EQ(r.parallel_tool_calls, false);
}

TEST(AnthropicMessagesDecode, ToolChoiceTypes) {
  using Mode = model::ToolChoice::Mode;
  auto mode = [](const char* choice) {
    auto d = decode(with(std::string(R"("tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": )") + choice));
    EXPECT_TRUE(d.ok) << d.error.message;
    return std::make_pair(d.request().tool_choice.mode, d.request().parallel_tool_calls);
  };
  EXPECT_EQ(mode(R"({"type": "auto"})").first, Mode::automatic);
  EXPECT_EQ(mode(R"({"type": "any"})").first, Mode::required);
  EXPECT_EQ(mode(R"({"type": "none"})").first, Mode::none);
  EXPECT_FALSE(mode(R"({"type": "auto"})").second.has_value());
  EXPECT_FALSE(mode(R"({"type": "any", "disable_parallel_tool_use": false})").second.has_value());
  EXPECT_EQ(mode(R"({"type": "auto", "disable_parallel_tool_use": true})").second, false);
}

// Prompt caching: system as text blocks, the last one marked.
TEST(AnthropicMessagesDecode, SystemBlocksWithCacheControl) {
  auto d = decode(R"({
    "model": "claude-opus-4-1-20250805", "max_tokens": 1024,
    "system": [
      {"type": "text", "text": "You are an AI assistant tasked with analyzing literary works. Your goal is to provide insightful commentary on themes, characters, and writing style.\n"},
      {"type": "text", "text": "<the entire contents of Pride and Prejudice>", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    ],
    "messages": [{"role": "user", "content": "Analyze the major themes in Pride and Prejudice."}]
  })");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, Role::system);
  ASSERT_EQ(r.messages[0].parts.size(), 2u);
  EXPECT_EQ(r.messages[0].parts[1].text, "<the entire contents of Pride and Prejudice>");
  ASSERT_NE(r.messages[0].parts[1].raw, nullptr);
  EXPECT_STREQ((*r.messages[0].parts[1].raw)["cache_control"]["type"].GetString(), "ephemeral");
  EXPECT_EQ(r.messages[1].role, Role::user);

  auto plain = decode(with(R"("system": "You are a seasoned data scientist at a Fortune 500 company.")"));
  ASSERT_TRUE(plain.ok);
  ASSERT_EQ(plain.request().messages.size(), 2u);
  EXPECT_EQ(plain.request().messages[0].role, Role::system);
  EXPECT_EQ(plain.request().messages[0].parts[0].text, "You are a seasoned data scientist at a Fortune 500 company.");
  auto empty = decode(with(R"("system": "")"));
  ASSERT_TRUE(empty.ok);
  EXPECT_EQ(empty.request().messages.size(), 1u) << "an empty system prompt is no message";
}

TEST(AnthropicMessagesDecode, ThinkingBudgets) {
  auto budget = [](const char* thinking) {
    auto d = decode(with(std::string(R"("thinking": )") + thinking));
    EXPECT_TRUE(d.ok) << d.error.message;
    return d.request().reasoning_budget;
  };
  EXPECT_EQ(budget(R"({"type": "enabled", "budget_tokens": 10000})"), 10000);
  EXPECT_EQ(budget(R"({"type": "enabled", "budget_tokens": 1024, "display": "omitted"})"), 1024);
  EXPECT_EQ(budget(R"({"type": "disabled"})"), 0);
  EXPECT_EQ(budget("null"), -1);
  // Adaptive thinking (the model decides) has no canonical form: it stays among the extras.
  auto adaptive = decode(with(R"("thinking": {"type": "adaptive", "display": "summarized"})"));
  ASSERT_TRUE(adaptive.ok);
  EXPECT_EQ(adaptive.request().reasoning_budget, -1);
  ASSERT_EQ(adaptive.request().extras.size(), 1u);
  EXPECT_EQ(adaptive.request().extras[0].first, "thinking");
}

TEST(AnthropicMessagesDecode, SamplingStopSequencesMetadataStream) {
  auto d = decode(with(R"("temperature": 0.7, "top_p": 0.9, "top_k": 40, "stop_sequences": ["\n\nHuman:", "END", "x", "y", "z"],
                          "metadata": {"user_id": "13803d75-b4b5-4c3e-b2a2-6f21399b021b"}, "stream": true)"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.sampling.temperature, 0.7);
  EXPECT_EQ(r.sampling.top_p, 0.9);
  EXPECT_EQ(r.sampling.top_k, 40);
  ASSERT_EQ(r.sampling.stop.size(), 5u) << "Anthropic takes more than OpenAI's four";
  EXPECT_EQ(r.sampling.stop[0], "\n\nHuman:");
  EXPECT_EQ(r.user, "13803d75-b4b5-4c3e-b2a2-6f21399b021b");
  EXPECT_EQ(r.metadata, nullptr) << "only user_id, which is canonical user";
  EXPECT_TRUE(r.stream);
  auto nulls = decode(with(R"("temperature": null, "metadata": {"user_id": null}, "tools": null, "system": null)"));
  ASSERT_TRUE(nulls.ok) << nulls.error.message;
  EXPECT_FALSE(nulls.request().sampling.temperature.has_value());
  EXPECT_EQ(nulls.request().user, "");
}

TEST(AnthropicMessagesDecode, OutputConfig) {
  auto d = decode(with(R"("output_config": {"effort": "high", "format": {"type": "json_schema",
      "schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}})"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.reasoning_effort, "high");
  EXPECT_EQ(r.response_format.type, model::ResponseFormat::Type::json_schema);
  EXPECT_EQ(r.response_format.name, "output");
  ASSERT_NE(r.response_format.schema, nullptr);
  EXPECT_STREQ((*r.response_format.schema)["required"][0].GetString(), "name");
  EXPECT_TRUE(r.extras.empty());
  auto max = decode(with(R"("output_config": {"effort": "max", "format": null})"));
  ASSERT_TRUE(max.ok);
  EXPECT_EQ(max.request().reasoning_effort, "max");
  EXPECT_EQ(max.request().response_format.type, model::ResponseFormat::Type::unset);
}

// Members no canonical field covers are kept in body order, for targets that take them.
TEST(AnthropicMessagesDecode, OtherMembersAreExtras) {
  auto d = decode(with(R"("service_tier": "standard_only", "container": "container_011CN", "context_management":
      {"edits": [{"type": "clear_tool_uses_20250919"}]}, "mcp_servers": [{"type": "url", "url": "https://mcp.example.com/sse",
      "name": "example"}], "inference_geo": "us", "cache_control": {"type": "ephemeral"}, "seed": 7)"));
  ASSERT_TRUE(d.ok) << d.error.message;
  std::vector<std::string_view> names;
  for (const auto& [name, value] : d.request().extras) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"service_tier", "container", "context_management", "mcp_servers",
                                                  "inference_geo", "cache_control", "seed"}));
  EXPECT_FALSE(d.request().sampling.seed.has_value()) << "seed is not Anthropic's: an extra, not OpenAI's seed";
}

TEST(AnthropicMessagesDecode, RoutingMembersAsInEveryFormat) {
  auto d = decode(R"({"models": ["claude-a", "claude-b"], "max_tokens": 5, "provider": {"sort": "price"},
                      "session_id": "s-1", "switchyard": {"cache": "no-store"},
                      "messages": [{"role": "user", "content": "x"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().model, "claude-a");
  EXPECT_EQ(d.request().routing.models.size(), 2u);
  EXPECT_NE(d.request().routing.provider, nullptr);
  EXPECT_EQ(d.request().routing.session_id, "s-1");
  EXPECT_NE(d.request().controls, nullptr);
  EXPECT_TRUE(d.request().extras.empty());
}

// ---- refusals -------------------------------------------------------------------------------

TEST(AnthropicMessagesDecode, BadBodiesAndRequiredMembers) {
  Refusal cases[] = {
      {"{not json", nullptr, "invalid_json"},
      {"[1]", nullptr, "invalid_json"},
      {"", nullptr, "invalid_json"},
      {std::string("{\"model\": \"caf\xC3\x28\"}"), nullptr, "invalid_json"},
      {R"({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})", "model", "missing_model"},
      {R"({"model": 5, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})", "model"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})", "max_tokens", "missing_max_tokens"},
      {R"({"model": "m", "max_tokens": 5})", "messages", "missing_messages"},
      {R"({"model": "m", "max_tokens": 5, "messages": []})", "messages"},
      {R"({"model": "m", "max_tokens": 5, "messages": "hi"})", "messages"},
  };
  for (const auto& c : cases) expect_refused(c);
}

TEST(AnthropicMessagesDecode, TypeAndRangeErrorsNameTheField) {
  Refusal cases[] = {
      {with(R"("max_tokens": 0)"), "max_tokens"},
      {with(R"("max_tokens": -1)"), "max_tokens"},
      {with(R"("max_tokens": 1.5)"), "max_tokens"},
      {with(R"("max_tokens": "1024")"), "max_tokens"},
      {with(R"("max_tokens": null)"), "max_tokens"},
      {with(R"("temperature": 1.5)"), "temperature"},
      {with(R"("temperature": -0.1)"), "temperature"},
      {with(R"("temperature": "warm")"), "temperature"},
      {with(R"("top_p": 1.5)"), "top_p"},
      {with(R"("top_k": -1)"), "top_k"},
      {with(R"("top_k": 2.5)"), "top_k"},
      {with(R"("stream": "yes")"), "stream"},
      {with(R"("stop_sequences": "END")"), "stop_sequences"},
      {with(R"("stop_sequences": ["END", 5])"), "stop_sequences[1]"},
      {with(R"("metadata": "u-1")"), "metadata"},
      {with(R"("metadata": {"user_id": 5})"), "metadata.user_id"},
      {with(R"("metadata": {"team": "search"})"), "metadata.team"},
      {with(R"("system": 5)"), "system"},
      {with(R"("system": [{"type": "image", "source": {}}])"), "system[0].type"},
      {with(R"("system": [{"type": "text", "text": "a"}, {"type": "text"}])"), "system[1].text"},
      {with(R"("system": [{"type": "text", "text": "a", "cache_control": {"type": "forever"}}])"), "system[0].cache_control"},
      {with(R"("thinking": true)"), "thinking"},
      {with(R"("thinking": {"type": "on"})"), "thinking.type"},
      {with(R"("thinking": {"type": "enabled"})"), "thinking.budget_tokens"},
      {with(R"("thinking": {"type": "enabled", "budget_tokens": 1000})"), "thinking.budget_tokens"},
      {with(R"("thinking": {"type": "enabled", "budget_tokens": 2048, "display": "full"})"), "thinking.display"},
      {with(R"("output_config": "high")"), "output_config"},
      {with(R"("output_config": {"effort": "extreme"})"), "output_config.effort"},
      {with(R"("output_config": {"format": {"type": "json_object"}})"), "output_config.format.type"},
      {with(R"("output_config": {"format": {"type": "json_schema"}})"), "output_config.format.schema"},
      {with(R"("output_config": {"verbosity": "low"})"), "output_config.verbosity"},
  };
  for (const auto& c : cases) expect_refused(c);
  EXPECT_EQ(decode(with(R"("temperature": 1.5)")).error.message, "temperature must be a number from 0 to 1");
}

TEST(AnthropicMessagesDecode, ToolRulesNameTheField) {
  Refusal cases[] = {
      {with(R"("tools": {"name": "f"})"), "tools"},
      {with(R"("tools": ["f"])"), "tools[0]"},
      {with(R"("tools": [{"input_schema": {"type": "object"}}])"), "tools[0].name"},
      {with(R"("tools": [{"name": "get weather", "input_schema": {"type": "object"}}])"), "tools[0].name"},
      {with(R"("tools": [{"name": "f"}])"), "tools[0].input_schema"},
      {with(R"("tools": [{"name": "f", "input_schema": {"type": "string"}}])"), "tools[0].input_schema.type"},
      {with(R"("tools": [{"name": "f", "description": 5, "input_schema": {"type": "object"}}])"), "tools[0].description"},
      {with(R"("tools": [{"name": "f", "strict": "yes", "input_schema": {"type": "object"}}])"), "tools[0].strict"},
      // OpenAI's tool shape is not Anthropic's.
      {with(R"("tools": [{"type": "function", "function": {"name": "f"}}])"), "tools[0].type"},
      {with(R"("tools": [{"type": "web_search_20250305"}])"), "tools[0].name"},
      {with(R"("tool_choice": "auto")"), "tool_choice"},
      {with(R"("tool_choice": {"type": "required"})"), "tool_choice.type"},
      {with(R"("tool_choice": {"type": "tool"})"), "tool_choice.name"},
      {with(R"("tool_choice": {"type": "auto", "disable_parallel_tool_use": "yes"})"), "tool_choice.disable_parallel_tool_use"},
  };
  for (const auto& c : cases) expect_refused(c);
  EXPECT_EQ(decode(with(R"("tools": [{"name": "f"}])")).error.message,
            "tools[0].input_schema is required: a JSON Schema object");
}

// ---- count_tokens -----------------------------------------------------------------------------

TEST(AnthropicMessagesDecode, CountTokensNeedsNoMaxTokens) {
  auto d = testing::decode(kCountTokens, R"({"model": "claude-sonnet-4-20250514",
      "system": "You are a scientist", "messages": [{"role": "user", "content": "Hello, Claude"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().format, model::Format::anthropic_messages);
  EXPECT_EQ(d.request().max_tokens, -1);
  ASSERT_EQ(d.request().messages.size(), 2u);
  EXPECT_EQ(model::prompt_tokens(d.request()), 4 + 5 + 4 + 4);  // "You are a scientist", "Hello, Claude"
  // The rest is checked as for /v1/messages.
  expect_refused(kCountTokens, {R"({"model": "m"})", "messages", "missing_messages"});
  expect_refused(kCountTokens, {R"({"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]})",
                                "max_tokens"});
  expect_refused(kCountTokens, {R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]})",
                                "messages[0].content[0].text"});
}

}  // namespace
}  // namespace sy::ingress::anthropic_messages
