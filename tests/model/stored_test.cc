// The stored form of answers: rendering canonical answers as OpenAI's published shapes, reading
// them back, and reading real OpenAI answers and main's cache snapshots.
#include "model/stored.h"

#include <gtest/gtest.h>

#include "providers/wire_test_util.h"

namespace sy::model::stored {
namespace {

using providers::test::same_json;

Answer chat_with_tools_and_reasoning() {
  Answer a;
  a.id = "msg_01XFDUDYJgAACzvnptvVoYEL";
  a.model = "claude-sonnet-4-5";
  a.provider = "claude";
  Output o;
  o.reasoning.push_back({"The user wants the weather. ", "EqQBCgIYAhIM1gbcDa9GJwZA2b3h", false});
  o.reasoning.push_back({"EmwKAhgBEgy3va3pzix/LafPsn4a", "", true});
  o.text = "Let me check.";
  o.has_text = true;
  o.tool_calls.push_back({"toolu_01A09q90qw90lq917835lq9", "get_weather", "{\"location\":\"San Francisco, CA\"}"});
  o.finish = Finish::tool_calls;
  a.outputs.push_back(o);
  a.usage = {true, 472, 91, 400, 60, 0.0023};
  a.extras.emplace_back("system_fingerprint", "\"fp_44709d6fcb\"");
  a.extras.emplace_back("service_tier", "\"default\"");
  a.extras.emplace_back("model", "\"ignored: written already\"");
  return a;
}

constexpr const char* kRendered = R"({
  "id": "chatcmpl-42abc", "object": "chat.completion", "created": 1700000000,
  "model": "claude-sonnet-4-5", "provider": "claude",
  "choices": [{
    "index": 0,
    "message": {
      "role": "assistant", "content": "Let me check.", "refusal": null,
      "tool_calls": [{"id": "toolu_01A09q90qw90lq917835lq9", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\"location\":\"San Francisco, CA\"}"}}],
      "reasoning": "The user wants the weather. ",
      "reasoning_details": [
        {"type": "reasoning.text", "text": "The user wants the weather. ", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
        {"type": "reasoning.encrypted", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}]
    },
    "logprobs": null,
    "finish_reason": "tool_calls"
  }],
  "usage": {"prompt_tokens": 472, "completion_tokens": 91, "total_tokens": 563,
            "prompt_tokens_details": {"cached_tokens": 400},
            "completion_tokens_details": {"reasoning_tokens": 60}, "cost": 0.0023},
  "system_fingerprint": "fp_44709d6fcb", "service_tier": "default"
})";

// Canonical fields, for round-trip comparisons.
std::string describe(const Answer& a) {
  std::string out = "kind " + std::to_string(int(a.kind)) + " model " + a.model + " provider " + a.provider + "\n";
  for (const Output& o : a.outputs) {
    out += "output text" + std::string(o.has_text ? "=" : "(absent)=") + o.text + " refusal=" + o.refusal +
           " finish=" + std::string(finish_name(o.finish)) + "\n";
    for (const Reasoning& r : o.reasoning) out += "  reasoning " + r.text + " sig=" + r.signature + (r.redacted ? " redacted\n" : "\n");
    for (const ToolCall& c : o.tool_calls) out += "  call " + c.id + " " + c.name + " " + c.arguments + "\n";
  }
  const Usage& u = a.usage;
  if (u.known)
    out += "usage " + std::to_string(u.prompt_tokens) + " " + std::to_string(u.completion_tokens) + " " +
           std::to_string(u.cached_tokens) + " " + std::to_string(u.reasoning_tokens) + " " + std::to_string(u.cost) + "\n";
  for (const auto& [name, value] : a.extras) out += "extra " + name + "=" + value + "\n";
  for (const auto& e : a.embeddings) out += "embedding " + e + "\n";
  for (const auto& m : a.models) out += "model " + m.id + " " + std::to_string(m.created) + " " + m.owned_by + "\n";
  return out;
}

TEST(Stored, RendersAChatAnswerInOpenAIsShape) {
  Answer a = chat_with_tools_and_reasoning();
  std::string text = serialize(a, "req_42abc", 1700000000);
  EXPECT_TRUE(same_json(text, kRendered));
  // The answer's own created wins over the request's.
  a.created = 1690000000;
  EXPECT_NE(serialize(a, "req_42abc", 1700000000).find("\"created\":1690000000"), std::string::npos);
}

TEST(Stored, ChatRoundTripsThroughParse) {
  Answer a = chat_with_tools_and_reasoning();
  std::string text = serialize(a, "req_42abc", 1700000000);
  Answer back;
  std::string error;
  ASSERT_TRUE(parse(text, back, error)) << error;
  a.extras.pop_back();  // the colliding `model` extra was never written
  EXPECT_EQ(describe(back), describe(a));
  EXPECT_EQ(back.id, "chatcmpl-42abc");
  EXPECT_EQ(back.created, 1700000000);
  EXPECT_EQ(back.raw_format, Format::openai_chat);
  EXPECT_EQ(back.raw, text);
  EXPECT_EQ(serialize(back, "req_other", 5), text);  // a stored form is kept byte for byte
}

TEST(Stored, ContentRefusalAndFinishShapes) {
  Answer a;
  a.model = "m";
  a.outputs.resize(4);
  a.outputs[0].tool_calls.push_back({"c", "f", "{}"});  // tool calls alone: content null
  a.outputs[0].finish = Finish::tool_calls;
  a.outputs[1].refusal = "I can't help with that.";  // a refusal: content null, refusal set
  a.outputs[2].finish = Finish::length;                 // nothing at all: content ""
  a.outputs[3].finish = Finish::none;                   // unfinished: finish_reason null
  a.outputs[3].has_text = true;
  EXPECT_TRUE(same_json(serialize(a, "req_1", 2), R"({"id":"chatcmpl-1","object":"chat.completion","created":2,"model":"m",
    "choices":[
      {"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[
        {"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"},
      {"index":1,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"logprobs":null,"finish_reason":"stop"},
      {"index":2,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":"length"},
      {"index":3,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]})"));
  Answer back;
  std::string error;
  ASSERT_TRUE(parse(serialize(a, "req_1", 2), back, error)) << error;
  a.outputs[2].has_text = true;  // rendered as "", read back as given
  EXPECT_EQ(describe(back), describe(a));
}

TEST(Stored, UsageWithoutDetailsOrPrice) {
  Answer a;
  a.outputs.emplace_back().text = "hi";
  a.usage = {true, 5, 1, -1, -1, -1};
  EXPECT_TRUE(same_json(serialize(a, "req_x", 1), R"({"id":"chatcmpl-x","object":"chat.completion","created":1,"model":"",
    "choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],
    "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})"));
  a.usage.cost = 0;  // free (echo): cost 0 is written
  EXPECT_NE(serialize(a, "req_x", 1).find("\"cost\":0"), std::string::npos);
  a.usage.known = false;
  EXPECT_EQ(serialize(a, "req_x", 1).find("usage"), std::string::npos);
}

TEST(Stored, TheRawFormIsUsedAsIs) {
  Answer a;
  a.raw_format = Format::openai_chat;
  a.raw = R"({"id":"chatcmpl-up","choices":[],"provider":"up"})";
  EXPECT_EQ(serialize(a, "req_1", 1), a.raw);
  a.raw_format = Format::openai_embeddings;  // a raw form of another shape is not
  EXPECT_NE(serialize(a, "req_1", 1), a.raw);
  a.kind = Kind::embeddings;
  EXPECT_EQ(serialize(a, "req_1", 1), a.raw);
}

TEST(Stored, ReadsRealOpenAIAnswers) {
  // From OpenAI's API reference (chat/create, "Default" and "Functions" examples).
  Answer a;
  std::string error;
  ASSERT_TRUE(parse(R"({
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952, "model": "gpt-5.4",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
                 "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default"})",
                    a, error))
      << error;
  EXPECT_EQ(describe(a),
            "kind 0 model gpt-5.4 provider \n"
            "output text=Hello! How can I assist you today? refusal= finish=stop\n"
            "usage 19 10 0 0 -1.000000\n"
            "extra service_tier=\"default\"\n");
  EXPECT_EQ(a.id, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
  EXPECT_EQ(a.created, 1741569952);

  ASSERT_TRUE(parse(R"({"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1699896916, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
       {"id": "call_abc123", "type": "function",
        "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}}]},
       "logprobs": null, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
              "completion_tokens_details": {"reasoning_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}})",
                    a, error))
      << error;
  EXPECT_EQ(describe(a),
            "kind 0 model gpt-4o-mini provider \n"
            "output text(absent)= refusal= finish=tool_calls\n"
            "  call call_abc123 get_current_weather {\n\"location\": \"Boston, MA\"\n}\n"
            "usage 82 17 -1 0 -1.000000\n");
}

TEST(Stored, ReadsReasoningAsOtherServersWriteIt) {
  Answer a;
  std::string error;
  // DeepSeek / vLLM: reasoning_content; OpenRouter without details: reasoning.
  ASSERT_TRUE(parse(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"9.11 < 9.9",
      "reasoning_content":"Compare the decimals."},"finish_reason":"stop"}]})",
                    a, error));
  ASSERT_EQ(a.outputs[0].reasoning.size(), 1u);
  EXPECT_EQ(a.outputs[0].reasoning[0].text, "Compare the decimals.");
  ASSERT_TRUE(parse(R"({"choices":[{"message":{"content":"x","reasoning":"Short.",
      "reasoning_details":[{"type":"reasoning.summary","summary":"Short."}]},"finish_reason":"function_call"}]})",
                    a, error));
  ASSERT_EQ(a.outputs[0].reasoning.size(), 1u);
  EXPECT_EQ(a.outputs[0].reasoning[0].text, "Short.");
  EXPECT_EQ(a.outputs[0].finish, Finish::tool_calls);
  // Content as an array of text parts; arguments sent as an object.
  ASSERT_TRUE(parse(R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
      "tool_calls":[{"id":"1","function":{"name":"f","arguments":{"x":1}}}]},"finish_reason":"tool_calls"}]})",
                    a, error));
  EXPECT_EQ(a.outputs[0].text, "ab");
  EXPECT_EQ(a.outputs[0].tool_calls[0].arguments, "{\"x\":1}");
}

TEST(Stored, ReadsMainsCacheSnapshots) {
  // What main stored: OpenAI pass-through with provider, or its own rendering without refusal.
  Answer a;
  std::string error;
  ASSERT_TRUE(parse(R"({"id":"chatcmpl-req1","object":"chat.completion","created":7,"model":"claude-3-5-haiku-latest","provider":"claude",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}],
      "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"cost":0.000011}})",
                    a, error));
  EXPECT_EQ(describe(a),
            "kind 0 model claude-3-5-haiku-latest provider claude\n"
            "output text=Hi refusal= finish=stop\n"
            "usage 3 1 -1 -1 0.000011\n");
  ASSERT_TRUE(parse(R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],
      "model":"echo-embed","usage":{"prompt_tokens":2,"total_tokens":2,"cost":0}})",
                    a, error));
  EXPECT_EQ(describe(a), "kind 1 model echo-embed provider \nusage 2 0 -1 -1 0.000000\nembedding [0.1,-0.2]\n");
}

TEST(Stored, EmbeddingsRoundTrip) {
  Answer a;
  a.kind = Kind::embeddings;
  a.model = "text-embedding-3-small";
  a.provider = "openai";
  a.embeddings = {"[0.0023064255,-0.009327292]", "\"AAAAPwAAgL8AAIA+\""};
  a.usage = {true, 8, 0, -1, -1, 0.000008};
  std::string text = serialize(a, "req_1", 1);
  EXPECT_TRUE(same_json(text, R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292]},
      {"object":"embedding","index":1,"embedding":"AAAAPwAAgL8AAIA+"}],
      "model":"text-embedding-3-small","provider":"openai","usage":{"prompt_tokens":8,"total_tokens":8,"cost":0.000008}})"));
  Answer back;
  std::string error;
  ASSERT_TRUE(parse(text, back, error)) << error;
  EXPECT_EQ(describe(back), describe(a));
  EXPECT_EQ(back.raw_format, Format::openai_embeddings);
  // An empty list is still an embeddings list when it names its model.
  ASSERT_TRUE(parse(R"({"object":"list","data":[],"model":"e","usage":{"prompt_tokens":0,"total_tokens":0}})", back, error));
  EXPECT_EQ(back.kind, Kind::embeddings);
}

TEST(Stored, ModelListRoundTrip) {
  Answer a;
  a.kind = Kind::models;
  a.models = {{"gpt-4o", 1715367049, "system"}, {"echo-1", 0, "echo"}};
  std::string text = serialize(a, "", 0);
  EXPECT_TRUE(same_json(text, R"({"object":"list","data":[
      {"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},
      {"id":"echo-1","object":"model","created":0,"owned_by":"echo"}]})"));
  Answer back;
  std::string error;
  ASSERT_TRUE(parse(text, back, error)) << error;
  EXPECT_EQ(describe(back), describe(a));
  ASSERT_TRUE(parse(R"({"object":"list","data":[]})", back, error));
  EXPECT_EQ(back.kind, Kind::models);
  EXPECT_TRUE(back.models.empty());
}

TEST(Stored, RefusesWhatIsNotAStoredForm) {
  Answer a;
  std::string error;
  EXPECT_FALSE(parse("not json", a, error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(parse("[1,2]", a, error));
  EXPECT_EQ(error, "not a JSON object");
  EXPECT_FALSE(parse(R"({"error":{"message":"boom"}})", a, error));
  EXPECT_FALSE(parse(R"({"choices":[1]})", a, error));
  EXPECT_EQ(error, "choices[0] is not a chat completion choice");
  EXPECT_FALSE(parse(R"({"choices":[{"message":"hi"}]})", a, error));
  EXPECT_FALSE(parse(R"({"choices":[{"message":{"tool_calls":[{"id":"x"}]}}]})", a, error));
  EXPECT_FALSE(parse(R"({"object":"list","data":[{"object":"embedding","index":0}],"model":"e"})", a, error));
  EXPECT_FALSE(parse(R"({"object":"list","data":[{"embedding":[1]},{"embedding":{}}]})", a, error));
  EXPECT_EQ(error, "data[1] has no embedding");
}

// Images: url / b64 / revised prompt, for round-trip comparisons.
std::string describe_images(const Answer& a) {
  std::string out = "created " + std::to_string(a.created) + "\n";
  for (const Image& i : a.images)
    out += "image url=" + i.url + " b64=" + i.b64 + " type=" + i.media_type + " revised=" + i.revised_prompt + "\n";
  return out + describe(a);
}

TEST(Stored, ImagesRenderAsOpenAIsImagesResponse) {
  Answer a;
  a.kind = Kind::images;
  a.model = "gpt-image-1";
  a.provider = "openai";
  a.images.push_back({"iVBORw0KGgoAAAANSUhEUg==", "", "image/png", ""});
  a.images.push_back({"", "https://example.com/img.png", "", "A cute baby sea otter floating on its back"});
  a.usage = {true, 50, 4160, -1, -1, 0.16667};
  a.extras.emplace_back("background", "\"transparent\"");
  a.extras.emplace_back("output_format", "\"png\"");
  a.extras.emplace_back("size", "\"1024x1024\"");
  a.extras.emplace_back("quality", "\"high\"");
  a.extras.emplace_back("created", "\"ignored: written already\"");
  std::string text = serialize(a, "req_1", 1713833628);
  EXPECT_TRUE(same_json(text, R"({"created": 1713833628,
      "data": [{"b64_json": "iVBORw0KGgoAAAANSUhEUg=="},
               {"url": "https://example.com/img.png", "revised_prompt": "A cute baby sea otter floating on its back"}],
      "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210,
                "input_tokens_details": {"text_tokens": 50, "image_tokens": 0}, "cost": 0.16667},
      "background": "transparent", "output_format": "png", "size": "1024x1024", "quality": "high"})"));
  Answer back;
  std::string error;
  ASSERT_TRUE(parse(text, back, error)) << error;
  EXPECT_EQ(back.kind, Kind::images);
  EXPECT_EQ(back.raw_format, Format::openai_images);
  EXPECT_EQ(back.raw, text);
  EXPECT_EQ(back.created, 1713833628);
  a.created = 1713833628;
  a.model = a.provider = "";  // not part of OpenAI's shape
  a.extras.pop_back();
  EXPECT_EQ(describe_images(back), describe_images(a));
  EXPECT_EQ(serialize(back, "req_2", 5), text) << "the raw form is used as is";

  Answer plain;  // no usage, the answer's own created
  plain.kind = Kind::images;
  plain.created = 42;
  plain.images.push_back({"AAAA", "", "", ""});
  EXPECT_TRUE(same_json(serialize(plain, "req_1", 7), R"({"created":42,"data":[{"b64_json":"AAAA"}]})"));
}

TEST(Stored, ReadsRealImageAnswers) {
  Answer a;
  std::string error;
  // OpenAI, gpt-image-1 (the API reference's example)
  ASSERT_TRUE(parse(R"({"created": 1713833628, "data": [{"b64_json": "UklGRg=="}], "background": "transparent",
      "output_format": "webp", "size": "1024x1024", "quality": "high",
      "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}})", a, error)) << error;
  EXPECT_EQ(a.kind, Kind::images);
  ASSERT_EQ(a.images.size(), 1u);
  EXPECT_EQ(a.images[0].media_type, "image/webp");
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 50);
  EXPECT_EQ(a.usage.completion_tokens, 50);
  EXPECT_EQ(a.usage.cost, -1);
  EXPECT_EQ(a.extras.size(), 4u);
  // Azure, dall-e-3: a URL, the revised prompt and content filter annotations per image
  ASSERT_TRUE(parse(R"({"created": 1698342300, "data": [{"revised_prompt": "A vivid, natural sunset over a lake.",
      "prompt_filter_results": {"hate": {"filtered": false, "severity": "safe"}},
      "url": "https://dalletipusw2.blob.core.windows.net/private/images/e5451cc6/generated_00.png?se=2023-10-27",
      "content_filter_results": {"violence": {"filtered": false, "severity": "safe"}}}]})", a, error)) << error;
  ASSERT_EQ(a.images.size(), 1u);
  EXPECT_EQ(a.images[0].revised_prompt, "A vivid, natural sunset over a lake.");
  EXPECT_NE(a.images[0].url.find("generated_00.png"), std::string::npos);
  EXPECT_EQ(a.images[0].b64, "");
  EXPECT_FALSE(a.usage.known);
  // An answer with no images, as gpt-image-1 sends when nothing was made
  ASSERT_TRUE(parse(R"({"created": 1746170898, "data": []})", a, error)) << error;
  EXPECT_EQ(a.kind, Kind::images);
  EXPECT_TRUE(a.images.empty());
  // Summaries read usage only
  json::Document doc;
  ASSERT_TRUE(json::parse(R"({"created":1,"data":[{"b64_json":"AAAA"}],"usage":{"input_tokens":3,"output_tokens":9}})", doc, error));
  ASSERT_TRUE(parse(doc, a, error, false));
  EXPECT_TRUE(a.summary);
  EXPECT_TRUE(a.images.empty());
  EXPECT_EQ(a.usage.completion_tokens, 9);
}

TEST(Stored, RefusesImageAnswersWithoutImages) {
  Answer a;
  std::string error;
  EXPECT_FALSE(parse(R"({"created":1,"data":[{"b64_json":"AAAA"},{"revised_prompt":"x"}]})", a, error));
  EXPECT_EQ(error, "data[1] has no image (b64_json or url)");
  EXPECT_FALSE(parse(R"({"created":1,"data":[{"url":""}]})", a, error));
  EXPECT_FALSE(parse(R"({"created":1,"data":[{"b64_json":5}]})", a, error));
}

TEST(Stored, IdsWithoutARequestId) {
  Answer a;
  a.outputs.emplace_back();
  EXPECT_NE(serialize(a, "req_abc", 1).find("\"id\":\"chatcmpl-abc\""), std::string::npos);
  EXPECT_NE(serialize(a, "plain", 1).find("\"id\":\"chatcmpl-plain\""), std::string::npos);
  a.id = "chatcmpl-upstream";
  EXPECT_NE(serialize(a, "", 1).find("\"id\":\"chatcmpl-upstream\""), std::string::npos);
}

}  // namespace
}  // namespace sy::model::stored
