// The canonical answer and stream events: what a provider said, whatever wire format it spoke.
// An egress codec (src/providers/) decodes a provider's answer or stream into these; an ingress
// codec (src/ingress/) renders them in the caller's format. Unlike a Request, an Answer owns its
// text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "model/request.h"

namespace sy::model {

enum class Finish : uint8_t {
  none,            // not finished (stream events before the end)
  stop,            // the model ended its answer, or hit a stop sequence
  length,          // cut by the token limit
  tool_calls,      // the model called tools and waits for their results
  content_filter,  // the provider withheld content
  error,           // a stream that failed after it started
};

// The canonical name of a finish reason ("stop", "length", "tool_calls", "content_filter",
// "error"; "" for none), and back (unknown names are `stop`).
std::string_view finish_name(Finish finish);
Finish finish_of(std::string_view name);

struct Usage {
  bool known = false;
  int64_t prompt_tokens = 0;      // all input tokens, cached ones included
  int64_t completion_tokens = 0;  // all output tokens, reasoning ones included
  int64_t cached_tokens = -1;     // of prompt_tokens, read from a provider cache; -1 unknown
  int64_t reasoning_tokens = -1;  // of completion_tokens, spent thinking; -1 unknown
  double cost = -1;               // USD; < 0 when no price is known
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct Reasoning {
  std::string text;       // thinking text or its summary; opaque data when redacted
  std::string signature;  // the provider's signature, sent back with the next turn
  bool redacted = false;
};

// One answer of a model (OpenAI's choice, Anthropic's message, Gemini's candidate).
struct Output {
  std::string text;
  bool has_text = false;  // text was given (possibly empty), as opposed to absent
  std::string refusal;
  std::vector<Reasoning> reasoning;
  std::vector<ToolCall> tool_calls;
  Finish finish = Finish::stop;
};

struct Image {
  std::string b64;             // the picture's bytes in base64, when given inline
  std::string url;             // or where to fetch it
  std::string media_type;      // "image/png", …; empty when unknown
  std::string revised_prompt;  // the prompt the provider actually used, when it says
};

struct ModelEntry {
  std::string id;
  int64_t created = 0;
  std::string owned_by;
};

struct Answer {
  Kind kind = Kind::chat;
  std::string id;        // the provider's id for the answer, when it gave one
  int64_t created = 0;   // unix seconds, when the provider said
  std::string model;     // the model that answered, as the provider names it
  std::string provider;  // the config's name of the provider that answered
  std::vector<Output> outputs;
  Usage usage;
  // Top-level members no canonical field covers (system_fingerprint, service_tier, …): name ->
  // JSON text, passed on to callers whose format has a place for them.
  std::vector<std::pair<std::string, std::string>> extras;

  // Embeddings: each vector as its JSON text (an array of numbers, or a base64 string).
  std::vector<std::string> embeddings;
  // Models
  std::vector<ModelEntry> models;
  // Images
  std::vector<Image> images;

  // The answer exactly as a provider of format `raw_format` sent it (with `provider` and usage
  // cost filled in), when a caller of that format may be sent it as is. Empty otherwise.
  Format raw_format = Format::none;
  std::string raw;
  // Only usage, finish reasons and `raw` are filled: a decoder whose caller speaks raw_format
  // leaves the content in `raw` (model::stored::parse reads it when someone needs it).
  bool summary = false;
};

// An upstream stream event as the provider sent it: a caller of the same format may be sent it
// as is instead of the canonical events it was decoded into. Views live during the call only.
struct RawEvent {
  Format format = Format::none;  // none: there is nothing to forward
  std::string_view event;        // the SSE `event` field (empty for the default)
  std::string_view data;         // the event's data, one line
};

// One step of a streamed answer. Views point into the decoder's buffers: valid only during the
// call that hands the event over.
struct StreamEvent {
  enum class Type : uint8_t {
    text,             // text delta of output `output`
    reasoning,        // thinking delta (text, and/or signature when it arrives)
    refusal,          // refusal text delta
    tool_call,        // a new tool call `tool` of output `output`: id, name, first arguments
    tool_arguments,   // more arguments of tool call `tool`
    finish,           // output `output` finished with `finish`
    usage,            // the answer's usage so far (the last one wins)
    error,            // the stream failed after it started (`error`); nothing follows
  };
  Type type = Type::text;
  int output = 0;
  int tool = 0;  // index of the tool call within its output
  std::string_view text;  // text, reasoning text, refusal, tool arguments
  std::string_view id;    // tool_call
  std::string_view name;  // tool_call
  std::string_view signature;  // reasoning
  bool redacted = false;       // reasoning
  Finish finish = Finish::none;
  Usage usage;
  const Error* error = nullptr;
};

}  // namespace sy::model
