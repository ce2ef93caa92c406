// Helpers for the wire-format golden tests: encode a request, compare JSON documents, run a
// stream decoder over random chunkings of a stream.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

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

struct Encoded {
  UpstreamRequest request;
  json::Document body;
};

inline Encoded encode(const WireFormat& format, const config::Provider& provider, std::string_view model,
                      std::string_view request, bool stream = false,
                      const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  json::Document req = parse(request);
  Encoded e;
  format.encode({provider, model, req, overrides, stream}, e.request);
  e.body = parse(e.request.body);
  return e;
}

// The embeddings request `format` sends for `request` (an OpenAI embeddings body).
inline Encoded encode_embeddings(const WireFormat& format, const config::Provider& provider, std::string_view model,
                                 std::string_view request,
                                 const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  json::Document req = parse(request);
  Encoded e;
  format.encode_embeddings({provider, model, req, overrides, false}, e.request);
  e.body = parse(e.request.body);
  return e;
}

// The data of each "data: ...\n\n" event in `out`.
inline std::vector<std::string> events_of(std::string_view out) {
  std::vector<std::string> events;
  size_t at = 0;
  while (at < out.size()) {
    EXPECT_EQ(out.substr(at, 6), "data: ") << out.substr(at);
    size_t end = out.find("\n\n", at);
    if (end == std::string_view::npos || out.substr(at, 6) != "data: ") {
      ADD_FAILURE() << "unterminated event: " << out.substr(at);
      break;
    }
    events.emplace_back(out.substr(at + 6, end - at - 6));
    at = end + 2;
  }
  return events;
}

struct StreamResult {
  std::string out;
  StreamDecoder::State state = StreamDecoder::State::open;  // after the last feed
  StreamDecoder::State finished = StreamDecoder::State::open;  // after finish()
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  Usage usage;
};

// Feeds `chunks` in order (stopping once the decoder is no longer open), then finish().
inline StreamResult run_stream(const WireFormat& format, const DecodeContext& ctx, const std::vector<std::string_view>& chunks) {
  auto decoder = format.stream(ctx);
  StreamResult r;
  for (std::string_view c : chunks) {
    r.state = decoder->feed(c, r.out);
    if (r.state != StreamDecoder::State::open) break;
  }
  r.finished = decoder->finish();
  r.error = decoder->error();
  r.outcome = decoder->outcome();
  r.usage = decoder->usage();
  return r;
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

// Property: whatever the chunking, the decoder produces the same bytes and ends the same way.
inline void expect_split_invariant(const WireFormat& format, const DecodeContext& ctx, std::string_view stream,
                                   int rounds = 200) {
  StreamResult whole = run_stream(format, ctx, {stream});
  for (int seed = 0; seed < rounds; ++seed) {
    StreamResult split = run_stream(format, ctx, random_split(stream, unsigned(seed)));
    ASSERT_EQ(split.out, whole.out) << "seed " << seed;
    ASSERT_EQ(split.state, whole.state) << "seed " << seed;
    ASSERT_EQ(split.finished, whole.finished) << "seed " << seed;
  }
}

}  // namespace sy::providers::test
