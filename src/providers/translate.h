// Shared pieces of the wire formats that translate (anthropic, gemini): reading the caller's
// OpenAI request, and writing OpenAI chat.completion answers, chat.completion.chunk events and
// error outcomes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.h"

namespace sy::providers::translate {

// The caller's request with the target's override_params applied (an override replaces the
// member of the same name; overrides whose JSON does not parse are ignored). Always an object.
json::Document with_overrides(const EncodeInput& in);

// The string member `name` of `object`, or an empty view.
inline std::string_view string_at(const json::Value& object, std::string_view name) {
  const json::Value* v = json::find(object, name);
  return v ? json::view(*v) : std::string_view();
}

// The request's value as text: a string, or the text parts of a content array joined by
// `separator` (other parts skipped). Empty for anything else.
std::string text_of(const json::Value& content, std::string_view separator = "\n");

// A data: URL split into its media type and base64 payload. False when `url` is not a
// base64 data URL.
bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data);

// "stop": a string or an array of strings -> the non-empty strings (at most `limit`).
std::vector<std::string> stop_sequences(const json::Value* stop, size_t limit);

// max_completion_tokens, else max_tokens, when a positive integer; else -1.
int64_t max_tokens(const json::Value& request);

// Header lines every upstream request gets: content-type, accept for streams, then the
// provider's configured headers after `auth` (a "name: value\n" line or empty).
std::string headers(const EncodeInput& in, std::string_view auth);

struct ToolCall {
  std::string id, name, arguments;  // arguments: JSON text
};

struct Choice {
  std::string content;
  bool has_content = false;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason = "stop";
};

// Token counts beyond Usage: < 0 when the provider did not report them.
struct UsageDetails {
  int64_t cached_tokens = -1;
  int64_t reasoning_tokens = -1;
};

// Fills usage.known and usage.cost (from the provider's prices for ctx.model).
void price(Usage& usage, const DecodeContext& ctx);

// The OpenAI chat.completion JSON: id = ctx.id (or `fallback_id` when ctx.id is empty),
// created = ctx.created, `model`, "provider", choices, usage incl. details and cost.
std::string completion_json(const DecodeContext& ctx, std::string_view fallback_id, std::string_view model,
                            const std::vector<Choice>& choices, const Usage& usage, const UsageDetails& details);

// Appends the "usage" object's value: {prompt_tokens, completion_tokens, total_tokens,
// prompt_tokens_details?, completion_tokens_details?, cost?}.
void append_usage(std::string& out, const Usage& usage, const UsageDetails& details);

// Writes chat.completion.chunk events ("data: {...}\n\n"). The first choice chunk carries
// delta.role "assistant".
class ChunkWriter {
 public:
  explicit ChunkWriter(const DecodeContext& ctx);
  void content(std::string& out, std::string_view text);
  // The first delta of tool call `index`: id, type, name and (possibly empty) arguments.
  void tool_call(std::string& out, int index, std::string_view id, std::string_view name, std::string_view arguments);
  void tool_arguments(std::string& out, int index, std::string_view arguments);
  void finish(std::string& out, std::string_view reason);
  // The include_usage chunk: choices [] and usage.
  void usage(std::string& out, const Usage& usage, const UsageDetails& details);
  bool started() const { return started_; }

 private:
  void open(std::string& out);
  std::string head_;  // "data: {"id":…,"object":…,"created":…,"model":…,"
  bool started_ = false;
};

// One turn of a conversation being built for a provider whose turns must alternate
// (Anthropic, Gemini): consecutive OpenAI messages mapping to the same side are merged.
struct Turn {
  bool user = true;
  std::string items;  // JSON objects (content blocks / parts) joined by ','
};

// Appends `item` to the last turn when it is on the same side, else starts a new turn.
void add_to_turn(std::vector<Turn>& turns, bool user, const std::string& item);

// A non-2xx answer as a Decoded error: the outcome from the status and `hint` (or `forced`
// when it is not malformed), status and error_type from the error-class table, the message
// prefixed with who answered what. `error` holds the upstream's message/code/param.
Decoded upstream_error(int status, ErrorType hint, Error error, const DecodeContext& ctx,
                       health::Outcome forced = health::Outcome::malformed);

// A 2xx whose body is an error object.
Decoded error_in_200(Error error, const DecodeContext& ctx);

// A 2xx that is not an answer of this format.
Decoded malformed(const DecodeContext& ctx, std::string_view what);

// The error-type hint for a provider's error message: context length or content filter
// wording, else internal.
ErrorType hint_from_message(std::string_view message);

}  // namespace sy::providers::translate
