// Wire formats: each provider type encodes the caller's OpenAI-shaped request
// for its API, decodes complete answers and streams back into OpenAI's shape,
// and maps its error bodies onto SPEC section 3.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "base/errors.h"
#include "health/error_class.h"
#include "json/json.h"
#include "providers/sse_parser.h"

namespace sy::providers {

struct Usage {
  bool known = false;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost = -1;  // USD; < 0 when no price is known
};

// What the engine asks a wire format to encode.
struct EncodeInput {
  const config::Provider& provider;
  std::string_view model;  // the target's model name at the provider
  const json::Value& request;  // the caller's chat-completions body
  const std::vector<std::pair<std::string, std::string>>& overrides;  // member -> raw JSON
  bool stream;
  std::string_view raw = {};  // the caller's body as sent, when a format can forward it with edits
};

struct UpstreamRequest {
  std::string method = "POST";
  std::string url;
  std::string headers;  // "name: value\n" lines
  std::string body;
};

// The outcome of decoding a complete upstream answer.
struct Decoded {
  bool ok = false;
  std::string body;  // when ok: the caller's chat.completion JSON
  Usage usage;
  health::Outcome outcome = health::Outcome::malformed;  // when !ok
  Error error;                                          // when !ok
};

struct DecodeContext {
  const config::Provider& provider;
  std::string_view model;          // the target's model name at the provider
  std::string_view id = {};        // for answers the format must synthesize: "chatcmpl-…"
  int64_t created = 0;             // unix seconds
  bool include_usage = false;      // the caller asked stream_options.include_usage
  // Embeddings: the caller asked encoding_format "base64" (formats whose provider answers
  // floats only, e.g. gemini, then encode each vector as base64 of little-endian float32s).
  bool base64_embeddings = false;
};

// Turns an upstream SSE stream into OpenAI chat.completion.chunk events. The
// base runs the incremental parser (any chunking, bounded memory) and hands
// each event to the format's on_event(); a stream that ends before the format
// saw its end marker fails.
class StreamDecoder {
 public:
  enum class State { open, done, failed };
  explicit StreamDecoder(std::string_view end_marker) : end_marker_(end_marker) {}
  virtual ~StreamDecoder() = default;
  // Appends complete client events ("data: {...}\n\n") to `out`. Once it
  // returns failed, error() says why; once done, further bytes are ignored.
  State feed(std::string_view bytes, std::string& out);
  // End of the upstream body: failed unless the stream finished properly.
  State finish();
  const Error& error() const { return error_; }
  // Once failed: what kind of upstream failure it was (malformed unless the upstream said
  // more, e.g. content_filter for a blocked prompt, status_5xx for an overloaded error event).
  health::Outcome outcome() const { return outcome_; }
  const Usage& usage() const { return usage_; }

 protected:
  // One upstream event; called only while the stream is open. Sets state_ to
  // done at the format's end, or calls fail().
  virtual void on_event(const sse::Event& event, std::string& out) = 0;
  // Fails the stream as a 502 provider_unavailable (code upstream_stream_failed unless set).
  void fail(std::string message);

  State state_ = State::open;
  Error error_;
  Usage usage_;
  health::Outcome outcome_ = health::Outcome::malformed;

 private:
  sse::Parser parser_;
  std::string_view end_marker_;
};

struct WireFormat {
  // Chat completions.
  void (*encode)(const EncodeInput& in, UpstreamRequest& out);
  Decoded (*decode)(int status, std::string_view body, const DecodeContext& ctx);
  std::unique_ptr<StreamDecoder> (*stream)(const DecodeContext& ctx);
  // Embeddings: `in.request` is the caller's OpenAI embeddings body
  // ({model, input, dimensions?, encoding_format?, user?}); decode answers
  // OpenAI's {"object":"list","data":[{"object":"embedding","index","embedding"}],
  // "model","usage":{prompt_tokens,total_tokens}} plus "provider". nullptr:
  // the provider has no embeddings API (the engine skips such targets).
  void (*encode_embeddings)(const EncodeInput& in, UpstreamRequest& out) = nullptr;
  Decoded (*decode_embeddings)(int status, std::string_view body, const DecodeContext& ctx) = nullptr;
  // The provider's own model list: decode answers OpenAI's
  // {"object":"list","data":[{"id","object":"model","created","owned_by"}]}
  // with ids as the provider names them. nullptr: no list API.
  void (*encode_models)(const config::Provider& provider, UpstreamRequest& out) = nullptr;
  Decoded (*decode_models)(int status, std::string_view body, const DecodeContext& ctx) = nullptr;
};

// The wire format a provider type speaks (openai-compatible and echo speak
// OpenAI's). Returns nullptr for types whose format is not built yet.
const WireFormat* wire_format(config::ProviderType type);

// USD for `usage` at the provider's price for `model`, or -1 when unknown.
double cost_of(const config::Provider& provider, std::string_view model, int64_t prompt_tokens,
               int64_t completion_tokens);

// Removes every occurrence of the provider's key from upstream text.
void redact(const config::Provider& provider, std::string& text);

}  // namespace sy::providers
