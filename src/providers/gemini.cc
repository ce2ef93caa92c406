#include "providers/gemini.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "base/url.h"
#include "providers/gemini_images.h"
#include "providers/translate.h"

namespace sy::providers::gemini {

namespace {

using json::Value;
using model::Part;
using model::PartType;
using translate::Turn;

std::string_view string_at(const Value& object, std::string_view name) {
  const Value* v = json::find(object, name);
  return v ? json::view(*v) : std::string_view();
}

// Starts member `name` in `out`, the members of a JSON object being written without its braces.
std::string& member(std::string& out, std::string_view name) {
  if (!out.empty()) out += ',';
  out += '"';
  out += name;
  out += "\":";
  return out;
}

std::string auth_header(const config::Provider& provider) {
  return provider.api_key.empty() ? std::string() : "x-goog-api-key: " + provider.api_key + "\n";
}

// {base_url}/models/{model}{method}. The model name is one path segment: no name can reach
// another path or the query (which would carry the provider's key elsewhere).
std::string model_url(const EncodeInput& in, std::string_view method) {
  return in.provider.base_url + "/models/" + path_segment(in.model) + std::string(method);
}

// ---------------------------------------------------------------------------------------
// Request parts, written as object members without braces

std::string text_members(std::string_view text) {
  std::string m = "\"text\":";
  json::append_string(m, text);
  return m;
}

// The media type a URL's file extension names; empty when unknown.
std::string_view media_type_of(std::string_view url) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"png", "image/png"},        {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"}, {"webp", "image/webp"},
      {"gif", "image/gif"},        {"heic", "image/heic"}, {"heif", "image/heif"}, {"pdf", "application/pdf"},
      {"txt", "text/plain"},       {"csv", "text/csv"},    {"html", "text/html"},  {"wav", "audio/wav"},
      {"mp3", "audio/mp3"},        {"aac", "audio/aac"},   {"ogg", "audio/ogg"},   {"flac", "audio/flac"},
      {"aiff", "audio/aiff"},      {"mp4", "video/mp4"},   {"webm", "video/webm"}, {"mov", "video/mov"},
  };
  url = url.substr(0, url.find_first_of("?#"));
  size_t dot = url.find_last_of("./");
  if (dot == std::string_view::npos || url[dot] != '.') return {};
  std::string ext(url.substr(dot + 1));
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  for (const auto& [e, type] : kTypes)
    if (e == ext) return type;
  return {};
}

std::string inline_data(std::string_view media_type, std::string_view data) {
  std::string m = "\"inlineData\":{\"mimeType\":";
  json::append_string(m, media_type);
  m += ",\"data\":";
  json::append_string(m, data);
  return m + "}";
}

// `url` as inlineData (a base64 data: URL) or fileData (an http(s) URL, typed by `media_type`,
// else by its extension, else `fallback`; untyped when all are empty). Empty for other URLs.
std::string media_members(std::string_view url, std::string_view media_type, std::string_view fallback) {
  std::string_view data_type, data;
  if (translate::split_data_url(url, data_type, data)) {
    if (data_type == "application/octet-stream" && !media_type.empty()) data_type = media_type;
    return inline_data(data_type, data);
  }
  if (url.substr(0, 8) != "https://" && url.substr(0, 7) != "http://") return {};
  std::string_view type = !media_type.empty() ? media_type : media_type_of(url);
  if (type.empty()) type = fallback;
  std::string m = "\"fileData\":{";
  if (!type.empty()) {
    m += "\"mimeType\":";
    json::append_string(m, type);
    m += ',';
  }
  m += "\"fileUri\":";
  json::append_string(m, url);
  return m + "}";
}

// Audio: base64 data (or a data: URL) with its format ("wav", "mp3") or media type.
std::string audio_members(const Part& part) {
  std::string_view data_type, data;
  if (translate::split_data_url(part.url, data_type, data)) return inline_data(data_type, data);
  if (part.url.empty() || part.media_type.empty()) return {};
  std::string type(part.media_type);
  if (type.find('/') == std::string::npos) type = "audio/" + type;
  return inline_data(type, part.url);
}

// `raw` when it is a JSON object, else `{"<key>": raw}` (Gemini wants objects for function
// arguments and responses); `{}` when `key` is empty.
void append_object(std::string& out, std::string_view raw, std::string_view key) {
  json::Document parsed;
  std::string error;
  if (json::parse(raw, parsed, error) && parsed.IsObject()) {
    json::append_value(out, parsed);
    return;
  }
  if (key.empty()) {
    out += "{}";
    return;
  }
  out += '{';
  json::append_string(out, key);
  out += ':';
  json::append_string(out, raw);
  out += '}';
}

// tool_call id -> function name, from the assistant messages so far.
using CallNames = std::map<std::string_view, std::string_view, std::less<>>;

std::string function_call(const Part& part) {
  std::string m = "\"functionCall\":{\"name\":";
  json::append_string(m, part.name);
  m += ",\"args\":";
  append_object(m, part.arguments, {});
  return m + "}";
}

std::string function_response(const Part& part, const model::Message& message, const CallNames& names) {
  auto it = names.find(part.id);
  std::string m = "\"functionResponse\":{\"name\":";
  json::append_string(m, it != names.end() ? it->second : message.name);
  m += ",\"response\":";
  append_object(m, part.text, "content");
  return m + "}";
}

// A user or tool message's parts, into a user turn.
void add_user(std::vector<Turn>& turns, const model::Message& message, const CallNames& names) {
  for (const Part& part : message.parts) {
    std::string members;
    switch (part.type) {
      case PartType::text:
      case PartType::refusal:
        if (!part.text.empty()) members = text_members(part.text);
        break;
      case PartType::image: members = media_members(part.url, part.media_type, "image/jpeg"); break;
      case PartType::file: members = media_members(part.url, part.media_type, {}); break;
      case PartType::audio: members = audio_members(part); break;
      case PartType::tool_result: members = function_response(part, message, names); break;
      case PartType::tool_call:
      case PartType::reasoning: break;  // the model's own parts
    }
    if (!members.empty()) translate::add_to_turn(turns, true, "{" + members + "}");
  }
}

// One part of a model turn being built, with the thought signature it will carry.
struct ModelItem {
  bool call = false;
  std::string members;
  std::string_view signature;
};

// Gives `signature` (of a reasoning part seen before items[at]) to the first function call at
// or after `at` that has none, else the first such text part, else the last such text part
// before `at`. Dropped when there is none.
void place_signature(std::vector<ModelItem>& items, size_t at, std::string_view signature) {
  auto first_free = [&](bool call) -> ModelItem* {
    for (size_t i = at; i < items.size(); ++i)
      if (items[i].call == call && items[i].signature.empty()) return &items[i];
    return nullptr;
  };
  ModelItem* item = first_free(true);
  if (!item) item = first_free(false);
  for (size_t i = at; !item && i > 0; --i)
    if (!items[i - 1].call && items[i - 1].signature.empty()) item = &items[i - 1];
  if (item) item->signature = signature;
}

// An assistant message's parts, into a model turn: text, function calls (noted in `names`) and
// the reasoning signatures they carry. Thought text is not sent back.
void add_model(std::vector<Turn>& turns, const model::Message& message, CallNames& names) {
  std::vector<ModelItem> items;
  std::vector<std::pair<size_t, std::string_view>> signatures;
  for (const Part& part : message.parts) {
    if ((part.type == PartType::text || part.type == PartType::refusal) && !part.text.empty()) {
      items.push_back({false, text_members(part.text), {}});
    } else if (part.type == PartType::tool_call && !part.name.empty()) {
      names[part.id] = part.name;
      items.push_back({true, function_call(part), {}});
    } else if (part.type == PartType::reasoning && !part.redacted && !part.signature.empty()) {
      signatures.emplace_back(items.size(), part.signature);
    }
  }
  for (const auto& [at, signature] : signatures) place_signature(items, at, signature);
  for (const ModelItem& item : items) {
    std::string p = "{" + item.members;
    if (!item.signature.empty()) json::append_string(member(p, "thoughtSignature"), item.signature);
    translate::add_to_turn(turns, false, p + "}");
  }
}

// The "contents" array: alternating user and model turns (system messages go elsewhere).
std::string contents(const model::Request& request) {
  std::vector<Turn> turns;
  CallNames names;
  for (const model::Message& m : request.messages) {
    if (m.role == model::Role::user || m.role == model::Role::tool) add_user(turns, m, names);
    else if (m.role == model::Role::assistant) add_model(turns, m, names);
  }
  std::string out = "[";
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i) out += ',';
    out += turns[i].user ? "{\"role\":\"user\",\"parts\":[" : "{\"role\":\"model\",\"parts\":[";
    out += turns[i].items;
    out += "]}";
  }
  return out + "]";
}

// ---------------------------------------------------------------------------------------
// Request: tools, generation config, extras

// The functionDeclarations' items, joined by ','.
std::string function_declarations(const model::Request& request) {
  std::string list;
  for (const model::Tool& tool : request.tools) {
    if (tool.name.empty()) continue;
    if (!list.empty()) list += ',';
    list += "{\"name\":";
    json::append_string(list, tool.name);
    if (!tool.description.empty()) {
      list += ",\"description\":";
      json::append_string(list, tool.description);
    }
    if (tool.parameters && tool.parameters->IsObject()) {
      list += ",\"parametersJsonSchema\":";
      json::append_value(list, *tool.parameters);
    }
    list += '}';
  }
  return list;
}

std::string tool_config(const model::ToolChoice& choice) {
  using Mode = model::ToolChoice::Mode;
  std::string_view mode;
  switch (choice.mode) {
    case Mode::automatic: mode = "AUTO"; break;
    case Mode::none: mode = "NONE"; break;
    case Mode::required: mode = "ANY"; break;
    case Mode::named: mode = choice.name.empty() ? "" : "ANY"; break;
    case Mode::unset: break;
  }
  if (mode.empty()) return {};
  std::string out = "{\"functionCallingConfig\":{\"mode\":\"" + std::string(mode) + "\"";
  if (choice.mode == Mode::named) {
    out += ",\"allowedFunctionNames\":[";
    json::append_string(out, choice.name);
    out += ']';
  }
  return out + "}}";
}

// thinkingConfig's members. thinkingBudget (not thinkingLevel) because every thinking model
// takes it: Gemini 2.5 models know only budgets, Gemini 3 models accept budgets besides levels.
// reasoning_effort uses the budgets of Gemini's own OpenAI compatibility layer.
std::string thinking_config(const model::Request& request) {
  static constexpr std::pair<std::string_view, int64_t> kBudgets[] = {
      {"none", 0},      {"minimal", 1024}, {"low", 1024}, {"medium", 8192},
      {"high", 24576},  {"xhigh", 24576},  {"max", 24576},  // the most every 2.5 model accepts
  };
  int64_t budget = request.reasoning_budget;
  for (const auto& [effort, tokens] : kBudgets)
    if (budget < 0 && effort == request.reasoning_effort) budget = tokens;
  if (budget < 0) return {};
  std::string t;
  member(t, "thinkingBudget") += std::to_string(budget);
  if (budget > 0) member(t, "includeThoughts") += "true";
  return t;
}

void response_format(const model::ResponseFormat& format, std::string& g) {
  using Type = model::ResponseFormat::Type;
  if (format.type != Type::json_object && format.type != Type::json_schema) return;
  member(g, "responseMimeType") += "\"application/json\"";
  if (format.type == Type::json_schema && format.schema && format.schema->IsObject())
    json::append_value(member(g, "responseJsonSchema"), *format.schema);
}

// generationConfig's members. n > 1 is asked only without streaming (one candidate streams).
std::string generation_config(const model::Request& request, bool stream) {
  const model::Sampling& s = request.sampling;
  std::string g;
  if (s.temperature) json::append_number(member(g, "temperature"), *s.temperature);
  if (s.top_p) json::append_number(member(g, "topP"), *s.top_p);
  if (s.top_k && *s.top_k > 0) member(g, "topK") += std::to_string(*s.top_k);
  if (request.max_tokens > 0) member(g, "maxOutputTokens") += std::to_string(request.max_tokens);
  std::vector<std::string_view> stops = translate::stop_sequences(request, 5);
  if (!stops.empty()) {
    member(g, "stopSequences") += '[';
    for (size_t i = 0; i < stops.size(); ++i) {
      if (i) g += ',';
      json::append_string(g, stops[i]);
    }
    g += ']';
  }
  if (s.seed && *s.seed >= INT32_MIN && *s.seed <= INT32_MAX) member(g, "seed") += std::to_string(*s.seed);
  if (s.n > 1 && !stream) member(g, "candidateCount") += std::to_string(s.n);
  response_format(request.response_format, g);
  std::string thinking = thinking_config(request);
  if (!thinking.empty()) member(g, "thinkingConfig") += "{" + thinking + "}";
  return g;
}

// Members of Gemini's GenerateContentRequest that a caller may pass among its extras (in the
// REST API's camelCase or the protobuf snake_case). Every other extra is dropped: Gemini refuses
// a request with an unknown member (400 "Unknown name").
constexpr std::pair<std::string_view, std::string_view> kExtras[] = {
    {"safetySettings", "safetySettings"},
    {"safety_settings", "safetySettings"},
    {"cachedContent", "cachedContent"},
    {"cached_content", "cachedContent"},
};

void append_extras(const model::Request& request, std::string& b) {
  std::vector<std::string_view> sent;
  for (const auto& [name, value] : request.extras) {
    for (const auto& [caller, gemini] : kExtras) {
      if (name != caller || !value || std::find(sent.begin(), sent.end(), gemini) != sent.end()) continue;
      sent.push_back(gemini);
      json::append_value(member(b, gemini), *value);
    }
  }
}

void encode_chat(const EncodeInput& in, UpstreamRequest& out) {
  json::Document arena;
  model::Request request = translate::with_overrides(in, arena);
  bool stream = in.request.stream;
  out.method = "POST";
  out.url = model_url(in, stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  out.headers = translate::headers(in, auth_header(in.provider));

  std::string b;
  member(b, "contents") += contents(request);
  if (std::string system = translate::system_prompt(request); !system.empty())
    member(b, "systemInstruction") += "{\"parts\":[{" + text_members(system) + "}]}";
  if (std::string declarations = function_declarations(request); !declarations.empty()) {
    member(b, "tools") += "[{\"functionDeclarations\":[" + declarations + "]}]";
    if (std::string config = tool_config(request.tool_choice); !config.empty()) member(b, "toolConfig") += config;
  }
  if (std::string generation = generation_config(request, stream); !generation.empty())
    member(b, "generationConfig") += "{" + generation + "}";
  append_extras(request, b);
  out.body = "{" + b + "}";
}

// The vectors' size asked for: a target's override_params "dimensions" (not a canonical chat
// parameter, so with_overrides leaves it among the extras), else the request's; -1 when unset.
int64_t dimensions_of(const model::Request& request) {
  for (const auto& [name, value] : request.extras)
    if (name == "dimensions" && value && value->IsInt64()) return value->GetInt64();
  return request.dimensions;
}

// POST {base_url}/models/{model}:batchEmbedContents, one EmbedContentRequest per input (Gemini
// wants the model named in each). Token-id inputs get no part, which Gemini refuses; the
// exchange never sends them here (caps.token_input is false).
void encode_embeddings(const EncodeInput& in, UpstreamRequest& out) {
  json::Document arena;
  model::Request request = translate::with_overrides(in, arena);
  out.method = "POST";
  out.url = model_url(in, ":batchEmbedContents");
  out.headers = translate::headers(in, auth_header(in.provider));
  std::string head = "{\"model\":";
  json::append_string(head, "models/" + std::string(in.model));
  head += ",\"content\":{\"parts\":[";
  std::string tail = "]}";
  if (int64_t dimensions = dimensions_of(request); dimensions > 0)
    tail += ",\"outputDimensionality\":" + std::to_string(dimensions);
  tail += '}';
  std::string& b = out.body;
  b = "{\"requests\":[";
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    if (i) b += ',';
    b += head;
    const Value* input = request.inputs[i];
    if (input && input->IsString()) b += "{" + text_members(json::view(*input)) + "}";
    b += tail;
  }
  b += "]}";
}

// GET {base_url}/models?pageSize=1000 (Gemini's largest page: one page holds them all).
void encode_models(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "GET";
  out.url = in.provider.base_url + "/models?pageSize=1000";
  out.headers = auth_header(in.provider);
  for (const auto& [name, value] : in.provider.headers) out.headers += name + ": " + value + "\n";
  out.body.clear();
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  switch (in.request.kind) {
    case model::Kind::chat: encode_chat(in, out); return;
    case model::Kind::embeddings: encode_embeddings(in, out); return;
    case model::Kind::models: encode_models(in, out); return;
    case model::Kind::images: gemini_images::encode(in, out); return;
  }
}

// ---------------------------------------------------------------------------------------
// Answers

bool is_filter_reason(std::string_view r) {
  return r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" || r == "SPII" ||
         r == "IMAGE_SAFETY" || r == "IMAGE_PROHIBITED_CONTENT" || r == "IMAGE_RECITATION";
}

model::Finish finish_reason(std::string_view reason, bool called) {
  if (reason == "MAX_TOKENS") return model::Finish::length;
  if (is_filter_reason(reason)) return model::Finish::content_filter;
  // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …
  return called ? model::Finish::tool_calls : model::Finish::stop;
}

// usageMetadata into `usage`; counts it does not give keep their value.
void read_usage(const Value& doc, model::Usage& usage) {
  const Value* u = json::find(doc, "usageMetadata");
  if (!u || !u->IsObject()) return;
  auto count = [&](std::string_view name) -> int64_t {
    const Value* v = json::find(*u, name);
    return v && v->IsInt64() ? v->GetInt64() : -1;
  };
  int64_t cached = count("cachedContentTokenCount"), thoughts = count("thoughtsTokenCount");
  usage.known = true;
  usage.prompt_tokens = std::max<int64_t>(count("promptTokenCount"), 0);
  usage.completion_tokens = std::max<int64_t>(count("candidatesTokenCount"), 0) + std::max<int64_t>(thoughts, 0);
  if (cached >= 0) usage.cached_tokens = cached;
  if (thoughts >= 0) usage.reasoning_tokens = thoughts;
}

// Reads {"error":{"code","message","status"}}; returns the hint and sets `outcome` when the
// body says more than the HTTP status (a bad API key is a 400 INVALID_ARGUMENT).
ErrorType read_error(const Value& doc, Error& error, health::Outcome& outcome) {
  outcome = health::Outcome::malformed;
  const Value* e = json::find(doc, "error");
  if (!e || !e->IsObject()) return ErrorType::internal;
  error.message = string_at(*e, "message");
  std::string_view status = string_at(*e, "status");
  error.code = status;
  bool bad_key = error.message.find("API key not valid") != std::string::npos;
  if (const Value* details = json::find(*e, "details"); details && details->IsArray())
    for (const Value& d : details->GetArray())
      if (string_at(d, "reason") == "API_KEY_INVALID") bad_key = true;
  if (bad_key || status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED") outcome = health::Outcome::auth;
  else if (status == "RESOURCE_EXHAUSTED") outcome = health::Outcome::status_429;
  else if (status == "UNAVAILABLE" || status == "INTERNAL") outcome = health::Outcome::status_5xx;
  else if (status == "DEADLINE_EXCEEDED") outcome = health::Outcome::timeout;
  else if (status == "NOT_FOUND") outcome = health::Outcome::not_found;
  return translate::hint_from_message(error.message);
}

// The prompt was blocked: no candidates and promptFeedback.blockReason.
bool prompt_blocked(const Value& doc, Error& error) {
  const Value* feedback = json::find(doc, "promptFeedback");
  std::string_view reason = feedback ? string_at(*feedback, "blockReason") : std::string_view();
  if (reason.empty()) return false;
  error = {400, ErrorType::content_filtered, "the prompt was blocked (" + std::string(reason) + ")", "content_filter"};
  return true;
}

Error answer_blocked(std::string_view reason) {
  return {400, ErrorType::content_filtered, "the answer was blocked (" + std::string(reason) + ")", "content_filter"};
}

Decoded blocked(Error error, const DecodeContext& ctx) {
  return translate::upstream_error(400, ErrorType::content_filtered, std::move(error), ctx,
                                   health::Outcome::content_filter);
}

// A non-2xx answer: the status decides, except that a bad key (400 API_KEY_INVALID) is auth.
Decoded status_error(int status, bool parsed, const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  ErrorType hint = parsed ? read_error(doc, error, outcome) : ErrorType::internal;
  if (hint != ErrorType::internal || outcome != health::Outcome::auth) outcome = health::Outcome::malformed;
  return translate::upstream_error(status, hint, std::move(error), ctx, outcome);
}

Decoded error_body(const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome ignored;
  read_error(doc, error, ignored);
  return translate::error_in_200(std::move(error), ctx);
}

// One part of a candidate's content as the canonical model sees it.
struct PartView {
  enum class Kind { thought, text, call, other };
  Kind kind = Kind::other;
  std::string_view text;       // thought or text
  std::string_view signature;  // its thoughtSignature
  const Value* call = nullptr;  // the functionCall object
};

PartView read_part(const Value& part) {
  PartView p;
  p.signature = string_at(part, "thoughtSignature");
  const Value* text = json::find(part, "text");
  const Value* thought = json::find(part, "thought");
  const Value* call = json::find(part, "functionCall");
  if (thought && thought->IsTrue()) {
    p.kind = PartView::Kind::thought;
    p.text = text ? json::view(*text) : std::string_view();
  } else if (text && text->IsString()) {
    p.kind = PartView::Kind::text;
    p.text = json::view(*text);
  } else if (call && call->IsObject()) {
    p.kind = PartView::Kind::call;
    p.call = call;
  }
  return p;
}

// The parts of a candidate's content, or nullptr.
const Value* parts_of(const Value& candidate) {
  const Value* content = json::find(candidate, "content");
  const Value* parts = content ? json::find(*content, "parts") : nullptr;
  return parts && parts->IsArray() ? parts : nullptr;
}

// A functionCall as a tool call; `calls` numbers the ids Gemini does not give across the answer.
model::ToolCall tool_call(const Value& call, int& calls) {
  model::ToolCall tc;
  std::string_view id = string_at(call, "id");
  tc.id = id.empty() ? "call_" + std::to_string(calls) : std::string(id);
  ++calls;
  tc.name = string_at(call, "name");
  if (const Value* args = json::find(call, "args")) json::append_value(tc.arguments, *args);
  else tc.arguments = "{}";
  return tc;
}

model::Output read_output(const Value& candidate, int& calls) {
  model::Output out;
  if (const Value* parts = parts_of(candidate)) {
    for (const Value& part : parts->GetArray()) {
      PartView p = read_part(part);
      if (p.kind == PartView::Kind::thought) {
        out.reasoning.push_back({std::string(p.text), std::string(p.signature)});
        continue;
      }
      if (!p.signature.empty()) out.reasoning.push_back({{}, std::string(p.signature)});
      if (p.kind == PartView::Kind::text) {
        out.text += p.text;
        out.has_text = true;
      } else if (p.kind == PartView::Kind::call) {
        out.tool_calls.push_back(tool_call(*p.call, calls));
      }
    }
  }
  out.finish = finish_reason(string_at(candidate, "finishReason"), !out.tool_calls.empty());
  return out;
}

// What a body means before it is read as an answer: the failure of a non-2xx status or of an
// error object in a 2xx, else nothing. `parsed` says whether `doc` now holds a JSON object.
std::optional<Decoded> failure(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                               bool& parsed) {
  std::string parse_error;
  parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  if (parsed && json::find(doc, "error")) return error_body(doc, ctx);
  return std::nullopt;
}

Decoded decode_chat(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  bool parsed = false;
  if (auto failed = failure(status, body, ctx, doc, parsed)) return std::move(*failed);
  if (!parsed) return translate::malformed(ctx, "a Gemini answer");
  const Value* candidates = json::find(doc, "candidates");
  bool none = !candidates || !candidates->IsArray() || candidates->Empty();
  if (Error block; none && prompt_blocked(doc, block)) return blocked(std::move(block), ctx);
  if (none) return translate::malformed(ctx, "a Gemini answer");

  Decoded d;
  model::Answer& a = d.answer;
  int calls = 0;
  for (const Value& candidate : candidates->GetArray()) a.outputs.push_back(read_output(candidate, calls));
  const model::Output& first = a.outputs[0];
  if (a.outputs.size() == 1 && first.finish == model::Finish::content_filter && !first.has_text &&
      first.tool_calls.empty())
    return blocked(answer_blocked(string_at((*candidates)[0], "finishReason")), ctx);
  a.kind = model::Kind::chat;
  a.id = string_at(doc, "responseId");
  a.model = string_at(doc, "modelVersion");
  if (a.model.empty()) a.model = ctx.model;
  a.provider = ctx.provider.name;
  read_usage(doc, a.usage);
  if (a.usage.known) price(a.usage, ctx.provider, ctx.model);
  d.ok = true;
  return d;
}

// Appends `values` (all numbers) as base64 of little-endian float32s, OpenAI's encoding_format
// "base64".
void append_base64_floats(std::string& out, const Value& values) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  bytes.reserve(values.Size() * 4);
  for (const Value& v : values.GetArray()) {
    double d = v.GetDouble();
    // Out of float range is infinite (a plain conversion would be undefined behaviour).
    float f = d > FLT_MAX ? INFINITY : d < -FLT_MAX ? -INFINITY : float(d);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    for (int k = 0; k < 4; ++k) bytes += char((bits >> (8 * k)) & 0xff);
  }
  out += '"';
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  out += '"';
}

// Gemini's batchEmbedContents reports no token counts; usage is known only when an answer
// carries usageMetadata.promptTokenCount.
Decoded decode_embeddings(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  bool parsed = false;
  if (auto failed = failure(status, body, ctx, doc, parsed)) return std::move(*failed);
  const Value* embeddings = parsed ? json::find(doc, "embeddings") : nullptr;
  if (!embeddings || !embeddings->IsArray()) return translate::malformed(ctx, "a Gemini embeddings answer");
  Decoded d;
  model::Answer& a = d.answer;
  a.kind = model::Kind::embeddings;
  a.model = ctx.model;
  a.provider = ctx.provider.name;
  for (const Value& e : embeddings->GetArray()) {
    const Value* values = json::find(e, "values");
    bool numbers = values && values->IsArray() &&
                   std::all_of(values->Begin(), values->End(), [](const Value& v) { return v.IsNumber(); });
    if (!numbers) return translate::malformed(ctx, "a Gemini embeddings answer");
    std::string& vector = a.embeddings.emplace_back();
    if (ctx.request.base64) append_base64_floats(vector, *values);
    else json::append_value(vector, *values);
  }
  const Value* meta = json::find(doc, "usageMetadata");
  const Value* prompt = meta ? json::find(*meta, "promptTokenCount") : nullptr;
  if (prompt && prompt->IsInt64() && prompt->GetInt64() >= 0) {
    a.usage.prompt_tokens = prompt->GetInt64();
    price(a.usage, ctx.provider, ctx.model);
  }
  d.ok = true;
  return d;
}

// Models that Switchyard can call: those that generate content or embed (or say nothing).
bool callable(const Value& model) {
  const Value* methods = json::find(model, "supportedGenerationMethods");
  if (!methods || !methods->IsArray()) return true;
  for (const Value& m : methods->GetArray()) {
    std::string_view name = json::view(m);
    if (name == "generateContent" || name == "streamGenerateContent" || name == "embedContent" ||
        name == "batchEmbedContents")
      return true;
  }
  return false;
}

// ids without the "models/" prefix, created 0, owned by "google". An account with no models
// answers {} (protobuf JSON omits empty lists).
Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  bool parsed = false;
  if (auto failed = failure(status, body, ctx, doc, parsed)) return std::move(*failed);
  const Value* models = parsed ? json::find(doc, "models") : nullptr;
  if (!parsed || (models && !models->IsArray())) return translate::malformed(ctx, "a Gemini model list");
  Decoded d;
  d.answer.kind = model::Kind::models;
  d.answer.provider = ctx.provider.name;
  if (models) {
    for (const Value& m : models->GetArray()) {
      std::string_view name = string_at(m, "name");
      if (name.substr(0, 7) == "models/") name.remove_prefix(7);
      if (name.empty() || !callable(m)) continue;
      d.answer.models.push_back({std::string(name), 0, "google"});
    }
  }
  d.ok = true;
  return d;
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  switch (ctx.request.kind) {
    case model::Kind::chat: return decode_chat(status, body, ctx);
    case model::Kind::embeddings: return decode_embeddings(status, body, ctx);
    case model::Kind::models: return decode_models(status, body, ctx);
    case model::Kind::images: return gemini_images::decode(status, body, ctx);
  }
  return translate::malformed(ctx, "a Gemini answer");
}

// ---------------------------------------------------------------------------------------
// Streams (alt=sse): one GenerateContentResponse per event, the first candidate streamed; the
// event with a finishReason ends the stream.

using Type = model::StreamEvent::Type;

model::StreamEvent event_of(Type type) {
  model::StreamEvent event;
  event.type = type;
  return event;
}

class GeminiStream final : public StreamDecoder {
 public:
  explicit GeminiStream(const DecodeContext& ctx)
      : StreamDecoder("a finishReason"), provider_(ctx.provider), model_(ctx.model) {}

 private:
  void on_event(const sse::Event& e) override;
  void on_error();
  void on_parts(const Value& parts);
  void on_finish(std::string_view reason);
  void filtered(Error error);
  void add(const model::StreamEvent& event) {
    started_ = true;
    emit(event);
  }

  const config::Provider& provider_;
  std::string model_;
  // What the events of one upstream event point into, kept until the sink has them.
  json::Document doc_;
  std::deque<std::string> strings_;
  int calls_ = 0;
  bool started_ = false;
};

void GeminiStream::on_event(const sse::Event& e) {
  doc_ = json::Document();  // a fresh allocator per event: memory stays bounded
  strings_.clear();
  std::string parse_error;
  if (!json::parse(e.data, doc_, parse_error) || !doc_.IsObject()) {
    fail("upstream sent a stream event that is not JSON");
    return;
  }
  if (json::find(doc_, "error")) {
    on_error();
    return;
  }
  read_usage(doc_, usage_);
  const Value* candidates = json::find(doc_, "candidates");
  const Value* candidate = candidates && candidates->IsArray() && !candidates->Empty() ? &(*candidates)[0] : nullptr;
  if (!candidate) {
    if (Error block; prompt_blocked(doc_, block)) filtered(std::move(block));
    return;  // a usage-only event
  }
  if (const Value* parts = parts_of(*candidate)) on_parts(*parts);
  std::string_view reason = string_at(*candidate, "finishReason");
  if (!reason.empty() && reason != "FINISH_REASON_UNSPECIFIED") on_finish(reason);
}

// An {"error"} event fails the stream: a hint in the message (context length, content filter)
// decides, else the error status, else it counts as a 5xx.
void GeminiStream::on_error() {
  health::Outcome outcome;
  ErrorType hint = read_error(doc_, error_, outcome);
  redact(provider_, error_.message);
  fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
  outcome_ = hint != ErrorType::internal                ? health::outcome_of_status(400, hint)
             : outcome != health::Outcome::malformed ? outcome
                                                     : health::Outcome::status_5xx;
}

// Thoughts as reasoning, a signature as a reasoning event just before the part it came on,
// text as text, each function call whole.
void GeminiStream::on_parts(const Value& parts) {
  for (const Value& part : parts.GetArray()) {
    PartView p = read_part(part);
    model::StreamEvent event = event_of(Type::reasoning);
    if (p.kind == PartView::Kind::thought) {
      event.text = p.text;
      event.signature = p.signature;
      if (!p.text.empty() || !p.signature.empty()) add(event);
      continue;
    }
    event.signature = p.signature;
    if (!p.signature.empty()) add(event);
    if (p.kind == PartView::Kind::text && !p.text.empty()) {
      event = event_of(Type::text);
      event.text = p.text;
      add(event);
    } else if (p.kind == PartView::Kind::call) {
      event = event_of(Type::tool_call);
      event.tool = calls_;
      model::ToolCall tc = tool_call(*p.call, calls_);
      event.id = strings_.emplace_back(std::move(tc.id));
      event.name = strings_.emplace_back(std::move(tc.name));
      event.text = strings_.emplace_back(std::move(tc.arguments));
      add(event);
    }
  }
}

// The finish and the usage (priced) end the stream; a filter reason before anything was
// streamed fails it as a content-filter outcome instead.
void GeminiStream::on_finish(std::string_view reason) {
  if (is_filter_reason(reason) && !started_) {
    filtered(answer_blocked(reason));
    return;
  }
  model::StreamEvent finish = event_of(Type::finish);
  finish.finish = finish_reason(reason, calls_ > 0);
  add(finish);
  if (usage_.known) {
    price(usage_, provider_, model_);
    model::StreamEvent usage = event_of(Type::usage);
    usage.usage = usage_;
    emit(usage);
  }
  state_ = State::done;
}

void GeminiStream::filtered(Error error) {
  state_ = State::failed;
  error_ = std::move(error);
  error_.message = "upstream " + provider_.name + " refused: " + error_.message;
  redact(provider_, error_.message);  // the reason is upstream text
  outcome_ = health::Outcome::content_filter;
}

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<GeminiStream>(ctx); }

}  // namespace

namespace shared {

std::optional<Decoded> failure(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                               bool& parsed) {
  return gemini::failure(status, body, ctx, doc, parsed);
}

std::string_view block_reason(const json::Value& doc) {
  const Value* feedback = json::find(doc, "promptFeedback");
  return feedback ? string_at(*feedback, "blockReason") : std::string_view();
}

Decoded blocked(std::string_view what, std::string_view reason, const DecodeContext& ctx) {
  Error error{400, ErrorType::content_filtered, "the " + std::string(what) + " was blocked (" + std::string(reason) + ")",
              "content_filter"};
  return gemini::blocked(std::move(error), ctx);
}

bool is_filter_reason(std::string_view finish_reason) { return gemini::is_filter_reason(finish_reason); }

void read_usage(const json::Value& doc, model::Usage& usage) { gemini::read_usage(doc, usage); }

}  // namespace shared

const Codec kCodec = {
    .caps = {.embeddings = true, .models = true, .images = true, .max_n = 8, .max_images = gemini_images::max_images},
    .encode = encode,
    .decode = decode,
    .stream = stream,
};

}  // namespace sy::providers::gemini
