// The Responses API's input items as canonical messages (src/ingress/openai_responses_input.cc):
// read_input() on the `input` and `instructions` of request bodies (the rest of the body is the
// codec's, tests/ingress/openai_responses_test.cc).
#include "ingress/openai_responses_input.h"

#include <gtest/gtest.h>

#include <string>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::openai_responses {
namespace {

using model::PartType;
using model::Role;

// Reads the `input` and `instructions` of `body` (a JSON object) with read_input().
testing::Decoded decode(std::string_view body, References references = References::native) {
  testing::Decoded d;
  d.env->text = body;
  std::string error;
  EXPECT_TRUE(json::parse(d.env->text, d.env->doc, error)) << error;
  const json::Value* input = json::find(d.env->doc, "input");
  const json::Value* instructions = json::find(d.env->doc, "instructions");
  d.ok = read_input(instructions, input, *d.env, references, d.error);
  return d;
}

struct Refusal {
  std::string body;
  const char* param;
};

void expect_refused(const Refusal& r) {
  auto d = decode(r.body);
  ASSERT_FALSE(d.ok) << r.body;
  EXPECT_EQ(d.error.status, 400) << r.body;
  EXPECT_EQ(d.error.type, ErrorType::invalid_request) << r.body;
  EXPECT_EQ(d.error.code, "invalid_request") << r.body;
  EXPECT_EQ(d.error.param, r.param) << r.body << " -> " << d.error.message;
  EXPECT_EQ(d.error.message.rfind(r.param, 0), 0u) << d.error.message;  // it starts with the field
}

TEST(OpenAIResponsesInput, ImageAndFileInputs) {
  auto d = decode(R"({"model": "gpt-4.1-mini", "input": [{"role": "user", "content": [
      {"type": "input_text", "text": "what's in this image?"},
      {"type": "input_image", "image_url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg", "detail": "original"},
      {"type": "input_file", "filename": "draconomicon.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQK"},
      {"type": "input_file", "file_id": "file-6F2ksmvXxt4VdoqmHRw6kL"}]}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& parts = d.request().messages[0].parts;
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].type, PartType::text);
  EXPECT_EQ(parts[1].type, PartType::image);
  EXPECT_EQ(parts[1].url.substr(0, 34), "https://upload.wikimedia.org/wikip");
  EXPECT_EQ(parts[1].detail, "high");  // "original" has no canonical spelling
  EXPECT_EQ(parts[2].type, PartType::file);
  EXPECT_EQ(parts[2].url, "data:application/pdf;base64,JVBERi0xLjQK");
  EXPECT_EQ(parts[2].name, "draconomicon.pdf");
  EXPECT_EQ(parts[3].id, "file-6F2ksmvXxt4VdoqmHRw6kL");
  EXPECT_TRUE(d.request().native_only.empty());
}

TEST(OpenAIResponsesInput, AssistantSideItemsOfATurnMakeOneMessage) {
  auto d = decode(R"({"model": "o4-mini", "input": [
      {"role": "user", "content": "Plan my day"},
      {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "**Planning**"},
                                                      {"type": "summary_text", "text": "Check the calendar."}],
       "encrypted_content": "gAAAAB-sealed"},
      {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
       "content": [{"type": "output_text", "text": "Let me look.", "annotations": []},
                   {"type": "refusal", "refusal": "Not the private ones."}]},
      {"type": "function_call", "call_id": "call_a", "name": "calendar", "arguments": "{}"},
      {"type": "function_call", "call_id": "call_b", "name": "weather", "arguments": "{\"city\":\"Oslo\"}"},
      {"type": "function_call_output", "call_id": "call_a", "output": [{"type": "input_text", "text": "9:00 standup"},
                                                                      {"type": "input_text", "text": "12:00 lunch"}]},
      {"type": "function_call_output", "call_id": "call_b", "output": "sunny"},
      {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAAAB-opaque"},
      {"role": "assistant", "content": "Here is your day."}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& m = d.request().messages;
  ASSERT_EQ(m.size(), 5u);
  ASSERT_EQ(m[1].parts.size(), 5u);
  EXPECT_EQ(m[1].role, Role::assistant);
  EXPECT_EQ(m[1].parts[0].type, PartType::reasoning);
  EXPECT_EQ(m[1].parts[0].text, "**Planning**\n\nCheck the calendar.");
  EXPECT_EQ(m[1].parts[0].signature, "gAAAAB-sealed");
  EXPECT_EQ(m[1].parts[0].id, "rs_1");
  EXPECT_FALSE(m[1].parts[0].redacted);
  EXPECT_EQ(m[1].parts[1].text, "Let me look.");
  EXPECT_EQ(m[1].parts[2].type, PartType::refusal);
  EXPECT_EQ(m[1].parts[3].id, "call_a");
  EXPECT_EQ(m[1].parts[4].id, "call_b");
  EXPECT_EQ(m[2].role, Role::tool);
  EXPECT_EQ(m[2].parts[0].text, "9:00 standup12:00 lunch");
  EXPECT_EQ(m[3].parts[0].text, "sunny");
  ASSERT_EQ(m[4].parts.size(), 2u);  // the next turn: redacted reasoning and its text
  EXPECT_TRUE(m[4].parts[0].redacted);
  EXPECT_EQ(m[4].parts[0].text, "gAAAAB-opaque");
  EXPECT_EQ(m[4].parts[1].text, "Here is your day.");
}

TEST(OpenAIResponsesInput, ReasoningTextWhenThereIsNoSummary) {
  auto d = decode(R"({"model": "m", "input": [{"role": "user", "content": "x"},
      {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "raw thought"}]},
      {"type": "reasoning", "summary": []},
      {"role": "assistant", "content": "ok"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& m = d.request().messages;
  ASSERT_EQ(m.size(), 2u);
  ASSERT_EQ(m[1].parts.size(), 2u);  // an empty reasoning item adds nothing
  EXPECT_EQ(m[1].parts[0].text, "raw thought");
  EXPECT_FALSE(m[1].parts[0].redacted);
}

TEST(OpenAIResponsesInput, RolesAndItemTypesAreOptionalWhereTheSpecSaysSo) {
  auto d = decode(R"({"model": "m", "input": [
      {"role": "developer", "content": [{"type": "input_text", "text": "Be brief."}]},
      {"type": "message", "role": "system", "content": "Answer in French."},
      {"role": "user", "content": "hi"}]})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& m = d.request().messages;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].role, Role::developer);
  EXPECT_EQ(m[1].role, Role::system);
}

TEST(OpenAIResponsesInput, InputItemsNameTheFieldExactly) {
  auto input = [](std::string_view items) { return R"({"model": "m", "input": )" + std::string(items) + "}"; };
  Refusal cases[] = {
      {input(R"(["hi"])"), "input[0]"},
      {input(R"([{"content": "x"}])"), "input[0].type"},
      {input(R"([{"type": 5}])"), "input[0].type"},
      {input(R"([{"type": "message", "content": "x"}])"), "input[0].role"},
      {input(R"([{"role": "tool", "content": "x"}])"), "input[0].role"},
      {input(R"([{"role": "user"}])"), "input[0].content"},
      {input(R"([{"role": "user", "content": null}])"), "input[0].content"},
      {input(R"([{"role": "user", "content": 5}])"), "input[0].content"},
      {input(R"([{"role": "user", "content": []}])"), "input[0].content"},
      {input(R"([{"role": "user", "content": "x", "status": 1}])"), "input[0].status"},
      {input(R"([{"role": "user", "content": ["x"]}])"), "input[0].content[0]"},
      {input(R"([{"role": "user", "content": [{"type": "text", "text": "x"}]}])"), "input[0].content[0].type"},
      {input(R"([{"role": "user", "content": [{"type": "output_text", "text": "x"}]}])"), "input[0].content[0].type"},
      {input(R"([{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}])"), "input[0].content[0].type"},
      {input(R"([{"role": "user", "content": [{"type": "input_text"}]}])"), "input[0].content[0].text"},
      {input(R"([{"role": "user", "content": [{"type": "input_text", "text": 5}]}])"), "input[0].content[0].text"},
      {input(R"([{"role": "assistant", "content": [{"type": "refusal"}]}])"), "input[0].content[0].refusal"},
      {input(R"([{"role": "user", "content": [{"type": "input_image"}]}])"), "input[0].content[0]"},
      {input(R"([{"role": "user", "content": [{"type": "input_image", "image_url": {"url": "x"}}]}])"),
       "input[0].content[0].image_url"},
      {input(R"([{"role": "user", "content": [{"type": "input_image", "image_url": "x", "file_id": 5}]}])"),
       "input[0].content[0].file_id"},
      {input(R"([{"role": "user", "content": [{"type": "input_image", "image_url": "x", "detail": "max"}]}])"),
       "input[0].content[0].detail"},
      {input(R"([{"role": "user", "content": [{"type": "input_file"}]}])"), "input[0].content[0]"},
      {input(R"([{"role": "user", "content": [{"type": "input_file", "file_data": 5}]}])"), "input[0].content[0].file_data"},
      {input(R"([{"role": "user", "content": [{"type": "input_file", "file_id": "f", "filename": 5}]}])"),
       "input[0].content[0].filename"},
      {input(R"([{"type": "function_call", "name": "f", "arguments": "{}"}])"), "input[0].call_id"},
      {input(R"([{"type": "function_call", "call_id": "", "name": "f", "arguments": "{}"}])"), "input[0].call_id"},
      {input(R"([{"type": "function_call", "call_id": "c", "arguments": "{}"}])"), "input[0].name"},
      {input(R"([{"type": "function_call", "call_id": "c", "name": "f", "arguments": {"a": 1}}])"), "input[0].arguments"},
      {input(R"([{"type": "function_call_output", "output": "x"}])"), "input[0].call_id"},
      {input(R"([{"type": "function_call_output", "call_id": "c"}])"), "input[0].output"},
      {input(R"([{"type": "function_call_output", "call_id": "c", "output": 5}])"), "input[0].output"},
      {input(R"([{"type": "function_call_output", "call_id": "c", "output": ["x"]}])"), "input[0].output[0]"},
      {input(R"([{"type": "function_call_output", "call_id": "c", "output": [{"type": "output_text", "text": "x"}]}])"),
       "input[0].output[0].type"},
      {input(R"([{"type": "function_call_output", "call_id": "c", "output": [{"type": "input_text"}]}])"),
       "input[0].output[0].text"},
      {input(R"([{"type": "reasoning", "id": "rs"}])"), "input[0].summary"},
      {input(R"([{"type": "reasoning", "summary": "thought"}])"), "input[0].summary"},
      {input(R"([{"type": "reasoning", "summary": [{"type": "text", "text": "x"}]}])"), "input[0].summary[0].type"},
      {input(R"([{"type": "reasoning", "summary": [{"type": "summary_text"}]}])"), "input[0].summary[0].text"},
      {input(R"([{"type": "reasoning", "summary": [], "encrypted_content": 5}])"), "input[0].encrypted_content"},
      {input(R"([{"type": "reasoning", "summary": [], "content": "x"}])"), "input[0].content"},
      {input(R"([{"type": "reasoning", "summary": [], "content": [{"type": "reasoning_text"}]}])"),
       "input[0].content[0].text"},
      {input(R"([{"type": "reasoning", "summary": [], "id": 5}])"), "input[0].id"},
      {input(R"([{"type": "item_reference"}])"), "input[0].id"},
      {input(R"([{"type": "item_reference", "id": ""}])"), "input[0].id"},
      {input(R"([{"role": "user", "content": "ok"}, {"role": "user", "content": [{"type": "input_image", "image_url": "x"}, 3]}])"),
       "input[1].content[1]"},
  };
  for (const auto& c : cases) expect_refused(c);
  EXPECT_EQ(decode(input(R"([{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}])")).error.message,
            "input[0].content[0].type must be output_text or refusal in an assistant message");
}

TEST(OpenAIResponsesInput, StringsInstructionsAndNothing) {
  auto d = decode(R"({"instructions": "Talk like a pirate.", "input": "Are semicolons optional in JavaScript?"})");
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& m = d.request().messages;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].role, Role::system);
  EXPECT_EQ(m[0].parts[0].text, "Talk like a pirate.");
  EXPECT_EQ(m[1].role, Role::user);
  EXPECT_EQ(m[1].parts[0].text, "Are semicolons optional in JavaScript?");
  EXPECT_TRUE(decode(R"({"instructions": ""})").request().messages.empty());
  EXPECT_TRUE(decode(R"({})").ok);
  auto bad = decode(R"({"instructions": 5, "input": "x"})");
  EXPECT_EQ(bad.error.param, "instructions");
}

TEST(OpenAIResponsesInput, NativeOnlyItemsAndParts) {
  struct Case {
    const char* body;
    const char* path;
  } cases[] = {
      {R"({"input": [{"role": "user", "content": "x"}, {"type": "computer_call_output", "call_id": "c", "output": {}}]})", "input[1].type"},
      {R"({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1", "detail": "auto"}]}]})", "input[0].content[0].file_id"},
      {R"({"input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://x/a.pdf"}]}]})", "input[0].content[0].file_url"},
      {R"({"input": [{"type": "function_call_output", "call_id": "c", "output": [{"type": "input_file", "file_id": "f"}]}]})", "input[0].output[0]"},
  };
  for (const auto& c : cases) {
    auto d = decode(c.body);
    ASSERT_TRUE(d.ok) << c.body << " -> " << d.error.message;
    EXPECT_EQ(d.request().native_only, c.path) << c.body;
  }
  // A file by URL with an id or data as well is served from those.
  auto both = decode(R"({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f", "file_url": "https://x"}]}]})");
  EXPECT_TRUE(both.request().native_only.empty());
  // Only the first is noted.
  model::Envelope env;
  mark_native(env, "first");
  mark_native(env, "second");
  EXPECT_EQ(env.request.native_only, "first");
}

TEST(OpenAIResponsesInput, ItemReferencesByMode) {
  const char* body = R"({"input": [{"role": "user", "content": "x"}, {"type": "item_reference", "id": "msg_1"}, {"id": "rs_9"}]})";
  auto deferred = decode(body, References::deferred);
  ASSERT_TRUE(deferred.ok);
  EXPECT_EQ(deferred.request().messages.size(), 1u);
  EXPECT_TRUE(deferred.request().native_only.empty());  // resume decodes again with them resolved
  auto native = decode(body, References::native);
  ASSERT_TRUE(native.ok);
  EXPECT_EQ(native.request().native_only, "input[1]");  // only OpenAI can look it up
  EXPECT_EQ(native.request().messages.size(), 1u);
}

}  // namespace
}  // namespace sy::ingress::openai_responses
