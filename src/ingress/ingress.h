// Ingress codecs: one per format callers speak. Each parses and validates a caller's body into
// the canonical request (src/model/request.h) and renders canonical answers, stream events and
// errors back in that format. The gateway (src/gateway/) picks the codec by route; the exchange
// never sees a caller's format.
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
#include "model/answer.h"
#include "model/request.h"

namespace sy::ingress {

// What a codec decodes with, besides the body.
struct DecodeArgs {
  const config::Config& config;
  std::string_view name;  // the route's name part: the service of /v1/services/{name}
};

// Per request, what a codec renders with.
struct Context {
  std::string_view request_id;        // "req_…": answers that need an id of their own derive it
  int64_t created = 0;                // unix seconds when the request started
  std::string_view model;             // the model that answers, as its provider names it
  const model::Request* request = nullptr;
};

// Renders one streamed answer in the caller's format. Each call appends complete events (for
// SSE formats, whole "data: …\n\n" events) to `out`.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // One group of canonical events (one upstream event's worth). `raw` is that upstream event as
  // sent: a writer of raw.format forwards it instead of rendering `events`. An error event ends
  // the answer: only close() follows.
  virtual void events(std::span<const model::StreamEvent> events, const model::RawEvent& raw, std::string& out) = 0;
  // The stream is over (after its finish events, or after an error event): what the format
  // sends last (a usage event when the request asked for it, an end marker).
  virtual void close(const model::Usage& usage, std::string& out) = 0;
  // After close(): the complete answer body the stream amounted to, for formats whose server
  // keeps conversations (Codec::conversations); empty otherwise or when the stream failed.
  virtual std::string_view answer() const { return {}; }
};

// What a request refers to that an earlier answer left behind: a kept conversation or one
// item of one (the Responses API's previous_response_id and item_reference inputs).
struct Reference {
  std::string field;   // the request field that names it, as a 400 names it: "input[2].id"
  std::string id;      // the id it is kept under
  std::string code;    // the error code when nothing is kept under that id
  std::string what;    // what it names, as the 400 says: "Previous response" with id '…' not found.
  // An id the target may hold itself (an item OpenAI stored): when the gateway keeps nothing
  // under it, or keeps nothing at all, resume() gets an empty record for it instead of a 400.
  bool optional = false;
};

// Formats whose server keeps what it answered for later requests to refer to. The gateway keeps
// the records in the host's persistent tier, partitioned by gateway key
// (gateway/conversations.h); the codec decides what a record holds.
struct Conversations {
  // What env's request refers to, in the order the records come back to resume(); nothing
  // when it refers to nothing.
  void (*references)(const model::Envelope& env, std::vector<Reference>& out) = nullptr;
  // Decodes env afresh (nothing points into it yet) with records[i] the record kept for
  // references()[i], folded in (a conversation before the new input, an item in its place).
  // False with a 400 whose param names the field at fault.
  bool (*resume)(model::Envelope& env, std::span<const std::string> records, const DecodeArgs& args,
                 Error& error) = nullptr;
  // The records to keep for `answer` (a complete answer body of this format, as sent) to the
  // request of ctx: (id, record) pairs; none when the request said store: false.
  void (*keep)(const Context& ctx, std::string_view answer, std::vector<std::pair<std::string, std::string>>& out) =
      nullptr;
};

struct Codec {
  model::Format format = model::Format::none;
  // Parses and validates env.text into env.doc and env.request. On a problem returns false with
  // a 400 (or a 404 for an unknown service) whose param names the field at fault.
  bool (*decode)(model::Envelope& env, const DecodeArgs& args, Error& error) = nullptr;
  // The body of a complete answer (JSON). `stored` is its stored form (model/stored.h);
  // `answer` is the same answer decoded, or nullptr when only the stored form is at hand. An
  // answer whose raw body is in this codec's format (Answer::raw_format) is sent as that body,
  // and may come with an empty `stored`. nullptr: the stored form is this format's body, sent as
  // it is (no copy).
  std::string (*answer)(std::string_view stored, const model::Answer* answer, const Context& ctx) = nullptr;
  // A writer for a streamed answer (nullptr for formats that never stream).
  std::unique_ptr<StreamWriter> (*stream)(const Context& ctx) = nullptr;
  // The body of an error answer in this format.
  std::string (*error)(const Error& error) = nullptr;
  const Conversations* conversations = nullptr;
};

}  // namespace sy::ingress
