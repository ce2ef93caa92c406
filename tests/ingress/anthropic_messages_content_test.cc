// The Messages ingress: messages and content blocks (anthropic_messages_content.cc). Blocks
// follow Anthropic's API reference (vision, PDF support, tool use, extended thinking, search
// results, web search).
#include <gtest/gtest.h>

#include "ingress/anthropic_messages.h"
#include "ingress/ingress_test_util.h"

namespace sy::ingress::anthropic_messages {
namespace {

using model::PartType;
using model::Role;

testing::Decoded decode(std::string_view body) { return testing::decode(kCodec, body); }

// A body whose messages are `messages` (a JSON array's text).
std::string messages(std::string_view messages) {
  return R"({"model": "claude-sonnet-4-20250514", "max_tokens": 1024, "messages": )" + std::string(messages) + "}";
}

// A body with one user message whose content is `blocks` (a JSON array's text).
std::string user(std::string_view blocks) {
  return messages(R"([{"role": "user", "content": )" + std::string(blocks) + "}]");
}

void expect_refused(const std::string& body, const char* param) {
  auto d = decode(body);
  ASSERT_FALSE(d.ok) << body;
  EXPECT_EQ(d.error.status, 400) << body;
  EXPECT_EQ(d.error.code, "invalid_request") << body;
  EXPECT_EQ(d.error.param, param) << body << " -> " << d.error.message;
  EXPECT_EQ(d.error.message.rfind(param, 0), 0u) << "the message starts with the field: " << d.error.message;
}

constexpr const char* kPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

TEST(AnthropicMessagesContent, ImagesAndDocuments) {
  auto d = decode(user(std::string(R"([
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ")") + kPng + R"("}},
    {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}},
    {"type": "image", "source": {"type": "file", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"}},
    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
     "title": "paper.pdf", "context": "the 2024 report", "citations": {"enabled": true}, "cache_control": {"type": "ephemeral"}},
    {"type": "document", "source": {"type": "url", "url": "https://assets.anthropic.com/m/1cd9d098ac3e6467/original/Claude-3-Model-Card-October-Addendum.pdf"}},
    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The grass is green. The sky is blue."}, "title": "My Document"},
    {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "First chunk"},
       {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}}]}},
    {"type": "document", "source": {"type": "content", "content": "Plain content"}},
    {"type": "document", "source": {"type": "file", "file_id": "file_011CNvxoj286tYUAZFiZMf1U"}},
    {"type": "text", "text": "What do these show?"}
  ])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& parts = d.request().messages[0].parts;
  ASSERT_EQ(parts.size(), 11u);
  EXPECT_EQ(parts[0].type, PartType::image);
  EXPECT_EQ(parts[0].url, std::string("data:image/png;base64,") + kPng);
  ASSERT_NE(parts[0].raw, nullptr);
  EXPECT_EQ(parts[1].type, PartType::image);
  EXPECT_EQ(parts[1].url, "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg");
  EXPECT_EQ(parts[2].type, PartType::file);
  EXPECT_EQ(parts[2].id, "file_011CNha8iCJcU1wXNR6q4V8w");
  EXPECT_EQ(parts[3].type, PartType::file);
  EXPECT_EQ(parts[3].url, "data:application/pdf;base64,JVBERi0xLjQK");
  EXPECT_EQ(parts[3].media_type, "application/pdf");
  EXPECT_EQ(parts[3].name, "paper.pdf");
  EXPECT_STREQ((*parts[3].raw)["cache_control"]["type"].GetString(), "ephemeral");
  EXPECT_EQ(parts[4].type, PartType::file);
  EXPECT_EQ(parts[4].url.substr(0, 30), "https://assets.anthropic.com/m");
  EXPECT_EQ(parts[4].media_type, "application/pdf");
  EXPECT_EQ(parts[5].type, PartType::text);
  EXPECT_EQ(parts[5].text, "The grass is green. The sky is blue.");
  EXPECT_EQ(parts[6].text, "First chunk");
  EXPECT_EQ(parts[7].type, PartType::image);
  EXPECT_EQ(parts[7].url, "https://example.com/b.png");
  EXPECT_EQ(parts[8].text, "Plain content");
  EXPECT_EQ(parts[9].type, PartType::file);
  EXPECT_EQ(parts[9].id, "file_011CNvxoj286tYUAZFiZMf1U");
  EXPECT_EQ(parts[10].text, "What do these show?");
}

// The reference's tool-use round trip, with extended thinking kept (signatures intact).
TEST(AnthropicMessagesContent, ToolUseRoundTripWithThinking) {
  auto d = decode(messages(R"([
    {"role": "user", "content": "What is the weather like in San Francisco?"},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "The user wants the weather in San Francisco.", "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"},
      {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
      {"type": "text", "text": "I'll check the weather."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
       "input": {"location": "San Francisco, CA", "unit": "celsius"}, "cache_control": {"type": "ephemeral"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
      {"type": "text", "text": "And tomorrow?"}]}
  ])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& ms = d.request().messages;
  ASSERT_EQ(ms.size(), 3u);
  const auto& a = ms[1];
  EXPECT_EQ(a.role, Role::assistant);
  ASSERT_EQ(a.parts.size(), 4u);
  EXPECT_EQ(a.parts[0].type, PartType::reasoning);
  EXPECT_EQ(a.parts[0].text, "The user wants the weather in San Francisco.");
  EXPECT_EQ(a.parts[0].signature, "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL");
  EXPECT_FALSE(a.parts[0].redacted);
  EXPECT_EQ(a.parts[1].type, PartType::reasoning);
  EXPECT_TRUE(a.parts[1].redacted);
  EXPECT_EQ(a.parts[1].text, "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP");
  EXPECT_EQ(a.parts[2].text, "I'll check the weather.");
  EXPECT_EQ(a.parts[3].type, PartType::tool_call);
  EXPECT_EQ(a.parts[3].id, "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(a.parts[3].name, "get_weather");
  EXPECT_EQ(a.parts[3].arguments, R"({"location":"San Francisco, CA","unit":"celsius"})");
  const auto& u = ms[2];
  ASSERT_EQ(u.parts.size(), 2u);
  EXPECT_EQ(u.parts[0].type, PartType::tool_result);
  EXPECT_EQ(u.parts[0].id, "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(u.parts[0].text, "15 degrees");
  EXPECT_EQ(u.parts[1].text, "And tomorrow?");
}

TEST(AnthropicMessagesContent, ToolResultsWithBlocks) {
  auto d = decode(messages(R"([
    {"role": "user", "content": "Draw it"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "render", "input": {}},
                                      {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {"q": "x"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": false, "content": [
        {"type": "text", "text": "Rendered."}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
        {"type": "text", "text": "Size 1x1.", "cache_control": {"type": "ephemeral"}}]},
      {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": [
        {"type": "search_result", "source": "https://docs.example.com", "title": "Docs", "content": [{"type": "text", "text": "Found it."}]},
        {"type": "tool_reference", "tool_name": "lookup"}]},
      {"type": "tool_result", "tool_use_id": "toolu_3"}
    ]}
  ])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& parts = d.request().messages[2].parts;
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].type, PartType::tool_result);
  EXPECT_EQ(parts[0].id, "toolu_1");
  EXPECT_EQ(parts[0].text, "Rendered.\nSize 1x1.");
  EXPECT_EQ(parts[1].type, PartType::image) << "a result's image follows it";
  EXPECT_EQ(parts[1].url, "data:image/jpeg;base64,/9j/4AAQ");
  EXPECT_EQ(parts[2].type, PartType::tool_result);
  EXPECT_EQ(parts[2].text, "");
  EXPECT_EQ(parts[3].type, PartType::text);
  EXPECT_EQ(parts[3].text, "Found it.");
  EXPECT_EQ(parts[4].id, "toolu_3");
  EXPECT_EQ(d.request().messages[1].parts[0].arguments, "{}");
}

// Consecutive turns of one role (Anthropic merges them), a mid-conversation system message, a
// prefilled final assistant turn, server tool blocks (kept only in the body an Anthropic target
// gets) and search results of the caller's own.
TEST(AnthropicMessagesContent, TurnsAsAnthropicTakesThem) {
  auto d = decode(messages(R"([
    {"role": "user", "content": "Hi"},
    {"role": "user", "content": [{"type": "text", "text": "Search the news."}]},
    {"role": "system", "content": "Answer in French from now on."},
    {"role": "assistant", "content": [
      {"type": "server_tool_use", "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "name": "web_search", "input": {"query": "news"}},
      {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "content": [
        {"type": "web_search_result", "url": "https://example.com", "title": "News", "encrypted_content": "EqgfCioIARgBIiQ3", "page_age": null}]},
      {"type": "text", "text": "Voici les nouvelles.", "citations": [{"type": "web_search_result_location", "url": "https://example.com",
        "title": "News", "encrypted_index": "Eo8BCioIAhgBIiQ", "cited_text": "..."}]}]},
    {"role": "user", "content": [{"type": "search_result", "source": "https://kb.example.com/a", "title": "KB",
      "content": [{"type": "text", "text": "Article A"}, {"type": "text", "text": "Article B"}], "citations": {"enabled": true}}]},
    {"role": "assistant", "content": ""}
  ])"));
  ASSERT_TRUE(d.ok) << d.error.message;
  const auto& ms = d.request().messages;
  ASSERT_EQ(ms.size(), 6u);
  EXPECT_EQ(ms[0].role, Role::user);
  EXPECT_EQ(ms[1].role, Role::user);
  EXPECT_EQ(ms[2].role, Role::system);
  EXPECT_EQ(ms[2].parts[0].text, "Answer in French from now on.");
  ASSERT_EQ(ms[3].parts.size(), 1u) << "server tool blocks have no canonical part";
  EXPECT_EQ(ms[3].parts[0].text, "Voici les nouvelles.");
  ASSERT_EQ(ms[4].parts.size(), 2u);
  EXPECT_EQ(ms[4].parts[1].text, "Article B");
  EXPECT_TRUE(ms[5].parts.empty()) << "an empty prefill";
  EXPECT_EQ(ms[5].role, Role::assistant);
}

TEST(AnthropicMessagesContent, MessageRulesNameTheField) {
  expect_refused(messages(R"(["hi"])"), "messages[0]");
  expect_refused(messages(R"([{"content": "x"}])"), "messages[0].role");
  expect_refused(messages(R"([{"role": "tool", "content": "x"}])"), "messages[0].role");
  expect_refused(messages(R"([{"role": "user"}])"), "messages[0].content");
  expect_refused(messages(R"([{"role": "user", "content": 5}])"), "messages[0].content");
  expect_refused(messages(R"([{"role": "user", "content": ""}])"), "messages[0].content");
  expect_refused(messages(R"([{"role": "user", "content": []}])"), "messages[0].content");
  expect_refused(messages(R"([{"role": "assistant", "content": ""}, {"role": "user", "content": "x"}])"),
                 "messages[0].content");
  expect_refused(messages(R"([{"role": "user", "content": "x"}, {"role": "system", "content": [{"type": "image",
                   "source": {"type": "url", "url": "https://x/a.png"}}]}])"),
                 "messages[1].content[0].type");
}

TEST(AnthropicMessagesContent, BlockRulesNameTheFieldExactly) {
  expect_refused(user(R"(["hi"])"), "messages[0].content[0]");
  expect_refused(user(R"([{"text": "hi"}])"), "messages[0].content[0].type");
  expect_refused(user(R"([{"type": "image_url", "image_url": {"url": "https://x"}}])"), "messages[0].content[0].type");
  expect_refused(user(R"([{"type": "text"}])"), "messages[0].content[0].text");
  expect_refused(user(R"([{"type": "text", "text": ""}])"), "messages[0].content[0].text");
  expect_refused(user(R"([{"type": "text", "text": "a"}, {"type": "text", "text": 5}])"), "messages[0].content[1].text");
  expect_refused(user(R"([{"type": "text", "text": "a", "cache_control": {"type": "persistent"}}])"),
                 "messages[0].content[0].cache_control");
  expect_refused(user(R"([{"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "2h"}}])"),
                 "messages[0].content[0].cache_control.ttl");
  expect_refused(user(R"([{"type": "image"}])"), "messages[0].content[0].source.type");
  expect_refused(user(R"([{"type": "image", "source": {"type": "base64", "data": "AAAA"}}])"),
                 "messages[0].content[0].source.media_type");
  expect_refused(user(R"([{"type": "image", "source": {"type": "base64", "media_type": "image/tiff", "data": "AAAA"}}])"),
                 "messages[0].content[0].source.media_type");
  expect_refused(user(R"([{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}])"),
                 "messages[0].content[0].source.data");
  expect_refused(user(R"([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "data:image/png;base64,AAAA"}}])"),
                 "messages[0].content[0].source.data");
  expect_refused(user(R"([{"type": "image", "source": {"type": "url", "url": "ftp://x/a.png"}}])"),
                 "messages[0].content[0].source.url");
  expect_refused(user(R"([{"type": "image", "source": {"type": "file"}}])"), "messages[0].content[0].source.file_id");
  expect_refused(user(R"([{"type": "document", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}])"),
                 "messages[0].content[0].source.media_type");
  expect_refused(user(R"([{"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "%PDF"}}])"),
                 "messages[0].content[0].source.data");
  expect_refused(user(R"([{"type": "document", "source": {"type": "text", "media_type": "text/plain"}}])"),
                 "messages[0].content[0].source.data");
  expect_refused(user(R"([{"type": "document", "source": {"type": "url", "url": "file:///etc/passwd"}}])"),
                 "messages[0].content[0].source.url");
  expect_refused(user(R"([{"type": "document", "source": {"type": "content", "content": [{"type": "document"}]}}])"),
                 "messages[0].content[0].source.content[0].type");
  expect_refused(user(R"([{"type": "document", "source": {"type": "content"}}])"), "messages[0].content[0].source.content");
  expect_refused(user(R"([{"type": "document", "source": {"type": "zip"}}])"), "messages[0].content[0].source.type");
  expect_refused(user(R"([{"type": "document", "title": 5, "source": {"type": "file", "file_id": "f"}}])"),
                 "messages[0].content[0].title");
  expect_refused(user(R"([{"type": "search_result", "title": "T", "content": []}])"), "messages[0].content[0].source");
  expect_refused(user(R"([{"type": "search_result", "source": "s", "title": "T", "content": [{"type": "image"}]}])"),
                 "messages[0].content[0].content[0].type");
}

TEST(AnthropicMessagesContent, ToolAndThinkingBlockRules) {
  auto assistant = [](std::string_view blocks) {
    return messages(R"([{"role": "user", "content": "x"}, {"role": "assistant", "content": )" + std::string(blocks) + "}]");
  };
  expect_refused(user(R"([{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}])"), "messages[0].content[0].type");
  expect_refused(user(R"([{"type": "thinking", "thinking": "t", "signature": "s"}])"), "messages[0].content[0].type");
  expect_refused(assistant(R"([{"type": "tool_result", "tool_use_id": "t"}])"), "messages[1].content[0].type");
  expect_refused(assistant(R"([{"type": "tool_use", "name": "f", "input": {}}])"), "messages[1].content[0].id");
  expect_refused(assistant(R"([{"type": "tool_use", "id": "call 1", "name": "f", "input": {}}])"), "messages[1].content[0].id");
  expect_refused(assistant(R"([{"type": "tool_use", "id": "toolu_1", "input": {}}])"), "messages[1].content[0].name");
  expect_refused(assistant(R"([{"type": "tool_use", "id": "toolu_1", "name": "f"}])"), "messages[1].content[0].input");
  expect_refused(assistant(R"([{"type": "tool_use", "id": "toolu_1", "name": "f", "input": "{}"}])"),
                 "messages[1].content[0].input");
  expect_refused(assistant(R"([{"type": "thinking", "signature": "s"}])"), "messages[1].content[0].thinking");
  expect_refused(assistant(R"([{"type": "thinking", "thinking": "t"}])"), "messages[1].content[0].signature");
  expect_refused(assistant(R"([{"type": "redacted_thinking"}])"), "messages[1].content[0].data");
  expect_refused(user(R"([{"type": "tool_result"}])"), "messages[0].content[0].tool_use_id");
  expect_refused(user(R"([{"type": "tool_result", "tool_use_id": "t", "is_error": "no"}])"), "messages[0].content[0].is_error");
  expect_refused(user(R"([{"type": "tool_result", "tool_use_id": "t", "content": 5}])"), "messages[0].content[0].content");
  expect_refused(user(R"([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text"}]}])"),
                 "messages[0].content[0].content[0].text");
  expect_refused(user(R"([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_use"}]}])"),
                 "messages[0].content[0].content[0].type");
  expect_refused(user(R"([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "image", "source": {"type": "url", "url": "x"}}]}])"),
                 "messages[0].content[0].content[0].source.url");
}

}  // namespace
}  // namespace sy::ingress::anthropic_messages
