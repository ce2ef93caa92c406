#include "ingress/openai_chat.h"

#include <gtest/gtest.h>

#include <vector>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::openai_chat {
namespace {

using model::PartType;
using model::Role;
using testing::parse;

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

// A body whose other members are `members` (JSON text, may be empty) after a valid model and
// one user message.
std::string with(std::string_view members) {
  std::string body = R"({"model": "default", "messages": [{"role": "user", "content": "hi"}])";
  if (!members.empty()) body += ", " + std::string(members);
  return body + "}";
}

// A body whose messages are `messages` (a JSON array's text).
std::string messages(std::string_view messages) {
  return R"({"model": "default", "messages": )" + std::string(messages) + "}";
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

// ---- main's BadRequestsGetTheRightError, at the codec ------------------------------------------

TEST(OpenAIChatDecode, BadRequestsGetTheRightError) {
  Refusal cases[] = {
      {"{not json", nullptr, "invalid_json"},
      {"[1]", nullptr, "invalid_json"},
      {"\"text\"", nullptr, "invalid_json"},
      {"", nullptr, "invalid_json"},
      {R"({"messages": [{"role": "user", "content": "x"}]})", "model", "missing_model"},
      {R"({"model": 5, "messages": []})", "model"},
      {R"({"model": "", "messages": [{"role": "user", "content": "x"}]})", "model"},
      {R"({"model": "default"})", "messages", "missing_messages"},
      {R"({"model": "default", "messages": []})", "messages"},
      {R"({"model": "default", "messages": {"role": "user"}})", "messages"},
      {R"({"model": "default", "messages": [{"role": "wizard", "content": "x"}]})", "messages[0].role"},
      {R"({"model": "default", "messages": [{"content": "x"}]})", "messages[0].role"},
      {R"({"model": "default", "messages": [{"role": "user", "content": 7}]})", "messages[0].content"},
      {R"({"model": "default", "stream": "yes", "messages": [{"role": "user", "content": "x"}]})", "stream"},
  };
  for (const auto& c : cases) expect_refused(c);
}

TEST(OpenAIChatDecode, NotJsonSaysWhy) {
  auto d = decode("{\"model\": ");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.message.rfind("request body is not valid JSON: ", 0), 0u) << d.error.message;
  auto deep = decode(std::string(100000, '['));
  ASSERT_FALSE(deep.ok);
  EXPECT_EQ(deep.error.code, "invalid_json");
  auto array = decode("[1]");
  EXPECT_EQ(array.error.message, "request body must be a JSON object");
}

// ---- issue 8's list ------------------------------------------------------------------------------

TEST(OpenAIChatDecode, Issue8TypeAndRangeErrorsNameTheField) {
  Refusal cases[] = {
      {with(R"("max_tokens": 0)"), "max_tokens"},
      {with(R"("max_tokens": -1)"), "max_tokens"},
      {with(R"("max_tokens": 1.5)"), "max_tokens"},
      {with(R"("max_tokens": "100")"), "max_tokens"},
      {with(R"("max_completion_tokens": 0)"), "max_completion_tokens"},
      {with(R"("max_completion_tokens": "a lot")"), "max_completion_tokens"},
      {with(R"("temperature": 2.5)"), "temperature"},
      {with(R"("temperature": -0.1)"), "temperature"},
      {with(R"("temperature": "hot")"), "temperature"},
      {with(R"("top_p": 1.5)"), "top_p"},
      {with(R"("top_p": -1)"), "top_p"},
      {with(R"("n": 0)"), "n"},
      {with(R"("n": -3)"), "n"},
      {with(R"("stop": 5)"), "stop"},
      {with(R"("stop": ["a", 5])"), "stop[1]"},
      {with(R"("stop": {"a": 1})"), "stop"},
      {with(R"("tools": {"type": "function"})"), "tools"},
      {with(R"("tools": "get_weather")"), "tools"},
      {with(R"("tool_choice": 5)"), "tool_choice"},
      {with(R"("tool_choice": "sometimes")"), "tool_choice"},
      {with(R"("tool_choice": ["auto"])"), "tool_choice"},
      {with(R"("response_format": "json_object")"), "response_format"},
      {with(R"("response_format": ["json_object"])"), "response_format"},
      {messages(R"([{"role": "user"}])"), "messages[0].content"},
      {messages(R"([{"role": "system", "content": null}, {"role": "user", "content": "x"}])"), "messages[0].content"},
      {messages(R"([{"role": "user", "content": [{"type": "video_url", "video_url": {"url": "x"}}]}])"),
       "messages[0].content[0].type"},
      {with(R"("seed": 1.5)"), "seed"},
      {with(R"("seed": "42")"), "seed"},
      {with(R"("logit_bias": [1, 2])"), "logit_bias"},
      {with(R"("logit_bias": {"50256": "-100"})"), "logit_bias.50256"},
      {with(R"("logit_bias": {"50256": -101})"), "logit_bias.50256"},
      {with(R"("metadata": "team=search")"), "metadata"},
      {with(R"("metadata": {"count": 3})"), "metadata.count"},
      {with(R"("user": 1234)"), "user"},
      {with(R"("user": {"id": "u"})"), "user"},
      {with(R"("stream_options": true)"), "stream_options"},
      {with(R"("stream_options": {"include_usage": "yes"})"), "stream_options.include_usage"},
      {with(R"("parallel_tool_calls": "true")"), "parallel_tool_calls"},
      {with(R"("parallel_tool_calls": 1)"), "parallel_tool_calls"},
  };
  for (const auto& c : cases) expect_refused(c);
}

TEST(OpenAIChatDecode, MessagesSayWhatIsExpected) {
  auto d = decode(with(R"("temperature": 3)"));
  EXPECT_EQ(d.error.message, "temperature must be a number from 0 to 2");
  d = decode(with(R"("tools": [{"type": "function", "function": {"name": "a b"}}])"));
  EXPECT_EQ(d.error.param, "tools[0].function.name");
  EXPECT_EQ(d.error.message, "tools[0].function.name must be 1 to 64 characters from a-z, A-Z, 0-9, _ and -");
  d = decode(messages(R"([{"role": "user"}])"));
  EXPECT_EQ(d.error.message, "messages[0].content is required for a user message");
  d = decode(messages(R"([{"role": "user", "content": [{"type": "video_url"}]}])"));
  EXPECT_EQ(d.error.message,
            "messages[0].content[0].type must be one of text, image_url, input_audio, file in a user message");
}

TEST(OpenAIChatDecode, InvalidUtf8AnywhereIsRefused) {
  for (std::string bad : {std::string("\xC3\x28"), std::string("\xED\xA0\x80"), std::string("\xFF"),
                          std::string("\xC0\xAF")}) {
    for (const std::string& body : {messages(R"([{"role": "user", "content": "caf)" + bad + R"("}])"),
                                    with(R"("user": ")" + bad + "\""), with("\"" + bad + "\": 1")}) {
      auto d = decode(body);
      ASSERT_FALSE(d.ok);
      EXPECT_EQ(d.error.status, 400);
      EXPECT_EQ(d.error.code, "invalid_json");
      EXPECT_EQ(d.error.param, "");
      EXPECT_EQ(d.error.message, "request body is not valid UTF-8");
    }
  }
  EXPECT_TRUE(decode(messages(R"([{"role": "user", "content": "café 中文 😀"}])")).ok);
}

// ---- message rules ---------------------------------------------------------------------------

TEST(OpenAIChatDecode, MessageRulesPerRole) {
  Refusal cases[] = {
      {messages(R"(["hi"])"), "messages[0]"},
      {messages(R"([{"role": "function", "name": "f", "content": "x"}])"), "messages[0].role"},
      {messages(R"([{"role": 5, "content": "x"}])"), "messages[0].role"},
      {messages(R"([{"role": "user", "content": "x", "name": 5}])"), "messages[0].name"},
      {messages(R"([{"role": "developer"}])"), "messages[0].content"},
      {messages(R"([{"role": "system", "content": []}])"), "messages[0].content"},
      {messages(R"([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}])"),
       "messages[0].content[0].type"},
      {messages(R"([{"role": "user", "content": {"type": "text", "text": "x"}}])"), "messages[0].content"},
      {messages(R"([{"role": "user", "content": []}])"), "messages[0].content"},
      {messages(R"([{"role": "user", "content": [{"type": "refusal", "refusal": "no"}]}])"), "messages[0].content[0].type"},
      {messages(R"([{"role": "assistant"}])"), "messages[0].content"},
      {messages(R"([{"role": "assistant", "content": null, "tool_calls": []}])"), "messages[0].content"},
      {messages(R"([{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])"),
       "messages[0].content[0].type"},
      {messages(R"([{"role": "assistant", "content": "x", "refusal": 5}])"), "messages[0].refusal"},
      {messages(R"([{"role": "tool", "tool_call_id": "call_1"}])"), "messages[0].content"},
      {messages(R"([{"role": "tool", "content": "42"}])"), "messages[0].tool_call_id"},
      {messages(R"([{"role": "tool", "content": "42", "tool_call_id": 7}])"), "messages[0].tool_call_id"},
      {messages(R"([{"role": "tool", "content": [{"type": "image_url", "image_url": {"url": "x"}}], "tool_call_id": "c"}])"),
       "messages[0].content[0].type"},
  };
  for (const auto& c : cases) expect_refused(c);
  auto function = decode(messages(R"([{"role": "function", "name": "f", "content": "x"}])"));
  EXPECT_NE(function.error.message.find("deprecated"), std::string::npos) << function.error.message;
}

TEST(OpenAIChatDecode, PartRulesNameTheFieldExactly) {
  Refusal cases[] = {
      {messages(R"([{"role": "user", "content": ["hi"]}])"), "messages[0].content[0]"},
      {messages(R"([{"role": "user", "content": [{"text": "hi"}]}])"), "messages[0].content[0].type"},
      {messages(R"([{"role": "user", "content": [{"type": "text"}]}])"), "messages[0].content[0].text"},
      {messages(R"([{"role": "user", "content": [{"type": "text", "text": 5}]}])"), "messages[0].content[0].text"},
      {messages(R"([{"role": "user", "content": [{"type": "image_url"}]}])"), "messages[0].content[0].image_url"},
      {messages(R"([{"role": "user", "content": [{"type": "image_url", "image_url": "https://x"}]}])"),
       "messages[0].content[0].image_url"},
      {messages(R"([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}]}])"),
       "messages[0].content[1].image_url.url"},
      {messages(R"([{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}])"),
       "messages[2].content[0].image_url.url"},
      {messages(R"([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x", "detail": "ultra"}}]}])"),
       "messages[0].content[0].image_url.detail"},
      {messages(R"([{"role": "user", "content": [{"type": "input_audio"}]}])"), "messages[0].content[0].input_audio"},
      {messages(R"([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"format": "wav"}}]}])"),
       "messages[0].content[0].input_audio.data"},
      {messages(R"([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "UklGRg=="}}]}])"),
       "messages[0].content[0].input_audio.format"},
      {messages(R"([{"role": "user", "content": [{"type": "file"}]}])"), "messages[0].content[0].file"},
      {messages(R"([{"role": "user", "content": [{"type": "file", "file": {"filename": "a.pdf"}}]}])"),
       "messages[0].content[0].file"},
      {messages(R"([{"role": "user", "content": [{"type": "file", "file": {"file_id": 5}}]}])"),
       "messages[0].content[0].file.file_id"},
      {messages(R"([{"role": "user", "content": [{"type": "file", "file": {"file_data": "x", "filename": 1}}]}])"),
       "messages[0].content[0].file.filename"},
      {messages(R"([{"role": "assistant", "content": [{"type": "refusal"}]}])"), "messages[0].content[0].refusal"},
  };
  for (const auto& c : cases) expect_refused(c);
}

TEST(OpenAIChatDecode, ToolCallsAreCheckedWhole) {
  auto assistant = [](std::string_view calls) {
    return messages(R"([{"role": "user", "content": "weather?"}, {"role": "assistant", "content": null, "tool_calls": )" +
                    std::string(calls) + "}]");
  };
  Refusal cases[] = {
      {assistant(R"("call_1")"), "messages[1].tool_calls"},
      {assistant(R"({"id": "call_1"})"), "messages[1].tool_calls"},
      {assistant(R"([5])"), "messages[1].tool_calls[0]"},
      {assistant(R"([{"type": "function", "function": {"name": "f", "arguments": "{}"}}])"), "messages[1].tool_calls[0].id"},
      {assistant(R"([{"id": "c", "function": {"name": "f", "arguments": "{}"}}])"), "messages[1].tool_calls[0].type"},
      {assistant(R"([{"id": "c", "type": "custom", "function": {"name": "f", "arguments": "{}"}}])"),
       "messages[1].tool_calls[0].type"},
      {assistant(R"([{"id": "c", "type": "function"}])"), "messages[1].tool_calls[0].function"},
      {assistant(R"([{"id": "c", "type": "function", "function": {"arguments": "{}"}}])"),
       "messages[1].tool_calls[0].function.name"},
      {assistant(R"([{"id": "c", "type": "function", "function": {"name": "f"}}])"),
       "messages[1].tool_calls[0].function.arguments"},
      {assistant(R"([{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"city": "Paris"}}}])"),
       "messages[1].tool_calls[0].function.arguments"},
      {assistant(R"([{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                     {"id": "b", "type": "function", "function": {"name": "g", "arguments": 1}}])"),
       "messages[1].tool_calls[1].function.arguments"},
      {messages(R"([{"role": "assistant", "function_call": {"name": "f"}}])"), "messages[0].function_call.arguments"},
      {messages(R"([{"role": "assistant", "function_call": "f"}])"), "messages[0].function_call"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// ---- mapping to canonical parts --------------------------------------------------------------------

// OpenAI's API reference: a conversation with every part type and a tool round trip.
constexpr const char* kConversation = R"({
  "model": "gpt-4o",
  "messages": [
    {"role": "developer", "content": "You are a helpful assistant."},
    {"role": "system", "content": [{"type": "text", "text": "Answer briefly."}, {"type": "text", "text": "Use metric units."}]},
    {"role": "user", "name": "ada", "content": [
      {"type": "text", "text": "What's in this image, and what's the weather there?"},
      {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg", "detail": "high"}},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
      {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
      {"type": "file", "file": {"filename": "draconomicon.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQ="}},
      {"type": "file", "file": {"file_id": "file-6F2ksmvXxt4VdoqmHRw6kL"}}
    ]},
    {"role": "assistant", "content": "Let me check.", "tool_calls": [
      {"id": "call_abc123", "type": "function", "function": {"name": "get_current_weather", "arguments": "{\"location\": \"Madison, WI\"}"}},
      {"id": "call_def456", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    ]},
    {"role": "tool", "tool_call_id": "call_abc123", "content": "{\"temperature\": 22, \"unit\": \"celsius\"}"},
    {"role": "tool", "tool_call_id": "call_def456", "content": [{"type": "text", "text": "14:05"}, {"type": "text", "text": "CDT"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "A boardwalk."}, {"type": "refusal", "refusal": "No faces."}]},
    {"role": "assistant", "content": null, "refusal": "I can't help with that."}
  ]
})";

TEST(OpenAIChatDecode, EveryPartTypeMapsToCanonicalParts) {
  auto d = decode(kConversation);
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.kind, model::Kind::chat);
  EXPECT_EQ(r.format, model::Format::openai_chat);
  EXPECT_EQ(r.model, "gpt-4o");
  EXPECT_EQ(r.raw, d.env->text);
  ASSERT_EQ(r.messages.size(), 8u);

  EXPECT_EQ(r.messages[0].role, Role::developer);
  ASSERT_EQ(r.messages[0].parts.size(), 1u);
  EXPECT_EQ(r.messages[0].parts[0].text, "You are a helpful assistant.");
  EXPECT_EQ(r.messages[0].parts[0].raw, nullptr);
  EXPECT_NE(r.messages[0].raw, nullptr);
  EXPECT_EQ(r.messages[1].role, Role::system);
  ASSERT_EQ(r.messages[1].parts.size(), 2u);
  EXPECT_EQ(r.messages[1].parts[1].text, "Use metric units.");
  EXPECT_NE(r.messages[1].parts[1].raw, nullptr);

  const model::Message& user = r.messages[2];
  EXPECT_EQ(user.role, Role::user);
  EXPECT_EQ(user.name, "ada");
  ASSERT_EQ(user.parts.size(), 6u);
  EXPECT_EQ(user.parts[0].type, PartType::text);
  EXPECT_EQ(user.parts[1].type, PartType::image);
  EXPECT_EQ(user.parts[1].url.substr(0, 8), "https://");
  EXPECT_EQ(user.parts[1].detail, "high");
  EXPECT_EQ(user.parts[2].url, "data:image/png;base64,iVBORw0KGgo=");
  EXPECT_EQ(user.parts[2].detail, "");
  EXPECT_EQ(user.parts[3].type, PartType::audio);
  EXPECT_EQ(user.parts[3].url, "UklGRiQAAABXQVZF");
  EXPECT_EQ(user.parts[3].media_type, "wav");
  EXPECT_EQ(user.parts[4].type, PartType::file);
  EXPECT_EQ(user.parts[4].url, "data:application/pdf;base64,JVBERi0xLjQ=");
  EXPECT_EQ(user.parts[4].name, "draconomicon.pdf");
  EXPECT_EQ(user.parts[4].id, "");
  EXPECT_EQ(user.parts[5].id, "file-6F2ksmvXxt4VdoqmHRw6kL");
  EXPECT_EQ(user.parts[5].url, "");
  EXPECT_EQ(json::view((*user.parts[5].raw)["type"]), "file");

  const model::Message& calls = r.messages[3];
  EXPECT_EQ(calls.role, Role::assistant);
  ASSERT_EQ(calls.parts.size(), 3u);
  EXPECT_EQ(calls.parts[0].type, PartType::text) << "content parts come before tool calls";
  EXPECT_EQ(calls.parts[1].type, PartType::tool_call);
  EXPECT_EQ(calls.parts[1].id, "call_abc123");
  EXPECT_EQ(calls.parts[1].name, "get_current_weather");
  EXPECT_EQ(calls.parts[1].arguments, "{\"location\": \"Madison, WI\"}");
  EXPECT_EQ(calls.parts[2].id, "call_def456");

  ASSERT_EQ(r.messages[4].parts.size(), 1u);
  EXPECT_EQ(r.messages[4].role, Role::tool);
  EXPECT_EQ(r.messages[4].parts[0].type, PartType::tool_result);
  EXPECT_EQ(r.messages[4].parts[0].id, "call_abc123");
  EXPECT_EQ(r.messages[4].parts[0].text, "{\"temperature\": 22, \"unit\": \"celsius\"}");
  ASSERT_EQ(r.messages[5].parts.size(), 1u);
  EXPECT_EQ(r.messages[5].parts[0].id, "call_def456");
  EXPECT_EQ(r.messages[5].parts[0].text, "14:05\nCDT") << "text parts of a tool result are joined";

  ASSERT_EQ(r.messages[6].parts.size(), 2u);
  EXPECT_EQ(r.messages[6].parts[1].type, PartType::refusal);
  EXPECT_EQ(r.messages[6].parts[1].text, "No faces.");
  ASSERT_EQ(r.messages[7].parts.size(), 1u);
  EXPECT_EQ(r.messages[7].parts[0].type, PartType::refusal);
  EXPECT_EQ(r.messages[7].parts[0].text, "I can't help with that.");
}

TEST(OpenAIChatDecode, AssistantContentIsOptionalWhenItCallsTools) {
  auto d = decode(messages(R"([{"role": "user", "content": "x"},
      {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}]},
      {"role": "assistant", "content": null, "function_call": {"name": "legacy", "arguments": "{\"a\":1}"}},
      {"role": "assistant", "content": "", "tool_calls": null}])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.request().messages[1].parts.size(), 1u);
  EXPECT_EQ(d.request().messages[1].parts[0].type, PartType::tool_call);
  EXPECT_EQ(d.request().messages[1].parts[0].arguments, "");
  const model::Part& legacy = d.request().messages[2].parts.at(0);
  EXPECT_EQ(legacy.type, PartType::tool_call);
  EXPECT_EQ(legacy.name, "legacy");
  EXPECT_EQ(legacy.id, "");
  EXPECT_EQ(legacy.arguments, "{\"a\":1}");
  ASSERT_EQ(d.request().messages[3].parts.size(), 1u);
  EXPECT_EQ(d.request().messages[3].parts[0].text, "");
}

TEST(OpenAIChatDecode, MembersRolesDoNotTakeAreLeftAlone) {
  // Clients send back whole assistant messages (annotations, audio, refusal: null).
  auto d = decode(messages(R"([{"role": "user", "content": "x", "cache_control": {"type": "ephemeral"}},
      {"role": "assistant", "content": "y", "refusal": null, "annotations": [], "audio": null}])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().messages[1].parts.size(), 1u);
  EXPECT_EQ(json::view((*d.request().messages[0].raw)["cache_control"]["type"]), "ephemeral");
}

// ---- OpenRouter reasoning ------------------------------------------------------------------------

// An assistant message as the stored form (model/stored.h) renders thinking, sent back by the client.
constexpr const char* kReasoningTurn = R"({"model": "claude", "messages": [
  {"role": "user", "content": "What is 27 * 453?"},
  {"role": "assistant", "content": "12231.", "refusal": null,
   "reasoning": "27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431.",
   "reasoning_details": [
     {"type": "reasoning.text", "text": "27 * 453 = 27 * 400 + 27 * 53", "signature": null},
     {"type": "reasoning.text", "text": " = 10800 + 1431.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
     {"type": "reasoning.encrypted", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
     {"type": "reasoning.summary", "summary": "Multiplied in parts."},
     {"type": "reasoning.unknown_kind", "blob": 1}
   ]},
  {"role": "user", "content": "And times 2?"}
]})";

TEST(OpenAIChatDecode, OpenRouterReasoningBecomesReasoningPartsWithSignatures) {
  auto d = decode(kReasoningTurn);
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& parts = d.request().messages[1].parts;
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].type, PartType::reasoning);
  EXPECT_EQ(parts[0].text, "27 * 453 = 27 * 400 + 27 * 53");
  EXPECT_EQ(parts[0].signature, "");
  EXPECT_EQ(parts[1].text, " = 10800 + 1431.");
  EXPECT_EQ(parts[1].signature, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
  EXPECT_FALSE(parts[1].redacted);
  EXPECT_EQ(parts[2].type, PartType::reasoning);
  EXPECT_TRUE(parts[2].redacted);
  EXPECT_EQ(parts[2].text, "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP");
  EXPECT_EQ(parts[3].text, "Multiplied in parts.");
  EXPECT_EQ(parts[4].type, PartType::text) << "reasoning comes before the text; unknown detail types are skipped";
  EXPECT_EQ(parts[4].text, "12231.");
}

TEST(OpenAIChatDecode, ReasoningTextAloneIsOnePart) {
  auto d = decode(messages(R"([{"role": "user", "content": "x"},
      {"role": "assistant", "content": "y", "reasoning": "thinking..."},
      {"role": "assistant", "content": "z", "reasoning": ""},
      {"role": "user", "content": "w", "reasoning": "ignored on user messages"}])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.request().messages[1].parts.size(), 2u);
  EXPECT_EQ(d.request().messages[1].parts[0].type, PartType::reasoning);
  EXPECT_EQ(d.request().messages[1].parts[0].text, "thinking...");
  EXPECT_EQ(d.request().messages[2].parts.size(), 1u);
  EXPECT_EQ(d.request().messages[3].parts.size(), 1u);
}

TEST(OpenAIChatDecode, BadReasoningIsRefused) {
  Refusal cases[] = {
      {messages(R"([{"role": "assistant", "content": "y", "reasoning": 5}])"), "messages[0].reasoning"},
      {messages(R"([{"role": "assistant", "content": "y", "reasoning_details": {}}])"), "messages[0].reasoning_details"},
      {messages(R"([{"role": "assistant", "content": "y", "reasoning_details": [5]}])"), "messages[0].reasoning_details[0]"},
      {messages(R"([{"role": "assistant", "content": "y", "reasoning_details": [{"type": "reasoning.text", "text": 5}]}])"),
       "messages[0].reasoning_details[0].text"},
      {messages(R"([{"role": "assistant", "content": "y", "reasoning_details": [{"type": "reasoning.text", "text": "t", "signature": 5}]}])"),
       "messages[0].reasoning_details[0].signature"},
      {messages(R"([{"role": "assistant", "content": "y", "reasoning_details": [{"type": "reasoning.encrypted", "data": []}]}])"),
       "messages[0].reasoning_details[0].data"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// ---- top-level members -----------------------------------------------------------------------------

TEST(OpenAIChatDecode, ParametersBecomeCanonicalAndTheRestExtrasInBodyOrder) {
  auto d = decode(R"({"service_tier": "flex", "model": "default", "temperature": 0.2, "top_p": 0.9, "n": 2,
    "stop": ["END"], "seed": 7, "max_tokens": 300, "frequency_penalty": 0.5, "presence_penalty": -0.5,
    "logprobs": true, "top_logprobs": 3, "logit_bias": {"50256": -100}, "user": "user-1234",
    "metadata": {"team": "search"}, "reasoning_effort": "low", "parallel_tool_calls": false,
    "stream": true, "stream_options": {"include_usage": true}, "store": false, "modalities": ["text"],
    "messages": [{"role": "user", "content": "hi"}],
    "response_format": {"type": "json_object"}, "prediction": null, "top_k": 40, "web_search_options": {}})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.sampling.temperature, 0.2);
  EXPECT_EQ(r.sampling.top_p, 0.9);
  EXPECT_EQ(r.sampling.n, 2);
  EXPECT_EQ(r.sampling.stop, (std::vector<std::string_view>{"END"}));
  EXPECT_EQ(r.sampling.seed, 7);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_EQ(r.max_tokens, 300);
  EXPECT_EQ(r.sampling.frequency_penalty, 0.5);
  EXPECT_EQ(r.sampling.presence_penalty, -0.5);
  EXPECT_EQ(r.sampling.logprobs, true);
  EXPECT_EQ(r.sampling.top_logprobs, 3);
  EXPECT_NE(r.sampling.logit_bias, nullptr);
  EXPECT_EQ(r.user, "user-1234");
  EXPECT_NE(r.metadata, nullptr);
  EXPECT_EQ(r.reasoning_effort, "low");
  EXPECT_EQ(r.parallel_tool_calls, false);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.response_format.type, model::ResponseFormat::Type::json_object);
  std::vector<std::string_view> extras;
  for (const auto& [name, value] : r.extras) extras.push_back(name);
  EXPECT_EQ(extras, (std::vector<std::string_view>{"service_tier", "store", "modalities", "prediction", "web_search_options"}));
  EXPECT_EQ(json::view(*r.extras[0].second), "flex");
  EXPECT_TRUE(r.extras[3].second->IsNull());
}

TEST(OpenAIChatDecode, MaxCompletionTokensWinsOverMaxTokens) {
  EXPECT_EQ(decode(with(R"("max_completion_tokens": 100, "max_tokens": 50)")).request().max_tokens, 100);
  EXPECT_EQ(decode(with(R"("max_tokens": 50, "max_completion_tokens": 100)")).request().max_tokens, 100);
  EXPECT_EQ(decode(with(R"("max_tokens": 50, "max_completion_tokens": null)")).request().max_tokens, 50);
  EXPECT_EQ(decode(with(R"("max_completion_tokens": null, "max_tokens": 50)")).request().max_tokens, 50);
  EXPECT_EQ(decode(with(R"("max_tokens": 50)")).request().max_tokens, 50);
  EXPECT_EQ(decode(with("")).request().max_tokens, -1);
  expect_refused({with(R"("max_completion_tokens": 100, "max_tokens": 0)"), "max_tokens"});
}

TEST(OpenAIChatDecode, ToolsAndToolChoice) {
  auto d = decode(with(R"("tools": [
      {"type": "function", "function": {"name": "get_current_weather", "description": "Get the current weather in a given location",
       "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                      "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}},
      {"type": "custom", "custom": {"name": "code_exec"}}],
    "tool_choice": {"type": "function", "function": {"name": "get_current_weather"}})"));
  ASSERT_TRUE(d.ok) << d.error.message;
  ASSERT_EQ(d.request().tools.size(), 2u);
  EXPECT_EQ(d.request().tools[0].name, "get_current_weather");
  EXPECT_EQ(d.request().tools[1].name, "code_exec");
  EXPECT_NE(d.request().tools[1].raw, nullptr);
  EXPECT_EQ(d.request().tool_choice.mode, model::ToolChoice::Mode::named);
  EXPECT_EQ(d.request().tool_choice.name, "get_current_weather");
}

TEST(OpenAIChatDecode, AllowedToolsNarrowTheTools) {
  auto d = decode(with(R"("tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "required",
      "tools": [{"type": "function", "function": {"name": "b"}}, {"type": "custom", "custom": {"name": "d"}}]}},
    "tools": [{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "b"}},
              {"type": "function", "function": {"name": "c"}}, {"type": "custom", "custom": {"name": "d"}}])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.request().tool_choice.mode, model::ToolChoice::Mode::required);
  ASSERT_EQ(d.request().tools.size(), 2u);
  EXPECT_EQ(d.request().tools[0].name, "b");
  EXPECT_EQ(d.request().tools[1].name, "d");
}

TEST(OpenAIChatDecode, RoutingMembers) {
  auto d = decode(R"({"models": ["fast", "anthropic/claude-3-5-haiku-latest"], "session_id": "conv-42",
    "provider": {"order": ["openai", "groq"], "allow_fallbacks": false, "sort": "price"},
    "switchyard": {"cache": "no-store", "priority": 3},
    "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Request& r = d.request();
  EXPECT_EQ(r.model, "fast") << "the first of models when model is absent";
  EXPECT_EQ(r.routing.models, (std::vector<std::string_view>{"fast", "anthropic/claude-3-5-haiku-latest"}));
  EXPECT_EQ(r.routing.session_id, "conv-42");
  ASSERT_NE(r.routing.provider, nullptr);
  EXPECT_EQ(json::view((*r.routing.provider)["sort"]), "price");
  ASSERT_NE(r.controls, nullptr);
  EXPECT_EQ(json::view((*r.controls)["cache"]), "no-store");
  EXPECT_TRUE(r.extras.empty()) << "routing members are never sent upstream";

  auto both = decode(R"({"model": "default", "models": ["fast"], "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(both.request().model, "default");
  EXPECT_EQ(both.request().routing.models.size(), 1u);

  auto nulls = decode(with(R"("provider": null, "session_id": null, "switchyard": null, "models": null)"));
  ASSERT_TRUE(nulls.ok) << nulls.error.message;
  EXPECT_EQ(nulls.request().routing.provider, nullptr);
  EXPECT_EQ(nulls.request().controls, nullptr);
}

TEST(OpenAIChatDecode, RoutingMembersAreChecked) {
  Refusal cases[] = {
      {R"({"models": [], "messages": [{"role": "user", "content": "x"}]})", "model", "missing_model"},
      {R"({"models": "fast", "messages": [{"role": "user", "content": "x"}]})", "models"},
      {R"({"models": ["fast", ""], "messages": [{"role": "user", "content": "x"}]})", "models"},
      {R"({"models": ["fast", 5], "messages": [{"role": "user", "content": "x"}]})", "models"},
      {with(R"("provider": ["openai"])"), "provider"},
      {with(R"("session_id": 42)"), "session_id"},
      {with(R"("switchyard": "no-store")"), "switchyard"},
  };
  for (const auto& c : cases) expect_refused(c);
}

// ---- answers and errors ------------------------------------------------------------------------

TEST(OpenAIChatAnswer, TheStoredFormIsTheAnswer) {
  EXPECT_EQ(kCodec.answer, nullptr);  // the stored form is this format's body: sent as it is
  EXPECT_EQ(kCodec.format, model::Format::openai_chat);
}

TEST(OpenAIChatAnswer, ErrorBodies) {
  Error e{429, ErrorType::rate_limited, "slow down", "key_rate_limited"};
  EXPECT_EQ(kCodec.error(e), error_body(e));
}

// ---- streams -----------------------------------------------------------------------------------

using Type = model::StreamEvent::Type;

model::StreamEvent event(Type type, std::string_view text = {}, int output = 0) {
  model::StreamEvent e;
  e.type = type;
  e.text = text;
  e.output = output;
  return e;
}

model::StreamEvent finish(model::Finish reason, int output = 0) {
  model::StreamEvent e = event(Type::finish, {}, output);
  e.finish = reason;
  return e;
}

struct StreamFixture {
  explicit StreamFixture(std::string_view body = with(R"("stream": true)")) : decoded(decode(body)) {
    EXPECT_TRUE(decoded.ok) << decoded.error.message;
    writer = kCodec.stream(Context{"req_0123456789abcdef", 1700000000, "gpt-4o-mini-2024-07-18", &decoded.request()});
  }
  void send(std::vector<model::StreamEvent> events, std::string_view raw = {},
            model::Format raw_format = model::Format::none) {
    writer->events(events, {raw_format, {}, raw}, out);
  }
  testing::Decoded decoded;
  std::unique_ptr<StreamWriter> writer;
  std::string out;
};

constexpr std::string_view kHead =
    R"(data: {"id":"chatcmpl-0123456789abcdef","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini-2024-07-18",)";

std::string chunk(std::string_view choices_and_more) { return std::string(kHead) + std::string(choices_and_more) + "}\n\n"; }

TEST(OpenAIChatStream, RendersTextFinishAndDone) {
  StreamFixture s;
  s.send({event(Type::text, "Hello")});
  s.send({event(Type::text, " world\n\"quoted\"")});
  model::StreamEvent usage = event(Type::usage);
  usage.usage.known = true;
  s.send({finish(model::Finish::stop), usage});
  s.writer->close(usage.usage, s.out);
  EXPECT_EQ(s.out,
            chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}])") +
                chunk(R"("choices":[{"index":0,"delta":{"content":" world\n\"quoted\""},"finish_reason":null}])") +
                chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}])") + "data: [DONE]\n\n");
  for (size_t at = 0; (at = s.out.find("data: {", at)) != std::string::npos; ++at)
    parse(s.out.substr(at + 6, s.out.find("\n\n", at) - at - 6));
}

TEST(OpenAIChatStream, AFinishAloneCarriesTheRole) {
  StreamFixture s;
  s.send({finish(model::Finish::length)});
  s.writer->close({}, s.out);
  EXPECT_EQ(s.out, chunk(R"("choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":"length"}])") +
                       "data: [DONE]\n\n");
}

TEST(OpenAIChatStream, ToolCallsRefusalsAndSeveralOutputs) {
  StreamFixture s;
  model::StreamEvent call = event(Type::tool_call, "{\"loc");
  call.id = "call_abc";
  call.name = "get_weather";
  model::StreamEvent more = event(Type::tool_arguments, "ation\": \"Paris\"}");
  model::StreamEvent second = event(Type::tool_call, "", 1);
  second.tool = 1;
  second.id = "call_def";
  second.name = "now";
  s.send({call});
  s.send({more, event(Type::refusal, "no", 1), second, finish(model::Finish::tool_calls)});
  EXPECT_EQ(
      s.out,
      chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"loc"}}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ation\": \"Paris\"}"}}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":1,"delta":{"role":"assistant","refusal":"no"},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":1,"delta":{"tool_calls":[{"index":1,"id":"call_def","type":"function","function":{"name":"now","arguments":""}}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])"));
}

TEST(OpenAIChatStream, ReasoningInOpenRoutersShape) {
  StreamFixture s;
  model::StreamEvent thinking = event(Type::reasoning, "Let me think.");
  model::StreamEvent signature = event(Type::reasoning);
  signature.signature = "EqQBCgIYAhIM";
  model::StreamEvent redacted = event(Type::reasoning, "EmwKAhgBEgy3");
  redacted.redacted = true;
  s.send({thinking});
  s.send({signature});
  s.send({redacted});
  s.send({event(Type::text, "4")});
  EXPECT_EQ(
      s.out,
      chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","reasoning":"Let me think.","reasoning_details":[{"type":"reasoning.text","text":"Let me think."}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":"","signature":"EqQBCgIYAhIM"}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.encrypted","data":"EmwKAhgBEgy3"}]},"finish_reason":null}])") +
          chunk(R"("choices":[{"index":0,"delta":{"content":"4"},"finish_reason":null}])"));
}

// The rendered reasoning, sent back as an assistant message, decodes to the same thinking.
TEST(OpenAIChatStream, ReasoningRoundTripsThroughTheChatFormat) {
  StreamFixture s;
  model::StreamEvent thinking = event(Type::reasoning, "Think.");
  thinking.signature = "sig-1";
  s.send({thinking});
  size_t at = s.out.find("\"reasoning_details\":");
  size_t end = s.out.find("]}", at);
  std::string details = s.out.substr(at, end + 1 - at);
  auto d = decode(messages(R"([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", )" + details + "}]"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Part& part = d.request().messages[1].parts.at(0);
  EXPECT_EQ(part.type, PartType::reasoning);
  EXPECT_EQ(part.text, "Think.");
  EXPECT_EQ(part.signature, "sig-1");
}

TEST(OpenAIChatStream, UsageChunkWhenAskedFor) {
  StreamFixture s(with(R"("stream": true, "stream_options": {"include_usage": true})"));
  s.send({event(Type::text, "Hi"), finish(model::Finish::stop)});
  model::Usage usage;
  usage.known = true;
  usage.prompt_tokens = 9;
  usage.completion_tokens = 12;
  usage.cached_tokens = 4;
  usage.reasoning_tokens = 2;
  usage.cost = 0.00105;
  std::string before = s.out;
  EXPECT_EQ(before, chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}],"usage":null)") +
                        chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null)"))
      << "with include_usage every chunk carries usage: null";
  s.writer->close(usage, s.out);
  EXPECT_EQ(s.out.substr(before.size()),
            chunk(R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2},"cost":0.00105})") +
                "data: [DONE]\n\n");
  std::string again;
  s.writer->close(usage, again);
  EXPECT_EQ(again, "") << "close() ends the stream once";
}

TEST(OpenAIChatStream, PassthroughForwardsTheUpstreamsChunks) {
  StreamFixture s(with(R"("stream": true, "stream_options": {"include_usage": true})"));
  constexpr std::string_view raw =
      R"({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}]})";
  s.send({event(Type::text, "Hello")}, raw, model::Format::openai_chat);
  s.send({event(Type::text, "ignored")}, "", model::Format::openai_chat);  // no raw: rendered
  model::Usage usage;
  usage.known = true;
  s.writer->close(usage, s.out);
  EXPECT_EQ(s.out, "data: " + std::string(raw) + "\n\n" +
                       chunk(R"("choices":[{"index":0,"delta":{"content":"ignored"},"finish_reason":null}],"usage":null)") +
                       "data: [DONE]\n\n")
      << "no role after passthrough, and no usage chunk of our own: the upstream sent its own";
}

TEST(OpenAIChatStream, OtherFormatsRawIsNotForwarded) {
  StreamFixture s;
  s.send({event(Type::text, "Hi")}, R"({"type":"content_block_delta"})", model::Format::none);
  EXPECT_EQ(s.out, chunk(R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}])"));
}

TEST(OpenAIChatStream, AnErrorEndsTheStreamInBand) {
  StreamFixture s(with(R"("stream": true, "stream_options": {"include_usage": true})"));
  s.send({event(Type::text, "Hel")}, R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})", model::Format::openai_chat);
  Error failure{502, ErrorType::provider_unavailable, "upstream a answered 200 with an error: overloaded", "bad_upstream_response"};
  model::StreamEvent error = event(Type::error);
  error.error = &failure;
  s.out.clear();
  s.send({error}, R"({"error":{"message":"overloaded"}})", model::Format::openai_chat);
  s.send({event(Type::text, "after")});
  s.writer->close({}, s.out);
  EXPECT_EQ(s.out,
            chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"error"}],"error":{"message":"upstream a answered 200 with an error: overloaded","type":"server_error","code":"bad_upstream_response","param":null,"metadata":{"error_type":"provider_unavailable"}})") +
                "data: [DONE]\n\n");
}

TEST(OpenAIChatStream, TheIdComesFromTheRequestId) {
  testing::Decoded d = decode(with(""));
  auto writer = kCodec.stream(Context{"abc", 5, "m", &d.request()});
  std::string out;
  writer->close({}, out);
  std::vector<model::StreamEvent> events{event(Type::text, "x")};
  writer = kCodec.stream(Context{"abc", 5, "m", nullptr});
  writer->events(events, {}, out);
  EXPECT_EQ(out, "data: [DONE]\n\ndata: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\","
                 "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
}

}  // namespace
}  // namespace sy::ingress::openai_chat
