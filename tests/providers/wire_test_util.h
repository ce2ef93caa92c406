// Helpers for the egress codecs' golden tests: canonical requests read from OpenAI-shaped bodies,
// encode with a codec, compare JSON documents, run a stream decoder over random chunkings of a
// stream and describe the canonical events it emits.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/params.h"
#include "model/stored.h"
#include "model/stream.h"
#include "providers/provider.h"

namespace sy::providers::test {

inline json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error << "\n" << text;
  return doc;
}

inline std::string dump(const json::Value& v) {
  std::string out;
  json::append_value(out, v);
  return out;
}

// Deep JSON equality (object member order ignored, 1 == 1.0), printing both on mismatch.
inline ::testing::AssertionResult same_json(std::string_view actual, std::string_view expected) {
  json::Document a, e;
  std::string error;
  if (!json::parse(actual, a, error)) return ::testing::AssertionFailure() << "actual is not JSON (" << error << "): " << actual;
  if (!json::parse(expected, e, error)) return ::testing::AssertionFailure() << "expected is not JSON (" << error << "): " << expected;
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << dump(a) << "\n  expected: " << dump(e);
}

inline config::Provider make_provider(config::ProviderType type, std::string base_url, std::string api_version = {}) {
  config::Provider p;
  p.name = "up";
  p.type = type;
  p.base_url = std::move(base_url);
  p.api_key = "sk-test-secret-key";
  p.api_version = std::move(api_version);
  p.prices.emplace("m", config::Price{1.0, 2.0});
  return p;
}

// An empty config, for codecs that do not look at it.
inline const config::Config& empty_config() {
  static const config::Config config;
  return config;
}

// ---------------------------------------------------------------------------------------------
// Canonical requests from OpenAI-shaped bodies. This is the tests' own small reader, not the
// openai_chat ingress: it does not validate (a body a test gets wrong fails the test through
// ADD_FAILURE only where a canonical parameter refuses its value), and it maps messages the way
// the ingress does: content strings and parts (text, image_url, input_audio, file, refusal),
// assistant `reasoning_details` / `reasoning` (before the text), `refusal` and `tool_calls`
// (after it), tool messages as one tool_result part.

namespace detail {

inline std::string_view str(const json::Value& object, const char* name) {
  const json::Value* v = json::find(object, name);
  return v ? json::view(*v) : std::string_view();
}

inline model::Role role_of(std::string_view role) {
  if (role == "system") return model::Role::system;
  if (role == "developer") return model::Role::developer;
  if (role == "assistant") return model::Role::assistant;
  if (role == "tool") return model::Role::tool;
  return model::Role::user;
}

inline void add_content_part(model::Message& m, const json::Value& part) {
  std::string_view type = str(part, "type");
  model::Part p;
  p.raw = &part;
  if (type == "text") {
    p.text = str(part, "text");
  } else if (type == "refusal") {
    p.type = model::PartType::refusal;
    p.text = str(part, "refusal");
  } else if (const json::Value* image = json::find(part, "image_url"); type == "image_url" && image) {
    p.type = model::PartType::image;
    p.url = image->IsString() ? json::view(*image) : str(*image, "url");
    p.detail = str(*image, "detail");
  } else if (const json::Value* audio = json::find(part, "input_audio"); type == "input_audio" && audio) {
    p.type = model::PartType::audio;
    p.url = str(*audio, "data");
    p.media_type = str(*audio, "format");
  } else if (const json::Value* file = json::find(part, "file"); type == "file" && file) {
    p.type = model::PartType::file;
    p.url = str(*file, "file_data");
    p.id = str(*file, "file_id");
    p.name = str(*file, "filename");
  } else {
    ADD_FAILURE() << "unknown content part type " << type;
    return;
  }
  m.parts.push_back(p);
}

inline void add_reasoning(model::Message& m, const json::Value& message) {
  if (const json::Value* details = json::find(message, "reasoning_details"); details && details->IsArray()) {
    for (const json::Value& d : details->GetArray()) {
      model::Part p;
      p.type = model::PartType::reasoning;
      p.raw = &d;
      p.redacted = str(d, "type") == "reasoning.encrypted";
      p.text = p.redacted ? str(d, "data") : str(d, "text");
      p.signature = str(d, "signature");
      m.parts.push_back(p);
    }
    return;
  }
  if (const json::Value* r = json::find(message, "reasoning"); r && r->IsString()) {
    model::Part p;
    p.type = model::PartType::reasoning;
    p.text = json::view(*r);
    m.parts.push_back(p);
  }
}

inline model::Message message_of(const json::Value& v) {
  model::Message m;
  m.raw = &v;
  m.role = role_of(str(v, "role"));
  m.name = str(v, "name");
  if (m.role == model::Role::assistant) add_reasoning(m, v);
  const json::Value* content = json::find(v, "content");
  if (m.role == model::Role::tool) {
    model::Part p;
    p.type = model::PartType::tool_result;
    p.id = str(v, "tool_call_id");
    p.raw = content;
    if (content && content->IsString()) p.text = json::view(*content);
    else if (content && content->IsArray() && !content->Empty()) p.text = str((*content)[0], "text");
    m.parts.push_back(p);
    return m;
  }
  if (content && content->IsString()) {
    model::Part& p = m.parts.emplace_back();
    p.text = json::view(*content);
    p.raw = content;
  }
  if (content && content->IsArray())
    for (const json::Value& part : content->GetArray()) add_content_part(m, part);
  if (const json::Value* r = json::find(v, "refusal"); r && r->IsString()) {
    model::Part& p = m.parts.emplace_back();
    p.type = model::PartType::refusal;
    p.text = json::view(*r);
    p.raw = r;
  }
  if (const json::Value* calls = json::find(v, "tool_calls"); calls && calls->IsArray()) {
    for (const json::Value& call : calls->GetArray()) {
      const json::Value* fn = json::find(call, "function");
      model::Part p;
      p.type = model::PartType::tool_call;
      p.raw = &call;
      p.id = str(call, "id");
      p.name = fn ? str(*fn, "name") : std::string_view();
      p.arguments = fn ? str(*fn, "arguments") : std::string_view();
      m.parts.push_back(p);
    }
  }
  return m;
}

inline void set_member(model::Request& r, std::string_view name, const json::Value& value) {
  if (name == "model") {
    r.model = json::view(value);
  } else if (name == "models" && value.IsArray()) {
    for (const json::Value& m : value.GetArray()) r.routing.models.push_back(json::view(m));
  } else if (name == "provider") {
    r.routing.provider = &value;
  } else if (name == "session_id") {
    r.routing.session_id = json::view(value);
  } else if (name == "switchyard") {
    r.controls = &value;
  } else {
    model::ParamError error;
    auto result = model::set_param(r, name, value, error);
    if (result == model::ParamResult::invalid) ADD_FAILURE() << "parameter " << name << error.path << ": " << error.message;
    if (result == model::ParamResult::unknown) r.extras.emplace_back(name, &value);
  }
}

inline void add_inputs(model::Request& r, const json::Value& input) {
  bool token_list = input.IsArray() && !input.Empty() && input[0].IsNumber();
  if (input.IsArray() && !token_list) {
    for (const json::Value& item : input.GetArray()) {
      r.inputs.push_back(&item);
      if (item.IsArray()) r.token_input = true;
    }
  } else {
    r.inputs.push_back(&input);
    r.token_input = token_list;
  }
}

}  // namespace detail

using EnvelopePtr = std::unique_ptr<model::Envelope>;

// A chat request read from an OpenAI chat-completions body: format openai_chat and raw = the
// body, so an OpenAI-format codec takes its same-format fast path (set request.raw = {} or
// request.format = none to test rendering from canonical fields).
inline EnvelopePtr chat_request(std::string_view body) {
  auto env = std::make_unique<model::Envelope>();
  env->text = body;
  std::string error;
  EXPECT_TRUE(json::parse(env->text, env->doc, error)) << error << "\n" << body;
  model::Request& r = env->request;
  r.kind = model::Kind::chat;
  r.format = model::Format::openai_chat;
  r.raw = env->text;
  if (!env->doc.IsObject()) return env;
  for (auto& m : env->doc.GetObject()) {
    std::string_view name = json::view(m.name);
    if (name == "messages" && m.value.IsArray()) {
      for (const json::Value& v : m.value.GetArray()) r.messages.push_back(detail::message_of(v));
    } else {
      detail::set_member(r, name, m.value);
    }
  }
  return env;
}

// An embeddings request read from an OpenAI embeddings body (format openai_embeddings, raw =
// the body): input (a string, strings, token ids or arrays of them), dimensions,
// encoding_format, user; other members are extras.
inline EnvelopePtr embeddings_request(std::string_view body) {
  auto env = std::make_unique<model::Envelope>();
  env->text = body;
  std::string error;
  EXPECT_TRUE(json::parse(env->text, env->doc, error)) << error << "\n" << body;
  model::Request& r = env->request;
  r.kind = model::Kind::embeddings;
  r.format = model::Format::openai_embeddings;
  r.raw = env->text;
  if (!env->doc.IsObject()) return env;
  for (auto& m : env->doc.GetObject()) {
    std::string_view name = json::view(m.name);
    if (name == "input") detail::add_inputs(r, m.value);
    else if (name == "dimensions" && m.value.IsInt64()) r.dimensions = m.value.GetInt64();
    else if (name == "encoding_format") r.base64 = json::view(m.value) == "base64";
    else if (name == "user") r.user = json::view(m.value);
    else if (name == "model") r.model = json::view(m.value);
    else if (name == "models" || name == "provider" || name == "session_id" || name == "switchyard")
      detail::set_member(r, name, m.value);
    else r.extras.emplace_back(name, &m.value);
  }
  return env;
}

// An image request read from an OpenAI image-generation body (format openai_images, raw = the
// body): prompt, n, size, quality, style, response_format, user; routing members as chat; other
// members are extras. No validation.
inline EnvelopePtr image_request(std::string_view body) {
  auto env = std::make_unique<model::Envelope>();
  env->text = body;
  std::string error;
  EXPECT_TRUE(json::parse(env->text, env->doc, error)) << error << "\n" << body;
  model::Request& r = env->request;
  r.kind = model::Kind::images;
  r.format = model::Format::openai_images;
  r.raw = env->text;
  if (!env->doc.IsObject()) return env;
  for (auto& m : env->doc.GetObject()) {
    std::string_view name = json::view(m.name), value = json::view(m.value);
    if (name == "prompt") r.prompt = value;
    else if (name == "n" && m.value.IsInt64()) r.sampling.n = m.value.GetInt64();
    else if (name == "size") r.size = value;
    else if (name == "quality") r.quality = value;
    else if (name == "style") r.style = value;
    else if (name == "response_format") {
      r.image_urls = value == "url";
      r.image_b64 = value == "b64_json";
    }
    else if (name == "user") r.user = value;
    else if (name == "model" || name == "models" || name == "provider" || name == "session_id" || name == "switchyard")
      detail::set_member(r, name, m.value);
    else r.extras.emplace_back(name, &m.value);
  }
  return env;
}

// A model-list request for the provider named `provider`.
inline EnvelopePtr models_request(std::string_view provider = "up") {
  auto env = std::make_unique<model::Envelope>();
  env->text = provider;
  env->request.kind = model::Kind::models;
  env->request.provider = env->text;
  return env;
}

// ---------------------------------------------------------------------------------------------
// Encoding

using Overrides = std::vector<std::pair<std::string, std::string>>;

struct Encoded {
  UpstreamRequest request;
  json::Document body;  // the request body parsed (null when there is none)
};

inline Encoded encode(const Codec& codec, const config::Provider& provider, std::string_view model,
                      const model::Request& request, const Overrides& overrides = {},
                      const config::Config& config = empty_config()) {
  Encoded e;
  codec.encode(EncodeInput{config, provider, model, request, overrides}, e.request);
  if (!e.request.body.empty()) e.body = parse(e.request.body);
  return e;
}

// The request `codec` sends for an OpenAI chat-completions `body` (read by chat_request()).
inline Encoded encode(const Codec& codec, const config::Provider& provider, std::string_view model,
                      std::string_view body, const Overrides& overrides = {}) {
  EnvelopePtr env = chat_request(body);
  return encode(codec, provider, model, env->request, overrides);
}

// The same, rendered from the canonical fields (no same-format fast path).
inline Encoded encode_rendered(const Codec& codec, const config::Provider& provider, std::string_view model,
                               std::string_view body, const Overrides& overrides = {}) {
  EnvelopePtr env = chat_request(body);
  env->request.raw = {};
  return encode(codec, provider, model, env->request, overrides);
}

// The embeddings request `codec` sends for an OpenAI embeddings `body`.
inline Encoded encode_embeddings(const Codec& codec, const config::Provider& provider, std::string_view model,
                                 std::string_view body, const Overrides& overrides = {}) {
  EnvelopePtr env = embeddings_request(body);
  return encode(codec, provider, model, env->request, overrides);
}

// An answer in its stored form (model/stored.h) with request id "req_test" and created 1, to
// compare with main's golden chat.completion JSON.
inline std::string stored(const model::Answer& answer) { return model::stored::serialize(answer, "req_test", 1); }

// ---------------------------------------------------------------------------------------------
// Streams

// One line per canonical event, stable and readable in goldens:
//   text[0] "He"    reasoning[0] "hmm" sig="…" redacted    refusal[0] "no"
//   tool_call[0].1 id=call_1 name=get "{\"a\""    tool_arguments[0].1 ":1}"
//   finish[0] tool_calls    usage 12+5 cached=2 reasoning=1 cost=0.000022    error 502 "message"
inline std::string describe(const model::StreamEvent& e) {
  using Type = model::StreamEvent::Type;
  auto quoted = [](std::string_view s) {
    std::string q;
    json::append_string(q, s);
    return q;
  };
  std::string at = "[" + std::to_string(e.output) + "]";
  switch (e.type) {
    case Type::text:
      return "text" + at + " " + quoted(e.text);
    case Type::reasoning:
      return "reasoning" + at + " " + quoted(e.text) + (e.signature.empty() ? "" : " sig=" + quoted(e.signature)) +
             (e.redacted ? " redacted" : "");
    case Type::refusal:
      return "refusal" + at + " " + quoted(e.text);
    case Type::tool_call:
      return "tool_call" + at + "." + std::to_string(e.tool) + " id=" + std::string(e.id) + " name=" + std::string(e.name) +
             " " + quoted(e.text);
    case Type::tool_arguments:
      return "tool_arguments" + at + "." + std::to_string(e.tool) + " " + quoted(e.text);
    case Type::finish:
      return "finish" + at + " " + std::string(model::finish_name(e.finish));
    case Type::usage: {
      char cost[32];
      std::snprintf(cost, sizeof cost, "%.9g", e.usage.cost);
      return "usage " + std::to_string(e.usage.prompt_tokens) + "+" + std::to_string(e.usage.completion_tokens) +
             " cached=" + std::to_string(e.usage.cached_tokens) + " reasoning=" + std::to_string(e.usage.reasoning_tokens) +
             " cost=" + cost;
    }
    case Type::error:
      return "error " + (e.error ? std::to_string(e.error->status) + " " + quoted(e.error->message) : std::string("?"));
  }
  return "?";
}

struct StreamResult {
  std::vector<std::string> events;  // describe() of every event, in order
  std::vector<std::string> raw;     // each group's raw upstream event (empty when none was given)
  std::vector<size_t> groups;       // how many events each group (one upstream event) had
  model::Answer answer;             // the events assembled (model::Assembler)
  StreamDecoder::State state = StreamDecoder::State::open;     // after the last feed
  StreamDecoder::State finished = StreamDecoder::State::open;  // after finish()
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  model::Usage usage;  // the decoder's usage() at the end
};

class RecordingSink final : public StreamSink {
 public:
  explicit RecordingSink(StreamResult& result) : result_(result) {}
  void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override {
    for (const auto& e : events) result_.events.push_back(describe(e));
    result_.raw.emplace_back(raw.data);
    result_.groups.push_back(events.size());
    assembler.add(events);
  }
  model::Assembler assembler;

 private:
  StreamResult& result_;
};

// Feeds `chunks` in order (stopping once the decoder is no longer open), then finish().
inline StreamResult run_stream(const Codec& codec, const DecodeContext& ctx, const std::vector<std::string_view>& chunks) {
  auto decoder = codec.stream(ctx);
  decoder->hide(ctx.provider.api_key);  // as the exchange does
  StreamResult r;
  RecordingSink sink(r);
  for (std::string_view c : chunks) {
    r.state = decoder->feed(c, sink);
    if (r.state != StreamDecoder::State::open) break;
  }
  r.finished = decoder->finish();
  r.error = decoder->error();
  r.outcome = decoder->outcome();
  r.usage = decoder->usage();
  r.answer = sink.assembler.finish();
  return r;
}

inline StreamResult run_stream(const Codec& codec, const DecodeContext& ctx, std::string_view stream) {
  return run_stream(codec, ctx, std::vector<std::string_view>{stream});
}

// `text` split at random points (seeded), sometimes into single bytes.
inline std::vector<std::string_view> random_split(std::string_view text, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string_view> chunks;
  size_t max = seed % 4 == 0 ? 1 : seed % 4 == 1 ? 7 : 64;
  for (size_t at = 0; at < text.size();) {
    size_t n = std::uniform_int_distribution<size_t>(1, max)(rng);
    chunks.push_back(text.substr(at, n));
    at += n;
  }
  return chunks;
}

// Property: whatever the chunking, the decoder emits the same events in the same groups with
// the same raw data, and ends the same way.
inline void expect_split_invariant(const Codec& codec, const DecodeContext& ctx, std::string_view stream,
                                   int rounds = 200) {
  StreamResult whole = run_stream(codec, ctx, stream);
  for (int seed = 0; seed < rounds; ++seed) {
    StreamResult split = run_stream(codec, ctx, random_split(stream, unsigned(seed)));
    ASSERT_EQ(split.events, whole.events) << "seed " << seed;
    ASSERT_EQ(split.raw, whole.raw) << "seed " << seed;
    ASSERT_EQ(split.groups, whole.groups) << "seed " << seed;
    ASSERT_EQ(split.state, whole.state) << "seed " << seed;
    ASSERT_EQ(split.finished, whole.finished) << "seed " << seed;
    ASSERT_EQ(split.error.message, whole.error.message) << "seed " << seed;
  }
}

}  // namespace sy::providers::test
