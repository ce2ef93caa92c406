// Egress codecs: one per provider type. Each encodes a canonical request (src/model/) for its
// provider's API, decodes complete answers and SSE streams back into canonical answers and
// events, and maps its error bodies onto the outcomes of the error-class table
// (src/health/error_class.h). Differences between providers are the capabilities a codec
// declares, never branches on a provider type elsewhere.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "config/config.h"
#include "health/error_class.h"
#include "json/json.h"
#include "model/answer.h"
#include "model/request.h"
#include "providers/sse_parser.h"

namespace sy::providers {

// What the exchange hands a codec for one attempt.
struct EncodeInput {
  const config::Config& config;
  const config::Provider& provider;
  std::string_view model;               // the target's model name at the provider
  const model::Request& request;
  // The target's override_params: member -> raw JSON, in canonical parameter names
  // (model/params.h); later entries win.
  const std::vector<std::pair<std::string, std::string>>& overrides;
};

struct UpstreamRequest {
  std::string method = "POST";
  std::string url;
  std::string headers;  // "name: value\n" lines
  std::string body;
};

struct DecodeContext {
  const config::Provider& provider;
  std::string_view model;         // the target's model name at the provider
  const model::Request& request;  // what was asked (kind, stream, response_format, …)
};

// The outcome of decoding a complete upstream answer.
struct Decoded {
  bool ok = false;
  model::Answer answer;                                  // when ok
  health::Outcome outcome = health::Outcome::malformed;  // when !ok
  Error error;                                           // when !ok
};

// Receives a stream's canonical events, one group per upstream event. `raw` is that upstream
// event as sent when the codec speaks a caller format (StreamDecoder::format()): a caller of that
// format may forward it instead of rendering `events`. Views live during the call only.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) = 0;
};

// Turns an upstream SSE stream into canonical events. The base runs the incremental parser (any
// chunking, bounded memory) and hands each upstream event to on_event(), which emit()s the
// canonical events it means; a stream that ends before the format's end marker fails.
class StreamDecoder {
 public:
  enum class State { open, done, failed };
  explicit StreamDecoder(std::string_view end_marker, model::Format format = model::Format::none)
      : end_marker_(end_marker), format_(format) {}
  virtual ~StreamDecoder() = default;

  // Decodes bytes, handing `sink` each upstream event's events. Once it returns failed, error()
  // and outcome() say why; once done, further bytes are ignored.
  State feed(std::string_view bytes, StreamSink& sink);
  // End of the upstream body: failed unless the stream finished properly.
  State finish();
  const Error& error() const { return error_; }
  // Once failed: what kind of upstream failure it was (malformed unless the upstream said more,
  // e.g. content_filter for a blocked prompt, status_5xx for an overloaded error event).
  health::Outcome outcome() const { return outcome_; }
  // Usage as reported so far, priced (cost) once the stream is done.
  const model::Usage& usage() const { return usage_; }
  model::Format format() const { return format_; }
  // Text that must never reach a caller (the provider's key, at least 4 bytes): an event holding
  // it is decoded from a copy with it replaced by "[redacted]". The view must outlive the decoder.
  void hide(std::string_view secret) { secret_ = secret.size() >= 4 ? secret : std::string_view(); }

 protected:
  // One upstream event; called only while the stream is open. emit()s canonical events, sets
  // state_ to done at the format's end, or calls fail(). `raw_` may be set to the event's data
  // (on one line) for callers of format(); the base adds the event's name.
  virtual void on_event(const sse::Event& event) = 0;
  void emit(const model::StreamEvent& event) { events_.push_back(event); }
  // Fails the stream as a 502 provider_unavailable (code upstream_stream_failed unless set).
  void fail(std::string message);

  State state_ = State::open;
  Error error_;
  model::Usage usage_;
  health::Outcome outcome_ = health::Outcome::malformed;
  std::string_view raw_;
  // Upstream events (SSE name, data) held back so far: forwarded raw, in order, right before the
  // next event that emits canonical events or raw data, and dropped if the stream fails first.
  // A decoder holds back the events that only open a stream, so that an error event right
  // after them still fails over (the first forwarded event commits the call to this target).
  std::vector<std::pair<std::string, std::string>> held_;

 private:
  sse::Parser parser_;
  std::string_view end_marker_;
  model::Format format_;
  std::vector<model::StreamEvent> events_;
  std::string_view secret_;
  std::string scrubbed_;  // the current event's data without the secret, when it held it
};

struct Capabilities {
  bool free = false;            // costs nothing (echo): usage cost 0, price 0 for cost routing
  bool chat = true;
  bool embeddings = false;
  bool models = false;          // the provider has its own model list
  bool token_input = false;     // embeds token-id inputs, not only text
  bool images = false;          // generates images from a prompt
  bool local = false;           // answers inside the core (no FETCH): Codec::answer
  int64_t max_n = 1;            // answers per request it can give
  bool n_in_streams = false;    // and whether it can when streaming
  // The format whose server tools (model::Tool::server) the provider runs; none: it runs none.
  model::Format server_tools = model::Format::none;
  // Images per request the target's model can give (dall-e-3 one, Imagen four, …); max_n when
  // unset.
  int64_t (*max_images)(std::string_view model) = nullptr;
  // A caller format the provider speaks natively: requests of that format are sent as they came
  // (so even their Request::native_only members reach it). none: every request is translated.
  model::Format native = model::Format::none;
};

struct Codec {
  // A codec that speaks a caller format natively forwards requests of that format with minimal
  // edits and answers them raw (Answer::raw, RawEvent); that is its own decision, by
  // request.format.
  Capabilities caps;
  // Chat, embeddings or a model list, by request.kind (only kinds caps allows are asked).
  void (*encode)(const EncodeInput& in, UpstreamRequest& out) = nullptr;
  Decoded (*decode)(int status, std::string_view body, const DecodeContext& ctx) = nullptr;
  std::unique_ptr<StreamDecoder> (*stream)(const DecodeContext& ctx) = nullptr;
  // caps.local: the whole answer, made in the core (a stream request is replayed from it).
  Decoded (*answer)(const EncodeInput& in) = nullptr;
};

// The codec of a provider type.
const Codec& codec(config::ProviderType type);

// Why a codec cannot serve a request: the request field at fault ("model", "input", "n") and
// what the target lacks ("offers embeddings"). Empty param when it can serve it. The views point
// into static text or into the request (Request::native_only), which outlives the call.
struct Refusal {
  std::string_view param;
  std::string_view lacks;
};

// The exchange skips targets whose codec refuses the request, and answers 400 naming the field
// when no target is left ("no target of \"m\" offers embeddings"). `model` is the target's model
// name at the provider (for limits that depend on it, such as Capabilities::max_images).
Refusal refusal(const Codec& codec, const model::Request& request, std::string_view model = {});

// USD for the usage at the provider's price for `model`, or -1 when unknown.
double cost_of(const config::Provider& provider, std::string_view model, int64_t prompt_tokens,
               int64_t completion_tokens);

// Fills usage.known and usage.cost from the provider's prices for `model`.
void price(model::Usage& usage, const config::Provider& provider, std::string_view model);

// Removes every occurrence of the provider's key from upstream text (keys under 4 bytes are not
// searched for).
void redact(const config::Provider& provider, std::string& text);
void redact(std::string_view secret, std::string& text);

}  // namespace sy::providers
