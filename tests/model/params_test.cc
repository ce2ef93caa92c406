#include "model/params.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace sy::model {
namespace {

// Parses each value into a document that lives as long as the fixture (the request points into it).
class ParamsTest : public ::testing::Test {
 protected:
  ParamResult set(std::string_view name, std::string_view value_json) {
    json::Document& doc = docs_.emplace_back();
    std::string parse_error;
    EXPECT_TRUE(json::parse(value_json, doc, parse_error)) << value_json << ": " << parse_error;
    error = {};
    return set_param(request, name, doc, error);
  }
  // Expects `value_json` to be refused for `name` with the error at `path`.
  void refused(std::string_view name, std::string_view value_json, std::string_view path = "") {
    EXPECT_EQ(set(name, value_json), ParamResult::invalid) << name << " = " << value_json;
    EXPECT_EQ(error.path, path) << name << " = " << value_json;
    EXPECT_FALSE(error.message.empty());
  }
  void accepted(std::string_view name, std::string_view value_json) {
    EXPECT_EQ(set(name, value_json), ParamResult::set) << name << " = " << value_json << ": " << error.path << " "
                                                       << error.message;
  }

  Request request;
  ParamError error;
  std::deque<json::Document> docs_;
};

TEST_F(ParamsTest, UnknownNamesAreLeftToTheCaller) {
  EXPECT_EQ(set("service_tier", R"("flex")"), ParamResult::unknown);
  EXPECT_EQ(set("model", R"("gpt")"), ParamResult::unknown);
  EXPECT_EQ(set("messages", "[]"), ParamResult::unknown);
  EXPECT_EQ(set("Temperature", "1"), ParamResult::unknown);
}

TEST_F(ParamsTest, NumbersInTheirRanges) {
  struct Case {
    const char* name;
    std::optional<double>& field;
    double lo, hi;
    const char* message;
  } cases[] = {
      {"temperature", request.sampling.temperature, 0, 2, "must be a number from 0 to 2"},
      {"top_p", request.sampling.top_p, 0, 1, "must be a number from 0 to 1"},
      {"presence_penalty", request.sampling.presence_penalty, -2, 2, "must be a number from -2 to 2"},
      {"frequency_penalty", request.sampling.frequency_penalty, -2, 2, "must be a number from -2 to 2"},
  };
  for (auto& c : cases) {
    accepted(c.name, std::to_string(c.lo));
    EXPECT_EQ(c.field, c.lo);
    accepted(c.name, std::to_string(c.hi));
    EXPECT_EQ(c.field, c.hi);
    accepted(c.name, "0.5");
    EXPECT_EQ(c.field, 0.5);
    refused(c.name, std::to_string(c.hi + 0.01));
    EXPECT_EQ(error.message, c.message);
    refused(c.name, std::to_string(c.lo - 0.01));
    refused(c.name, R"("1")");
    refused(c.name, "true");
    refused(c.name, "[1]");
    EXPECT_EQ(c.field, 0.5) << "a refused value changes nothing";
    accepted(c.name, "null");
    EXPECT_FALSE(c.field.has_value());
  }
}

TEST_F(ParamsTest, Seed) {
  accepted("seed", "-9223372036854775808");
  EXPECT_EQ(request.sampling.seed, INT64_MIN);
  accepted("seed", "42");
  EXPECT_EQ(request.sampling.seed, 42);
  refused("seed", "1.5");
  EXPECT_EQ(error.message, "must be an integer");
  refused("seed", R"("42")");
  refused("seed", "9223372036854775808");
  EXPECT_EQ(request.sampling.seed, 42);
  accepted("seed", "null");
  EXPECT_FALSE(request.sampling.seed.has_value());
}

TEST_F(ParamsTest, TopK) {
  accepted("top_k", "0");
  accepted("top_k", "40");
  EXPECT_EQ(request.sampling.top_k, 40);
  refused("top_k", "-1");
  EXPECT_EQ(error.message, "must be an integer >= 0");
  refused("top_k", "4.5");
  accepted("top_k", "null");
  EXPECT_FALSE(request.sampling.top_k.has_value());
}

TEST_F(ParamsTest, N) {
  accepted("n", "1");
  accepted("n", "128");
  EXPECT_EQ(request.sampling.n, 128);
  refused("n", "0");
  EXPECT_EQ(error.message, "must be an integer from 1 to 128");
  refused("n", "129");
  refused("n", "2.5");
  refused("n", R"("2")");
  EXPECT_EQ(request.sampling.n, 128);
  accepted("n", "null");
  EXPECT_EQ(request.sampling.n, 1);
}

TEST_F(ParamsTest, Stop) {
  accepted("stop", R"("\n\n")");
  ASSERT_EQ(request.sampling.stop.size(), 1u);
  EXPECT_EQ(request.sampling.stop[0], "\n\n");
  accepted("stop", R"(["a", "b", "c", "d"])");
  EXPECT_EQ(request.sampling.stop, (std::vector<std::string_view>{"a", "b", "c", "d"}));
  refused("stop", R"(["a", "b", "c", "d", "e"])");
  EXPECT_EQ(error.message, "must be a string or an array of up to 4 strings");
  refused("stop", R"(["a", 5])", "[1]");
  EXPECT_EQ(error.message, "must be a string");
  refused("stop", "5");
  refused("stop", R"({"a": 1})");
  EXPECT_EQ(request.sampling.stop.size(), 4u) << "a refused value changes nothing";
  accepted("stop", "[]");
  EXPECT_TRUE(request.sampling.stop.empty());
  accepted("stop", R"("x")");
  accepted("stop", "null");
  EXPECT_TRUE(request.sampling.stop.empty());
}

TEST_F(ParamsTest, MaxTokens) {
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    accepted(name, "1");
    EXPECT_EQ(request.max_tokens, 1);
    accepted(name, "4096");
    EXPECT_EQ(request.max_tokens, 4096);
    refused(name, "0");
    EXPECT_EQ(error.message, "must be a positive integer");
    refused(name, "-5");
    refused(name, "10.5");
    refused(name, R"("100")");
    EXPECT_EQ(request.max_tokens, 4096);
    accepted(name, "null");
    EXPECT_EQ(request.max_tokens, -1);
  }
}

TEST_F(ParamsTest, Logprobs) {
  accepted("logprobs", "true");
  EXPECT_EQ(request.sampling.logprobs, true);
  accepted("logprobs", "false");
  EXPECT_EQ(request.sampling.logprobs, false);
  refused("logprobs", "1");
  EXPECT_EQ(error.message, "must be true or false");
  accepted("logprobs", "null");
  EXPECT_FALSE(request.sampling.logprobs.has_value());

  accepted("top_logprobs", "0");
  accepted("top_logprobs", "20");
  EXPECT_EQ(request.sampling.top_logprobs, 20);
  refused("top_logprobs", "21");
  EXPECT_EQ(error.message, "must be an integer from 0 to 20");
  refused("top_logprobs", "-1");
  refused("top_logprobs", "true");
  accepted("top_logprobs", "null");
  EXPECT_FALSE(request.sampling.top_logprobs.has_value());
}

TEST_F(ParamsTest, LogitBias) {
  accepted("logit_bias", R"({"50256": -100, "15496": 100, "1": 0})");
  ASSERT_NE(request.sampling.logit_bias, nullptr);
  EXPECT_EQ(request.sampling.logit_bias->MemberCount(), 3u);
  refused("logit_bias", R"({"50256": -101})", ".50256");
  EXPECT_EQ(error.message, "must be an integer from -100 to 100");
  refused("logit_bias", R"({"50256": 1.5})", ".50256");
  refused("logit_bias", R"({"50256": "1"})", ".50256");
  refused("logit_bias", R"({"hello": 1})");
  EXPECT_NE(error.message.find("token ids"), std::string::npos);
  refused("logit_bias", R"([1, 2])");
  refused("logit_bias", "5");
  EXPECT_EQ(request.sampling.logit_bias->MemberCount(), 3u);
  accepted("logit_bias", "null");
  EXPECT_EQ(request.sampling.logit_bias, nullptr);
}

constexpr const char* kTools = R"([
  {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "strict": true,
   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
  {"type": "function", "function": {"name": "now"}},
  {"type": "custom", "custom": {"name": "code_exec", "description": "Runs code", "format": {"type": "text"}}},
  {"type": "web_search_preview"}
])";

TEST_F(ParamsTest, ToolsKeepFunctionsAndOtherTypesWhole) {
  accepted("tools", kTools);
  ASSERT_EQ(request.tools.size(), 4u);
  const Tool& weather = request.tools[0];
  EXPECT_EQ(weather.name, "get_weather");
  EXPECT_EQ(weather.description, "Weather of a city");
  ASSERT_NE(weather.parameters, nullptr);
  EXPECT_TRUE(weather.parameters->IsObject());
  EXPECT_EQ(weather.strict, true);
  EXPECT_EQ(weather.raw, nullptr) << "function tools are canonical";
  EXPECT_EQ(request.tools[1].name, "now");
  EXPECT_EQ(request.tools[1].parameters, nullptr);
  EXPECT_FALSE(request.tools[1].strict.has_value());
  const Tool& custom = request.tools[2];
  EXPECT_EQ(custom.name, "code_exec");
  ASSERT_NE(custom.raw, nullptr);
  EXPECT_EQ(json::view((*custom.raw)["type"]), "custom");
  EXPECT_EQ(request.tools[3].name, "");
  ASSERT_NE(request.tools[3].raw, nullptr);
  accepted("tools", "[]");
  EXPECT_TRUE(request.tools.empty());
  accepted("tools", kTools);
  accepted("tools", "null");
  EXPECT_TRUE(request.tools.empty());
}

TEST_F(ParamsTest, ToolsAreCheckedWholeBeforeAnyIsSet) {
  accepted("tools", kTools);
  refused("tools", R"({"type": "function"})");
  EXPECT_EQ(error.message, "must be an array of tools");
  refused("tools", R"("get_weather")");
  refused("tools", R"([{"type": "function", "function": {"name": "ok"}}, 5])", "[1]");
  refused("tools", R"([{"function": {"name": "ok"}}])", "[0].type");
  refused("tools", R"([{"type": "function"}])", "[0].function");
  refused("tools", R"([{"type": "function", "function": "f"}])", "[0].function");
  refused("tools", R"([{"type": "function", "function": {"name": "ok"}}, {"type": "function", "function": {"name": "has space"}}])",
          "[1].function.name");
  EXPECT_EQ(error.message, "must be 1 to 64 characters from a-z, A-Z, 0-9, _ and -");
  refused("tools", R"([{"type": "function", "function": {"name": ""}}])", "[0].function.name");
  refused("tools", R"([{"type": "function", "function": {}}])", "[0].function.name");
  refused("tools", R"([{"type": "function", "function": {"name": 5}}])", "[0].function.name");
  refused("tools", R"([{"type": "function", "function": {"name": ")" + std::string(65, 'a') + R"("}}])",
          "[0].function.name");
  accepted("tools", R"([{"type": "function", "function": {"name": ")" + std::string(64, 'a') + R"("}}])");
  accepted("tools", kTools);
  refused("tools", R"([{"type": "function", "function": {"name": "f", "parameters": "{}"}}])", "[0].function.parameters");
  refused("tools", R"([{"type": "function", "function": {"name": "f", "description": 5}}])", "[0].function.description");
  refused("tools", R"([{"type": "function", "function": {"name": "f", "strict": "yes"}}])", "[0].function.strict");
  EXPECT_EQ(request.tools.size(), 4u) << "a refused value changes nothing";
  accepted("tools", R"([{"type": "function", "function": {"name": "f", "parameters": null, "description": null, "strict": null}}])");
  EXPECT_EQ(request.tools.size(), 1u);
}

TEST_F(ParamsTest, ToolChoice) {
  accepted("tool_choice", R"("none")");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::none);
  accepted("tool_choice", R"("auto")");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::automatic);
  accepted("tool_choice", R"("required")");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::required);
  accepted("tool_choice", R"({"type": "function", "function": {"name": "get_weather"}})");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::named);
  EXPECT_EQ(request.tool_choice.name, "get_weather");
  accepted("tool_choice", R"({"type": "custom", "custom": {"name": "code_exec"}})");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::named);
  EXPECT_EQ(request.tool_choice.name, "code_exec");
  accepted("tool_choice",
           R"({"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [{"type": "function", "function": {"name": "a"}}]}})");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::required);
  EXPECT_EQ(request.tool_choice.name, "");
  accepted("tool_choice", R"({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}})");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::automatic);

  accepted("tool_choice", R"({"type": "function", "function": {"name": "f"}})");
  refused("tool_choice", R"("sometimes")");
  EXPECT_EQ(error.message, R"(must be "none", "auto", "required" or {"type": "function", "function": {"name": …}})");
  refused("tool_choice", "true");
  refused("tool_choice", R"(["auto"])");
  refused("tool_choice", R"({"type": "function"})", ".function.name");
  refused("tool_choice", R"({"type": "function", "function": {"name": ""}})", ".function.name");
  refused("tool_choice", R"({"type": "function", "function": {"name": 3}})", ".function.name");
  refused("tool_choice", R"({"type": "tool", "name": "f"})", ".type");
  refused("tool_choice", R"({"function": {"name": "f"}})", ".type");
  refused("tool_choice", R"({"type": "allowed_tools"})", ".allowed_tools");
  refused("tool_choice", R"({"type": "allowed_tools", "allowed_tools": {"mode": "none", "tools": []}})", ".allowed_tools.mode");
  refused("tool_choice", R"({"type": "allowed_tools", "allowed_tools": {"mode": "auto"}})", ".allowed_tools.tools");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::named);
  EXPECT_EQ(request.tool_choice.name, "f");
  accepted("tool_choice", "null");
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::unset);
}

TEST_F(ParamsTest, ParallelToolCalls) {
  accepted("parallel_tool_calls", "false");
  EXPECT_EQ(request.parallel_tool_calls, false);
  refused("parallel_tool_calls", R"("false")");
  refused("parallel_tool_calls", "0");
  EXPECT_EQ(request.parallel_tool_calls, false);
  accepted("parallel_tool_calls", "null");
  EXPECT_FALSE(request.parallel_tool_calls.has_value());
}

TEST_F(ParamsTest, ResponseFormat) {
  accepted("response_format", R"({"type": "text"})");
  EXPECT_EQ(request.response_format.type, ResponseFormat::Type::text);
  accepted("response_format", R"({"type": "json_object"})");
  EXPECT_EQ(request.response_format.type, ResponseFormat::Type::json_object);
  accepted("response_format", R"({"type": "json_schema", "json_schema": {"name": "math_reasoning",
      "description": "Steps", "strict": true,
      "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
                 "additionalProperties": false}}})");
  const ResponseFormat& f = request.response_format;
  EXPECT_EQ(f.type, ResponseFormat::Type::json_schema);
  EXPECT_EQ(f.name, "math_reasoning");
  EXPECT_EQ(f.description, "Steps");
  EXPECT_EQ(f.strict, true);
  ASSERT_NE(f.schema, nullptr);
  EXPECT_TRUE(f.schema->HasMember("properties"));
  accepted("response_format", R"({"type": "json_schema", "json_schema": {"name": "x"}})");
  EXPECT_EQ(request.response_format.schema, nullptr);
  EXPECT_EQ(request.response_format.description, "");
  EXPECT_FALSE(request.response_format.strict.has_value());

  refused("response_format", R"("json_object")");
  EXPECT_EQ(error.message, R"(must be an object such as {"type": "json_object"})");
  refused("response_format", "[]");
  refused("response_format", R"({"type": "yaml"})", ".type");
  refused("response_format", R"({})", ".type");
  refused("response_format", R"({"type": "json_schema"})", ".json_schema");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"schema": {}}})", ".json_schema.name");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"name": "a b"}})", ".json_schema.name");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"name": "x", "schema": "{}"}})", ".json_schema.schema");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"name": "x", "schema": []}})", ".json_schema.schema");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"name": "x", "strict": 1}})", ".json_schema.strict");
  refused("response_format", R"({"type": "json_schema", "json_schema": {"name": "x", "description": {}}})",
          ".json_schema.description");
  EXPECT_EQ(request.response_format.name, "x") << "a refused value changes nothing";
  accepted("response_format", "null");
  EXPECT_EQ(request.response_format.type, ResponseFormat::Type::unset);
  EXPECT_EQ(request.response_format.name, "");
}

TEST_F(ParamsTest, ReasoningEffort) {
  for (const char* e : {"none", "minimal", "low", "medium", "high", "xhigh", "max"}) {
    accepted("reasoning_effort", "\"" + std::string(e) + "\"");
    EXPECT_EQ(request.reasoning_effort, e);
  }
  refused("reasoning_effort", R"("extreme")");
  EXPECT_EQ(error.message, "must be one of none, minimal, low, medium, high, xhigh, max");
  refused("reasoning_effort", "2");
  EXPECT_EQ(request.reasoning_effort, "max");
  accepted("reasoning_effort", "null");
  EXPECT_EQ(request.reasoning_effort, "");
}

TEST_F(ParamsTest, User) {
  accepted("user", R"("user-1234")");
  EXPECT_EQ(request.user, "user-1234");
  refused("user", "1234");
  EXPECT_EQ(error.message, "must be a string");
  refused("user", R"({"id": 1})");
  EXPECT_EQ(request.user, "user-1234");
  accepted("user", "null");
  EXPECT_EQ(request.user, "");
}

TEST_F(ParamsTest, Metadata) {
  accepted("metadata", R"({"team": "search", "run": "42"})");
  ASSERT_NE(request.metadata, nullptr);
  std::string sixteen = "{", seventeen;
  for (int i = 0; i < 16; ++i) sixteen += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  seventeen = sixteen + ",\"k16\":\"v\"}";
  sixteen += "}";
  accepted("metadata", sixteen);
  refused("metadata", seventeen);
  EXPECT_EQ(error.message, "must have at most 16 members");
  accepted("metadata", "{\"" + std::string(64, 'k') + "\": \"" + std::string(512, 'v') + "\"}");
  // Characters, not bytes: 512 two-byte characters fit.
  std::string accents;
  for (int i = 0; i < 512; ++i) accents += "é";
  accepted("metadata", "{\"k\": \"" + accents + "\"}");
  refused("metadata", "{\"" + std::string(65, 'k') + "\": \"v\"}");
  EXPECT_EQ(error.message, "keys must be at most 64 characters");
  refused("metadata", "{\"k\": \"" + std::string(513, 'v') + "\"}", ".k");
  refused("metadata", R"({"count": 3})", ".count");
  EXPECT_EQ(error.message, "must be a string of at most 512 characters");
  refused("metadata", R"({"nested": {"a": "b"}})", ".nested");
  refused("metadata", R"("team=search")");
  refused("metadata", "[]");
  EXPECT_NE(request.metadata, nullptr);
  accepted("metadata", "null");
  EXPECT_EQ(request.metadata, nullptr);
}

TEST_F(ParamsTest, StreamAndStreamOptions) {
  accepted("stream", "true");
  EXPECT_TRUE(request.stream);
  refused("stream", R"("yes")");
  EXPECT_EQ(error.message, "must be true or false");
  refused("stream", "1");
  EXPECT_TRUE(request.stream);
  accepted("stream", "null");
  EXPECT_FALSE(request.stream);

  accepted("stream_options", R"({"include_usage": true})");
  EXPECT_TRUE(request.include_usage);
  accepted("stream_options", R"({"include_usage": true, "include_obfuscation": false})");
  refused("stream_options", R"({"include_usage": "yes"})", ".include_usage");
  refused("stream_options", R"({"include_obfuscation": 0})", ".include_obfuscation");
  refused("stream_options", "true");
  EXPECT_EQ(error.message, R"(must be an object such as {"include_usage": true})");
  EXPECT_TRUE(request.include_usage);
  accepted("stream_options", "{}");
  EXPECT_FALSE(request.include_usage);
  accepted("stream_options", R"({"include_usage": true})");
  accepted("stream_options", "null");
  EXPECT_FALSE(request.include_usage);
}

TEST_F(ParamsTest, EveryParameterTakesNullAsUnset) {
  for (const char* name : {"temperature", "top_p", "presence_penalty", "frequency_penalty", "seed", "top_k", "n", "stop",
                           "max_tokens", "max_completion_tokens", "logprobs", "top_logprobs", "logit_bias", "tools",
                           "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort", "user", "metadata",
                           "stream", "stream_options"})
    accepted(name, "null");
  Request fresh;
  EXPECT_EQ(request.sampling.n, fresh.sampling.n);
  EXPECT_EQ(request.max_tokens, -1);
  EXPECT_FALSE(request.stream);
}

}  // namespace
}  // namespace sy::model
