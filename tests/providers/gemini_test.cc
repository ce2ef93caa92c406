// Golden tests for the Gemini egress codec. Upstream payloads follow the examples of Google's
// Gemini API reference (text generation, function calling, thinking and thought signatures,
// safety, errors, alt=sse streaming, embeddings, model lists).
#include "providers/gemini.h"

#include "wire_test_util.h"

namespace sy::providers::gemini {
namespace {

using namespace test;

const config::Provider kProvider =
    make_provider(config::ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta");

Encoded encode(std::string_view body, std::string_view model = "m", const Overrides& overrides = {}) {
  return test::encode(kCodec, kProvider, model, body, overrides);
}

Encoded encode(const model::Request& request, std::string_view model = "m", const Overrides& overrides = {}) {
  return test::encode(kCodec, kProvider, model, request, overrides);
}

// The generationConfig sent for a request, as JSON text ("null" when there is none).
std::string generation_config(const model::Request& request) {
  Encoded e = encode(request);
  return e.body.HasMember("generationConfig") ? dump(e.body["generationConfig"]) : "null";
}

std::string generation_config(std::string_view body) { return generation_config(chat_request(body)->request); }

// The request of one user message "x" with `members` added.
std::string body_with(std::string_view members) {
  return std::string(R"({"model":"g","messages":[{"role":"user","content":"x"}])") +
         (members.empty() ? "" : ",") + std::string(members) + "}";
}

Decoded decode(std::string_view body, int status = 200) {
  static const model::Request kChat;
  return kCodec.decode(status, body, DecodeContext{kProvider, "m", kChat});
}

const model::Request kStreamRequest = [] {
  model::Request r;
  r.stream = true;
  return r;
}();

const DecodeContext kStreamContext{kProvider, "m", kStreamRequest};

StreamResult run(std::string_view stream) { return run_stream(kCodec, kStreamContext, stream); }

// Canonical answers as JSON, for golden comparisons:
// {text (null when absent), reasoning?: [{text, signature}], tool_calls?: [{id, name,
// arguments}], finish}
std::string output_json(const model::Output& o) {
  std::string out = "{\"text\":";
  if (o.has_text) json::append_string(out, o.text);
  else out += "null";
  if (!o.reasoning.empty()) {
    out += ",\"reasoning\":[";
    for (size_t i = 0; i < o.reasoning.size(); ++i) {
      out += i ? ",{\"text\":" : "{\"text\":";
      json::append_string(out, o.reasoning[i].text);
      out += ",\"signature\":";
      json::append_string(out, o.reasoning[i].signature);
      out += '}';
    }
    out += ']';
  }
  if (!o.tool_calls.empty()) {
    out += ",\"tool_calls\":[";
    for (size_t i = 0; i < o.tool_calls.size(); ++i) {
      out += i ? ",{\"id\":" : "{\"id\":";
      json::append_string(out, o.tool_calls[i].id);
      out += ",\"name\":";
      json::append_string(out, o.tool_calls[i].name);
      out += ",\"arguments\":";
      json::append_string(out, o.tool_calls[i].arguments);
      out += '}';
    }
    out += ']';
  }
  out += ",\"finish\":";
  json::append_string(out, model::finish_name(o.finish));
  return out + "}";
}

// {id, model, provider, outputs, usage?: {prompt, completion, cached?, reasoning?, cost?}}
std::string answer_json(const model::Answer& a) {
  std::string out = "{\"id\":";
  json::append_string(out, a.id);
  out += ",\"model\":";
  json::append_string(out, a.model);
  out += ",\"provider\":";
  json::append_string(out, a.provider);
  out += ",\"outputs\":[";
  for (size_t i = 0; i < a.outputs.size(); ++i) out += (i ? "," : "") + output_json(a.outputs[i]);
  out += ']';
  const model::Usage& u = a.usage;
  if (u.known) {
    out += ",\"usage\":{\"prompt\":" + std::to_string(u.prompt_tokens) +
           ",\"completion\":" + std::to_string(u.completion_tokens);
    if (u.cached_tokens >= 0) out += ",\"cached\":" + std::to_string(u.cached_tokens);
    if (u.reasoning_tokens >= 0) out += ",\"reasoning\":" + std::to_string(u.reasoning_tokens);
    if (u.cost >= 0) {
      out += ",\"cost\":";
      json::append_number(out, u.cost);
    }
    out += '}';
  }
  return out + "}";
}

// ---------------------------------------------------------------------------------------
// Capabilities

TEST(Gemini, DeclaresItsCapabilities) {
  EXPECT_TRUE(kCodec.caps.chat);
  EXPECT_TRUE(kCodec.caps.embeddings);
  EXPECT_TRUE(kCodec.caps.models);
  EXPECT_FALSE(kCodec.caps.token_input);
  EXPECT_FALSE(kCodec.caps.free);
  EXPECT_FALSE(kCodec.caps.local);
  EXPECT_EQ(kCodec.caps.max_n, 8);
  EXPECT_FALSE(kCodec.caps.n_in_streams);
  EXPECT_EQ(kCodec.answer, nullptr);
}

TEST(Gemini, RefusesWhatItCannotServe) {
  auto refused = [](std::string_view members) { return std::string(refusal(kCodec, chat_request(body_with(members))->request).param); };
  EXPECT_EQ(refused(""), "");
  EXPECT_EQ(refused(R"("n":8)"), "");
  EXPECT_EQ(refused(R"("n":9)"), "n");
  // Several candidates are never streamed (main sent one candidate and dropped n).
  EXPECT_EQ(refused(R"("n":2,"stream":true)"), "n");
  EXPECT_EQ(refused(R"("n":1,"stream":true)"), "");

  // Gemini embeds text only: token-id inputs go to other targets (main special-cased this in
  // the engine).
  EXPECT_TRUE(refusal(kCodec, embeddings_request(R"({"model":"e","input":["a","b"]})")->request).param.empty());
  for (const char* tokens : {R"({"model":"e","input":[1,2,3]})", R"({"model":"e","input":[[1,2],[3]]})"}) {
    Refusal r = refusal(kCodec, embeddings_request(tokens)->request);
    EXPECT_EQ(r.param, "input") << tokens;
    EXPECT_EQ(r.lacks, "embeds token ids");
  }
  EXPECT_TRUE(refusal(kCodec, models_request()->request).param.empty());
}

// ---------------------------------------------------------------------------------------
// Chat requests

TEST(Gemini, EncodesUrlsAndKeyHeader) {
  const char* request = R"({"model":"g","messages":[{"role":"user","content":"Explain how AI works"}]})";
  auto e = encode(request, "gemini-2.0-flash");
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_EQ(e.request.url.find("key="), std::string::npos);  // never in the URL
  EXPECT_TRUE(same_json(e.request.body, R"({"contents":[{"role":"user","parts":[{"text":"Explain how AI works"}]}]})"));
  auto s = encode(R"({"model":"g","stream":true,"messages":[{"role":"user","content":"Explain how AI works"}]})",
                  "gemini-2.0-flash");
  EXPECT_EQ(s.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(s.request.headers,
            "content-type: application/json\naccept: text/event-stream\nx-goog-api-key: sk-test-secret-key\n");
}

TEST(Gemini, ModelNameIsOnePathSegment) {
  // issue 8: no model name reaches another path or the query with the provider's key.
  std::string body = body_with("");
  EXPECT_EQ(encode(body, "x:generateContent?key=abc#").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/x%3AgenerateContent%3Fkey%3Dabc%23:generateContent");
  EXPECT_EQ(encode(body, "../../files/f").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/..%2F..%2Ffiles%2Ff:generateContent");
  EXPECT_EQ(encode(body, "..").request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/%2E%2E:generateContent");
  auto e = encode_embeddings(kCodec, kProvider, "e/../../x?y=", R"({"model":"e","input":"x"})");
  EXPECT_EQ(e.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/e%2F..%2F..%2Fx%3Fy%3D:batchEmbedContents");
}

TEST(Gemini, EncodesSystemImagesToolsAndGenerationConfig) {
  auto e = encode(R"({
    "model": "smart", "max_completion_tokens": 800, "temperature": 1.5, "top_p": 0.8, "seed": 42, "n": 2,
    "stop": ["a", "b", "c", "d"], "presence_penalty": 0.3, "frequency_penalty": 0.1, "user": "u-1",
    "logprobs": true, "parallel_tool_calls": false, "metadata": {"team": "a"},
    "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "strict": true,
                        "schema": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}},
    "messages": [
      {"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": [
        {"type": "text", "text": "Which theaters show Barbie near this place?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/photos/Place.PNG?size=2"}}]},
      {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_0", "type": "function",
         "function": {"name": "find_theaters", "arguments": "{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}"}}]},
      {"role": "tool", "tool_call_id": "call_0", "content": "{\"theaters\":[{\"name\":\"AMC Mountain View 16\"}]}"},
      {"role": "tool", "tool_call_id": "unknown", "name": "legacy_name", "content": "plain text"}
    ],
    "tools": [{"type": "function", "function": {"name": "find_theaters", "description": "find theaters showing a movie",
               "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "movie": {"type": "string"}},
                              "required": ["location"]}}}],
    "tool_choice": {"type": "function", "function": {"name": "find_theaters"}}
  })", "gemini-2.5-flash");
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
                         "stopSequences": ["a", "b", "c", "d"], "seed": 42, "candidateCount": 2,
                         "responseMimeType": "application/json",
                         "responseJsonSchema": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}
  })"));
}

TEST(Gemini, SendsAtMostFiveStopSequences) {
  // OpenAI callers give at most 4; other formats (and overrides) may give more: Gemini takes 5.
  model::Request r = chat_request(body_with(""))->request;
  r.sampling.stop = {"a", "", "b", "c", "d", "e", "f"};
  EXPECT_TRUE(same_json(generation_config(r), R"({"stopSequences":["a","b","c","d","e"]})"));
}

TEST(Gemini, JsonObjectAndToolChoiceModes) {
  EXPECT_TRUE(same_json(generation_config(body_with(R"("response_format":{"type":"json_object"})")),
                        R"({"responseMimeType":"application/json"})"));
  // json_schema without a schema: JSON mode only; text: nothing.
  EXPECT_TRUE(same_json(generation_config(body_with(R"("response_format":{"type":"json_schema","json_schema":{"name":"x"}})")),
                        R"({"responseMimeType":"application/json"})"));
  EXPECT_EQ(generation_config(body_with(R"("response_format":{"type":"text"})")), "null");

  const char* tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  auto mode = [&](const char* c) {
    auto r = encode(body_with(std::string(tools) + R"(,"tool_choice":)" + c));
    EXPECT_TRUE(same_json(dump(r.body["tools"]), R"([{"functionDeclarations":[{"name":"f"}]}])"));
    return std::string(r.body["toolConfig"]["functionCallingConfig"]["mode"].GetString());
  };
  EXPECT_EQ(mode(R"("auto")"), "AUTO");
  EXPECT_EQ(mode(R"("required")"), "ANY");
  EXPECT_EQ(mode(R"("none")"), "NONE");
  EXPECT_FALSE(encode(body_with(tools)).body.HasMember("toolConfig"));
  // A tool choice without tools is not sent.
  EXPECT_FALSE(encode(body_with(R"("tool_choice":"required")")).body.HasMember("toolConfig"));
  // n is not sent on streams (one candidate is streamed).
  EXPECT_EQ(generation_config(body_with(R"("n":3,"stream":true)")), "null");
}

TEST(Gemini, EncodesTopKAndRangeCheckedSeeds) {
  // top_k is Gemini's topK; Gemini's seed is an int32, a larger one is dropped.
  EXPECT_TRUE(same_json(generation_config(body_with(R"("top_k":40,"seed":1099511627776)")), R"({"topK":40})"));
  EXPECT_TRUE(same_json(generation_config(body_with(R"("top_k":0,"seed":-7)")), R"({"seed":-7})"));
}

TEST(Gemini, MergesTurnsAndDropsWhatGeminiCannotTake) {
  EXPECT_TRUE(same_json(encode(R"({"model":"g","messages":[
      {"role":"developer","content":"Be brief."},
      {"role":"system","content":[{"type":"text","text":"Answer in French."}]},
      {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":""},
                                {"type":"image_url","image_url":{"url":"ftp://example.com/a.png"}}]},
      {"role":"user","content":"there"},
      {"role":"assistant","content":"Bonjour","refusal":"Non."},
      {"role":"assistant","content":[{"type":"text","text":"Encore"},{"type":"refusal","refusal":"Jamais."}]}]})")
                            .request.body,
                        R"({
    "contents": [
      {"role": "user", "parts": [{"text": "Hi"}, {"text": "there"}]},
      {"role": "model", "parts": [{"text": "Bonjour"}, {"text": "Non."}, {"text": "Encore"}, {"text": "Jamais."}]}],
    "systemInstruction": {"parts": [{"text": "Be brief.\n\nAnswer in French."}]}
  })"));
  // Images in the model's turns are not sent (as before).
  EXPECT_TRUE(same_json(dump(encode(R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[
      {"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://example.com/b.png"}}]}]})")
                                 .body["contents"][1]),
                        R"({"role":"model","parts":[{"text":"a"}]})"));
}

TEST(Gemini, EncodesFilesAndAudio) {
  // file_data holds what a caller's file part carries: a data: URL, or an http(s) URL from
  // formats that link files.
  auto e = encode(R"({"messages":[{"role":"user","content":[
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0xLjQ=","filename":"paper.pdf"}},
      {"type":"file","file":{"file_data":"https://example.com/papers/attention.PDF"}},
      {"type":"file","file":{"file_data":"https://example.com/blob"}},
      {"type":"file","file":{"file_id":"file-abc123"}},
      {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}},
      {"type":"input_audio","input_audio":{"data":"SUQz","format":"mp3"}},
      {"type":"input_audio","input_audio":{"data":"SUQz"}}]}]})");
  EXPECT_TRUE(same_json(e.request.body, R"({"contents": [{"role": "user", "parts": [
      {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0xLjQ="}},
      {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/papers/attention.PDF"}},
      {"fileData": {"fileUri": "https://example.com/blob"}},
      {"inlineData": {"mimeType": "audio/wav", "data": "UklGRiQAAABXQVZF"}},
      {"inlineData": {"mimeType": "audio/mp3", "data": "SUQz"}}]}]})"));

  // A part's own media type wins over the extension; an untyped data: URL takes it too.
  auto typed = chat_request(body_with(""));
  model::Message& m = typed->request.messages[0];
  m.parts.clear();
  for (auto [url, type] : {std::pair{"https://example.com/download?id=7", "text/csv"},
                           {"data:;base64,AAAA", "application/x-custom"},
                           {"data:audio/mpeg;base64,SUQz", ""}}) {
    model::Part p;
    p.type = type[0] ? model::PartType::file : model::PartType::audio;
    p.url = url;
    p.media_type = type;
    m.parts.push_back(p);
  }
  EXPECT_TRUE(same_json(encode(typed->request).request.body, R"({"contents": [{"role": "user", "parts": [
      {"fileData": {"mimeType": "text/csv", "fileUri": "https://example.com/download?id=7"}},
      {"inlineData": {"mimeType": "application/x-custom", "data": "AAAA"}},
      {"inlineData": {"mimeType": "audio/mpeg", "data": "SUQz"}}]}]})"));

  // Images of unknown type are JPEG to Gemini, as before.
  EXPECT_TRUE(same_json(encode(R"({"messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"https://example.com/photo"}},
      {"type":"image_url","image_url":"https://example.com/x.webp#frag"}]}]})")
                            .request.body,
                        R"({"contents": [{"role": "user", "parts": [
      {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo"}},
      {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/x.webp#frag"}}]}]})"));
}

TEST(Gemini, ThinkingConfig) {
  auto thinking = [](std::string_view effort, int64_t budget = -1) {
    auto env = chat_request(effort.empty() ? body_with("")
                                           : body_with(R"("reasoning_effort":")" + std::string(effort) + "\""));
    env->request.reasoning_budget = budget;
    return generation_config(env->request);
  };
  EXPECT_EQ(thinking(""), "null");
  EXPECT_TRUE(same_json(thinking("minimal"), R"({"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("low"), R"({"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("medium"), R"({"thinkingConfig":{"thinkingBudget":8192,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high"), R"({"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("xhigh"), R"({"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("max"), R"({"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}})"));
  // "none" turns thinking off (where the model allows it); no thoughts are asked for.
  EXPECT_TRUE(same_json(thinking("none"), R"({"thinkingConfig":{"thinkingBudget":0}})"));
  // An explicit budget (from formats that have one) wins over the effort.
  EXPECT_TRUE(same_json(thinking("", 2048), R"({"thinkingConfig":{"thinkingBudget":2048,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high", 512), R"({"thinkingConfig":{"thinkingBudget":512,"includeThoughts":true}})"));
  EXPECT_TRUE(same_json(thinking("high", 0), R"({"thinkingConfig":{"thinkingBudget":0}})"));
}

TEST(Gemini, PassesOnlyGeminiRequestMembersFromExtras) {
  auto e = encode(body_with(R"(
      "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}],
      "cached_content": "cachedContents/abc123",
      "cachedContent": "cachedContents/other",
      "service_tier": "flex", "prediction": {"type": "content", "content": "x"}, "contents": [])"));
  // The same member twice: the first wins. Members Gemini does not know would make it answer 400
  // ("Unknown name"), so they are dropped; its own members the codec writes are never replaced.
  EXPECT_TRUE(same_json(e.request.body, R"({
    "contents": [{"role": "user", "parts": [{"text": "x"}]}],
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}],
    "cachedContent": "cachedContents/abc123"
  })"));
}

TEST(Gemini, AppliesOverrideParams) {
  // override_params use canonical (OpenAI) names; Gemini members pass like extras.
  auto e = encode(body_with(R"("max_tokens":10)"), "m",
                  {{"max_tokens", "99"}, {"temperature", "0.5"}, {"temperature", "not json"}, {"top_p", "7"},
                   {"safetySettings", R"([{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}])"}});
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
  // The answer above as an OpenAI caller sends it back (reasoning_details as OpenRouter writes
  // them): the signature goes with the first call again, thought text stays home.
  auto e = encode(R"({"messages": [
      {"role": "user", "content": "Weather in Paris and London?"},
      {"role": "assistant", "content": "Let me check both.",
       "reasoning_details": [{"type": "reasoning.text", "text": "**Planning** I need the weather in both cities."},
                             {"type": "reasoning.text", "text": "", "signature": "CiQBjz1rX0sig1"}],
       "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"London\"}"}}]},
      {"role": "tool", "tool_call_id": "call_0", "content": "18C"},
      {"role": "tool", "tool_call_id": "call_1", "content": "12C"}]})");
  EXPECT_TRUE(same_json(e.request.body, R"({"contents": [
      {"role": "user", "parts": [{"text": "Weather in Paris and London?"}]},
      {"role": "model", "parts": [
        {"text": "Let me check both."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQBjz1rX0sig1"},
        {"functionCall": {"name": "get_weather", "args": {"city": "London"}}}]},
      {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"content": "18C"}}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "12C"}}}]}]})"));
}

TEST(Gemini, RoundTripsAStreamedAnswer) {
  // A streamed answer, assembled as the cache keeps it, then sent back as the next turn.
  const char stream[] =
      "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Looking\", \"thought\": true}]}}]}\r\n\r\n"
      "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"f\", \"args\": {}}, "
      "\"thoughtSignature\": \"U0lH\"}]}, \"finishReason\": \"STOP\"}]}\r\n\r\n";
  StreamResult r = run(stream);
  ASSERT_EQ(r.finished, StreamDecoder::State::done);
  ASSERT_EQ(r.answer.outputs.size(), 1u);
  const model::Output& o = r.answer.outputs[0];
  auto env = chat_request(body_with(""));
  model::Message assistant;
  assistant.role = model::Role::assistant;
  for (const model::Reasoning& reasoning : o.reasoning) {
    model::Part p;
    p.type = model::PartType::reasoning;
    p.text = reasoning.text;
    p.signature = reasoning.signature;
    assistant.parts.push_back(p);
  }
  for (const model::ToolCall& call : o.tool_calls) {
    model::Part p;
    p.type = model::PartType::tool_call;
    p.id = call.id;
    p.name = call.name;
    p.arguments = call.arguments;
    assistant.parts.push_back(p);
  }
  env->request.messages.push_back(assistant);
  EXPECT_TRUE(same_json(dump(encode(env->request).body["contents"][1]),
                        R"({"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "U0lH"}]})"));
}

TEST(Gemini, PlacesSignaturesWhateverThePartOrder) {
  auto model_parts = [](std::vector<std::pair<model::PartType, std::string_view>> parts) {
    auto env = chat_request(body_with(""));
    model::Message assistant;
    assistant.role = model::Role::assistant;
    for (auto [type, value] : parts) {
      model::Part p;
      p.type = type;
      if (type == model::PartType::reasoning) p.signature = value;
      if (type == model::PartType::text) p.text = value;
      if (type == model::PartType::tool_call) p.name = value;
      assistant.parts.push_back(p);
    }
    env->request.messages.push_back(assistant);
    Encoded e = encode(env->request);
    const json::Value& contents = e.body["contents"];
    return contents.Size() > 1 ? dump(contents[1]["parts"]) : std::string("[]");
  };
  using T = model::PartType;
  // Sequential steps in one message: each signature goes with the call after it.
  EXPECT_TRUE(same_json(model_parts({{T::text, "a"}, {T::reasoning, "S1"}, {T::tool_call, "f"}, {T::reasoning, "S2"},
                                     {T::tool_call, "g"}}),
                        R"([{"text": "a"}, {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "S1"},
                            {"functionCall": {"name": "g", "args": {}}, "thoughtSignature": "S2"}])"));
  // Reasoning first, text then calls (how callers send it back): the call takes it.
  EXPECT_TRUE(same_json(model_parts({{T::reasoning, "S"}, {T::text, "a"}, {T::tool_call, "f"}}),
                        R"([{"text": "a"}, {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "S"}])"));
  // No call: the next text part carries it; a signature after all text goes to the last text.
  EXPECT_TRUE(same_json(model_parts({{T::reasoning, "S"}, {T::text, "4"}}), R"([{"text": "4", "thoughtSignature": "S"}])"));
  EXPECT_TRUE(same_json(model_parts({{T::text, "one"}, {T::text, "two"}, {T::reasoning, "S"}}),
                        R"([{"text": "one"}, {"text": "two", "thoughtSignature": "S"}])"));
  // Unsigned reasoning and signatures with no part to carry them are not sent.
  EXPECT_TRUE(same_json(model_parts({{T::reasoning, ""}, {T::tool_call, "f"}}), R"([{"functionCall": {"name": "f", "args": {}}}])"));
  EXPECT_TRUE(same_json(model_parts({{T::reasoning, "S"}, {T::text, ""}}), R"([])"));
  // Redacted reasoning (another provider's opaque thinking) is never sent to Gemini.
  auto redacted = encode(R"({"messages": [{"role": "user", "content": "q"}, {"role": "assistant",
      "reasoning_details": [{"type": "reasoning.encrypted", "data": "opaque", "signature": "R"}],
      "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]})");
  EXPECT_TRUE(same_json(dump(redacted.body["contents"][1]), R"({"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]})"));
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
  EXPECT_EQ(d.answer.raw_format, model::Format::none);
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
  // main dropped thought parts; they are reasoning now.
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
  auto d = decode(R"({"candidates": [
      {"content": {"parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]}, "finishReason": "STOP", "index": 0},
      {"content": {"parts": [{"functionCall": {"name": "g", "args": {}}}, {"text": "and"}]}, "finishReason": "MAX_TOKENS", "index": 1}]})");
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
        {"BLOCKLIST", "content_filter"}, {"PROHIBITED_CONTENT", "content_filter"}, {"SPII", "content_filter"},
        {"IMAGE_SAFETY", "content_filter"}, {"IMAGE_PROHIBITED_CONTENT", "content_filter"},
        {"IMAGE_RECITATION", "content_filter"}, {"OTHER", "stop"}, {"LANGUAGE", "stop"},
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
  EXPECT_EQ(decode("[1,2]").outcome, health::Outcome::malformed);
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
// a text whose signature arrives last on an empty text part.
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
  auto r = run(kTextStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.finished, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{
                          R"(text[0] "The")",
                          R"(text[0] " quick brown fox — 🦊")",
                          R"(text[0] " jumps.")",
                          "finish[0] stop",
                          "usage 9+10 cached=-1 reasoning=3 cost=2.9e-05",
                      }));
  EXPECT_EQ(r.groups, (std::vector<size_t>{1, 1, 3}));
  EXPECT_EQ(r.usage.completion_tokens, 10);
  EXPECT_DOUBLE_EQ(r.usage.cost, 0.000029);
  EXPECT_EQ(r.answer.outputs[0].text, "The quick brown fox — 🦊 jumps.");
}

TEST(Gemini, StreamTranslatesFunctionCalls) {
  auto r = run(kToolStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{
                          R"(tool_call[0].0 id=call_0 name=find_theaters "{\"location\":\"Mountain View, CA\"}")",
                          R"(tool_call[0].1 id=call_1 name=get_time "{}")",
                          "finish[0] tool_calls",
                          "usage 20+10 cached=-1 reasoning=-1 cost=4e-05",
                      }));
}

TEST(Gemini, StreamTranslatesThoughtsAndSignatures) {
  auto r = run(kThinkingStream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{
                          R"(reasoning[0] "**Looking up** the forecast")",
                          R"(reasoning[0] "" sig="Q2lRQmp6MXJY")",
                          R"(tool_call[0].0 id=call_0 name=get_weather "{\"city\":\"Paris\"}")",
                          R"(text[0] "Checking.")",
                          R"(reasoning[0] "" sig="RW5kU2ln")",
                          "finish[0] tool_calls",
                          "usage 12+48 cached=6 reasoning=40 cost=0.000108",
                      }));
  // Assembled (as the cache keeps it), the call's signature closes the thought before it.
  r.answer.model = "m";
  EXPECT_TRUE(same_json(answer_json(r.answer), R"({"id": "", "model": "m", "provider": "",
      "outputs": [{"text": "Checking.",
                   "reasoning": [{"text": "**Looking up** the forecast", "signature": "Q2lRQmp6MXJY"},
                                 {"text": "", "signature": "RW5kU2ln"}],
                   "tool_calls": [{"id": "call_0", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}],
                   "finish": "tool_calls"}],
      "usage": {"prompt": 12, "completion": 48, "cached": 6, "reasoning": 40, "cost": 0.000108}})"));
}

TEST(Gemini, StreamIsTheSameWhateverTheSplit) {
  expect_split_invariant(kCodec, kStreamContext, kTextStream);
  expect_split_invariant(kCodec, kStreamContext, kToolStream);
  expect_split_invariant(kCodec, kStreamContext, kThinkingStream);
}

TEST(Gemini, StreamFailures) {
  std::string text(kTextStream);
  auto cut = run(text.substr(0, text.rfind("data: ")));
  EXPECT_EQ(cut.state, StreamDecoder::State::open);
  EXPECT_EQ(cut.finished, StreamDecoder::State::failed);
  EXPECT_EQ(cut.error.status, 502);
  EXPECT_EQ(cut.error.code, "upstream_stream_failed");

  auto blocked = run("data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"}}\r\n\r\n");
  EXPECT_EQ(blocked.state, StreamDecoder::State::failed);
  EXPECT_EQ(blocked.outcome, health::Outcome::content_filter);
  EXPECT_EQ(blocked.error.type, ErrorType::content_filtered);
  EXPECT_EQ(blocked.error.status, 400);
  EXPECT_TRUE(blocked.events.empty());

  // A filter reason before anything was streamed is a blocked answer; after, a finish.
  auto filtered = run("data: {\"candidates\": [{\"finishReason\": \"SAFETY\",\"index\": 0}]}\r\n\r\n");
  EXPECT_EQ(filtered.state, StreamDecoder::State::failed);
  EXPECT_EQ(filtered.outcome, health::Outcome::content_filter);
  auto late = run(text.substr(0, text.find("data: ", 10)) +
                  "data: {\"candidates\": [{\"finishReason\": \"SAFETY\",\"index\": 0}]}\r\n\r\n");
  EXPECT_EQ(late.state, StreamDecoder::State::done);
  EXPECT_EQ(late.events, (std::vector<std::string>{R"(text[0] "The")", "finish[0] content_filter",
                                                   "usage 9+0 cached=-1 reasoning=-1 cost=9e-06"}));

  auto error = run(text.substr(0, 200) +
                   "\r\n\r\ndata: {\"error\": {\"code\": 503, \"message\": \"overloaded\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n");
  EXPECT_EQ(error.state, StreamDecoder::State::failed);

  auto mid = run(text.substr(0, text.find("data: ", 10)) +
                 "data: {\"error\": {\"code\": 503, \"message\": \"overloaded sk-test-secret-key\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n");
  EXPECT_EQ(mid.state, StreamDecoder::State::failed);
  EXPECT_EQ(mid.outcome, health::Outcome::status_5xx);
  EXPECT_EQ(mid.events.size(), 1u);
  EXPECT_EQ(mid.error.message.find("sk-test-secret-key"), std::string::npos);
  EXPECT_EQ(mid.error.code, "UNAVAILABLE");

  auto long_prompt = run("data: {\"error\": {\"code\": 400, \"message\": \"The input token count (2000000) exceeds the "
                         "maximum number of tokens allowed (1048576).\", \"status\": \"INVALID_ARGUMENT\"}}\r\n\r\n");
  EXPECT_EQ(long_prompt.outcome, health::Outcome::context_length);
  auto quota = run("data: {\"error\": {\"code\": 429, \"message\": \"quota\", \"status\": \"RESOURCE_EXHAUSTED\"}}\r\n\r\n");
  EXPECT_EQ(quota.outcome, health::Outcome::status_429);

  auto garbage = run("data: {\"candidates\": [\r\n\r\n");
  EXPECT_EQ(garbage.state, StreamDecoder::State::failed);
  EXPECT_EQ(garbage.error.status, 502);
}

TEST(Gemini, StreamIgnoresWhatFollowsTheEnd) {
  auto r = run(std::string(kToolStream) + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"more\"}]}}]}\r\n\r\n");
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
    if (!d.ok) {
      EXPECT_EQ(d.error.message.find("sk-test-secret-key"), std::string::npos);
    }
    StreamResult r = run(s);
    EXPECT_NE(r.finished, StreamDecoder::State::open);
    EXPECT_EQ(r.error.message.find("sk-test-secret-key"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// Embeddings

TEST(Gemini, EncodesEmbeddingsAsBatchEmbedContents) {
  auto one = encode_embeddings(kCodec, kProvider, "gemini-embedding-001",
                               R"({"model":"embed","input":"What is the meaning of life?","user":"u","encoding_format":"float"})");
  EXPECT_EQ(one.request.method, "POST");
  EXPECT_EQ(one.request.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents");
  EXPECT_EQ(one.request.headers, "content-type: application/json\nx-goog-api-key: sk-test-secret-key\n");
  EXPECT_TRUE(same_json(one.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"What is the meaning of life?"}]}}]})"));
  auto many = encode_embeddings(kCodec, kProvider, "gemini-embedding-001",
                                R"({"model":"embed","input":["How much wood","would a woodchuck chuck?"],"dimensions":768})");
  EXPECT_TRUE(same_json(many.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"How much wood"}]},"outputDimensionality":768},
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"would a woodchuck chuck?"}]},"outputDimensionality":768}]})"));
  // override_params use OpenAI's names.
  auto over = encode_embeddings(kCodec, kProvider, "gemini-embedding-001", R"({"model":"embed","input":"x"})",
                                {{"dimensions", "3"}});
  EXPECT_TRUE(same_json(over.request.body, R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]},"outputDimensionality":3}]})"));
  auto wins = encode_embeddings(kCodec, kProvider, "e", R"({"model":"embed","input":"x","dimensions":768})",
                                {{"dimensions", "3"}});
  EXPECT_EQ(wins.body["requests"][0]["outputDimensionality"].GetInt(), 3);
  auto bad = encode_embeddings(kCodec, kProvider, "e", R"({"model":"embed","input":"x"})", {{"dimensions", "-3"}});
  EXPECT_FALSE(bad.body["requests"][0].HasMember("outputDimensionality"));
  // Token arrays cannot be embedded by Gemini (the exchange never sends them, caps.token_input):
  // an empty content, which Gemini refuses.
  auto tokens = encode_embeddings(kCodec, kProvider, "gemini-embedding-001", R"({"model":"embed","input":[1,2,3]})");
  EXPECT_TRUE(same_json(tokens.request.body, R"({"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[]}}]})"));
}

Decoded decode_embeddings(std::string_view body, int status = 200, bool base64 = false,
                          std::string_view model = "gemini-embedding-001") {
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
  // encoding_format "base64": little-endian float32s, as OpenAI sends them.
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
  auto list = models_request();
  auto e = encode(list->request);
  EXPECT_EQ(e.request.method, "GET");
  EXPECT_EQ(e.request.url, "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000");
  EXPECT_EQ(e.request.headers, "x-goog-api-key: sk-test-secret-key\n");
  EXPECT_TRUE(e.request.body.empty());
  DecodeContext c{kProvider, "", list->request};
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
      {"name": "models/unlisted"}
    ],
    "nextPageToken": "Chxtb2RlbHMvZ2VtaW5pLTEuNS1mbGFzaC0wMDI="})",
                         c);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::models);
  ASSERT_EQ(d.answer.models.size(), 3u);
  EXPECT_EQ(d.answer.models[0].id, "gemini-2.0-flash");
  EXPECT_EQ(d.answer.models[1].id, "gemini-embedding-001");
  EXPECT_EQ(d.answer.models[2].id, "unlisted");  // no methods listed: callable
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
