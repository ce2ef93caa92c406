// The openai codec: the same-format fast path, chat bodies rendered from canonical requests,
// answers (canonical + minimally edited raw, conformance members), errors, streams, embeddings
// and the model list (payloads from OpenAI's API reference).
#include "providers/openai.h"

#include "wire_test_util.h"

namespace sy::providers::openai {
namespace {

using namespace test;

const config::Provider kProvider = make_provider(config::ProviderType::openai, "https://api.openai.com/v1");

constexpr const char* kChatRequest = R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})";

// ---- encoding: the fast path -----------------------------------------------------------------

TEST(OpenAI, FastPathSplicesTheCallersBodyWithMinimalEdits) {
  // Whitespace inside values, member order and unknown members are kept byte for byte; the
  // model is the target's, routing members go, overrides replace or join. These bytes are what
  // main's splice_body produced for the same input.
  const char* body = R"({ "model" : "fast", "messages": [ {"role": "user", "content": "hi"} ],)"
                     R"( "temperature": 0.2, "models": ["a", "b"], "provider": {"order": ["x"]},)"
                     R"( "session_id": "s-1", "switchyard": {"cache": "no-store"}, "stream": true,)"
                     R"( "x_vendor": {"keep": [1, 2]} })";
  auto env = chat_request(body);
  UpstreamRequest out;
  Overrides overrides{{"temperature", "0.7"}, {"max_tokens", "100"}, {"seed", "1"}, {"seed", "2"}, {"models", "[]"}};
  kCodec.encode({empty_config(), kProvider, "gpt-4o-mini", env->request, overrides}, out);
  EXPECT_EQ(out.body,
            R"({"model":"gpt-4o-mini","messages":[ {"role": "user", "content": "hi"} ],"temperature":0.7,"stream":true,)"
            R"("x_vendor":{"keep": [1, 2]},"max_tokens":100,"seed":2})");
  EXPECT_EQ(out.method, "POST");
  EXPECT_EQ(out.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(out.headers,
            "content-type: application/json\naccept: text/event-stream\nauthorization: Bearer sk-test-secret-key\n");
}

TEST(OpenAI, FastPathOnlyForTheSameFormat) {
  auto env = chat_request(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  env->request.format = model::Format::none;  // another format's caller: rendered, not spliced
  auto e = encode(kCodec, kProvider, "gpt-4o-mini", env->request);
  EXPECT_EQ(e.request.body, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  // A key with an escape cannot be spliced: the body is rendered from the canonical request.
  auto escaped = encode(kCodec, kProvider, "gpt-4o-mini", R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"x\u0041":1})");
  EXPECT_TRUE(same_json(escaped.request.body, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"xA":1})"));
}

TEST(OpenAI, HeadersCarryTheProvidersOwn) {
  config::Provider p = kProvider;
  p.api_key.clear();
  p.headers.emplace_back("openai-organization", "org-1");
  auto e = encode(kCodec, p, "m", kChatRequest);
  EXPECT_EQ(e.request.headers, "content-type: application/json\nopenai-organization: org-1\n");
}

// ---- encoding: rendered from canonical fields ---------------------------------------------------

TEST(OpenAI, RendersEveryPartOfACanonicalRequest) {
  const char* body = R"({
    "model": "fast",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
      {"role": "user", "name": "ann", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
        {"type": "file", "file": {"file_id": "file-abc123"}}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
      {"role": "assistant", "content": null, "refusal": "I can't help with that."},
      {"role": "assistant", "content": "Sure.", "reasoning": "thinking is not sent"}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "strict": true}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": false,
    "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema": {"type": "object"}, "strict": true}},
    "temperature": 0.3, "top_p": 0.9, "presence_penalty": 0.1, "frequency_penalty": -0.1, "seed": 42, "n": 2,
    "stop": ["END", "STOP"], "logprobs": true, "top_logprobs": 3, "logit_bias": {"50256": -100},
    "max_completion_tokens": 300, "reasoning_effort": "low", "stream": true, "stream_options": {"include_usage": false},
    "user": "u-1", "metadata": {"team": "a"}, "service_tier": "flex", "switchyard": {"cache": "no-store"}
  })";
  auto e = encode_rendered(kCodec, kProvider, "gpt-4o", body, {{"temperature", "0.5"}, {"prediction", "{\"type\":\"content\",\"content\":\"x\"}"}});
  EXPECT_TRUE(same_json(e.request.body, R"({
    "model": "gpt-4o",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": "Answer in French."},
      {"role": "user", "name": "ann", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
        {"type": "file", "file": {"file_id": "file-abc123"}}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
      {"role": "assistant", "content": null, "refusal": "I can't help with that."},
      {"role": "assistant", "content": "Sure."}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "strict": true}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": false,
    "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema": {"type": "object"}, "strict": true}},
    "temperature": 0.5, "top_p": 0.9, "presence_penalty": 0.1, "frequency_penalty": -0.1, "seed": 42, "n": 2,
    "stop": ["END", "STOP"], "logprobs": true, "top_logprobs": 3, "logit_bias": {"50256": -100},
    "max_tokens": 300, "reasoning_effort": "low", "stream": true, "stream_options": {"include_usage": true},
    "user": "u-1", "metadata": {"team": "a"}, "service_tier": "flex",
    "prediction": {"type": "content", "content": "x"}
  })"));
}

TEST(OpenAI, RendersToolChoiceModesAndResponseFormats) {
  auto body = [](std::string_view members) {
    return encode_rendered(kCodec, kProvider, "m",
                           std::string(R"({"model":"x","messages":[{"role":"user","content":"hi"}],)") + std::string(members) + "}")
        .request.body;
  };
  const char* head = R"({"model":"m","messages":[{"role":"user","content":"hi"}],)";
  EXPECT_EQ(body(R"("tool_choice":"auto")"), std::string(head) + R"("tool_choice":"auto"})");
  EXPECT_EQ(body(R"("tool_choice":"none")"), std::string(head) + R"("tool_choice":"none"})");
  EXPECT_EQ(body(R"("tool_choice":"required")"), std::string(head) + R"("tool_choice":"required"})");
  EXPECT_EQ(body(R"("response_format":{"type":"json_object"})"), std::string(head) + R"("response_format":{"type":"json_object"}})");
  EXPECT_EQ(body(R"("response_format":{"type":"text"})"), std::string(head) + R"("response_format":{"type":"text"}})");
  EXPECT_EQ(body(R"("stop":"END","max_tokens":5)"), std::string(head) + R"("stop":["END"],"max_tokens":5})");
}

TEST(OpenAI, RendersToolResultsAheadOfTheRestOfTheirMessage) {
  // A canonical user message holding tool results and text (as an Anthropic caller sends it):
  // OpenAI needs one tool message per result, then the user's text.
  auto env = chat_request(R"({"model":"x","messages":[{"role":"user","content":"and now?"}]})");
  model::Request& r = env->request;
  r.format = model::Format::none;
  model::Message& m = r.messages[0];
  model::Part a, b;
  a.type = b.type = model::PartType::tool_result;
  a.id = "toolu_1";
  a.text = "result one";
  b.id = "toolu_2";
  b.text = "result two";
  m.parts.insert(m.parts.begin(), {a, b});
  model::Part thinking;
  thinking.type = model::PartType::reasoning;
  thinking.text = "not sent";
  model::Message only_thinking;
  only_thinking.role = model::Role::assistant;
  only_thinking.parts.push_back(thinking);
  r.messages.insert(r.messages.begin(), only_thinking);
  auto e = encode(kCodec, kProvider, "m", r);
  EXPECT_EQ(e.request.body,
            R"({"model":"m","messages":[{"role":"tool","tool_call_id":"toolu_1","content":"result one"},)"
            R"({"role":"tool","tool_call_id":"toolu_2","content":"result two"},{"role":"user","content":"and now?"}]})");
}

TEST(OpenAI, KeepsToolsOfOtherTypesWhole) {
  auto e = encode_rendered(kCodec, kProvider, "m",
                           R"({"model":"x","messages":[{"role":"user","content":"hi"}],)"
                           R"("tools":[{"type":"custom","custom":{"name":"grammar_tool","description":"d"}}]})");
  EXPECT_TRUE(same_json(e.request.body, R"({"model":"m","messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"custom","custom":{"name":"grammar_tool","description":"d"}}]})"));
}

// An Anthropic Messages caller's extras (container, context_management, …) are Anthropic's
// members, which OpenAI would refuse: not sent. Another format's extras are.
TEST(OpenAI, ExtrasOfAnAnthropicCallerAreNotSent) {
  auto env = chat_request(R"({"model":"x","messages":[{"role":"user","content":"hi"}],"temperature":0.5,)"
                          R"("context_management":{"edits":[]},"container":"c-1"})");
  ASSERT_EQ(env->request.extras.size(), 2u);
  env->request.format = model::Format::anthropic_messages;
  auto e = encode(kCodec, kProvider, "m", env->request);
  EXPECT_EQ(e.request.body, R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  env->request.format = model::Format::none;
  auto other = encode(kCodec, kProvider, "m", env->request);
  EXPECT_TRUE(same_json(other.request.body, R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.5,
      "context_management":{"edits":[]},"container":"c-1"})"));
}

// ---- answers ------------------------------------------------------------------------------------

constexpr const char* kAnswer = R"({
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4.1-2025-04-14",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
               "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
  "service_tier": "default"
})";

struct Chat {
  // `of_another_format`: the caller does not speak OpenAI's format, so decoded answers carry
  // their content canonically (an OpenAI caller is sent the raw answer: Answer::summary).
  explicit Chat(bool of_another_format = false) {
    if (of_another_format) env->request.format = model::Format::none;
  }
  EnvelopePtr env = chat_request(kChatRequest);
  DecodeContext ctx{kProvider, "m", env->request};
};

TEST(OpenAI, DecodesAnAnswerIntoCanonicalAndRawForms) {
  Chat chat(true);
  auto d = kCodec.decode(200, kAnswer, chat.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  const model::Answer& a = d.answer;
  EXPECT_EQ(a.id, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
  EXPECT_EQ(a.model, "gpt-4.1-2025-04-14");
  EXPECT_EQ(a.provider, "up");
  ASSERT_EQ(a.outputs.size(), 1u);
  EXPECT_EQ(a.outputs[0].text, "Hello! How can I assist you today?");
  EXPECT_EQ(a.outputs[0].finish, model::Finish::stop);
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 19);
  EXPECT_EQ(a.usage.cached_tokens, 0);
  EXPECT_DOUBLE_EQ(a.usage.cost, (19 * 1.0 + 10 * 2.0) / 1e6);
  // The raw form: the upstream's bytes with provider first and usage.cost added; nothing else
  // re-serialized (the choices keep their spacing).
  EXPECT_EQ(a.raw_format, model::Format::openai_chat);
  EXPECT_EQ(a.raw.substr(0, 16), "{\"provider\":\"up\"");
  EXPECT_NE(a.raw.find(R"("choices":[{"index": 0, "message": {"role": "assistant")"), std::string::npos) << a.raw;
  EXPECT_TRUE(same_json(a.raw, R"({"provider":"up","id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion",
    "created":1741569952,"model":"gpt-4.1-2025-04-14",
    "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},
                "logprobs":null,"finish_reason":"stop"}],
    "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
             "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
             "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0},
             "cost":0.000039},
    "service_tier":"default"})"));
  EXPECT_EQ(stored(a), a.raw);  // what the exchange stores and answers
}

TEST(OpenAI, AddsTheMembersOpenAIsSchemaRequiresOnlyWhenMissing) {
  // OpenAI's own "Functions" example answer has no refusal; compatible servers often omit both.
  Chat chat(true);
  auto d = kCodec.decode(200, R"({"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1699896916, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_abc123", "type": "function", "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}}]},
      "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}})",
                         chat.ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.answer.raw, R"({"provider":"up","id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,
    "model":"gpt-4o-mini",
    "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
      {"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{\n\"location\": \"Boston, MA\"\n}"}}],
      "refusal":null},"finish_reason":"tool_calls","logprobs":null}],
    "usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,"cost":0.000116}})"));
  ASSERT_EQ(d.answer.outputs[0].tool_calls.size(), 1u);
  EXPECT_EQ(d.answer.outputs[0].tool_calls[0].name, "get_current_weather");
  EXPECT_EQ(d.answer.outputs[0].finish, model::Finish::tool_calls);
  EXPECT_FALSE(d.answer.outputs[0].has_text);
  // Already conformant: the choices are copied, not re-serialized.
  auto same = kCodec.decode(200, R"({"choices":[{"index":0,"message":{"content":"x", "refusal":null},"logprobs":null,"finish_reason":"stop"}]})",
                            chat.ctx);
  ASSERT_TRUE(same.ok);
  EXPECT_EQ(same.answer.raw,
            R"({"provider":"up","choices":[{"index":0,"message":{"content":"x", "refusal":null},"logprobs":null,"finish_reason":"stop"}]})");
}

TEST(OpenAI, PricesAndKeepsTheUpstreamsCost) {
  Chat chat;
  // No price for the model: the upstream's own cost (OpenRouter reports one) is kept.
  DecodeContext unpriced{kProvider, "other", chat.env->request};
  const char* body = R"({"choices":[{"index":0,"message":{"content":"x","refusal":null},"logprobs":null,"finish_reason":"stop"}],)"
                     R"("usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"cost":0.0042}})";
  auto d = kCodec.decode(200, body, unpriced);
  ASSERT_TRUE(d.ok);
  EXPECT_DOUBLE_EQ(d.answer.usage.cost, 0.0042);
  EXPECT_EQ(d.answer.raw, std::string(R"({"provider":"up",)") + (body + 1));
  // A price: ours replaces it.
  auto priced = kCodec.decode(200, body, chat.ctx);
  EXPECT_DOUBLE_EQ(priced.answer.usage.cost, 14e-6);
  EXPECT_NE(priced.answer.raw.find("\"cost\":0.000014"), std::string::npos) << priced.answer.raw;
  // A provider member of the upstream's is replaced by ours.
  auto named = kCodec.decode(200, R"({"provider":"OpenAI","choices":[]})", chat.ctx);
  EXPECT_EQ(named.answer.raw, R"({"provider":"up","choices":[]})");
}

TEST(OpenAI, MapsErrors) {
  Chat chat;
  auto too_long = kCodec.decode(400, R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
                                chat.ctx);
  EXPECT_FALSE(too_long.ok);
  EXPECT_EQ(too_long.outcome, health::Outcome::context_length);
  EXPECT_EQ(too_long.error.type, ErrorType::context_length_exceeded);
  EXPECT_EQ(too_long.error.param, "messages");
  auto filtered = kCodec.decode(400, R"({"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","code":"content_policy_violation"}})",
                                chat.ctx);
  EXPECT_EQ(filtered.outcome, health::Outcome::content_filter);
  auto key = kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
                           chat.ctx);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(key.error.message.find("sk-test-secret-key"), std::string::npos) << key.error.message;
  EXPECT_NE(key.error.message.find("upstream up answered 401"), std::string::npos) << key.error.message;
  EXPECT_EQ(kCodec.decode(429, R"({"error":"Rate limit reached"})", chat.ctx).outcome, health::Outcome::status_429);
  EXPECT_EQ(kCodec.decode(503, "upstream connect error", chat.ctx).outcome, health::Outcome::status_5xx);
  auto in_200 = kCodec.decode(200, R"({"error":{"message":"boom sk-test-secret-key"}})", chat.ctx);
  EXPECT_EQ(in_200.outcome, health::Outcome::error_body_200);
  EXPECT_EQ(in_200.error.message.find("sk-test-secret-key"), std::string::npos);
  EXPECT_EQ(kCodec.decode(200, "not json", chat.ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"object":"chat.completion"})", chat.ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"choices":[1]})", chat.ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"choices":{}})", chat.ctx).error.code, "bad_upstream_response");
}

TEST(OpenAI, AnUpstreamEchoingTheKeyNeverHandsItOn) {
  // Issue 8: not only error paths; stream chunks too (whole answers are scrubbed by the exchange
  // before any decoder reads them: tests/gateway/responder_test.cc).
  Chat chat;
  auto r = run_stream(kCodec, chat.ctx,
                      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"sk-test-secret-key\"}}]}\n\ndata: [DONE]\n\n");
  EXPECT_EQ(r.events, (std::vector<std::string>{"text[0] \"[redacted]\""}));
  EXPECT_EQ(r.raw.at(0).find("sk-test-secret-key"), std::string::npos);
  auto in_error = kCodec.decode(500, R"({"error":{"message":"bad key sk-test-secret-key"}})", chat.ctx);
  EXPECT_EQ(in_error.error.message.find("sk-test-secret-key"), std::string::npos);
}

TEST(OpenAI, StreamsCanonicalEventsAndRawChunks) {
  // OpenAI's streaming example, with the usage chunk include_usage adds.
  Chat chat;
  const char* chunks[] = {
      R"({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null})",
      R"({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null})",
      R"({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})",
      R"({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})",
  };
  std::string stream;
  for (const char* c : chunks) stream += std::string("data: ") + c + "\n\n";
  stream += "data: [DONE]\n\n";
  auto r = run_stream(kCodec, chat.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.finished, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{"text[0] \"Hello\"", "finish[0] stop",
                                                "usage 9+1 cached=0 reasoning=0 cost=1.1e-05"}));
  EXPECT_EQ(r.raw, (std::vector<std::string>{chunks[0], chunks[1], chunks[2], chunks[3]}));
  EXPECT_EQ(r.groups, (std::vector<size_t>{0, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(r.usage.cost, 11e-6);
  EXPECT_EQ(r.answer.outputs[0].text, "Hello");
  expect_split_invariant(kCodec, chat.ctx, stream);
}

TEST(OpenAI, StreamsToolCallsRefusalsAndReasoning) {
  Chat chat;
  const char* stream =
      // Tool call fragments as OpenAI streams them (id and name first, then arguments).
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_DdmO9pD3xa9XTPNJ32zg2hcA\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],\"refusal\":null},\"finish_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"\"}}]},\"finish_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"location\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      // A second output refuses (n = 2); DeepSeek-style reasoning_content; OpenRouter's details.
      "data: {\"choices\":[{\"index\":1,\"delta\":{\"reasoning_content\":\"Hmm.\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":1,\"delta\":{\"reasoning\":\"dup\",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\" Fine.\",\"signature\":\"sig-1\"},{\"type\":\"reasoning.encrypted\",\"data\":\"EncData\"}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":1,\"delta\":{\"refusal\":\"I can't\"},\"finish_reason\":\"content_filter\"}]}\n\n"
      "data: [DONE]\n\n";
  auto r = run_stream(kCodec, chat.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.events, (std::vector<std::string>{
                          "tool_call[0].0 id=call_DdmO9pD3xa9XTPNJ32zg2hcA name=get_weather \"\"",
                          "tool_arguments[0].0 \"{\\\"\"",
                          "tool_arguments[0].0 \"location\\\":\\\"Paris\\\"}\"",
                          "finish[0] tool_calls",
                          "reasoning[1] \"Hmm.\"",
                          "reasoning[1] \" Fine.\" sig=\"sig-1\"",
                          "reasoning[1] \"EncData\" redacted",
                          "refusal[1] \"I can't\"",
                          "finish[1] content_filter",
                      }));
  ASSERT_EQ(r.answer.outputs.size(), 2u);
  EXPECT_EQ(r.answer.outputs[0].tool_calls[0].arguments, "{\"location\":\"Paris\"}");
  ASSERT_EQ(r.answer.outputs[1].reasoning.size(), 2u);
  EXPECT_EQ(r.answer.outputs[1].reasoning[0].text, "Hmm. Fine.");
  EXPECT_EQ(r.answer.outputs[1].reasoning[0].signature, "sig-1");
  EXPECT_FALSE(r.usage.known);
  expect_split_invariant(kCodec, chat.ctx, stream);
}

TEST(OpenAI, MultiLineDataEventsReachTheClientAsOneLine) {
  // Found by the decoder fuzzer: an event of two data lines was passed on with a bare second
  // line, which no client SSE parser reads as data.
  Chat chat;
  const char* stream = "data: {\"id\":\"c\",\ndata: \"choices\":[{\"index\":0,\"delta\":{}}]}\n\ndata: [DONE]\n\n";
  auto r = run_stream(kCodec, chat.ctx, stream);
  EXPECT_EQ(r.state, StreamDecoder::State::done);
  EXPECT_EQ(r.raw, (std::vector<std::string>{"{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{}}]}"}));
  EXPECT_TRUE(r.events.empty());
  expect_split_invariant(kCodec, chat.ctx, stream);
}

TEST(OpenAI, EventsWithNoChoicesAndNoUsageAreDropped) {
  // Azure's prompt_filter_results: nothing for the caller, and must not commit the stream.
  Chat chat;
  auto r = run_stream(kCodec, chat.ctx,
                      "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[]}\n\n"
                      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n");
  EXPECT_EQ(r.raw, (std::vector<std::string>{"{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}"}));  // usage chunks stay
  EXPECT_EQ(r.events, (std::vector<std::string>{"usage 1+2 cached=-1 reasoning=-1 cost=5e-06"}));
}

TEST(OpenAI, StreamFailures) {
  Chat chat;
  auto error = run_stream(kCodec, chat.ctx,
                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
                          "data: {\"error\":{\"message\":\"The server had an error (key sk-test-secret-key)\",\"type\":\"server_error\"}}\n\n");
  EXPECT_EQ(error.state, StreamDecoder::State::failed);
  EXPECT_EQ(error.error.status, 502);
  EXPECT_EQ(error.error.type, ErrorType::provider_unavailable);
  EXPECT_EQ(error.error.code, "upstream_stream_failed");
  EXPECT_EQ(error.error.message, "upstream up failed mid-stream: The server had an error (key [redacted])");
  EXPECT_EQ(error.events, (std::vector<std::string>{"text[0] \"Hi\""}));
  auto garbage = run_stream(kCodec, chat.ctx, "data: {nope\n\n");
  EXPECT_EQ(garbage.state, StreamDecoder::State::failed);
  EXPECT_EQ(garbage.error.message, "upstream sent a stream event that is not JSON");
  auto cut = run_stream(kCodec, chat.ctx, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n");
  EXPECT_EQ(cut.state, StreamDecoder::State::open);
  EXPECT_EQ(cut.finished, StreamDecoder::State::failed);
  EXPECT_EQ(cut.error.message, "upstream stream ended before [DONE]");
  // Indexes past n's bound are ignored, never grown into.
  auto far = run_stream(kCodec, chat.ctx,
                        "data: {\"choices\":[{\"index\":4000000000,\"delta\":{\"content\":\"x\"}},"
                        "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":99999,\"id\":\"c\",\"function\":{\"name\":\"f\"}}]}}]}\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(far.events.empty());
}

// ---- embeddings and the model list -----------------------------------------------------------------

TEST(OpenAI, EncodesEmbeddings) {
  const char* request =
      R"({"model":"embed","input":["The food was delicious","and the waiter"],"dimensions":256,"encoding_format":"float",)"
      R"("user":"u-1","switchyard":{"cache":"no-store"},"provider":{"order":["x"]}})";
  auto e = encode_embeddings(kCodec, kProvider, "text-embedding-3-small", request);
  EXPECT_EQ(e.request.method, "POST");
  EXPECT_EQ(e.request.url, "https://api.openai.com/v1/embeddings");
  EXPECT_EQ(e.request.headers, "content-type: application/json\nauthorization: Bearer sk-test-secret-key\n");
  EXPECT_EQ(e.request.body,
            R"({"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"],"dimensions":256,)"
            R"("encoding_format":"float","user":"u-1"})");
  // Overrides apply to the caller's text (the minimal-edit path) ...
  auto o = encode_embeddings(kCodec, kProvider, "text-embedding-3-small", request, {{"dimensions", "64"}});
  EXPECT_EQ(o.request.body,
            R"({"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"],"dimensions":64,)"
            R"("encoding_format":"float","user":"u-1"})");
  // ... and to a body rendered from canonical fields.
  auto env = embeddings_request(R"({"model":"embed","input":[[1,2],[3]],"encoding_format":"base64","user":"u","x":true})");
  env->request.format = model::Format::none;
  auto r = encode(kCodec, kProvider, "e", env->request, {{"dimensions", "8"}, {"x", "false"}});
  EXPECT_EQ(r.request.body, R"({"model":"e","input":[[1,2],[3]],"encoding_format":"base64","user":"u","x":false,"dimensions":8})");
  env = embeddings_request(R"({"model":"embed","input":"one"})");
  env->request.format = model::Format::none;
  EXPECT_EQ(encode(kCodec, kProvider, "e", env->request).request.body, R"({"model":"e","input":"one"})");
}

TEST(OpenAI, DecodesEmbeddingsWithProviderAndCost) {
  auto env = embeddings_request(R"({"model":"embed","input":"x"})");
  DecodeContext ctx{kProvider, "m", env->request};
  auto d = kCodec.decode(200, R"({
      "object": "list",
      "data": [{"object": "embedding", "embedding": [0.0023064255, -0.009327292, -0.0028842222], "index": 0}],
      "model": "text-embedding-ada-002",
      "usage": {"prompt_tokens": 8, "total_tokens": 8}})",
                         ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_TRUE(same_json(d.answer.raw, R"({"provider":"up","object":"list",
      "data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292,-0.0028842222],"index":0}],
      "model":"text-embedding-ada-002","usage":{"prompt_tokens":8,"total_tokens":8,"cost":0.000008}})"));
  EXPECT_EQ(d.answer.raw_format, model::Format::openai_embeddings);
  EXPECT_EQ(d.answer.kind, model::Kind::embeddings);
  EXPECT_TRUE(d.answer.summary);  // an embeddings caller gets the raw list
  EXPECT_TRUE(d.answer.embeddings.empty());
  model::Answer full;
  std::string error;
  ASSERT_TRUE(model::stored::parse(d.answer.raw, full, error));
  ASSERT_EQ(full.embeddings.size(), 1u);
  EXPECT_EQ(full.embeddings[0], "[0.0023064255,-0.009327292,-0.0028842222]");
  EXPECT_TRUE(d.answer.usage.known);
  EXPECT_EQ(d.answer.usage.prompt_tokens, 8);
  EXPECT_EQ(d.answer.usage.completion_tokens, 0);
  EXPECT_DOUBLE_EQ(d.answer.usage.cost, 8e-6);
  EXPECT_EQ(stored(d.answer), d.answer.raw);
  // base64 vectors pass through; no price for the model: no cost.
  DecodeContext other{kProvider, "other", env->request};
  auto b = kCodec.decode(200, R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8AAIA+"}],
      "model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})",
                         other);
  ASSERT_TRUE(b.ok);
  EXPECT_TRUE(same_json(b.answer.raw, R"({"provider":"up","object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8AAIA+"}],
      "model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})"));
  EXPECT_LT(b.answer.usage.cost, 0);
  // No usage from the upstream: not known (the exchange counts its estimate).
  auto n = kCodec.decode(200, R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[1]}],"model":"e"})", ctx);
  ASSERT_TRUE(n.ok);
  EXPECT_FALSE(n.answer.usage.known);
}

TEST(OpenAI, MapsEmbeddingsErrors) {
  auto env = embeddings_request(R"({"model":"embed","input":"x"})");
  DecodeContext ctx{kProvider, "m", env->request};
  auto too_long = kCodec.decode(400, R"({"error":{"message":"This model's maximum context length is 8192 tokens, however you requested 9000 tokens (9000 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.","type":"invalid_request_error","param":null,"code":null}})",
                                ctx);
  EXPECT_FALSE(too_long.ok);
  EXPECT_EQ(too_long.outcome, health::Outcome::context_length);
  EXPECT_EQ(too_long.error.type, ErrorType::context_length_exceeded);
  auto bad = kCodec.decode(400, R"({"error":{"message":"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.","type":"invalid_request_error","param":null,"code":null}})",
                           ctx);
  EXPECT_EQ(bad.outcome, health::Outcome::bad_request);
  EXPECT_EQ(bad.error.status, 400);
  auto key = kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided: sk-test-secret-key.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
                           ctx);
  EXPECT_EQ(key.outcome, health::Outcome::auth);
  EXPECT_EQ(key.error.message.find("sk-test-secret-key"), std::string::npos) << key.error.message;
  EXPECT_EQ(kCodec.decode(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})", ctx).outcome,
            health::Outcome::status_429);
  EXPECT_EQ(kCodec.decode(503, "upstream connect error", ctx).outcome, health::Outcome::status_5xx);
  EXPECT_EQ(kCodec.decode(200, R"({"error":{"message":"boom"}})", ctx).outcome, health::Outcome::error_body_200);
  EXPECT_EQ(kCodec.decode(200, R"({"object":"list","data":[{"index":0}]})", ctx).outcome, health::Outcome::malformed);
  EXPECT_EQ(kCodec.decode(200, R"({"object":"list","data": [)", ctx).outcome, health::Outcome::malformed);
}

TEST(OpenAI, ListsModels) {
  config::Provider p = kProvider;
  p.headers.emplace_back("openai-organization", "org-1");
  auto env = models_request();
  auto e = encode(kCodec, p, "", env->request);
  EXPECT_EQ(e.request.method, "GET");
  EXPECT_EQ(e.request.url, "https://api.openai.com/v1/models");
  EXPECT_EQ(e.request.headers, "authorization: Bearer sk-test-secret-key\nopenai-organization: org-1\n");
  EXPECT_TRUE(e.request.body.empty());
  DecodeContext ctx{kProvider, "", env->request};
  auto d = kCodec.decode(200, R"({
      "object": "list",
      "data": [
        {"id": "model-id-0", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
        {"id": "model-id-1", "object": "model", "created": 1686935002, "owned_by": "organization-owner"},
        {"id": "model-id-2", "object": "model", "created": 1686935002, "owned_by": "openai"},
        {"id": "llama-3.1-8b-instant", "object": "model", "context_window": 131072},
        {"object": "model"}]})",
                         ctx);
  ASSERT_TRUE(d.ok) << d.error.message;
  EXPECT_EQ(d.answer.kind, model::Kind::models);
  EXPECT_TRUE(same_json(stored(d.answer), R"({"object":"list","data":[
      {"id":"model-id-0","object":"model","created":1686935002,"owned_by":"organization-owner"},
      {"id":"model-id-1","object":"model","created":1686935002,"owned_by":"organization-owner"},
      {"id":"model-id-2","object":"model","created":1686935002,"owned_by":"openai"},
      {"id":"llama-3.1-8b-instant","object":"model","created":0,"owned_by":"up"}]})"));
  EXPECT_EQ(kCodec.decode(401, R"({"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}})", ctx).outcome,
            health::Outcome::auth);
  EXPECT_EQ(kCodec.decode(200, R"({"models":[]})", ctx).outcome, health::Outcome::malformed);
}

TEST(OpenAI, Capabilities) {
  EXPECT_TRUE(kCodec.caps.chat && kCodec.caps.embeddings && kCodec.caps.models && kCodec.caps.token_input);
  EXPECT_TRUE(kCodec.caps.n_in_streams);
  EXPECT_FALSE(kCodec.caps.local || kCodec.caps.free);
  EXPECT_EQ(kCodec.answer, nullptr);
  auto env = chat_request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":128,"stream":true})");
  EXPECT_TRUE(refusal(kCodec, env->request).param.empty());
  env->request.sampling.n = 129;
  EXPECT_EQ(refusal(kCodec, env->request).param, "n");
}

}  // namespace
}  // namespace sy::providers::openai
