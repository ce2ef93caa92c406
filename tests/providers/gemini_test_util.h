// Test helpers for the Gemini egress codec until the shared tests/providers/wire_test_util.h is
// rewritten for the canonical interfaces (then this file goes): JSON comparison, canonical
// requests built in place, answers and stream events as JSON for golden comparisons, and stream
// runs under random splits.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.h"

namespace sy::providers::gemini_test {

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

inline config::Provider make_provider(config::ProviderType type, std::string base_url) {
  config::Provider p;
  p.name = "up";
  p.type = type;
  p.base_url = std::move(base_url);
  p.api_key = "sk-test-secret-key";
  p.prices.emplace("m", config::Price{1.0, 2.0});
  return p;
}

// ---------------------------------------------------------------------------------------
// Canonical requests. Views point into string literals or into Built::values.

inline model::Part part(model::PartType type) {
  model::Part p;
  p.type = type;
  return p;
}
inline model::Part text(std::string_view t) {
  model::Part p = part(model::PartType::text);
  p.text = t;
  return p;
}
inline model::Part image(std::string_view url) {
  model::Part p = part(model::PartType::image);
  p.url = url;
  return p;
}
inline model::Part file(std::string_view url, std::string_view media_type = {}, std::string_view id = {}) {
  model::Part p = part(model::PartType::file);
  p.url = url;
  p.media_type = media_type;
  p.id = id;
  return p;
}
inline model::Part audio(std::string_view data, std::string_view format) {
  model::Part p = part(model::PartType::audio);
  p.url = data;
  p.media_type = format;
  return p;
}
inline model::Part call(std::string_view id, std::string_view name, std::string_view arguments) {
  model::Part p = part(model::PartType::tool_call);
  p.id = id;
  p.name = name;
  p.arguments = arguments;
  return p;
}
inline model::Part result(std::string_view id, std::string_view content) {
  model::Part p = part(model::PartType::tool_result);
  p.id = id;
  p.text = content;
  return p;
}
inline model::Part reasoning(std::string_view t, std::string_view signature, bool redacted = false) {
  model::Part p = part(model::PartType::reasoning);
  p.text = t;
  p.signature = signature;
  p.redacted = redacted;
  return p;
}
inline model::Message msg(model::Role role, std::vector<model::Part> parts, std::string_view name = {}) {
  model::Message m;
  m.role = role;
  m.parts = std::move(parts);
  m.name = name;
  return m;
}
inline model::Message user(std::string_view t) { return msg(model::Role::user, {text(t)}); }

// A canonical request with the JSON values it points into.
struct Built {
  std::deque<json::Document> values;
  model::Request request;

  const json::Value* json(std::string_view text) {
    json::Document& doc = values.emplace_back();
    std::string error;
    EXPECT_TRUE(json::parse(text, doc, error)) << error;
    return &doc;
  }
  model::Tool tool(std::string_view name, std::string_view description = {}, std::string_view parameters = {}) {
    model::Tool t;
    t.name = name;
    t.description = description;
    if (!parameters.empty()) t.parameters = json(parameters);
    return t;
  }
  void extra(std::string_view name, std::string_view value) { request.extras.emplace_back(name, json(value)); }
};

// A chat request of one user message.
inline Built chat(std::string_view prompt = "x") {
  Built b;
  b.request.messages = {user(prompt)};
  return b;
}

struct Encoded {
  UpstreamRequest request;
  json::Document body;  // null when the request has no body
};

using Overrides = std::vector<std::pair<std::string, std::string>>;

inline Encoded encode(const Codec& codec, const config::Provider& provider, std::string_view model,
                      const model::Request& request, const Overrides& overrides = {}) {
  static const config::Config kConfig;
  Encoded e;
  codec.encode({kConfig, provider, model, request, overrides}, e.request);
  if (!e.request.body.empty()) e.body = parse(e.request.body);
  return e;
}

// ---------------------------------------------------------------------------------------
// Answers and stream events as JSON, for golden comparisons

inline void usage_json(std::string& out, const model::Usage& u) {
  out += "{\"prompt\":" + std::to_string(u.prompt_tokens) + ",\"completion\":" + std::to_string(u.completion_tokens);
  if (u.cached_tokens >= 0) out += ",\"cached\":" + std::to_string(u.cached_tokens);
  if (u.reasoning_tokens >= 0) out += ",\"reasoning\":" + std::to_string(u.reasoning_tokens);
  if (u.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, u.cost);
  }
  out += '}';
}

// {text (null when absent), reasoning?: [{text, signature, redacted?}], tool_calls?: [{id, name,
// arguments}], finish}
inline std::string output_json(const model::Output& o) {
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
      if (o.reasoning[i].redacted) out += ",\"redacted\":true";
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

// A chat answer: {id, model, provider, outputs, usage?}
inline std::string answer_json(const model::Answer& a) {
  std::string out = "{\"id\":";
  json::append_string(out, a.id);
  out += ",\"model\":";
  json::append_string(out, a.model);
  out += ",\"provider\":";
  json::append_string(out, a.provider);
  out += ",\"outputs\":[";
  for (size_t i = 0; i < a.outputs.size(); ++i) out += (i ? "," : "") + output_json(a.outputs[i]);
  out += ']';
  if (a.usage.known) {
    out += ",\"usage\":";
    usage_json(out, a.usage);
  }
  return out + "}";
}

inline std::string event_json(const model::StreamEvent& e) {
  using Type = model::StreamEvent::Type;
  static constexpr std::string_view kTypes[] = {"text",      "reasoning", "refusal", "tool_call",
                                                "tool_arguments", "finish", "usage",  "error"};
  std::string out = "{\"type\":\"" + std::string(kTypes[int(e.type)]) + "\"";
  if (e.output) out += ",\"output\":" + std::to_string(e.output);
  auto str = [&](std::string_view name, std::string_view value) {
    out += ",\"" + std::string(name) + "\":";
    json::append_string(out, value);
  };
  switch (e.type) {
    case Type::text:
    case Type::refusal:
    case Type::tool_arguments: str("text", e.text); break;
    case Type::reasoning:
      str("text", e.text);
      str("signature", e.signature);
      break;
    case Type::tool_call:
      out += ",\"tool\":" + std::to_string(e.tool);
      str("id", e.id);
      str("name", e.name);
      str("arguments", e.text);
      break;
    case Type::finish: str("finish", model::finish_name(e.finish)); break;
    case Type::usage:
      out += ",\"usage\":";
      usage_json(out, e.usage);
      break;
    case Type::error: str("message", e.error ? std::string_view(e.error->message) : std::string_view()); break;
  }
  return out + "}";
}

// ---------------------------------------------------------------------------------------
// Streams

struct StreamResult {
  std::vector<std::string> events;  // event_json of each canonical event
  int groups = 0;                   // on_events calls
  StreamDecoder::State state = StreamDecoder::State::open;     // after the last feed
  StreamDecoder::State finished = StreamDecoder::State::open;  // after finish()
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  model::Usage usage;
};

class CollectingSink final : public StreamSink {
 public:
  explicit CollectingSink(StreamResult& r) : r_(r) {}
  void on_events(std::span<const model::StreamEvent> events, std::string_view) override {
    ++r_.groups;
    for (const model::StreamEvent& e : events) r_.events.push_back(event_json(e));
  }

 private:
  StreamResult& r_;
};

// Feeds `chunks` in order (stopping once the decoder is no longer open), then finish().
inline StreamResult run_stream(const Codec& codec, const DecodeContext& ctx, const std::vector<std::string_view>& chunks) {
  auto decoder = codec.stream(ctx);
  StreamResult r;
  CollectingSink sink(r);
  for (std::string_view c : chunks) {
    r.state = decoder->feed(c, sink);
    if (r.state != StreamDecoder::State::open) break;
  }
  r.finished = decoder->finish();
  r.error = decoder->error();
  r.outcome = decoder->outcome();
  r.usage = decoder->usage();
  return r;
}

inline void expect_events(const StreamResult& r, const std::vector<std::string>& expected) {
  ASSERT_EQ(r.events.size(), expected.size()) << ::testing::PrintToString(r.events);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(same_json(r.events[i], expected[i])) << "event " << i;
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

// Property: whatever the chunking, the decoder emits the same events and ends the same way.
inline void expect_split_invariant(const Codec& codec, const DecodeContext& ctx, std::string_view stream, int rounds = 200) {
  StreamResult whole = run_stream(codec, ctx, {stream});
  for (int seed = 0; seed < rounds; ++seed) {
    StreamResult split = run_stream(codec, ctx, random_split(stream, unsigned(seed)));
    ASSERT_EQ(split.events, whole.events) << "seed " << seed;
    ASSERT_EQ(split.state, whole.state) << "seed " << seed;
    ASSERT_EQ(split.finished, whole.finished) << "seed " << seed;
    ASSERT_EQ(split.error.message, whole.error.message) << "seed " << seed;
  }
}

}  // namespace sy::providers::gemini_test
