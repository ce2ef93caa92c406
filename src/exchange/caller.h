// What an exchange needs from whoever asked: somewhere to send the answer. The gateway implements
// it once per caller format (through an ingress codec), so the exchange never renders a format.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "model/answer.h"

namespace sy::exchange {

// How a request was served, for the x-switchyard-* headers.
struct Meta {
  std::string target;       // "provider/model" of the last attempt (or of a cached answer); may be empty
  int attempts = 0;
  std::string_view cache;   // HIT, MISS, BYPASS or COALESCED
};

// Exactly one of these sequences happens per call: answer(); or fail(); or stream_open(), then
// stream_events() any number of times, then stream_close(). Nothing after cancellation.
class Caller {
 public:
  virtual ~Caller() = default;
  // A complete answer: `stored` is its stored form (model/stored.h); `answer` is the same decoded,
  // or nullptr when only the stored form is at hand (cache hits, single-flight followers).
  virtual void answer(std::string_view stored, const model::Answer* answer, const Meta& meta) = 0;
  virtual void fail(const Error& error, const Meta& meta) = 0;
  virtual void stream_open(const Meta& meta) = 0;
  // One group of events (see providers::StreamSink): `raw` is the upstream event as sent.
  virtual void stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) = 0;
  virtual void stream_close(const model::Usage& usage) = 0;
  // An attempt succeeded and cost this much (charged to the caller's budget).
  virtual void spent(const model::Usage& usage) = 0;
};

}  // namespace sy::exchange
