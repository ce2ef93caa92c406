// The echo provider: main's echo semantics on canonical answers, structured output, forced tool
// calls, tool results, embeddings and the model list.
#include "providers/echo.h"

#include <cmath>
#include <cstring>

#include "model/stream.h"
#include "wire_test_util.h"

namespace sy::providers::echo {
namespace {

using namespace test;

const config::Provider kEcho = [] {
  config::Provider p;
  p.name = "demo";
  p.type = config::ProviderType::echo;
  return p;
}();

model::Answer answer(const model::Request& request, const Overrides& overrides = {}, std::string_view model = "echo-1",
                     const config::Config& config = empty_config(), const config::Provider& provider = kEcho) {
  Decoded d = kCodec.answer({config, provider, model, request, overrides});
  EXPECT_TRUE(d.ok);
  return d.answer;
}

model::Answer chat(std::string_view body, const Overrides& overrides = {}) {
  auto env = chat_request(body);
  return answer(env->request, overrides);
}

const model::Output& only(const model::Answer& a) {
  EXPECT_EQ(a.outputs.size(), 1u);
  return a.outputs.at(0);
}

TEST(Echo, AnswersWithTheLastUserMessage) {
  auto a = chat(R"({"messages": [{"role": "system", "content": "be brief"},
                                 {"role": "user", "content": "first"},
                                 {"role": "assistant", "content": "ok"},
                                 {"role": "user", "content": "hello there"}]})");
  EXPECT_EQ(a.kind, model::Kind::chat);
  EXPECT_EQ(a.model, "echo-1");
  EXPECT_EQ(a.provider, "demo");
  EXPECT_EQ(only(a).text, "hello there");
  EXPECT_EQ(only(a).finish, model::Finish::stop);
  // prompt: 4 messages * 4 + ceil(8/4) + ceil(5/4) + ceil(2/4) + ceil(11/4)
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 16 + 2 + 2 + 1 + 3);
  EXPECT_EQ(a.usage.completion_tokens, 3);
  EXPECT_EQ(a.usage.cost, 0);
  // What callers of the chat format get (the stored form): main's echo answer, now with the
  // members OpenAI's schema requires.
  EXPECT_TRUE(same_json(stored(a), R"({"id":"chatcmpl-test","object":"chat.completion","created":1,"model":"echo-1","provider":"demo",
      "choices":[{"index":0,"message":{"role":"assistant","content":"hello there","refusal":null},"logprobs":null,"finish_reason":"stop"}],
      "usage":{"prompt_tokens":24,"completion_tokens":3,"total_tokens":27,"cost":0}})"));
}

TEST(Echo, IsDeterministic) {
  const char* body = R"({"messages": [{"role": "user", "content": "same"}]})";
  EXPECT_EQ(stored(chat(body)), stored(chat(body)));
}

TEST(Echo, PartsAndImages) {
  auto a = chat(R"({"messages": [{"role": "user", "content": [
      {"type": "text", "text": "what is"}, {"type": "image_url", "image_url": {"url": "data:x"}}]}]})");
  EXPECT_EQ(only(a).text, "what is\n[image]");
}

TEST(Echo, MaxTokensCutsTheAnswer) {
  auto a = chat(R"({"max_tokens": 2, "messages": [{"role": "user", "content": "abcdefghijklmnop"}]})");
  EXPECT_EQ(only(a).text, "abcdefgh");
  EXPECT_EQ(only(a).finish, model::Finish::length);
  EXPECT_EQ(a.usage.completion_tokens, 2);
  auto utf8 = chat(R"({"max_completion_tokens": 1, "messages": [{"role": "user", "content": "ééééé"}]})");
  EXPECT_EQ(only(utf8).text, "éééé");
  // The target's override_params apply.
  auto overridden = chat(R"({"messages": [{"role": "user", "content": "abcdefghijklmnop"}]})", {{"max_tokens", "1"}});
  EXPECT_EQ(only(overridden).text, "abcd");
}

TEST(Echo, StreamDeltasConcatenateToTheAnswer) {
  // A stream request is replayed from the answer, one event per word.
  auto a = chat(R"({"stream": true, "stream_options": {"include_usage": true},
                    "messages": [{"role": "user", "content": "one two  three\nfour é"}]})");
  std::vector<model::StreamEvent> events;
  model::replay(a, true, events);
  std::string text;
  model::Finish finish = model::Finish::none;
  int usage_events = 0, text_events = 0;
  for (const auto& e : events) {
    if (e.type == model::StreamEvent::Type::text) {
      text += e.text;
      ++text_events;
    }
    if (e.type == model::StreamEvent::Type::finish) finish = e.finish;
    if (e.type == model::StreamEvent::Type::usage) {
      ++usage_events;
      EXPECT_EQ(e.usage.completion_tokens, 6);
    }
  }
  EXPECT_EQ(text, "one two  three\nfour é");
  EXPECT_EQ(text_events, 5);
  EXPECT_EQ(finish, model::Finish::stop);
  EXPECT_EQ(usage_events, 1);
  // ... and assembles back to the same answer (main's EchoStreamAssemblesToTheEchoAnswer).
  model::Assembler assembler;
  assembler.add(events);
  model::Answer assembled = assembler.finish();
  assembled.model = a.model;
  assembled.provider = a.provider;
  EXPECT_EQ(stored(assembled), stored(a));
}

TEST(Echo, TokenEstimateCountsCodePoints) {
  EXPECT_EQ(model::estimate_tokens(""), 0);
  EXPECT_EQ(model::estimate_tokens("abcd"), 1);
  EXPECT_EQ(model::estimate_tokens("abcde"), 2);
  EXPECT_EQ(model::estimate_tokens("éééé"), 1);
}

TEST(Echo, NCopies) {
  auto a = chat(R"({"n": 3, "messages": [{"role": "user", "content": "abcd efgh"}]})");
  ASSERT_EQ(a.outputs.size(), 3u);
  for (const auto& o : a.outputs) EXPECT_EQ(o.text, "abcd efgh");
  EXPECT_EQ(a.usage.completion_tokens, 9);
}

TEST(Echo, AnswersToolResultsWithTheirText) {
  auto a = chat(R"({"messages": [
      {"role": "user", "content": "weather in Paris and Rome?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{\"city\":\"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "w", "arguments": "{\"city\":\"Rome\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "Paris: 18C"},
      {"role": "tool", "tool_call_id": "call_2", "content": "Rome: 24C"}]})");
  EXPECT_EQ(only(a).text, "Paris: 18C\nRome: 24C");
  // A user message after the results: echoed as before.
  auto b = chat(R"({"messages": [{"role": "tool", "tool_call_id": "c", "content": "r"}, {"role": "user", "content": "thanks"}]})");
  EXPECT_EQ(only(b).text, "thanks");
}

TEST(Echo, JsonObjectAnswersAnObject) {
  auto a = chat(R"({"response_format": {"type": "json_object"}, "messages": [{"role": "user", "content": "say \"hi\""}]})");
  EXPECT_EQ(only(a).text, R"({"text":"say \"hi\""})");
  auto text = chat(R"({"response_format": {"type": "text"}, "messages": [{"role": "user", "content": "plain"}]})");
  EXPECT_EQ(only(text).text, "plain");
}

TEST(Echo, JsonSchemaAnswersAnInstanceOfTheSchema) {
  auto a = chat(R"({"messages": [{"role": "user", "content": "Ada"}], "response_format": {"type": "json_schema", "json_schema": {
      "name": "person", "strict": true, "schema": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "nickname": {"type": "string"},
          "age": {"type": "integer"},
          "height": {"type": "number"},
          "verified": {"type": "boolean"},
          "tags": {"type": "array", "items": {"type": "string"}},
          "role": {"type": "string", "enum": ["admin", "user"]},
          "kind": {"const": "person"},
          "address": {"$ref": "#/$defs/address"},
          "contact": {"anyOf": [{"type": "object", "properties": {"email": {"type": "string"}}}, {"type": "null"}]},
          "note": {"type": ["null", "string"]},
          "scores": {"type": "array", "items": {"type": "number"}, "minItems": 2}
        },
        "required": ["name", "age", "height", "verified", "tags", "role", "kind", "address", "contact", "note", "scores", "extra"],
        "additionalProperties": false,
        "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                              "required": ["city"]}}}}}})");
  EXPECT_TRUE(same_json(only(a).text, R"({"name":"Ada","age":0,"height":0,"verified":false,"tags":[],"role":"admin",
      "kind":"person","address":{"city":"Ada"},"contact":{"email":"Ada"},"note":"Ada","scores":[0,0],"extra":"Ada"})"))
      << only(a).text;
  // Property order follows the schema's `properties`, so the bytes are deterministic.
  EXPECT_EQ(only(a).text.substr(0, 22), R"({"name":"Ada","age":0,)");
  // Without a schema: as json_object.
  auto no_schema = chat(R"({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "n"}}})");
  EXPECT_EQ(only(no_schema).text, R"({"text":"x"})");
}

TEST(Echo, SchemaInstancesAreDepthBounded) {
  auto a = chat(R"({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {
      "name": "tree", "schema": {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object",
        "properties": {"child": {"$ref": "#/$defs/node"}}, "required": ["child"]}}}}}})");
  std::string text = only(a).text;
  EXPECT_NE(text.find("null"), std::string::npos);
  EXPECT_LT(text.size(), 200u);
  EXPECT_TRUE(same_json(text, text));  // valid JSON
  // A reference that leads nowhere, and odd schemas, still give JSON.
  auto odd = chat(R"({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {
      "name": "odd", "schema": {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}, "b": true, "c": {"type": ["null"]},
        "d": {"items": {"type": "integer"}, "minItems": 100}}}}}})");
  EXPECT_TRUE(same_json(only(odd).text, R"({"a":"x","b":"x","c":null,"d":[0,0,0,0,0,0,0,0]})")) << only(odd).text;
}

constexpr const char* kTools = R"("tools": [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city", "unit"]}}},
    {"type": "function", "function": {"name": "get_time"}}])";

TEST(Echo, ForcedToolChoiceCallsATool) {
  auto a = chat(std::string(R"({"messages": [{"role": "user", "content": "Paris"}], "tool_choice": "required", )") + kTools + "}");
  ASSERT_EQ(only(a).tool_calls.size(), 1u);
  const model::ToolCall& call = only(a).tool_calls[0];
  EXPECT_EQ(call.id, "call_echo_0");
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, R"({"city":"Paris","unit":"c"})");
  EXPECT_EQ(only(a).finish, model::Finish::tool_calls);
  EXPECT_FALSE(only(a).has_text);
  EXPECT_EQ(a.usage.completion_tokens, model::estimate_tokens(call.arguments));
  EXPECT_TRUE(same_json(stored(a), R"({"id":"chatcmpl-test","object":"chat.completion","created":1,"model":"echo-1","provider":"demo",
      "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[
        {"id":"call_echo_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}}]},
        "logprobs":null,"finish_reason":"tool_calls"}],
      "usage":{"prompt_tokens":6,"completion_tokens":7,"total_tokens":13,"cost":0}})"));
  // A named tool, with no parameters: "{}".
  auto named = chat(std::string(R"({"messages": [{"role": "user", "content": "now"}],
      "tool_choice": {"type": "function", "function": {"name": "get_time"}}, )") + kTools + "}");
  EXPECT_EQ(only(named).tool_calls.at(0).name, "get_time");
  EXPECT_EQ(only(named).tool_calls.at(0).arguments, "{}");
  // auto / none / no tools: text as usual.
  auto automatic = chat(std::string(R"({"messages": [{"role": "user", "content": "hi"}], "tool_choice": "auto", )") + kTools + "}");
  EXPECT_TRUE(only(automatic).tool_calls.empty());
  EXPECT_EQ(only(automatic).text, "hi");
}

TEST(Echo, EmbeddingsAreDeterministicUnitVectors) {
  auto env = embeddings_request(R"({"model": "e", "input": ["one", "two"]})");
  auto a = answer(env->request, {}, "embed-1");
  EXPECT_EQ(a.kind, model::Kind::embeddings);
  ASSERT_EQ(a.embeddings.size(), 2u);
  EXPECT_NE(a.embeddings[0], a.embeddings[1]);
  auto vector = parse(a.embeddings[0]);
  ASSERT_TRUE(vector.IsArray());
  EXPECT_EQ(vector.Size(), 16u);
  double norm = 0;
  for (const auto& x : vector.GetArray()) norm += x.GetDouble() * x.GetDouble();
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_EQ(a.usage.prompt_tokens, 2);
  EXPECT_EQ(a.usage.cost, 0);
  EXPECT_EQ(stored(a).substr(0, 22), R"({"object":"list","data)");
  // The same input embeds the same wherever it appears; dimensions and base64.
  auto one = embeddings_request(R"({"model": "e", "input": "one", "dimensions": 4, "encoding_format": "base64"})");
  auto b = answer(one->request);
  ASSERT_EQ(b.embeddings.size(), 1u);
  auto four = embeddings_request(R"({"model": "e", "input": "one", "dimensions": 4})");
  auto floats = parse(answer(four->request).embeddings[0]);
  ASSERT_EQ(floats.Size(), 4u);
  std::string b64 = parse(b.embeddings[0]).GetString();
  EXPECT_EQ(b64.size(), 24u);  // 16 bytes
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  for (size_t i = 0; i + 3 < b64.size(); i += 4) {
    uint32_t n = 0;
    for (int k = 0; k < 4; ++k) n = n << 6 | uint32_t(b64[i + k] == '=' ? 0 : alphabet.find(b64[i + k]));
    bytes += char(n >> 16);
    bytes += char(n >> 8);
    bytes += char(n);
  }
  for (size_t k = 0; k < 4; ++k) {
    float f;
    std::memcpy(&f, bytes.data() + 4 * k, 4);
    EXPECT_FLOAT_EQ(f, float(floats[rapidjson::SizeType(k)].GetDouble()));
  }
  // Token inputs.
  auto tokens = embeddings_request(R"({"model": "e", "input": [[1, 2, 3], [4]]})");
  auto t = answer(tokens->request);
  EXPECT_EQ(t.embeddings.size(), 2u);
  EXPECT_EQ(t.usage.prompt_tokens, 4);
}

TEST(Echo, ListsTheModelsTheConfigNamesForIt) {
  std::vector<config::Problem> problems;
  auto config = config::load(R"({"providers": {"demo": {"type": "echo"}, "other": {"type": "echo"}},
      "models": {"fast": {"strategy": "fallback", "targets": [{"provider": "demo", "model": "echo-1"},
                                                             {"provider": "other", "model": "echo-x"},
                                                             {"provider": "demo", "model": "echo-2"}]}}})",
                             "{}", problems);
  ASSERT_TRUE(config) << (problems.empty() ? "" : problems[0].message);
  const config::Provider& demo = config->providers[size_t(config->find_provider("demo"))];
  auto a = answer(models_request("demo")->request, {}, "", *config, demo);
  EXPECT_EQ(a.kind, model::Kind::models);
  EXPECT_TRUE(same_json(stored(a), R"({"object":"list","data":[
      {"id":"echo-1","object":"model","created":0,"owned_by":"echo"},
      {"id":"echo-2","object":"model","created":0,"owned_by":"echo"}]})"));
}

TEST(Echo, ImagesOfThePrompt) {
  model::Request r;
  r.kind = model::Kind::images;
  r.prompt = "A cute baby sea otter";
  r.sampling.n = 2;
  auto a = answer(r, {}, "echo-img");
  EXPECT_EQ(a.kind, model::Kind::images);
  EXPECT_EQ(a.model, "echo-img");
  EXPECT_EQ(a.provider, "demo");
  ASSERT_EQ(a.images.size(), 2u);
  EXPECT_EQ(a.images[0].media_type, "image/svg+xml");
  EXPECT_FALSE(a.images[0].b64.empty());
  EXPECT_EQ(a.usage.cost, 0);
  EXPECT_EQ(answer(r, {}, "echo-img").images[0].b64, a.images[0].b64) << "deterministic";
  r.prompt = "A cute baby sea lion";
  EXPECT_NE(answer(r, {}, "echo-img").images[0].b64, a.images[0].b64);
  std::string text = stored(a);
  auto doc = parse(text);
  EXPECT_EQ(doc["created"].GetInt(), 1);
  EXPECT_EQ(doc["data"].Size(), 2u);
  EXPECT_TRUE(doc["data"][0].HasMember("b64_json"));
  EXPECT_EQ(doc["usage"]["output_tokens"].GetInt(), 0);
}

TEST(Echo, Capabilities) {
  EXPECT_TRUE(kCodec.caps.images);
  EXPECT_TRUE(kCodec.caps.local && kCodec.caps.free && kCodec.caps.chat && kCodec.caps.embeddings && kCodec.caps.models);
  EXPECT_TRUE(kCodec.caps.token_input && kCodec.caps.n_in_streams);
  EXPECT_EQ(kCodec.caps.max_n, 128);
  EXPECT_NE(kCodec.answer, nullptr);
}

}  // namespace
}  // namespace sy::providers::echo
