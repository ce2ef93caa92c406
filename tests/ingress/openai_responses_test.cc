// The Responses API ingress's decode (src/ingress/openai_responses.cc): every member of
// CreateResponse, every refusal naming its field, native-only members, and the codec table.
#include "ingress/openai_responses.h"

#include <gtest/gtest.h>

#include <string>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::openai_responses {
namespace {

using model::PartType;
using model::Role;
using testing::parse;

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

// A body of a valid model and input, plus `members` (JSON text, may be empty).
std::string with(std::string_view members) {
  std::string body = R"({"model": "default", "input": "hi")";
  if (!members.empty()) body += ", " + std::string(members);
  return body + "}";
}

std::string_view extra(const model::Request& r, std::string_view name) {
  for (const auto& [n, v] : r.extras)
    if (n == name) {
      static std::string text;
      text.clear();
      json::append_value(text, *v);
      return text;
    }
  return "(absent)";
}

struct Refusal {
  std::string body;
  const char* param;  // nullptr: no param
  const char* code = "invalid_request";
};

void expect_refused(const Refusal& r) {
  auto d = decode(r.body);
  ASSERT_FALSE(d.ok) << r.body;
  EXPECT_EQ(d.error.status, 400) << r.body;
  EXPECT_EQ(d.error.type, ErrorType::invalid_request) << r.body;
  EXPECT_EQ(d.error.code, r.code) << r.body;
  EXPECT_EQ(d.error.param, r.param ? r.param : "") << r.body << " -> " << d.error.message;
  EXPECT_FALSE(d.error.message.empty());
  auto body = parse(kCodec.error(d.error));
  EXPECT_STREQ(body["error"]["type"].GetString(), "invalid_request_error");
  if (r.param) EXPECT_STREQ(body["error"]["param"].GetString(), r.param);
  else EXPECT_TRUE(body["error"]["param"].IsNull());
}

// ---- golden requests, as OpenAI's API reference writes them ------------------------------------

TEST(OpenAIResponsesDecode, TextInput) {
  auto d = decode(R"({"model": "gpt-4.1", "input": "Tell me a three sentence bedtime story about a unicorn."})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::chat);
  EXPECT_EQ(r.format, model::Format::openai_responses);
  EXPECT_EQ(r.model, "gpt-4.1");
  EXPECT_EQ(r.raw, d.env->text);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, Role::user);
  ASSERT_EQ(r.messages[0].parts.size(), 1u);
  EXPECT_EQ(r.messages[0].parts[0].text, "Tell me a three sentence bedtime story about a unicorn.");
  EXPECT_TRUE(r.native_only.empty());
  EXPECT_TRUE(r.extras.empty());
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.store.has_value());
}

TEST(OpenAIResponsesDecode, InstructionsComeFirstAsASystemMessage) {
  auto d = decode(R"({"model": "gpt-4.1", "instructions": "Talk like a pirate.",
                      "input": "Are semicolons optional in JavaScript?"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& m = d.request().messages;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].role, Role::system);
  EXPECT_EQ(m[0].parts[0].text, "Talk like a pirate.");
  EXPECT_EQ(m[1].role, Role::user);
  // Empty or null instructions add nothing.
  EXPECT_EQ(decode(with(R"("instructions": "")")).request().messages.size(), 1u);
  EXPECT_EQ(decode(with(R"("instructions": null)")).request().messages.size(), 1u);
}

TEST(OpenAIResponsesDecode, AFunctionCallRoundTrip) {
  auto d = decode(R"({"model": "gpt-4.1",
    "input": [
      {"role": "user", "content": "What's the weather like in Paris today?"},
      {"type": "function_call", "id": "fc_12345xyz", "call_id": "call_12345xyz", "name": "get_weather",
       "arguments": "{\"location\":\"Paris, France\"}", "status": "completed"},
      {"type": "function_call_output", "call_id": "call_12345xyz", "output": "{\"temperature\": 14}"}
    ],
    "tools": [{"type": "function", "name": "get_weather", "description": "Get current temperature for a given location.",
               "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"],
                              "additionalProperties": false},
               "strict": true}],
    "tool_choice": "auto", "parallel_tool_calls": false})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[1].role, Role::assistant);
  ASSERT_EQ(r.messages[1].parts.size(), 1u);
  const model::Part& call = r.messages[1].parts[0];
  EXPECT_EQ(call.type, PartType::tool_call);
  EXPECT_EQ(call.id, "call_12345xyz");
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, "{\"location\":\"Paris, France\"}");
  EXPECT_EQ(r.messages[2].role, Role::tool);
  EXPECT_EQ(r.messages[2].parts[0].type, PartType::tool_result);
  EXPECT_EQ(r.messages[2].parts[0].id, "call_12345xyz");
  EXPECT_EQ(r.messages[2].parts[0].text, "{\"temperature\": 14}");
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].description, "Get current temperature for a given location.");
  ASSERT_NE(r.tools[0].parameters, nullptr);
  EXPECT_TRUE(r.tools[0].parameters->IsObject());
  EXPECT_EQ(r.tools[0].strict, true);
  EXPECT_EQ(r.tool_choice.mode, model::ToolChoice::Mode::automatic);
  EXPECT_EQ(r.parallel_tool_calls, false);
}


TEST(OpenAIResponsesDecode, StructuredOutput) {
  auto d = decode(R"({"model": "gpt-4o-2024-08-06",
    "input": [{"role": "system", "content": "Extract the event information."},
              {"role": "user", "content": "Alice and Bob are going to a science fair on Friday."}],
    "text": {"format": {"type": "json_schema", "name": "calendar_event", "description": "An event",
      "schema": {"type": "object", "properties": {"name": {"type": "string"}, "date": {"type": "string"},
                 "participants": {"type": "array", "items": {"type": "string"}}},
                 "required": ["name", "date", "participants"], "additionalProperties": false},
      "strict": true}, "verbosity": "low"}})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::ResponseFormat& f = d.request().response_format;
  EXPECT_EQ(f.type, model::ResponseFormat::Type::json_schema);
  EXPECT_EQ(f.name, "calendar_event");
  EXPECT_EQ(f.description, "An event");
  ASSERT_NE(f.schema, nullptr);
  EXPECT_TRUE(f.schema->HasMember("properties"));
  EXPECT_EQ(f.strict, true);
  EXPECT_EQ(extra(d.request(), "verbosity"), "\"low\"");
  EXPECT_EQ(decode(with(R"("text": {"format": {"type": "json_object"}})")).request().response_format.type,
            model::ResponseFormat::Type::json_object);
  EXPECT_EQ(decode(with(R"("text": {"format": {"type": "text"}})")).request().response_format.type,
            model::ResponseFormat::Type::text);
  EXPECT_EQ(decode(with(R"("text": {})")).request().response_format.type, model::ResponseFormat::Type::unset);
}

TEST(OpenAIResponsesDecode, CanonicalParameters) {
  auto d = decode(with(R"("reasoning": {"effort": "high", "summary": "auto"}, "max_output_tokens": 1024,
      "temperature": 0.2, "top_p": 0.9, "metadata": {"team": "search"}, "store": false, "user": "u-42",
      "stream": true, "stream_options": {"include_obfuscation": false}, "previous_response_id": "resp_abc")"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.reasoning_effort, "high");
  EXPECT_EQ(extra(r, "reasoning"), R"({"effort":"high","summary":"auto"})");
  EXPECT_EQ(r.max_tokens, 1024);
  EXPECT_EQ(r.sampling.temperature, 0.2);
  EXPECT_EQ(r.sampling.top_p, 0.9);
  ASSERT_NE(r.metadata, nullptr);
  EXPECT_EQ(r.store, false);
  EXPECT_EQ(r.user, "u-42");
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.previous_response_id, "resp_abc");
  EXPECT_EQ(decode(with(R"("max_output_tokens": null)")).request().max_tokens, -1);
  EXPECT_EQ(decode(with(R"("store": true)")).request().store, true);
}

TEST(OpenAIResponsesDecode, OtherMembersAreExtrasInBodyOrder) {
  auto d = decode(with(R"("include": ["reasoning.encrypted_content"], "truncation": "auto", "service_tier": "flex",
      "prompt_cache_key": "k1", "safety_identifier": "h-1", "top_logprobs": 3, "max_tool_calls": 2,
      "background": false, "conversation": null, "x_vendor": {"a": 1})"));
  ASSERT_TRUE(d.ok) << d.error.message;
  std::string names;
  for (const auto& [name, value] : d.request().extras) names += std::string(name) + ",";
  EXPECT_EQ(names, "include,truncation,service_tier,prompt_cache_key,safety_identifier,top_logprobs,max_tool_calls,"
                   "background,conversation,x_vendor,");
  // Server-side compaction: only the native path carries it (Anthropic has a member of that name).
  auto compaction = decode(with(R"("context_management": [{"type": "compaction", "compact_threshold": 1000}])"));
  ASSERT_TRUE(compaction.ok);
  EXPECT_EQ(extra(compaction.request(), "context_management"), "(absent)");
}

TEST(OpenAIResponsesDecode, RoutingMembersAreReadAsInChat) {
  auto d = decode(R"({"models": ["fast", "slow"], "input": "x", "provider": {"order": ["a"]}, "session_id": "s1",
                      "switchyard": {"cache": "no-store"}})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().model, "fast");
  EXPECT_EQ(d.request().routing.models.size(), 2u);
  EXPECT_NE(d.request().routing.provider, nullptr);
  EXPECT_EQ(d.request().routing.session_id, "s1");
  EXPECT_NE(d.request().controls, nullptr);
  EXPECT_TRUE(d.request().extras.empty());
}

TEST(OpenAIResponsesDecode, AllowedToolsNarrowTheTools) {
  auto d = decode(with(R"("tools": [{"type": "function", "name": "a"}, {"type": "function", "name": "b"},
                                    {"type": "function", "name": "c"}],
      "tool_choice": {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "c"},
                                                                             {"type": "function", "name": "a"}]})"));
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.request().tools.size(), 2u);
  EXPECT_EQ(d.request().tools[0].name, "a");
  EXPECT_EQ(d.request().tools[1].name, "c");
  EXPECT_EQ(d.request().tool_choice.mode, model::ToolChoice::Mode::required);
  auto named = decode(with(R"("tools": [{"type": "function", "name": "a"}], "tool_choice": {"type": "function", "name": "a"})"));
  EXPECT_EQ(named.request().tool_choice.mode, model::ToolChoice::Mode::named);
  EXPECT_EQ(named.request().tool_choice.name, "a");
  EXPECT_EQ(decode(with(R"("tool_choice": "none")")).request().tool_choice.mode, model::ToolChoice::Mode::none);
  EXPECT_EQ(decode(with(R"("tool_choice": "required")")).request().tool_choice.mode, model::ToolChoice::Mode::required);
}

// ---- native-only members -------------------------------------------------------------------------

TEST(OpenAIResponsesDecode, BuiltInToolsAndTheirItemsAreNativeOnly) {
  struct Case {
    std::string body;
    const char* path;
  } cases[] = {
      {R"({"model": "gpt-4.1", "tools": [{"type": "function", "name": "f"}, {"type": "web_search_preview"}],
           "input": "What was a positive news story from today?"})",
       "tools[1].type"},
      {with(R"("tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}], "tool_choice": {"type": "file_search"})"),
       "tools[0].type"},
      {with(R"("tool_choice": {"type": "web_search_preview"})"), "tool_choice.type"},
      {with(R"("prompt": {"id": "pmpt_abc123", "version": "2", "variables": {"city": "Paris"}})"), "prompt"},
      {R"({"model": "m", "input": [{"role": "user", "content": "x"},
           {"type": "web_search_call", "id": "ws_1", "status": "completed"}]})",
       "input[1].type"},
      {R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]})",
       "input[0].content[0].file_id"},
      {R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://x/a.pdf"}]}]})",
       "input[0].content[0].file_url"},
      {R"({"model": "m", "input": [{"type": "function_call_output", "call_id": "c",
           "output": [{"type": "input_text", "text": "see"}, {"type": "input_image", "image_url": "https://x/a.png"}]}]})",
       "input[0].output[1]"},
  };
  for (const auto& c : cases) {
    auto d = decode(c.body);
    ASSERT_TRUE(d.ok) << c.body << " -> " << d.error.message;
    EXPECT_EQ(d.request().native_only, c.path) << c.body;
  }
  // The first one is named; the whole input and tool_choice key the cache.
  auto d = decode(R"({"model": "m", "input": [{"type": "mcp_list_tools", "id": "x"}, {"type": "local_shell_call", "id": "y"}],
                      "tool_choice": {"type": "mcp", "server_label": "deepwiki"}})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().native_only, "input[0].type");
  EXPECT_NE(extra(d.request(), "input"), "(absent)");
  EXPECT_NE(extra(d.request(), "tool_choice"), "(absent)");
  EXPECT_TRUE(d.request().tools.empty() || d.request().tools[0].name.empty());
  EXPECT_TRUE(decode(with(R"("prompt": null)")).request().native_only.empty());
}

TEST(OpenAIResponsesDecode, APromptOrAPreviousResponseMayStandInForInput) {
  EXPECT_TRUE(decode(R"({"model": "m", "prompt": {"id": "pmpt_1"}})").ok);
  auto d = decode(R"({"model": "m", "previous_response_id": "resp_1"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(d.request().messages.empty());
}

// ---- item references -----------------------------------------------------------------------------

TEST(OpenAIResponsesDecode, ItemReferencesWaitForTheConversationTheyBelongTo) {
  std::string input = R"("input": [{"type": "item_reference", "id": "msg_1"}, {"id": "rs_1"}, {"role": "user", "content": "next"}])";
  auto alone = decode(R"({"model": "m", )" + input + "}");
  ASSERT_TRUE(alone.ok) << alone.error.message;
  EXPECT_EQ(alone.request().native_only, "input[0]");  // OpenAI's own stored items: only it resolves them
  EXPECT_NE(extra(alone.request(), "input"), "(absent)");
  auto deferred = decode(R"({"model": "m", "previous_response_id": "resp_1", )" + input + "}");
  ASSERT_TRUE(deferred.ok) << deferred.error.message;
  ASSERT_EQ(deferred.request().messages.size(), 1u);  // resume decodes again with them resolved
  EXPECT_TRUE(deferred.request().native_only.empty());
  testing::Decoded resumed;
  resumed.env->text = R"({"model": "m", "previous_response_id": "resp_1", )" + input + "}";
  static const auto config = testing::load_config();
  resumed.ok = openai_responses::decode(*resumed.env, DecodeArgs{*config, {}}, resumed.error, true);
  ASSERT_TRUE(resumed.ok) << resumed.error.message;
  EXPECT_EQ(resumed.request().native_only, "input[0]");  // not in the conversation: left to OpenAI
}

// ---- refusals ------------------------------------------------------------------------------------

TEST(OpenAIResponsesDecode, BadBodiesAndTopLevelMembers) {
  Refusal cases[] = {
      {"{not json", nullptr, "invalid_json"},
      {"[1]", nullptr, "invalid_json"},
      {"", nullptr, "invalid_json"},
      {R"({"input": "x"})", "model", "missing_model"},
      {R"({"model": 5, "input": "x"})", "model"},
      {R"({"model": "m"})", "input", "missing_input"},
      {R"({"model": "m", "input": null})", "input", "missing_input"},
      {R"({"model": "m", "input": 5})", "input"},
      {R"({"model": "m", "input": []})", "input"},
      {R"({"model": "m", "input": {"role": "user", "content": "x"}})", "input"},
      {with(R"("instructions": ["be kind"])"), "instructions"},
      {with(R"("max_output_tokens": 15)"), "max_output_tokens"},
      {with(R"("max_output_tokens": 0)"), "max_output_tokens"},
      {with(R"("max_output_tokens": "100")"), "max_output_tokens"},
      {with(R"("max_output_tokens": 100.5)"), "max_output_tokens"},
      {with(R"("temperature": 2.5)"), "temperature"},
      {with(R"("top_p": -1)"), "top_p"},
      {with(R"("stream": "yes")"), "stream"},
      {with(R"("stream_options": {"include_obfuscation": "no"})"), "stream_options.include_obfuscation"},
      {with(R"("parallel_tool_calls": 1)"), "parallel_tool_calls"},
      {with(R"("user": 5)"), "user"},
      {with(R"("metadata": {"n": 3})"), "metadata.n"},
      {with(R"("store": "no")"), "store"},
      {with(R"("previous_response_id": 7)"), "previous_response_id"},
      {with(R"("previous_response_id": "")"), "previous_response_id"},
      {with(R"("background": true)"), "background"},
      {with(R"("background": "yes")"), "background"},
      {with(R"("conversation": "conv_1")"), "conversation"},
      {with(R"("conversation": {"id": "conv_1"})"), "conversation"},
      {with(R"("prompt": "pmpt_1")"), "prompt"},
      {with(R"("include": "reasoning.encrypted_content")"), "include"},
      {with(R"("include": [1])"), "include"},
      {with(R"("truncation": "sometimes")"), "truncation"},
      {with(R"("top_logprobs": 21)"), "top_logprobs"},
      {with(R"("max_tool_calls": -1)"), "max_tool_calls"},
      {with(R"("reasoning": "high")"), "reasoning"},
      {with(R"("reasoning": {"effort": "extreme"})"), "reasoning.effort"},
      {with(R"("reasoning": {"summary": "long"})"), "reasoning.summary"},
      {with(R"("reasoning": {"generate_summary": 1})"), "reasoning.generate_summary"},
      {with(R"("text": "json")"), "text"},
      {with(R"("text": {"format": "json_object"})"), "text.format"},
      {with(R"("text": {"format": {"type": "xml"}})"), "text.format.type"},
      {with(R"("text": {"format": {"type": "json_schema", "schema": {}}})"), "text.format.name"},
      {with(R"("text": {"format": {"type": "json_schema", "name": "a b", "schema": {}}})"), "text.format.name"},
      {with(R"("text": {"format": {"type": "json_schema", "name": "x"}})"), "text.format.schema"},
      {with(R"("text": {"format": {"type": "json_schema", "name": "x", "schema": []}})"), "text.format.schema"},
      {with(R"("text": {"format": {"type": "json_schema", "name": "x", "schema": {}, "strict": "yes"}})"),
       "text.format.strict"},
      {with(R"("text": {"format": {"type": "json_schema", "name": "x", "schema": {}, "description": 5}})"),
       "text.format.description"},
      {with(R"("text": {"verbosity": "terse"})"), "text.verbosity"},
  };
  for (const auto& c : cases) expect_refused(c);
}

TEST(OpenAIResponsesDecode, ChatCompletionsMembersSayWhatToSendInstead) {
  Refusal cases[] = {
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})", "messages"},
      {with(R"("max_tokens": 10)"), "max_tokens"},
      {with(R"("max_completion_tokens": 10)"), "max_completion_tokens"},
      {with(R"("response_format": {"type": "json_object"})"), "response_format"},
      {with(R"("reasoning_effort": "low")"), "reasoning_effort"},
      {with(R"("n": 2)"), "n"},
      {with(R"("stop": ["\n"])"), "stop"},
      {with(R"("functions": [])"), "functions"},
      {with(R"("function_call": "auto")"), "function_call"},
  };
  for (const auto& c : cases) expect_refused(c);
  EXPECT_EQ(decode(with(R"("max_tokens": 10)")).error.message,
            "max_tokens is a chat completions parameter: the Responses API takes max_output_tokens");
  EXPECT_EQ(decode(with(R"("n": 2)")).error.message, "n is a chat completions parameter the Responses API does not take");
}

TEST(OpenAIResponsesDecode, ToolsAndToolChoice) {
  Refusal cases[] = {
      {with(R"("tools": {"type": "function"})"), "tools"},
      {with(R"("tools": ["get_weather"])"), "tools[0]"},
      {with(R"("tools": [{"name": "f"}])"), "tools[0].type"},
      {with(R"("tools": [{"type": ""}])"), "tools[0].type"},
      {with(R"("tools": [{"type": "function"}])"), "tools[0].name"},
      {with(R"("tools": [{"type": "function", "name": "get weather"}])"), "tools[0].name"},
      {with(R"("tools": [{"type": "function", "function": {"name": "f"}}])"), "tools[0].name"},
      {with(R"("tools": [{"type": "function", "name": "f", "description": 5}])"), "tools[0].description"},
      {with(R"("tools": [{"type": "function", "name": "f", "parameters": "{}"}])"), "tools[0].parameters"},
      {with(R"("tools": [{"type": "function", "name": "f", "strict": "yes"}])"), "tools[0].strict"},
      {with(R"("tool_choice": "sometimes")"), "tool_choice"},
      {with(R"("tool_choice": 5)"), "tool_choice"},
      {with(R"("tool_choice": {})"), "tool_choice.type"},
      {with(R"("tool_choice": {"type": "function"})"), "tool_choice.name"},
      {with(R"("tool_choice": {"type": "function", "function": {"name": "f"}})"), "tool_choice.name"},
      {with(R"("tool_choice": {"type": "allowed_tools", "mode": "any", "tools": []})"), "tool_choice.mode"},
      {with(R"("tool_choice": {"type": "allowed_tools", "mode": "auto"})"), "tool_choice.tools"},
  };
  for (const auto& c : cases) expect_refused(c);
  EXPECT_EQ(decode(with(R"("tools": [{"type": "function", "name": "a b"}])")).error.message,
            "tools[0].name must be 1 to 64 characters from a-z, A-Z, 0-9, _ and -");
}

TEST(OpenAIResponsesDecode, InvalidUtf8IsRefused) {
  auto d = decode(std::string(R"({"model": "m", "input": "caf)") + "\xC3\x28" + "\"}");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.code, "invalid_json");
  EXPECT_EQ(d.error.message, "request body is not valid UTF-8");
  EXPECT_TRUE(decode(R"({"model": "m", "input": "café 中文 😀"})").ok);
}

TEST(OpenAIResponsesDecode, CodecTable) {
  EXPECT_EQ(kCodec.format, model::Format::openai_responses);
  EXPECT_NE(kCodec.decode, nullptr);
  EXPECT_NE(kCodec.answer, nullptr);
  EXPECT_NE(kCodec.stream, nullptr);
  ASSERT_NE(kCodec.conversations, nullptr);
  EXPECT_NE(kCodec.conversations->resume, nullptr);
  EXPECT_NE(kCodec.conversations->keep, nullptr);
  Error e{404, ErrorType::invalid_request, "The model 'x' does not exist", "model_not_found", "model"};
  EXPECT_EQ(kCodec.error(e), error_body(e));
}

}  // namespace
}  // namespace sy::ingress::openai_responses
