// Pieces shared by the codecs that translate (anthropic, gemini): the request with a target's
// overrides applied, the system prompt, alternating turns, data URLs, stop sequences, upstream
// headers, and error outcomes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.h"

namespace sy::providers::translate {

// The request with the target's override_params applied (model/params.h; an override that is not
// a canonical parameter replaces or joins Request::extras). `arena` holds the parsed override
// values the result points into. Overrides whose JSON does not parse, or whose value a canonical
// parameter refuses, are ignored.
model::Request with_overrides(const EncodeInput& in, json::Document& arena);

// The system and developer messages' texts, joined by a blank line.
std::string system_prompt(const model::Request& request);

// A data: URL split into its media type and base64 payload. False when `url` is not a base64
// data URL.
bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data);

// The non-empty stop sequences (at most `limit`).
std::vector<std::string_view> stop_sequences(const model::Request& request, size_t limit);

// Header lines every upstream request gets: content-type, accept for streams, then `auth` (a
// "name: value\n" line or empty), then the provider's configured headers.
std::string headers(const EncodeInput& in, std::string_view auth);

// One turn of a conversation being built for a provider whose turns must alternate: consecutive
// messages mapping to the same side are merged.
struct Turn {
  bool user = true;
  std::string items;  // JSON objects (content blocks / parts) joined by ','
};

// Appends `item` to the last turn when it is on the same side, else starts a new turn.
void add_to_turn(std::vector<Turn>& turns, bool user, const std::string& item);

// A non-2xx answer as a Decoded error: the outcome from the status and `hint` (or `forced` when
// it is not malformed), status and error_type from the error-class table, the message prefixed
// with who answered what. `error` holds the upstream's message/code/param.
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
