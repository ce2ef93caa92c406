// The canonical request: what a caller asked for, whatever wire format it spoke. An ingress codec
// (src/ingress/) fills it from the caller's body; an egress codec (src/providers/) encodes it for
// a provider. Nothing here is OpenAI's or Anthropic's: each format maps its names onto these.
//
// A Request does not own its text. Every view and Value pointer points into the Envelope that
// holds it (the caller's body and its parsed document), so a Request lives exactly as long as its
// Envelope, which is never moved once filled (hold it by unique_ptr).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/json.h"

namespace sy::model {

// Wire formats, as spoken by a caller (ingress) or a provider (egress). When the caller's format
// is the target's, the target is sent the caller's body with minimal edits.
enum class Format : uint8_t {
  none,
  openai_chat,         // POST /v1/chat/completions: openai, openai-compatible, azure-openai
  openai_embeddings,   // POST /v1/embeddings
  openai_responses,    // POST /v1/responses: openai (the Responses API)
  openai_images,       // POST /v1/images/generations: openai, azure-openai
  anthropic_messages,  // POST /v1/messages: anthropic
};

enum class Kind : uint8_t {
  chat,        // a conversation answered by a model
  embeddings,  // vectors for inputs
  models,      // a provider's own model list
  images,      // pictures generated from a prompt
};

enum class Role : uint8_t { system, developer, user, assistant, tool };

enum class PartType : uint8_t {
  text,
  image,        // url: http(s) or data: URL; detail
  file,         // url (data: URL), id (a provider file id), name (file name)
  audio,        // url: data (base64), media_type: format ("wav", "mp3")
  tool_call,    // id, name, arguments (JSON text as sent); assistant messages
  tool_result,  // id (the call answered), text (its content); tool messages
  reasoning,    // text (thinking, or its summary), signature; redacted: text is opaque data
  refusal,      // text; assistant messages
};

struct Part {
  PartType type = PartType::text;
  std::string_view text;
  std::string_view url;
  std::string_view media_type;
  std::string_view detail;
  std::string_view id;
  std::string_view name;
  std::string_view arguments;
  std::string_view signature;
  bool redacted = false;
  // The part as the caller wrote it, for members the canonical fields do not carry (a format
  // that understands them, such as Anthropic's cache_control, copies them through).
  const json::Value* raw = nullptr;
};

struct Message {
  Role role = Role::user;
  std::string_view name;  // the participant name, when given
  std::vector<Part> parts;
  const json::Value* raw = nullptr;
};

struct Tool {
  std::string_view name;
  std::string_view description;
  const json::Value* parameters = nullptr;  // a JSON Schema object, or nullptr
  std::optional<bool> strict;
  const json::Value* raw = nullptr;
  // A tool the provider runs itself (a server or built-in tool such as web search), in the
  // format of the caller that declared it; none for a function tool the caller runs. Only a
  // codec that runs that format's tools may be sent it (providers::Capabilities::server_tools).
  Format server = Format::none;
};

struct ToolChoice {
  enum class Mode : uint8_t { unset, automatic, none, required, named };
  Mode mode = Mode::unset;
  std::string_view name;  // named: the tool that must be called
};

// Structured output: the answer's text must be JSON (json_object) or JSON that validates against
// `schema` (json_schema).
struct ResponseFormat {
  enum class Type : uint8_t { unset, text, json_object, json_schema };
  Type type = Type::unset;
  std::string_view name;
  std::string_view description;
  const json::Value* schema = nullptr;
  std::optional<bool> strict;
};

struct Sampling {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<int64_t> seed;
  std::optional<int64_t> top_k;
  int64_t n = 1;  // answers wanted
  std::vector<std::string_view> stop;
  std::optional<bool> logprobs;
  std::optional<int64_t> top_logprobs;
  const json::Value* logit_bias = nullptr;  // {token id: bias}
};

// Request-level routing (OpenRouter's fields): more models to fall back to, provider preferences,
// a sticky session. Read by the exchange, never sent upstream.
struct Routing {
  std::vector<std::string_view> models;  // after `model`, in order
  const json::Value* provider = nullptr;  // {order, only, ignore, allow_fallbacks, sort, max_price}
  std::string_view session_id;
};

struct Request {
  Kind kind = Kind::chat;
  Format format = Format::none;  // the caller's wire format
  std::string_view model;        // as requested, before routing

  // Chat
  std::vector<Message> messages;  // in order; system / developer messages stay where they were
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;
  ResponseFormat response_format;
  Sampling sampling;
  int64_t max_tokens = -1;            // the answer's token limit; -1 when unset
  std::string_view reasoning_effort;  // "minimal", "low", "medium", "high"; empty when unset
  int64_t reasoning_budget = -1;      // thinking tokens; -1 when unset
  bool stream = false;
  bool include_usage = false;         // streams: the caller wants a usage event at the end
  std::string_view user;              // the end user, for the provider's abuse monitoring
  const json::Value* metadata = nullptr;  // the caller's labels for the provider (not Switchyard's)
  // Members no canonical field covers, carried to every format that can take them (never
  // silently dropped): name -> value, in the caller's order.
  std::vector<std::pair<std::string_view, const json::Value*>> extras;

  // Embeddings
  std::vector<const json::Value*> inputs;  // each a string or an array of token ids
  bool token_input = false;                // the inputs are token ids, not text
  int64_t dimensions = -1;
  bool base64 = false;                     // vectors as base64 of little-endian float32s

  // Models: the provider whose own list is asked for (GET /v1/models?provider=NAME)
  std::string_view provider;

  // Images (sampling.n is how many; extras carry the rest, e.g. background, output_format)
  std::string_view prompt;
  std::string_view size;     // "1024x1024", "auto", …; empty when unset
  std::string_view quality;  // "low", "medium", "high", "standard", "hd", "auto"; empty when unset
  std::string_view style;    // "vivid", "natural"; empty when unset
  bool image_urls = false;   // the caller asked for URLs (OpenAI response_format "url")
  bool image_b64 = false;    // the caller asked for base64 data ("b64_json"); neither: the
                             // provider's own default (OpenAI dall-e: URLs; the rest: base64)

  // Conversations a server keeps (the Responses API): continue the one this response ended, and
  // whether this one may be kept for a later request to continue.
  std::string_view previous_response_id;
  std::optional<bool> store;
  // The first member (its JSON path, e.g. "tools[2].type") that only a provider speaking the
  // caller's format natively can honour (the Responses API's built-in tools, stored prompts,
  // hosted tools' items): such a request goes only to targets whose codec declares that format
  // native (providers::Capabilities::native). Empty when any target can serve it.
  std::string_view native_only;

  Routing routing;
  const json::Value* controls = nullptr;  // Switchyard's own controls (the body's "switchyard")

  // The caller's body exactly as sent: a target of the same format is sent it with minimal edits.
  std::string_view raw;
};

// A request with the text it points into. Filled once, never moved afterwards.
struct Envelope {
  std::string text;    // the body (as received, or as a service / pipeline built it)
  json::Document doc;  // `text` parsed
  Request request;
};

// The prompt-size estimate used before a provider reports real usage (tpm limits, routing
// conditions, budget reservations): ceil(code points / 4) per text, plus 4 per message; an
// image request counts its prompt alone.
int64_t estimate_tokens(std::string_view text);
int64_t prompt_tokens(const Request& request);

// The text of a message: its text parts joined by `separator`; images as "[image]" when
// `mark_images`.
std::string text_of(const Message& message, std::string_view separator = "\n", bool mark_images = false);

}  // namespace sy::model
