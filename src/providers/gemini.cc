#include "providers/gemini.h"

#include <cstring>
#include <map>

#include "providers/openai.h"
#include "providers/sse_parser.h"
#include "providers/translate.h"

namespace sy::providers::gemini {

namespace {

using json::Value;
using translate::string_at;
using translate::ToolCall;
using translate::Turn;

// ---------------------------------------------------------------------------------------
// Request

std::string text_part(std::string_view text) {
  std::string p = "{\"text\":";
  json::append_string(p, text);
  return p + "}";
}

// A media type guessed from a URL's extension (Gemini's fileData wants one).
std::string_view media_type_of(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  std::string_view ext = url.substr(url.find_last_of('.') == std::string_view::npos ? url.size() : url.find_last_of('.') + 1);
  std::string lower(ext);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  if (lower == "png") return "image/png";
  if (lower == "webp") return "image/webp";
  if (lower == "gif") return "image/gif";
  if (lower == "heic") return "image/heic";
  if (lower == "heif") return "image/heif";
  if (lower == "pdf") return "application/pdf";
  return "image/jpeg";
}

// An image_url part as inlineData (data: URLs) or fileData (http(s) URLs); empty otherwise.
std::string image_part(const Value& part) {
  const Value* image = json::find(part, "image_url");
  const Value* url_v = image ? (image->IsString() ? image : json::find(*image, "url")) : nullptr;
  if (!url_v || !url_v->IsString()) return {};
  std::string_view url = json::view(*url_v), media_type, data;
  std::string p;
  if (translate::split_data_url(url, media_type, data)) {
    p = "{\"inlineData\":{\"mimeType\":";
    json::append_string(p, media_type);
    p += ",\"data\":";
    json::append_string(p, data);
  } else if (url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://") {
    p = "{\"fileData\":{\"mimeType\":";
    json::append_string(p, media_type_of(url));
    p += ",\"fileUri\":";
    json::append_string(p, url);
  } else {
    return {};
  }
  return p + "}}";
}

void add_content(std::vector<Turn>& turns, bool user, const Value* content) {
  if (!content) return;
  if (content->IsString()) {
    if (content->GetStringLength()) translate::add_to_turn(turns, user, text_part(json::view(*content)));
    return;
  }
  if (!content->IsArray()) return;
  for (const Value& part : content->GetArray()) {
    std::string_view type = string_at(part, "type");
    if (type == "text" || type == "refusal") {
      std::string_view text = string_at(part, type == "text" ? "text" : "refusal");
      if (!text.empty()) translate::add_to_turn(turns, user, text_part(text));
    } else if (type == "image_url" && user) {
      std::string p = image_part(part);
      if (!p.empty()) translate::add_to_turn(turns, user, p);
    }
  }
}

// `raw` as a JSON object when it is one, else `{"<key>": raw}` (Gemini wants objects for
// function arguments and responses).
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

std::string tool_config(const Value& request) {
  const Value* choice = json::find(request, "tool_choice");
  if (!choice) return {};
  std::string mode, name;
  if (choice->IsString()) {
    std::string_view c = json::view(*choice);
    mode = c == "required" ? "ANY" : c == "none" ? "NONE" : "AUTO";
  } else if (const Value* fn = json::find(*choice, "function")) {
    name = string_at(*fn, "name");
    if (!name.empty()) mode = "ANY";
  }
  if (mode.empty()) return {};
  std::string out = "{\"functionCallingConfig\":{\"mode\":\"" + mode + "\"";
  if (!name.empty()) {
    out += ",\"allowedFunctionNames\":[";
    json::append_string(out, name);
    out += ']';
  }
  return out + "}}";
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "POST";
  out.url = in.provider.base_url + "/models/" + std::string(in.model) +
            (in.stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  out.headers = translate::headers(in, in.provider.api_key.empty() ? std::string() : "x-goog-api-key: " + in.provider.api_key + "\n");

  json::Document req = translate::with_overrides(in);
  std::string system;
  std::vector<Turn> turns;
  std::map<std::string, std::string, std::less<>> function_of_call;  // tool_call id -> function name
  if (const Value* messages = json::find(req, "messages"); messages && messages->IsArray()) {
    for (const Value& m : messages->GetArray()) {
      std::string_view role = string_at(m, "role");
      const Value* content = json::find(m, "content");
      if (role == "system" || role == "developer") {
        std::string text = content ? translate::text_of(*content) : std::string();
        if (text.empty()) continue;
        if (!system.empty()) system += "\n\n";
        system += text;
      } else if (role == "user") {
        add_content(turns, true, content);
      } else if (role == "assistant") {
        add_content(turns, false, content);
        const Value* calls = json::find(m, "tool_calls");
        if (!calls || !calls->IsArray()) continue;
        for (const Value& call : calls->GetArray()) {
          const Value* fn = json::find(call, "function");
          std::string_view name = fn ? string_at(*fn, "name") : std::string_view();
          if (name.empty()) continue;
          function_of_call[std::string(string_at(call, "id"))] = std::string(name);
          std::string p = "{\"functionCall\":{\"name\":";
          json::append_string(p, name);
          p += ",\"args\":";
          append_object(p, string_at(*fn, "arguments"), {});
          translate::add_to_turn(turns, false, p + "}}");
        }
      } else if (role == "tool") {
        auto it = function_of_call.find(string_at(m, "tool_call_id"));
        std::string p = "{\"functionResponse\":{\"name\":";
        json::append_string(p, it != function_of_call.end() ? std::string_view(it->second) : string_at(m, "name"));
        p += ",\"response\":";
        append_object(p, content ? translate::text_of(*content) : std::string(), "content");
        translate::add_to_turn(turns, true, p + "}}");
      }
    }
  }

  std::string& b = out.body;
  b = "{\"contents\":[";
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i) b += ',';
    b += turns[i].user ? "{\"role\":\"user\",\"parts\":[" : "{\"role\":\"model\",\"parts\":[";
    b += turns[i].items;
    b += "]}";
  }
  b += ']';
  if (!system.empty()) {
    b += ",\"systemInstruction\":{\"parts\":[";
    b += text_part(system);
    b += "]}";
  }
  bool has_tools = false;
  if (const Value* tools = json::find(req, "tools"); tools && tools->IsArray()) {
    std::string list;
    for (const Value& tool : tools->GetArray()) {
      const Value* fn = json::find(tool, "function");
      std::string_view name = fn ? string_at(*fn, "name") : std::string_view();
      if (name.empty()) continue;
      if (!list.empty()) list += ',';
      list += "{\"name\":";
      json::append_string(list, name);
      if (const Value* d = json::find(*fn, "description"); d && d->IsString()) {
        list += ",\"description\":";
        json::append_string(list, json::view(*d));
      }
      if (const Value* params = json::find(*fn, "parameters"); params && params->IsObject()) {
        list += ",\"parametersJsonSchema\":";
        json::append_value(list, *params);
      }
      list += '}';
    }
    if (!list.empty()) {
      has_tools = true;
      b += ",\"tools\":[{\"functionDeclarations\":[" + list + "]}]";
    }
  }
  if (has_tools) {
    std::string config = tool_config(req);
    if (!config.empty()) b += ",\"toolConfig\":" + config;
  }

  std::string gen;
  auto number = [&](const char* from, const char* to) {
    const Value* v = json::find(req, from);
    if (!v || !v->IsNumber()) return;
    gen += gen.empty() ? "\"" : ",\"";
    gen += to;
    gen += "\":";
    json::append_number(gen, v->GetDouble());
  };
  number("temperature", "temperature");
  number("top_p", "topP");
  if (int64_t max = translate::max_tokens(req); max > 0)
    gen += std::string(gen.empty() ? "" : ",") + "\"maxOutputTokens\":" + std::to_string(max);
  auto stops = translate::stop_sequences(json::find(req, "stop"), 5);
  if (!stops.empty()) {
    gen += std::string(gen.empty() ? "" : ",") + "\"stopSequences\":[";
    for (size_t i = 0; i < stops.size(); ++i) {
      if (i) gen += ',';
      json::append_string(gen, stops[i]);
    }
    gen += ']';
  }
  if (const Value* seed = json::find(req, "seed"); seed && seed->IsInt())
    gen += std::string(gen.empty() ? "" : ",") + "\"seed\":" + std::to_string(seed->GetInt());
  if (const Value* n = json::find(req, "n"); n && n->IsInt() && n->GetInt() > 1 && !in.stream)
    gen += std::string(gen.empty() ? "" : ",") + "\"candidateCount\":" + std::to_string(n->GetInt());
  if (const Value* format = json::find(req, "response_format")) {
    std::string_view type = string_at(*format, "type");
    if (type == "json_object" || type == "json_schema") {
      gen += std::string(gen.empty() ? "" : ",") + "\"responseMimeType\":\"application/json\"";
      const Value* js = json::find(*format, "json_schema");
      const Value* schema = js ? json::find(*js, "schema") : nullptr;
      if (type == "json_schema" && schema && schema->IsObject()) {
        gen += ",\"responseJsonSchema\":";
        json::append_value(gen, *schema);
      }
    }
  }
  if (!gen.empty()) b += ",\"generationConfig\":{" + gen + "}";
  b += '}';
}

// ---------------------------------------------------------------------------------------
// Answers

bool is_filter_reason(std::string_view r) {
  return r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" || r == "SPII" ||
         r == "IMAGE_SAFETY";
}

std::string_view finish_reason(std::string_view reason, bool tool_calls) {
  if (reason == "MAX_TOKENS") return "length";
  if (is_filter_reason(reason)) return "content_filter";
  return tool_calls ? "tool_calls" : "stop";  // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL…
}

void read_usage(const Value& doc, Usage& usage, translate::UsageDetails& details) {
  const Value* u = json::find(doc, "usageMetadata");
  if (!u || !u->IsObject()) return;
  auto get = [&](const char* name) -> int64_t {
    const Value* v = json::find(*u, name);
    return v && v->IsInt64() ? v->GetInt64() : -1;
  };
  int64_t prompt = get("promptTokenCount"), candidates = get("candidatesTokenCount"),
          thoughts = get("thoughtsTokenCount"), cached = get("cachedContentTokenCount");
  usage.known = true;
  usage.prompt_tokens = std::max<int64_t>(prompt, 0);
  usage.completion_tokens = std::max<int64_t>(candidates, 0) + std::max<int64_t>(thoughts, 0);
  if (cached >= 0) details.cached_tokens = cached;
  if (thoughts >= 0) details.reasoning_tokens = thoughts;
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

Decoded blocked(Error error, const DecodeContext& ctx) {
  return translate::upstream_error(400, ErrorType::content_filtered, std::move(error), ctx,
                                   health::Outcome::content_filter);
}

// The parts of a candidate's content into `choice`; `calls` numbers tool calls across the
// answer for the ids Gemini does not give.
void read_parts(const Value& candidate, translate::Choice& choice, int& calls) {
  const Value* content = json::find(candidate, "content");
  const Value* parts = content ? json::find(*content, "parts") : nullptr;
  if (!parts || !parts->IsArray()) return;
  for (const Value& part : parts->GetArray()) {
    if (const Value* thought = json::find(part, "thought"); thought && thought->IsTrue()) continue;
    if (const Value* text = json::find(part, "text"); text && text->IsString()) {
      choice.content += json::view(*text);
      choice.has_content = true;
    } else if (const Value* call = json::find(part, "functionCall")) {
      ToolCall tc;
      std::string_view id = string_at(*call, "id");
      tc.id = id.empty() ? "call_" + std::to_string(calls) : std::string(id);
      ++calls;
      tc.name = string_at(*call, "name");
      if (const Value* args = json::find(*call, "args")) json::append_value(tc.arguments, *args);
      else tc.arguments = "{}";
      choice.tool_calls.push_back(std::move(tc));
    }
  }
}

// A non-2xx answer: the status decides, except that a bad key (400 API_KEY_INVALID) is auth.
Decoded status_error(int status, bool parsed, const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  ErrorType hint = parsed ? read_error(doc, error, outcome) : ErrorType::internal;
  if (hint != ErrorType::internal || outcome != health::Outcome::auth) outcome = health::Outcome::malformed;
  return translate::upstream_error(status, hint, std::move(error), ctx, outcome);
}

Decoded error_in_200(const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome ignored;
  read_error(doc, error, ignored);
  return translate::error_in_200(std::move(error), ctx);
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  if (parsed && json::find(doc, "error")) return error_in_200(doc, ctx);
  if (!parsed) return translate::malformed(ctx, "a Gemini answer");
  const Value* candidates = json::find(doc, "candidates");
  Error block;
  if ((!candidates || !candidates->IsArray() || candidates->Empty()) && prompt_blocked(doc, block))
    return blocked(std::move(block), ctx);
  if (!candidates || !candidates->IsArray() || candidates->Empty()) return translate::malformed(ctx, "a Gemini answer");

  std::vector<translate::Choice> choices;
  int calls = 0;
  for (const Value& candidate : candidates->GetArray()) {
    translate::Choice choice;
    read_parts(candidate, choice, calls);
    choice.finish_reason = finish_reason(string_at(candidate, "finishReason"), !choice.tool_calls.empty());
    choices.push_back(std::move(choice));
  }
  if (choices.size() == 1 && choices[0].finish_reason == "content_filter" && !choices[0].has_content &&
      choices[0].tool_calls.empty())
    return blocked({400, ErrorType::content_filtered,
                    "the answer was blocked (" + std::string(string_at((*candidates)[0], "finishReason")) + ")",
                    "content_filter"},
                   ctx);
  Decoded d;
  d.ok = true;
  translate::UsageDetails details;
  read_usage(doc, d.usage, details);
  if (d.usage.known) translate::price(d.usage, ctx);
  std::string fallback_id = "chatcmpl-" + std::string(string_at(doc, "responseId"));
  d.body = translate::completion_json(ctx, fallback_id, string_at(doc, "modelVersion"), choices, d.usage, details);
  return d;
}

// ---------------------------------------------------------------------------------------
// Embeddings: POST {base_url}/models/{model}:batchEmbedContents, one EmbedContentRequest per
// input string (Gemini wants the model named in each).

void encode_embeddings(const EncodeInput& in, UpstreamRequest& out) {
  EncodeInput plain = in;
  plain.stream = false;
  out.method = "POST";
  out.url = in.provider.base_url + "/models/" + std::string(in.model) + ":batchEmbedContents";
  out.headers = translate::headers(plain, in.provider.api_key.empty() ? std::string() : "x-goog-api-key: " + in.provider.api_key + "\n");

  json::Document req = translate::with_overrides(in);
  std::string head = "{\"model\":";
  json::append_string(head, "models/" + std::string(in.model));
  head += ",\"content\":{\"parts\":[";
  std::string tail = "]}";
  if (const Value* dims = json::find(req, "dimensions"); dims && dims->IsInt64() && dims->GetInt64() > 0)
    tail += ",\"outputDimensionality\":" + std::to_string(dims->GetInt64());
  tail += '}';
  std::string& b = out.body;
  b = "{\"requests\":[";
  auto add = [&](const Value& input) {
    if (b.back() != '[') b += ',';
    b += head;
    // Gemini embeds text only: token arrays get no part, which Gemini refuses (400).
    if (input.IsString()) b += text_part(json::view(input));
    b += tail;
  };
  const Value* input = json::find(req, "input");
  if (input && input->IsArray() && !input->Empty() && !(*input)[0].IsNumber()) {
    for (const Value& item : input->GetArray()) add(item);
  } else if (input) {
    add(*input);
  }
  b += "]}";
}

// Appends `values` (numbers) as base64 of little-endian float32s, OpenAI's encoding_format
// "base64".
void append_base64_floats(std::string& out, const Value& values) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  bytes.reserve(values.Size() * 4);
  for (const Value& v : values.GetArray()) {
    float f = v.IsNumber() ? float(v.GetDouble()) : 0.0f;
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

Decoded decode_embeddings(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  if (parsed && json::find(doc, "error")) return error_in_200(doc, ctx);
  const Value* embeddings = parsed ? json::find(doc, "embeddings") : nullptr;
  if (!embeddings || !embeddings->IsArray()) return translate::malformed(ctx, "a Gemini embeddings answer");
  Decoded d;
  std::string& b = d.body;
  b = "{\"object\":\"list\",\"data\":[";
  int index = 0;
  for (const Value& e : embeddings->GetArray()) {
    const Value* values = json::find(e, "values");
    if (!values || !values->IsArray()) return translate::malformed(ctx, "a Gemini embeddings answer");
    if (index) b += ',';
    b += "{\"object\":\"embedding\",\"index\":" + std::to_string(index++) + ",\"embedding\":";
    if (ctx.base64_embeddings) append_base64_floats(b, *values);
    else json::append_value(b, *values);
    b += '}';
  }
  b += "],\"model\":";
  json::append_string(b, ctx.model);
  b += ",\"provider\":";
  json::append_string(b, ctx.provider.name);
  // Gemini's batchEmbedContents reports no token counts; usage is given only when an answer
  // carries usageMetadata.promptTokenCount.
  const Value* meta = json::find(doc, "usageMetadata");
  const Value* prompt = meta ? json::find(*meta, "promptTokenCount") : nullptr;
  if (prompt && prompt->IsInt64()) {
    d.usage.prompt_tokens = prompt->GetInt64();
    translate::price(d.usage, ctx);
    b += ",\"usage\":{\"prompt_tokens\":" + std::to_string(d.usage.prompt_tokens) +
         ",\"total_tokens\":" + std::to_string(d.usage.prompt_tokens);
    if (d.usage.cost >= 0) {
      b += ",\"cost\":";
      json::append_number(b, d.usage.cost);
    }
    b += '}';
  }
  b += '}';
  d.ok = true;
  return d;
}

// ---------------------------------------------------------------------------------------
// Models: GET {base_url}/models?pageSize=1000 (Gemini's maximum page: one page holds them all).

void encode_models(const config::Provider& provider, UpstreamRequest& out) {
  out.method = "GET";
  out.url = provider.base_url + "/models?pageSize=1000";
  out.headers.clear();
  if (!provider.api_key.empty()) out.headers += "x-goog-api-key: " + provider.api_key + "\n";
  for (const auto& [name, value] : provider.headers) out.headers += name + ": " + value + "\n";
  out.body.clear();
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

Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  if (parsed && json::find(doc, "error")) return error_in_200(doc, ctx);
  const Value* models = parsed ? json::find(doc, "models") : nullptr;
  // An account with no models answers {} (protobuf JSON omits empty lists).
  if (!parsed || (models && !models->IsArray())) return translate::malformed(ctx, "a Gemini model list");
  std::vector<openai::ModelEntry> entries;
  if (models) {
    for (const Value& m : models->GetArray()) {
      std::string_view name = string_at(m, "name");
      if (name.substr(0, 7) == "models/") name.remove_prefix(7);
      if (name.empty() || !callable(m)) continue;
      entries.push_back({std::string(name), 0, "google"});
    }
  }
  Decoded d;
  d.ok = true;
  d.body = openai::model_list_json(entries);
  return d;
}

// ---------------------------------------------------------------------------------------
// Streams (alt=sse: one GenerateContentResponse per event; the one with finishReason ends it)

class GeminiStream final : public StreamDecoder {
 public:
  explicit GeminiStream(const DecodeContext& ctx)
      : StreamDecoder("a finishReason"), provider_(ctx.provider), model_(ctx.model), id_(ctx.id), writer_(DecodeContext{ctx.provider, model_, id_, ctx.created}),
        include_usage_(ctx.include_usage) {}

 private:
  void on_event(const sse::Event& e, std::string& out) override {
    json::Document doc;
    std::string parse_error;
    if (!json::parse(e.data, doc, parse_error) || !doc.IsObject()) {
      fail("upstream sent a stream event that is not JSON");
      return;
    }
    if (json::find(doc, "error")) {
      health::Outcome outcome;
      ErrorType hint = read_error(doc, error_, outcome);
      redact(provider_, error_.message);
      fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
      outcome_ = hint != ErrorType::internal ? health::outcome_of_status(400, hint)
                 : outcome != health::Outcome::malformed ? outcome
                                                        : health::Outcome::status_5xx;
      return;
    }
    read_usage(doc, usage_, details_);
    const Value* candidates = json::find(doc, "candidates");
    const Value* candidate = candidates && candidates->IsArray() && !candidates->Empty() ? &(*candidates)[0] : nullptr;
    Error block;
    if (!candidate) {
      if (prompt_blocked(doc, block)) filtered(block);
      return;  // a usage-only event
    }
    translate::Choice choice;
    int first_call = calls_;
    read_parts(*candidate, choice, calls_);
    if (choice.has_content && !choice.content.empty()) writer_.content(out, choice.content);
    for (size_t i = 0; i < choice.tool_calls.size(); ++i) {
      const ToolCall& tc = choice.tool_calls[i];
      writer_.tool_call(out, first_call + int(i), tc.id, tc.name, tc.arguments);
    }
    std::string_view reason = string_at(*candidate, "finishReason");
    if (reason.empty() || reason == "FINISH_REASON_UNSPECIFIED") return;
    if (is_filter_reason(reason) && !writer_.started()) {
      filtered({400, ErrorType::content_filtered, "the answer was blocked (" + std::string(reason) + ")", "content_filter"});
      return;
    }
    writer_.finish(out, finish_reason(reason, calls_ > 0));
    if (usage_.known) translate::price(usage_, DecodeContext{provider_, model_});
    if (include_usage_) writer_.usage(out, usage_, details_);
    state_ = State::done;
  }

  void filtered(Error error) {
    state_ = State::failed;
    error_ = std::move(error);
    error_.message = "upstream " + provider_.name + " refused: " + error_.message;
    redact(provider_, error_.message);  // the reason is upstream text
    outcome_ = health::Outcome::content_filter;
  }


  const config::Provider& provider_;
  std::string model_;
  std::string id_;
  translate::ChunkWriter writer_;
  bool include_usage_;
  translate::UsageDetails details_;
  int calls_ = 0;
};

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<GeminiStream>(ctx); }

}  // namespace

const WireFormat kWireFormat = {encode, decode, stream, encode_embeddings, decode_embeddings, encode_models, decode_models};

}  // namespace sy::providers::gemini
