// The Responses API as spoken to an `openai` target (src/providers/openai_responses.cc): the
// caller's body with minimal edits to {base_url}/responses, Response objects decoded into
// canonical answers and kept raw, typed SSE events decoded under random splits and handed on
// raw with their names. Payloads from OpenAI's API reference.
#include "providers/openai_responses.h"

#include "providers/openai.h"
#include "wire_test_util.h"

namespace sy::providers::openai_responses {
namespace {

using namespace test;

const config::Provider kProvider = make_provider(config::ProviderType::openai, "https://api.openai.com/v1");
const config::Provider kCompatible = make_provider(config::ProviderType::openai_compatible, "https://api.groq.com/openai/v1");

// A Responses caller's request: format openai_responses, raw = the body (the ingress's own
// reading of it is tested in tests/ingress/openai_responses_test.cc).
EnvelopePtr responses_request(std::string_view body, bool stream = false) {
  auto env = std::make_unique<model::Envelope>();
  env->text = body;
  std::string error;
  EXPECT_TRUE(json::parse(env->text, env->doc, error)) << error;
  env->request.kind = model::Kind::chat;
  env->request.format = model::Format::openai_responses;
  env->request.raw = env->text;
  env->request.stream = stream;
  model::Part& p = env->request.messages.emplace_back().parts.emplace_back();
  p.text = "hi";
  return env;
}

struct Call {
  EnvelopePtr env = responses_request(R"({"model":"fast","input":"hi"})");
  DecodeContext ctx{kProvider, "m", env->request};
};

// ---- which requests come here ------------------------------------------------------------------

TEST(OpenAIResponses, OnlyAResponsesCallersRequestToAnOpenAIProvider) {
  auto env = responses_request(R"({"model":"fast","input":"hi"})");
  EXPECT_TRUE(speaks(kProvider, env->request));
  EXPECT_FALSE(speaks(kCompatible, env->request));
  EXPECT_FALSE(speaks(make_provider(config::ProviderType::azure_openai, "https://x.openai.azure.com", "2024-10-21"),
                      env->request));
  env->request.format = model::Format::openai_chat;
  EXPECT_FALSE(speaks(kProvider, env->request));
  env->request.format = model::Format::openai_responses;
  env->request.raw = {};
  EXPECT_FALSE(speaks(kProvider, env->request));
}

TEST(OpenAIResponses, TheOpenAICodecSendsThemToResponsesAndOthersToChatCompletions) {
  auto env = responses_request(R"({"model":"fast","input":"hi","temperature":0.3})");
  auto native = test::encode(openai::kCodec, kProvider, "gpt-4.1", env->request);
  EXPECT_EQ(native.request.url, "https://api.openai.com/v1/responses");
  EXPECT_EQ(native.request.body, R"({"model":"gpt-4.1","input":"hi","temperature":0.3})");
  auto compatible = test::encode(openai::kCompatibleCodec, kCompatible, "llama-3.1-8b-instant", env->request);
  EXPECT_EQ(compatible.request.url, "https://api.groq.com/openai/v1/chat/completions");
  EXPECT_TRUE(same_json(compatible.request.body,
                        R"({"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]})"));
  // The same codec decodes each the way it encoded.
  DecodeContext ctx{kCompatible, "m", env->request};
  auto chat = openai::kCompatibleCodec.decode(200, R"({"choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}]})", ctx);
  ASSERT_TRUE(chat.ok);
  EXPECT_EQ(chat.answer.raw_format, model::Format::openai_chat);
}

TEST(OpenAIResponses, ChatCompletionsTargetsGetOnlyTheExtrasChatHas) {
  auto env = responses_request(R"({"model":"fast","input":"hi","include":["reasoning.encrypted_content"],"truncation":"auto",)"
                               R"("top_logprobs":2,"reasoning":{"effort":"low","summary":"auto"},"background":false,"verbosity":"low",)"
                               R"("service_tier":"flex","prompt_cache_key":"k","safety_identifier":"h","x_vendor":1})");
  for (auto& m : env->doc.GetObject())
    if (json::view(m.name) != "model" && json::view(m.name) != "input") env->request.extras.emplace_back(json::view(m.name), &m.value);
  auto e = test::encode(openai::kCompatibleCodec, kCompatible, "llama", env->request);
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"llama","messages":[{"role":"user","content":"hi"}],"verbosity":"low",
      "service_tier":"flex","prompt_cache_key":"k","safety_identifier":"h","x_vendor":1})"));
  env->request.format = model::Format::openai_chat;  // a chat caller's members of those names are its own
  env->request.raw = {};
  auto chat = test::encode(openai::kCompatibleCodec, kCompatible, "llama", env->request);
  EXPECT_NE(chat.request.body.find("\"truncation\""), std::string::npos);
  EXPECT_TRUE(responses_only("include"));
  EXPECT_TRUE(responses_only("previous_response_id"));
  EXPECT_FALSE(responses_only("service_tier"));
  EXPECT_FALSE(responses_only("x_vendor"));
}

TEST(OpenAIResponses, NativeOnlyRequestsGoOnlyToANativeCodec) {
  auto env = responses_request(R"({"model":"fast","input":"news?","tools":[{"type":"web_search_preview"}]})");
  env->request.native_only = "tools[0].type";
  EXPECT_TRUE(refusal(openai::kCodec, env->request).param.empty());
  for (config::ProviderType t : {config::ProviderType::openai_compatible, config::ProviderType::azure_openai,
                                 config::ProviderType::anthropic, config::ProviderType::gemini, config::ProviderType::echo}) {
    Refusal r = refusal(codec(t), env->request);
    EXPECT_EQ(r.param, "tools[0].type") << config::provider_type_name(t);
    EXPECT_NE(r.lacks.find("natively"), std::string_view::npos);
  }
  env->request.format = model::Format::openai_chat;  // a native-only member of another format
  EXPECT_EQ(refusal(openai::kCodec, env->request).param, "tools[0].type");
}

// ---- encoding ------------------------------------------------------------------------------------

TEST(OpenAIResponses, TheCallersBodyWithMinimalEdits) {
  const char* body = R"({ "model" : "fast", "input": [ {"role": "user", "content": "hi"} ], "instructions": "Be brief.",)"
                     R"( "previous_response_id": "resp_1", "models": ["a"], "provider": {"order": ["x"]}, "session_id": "s",)"
                     R"( "switchyard": {"cache": "no-store"}, "tools": [{"type": "web_search_preview"}], "stream": true,)"
                     R"( "include": ["reasoning.encrypted_content"] })";
  auto env = responses_request(body, true);
  UpstreamRequest out;
  openai::kCodec.encode({empty_config(), kProvider, "gpt-4.1", env->request, {}}, out);
  EXPECT_EQ(out.method, "POST");
  EXPECT_EQ(out.url, "https://api.openai.com/v1/responses");
  EXPECT_EQ(out.headers, "content-type: application/json\naccept: text/event-stream\nauthorization: Bearer sk-test-secret-key\n");
  EXPECT_EQ(out.body, R"({"model":"gpt-4.1","input":[ {"role": "user", "content": "hi"} ],"instructions":"Be brief.",)"
                      R"("tools":[{"type": "web_search_preview"}],"stream":true,"include":["reasoning.encrypted_content"]})");
}

TEST(OpenAIResponses, OverridesInTheResponsesAPIsNames) {
  auto env = responses_request(R"({"model":"fast","input":"hi","temperature":0.2,"reasoning":{"summary":"auto"},)"
                               R"("text":{"verbosity":"low"}})");
  Overrides overrides{{"temperature", "0.7"},
                      {"max_tokens", "100"},
                      {"max_completion_tokens", "200"},
                      {"reasoning_effort", "\"high\""},
                      {"response_format", R"({"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"},"strict":true}})"},
                      {"seed", "1"},
                      {"stop", "[\"\\n\"]"},
                      {"n", "2"},
                      {"tools", "[]"},
                      {"models", "[]"},
                      {"previous_response_id", "\"resp_9\""},
                      {"service_tier", "\"flex\""}};
  auto e = test::encode(openai::kCodec, kProvider, "o4-mini", env->request, overrides);
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"o4-mini","input":"hi","temperature":0.7,
      "reasoning":{"summary":"auto","effort":"high"},
      "text":{"verbosity":"low","format":{"type":"json_schema","name":"x","schema":{"type":"object"},"strict":true}},
      "max_output_tokens":200,"service_tier":"flex"})"));
  // Without the caller's own reasoning or text, they are made; a json_object format as it is.
  auto bare = responses_request(R"({"model":"fast","input":"hi"})");
  auto made = test::encode(openai::kCodec, kProvider, "o4-mini", bare->request,
                     {{"reasoning_effort", "\"low\""}, {"response_format", R"({"type":"json_object"})"}});
  EXPECT_TRUE(same_json(made.request.body, R"({"model":"o4-mini","input":"hi","reasoning":{"effort":"low"},
      "text":{"format":{"type":"json_object"}}})"));
}

TEST(OpenAIResponses, KeysWithEscapesAreReadThroughAFullParse) {
  auto env = responses_request(R"({"model":"fast","\u0069nput":"hi","x\"y":1})");
  auto e = test::encode(openai::kCodec, kProvider, "gpt-4.1", env->request, {{"temperature", "1"}});
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"gpt-4.1","input":"hi","x\"y":1,"temperature":1})"));
}

// ---- answers -------------------------------------------------------------------------------------

constexpr const char* kTextResponse = R"({
  "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
  "object": "response",
  "created_at": 1741476542,
  "status": "completed",
  "error": null,
  "incomplete_details": null,
  "instructions": null,
  "max_output_tokens": null,
  "model": "gpt-4.1-2025-04-14",
  "output": [
    {
      "type": "message",
      "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
      "status": "completed",
      "role": "assistant",
      "content": [
        {
          "type": "output_text",
          "text": "In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool that reflected the stars.",
          "annotations": []
        }
      ]
    }
  ],
  "parallel_tool_calls": true,
  "previous_response_id": null,
  "reasoning": {"effort": null, "summary": null},
  "store": true,
  "temperature": 1.0,
  "text": {"format": {"type": "text"}},
  "tool_choice": "auto",
  "tools": [],
  "top_p": 1.0,
  "truncation": "disabled",
  "usage": {
    "input_tokens": 36,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 87,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 123
  },
  "user": null,
  "metadata": {}
})";

TEST(OpenAIResponses, DecodesAResponseIntoCanonicalAndRawForms) {
  Call call;
  auto d = openai::kCodec.decode(200, kTextResponse, call.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Answer& a = d.answer;
  EXPECT_FALSE(a.summary);  // the cache keeps the canonical form
  EXPECT_EQ(a.id, "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b");
  EXPECT_EQ(a.created, 1741476542);
  EXPECT_EQ(a.model, "gpt-4.1-2025-04-14");
  EXPECT_EQ(a.provider, "up");
  ASSERT_EQ(a.outputs.size(), 1u);
  EXPECT_EQ(a.outputs[0].text.substr(0, 22), "In a peaceful grove be");
  EXPECT_EQ(a.outputs[0].finish, model::Finish::stop);
  EXPECT_EQ(a.usage.prompt_tokens, 36);
  EXPECT_EQ(a.usage.completion_tokens, 87);
  EXPECT_EQ(a.usage.cached_tokens, 0);
  EXPECT_EQ(a.usage.reasoning_tokens, 0);
  EXPECT_DOUBLE_EQ(a.usage.cost, (36 * 1.0 + 87 * 2.0) / 1e6);
  EXPECT_EQ(a.raw_format, model::Format::openai_responses);
  // The raw body: "provider" first, usage re-serialized with its cost, the rest byte for byte.
  EXPECT_EQ(a.raw.substr(0, 15), R"({"provider":"up)");
  EXPECT_NE(a.raw.find(R"("text": "In a peaceful grove)"), std::string::npos);
  auto raw = parse(a.raw);
  EXPECT_DOUBLE_EQ(raw["usage"]["cost"].GetDouble(), a.usage.cost);
  EXPECT_STREQ(raw["id"].GetString(), "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b");
  // Its stored form is a chat completion like every other answer's.
  auto stored = parse(test::stored(a));
  EXPECT_STREQ(stored["object"].GetString(), "chat.completion");
  EXPECT_STREQ(stored["choices"][0]["message"]["content"].GetString(), a.outputs[0].text.c_str());
}

TEST(OpenAIResponses, DecodesFunctionCallsAndReasoning) {
  Call call;
  auto d = openai::kCodec.decode(200, R"({"id":"resp_1","object":"response","created_at":1741294021,"status":"completed",
    "model":"o4-mini-2025-04-16","output":[
      {"id":"rs_6876cf02e0bc8192b74af0fb64b715ff06fa2fcced15a5ac","type":"reasoning","summary":[
        {"type":"summary_text","text":"**Checking the weather**"},{"type":"summary_text","text":"I should call the tool."}],
       "encrypted_content":"gAAAAABod2-sealed"},
      {"id":"rs_2","type":"reasoning","summary":[],"encrypted_content":"gAAAAABod2-opaque"},
      {"id":"rs_3","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"raw "},{"type":"reasoning_text","text":"thought"}]},
      {"id":"rs_4","type":"reasoning","summary":[]},
      {"type":"function_call","id":"fc_67ca09c6bedc8190a7abfec07b1a1332096610f474011cc0","call_id":"call_unLAR8MvFNptuiZK6K6HCy5k",
       "name":"get_current_weather","arguments":"{\"location\":\"Boston, MA\",\"unit\":\"celsius\"}","status":"completed"},
      {"type":"web_search_call","id":"ws_1","status":"completed"},
      {"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"refusal","refusal":"Not that."}]}],
    "usage":{"input_tokens":291,"input_tokens_details":{"cached_tokens":128},"output_tokens":23,
             "output_tokens_details":{"reasoning_tokens":12},"total_tokens":314}})",
                                 call.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Output& o = d.answer.outputs[0];
  ASSERT_EQ(o.reasoning.size(), 3u);
  EXPECT_EQ(o.reasoning[0].text, "**Checking the weather**\n\nI should call the tool.");
  EXPECT_EQ(o.reasoning[0].signature, "gAAAAABod2-sealed");
  EXPECT_FALSE(o.reasoning[0].redacted);
  EXPECT_TRUE(o.reasoning[1].redacted);
  EXPECT_EQ(o.reasoning[1].text, "gAAAAABod2-opaque");
  EXPECT_EQ(o.reasoning[2].text, "raw thought");
  ASSERT_EQ(o.tool_calls.size(), 1u);
  EXPECT_EQ(o.tool_calls[0].id, "call_unLAR8MvFNptuiZK6K6HCy5k");
  EXPECT_EQ(o.tool_calls[0].name, "get_current_weather");
  EXPECT_EQ(o.tool_calls[0].arguments, "{\"location\":\"Boston, MA\",\"unit\":\"celsius\"}");
  EXPECT_EQ(o.refusal, "Not that.");
  EXPECT_FALSE(o.has_text);
  EXPECT_EQ(o.finish, model::Finish::tool_calls);
  EXPECT_EQ(d.answer.usage.cached_tokens, 128);
  EXPECT_EQ(d.answer.usage.reasoning_tokens, 12);
}

TEST(OpenAIResponses, IncompleteResponses) {
  Call call;
  auto length = openai::kCodec.decode(200, R"({"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},
      "output":[{"type":"message","content":[{"type":"output_text","text":"Once upon"}]}]})", call.ctx);
  ASSERT_TRUE(length.ok);
  EXPECT_EQ(length.answer.outputs[0].finish, model::Finish::length);
  EXPECT_EQ(length.answer.outputs[0].text, "Once upon");
  auto filtered = openai::kCodec.decode(200, R"({"id":"r","status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})", call.ctx);
  EXPECT_EQ(filtered.answer.outputs[0].finish, model::Finish::content_filter);
  EXPECT_FALSE(filtered.answer.usage.known);
  // Without a price the upstream's own cost stays (another Switchyard's).
  DecodeContext unpriced{kProvider, "unpriced-model", call.env->request};
  auto kept = openai::kCodec.decode(200, R"({"id":"r","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":1,"cost":0.5}})", unpriced);
  EXPECT_DOUBLE_EQ(kept.answer.usage.cost, 0.5);
  EXPECT_EQ(kept.answer.raw, R"({"provider":"up","id":"r","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":1,"cost":0.5}})");
}

TEST(OpenAIResponses, MapsErrors) {
  Call call;
  auto too_long = openai::kCodec.decode(400, R"({"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}})", call.ctx);
  EXPECT_EQ(too_long.outcome, health::Outcome::context_length);
  EXPECT_EQ(too_long.error.param, "input");
  auto missing = openai::kCodec.decode(400, R"({"error":{"message":"Previous response with id 'resp_x' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}})", call.ctx);
  EXPECT_EQ(missing.outcome, health::Outcome::bad_request);
  EXPECT_EQ(missing.error.status, 400);
  EXPECT_EQ(openai::kCodec.decode(429, R"({"error":{"message":"Rate limit reached"}})", call.ctx).outcome, health::Outcome::status_429);
  auto key = openai::kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key."}})", call.ctx);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(key.error.message.find("sk-test-secret-key"), std::string::npos);
  auto failed = openai::kCodec.decode(200, R"({"id":"r","object":"response","status":"failed","error":{"code":"server_error","message":"The model failed (sk-test-secret-key)."},"output":[]})", call.ctx);
  EXPECT_EQ(failed.outcome, health::Outcome::error_body_200);
  EXPECT_EQ(failed.error.message, "upstream up answered 200 with an error: The model failed ([redacted]).");
  EXPECT_EQ(openai::kCodec.decode(200, R"({"status":"failed","output":[]})", call.ctx).outcome, health::Outcome::error_body_200);
  for (const char* bad : {"not json", "[]", R"({"status":"completed"})", R"({"status":"completed","output":{}})",
                          R"({"status":"queued","output":[]})", R"({"status":"in_progress","output":[]})", R"({"output":[]})"}) {
    auto d = openai::kCodec.decode(200, bad, call.ctx);
    EXPECT_FALSE(d.ok) << bad;
    EXPECT_EQ(d.outcome, health::Outcome::malformed) << bad;
    EXPECT_EQ(d.error.code, "bad_upstream_response") << bad;
  }
}

TEST(OpenAIResponses, RawBodiesNeverHoldTheKey) {
  Call call;
  // Escaped keys force a re-serialization, which writes the key plainly: redacted after.
  auto d = openai::kCodec.decode(200, R"({"\u0069d":"r","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"sk-test-secret-\u006bey"}]}],"usage":{"input_tokens":1,"output_tokens":1}})", call.ctx);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.answer.raw.find("sk-test-secret-key"), std::string::npos) << d.answer.raw;
  EXPECT_NE(d.answer.raw.find("[redacted]"), std::string::npos);
}

// ---- streams -------------------------------------------------------------------------------------

// OpenAI's streaming example (text), event names included.
constexpr const char* kTextStream[][2] = {
    {"response.created", R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"You are a helpful assistant.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}})"},
    {"response.in_progress", R"({"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}})"},
    {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"in_progress","role":"assistant","content":[]}})"},
    {"response.content_part.added", R"({"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}})"},
    {"response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"delta":"Hi"})"},
    {"response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"delta":" there!"})"},
    {"response.output_text.done", R"({"type":"response.output_text.done","sequence_number":6,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"text":"Hi there!"})"},
    {"response.content_part.done", R"({"type":"response.content_part.done","sequence_number":7,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"part":{"type":"output_text","text":"Hi there!","annotations":[]}})"},
    {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi there!","annotations":[]}]}})"},
    {"response.completed", R"({"type":"response.completed","sequence_number":9,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi there!","annotations":[]}]}],"usage":{"input_tokens":37,"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}})"},
};

template <size_t N>
std::string sse(const char* const (&events)[N][2]) {
  std::string out;
  for (const auto& [name, data] : events) out += "event: " + std::string(name) + "\ndata: " + data + "\n\n";
  return out;
}

// Records each group's raw event name too (wire_test_util's sink keeps the data only).
class NamingSink final : public StreamSink {
 public:
  void on_events(std::span<const model::StreamEvent>, const model::RawEvent& raw) override {
    EXPECT_EQ(raw.format, model::Format::openai_responses);
    names.emplace_back(raw.event);
  }
  std::vector<std::string> names;
};

TEST(OpenAIResponses, StreamsCanonicalEventsAndRawNamedEvents) {
  Call call;
  std::string stream = sse(kTextStream);
  auto r = run_stream(openai::kCodec, call.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.finished, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{"text[0] \"Hi\"", "text[0] \" there!\"", "finish[0] stop",
                                                "usage 37+11 cached=-1 reasoning=0 cost=5.9e-05"}));
  ASSERT_EQ(r.raw.size(), std::size(kTextStream));
  for (size_t i = 0; i < r.raw.size(); ++i) EXPECT_EQ(r.raw[i], kTextStream[i][1]);
  EXPECT_EQ(r.groups, (std::vector<size_t>{0, 0, 0, 0, 1, 1, 0, 0, 0, 2}));
  EXPECT_EQ(r.answer.outputs[0].text, "Hi there!");
  EXPECT_DOUBLE_EQ(r.usage.cost, 59e-6);
  expect_split_invariant(openai::kCodec, call.ctx, stream);
  auto decoder = openai::kCodec.stream(call.ctx);
  NamingSink names;
  decoder->feed(stream, names);
  ASSERT_EQ(names.names.size(), std::size(kTextStream));
  for (size_t i = 0; i < names.names.size(); ++i) EXPECT_EQ(names.names[i], kTextStream[i][0]);
}

TEST(OpenAIResponses, StreamsReasoningRefusalsAndFunctionCalls) {
  Call call;
  const char* events[][2] = {
      {"response.created", R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","output":[]}})"},
      {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","type":"reasoning","summary":[]}})"},
      {"response.reasoning_summary_part.added", R"({"type":"response.reasoning_summary_part.added","sequence_number":2,"item_id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}})"},
      {"response.reasoning_summary_text.delta", R"({"type":"response.reasoning_summary_text.delta","sequence_number":3,"item_id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","output_index":0,"summary_index":0,"delta":"**Responding to a greeting**"})"},
      {"response.reasoning_summary_part.added", R"({"type":"response.reasoning_summary_part.added","sequence_number":4,"item_id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}})"},
      {"response.reasoning_summary_text.delta", R"({"type":"response.reasoning_summary_text.delta","sequence_number":5,"item_id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","output_index":0,"summary_index":1,"delta":"Then the tool."})"},
      {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","type":"reasoning","summary":[{"type":"summary_text","text":"**Responding to a greeting**"},{"type":"summary_text","text":"Then the tool."}],"encrypted_content":"gAAAA-sealed"}})"},
      {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":7,"output_index":1,"item":{"type":"function_call","id":"fc_1234xyz","call_id":"call_1234xyz","name":"get_weather","arguments":""}})"},
      {"response.function_call_arguments.delta", R"({"type":"response.function_call_arguments.delta","sequence_number":8,"item_id":"fc_1234xyz","output_index":1,"delta":"{\""})"},
      {"response.function_call_arguments.delta", R"({"type":"response.function_call_arguments.delta","sequence_number":9,"item_id":"fc_1234xyz","output_index":1,"delta":"location\":\"Paris, France\"}"})"},
      {"response.function_call_arguments.done", R"({"type":"response.function_call_arguments.done","sequence_number":10,"item_id":"fc_1234xyz","output_index":1,"arguments":"{\"location\":\"Paris, France\"}"})"},
      {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":11,"output_index":1,"item":{"type":"function_call","id":"fc_1234xyz","call_id":"call_1234xyz","name":"get_weather","arguments":"{\"location\":\"Paris, France\"}"}})"},
      // An item whose whole content came only with its done event (no deltas).
      {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":12,"output_index":2,"item":{"type":"function_call","id":"fc_2","call_id":"call_2","name":"get_time","arguments":"{}"}})"},
      {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":13,"output_index":3,"item":{"type":"message","id":"msg_1","role":"assistant","content":[]}})"},
      {"response.refusal.delta", R"({"type":"response.refusal.delta","sequence_number":14,"item_id":"msg_1","output_index":3,"content_index":0,"delta":"No."})"},
      {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":15,"output_index":4,"item":{"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"opaque"}})"},
      {"response.output_item.done", R"({"type":"response.output_item.done","sequence_number":16,"output_index":5,"item":{"type":"message","id":"msg_2","content":[{"type":"output_text","text":"late text"}]}})"},
      {"response.completed", R"({"type":"response.completed","sequence_number":17,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":20,"output_tokens_details":{"reasoning_tokens":8},"total_tokens":30}}})"},
  };
  std::string stream = sse(events);
  auto r = run_stream(openai::kCodec, call.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{
                          "reasoning[0] \"**Responding to a greeting**\"",
                          "reasoning[0] \"\\n\\n\"",
                          "reasoning[0] \"Then the tool.\"",
                          "reasoning[0] \"\" sig=\"gAAAA-sealed\"",
                          "tool_call[0].0 id=call_1234xyz name=get_weather \"\"",
                          "tool_arguments[0].0 \"{\\\"\"",
                          "tool_arguments[0].0 \"location\\\":\\\"Paris, France\\\"}\"",
                          "tool_call[0].1 id=call_2 name=get_time \"{}\"",
                          "refusal[0] \"No.\"",
                          "reasoning[0] \"opaque\" redacted",
                          "text[0] \"late text\"",
                          "finish[0] tool_calls",
                          "usage 10+20 cached=4 reasoning=8 cost=5e-05",
                      }));
  const model::Output& o = r.answer.outputs[0];
  ASSERT_EQ(o.reasoning.size(), 2u);
  EXPECT_EQ(o.reasoning[0].text, "**Responding to a greeting**\n\nThen the tool.");
  EXPECT_EQ(o.reasoning[0].signature, "gAAAA-sealed");
  EXPECT_TRUE(o.reasoning[1].redacted);
  EXPECT_EQ(o.tool_calls[0].arguments, "{\"location\":\"Paris, France\"}");
  EXPECT_EQ(o.tool_calls[1].name, "get_time");
  expect_split_invariant(openai::kCodec, call.ctx, stream);
}

TEST(OpenAIResponses, AnIncompleteStreamEndsWithItsReason) {
  Call call;
  auto r = run_stream(openai::kCodec, call.ctx,
                      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"Once\"}\n\n"
                      "event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"usage\":{\"input_tokens\":3,\"output_tokens\":16}}}\n\n");
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{"text[0] \"Once\"", "finish[0] length",
                                                "usage 3+16 cached=-1 reasoning=-1 cost=3.5e-05"}));
  // The event type may come from the SSE name alone.
  auto named = run_stream(openai::kCodec, call.ctx, "event: response.completed\ndata: {\"response\":{}}\n\n");
  EXPECT_EQ(named.state, StreamDecoder::State::done);
  EXPECT_EQ(named.events, (std::vector<std::string>{"finish[0] stop"}));
}

TEST(OpenAIResponses, StreamFailures) {
  Call call;
  auto error = run_stream(openai::kCodec, call.ctx,
                          "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n"
                          "event: error\ndata: {\"type\":\"error\",\"code\":\"ERR_SOMETHING\",\"message\":\"Something went wrong (sk-test-secret-key)\",\"param\":null,\"sequence_number\":1}\n\n");
  EXPECT_EQ(error.state, StreamDecoder::State::failed);
  EXPECT_EQ(error.error.status, 502);
  EXPECT_EQ(error.error.code, "ERR_SOMETHING");
  EXPECT_EQ(error.error.message, "upstream up failed mid-stream: Something went wrong ([redacted])");
  EXPECT_EQ(error.outcome, health::Outcome::status_5xx);
  EXPECT_EQ(error.events, (std::vector<std::string>{"text[0] \"Hi\""}));
  EXPECT_EQ(error.raw.size(), 1u);  // the failing event is not handed on
  auto nested = run_stream(openai::kCodec, call.ctx,
                           "event: error\ndata: {\"type\":\"error\",\"sequence_number\":2,\"error\":{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\",\"message\":\"You exceeded your current quota.\"}}\n\n");
  EXPECT_EQ(nested.outcome, health::Outcome::status_429);
  EXPECT_EQ(nested.error.message, "upstream up failed mid-stream: You exceeded your current quota.");
  auto failed = run_stream(openai::kCodec, call.ctx,
                           "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_123\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"Slow down.\"},\"output\":[]}}\n\n");
  EXPECT_EQ(failed.state, StreamDecoder::State::failed);
  EXPECT_EQ(failed.outcome, health::Outcome::status_429);
  EXPECT_EQ(failed.error.code, "rate_limit_exceeded");
  auto bare = run_stream(openai::kCodec, call.ctx, "event: response.failed\ndata: {\"type\":\"response.failed\"}\n\n");
  EXPECT_EQ(bare.error.message, "upstream up failed mid-stream: the response failed");
  auto context = run_stream(openai::kCodec, call.ctx, "data: {\"type\":\"error\",\"code\":\"context_length_exceeded\",\"message\":\"too long\"}\n\n");
  EXPECT_EQ(context.outcome, health::Outcome::context_length);
  auto garbage = run_stream(openai::kCodec, call.ctx, "data: {nope\n\n");
  EXPECT_EQ(garbage.error.message, "upstream sent a stream event that is not JSON");
  auto cut = run_stream(openai::kCodec, call.ctx, sse(kTextStream).substr(0, 1200));
  EXPECT_EQ(cut.state, StreamDecoder::State::open);
  EXPECT_EQ(cut.finished, StreamDecoder::State::failed);
  EXPECT_EQ(cut.error.message, "upstream stream ended before response.completed");
}

TEST(OpenAIResponses, HostileStreamsStayBounded) {
  Call call;
  std::string stream =
      "data: {\"type\":\"response.output_text.delta\",\"output_index\":4000000000,\"delta\":\"x\"}\n\n"
      "data: {\"type\":\"response.output_text.delta\",\"output_index\":-1,\"delta\":\"x\"}\n\n"
      "data: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":5}\n\n"
      "data: {\"type\":\"response.function_call_arguments.delta\",\"output_index\":3,\"delta\":\"orphan\"}\n\n";
  for (int i = 0; i < 200; ++i)
    stream += "data: {\"type\":\"response.output_item.added\",\"output_index\":" + std::to_string(i + 10) +
              ",\"item\":{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\",\"arguments\":\"\"}}\n\n";
  stream += "data: {\"type\":\"response.completed\",\"response\":{}}\n\n";
  auto r = run_stream(openai::kCodec, call.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events.size(), 128u + 1u);  // 128 calls at most, then the finish
  EXPECT_EQ(r.answer.outputs[0].tool_calls.size(), 128u);
}

TEST(OpenAIResponses, MultiLineAndKeyHoldingEventsReachTheCallerAsOneScrubbedLine) {
  Call call;
  auto r = run_stream(openai::kCodec, call.ctx,
                      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\n"
                      "data: \"output_index\":0,\"delta\":\"key sk-test-secret-key\"}\n\n"
                      "data: {\"type\":\"response.completed\",\"response\":{}}\n\n");
  EXPECT_EQ(r.events.at(0), "text[0] \"key [redacted]\"");
  EXPECT_EQ(r.raw.at(0), "{\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"key [redacted]\"}");
}

// The gateway resolves previous_response_id itself and does not send it; the upstream's Response
// (and the stream events that carry one) still say which response it continued.
TEST(OpenAIResponses, AResolvedPreviousResponseIdIsNamedInTheRawAnswer) {
  Call call;
  call.env->request.previous_response_id = "resp_before";
  auto d = openai::kCodec.decode(200, kTextResponse, call.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_STREQ(parse(d.answer.raw)["previous_response_id"].GetString(), "resp_before");
  auto absent = openai::kCodec.decode(200, R"({"id":"resp_2","object":"response","status":"completed","output":[]})", call.ctx);
  ASSERT_TRUE(absent.ok) << absent.error.message;
  EXPECT_STREQ(parse(absent.answer.raw)["previous_response_id"].GetString(), "resp_before");
  auto r = run_stream(openai::kCodec, call.ctx, sse(kTextStream));
  ASSERT_EQ(r.raw.size(), std::size(kTextStream));
  EXPECT_STREQ(parse(r.raw.front())["response"]["previous_response_id"].GetString(), "resp_before");
  EXPECT_STREQ(parse(r.raw.back())["response"]["previous_response_id"].GetString(), "resp_before");
  EXPECT_EQ(r.raw[3], kTextStream[3][1]);  // events without a Response go as they came
  Call plain;
  EXPECT_TRUE(parse(openai::kCodec.decode(200, kTextResponse, plain.ctx).answer.raw)["previous_response_id"].IsNull());
}

}  // namespace
}  // namespace sy::providers::openai_responses
