// Golden tests for the Gemini egress codec. Upstream payloads follow the examples of Google's
// Gemini API reference (text generation, function calling, thinking and thought signatures,
// safety, errors, alt=sse streaming, embeddings, model lists).
#include "providers/gemini.h"

#include "gemini_test_util.h"

namespace sy::providers::gemini {
namespace {

using namespace gemini_test;
using model::Role;

const config::Provider kProvider =
    make_provider(config::ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta");

Encoded encode(const model::Request& request, std::string_view model = "m", const Overrides& overrides = {}) {
  return gemini_test::encode(kCodec, kProvider, model, request, overrides);
}

// The generationConfig an encoded request carries, as JSON text ("null" when it has none).
std::string generation_config(const model::Request& request) {
  Encoded e = encode(request);
  return e.body.HasMember("generationConfig") ? dump(e.body["generationConfig"]) : "null";
}

Decoded decode(std::string_view body, int status = 200, const model::Request& request = {}) {
  return kCodec.decode(status, body, DecodeContext{kProvider, "m", request});
}

const model::Request kStreamRequest = [] {
  model::Request r;
  r.stream = true;
  return r;
}();

StreamResult run(const std::vector<std::string_view>& chunks) {
  return run_stream(kCodec, DecodeContext{kProvider, "m", kStreamRequest}, chunks);
}

// ---------------------------------------------------------------------------------------
// Capabilities

TEST(Gemini, DeclaresItsCapabilities) {
  EXPECT_EQ(kCodec.format, model::Format::none);
  EXPECT_TRUE(kCodec.caps.chat);
  EXPECT_TRUE(kCodec.caps.embeddings);
  EXPECT_TRUE(kCodec.caps.models);
  EXPECT_FALSE(kCodec.caps.token_input);
  EXPECT_FALSE(kCodec.caps.free);
  EXPECT_FALSE(kCodec.caps.local);
  EXPECT_EQ(kCodec.caps.max_n, 8);
  EXPECT_FALSE(kCodec.caps.n_in_streams);
}

TEST(Gemini, RefusesWhatItCannotServe) {
  model::Request r = chat().request;
  r.sampling.n = 8;
  EXPECT_TRUE(refusal(kCodec, r).param.empty());
  r.sampling.n = 9;
  EXPECT_EQ(refusal(kCodec, r).param, "n");
  // Several candidates are never streamed.
  r.sampling.n = 2;
  r.stream = true;
  EXPECT_EQ(refusal(kCodec, r).param, "n");
  r.sampling.n = 1;
  EXPECT_TRUE(refusal(kCodec, r).param.empty());

  // Gemini embeds text only: token-id inputs go to other targets.
  Built e;
  e.request.kind = model::Kind::embeddings;
  e.request.inputs = {e.json(R"("hello")")};
  EXPECT_TRUE(refusal(kCodec, e.request).param.empty());
  e.request.inputs = {e.json("[1, 2, 3]")};
  e.request.token_input = true;
  Refusal tokens = refusal(kCodec, e.request);
  EXPECT_EQ(tokens.param, "input");
  EXPECT_EQ(tokens.lacks, "embeds token ids");

  model::Request models;
  models.kind = model::Kind::models;
  EXPECT_TRUE(refusal(kCodec, models).param.empty());
}

// ---------------------------------------------------------------------------------------
// Chat requests

TEST(Gemini, EncodesUrlsAndKeyHeader) {
  model::Request r = chat("Explain how AI works").request;
  auto e = encode(r, "gemini-2.0-flash");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.url.find("key="), std::string::npos);  // never in the URL
  EXPECT_TRUE(same_json(e.request.body, R"({"contents":[{"role":"user","parts":[{"text":"Explain how AI works"}]}]})"));
  r.stream = true;
  auto s = encode(r, "gemini-2.0-flash");
  EXPECT_EQ(s.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(s.request.headers,
            "content-type: application/json\naccept: text/event-stream\nx-goog-api-key: sk-test-secret-key\n");
}

TEST(Gemini, ModelNameIsOnePathSegment) {
  // issue 8: a model name must not reach another path or the query with the provider's key.
  model::Request r = chat().request;
  EXPECT_EQ(encode(r, "x:generateContent?key=abc#").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/x%3AgenerateContent%3Fkey%3Dabc%23:generateContent");
  EXPECT_EQ(encode(r, "../../files/f").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/..%2F..%2Ffiles%2Ff:generateContent");
  EXPECT_EQ(encode(r, "..").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/%2E%2E:generateContent");
  Built e;
  e.request.kind = model::Kind::embeddings;
  e.request.inputs = {e.json(R"("x")")};
  EXPECT_EQ(encode(e.request, "e/../../x?y=").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/e%2F..%2F..%2Fx%3Fy%3D:batchEmbedContents");
}

TEST(Gemini, EncodesSystemImagesToolsAndGenerationConfig) {
  Built b;
  model::Request& r = b.request;
  r.max_tokens = 800;
  r.sampling.temperature = 1.5;
  r.sampling.top_p = 0.8;
  r.sampling.seed = 42;
  r.sampling.n = 2;
  r.sampling.stop = {"a", "b", "c", "d", "e", "f"};
  r.sampling.presence_penalty = 0.3;
  r.sampling.frequency_penalty = 0.1;
  r.user = "u-1";
  r.response_format.type = model::ResponseFormat::Type::json_schema;
  r.response_format.name = "weather";
  r.response_format.strict = true;
  r.response_format.schema =
      b.json(R"({"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false})");
  r.messages = {
      msg(Role::system, {text("You are a helpful assistant.")}),
      msg(Role::user, {text("Which theaters show Barbie near this place?"), image("data:image/png;base64,iVBORw0KGgo="),
                       image("https://example.com/photos/Place.PNG?size=2")}),
      msg(Role::assistant,
          {text("Let me look."),
           call("call_0", "find_theaters", R"({"location":"Mountain View, CA","movie":"Barbie"})")}),
      msg(Role::tool, {result("call_0", R"({"theaters":[{"name":"AMC Mountain View 16"}]})")}),
      msg(Role::tool, {result("unknown", "plain text")}, "legacy_name"),
  };
  r.tools = {b.tool("find_theaters", "find theaters showing a movie",
                    R"({"type": "object", "properties": {"location": {"type": "string"}, "movie": {"type": "string"}},
                        "required": ["location"]})")};
  r.tool_choice = {model::ToolChoice::Mode::named, "find_theaters"};
  auto e = encode(r, "gemini-2.5-flash");
  EXPECT_TRUE(same_json(e.request.body, R"({
    "contents": [
      {"role": "user", "parts": [
        {"text": "Which theaters show Barbie near this place?"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/photos/Place.PNG?size=2"}}]},
      {"role": "model", "parts": [
        {"text": "Let me look."},
        {"functionCall": {"name": "find_theaters", "args": {"location": "Mountain View, CA", "movie": "Barbie"}}}]},
      {"role": "user", "parts": [
        {"functionResponse": {"name": "find_theaters", "response": {"theaters": [{"name": "AMC Mountain View 16"}]}}},
        {"functionResponse": {"name": "legacy_name", "response": {"content": "plain text"}}}]}
    ],
    "systemInstruction": {"parts": [{"text": "You are a helpful assistant."}]},
    "tools": [{"functionDeclarations": [{"name": "find_theaters", "description": "find theaters showing a movie",
               "parametersJsonSchema": {"type": "object", "properties": {"location": {"type": "string"}, "movie": {"type": "string"}},
                                        "required": ["location"]}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["find_theaters"]}},
    "generationConfig": {"temperature": 1.5, "topP": 0.8, "maxOutputTokens": 800,
                         "stopSequences": ["a", "b", "c", "d", "e"], "seed": 42, "candidateCount": 2,
                         "responseMimeType": "application/json",
                         "responseJsonSchema": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}
  })"));
}

TEST(Gemini, JsonObjectAndToolChoiceModes) {
  Built b = chat();
  b.request.response_format.type = model::ResponseFormat::Type::json_object;
  EXPECT_TRUE(same_json(generation_config(b.request), R"({"responseMimeType":"application/json"})"));
  // json_schema without a schema object: JSON mode only.
  b.request.response_format.type = model::ResponseFormat::Type::json_schema;
  EXPECT_TRUE(same_json(generation_config(b.request), R"({"responseMimeType":"application/json"})"));
  b.request.response_format.type = model::ResponseFormat::Type::text;
  EXPECT_EQ(generation_config(b.request), "null");

  using Mode = model::ToolChoice::Mode;
  auto mode = [&](Mode m) {
    Built t = chat();
    t.request.tools = {t.tool("f")};
    t.request.tool_choice.mode = m;
    Encoded e = encode(t.request);
    EXPECT_TRUE(same_json(dump(e.body["tools"]), R"([{"functionDeclarations":[{"name":"f"}]}])"));
    if (!e.body.HasMember("toolConfig")) return std::string("unset");
    return std::string(e.body["toolConfig"]["functionCallingConfig"]["mode"].GetString());
  };
  EXPECT_EQ(mode(Mode::automatic), "AUTO");
  EXPECT_EQ(mode(Mode::required), "ANY");
  EXPECT_EQ(mode(Mode::none), "NONE");
  EXPECT_EQ(mode(Mode::unset), "unset");
  // A tool choice without tools is not sent.
  Built none = chat();
  none.request.tool_choice.mode = Mode::required;
  EXPECT_FALSE(encode(none.request).body.HasMember("toolConfig"));

  // n is not sent on streams (one candidate is streamed).
  model::Request s = chat().request;
  s.sampling.n = 3;
  s.stream = true;
  EXPECT_EQ(generation_config(s), "null");
}

TEST(Gemini, EncodesTopKAndRangeCheckedSeeds) {
  model::Request r = chat().request;
  r.sampling.top_k = 40;
  r.sampling.seed = int64_t(1) << 40;  // Gemini's seed is an int32: dropped
  EXPECT_TRUE(same_json(generation_config(r), R"({"topK":40})"));
  r.sampling.seed = -7;
  EXPECT_TRUE(same_json(generation_config(r), R"({"topK":40,"seed":-7})"));
}

TEST(Gemini, MergesTurnsAndDropsWhatGeminiCannotTake) {
  Built b;
  b.request.messages = {
      msg(Role::developer, {text("Be brief.")}),
      msg(Role::system, {text("Answer in French.")}),
      msg(Role::user, {text("Hi"), text(""), image("ftp://example.com/a.png")}),
      msg(Role::user, {text("there")}),
      msg(Role::assistant, {text("Bonjour"), image("https://example.com/b.png")}),
      msg(Role::assistant, {part(model::PartType::refusal)}),
  };
  b.request.messages.back().parts[0].text = "Non.";
  EXPECT_TRUE(same_json(encode(b.request).request.body, R"({
    "contents": [
      {"role": "user", "parts": [{"text": "Hi"}, {"text": "there"}]},
      {"role": "model", "parts": [{"text": "Bonjour"}, {"text": "Non."}]}],
    "systemInstruction": {"parts": [{"text": "Be brief.\n\nAnswer in French."}]}
  })"));
}

TEST(Gemini, EncodesFilesAndAudio) {
  Built b;
  b.request.messages = {msg(Role::user, {
      file("data:application/pdf;base64,JVBERi0xLjQ=", "", "file-1"),
      file("https://example.com/papers/attention.PDF"),
      file("https://example.com/download?id=7", "text/csv"),
      file("https://example.com/blob"),
      file("", "", "file-abc123"),                       // a provider file id: no URL to send
      file("data:;base64,AAAA", "application/x-custom"),  // untyped data: the part's type
      audio("UklGRiQAAABXQVZF", "wav"),
      audio("data:audio/mpeg;base64,SUQz", "mp3"),
      audio("SUQz", ""),                                  // no format: dropped
  })};
  EXPECT_TRUE(same_json(encode(b.request).request.body, R"({"contents": [{"role": "user", "parts": [
      {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0xLjQ="}},
      {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/papers/attention.PDF"}},
      {"fileData": {"mimeType": "text/csv", "fileUri": "https://example.com/download?id=7"}},
      {"fileData": {"fileUri": "https://example.com/blob"}},
      {"inlineData": {"mimeType": "application/x-custom", "data": "AAAA"}},
      {"inlineData": {"mimeType": "audio/wav", "data": "UklGRiQAAABXQVZF"}},
      {"inlineData": {"mimeType": "audio/mpeg", "data": "SUQz"}}]}]})"));
  // Images of unknown type are JPEG to Gemini, as before.
  Built i;
  i.request.messages = {msg(Role::user, {image("https://example.com/photo"), image("https://example.com/x.webp#frag")})};
  EXPECT_TRUE(same_json(encode(i.request).request.body, R"({"contents": [{"role": "user", "parts": [
      {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo"}},
      {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/x.webp#frag"}}]}]})"));
}

TEST(Gemini, ThinkingConfig) {
  auto thinking = [](std::string_view effort, int64_t budget = -1) {
    model::Request r = chat().request;
    r.reasoning_effort = effort;
    r.reasoning_budget = budget;
    return generation_config(r);
  };
  EXPECT_EQ(thinking(""), "null");
  EXPECT_TRUE(same_json(thinking("minimal"), R"({"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("low"), R"({"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("medium"), R"({"thinkingConfig":{"thinkingBudget":8192,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high"), R"({"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("xhigh"), R"({"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}})"));
  // "none" turns thinking off (where the model allows it); no thoughts are asked for.
  EXPECT_TRUE(same_json(thinking("none"), R"({"thinkingConfig":{"thinkingBudget":0}})"));
  EXPECT_EQ(thinking("extreme"), "null");
  // An explicit budget wins over the effort.
  EXPECT_TRUE(same_json(thinking("", 2048), R"({"thinkingConfig":{"thinkingBudget":2048,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high", 512), R"({"thinkingConfig":{"thinkingBudget":512,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high", 0), R"({"thinkingConfig":{"thinkingBudget":0}})"));
}

TEST(Gemini, PassesOnlyGeminiRequestMembersFromExtras) {
  Built b = chat();
  b.extra("safetySettings", R"([{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_ONLY_HIGH"}])");
  b.extra("cached_content", R"("cachedContents/abc123")");
  b.extra("cachedContent", R"("cachedContents/other")");  // the same member twice: the first wins
  b.extra("service_tier", R"("flex")");
  b.extra("logit_bias", R"({"42": 5})");
  b.extra("contents", R"([])");  // Gemini's own members the codec writes are never overwritten
  EXPECT_TRUE(same_json(encode(b.request).request.body, R"({
    "contents": [{"role": "user", "parts": [{"text": "x"}]}],
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}],
    "cachedContent": "cachedContents/abc123"
  })"));
}

TEST(Gemini, AppliesOverrideParams) {
  // override_params use canonical (OpenAI) names, and Gemini members pass like extras.
  model::Request r = chat().request;
  r.max_tokens = 10;
  Encoded e = encode(r, "m", {{"max_tokens", "99"}, {"temperature", "0.5"},
                              {"safetySettings", R"([{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}])"},
                              {"temperature", "not json"}});
  EXPECT_TRUE(same_json(e.request.body, R"({
    "contents": [{"role": "user", "parts": [{"text": "x"}]}],
    "generationConfig": {"temperature": 0.5, "maxOutputTokens": 99},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]
  })"));
}

// ---------------------------------------------------------------------------------------
// Thought signatures

// A Gemini 3 answer that thinks, says something and calls two functions in parallel: the
// signature comes on the first call only.
const char kThinkingAnswer[] = R"({
  "candidates": [{"content": {"role": "model", "parts": [
      {"text": "**Planning** I need the weather in both cities.", "thought": true},
      {"text": "Let me check both."},
      {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQBjz1rX0sig1"},
      {"functionCall": {"name": "get_weather", "args": {"city": "London"}}}]},
    "finishReason": "STOP", "index": 0}],
  "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 30, "thoughtsTokenCount": 120, "totalTokenCount": 190},
  "modelVersion": "gemini-3-pro-preview", "responseId": "resp-7"
})";

TEST(Gemini, DecodesThoughtsAndSignatures) {
  auto d = decode(kThinkingAnswer);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(answer_json(d.answer), R"({
    "id": "resp-7", "model": "gemini-3-pro-preview", "provider": "up",
    "outputs": [{"text": "Let me check both.",
                 "reasoning": [{"text": "**Planning** I need the weather in both cities.", "signature": ""},
                               {"text": "", "signature": "CiQBjz1rX0sig1"}],
                 "tool_calls": [{"id": "call_0", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                                {"id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"London\"}"}],
                 "finish": "tool_calls"}],
    "usage": {"prompt": 40, "completion": 150, "reasoning": 120, "cost": 0.00034}
  })"));
  // A signed thought keeps its signature; a signature on a text part is a reasoning entry too.
  auto t = decode(R"({"candidates": [{"content": {"parts": [
      {"text": "thinking", "thought": true, "thoughtSignature": "c2lnLTE="},
      {"text": "The answer is 4.", "thoughtSignature": "c2lnLTI="}]}, "finishReason": "STOP"}]})");
  ASSERT_TRUE(t.ok);
  EXPECT_TRUE(same_json(output_json(t.answer.outputs[0]), R"({"text": "The answer is 4.",
      "reasoning": [{"text": "thinking", "signature": "c2lnLTE="}, {"text": "", "signature": "c2lnLTI="}],
      "finish": "stop"})"));
}

TEST(Gemini, SendsSignaturesBackWithTheirCalls) {
  // The answer above, as a caller sends it back: reasoning parts, then text and calls.
  auto d = decode(kThinkingAnswer);
  ASSERT_TRUE(d.ok);
  const model::Output& o = d.answer.outputs[0];
  Built b;
  model::Message assistant = msg(Role::assistant, {});
  for (const model::Reasoning& r : o.reasoning) assistant.parts.push_back(reasoning(r.text, r.signature));
  assistant.parts.push_back(text(o.text));
  for (const model::ToolCall& c : o.tool_calls) assistant.parts.push_back(call(c.id, c.name, c.arguments));
  b.request.messages = {user("Weather in Paris and London?"), assistant, msg(Role::tool, {result("call_0", "18C")}),
                        msg(Role::tool, {result("call_1", "12C")})};
  EXPECT_TRUE(same_json(encode(b.request).request.body, R"({"contents": [
      {"role": "user", "parts": [{"text": "Weather in Paris and London?"}]},
      {"role": "model", "parts": [
        {"text": "Let me check both."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQBjz1rX0sig1"},
        {"functionCall": {"name": "get_weather", "args": {"city": "London"}}}]},
      {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"content": "18C"}}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "12C"}}}]}]})"));
}

TEST(Gemini, PlacesSignaturesWhateverThePartOrder) {
  auto model_parts = [](std::vector<model::Part> parts) {
    Built b;
    b.request.messages = {user("q"), msg(Role::assistant, std::move(parts))};
    Encoded e = encode(b.request);
    const json::Value& contents = e.body["contents"];
    return contents.Size() > 1 ? dump(contents[1]["parts"]) : std::string("[]");
  };
  // Sequential steps: each message's signature goes with its own call.
  EXPECT_TRUE(same_json(model_parts({text("a"), reasoning("", "S1"), call("c1", "f", "{}"), reasoning("", "S2"),
                                     call("c2", "g", "{}")}),
                        R"([{"text": "a"}, {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "S1"},
                            {"functionCall": {"name": "g", "args": {}}, "thoughtSignature": "S2"}])"));
  // No call: the next text part carries it; a signature after all text goes to the last text.
  EXPECT_TRUE(same_json(model_parts({reasoning("summary", "S"), text("4")}),
                        R"([{"text": "4", "thoughtSignature": "S"}])"));
  EXPECT_TRUE(same_json(model_parts({text("one"), text("two"), reasoning("", "S")}),
                        R"([{"text": "one"}, {"text": "two", "thoughtSignature": "S"}])"));
  // Redacted reasoning, unsigned thoughts and signatures with no part to carry them are not sent.
  EXPECT_TRUE(same_json(model_parts({reasoning("opaque", "R", true), reasoning("plain thought", ""), call("c", "f", "[1]")}),
                        R"([{"functionCall": {"name": "f", "args": {}}}])"));
  EXPECT_TRUE(same_json(model_parts({reasoning("", "S"), text("")}), R"([])"));
}

// ---------------------------------------------------------------------------------------
// Answers

TEST(Gemini, DecodesATextAnswer) {
  auto d = decode(R"({
    "candidates": [{"content": {"parts": [{"text": "AI learns patterns from data."}], "role": "model"},
                    "finishReason": "STOP", "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
    "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 10, "totalTokenCount": 18,
                      "cachedContentTokenCount": 4, "thoughtsTokenCount": 5},
    "modelVersion": "gemini-2.0-flash", "responseId": "mfoGaJm1"
  })");
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::chat);
  EXPECT_TRUE(same_json(answer_json(d.answer), R"({
    "id": "mfoGaJm1", "model": "gemini-2.0-flash", "provider": "up",
    "outputs": [{"text": "AI learns patterns from data.", "finish": "stop"}],
    "usage": {"prompt": 8, "completion": 15, "cached": 4, "reasoning": 5, "cost": 0.000038}
  })"));
  // Without modelVersion the target's model answered; without usageMetadata usage is unknown.
  auto bare = decode(R"({"candidates":[{"content":{"parts":[{"text":"hi"},{"text":" there"}]},"finishReason":"STOP"}]})");
  ASSERT_TRUE(bare.ok);
  EXPECT_TRUE(same_json(answer_json(bare.answer), R"({"id": "", "model": "m", "provider": "up",
      "outputs": [{"text": "hi there", "finish": "stop"}]})"));
}

TEST(Gemini, DecodesFunctionCallsWithSynthesizedIds) {
  auto d = decode(R"({
    "candidates": [{"content": {"role": "model", "parts": [
        {"text": "thinking...", "thought": true},
        {"functionCall": {"name": "find_theaters", "args": {"location": "Mountain View, CA", "movie": "Barbie"}}},
        {"functionCall": {"name": "get_showtimes", "args": {}}},
        {"functionCall": {"id": "gem-7", "name": "book"}}]},
      "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 12, "totalTokenCount": 42}
  })");
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(same_json(output_json(d.answer.outputs[0]), R"({
    "text": null, "finish": "tool_calls",
    "reasoning": [{"text": "thinking...", "signature": ""}],
    "tool_calls": [
      {"id": "call_0", "name": "find_theaters", "arguments": "{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}"},
      {"id": "call_1", "name": "get_showtimes", "arguments": "{}"},
      {"id": "gem-7", "name": "book", "arguments": "{}"}]
  })"));
}

TEST(Gemini, DecodesSeveralCandidates) {
  model::Request r = chat().request;
  r.sampling.n = 2;
  auto d = decode(R"({"candidates": [
      {"content": {"parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]}, "finishReason": "STOP", "index": 0},
      {"content": {"parts": [{"functionCall": {"name": "g", "args": {}}}, {"text": "and"}]}, "finishReason": "MAX_TOKENS", "index": 1}]})",
                  200, r);
  ASSERT_TRUE(d.ok);
  ASSERT_EQ(d.answer.outputs.size(), 2u);
  EXPECT_TRUE(same_json(output_json(d.answer.outputs[0]),
                        R"({"text": null, "tool_calls": [{"id": "call_0", "name": "f", "arguments": "{\"a\":1}"}], "finish": "tool_calls"})"));
  EXPECT_TRUE(same_json(output_json(d.answer.outputs[1]),
                        R"({"text": "and", "tool_calls": [{"id": "call_1", "name": "g", "arguments": "{}"}], "finish": "length"})"));
}

TEST(Gemini, FinishReasonsAndSafety) {
  for (auto [reason, finish] :
       {std::pair{"STOP", "stop"}, {"MAX_TOKENS", "length"}, {"SAFETY", "content_filter"}, {"RECITATION", "content_filter"},
        {"PROHIBITED_CONTENT", "content_filter"}, {"IMAGE_PROHIBITED_CONTENT", "content_filter"}, {"OTHER", "stop"},
        {"MALFORMED_FUNCTION_CALL", "stop"}}) {
    std::string body = std::string(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":")") + reason + R"("}]})";
    auto d = decode(body);
    ASSERT_TRUE(d.ok) << reason;
    EXPECT_EQ(model::finish_name(d.answer.outputs[0].finish), finish) << reason;
  }
  // A candidate blocked before any content, and a blocked prompt: content_filter outcomes.
  auto empty = decode(R"({"candidates":[{"finishReason":"SAFETY","index":0}]})");
  EXPECT_FALSE(empty.ok);
  EXPECT_EQ(empty.outcome, health::Outcome::content_filter);
  EXPECT_NE(empty.error.message.find("the answer was blocked (SAFETY)"), std::string::npos);
  auto thoughts_only = decode(R"({"candidates":[{"content":{"parts":[{"text":"hm","thought":true}]},"finishReason":"RECITATION"}]})");
  EXPECT_EQ(thoughts_only.outcome, health::Outcome::content_filter);
  auto prompt = decode(R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[
      {"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]},
      "usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}})");
  EXPECT_FALSE(prompt.ok);
  EXPECT_EQ(prompt.outcome, health::Outcome::content_filter);
  EXPECT_EQ(prompt.error.status, 400);
  EXPECT_EQ(prompt.error.type, ErrorType::content_filtered);
  EXPECT_EQ(prompt.error.code, "content_filter");
  EXPECT_NE(prompt.error.message.find("SAFETY"), std::string::npos);
}

struct ErrorCase {
  int status;
  const char* body;
  health::Outcome outcome;
  int caller_status;
  ErrorType error_type;
};

TEST(Gemini, MapsErrorBodies) {
  const ErrorCase cases[] = {
      {400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
         "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})",
       health::Outcome::auth, 502, ErrorType::auth},
      {400, R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})",
       health::Outcome::context_length, 400, ErrorType::context_length_exceeded},
      {400, R"({"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}})",
       health::Outcome::bad_request, 400, ErrorType::invalid_request},
      {403, R"({"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}})", health::Outcome::auth, 502,
       ErrorType::auth},
      {404, R"({"error":{"code":404,"message":"models/gemini-9 is not found","status":"NOT_FOUND"}})", health::Outcome::not_found,
       502, ErrorType::provider_unavailable},
      {429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})",
       health::Outcome::status_429, 429, ErrorType::rate_limited},
      {500, R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})", health::Outcome::status_5xx,
       502, ErrorType::provider_unavailable},
      {503, R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})",
       health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
      {502, "<html>Bad Gateway</html>", health::Outcome::status_5xx, 502, ErrorType::provider_unavailable},
  };
  for (const auto& c : cases) {
    auto d = decode(c.body, c.status);
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.outcome, c.outcome) << c.body;
    EXPECT_EQ(d.error.status, c.caller_status) << c.body;
    EXPECT_EQ(d.error.type, c.error_type) << c.body;
  }
  auto in200 = decode(R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})");
  EXPECT_EQ(in200.outcome, health::Outcome::error_body_200);
  EXPECT_EQ(decode(R"({"candidates":[]})").outcome, health::Outcome::malformed);
  EXPECT_EQ(decode("not json").outcome, health::Outcome::malformed);
  EXPECT_EQ(decode(R"([1,2])").outcome, health::Outcome::malformed);
  // The provider's key never reaches an error message.
  auto echoed = decode(R"({"error":{"code":400,"message":"bad key sk-test-secret-key","status":"INVALID_ARGUMENT"}})", 400);
  EXPECT_EQ(echoed.error.message.find("sk-test-secret-key"), std::string::npos);
}

TEST(Gemini, SurvivesOddAnswers) {
  // Wrong types anywhere are ignored, never trusted.
  auto d = decode(R"({"candidates": [{"content": {"parts": [
      {"text": 5}, {"functionCall": "f"}, {"thought": "yes", "text": "t"}, {"thoughtSignature": 3},
      {"inlineData": {"mimeType": "image/png", "data": "AAAA"}, "thoughtSignature": "S"}, 7]}, "finishReason": 9}],
      "usageMetadata": {"promptTokenCount": -3, "candidatesTokenCount": "x", "thoughtsTokenCount": 2}})");
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(same_json(answer_json(d.answer), R"({"id": "", "model": "m", "provider": "up",
      "outputs": [{"text": "t", "reasoning": [{"text": "", "signature": "S"}], "finish": "stop"}],
      "usage": {"prompt": 0, "completion": 2, "reasoning": 2, "cost": 0.000004}})"));
}

// ---------------------------------------------------------------------------------------
// Streams

// streamGenerateContent?alt=sse as Gemini sends it: one GenerateContentResponse per event,
// \r\n line ends, the finishReason and full usage in the last event.
const char kTextStream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" quick brown fox — 🦊\"}],\"role\": \"model\"},\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" jumps.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 7,\"totalTokenCount\": 16,\"thoughtsTokenCount\": 3},"
    "\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n";

const char kToolStream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"find_theaters\",\"args\": "
    "{\"location\": \"Mountain View, CA\"}}},{\"functionCall\": {\"name\": \"get_time\",\"args\": {}}}],\"role\": \"model\"},"
    "\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 20,\"candidatesTokenCount\": 10}}\r\n\r\n";

// A thinking model with includeThoughts: thought deltas, then the call with its signature, then
// a text answer whose signature arrives last on an empty text part.
const char kThinkingStream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Looking up** the forecast\", \"thought\": true}],"
    "\"role\": \"model\"},\"index\": 0}]}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"city\": "
    "\"Paris\"}},\"thoughtSignature\": \"Q2lRQmp6MXJY\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Checking.\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\",\"thoughtSignature\": \"RW5kU2ln\"}],\"role\": \"model\"},"
    "\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 12,\"candidatesTokenCount\": 8,"
    "\"thoughtsTokenCount\": 40,\"cachedContentTokenCount\": 6}}\r\n\r\n";

TEST(Gemini, StreamTranslatesText) {
  auto r = run({kTextStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.finished, StreamDecoder::State::done);
  expect_events(r, {
      R"({"type":"text","text":"The"})",
      R"({"type":"text","text":" quick brown fox — 🦊"})",
      R"({"type":"text","text":" jumps."})",
      R"({"type":"finish","finish":"stop"})",
      R"({"type":"usage","usage":{"prompt":9,"completion":10,"reasoning":3,"cost":0.000029}})",
  });
  EXPECT_EQ(r.groups, 3);
  EXPECT_EQ(r.usage.completion_tokens, 10);
  EXPECT_DOUBLE_EQ(r.usage.cost, 0.000029);
}

TEST(Gemini, StreamTranslatesFunctionCalls) {
  auto r = run({kToolStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  expect_events(r, {
      R"({"type":"tool_call","tool":0,"id":"call_0","name":"find_theaters","arguments":"{\"location\":\"Mountain View, CA\"}"})",
      R"({"type":"tool_call","tool":1,"id":"call_1","name":"get_time","arguments":"{}"})",
      R"({"type":"finish","finish":"tool_calls"})",
      R"({"type":"usage","usage":{"prompt":20,"completion":10,"cost":0.00004}})",
  });
}

TEST(Gemini, StreamTranslatesThoughtsAndSignatures) {
  auto r = run({kThinkingStream});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  expect_events(r, {
      R"({"type":"reasoning","text":"**Looking up** the forecast","signature":""})",
      R"({"type":"reasoning","text":"","signature":"Q2lRQmp6MXJY"})",
      R"({"type":"tool_call","tool":0,"id":"call_0","name":"get_weather","arguments":"{\"city\":\"Paris\"}"})",
      R"({"type":"text","text":"Checking."})",
      R"({"type":"reasoning","text":"","signature":"RW5kU2ln"})",
      R"({"type":"finish","finish":"tool_calls"})",
      R"({"type":"usage","usage":{"prompt":12,"completion":48,"cached":6,"reasoning":40,"cost":0.000108}})",
  });
}

TEST(Gemini, StreamIsTheSameWhateverTheSplit) {
  DecodeContext ctx{kProvider, "m", kStreamRequest};
  expect_split_invariant(kCodec, ctx, kTextStream);
  expect_split_invariant(kCodec, ctx, kToolStream);
  expect_split_invariant(kCodec, ctx, kThinkingStream);
}

TEST(Gemini, StreamFailures) {
  std::string text(kTextStream);
  auto cut = run({text.substr(0, text.rfind("data: "))});
  EXPECT_EQ(cut.state, StreamDecoder::State::open);
  EXPECT_EQ(cut.finished, StreamDecoder::State::failed);
  EXPECT_EQ(cut.error.status, 502);
  EXPECT_EQ(cut.error.code, "upstream_stream_failed");

  auto blocked = run({"data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"}}\r\n\r\n"});
  EXPECT_EQ(blocked.state, StreamDecoder::State::failed);
  EXPECT_EQ(blocked.outcome, health::Outcome::content_filter);
  EXPECT_EQ(blocked.error.type, ErrorType::content_filtered);
  EXPECT_EQ(blocked.error.status, 400);
  EXPECT_TRUE(blocked.events.empty());

  // A filter reason before anything was streamed is a blocked answer; after, a finish.
  auto filtered = run({"data: {\"candidates\": [{\"finishReason\": \"SAFETY\",\"index\": 0}]}\r\n\r\n"});
  EXPECT_EQ(filtered.state, StreamDecoder::State::failed);
  EXPECT_EQ(filtered.outcome, health::Outcome::content_filter);
  auto late = run({text.substr(0, text.find("data: ", 10)) +
                   "data: {\"candidates\": [{\"finishReason\": \"SAFETY\",\"index\": 0}]}\r\n\r\n"});
  EXPECT_EQ(late.state, StreamDecoder::State::done);
  expect_events(late, {R"({"type":"text","text":"The"})", R"({"type":"finish","finish":"content_filter"})",
                       R"({"type":"usage","usage":{"prompt":9,"completion":0,"cost":0.000009}})"});

  auto error = run({text.substr(0, 200) +
                    "\r\n\r\ndata: {\"error\": {\"code\": 503, \"message\": \"overloaded\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n"});
  EXPECT_EQ(error.state, StreamDecoder::State::failed);

  auto mid = run({text.substr(0, text.find("data: ", 10)) +
                  "data: {\"error\": {\"code\": 503, \"message\": \"overloaded sk-test-secret-key\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n"});
  EXPECT_EQ(mid.state, StreamDecoder::State::failed);
  EXPECT_EQ(mid.outcome, health::Outcome::status_5xx);
  EXPECT_EQ(mid.events.size(), 1u);
  EXPECT_EQ(mid.error.message.find("sk-test-secret-key"), std::string::npos);
  EXPECT_EQ(mid.error.code, "UNAVAILABLE");

  auto long_prompt = run({"data: {\"error\": {\"code\": 400, \"message\": \"The input token count (2000000) exceeds the "
                          "maximum number of tokens allowed (1048576).\", \"status\": \"INVALID_ARGUMENT\"}}\r\n\r\n"});
  EXPECT_EQ(long_prompt.outcome, health::Outcome::context_length);
  auto quota = run({"data: {\"error\": {\"code\": 429, \"message\": \"quota\", \"status\": \"RESOURCE_EXHAUSTED\"}}\r\n\r\n"});
  EXPECT_EQ(quota.outcome, health::Outcome::status_429);

  auto garbage = run({"data: {\"candidates\": [\r\n\r\n"});
  EXPECT_EQ(garbage.state, StreamDecoder::State::failed);
  EXPECT_EQ(garbage.error.status, 502);
}

TEST(Gemini, StreamIgnoresWhatFollowsTheEnd) {
  auto r = run({std::string(kToolStream) + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"more\"}]}}]}\r\n\r\n"});
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events.size(), 4u);
}

TEST(Gemini, MutatedUpstreamBytesNeverCrash) {
  // Seeded byte flips, deletions and truncations of every golden body and stream: each decodes
  // or fails cleanly, and the provider's key never shows up in an error.
  const std::string bodies[] = {kThinkingAnswer, kTextStream, kToolStream, kThinkingStream};
  std::mt19937 rng(7);
  for (int round = 0; round < 400; ++round) {
    std::string s = bodies[round % 4];
    for (int k = 0; k < 4; ++k) {
      size_t at = std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
      if (k % 2) s.erase(at, 1);
      else s[at] = "{}[]\",:0a\r\n"[std::uniform_int_distribution<int>(0, 11)(rng)];
    }
    if (round % 5 == 0) s.resize(s.size() / 2);
    Decoded d = decode(s);
    if (!d.ok) EXPECT_EQ(d.error.message.find("sk-test-secret-key"), std::string::npos);
    StreamResult r = run({s});
    EXPECT_NE(r.finished, StreamDecoder::State::open);
  }
}

// ---------------------------------------------------------------------------------------
// Embeddings

Built embeddings(std::vector<std::string_view> inputs) {
  Built b;
  b.request.kind = model::Kind::embeddings;
  for (std::string_view input : inputs) b.request.inputs.push_back(b.json(input));
  return b;
}

TEST(Gemini, EncodesEmbeddingsAsBatchEmbedContents) {
  Built one = embeddings({R"("What is the meaning of life?")"});
  one.request.user = "u";
  auto e = encode(one.request, "gemini-embedding-001");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_TRUE(same_json(e.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"What is the meaning of life?"}]}}]})"));
  Built many = embeddings({R"("How much wood")", R"("would a woodchuck chuck?")"});
  many.request.dimensions = 768;
  EXPECT_TRUE(same_json(encode(many.request, "gemini-embedding-001").request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"How much wood"}]},"outputDimensionality":768},
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"would a woodchuck chuck?"}]},"outputDimensionality":768}]})"));
  // override_params use OpenAI's names.
  auto over = encode(embeddings({R"("x")"}).request, "gemini-embedding-001", {{"dimensions", "3"}});
  EXPECT_TRUE(same_json(over.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]},"outputDimensionality":3}]})"));
  // Token arrays cannot be embedded by Gemini (the exchange never sends them: caps.token_input):
  // an empty content, which Gemini refuses.
  Built tokens = embeddings({"[1,2,3]"});
  tokens.request.token_input = true;
  EXPECT_TRUE(same_json(encode(tokens.request, "gemini-embedding-001").request.body,
                        R"({"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[]}}]})"));
}

Decoded decode_embeddings(std::string_view body, int status = 200, bool base64 = false, std::string_view model = "gemini-embedding-001") {
  model::Request r;
  r.kind = model::Kind::embeddings;
  r.base64 = base64;
  return kCodec.decode(status, body, DecodeContext{kProvider, model, r});
}

TEST(Gemini, DecodesEmbeddings) {
  const char* answer = R"({"embeddings": [{"values": [0.5, -1, 0.25]}, {"values": [0.0, 0.125, -0.75]}]})";
  auto d = decode_embeddings(answer);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::embeddings);
  EXPECT_EQ(d.answer.model, "gemini-embedding-001");
  EXPECT_EQ(d.answer.provider, "up");
  ASSERT_EQ(d.answer.embeddings.size(), 2u);
  EXPECT_TRUE(same_json(d.answer.embeddings[0], "[0.5,-1,0.25]"));
  EXPECT_TRUE(same_json(d.answer.embeddings[1], "[0.0,0.125,-0.75]"));
  EXPECT_FALSE(d.answer.usage.known);  // Gemini counts no tokens for embeddings
  // base64: little-endian float32s, as OpenAI sends them.
  auto b = decode_embeddings(answer, 200, true);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.answer.embeddings[0], "\"AAAAPwAAgL8AAIA+\"");
  EXPECT_EQ(b.answer.embeddings[1], "\"AAAAAAAAAD4AAEC/\"");
  // Beyond float range: infinite, as a float32 cast gives it.
  auto huge = decode_embeddings(R"({"embeddings": [{"values": [1e300, -1e300]}]})", 200, true);
  ASSERT_TRUE(huge.ok);
  EXPECT_EQ(huge.answer.embeddings[0], "\"AACAfwAAgP8=\"");
  // usageMetadata, when an answer has it, is the usage (priced at the input price).
  auto u = decode_embeddings(R"({"embeddings":[{"values":[1]}],"usageMetadata":{"promptTokenCount":5}})", 200, false, "m");
  ASSERT_TRUE(u.ok);
  EXPECT_TRUE(u.answer.usage.known);
  EXPECT_EQ(u.answer.usage.prompt_tokens, 5);
  EXPECT_EQ(u.answer.usage.completion_tokens, 0);
  EXPECT_DOUBLE_EQ(u.answer.usage.cost, 0.000005);
  auto none = decode_embeddings(R"({"embeddings":[]})");
  ASSERT_TRUE(none.ok);
  EXPECT_TRUE(none.answer.embeddings.empty());
}

TEST(Gemini, MapsEmbeddingsErrors) {
  auto dims = decode_embeddings(R"({"error":{"code":400,"message":"* BatchEmbedContentsRequest.requests[0].output_dimensionality: Output dimensionality must be between 1 and 3072.\n","status":"INVALID_ARGUMENT"}})", 400);
  EXPECT_EQ(dims.outcome, health::Outcome::bad_request);
  EXPECT_EQ(dims.error.status, 400);
  auto key = decode_embeddings(R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
      "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})", 400);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(decode_embeddings(R"({"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}})", 404).outcome,
            health::Outcome::not_found);
  EXPECT_EQ(decode_embeddings(R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}})", 429).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(decode_embeddings(R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})").outcome,
            health::Outcome::error_body_200);
  EXPECT_EQ(decode_embeddings(R"({"embeddings":[{"value":[1]}]})").outcome, health::Outcome::malformed);
  EXPECT_EQ(decode_embeddings(R"({"embeddings":[{"values":[1,"2"]}]})").outcome, health::Outcome::malformed);
  EXPECT_EQ(decode_embeddings(R"({"candidates":[]})").outcome, health::Outcome::malformed);
  EXPECT_EQ(decode_embeddings("[]").outcome, health::Outcome::malformed);
}

// ---------------------------------------------------------------------------------------
// Model lists

TEST(Gemini, ListsModelsWithoutThePrefix) {
  model::Request list;
  list.kind = model::Kind::models;
  auto e = encode(list);
  EXPECT_EQ(e.request.method, "GET");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000");
  EXPECT_EQ(e.request.headers, "x-goog-api-key: sk-test-secret-key\n");
  EXPECT_TRUE(e.request.body.empty());
  DecodeContext c{kProvider, "", list};
  auto d = kCodec.decode(200, R"({
    "models": [
      {"name": "models/gemini-2.0-flash", "version": "2.0", "displayName": "Gemini 2.0 Flash",
       "description": "Gemini 2.0 Flash", "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
       "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
       "temperature": 1, "topP": 0.95, "topK": 40, "maxTemperature": 2},
      {"name": "models/gemini-embedding-001", "version": "001", "displayName": "Gemini Embedding 001",
       "inputTokenLimit": 2048, "outputTokenLimit": 1,
       "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]},
      {"name": "models/imagen-4.0-generate-001", "version": "001", "supportedGenerationMethods": ["predict"]},
      {"name": "models/aqa", "supportedGenerationMethods": ["generateAnswer"]},
      {"name": "tunedModels/mine"}
    ],
    "nextPageToken": "Chxtb2RlbHMvZ2VtaW5pLTEuNS1mbGFzaC0wMDI="})",
                         c);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::models);
  ASSERT_EQ(d.answer.models.size(), 3u);
  EXPECT_EQ(d.answer.models[0].id, "gemini-2.0-flash");
  EXPECT_EQ(d.answer.models[1].id, "gemini-embedding-001");
  EXPECT_EQ(d.answer.models[2].id, "tunedModels/mine");
  for (const model::ModelEntry& m : d.answer.models) {
    EXPECT_EQ(m.created, 0);
    EXPECT_EQ(m.owned_by, "google");
  }
  auto empty = kCodec.decode(200, "{}", c);
  ASSERT_TRUE(empty.ok);
  EXPECT_TRUE(empty.answer.models.empty());
  EXPECT_EQ(kCodec.decode(403, R"({"error":{"code":403,"message":"Method doesn't allow unregistered callers","status":"PERMISSION_DENIED"}})", c).outcome,
            health::Outcome::auth);
  EXPECT_EQ(kCodec.decode(200, R"({"models":{}})", c).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, "nope", c).outcome, health::Outcome::malformed);
}

}  // namespace
}  // namespace sy::providers::gemini
