#include "providers/anthropic.h"

#include <algorithm>
#include <optional>

#include "providers/openai.h"
#include "providers/sse_parser.h"
#include "providers/translate.h"

namespace sy::providers::anthropic {

namespace {

using json::Value;
using translate::ToolCall;
using translate::Turn;

// ---------------------------------------------------------------------------------------
// Request

std::string text_block(std::string_view text) {
  std::string b = "{\"type\":\"text\",\"text\":";
  json::append_string(b, text);
  return b + "}";
}

// An image_url part as an image block; empty when the URL is neither base64 data nor http(s).
std::string image_block(const Value& part) {
  const Value* image = json::find(part, "image_url");
  const Value* url_v = image ? (image->IsString() ? image : json::find(*image, "url")) : nullptr;
  if (!url_v || !url_v->IsString()) return {};
  std::string_view url = json::view(*url_v), media_type, data;
  std::string b = "{\"type\":\"image\",\"source\":";
  if (translate::split_data_url(url, media_type, data)) {
    b += "{\"type\":\"base64\",\"media_type\":";
    json::append_string(b, media_type);
    b += ",\"data\":";
    json::append_string(b, data);
  } else if (url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://") {
    b += "{\"type\":\"url\",\"url\":";
    json::append_string(b, url);
  } else {
    return {};
  }
  return b + "}}";
}

// Content (a string or parts) as blocks of `user`'s turn; empty text is skipped (Anthropic
// refuses empty text blocks).
void add_content(std::vector<Turn>& turns, bool user, const Value* content) {
  if (!content) return;
  if (content->IsString()) {
    if (content->GetStringLength()) translate::add_to_turn(turns, user, text_block(json::view(*content)));
    return;
  }
  if (!content->IsArray()) return;
  for (const Value& part : content->GetArray()) {
    std::string_view type = translate::string_at(part, "type");
    if (type == "text" || type == "refusal") {
      const Value* t = json::find(part, type == "text" ? "text" : "refusal");
      if (t && t->IsString() && t->GetStringLength()) translate::add_to_turn(turns, user, text_block(json::view(*t)));
    } else if (type == "image_url" && user) {
      std::string b = image_block(part);
      if (!b.empty()) translate::add_to_turn(turns, user, b);
    }
  }
}

void add_tool_calls(std::vector<Turn>& turns, const Value* calls) {
  if (!calls || !calls->IsArray()) return;
  for (const Value& call : calls->GetArray()) {
    const Value* fn = json::find(call, "function");
    const Value* id = json::find(call, "id");
    const Value* name = fn ? json::find(*fn, "name") : nullptr;
    if (!name || !name->IsString()) continue;
    std::string b = "{\"type\":\"tool_use\",\"id\":";
    json::append_string(b, id && id->IsString() ? json::view(*id) : std::string_view("call_0"));
    b += ",\"name\":";
    json::append_string(b, json::view(*name));
    b += ",\"input\":";
    const Value* args = json::find(*fn, "arguments");
    json::Document parsed;
    std::string error;
    if (args && args->IsString() && json::parse(json::view(*args), parsed, error) && parsed.IsObject())
      json::append_value(b, parsed);
    else
      b += "{}";
    translate::add_to_turn(turns, false, b + "}");
  }
}

void add_tool_result(std::vector<Turn>& turns, const Value& message) {
  const Value* id = json::find(message, "tool_call_id");
  std::string b = "{\"type\":\"tool_result\",\"tool_use_id\":";
  json::append_string(b, id && id->IsString() ? json::view(*id) : std::string_view());
  const Value* content = json::find(message, "content");
  std::string text = content ? translate::text_of(*content) : std::string();
  if (!text.empty()) {
    b += ",\"content\":";
    json::append_string(b, text);
  }
  translate::add_to_turn(turns, true, b + "}");
}

// OpenAI tool_choice (+ parallel_tool_calls) -> Anthropic tool_choice; empty when absent.
std::string tool_choice(const Value& request) {
  const Value* choice = json::find(request, "tool_choice");
  const Value* parallel = json::find(request, "parallel_tool_calls");
  bool no_parallel = parallel && parallel->IsFalse();
  std::string type, name;
  if (choice && choice->IsString()) {
    std::string_view c = json::view(*choice);
    type = c == "required" ? "any" : c == "none" ? "none" : "auto";
  } else if (choice && choice->IsObject()) {
    const Value* fn = json::find(*choice, "function");
    const Value* n = fn ? json::find(*fn, "name") : nullptr;
    if (n && n->IsString()) {
      type = "tool";
      name = json::view(*n);
    }
  }
  if (type.empty() && no_parallel) type = "auto";
  if (type.empty()) return {};
  std::string out = "{\"type\":";
  json::append_string(out, type);
  if (type == "tool") {
    out += ",\"name\":";
    json::append_string(out, name);
  }
  if (no_parallel && type != "none") out += ",\"disable_parallel_tool_use\":true";
  return out + "}";
}

void encode(const EncodeInput& in, UpstreamRequest& out) {
  out.method = "POST";
  out.url = in.provider.base_url + "/messages";
  std::string auth;
  if (!in.provider.api_key.empty()) auth = "x-api-key: " + in.provider.api_key + "\n";
  auth += "anthropic-version: " + (in.provider.api_version.empty() ? std::string("2023-06-01") : in.provider.api_version) + "\n";
  out.headers = translate::headers(in, auth);

  json::Document req = translate::with_overrides(in);
  std::string system;
  std::vector<Turn> turns;
  if (const Value* messages = json::find(req, "messages"); messages && messages->IsArray()) {
    for (const Value& m : messages->GetArray()) {
      const Value* role_v = json::find(m, "role");
      std::string_view role = role_v ? json::view(*role_v) : std::string_view();
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
        add_tool_calls(turns, json::find(m, "tool_calls"));
      } else if (role == "tool") {
        add_tool_result(turns, m);
      }
    }
  }

  std::string& b = out.body;
  b = "{\"model\":";
  json::append_string(b, in.model);
  int64_t max_tokens = translate::max_tokens(req);
  b += ",\"max_tokens\":" + std::to_string(max_tokens > 0 ? max_tokens : kDefaultMaxTokens);
  if (!system.empty()) {
    b += ",\"system\":";
    json::append_string(b, system);
  }
  b += ",\"messages\":[";
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i) b += ',';
    b += turns[i].user ? "{\"role\":\"user\",\"content\":[" : "{\"role\":\"assistant\",\"content\":[";
    b += turns[i].items;
    b += "]}";
  }
  b += ']';
  if (const Value* t = json::find(req, "temperature"); t && t->IsNumber()) {
    b += ",\"temperature\":";  // Anthropic's range is 0..1, OpenAI's 0..2
    json::append_number(b, std::clamp(t->GetDouble(), 0.0, 1.0));
  }
  if (const Value* p = json::find(req, "top_p"); p && p->IsNumber()) {
    b += ",\"top_p\":";
    json::append_number(b, p->GetDouble());
  }
  auto stops = translate::stop_sequences(json::find(req, "stop"), 64);
  stops.erase(std::remove_if(stops.begin(), stops.end(),
                             [](const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }),
              stops.end());
  if (!stops.empty()) {
    b += ",\"stop_sequences\":[";
    for (size_t i = 0; i < stops.size(); ++i) {
      if (i) b += ',';
      json::append_string(b, stops[i]);
    }
    b += ']';
  }
  bool has_tools = false;
  if (const Value* tools = json::find(req, "tools"); tools && tools->IsArray()) {
    std::string list;
    for (const Value& tool : tools->GetArray()) {
      const Value* fn = json::find(tool, "function");
      const Value* name = fn ? json::find(*fn, "name") : nullptr;
      if (!name || !name->IsString()) continue;
      if (!list.empty()) list += ',';
      list += "{\"name\":";
      json::append_string(list, json::view(*name));
      if (const Value* d = json::find(*fn, "description"); d && d->IsString()) {
        list += ",\"description\":";
        json::append_string(list, json::view(*d));
      }
      list += ",\"input_schema\":";
      const Value* params = json::find(*fn, "parameters");
      if (params && params->IsObject()) json::append_value(list, *params);
      else list += "{\"type\":\"object\",\"properties\":{}}";
      list += '}';
    }
    if (!list.empty()) {
      has_tools = true;
      b += ",\"tools\":[" + list + "]";
    }
  }
  if (has_tools) {
    std::string choice = tool_choice(req);
    if (!choice.empty()) b += ",\"tool_choice\":" + choice;
  }
  if (const Value* user = json::find(req, "user"); user && user->IsString()) {
    b += ",\"metadata\":{\"user_id\":";
    json::append_string(b, json::view(*user));
    b += '}';
  }
  if (in.stream) b += ",\"stream\":true";
  b += '}';
}

// ---------------------------------------------------------------------------------------
// Answers

std::string_view finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

// Reads usage members into `usage` (prompt = uncached + cache reads + cache writes).
void read_usage(const Value& u, Usage& usage, translate::UsageDetails& details) {
  auto get = [&](const char* name) -> int64_t {
    const Value* v = json::find(u, name);
    return v && v->IsInt64() ? v->GetInt64() : -1;
  };
  int64_t input = get("input_tokens"), read = get("cache_read_input_tokens"),
          write = get("cache_creation_input_tokens"), output = get("output_tokens");
  if (input >= 0 || read >= 0 || write >= 0)
    usage.prompt_tokens = std::max<int64_t>(input, 0) + std::max<int64_t>(read, 0) + std::max<int64_t>(write, 0);
  if (read >= 0) details.cached_tokens = read;
  if (output >= 0) usage.completion_tokens = output;
}

// Reads {"type":"error","error":{"type","message"}} into `error`; the outcome hint (and
// outcome, for types that say more than the status) from the error type and message.
ErrorType read_error(const Value& doc, Error& error, health::Outcome& outcome) {
  const Value* e = json::find(doc, "error");
  std::string_view type;
  if (e && e->IsObject()) {
    if (const Value* t = json::find(*e, "type"); t && t->IsString()) type = json::view(*t);
    if (const Value* m = json::find(*e, "message"); m && m->IsString()) error.message = json::view(*m);
  }
  error.code = std::string(type);
  outcome = health::Outcome::malformed;
  if (type == "overloaded_error" || type == "api_error") outcome = health::Outcome::status_5xx;
  else if (type == "rate_limit_error") outcome = health::Outcome::status_429;
  else if (type == "authentication_error" || type == "permission_error") outcome = health::Outcome::auth;
  else if (type == "not_found_error") outcome = health::Outcome::not_found;
  else if (type == "timeout_error") outcome = health::Outcome::status_408;
  ErrorType hint = translate::hint_from_message(error.message);
  if (hint != ErrorType::internal) outcome = health::Outcome::malformed;  // the hint decides
  return hint;
}

// A non-2xx answer: the status decides the outcome; the error type only where the status is
// unusual.
Decoded status_error(int status, bool parsed, const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome outcome = health::Outcome::malformed;
  ErrorType hint = parsed ? read_error(doc, error, outcome) : ErrorType::internal;
  bool status_says = status == 408 || status == 429 || status == 401 || status == 403 || status == 404 ||
                     status >= 500 || hint != ErrorType::internal;
  return translate::upstream_error(status, hint, std::move(error), ctx,
                                   status_says ? health::Outcome::malformed : outcome);
}

Decoded error_in_200(const json::Document& doc, const DecodeContext& ctx) {
  Error error;
  health::Outcome ignored;
  read_error(doc, error, ignored);
  return translate::error_in_200(std::move(error), ctx);
}

// The front every Anthropic decode shares: a non-2xx, a 2xx error document and a body without
// the `member` array end in the error returned; otherwise `doc` holds the answer and
// `array` points at its member.
std::optional<Decoded> refuse(int status, std::string_view body, const DecodeContext& ctx, json::Document& doc,
                              const char* member, std::string_view what, const Value*& array) {
  std::string parse_error;
  bool parsed = json::parse(body, doc, parse_error) && doc.IsObject();
  if (status < 200 || status >= 300) return status_error(status, parsed, doc, ctx);
  const Value* type = parsed ? json::find(doc, "type") : nullptr;
  if (type && json::view(*type) == "error") return error_in_200(doc, ctx);
  array = parsed ? json::find(doc, member) : nullptr;
  if (!array || !array->IsArray()) return translate::malformed(ctx, what);
  return std::nullopt;
}

Decoded decode(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* content;
  if (auto refused = refuse(status, body, ctx, doc, "content", "an Anthropic message", content)) return *refused;

  translate::Choice choice;
  for (const Value& block : content->GetArray()) {
    std::string_view t = translate::string_at(block, "type");
    if (t == "text") {
      if (const Value* text = json::find(block, "text"); text && text->IsString()) {
        choice.content += json::view(*text);
        choice.has_content = true;
      }
    } else if (t == "tool_use") {
      ToolCall call;
      if (const Value* id = json::find(block, "id"); id && id->IsString()) call.id = json::view(*id);
      if (const Value* name = json::find(block, "name"); name && name->IsString()) call.name = json::view(*name);
      if (const Value* input = json::find(block, "input")) json::append_value(call.arguments, *input);
      else call.arguments = "{}";
      choice.tool_calls.push_back(std::move(call));
    }
  }
  const Value* stop = json::find(doc, "stop_reason");
  choice.finish_reason = finish_reason(stop && stop->IsString() ? json::view(*stop) : "end_turn");

  Decoded d;
  d.ok = true;
  translate::UsageDetails details;
  if (const Value* u = json::find(doc, "usage"); u && u->IsObject()) {
    read_usage(*u, d.usage, details);
    translate::price(d.usage, ctx);
  }
  const Value* id = json::find(doc, "id");
  const Value* model = json::find(doc, "model");
  std::string fallback_id = "chatcmpl-" + std::string(id ? json::view(*id) : std::string_view());
  d.body = translate::completion_json(ctx, fallback_id, model ? json::view(*model) : std::string_view(), {choice},
                                      d.usage, details);
  return d;
}

// ---------------------------------------------------------------------------------------
// Streams

class AnthropicStream final : public StreamDecoder {
 public:
  explicit AnthropicStream(const DecodeContext& ctx)
      : StreamDecoder("message_stop"), provider_(ctx.provider), model_(ctx.model), id_(ctx.id), writer_(DecodeContext{ctx.provider, model_, id_, ctx.created}),
        include_usage_(ctx.include_usage) {}

 private:
  void on_event(const sse::Event& e, std::string& out) override {
    json::Document doc;
    std::string parse_error;
    if (!json::parse(e.data, doc, parse_error) || !doc.IsObject()) {
      fail("upstream sent a stream event that is not JSON");
      return;
    }
    const Value* type_v = json::find(doc, "type");
    std::string_view type = type_v && type_v->IsString() ? json::view(*type_v) : e.event;
    if (type == "message_start") {
      if (const Value* m = json::find(doc, "message"))
        if (const Value* u = json::find(*m, "usage"); u && u->IsObject()) read_usage(*u, usage_, details_);
    } else if (type == "content_block_start") {
      const Value* block = json::find(doc, "content_block");
      const Value* bt = block ? json::find(*block, "type") : nullptr;
      std::string_view block_type = bt ? json::view(*bt) : std::string_view();
      if (block_type == "tool_use") {
        int index = block_index(doc);
        if (index < 0) return;
        int tool = tools_++;
        tool_of_block_[size_t(index)] = tool;
        const Value* id = json::find(*block, "id");
        const Value* name = json::find(*block, "name");
        writer_.tool_call(out, tool, id ? json::view(*id) : std::string_view(), name ? json::view(*name) : std::string_view(), "");
      } else if (block_type == "text") {
        const Value* text = json::find(*block, "text");
        if (text && text->IsString() && text->GetStringLength()) writer_.content(out, json::view(*text));
      }
    } else if (type == "content_block_delta") {
      const Value* delta = json::find(doc, "delta");
      const Value* dt = delta ? json::find(*delta, "type") : nullptr;
      std::string_view delta_type = dt ? json::view(*dt) : std::string_view();
      if (delta_type == "text_delta") {
        const Value* text = json::find(*delta, "text");
        if (text && text->IsString() && text->GetStringLength()) writer_.content(out, json::view(*text));
      } else if (delta_type == "input_json_delta") {
        int index = block_index(doc);
        const Value* partial = json::find(*delta, "partial_json");
        if (index < 0 || tool_of_block_[size_t(index)] < 0 || !partial || !partial->IsString() ||
            partial->GetStringLength() == 0)
          return;
        writer_.tool_arguments(out, tool_of_block_[size_t(index)], json::view(*partial));
      }
    } else if (type == "message_delta") {
      if (const Value* u = json::find(doc, "usage"); u && u->IsObject()) read_usage(*u, usage_, details_);
      const Value* delta = json::find(doc, "delta");
      const Value* stop = delta ? json::find(*delta, "stop_reason") : nullptr;
      if (stop && stop->IsString() && !finished_) {
        finished_ = true;
        writer_.finish(out, finish_reason(json::view(*stop)));
      }
    } else if (type == "message_stop") {
      if (!finished_) writer_.finish(out, "stop");
      finished_ = true;
      translate::price(usage_, DecodeContext{provider_, model_});
      if (include_usage_) writer_.usage(out, usage_, details_);
      state_ = State::done;
    } else if (type == "error") {
      Error error;
      health::Outcome outcome;
      ErrorType hint = read_error(doc, error, outcome);
      error_ = error;
      redact(provider_, error_.message);
      fail("upstream " + provider_.name + " failed mid-stream: " + error_.message);
      outcome_ = hint != ErrorType::internal ? health::outcome_of_status(400, hint)
                 : outcome != health::Outcome::malformed ? outcome
                                                        : health::Outcome::status_5xx;
    }
    // ping, content_block_stop and event types added later are ignored.
  }

  // The event's content block index, or -1 (then the event is ignored). Bounded so a hostile
  // stream cannot make the table grow without limit.
  int block_index(const Value& doc) {
    const Value* i = json::find(doc, "index");
    if (!i || !i->IsInt() || i->GetInt() < 0 || i->GetInt() >= 4096) return -1;
    if (tool_of_block_.size() <= size_t(i->GetInt())) tool_of_block_.resize(size_t(i->GetInt()) + 1, -1);
    return i->GetInt();
  }


  const config::Provider& provider_;
  std::string model_;
  std::string id_;
  translate::ChunkWriter writer_;
  bool include_usage_;
  translate::UsageDetails details_;
  std::vector<int> tool_of_block_;  // content block index -> tool call index, -1 for others
  int tools_ = 0;
  bool finished_ = false;
};

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<AnthropicStream>(ctx); }

// ---------------------------------------------------------------------------------------
// Models: GET {base_url}/models?limit=1000 (Anthropic's largest page). No embeddings API.

void encode_models(const config::Provider& provider, UpstreamRequest& out) {
  out.method = "GET";
  out.url = provider.base_url + "/models?limit=1000";
  out.headers.clear();
  if (!provider.api_key.empty()) out.headers += "x-api-key: " + provider.api_key + "\n";
  out.headers += "anthropic-version: " + (provider.api_version.empty() ? std::string("2023-06-01") : provider.api_version) + "\n";
  for (const auto& [name, value] : provider.headers) out.headers += name + ": " + value + "\n";
  out.body.clear();
}

// Unix seconds of an RFC 3339 time ("2025-02-19T00:00:00Z"; the date is what counts, a
// zone offset is applied), or 0 when it is not one.
int64_t unix_seconds(std::string_view t) {
  auto digits = [&](size_t at, size_t n, int64_t& v) {
    if (at + n > t.size()) return false;
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int64_t y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, y) || t.size() < 10 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d)) return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return 0;
  int64_t offset = 0;
  if (t.size() >= 19 && (t[10] == 'T' || t[10] == 't' || t[10] == ' ') && digits(11, 2, h) && t[13] == ':' &&
      digits(14, 2, mi) && t[16] == ':' && digits(17, 2, sec)) {
    size_t at = 19;
    if (at < t.size() && t[at] == '.')
      for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9';) ++at;
    int64_t oh, om;
    if (at + 6 <= t.size() && (t[at] == '+' || t[at] == '-') && digits(at + 1, 2, oh) && t[at + 3] == ':' && digits(at + 4, 2, om))
      offset = (t[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  }
  // Days from the civil date (Howard Hinnant's algorithm).
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec - offset;
}

Decoded decode_models(int status, std::string_view body, const DecodeContext& ctx) {
  json::Document doc;
  const Value* data;
  if (auto refused = refuse(status, body, ctx, doc, "data", "an Anthropic model list", data)) return *refused;
  std::vector<openai::ModelEntry> entries;
  for (const Value& m : data->GetArray()) {
    std::string_view id = translate::string_at(m, "id");
    if (id.empty()) continue;
    entries.push_back({std::string(id), unix_seconds(translate::string_at(m, "created_at")), "anthropic"});
  }
  Decoded d;
  d.ok = true;
  d.body = openai::model_list_json(entries);
  return d;
}

}  // namespace

const WireFormat kWireFormat = {encode, decode, stream, nullptr, nullptr, encode_models, decode_models};

}  // namespace sy::providers::anthropic
