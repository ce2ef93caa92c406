#include "model/stored.h"

#include <algorithm>
#include <initializer_list>

#include "json/json.h"

namespace sy::model::stored {

namespace {

using json::Value;

// ---- serialize ------------------------------------------------------------------------------

std::string completion_id(std::string_view request_id) {
  if (request_id.substr(0, 4) == "req_") request_id.remove_prefix(4);
  return "chatcmpl-" + std::string(request_id);
}

void append_int(std::string& out, std::string_view name, int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

void append_usage(std::string& out, const Usage& u, bool embeddings) {
  out += "{\"prompt_tokens\":" + std::to_string(u.prompt_tokens);
  if (!embeddings) append_int(out, "completion_tokens", u.completion_tokens);
  append_int(out, "total_tokens", u.prompt_tokens + (embeddings ? 0 : u.completion_tokens));
  if (!embeddings && u.cached_tokens >= 0)
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(u.cached_tokens) + "}";
  if (!embeddings && u.reasoning_tokens >= 0)
    out += ",\"completion_tokens_details\":{\"reasoning_tokens\":" + std::to_string(u.reasoning_tokens) + "}";
  if (u.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, u.cost);
  }
  out += '}';
}

void append_tool_calls(std::string& out, const std::vector<ToolCall>& calls) {
  out += ",\"tool_calls\":[";
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    json::append_string(out, calls[i].id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    json::append_string(out, calls[i].name);
    out += ",\"arguments\":";
    json::append_string(out, calls[i].arguments);
    out += "}}";
  }
  out += ']';
}

// `reasoning` (the thinking text joined) and `reasoning_details` (every block, signatures and
// redacted data included), as OpenRouter writes them.
void append_reasoning(std::string& out, const std::vector<Reasoning>& reasoning) {
  std::string joined;
  for (const Reasoning& r : reasoning)
    if (!r.redacted) joined += r.text;
  out += ",\"reasoning\":";
  json::append_string(out, joined);
  out += ",\"reasoning_details\":[";
  for (size_t i = 0; i < reasoning.size(); ++i) {
    const Reasoning& r = reasoning[i];
    if (i) out += ',';
    out += r.redacted ? "{\"type\":\"reasoning.encrypted\",\"data\":" : "{\"type\":\"reasoning.text\",\"text\":";
    json::append_string(out, r.text);
    if (!r.signature.empty()) {
      out += ",\"signature\":";
      json::append_string(out, r.signature);
    }
    out += '}';
  }
  out += ']';
}

void append_choice(std::string& out, size_t index, const Output& o) {
  out += "{\"index\":" + std::to_string(index) + ",\"message\":{\"role\":\"assistant\",\"content\":";
  if (o.has_text || !o.text.empty() || (o.tool_calls.empty() && o.refusal.empty())) json::append_string(out, o.text);
  else out += "null";
  out += ",\"refusal\":";
  if (o.refusal.empty()) out += "null";
  else json::append_string(out, o.refusal);
  if (!o.tool_calls.empty()) append_tool_calls(out, o.tool_calls);
  if (!o.reasoning.empty()) append_reasoning(out, o.reasoning);
  out += "},\"logprobs\":null,\"finish_reason\":";
  if (o.finish == Finish::none) out += "null";
  else json::append_string(out, finish_name(o.finish));
  out += '}';
}

// Extras as top-level members, except those whose names the rendering already wrote.
void append_extras(std::string& out, const Answer& answer, std::initializer_list<std::string_view> written) {
  for (const auto& [name, value] : answer.extras) {
    if (std::find(written.begin(), written.end(), name) != written.end()) continue;
    out += ',';
    json::append_string(out, name);
    out += ':';
    out += value;
  }
}

void append_head(std::string& out, const Answer& answer) {
  out += ",\"model\":";
  json::append_string(out, answer.model);
  if (!answer.provider.empty()) {
    out += ",\"provider\":";
    json::append_string(out, answer.provider);
  }
}

std::string chat(const Answer& answer, std::string_view request_id, int64_t created) {
  std::string out = "{\"id\":";
  json::append_string(out, request_id.empty() && !answer.id.empty() ? answer.id : completion_id(request_id));
  out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(answer.created ? answer.created : created);
  append_head(out, answer);
  out += ",\"choices\":[";
  for (size_t i = 0; i < answer.outputs.size(); ++i) {
    if (i) out += ',';
    append_choice(out, i, answer.outputs[i]);
  }
  out += ']';
  if (answer.usage.known) {
    out += ",\"usage\":";
    append_usage(out, answer.usage, false);
  }
  append_extras(out, answer, {"id", "object", "created", "model", "provider", "choices", "usage"});
  out += '}';
  return out;
}

std::string embeddings(const Answer& answer) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < answer.embeddings.size(); ++i) {
    if (i) out += ',';
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":" + answer.embeddings[i] + "}";
  }
  out += ']';
  append_head(out, answer);
  out += ",\"usage\":";
  append_usage(out, answer.usage, true);
  append_extras(out, answer, {"object", "data", "model", "provider", "usage"});
  out += '}';
  return out;
}

std::string models(const Answer& answer) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < answer.models.size(); ++i) {
    const ModelEntry& m = answer.models[i];
    if (i) out += ',';
    out += "{\"id\":";
    json::append_string(out, m.id);
    out += ",\"object\":\"model\",\"created\":" + std::to_string(m.created) + ",\"owned_by\":";
    json::append_string(out, m.owned_by);
    out += '}';
  }
  return out + "]}";
}

// An image answer's usage in OpenAI's images shape: input tokens are the prompt's, all text.
void append_image_usage(std::string& out, const Usage& u) {
  out += ",\"usage\":{\"input_tokens\":" + std::to_string(u.prompt_tokens);
  append_int(out, "output_tokens", u.completion_tokens);
  append_int(out, "total_tokens", u.prompt_tokens + u.completion_tokens);
  out += ",\"input_tokens_details\":{\"text_tokens\":" + std::to_string(u.prompt_tokens) + ",\"image_tokens\":0}";
  if (u.cost >= 0) {
    out += ",\"cost\":";
    json::append_number(out, u.cost);
  }
  out += '}';
}

void append_image(std::string& out, const Image& image) {
  out += '{';
  bool first = true;
  auto member = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    if (!first) out += ',';
    first = false;
    json::append_string(out, name);
    out += ':';
    json::append_string(out, value);
  };
  member("url", image.url);
  member("b64_json", image.b64);
  member("revised_prompt", image.revised_prompt);
  out += '}';
}

std::string images(const Answer& answer, int64_t created) {
  std::string out = "{\"created\":" + std::to_string(answer.created ? answer.created : created) + ",\"data\":[";
  for (size_t i = 0; i < answer.images.size(); ++i) {
    if (i) out += ',';
    append_image(out, answer.images[i]);
  }
  out += ']';
  if (answer.usage.known) append_image_usage(out, answer.usage);
  append_extras(out, answer, {"created", "data", "usage"});
  out += '}';
  return out;
}

// ---- parse ----------------------------------------------------------------------------------

std::string string_of(const Value& object, const char* name) {
  const Value* v = json::find(object, name);
  return v && v->IsString() ? std::string(json::view(*v)) : std::string();
}

int64_t int_of(const Value& object, const char* name, int64_t fallback) {
  const Value* v = json::find(object, name);
  return v && v->IsInt64() ? v->GetInt64() : fallback;
}

std::string text_of(const Value& v) {
  std::string out;
  json::append_value(out, v);
  return out;
}

// Members other than `known` go to Answer::extras, in order.
void keep_extras(const Value& doc, Answer& answer, std::initializer_list<std::string_view> known) {
  for (const auto& m : doc.GetObject()) {
    std::string_view name = json::view(m.name);
    if (std::find(known.begin(), known.end(), name) == known.end()) answer.extras.emplace_back(name, text_of(m.value));
  }
}

// Content as a string, or as an array of text parts (joined).
void parse_content(const Value& message, Output& o) {
  const Value* content = json::find(message, "content");
  if (content && content->IsString()) {
    o.text = json::view(*content);
    o.has_text = true;
  } else if (content && content->IsArray()) {
    for (const Value& part : content->GetArray()) o.text += string_of(part, "text");
    o.has_text = true;
  }
}

// reasoning_details (OpenRouter: text with signatures, encrypted data, summaries), else the
// plain `reasoning` / `reasoning_content` (DeepSeek, vLLM) text.
void parse_reasoning(const Value& message, Output& o) {
  if (const Value* details = json::find(message, "reasoning_details"); details && details->IsArray()) {
    for (const Value& d : details->GetArray()) {
      std::string type = string_of(d, "type");
      Reasoning r;
      r.redacted = type == "reasoning.encrypted";
      r.text = string_of(d, r.redacted ? "data" : type == "reasoning.summary" ? "summary" : "text");
      r.signature = string_of(d, "signature");
      if (!r.text.empty() || !r.signature.empty()) o.reasoning.push_back(std::move(r));
    }
    return;
  }
  std::string text = string_of(message, "reasoning");
  if (text.empty()) text = string_of(message, "reasoning_content");
  if (!text.empty()) o.reasoning.push_back({std::move(text), {}, false});
}

bool parse_tool_calls(const Value& message, Output& o, bool content) {
  const Value* calls = json::find(message, "tool_calls");
  if (!calls || calls->IsNull()) return true;
  if (!calls->IsArray()) return false;
  for (const Value& call : calls->GetArray()) {
    const Value* fn = json::find(call, "function");
    if (!call.IsObject() || !fn || !fn->IsObject()) return false;
    if (!content) continue;
    const Value* arguments = json::find(*fn, "arguments");
    o.tool_calls.push_back({string_of(call, "id"), string_of(*fn, "name"),
                            !arguments ? "" : arguments->IsString() ? string_of(*fn, "arguments") : text_of(*arguments)});
  }
  return true;
}

bool parse_choice(const Value& choice, Output& o, bool content) {
  const Value* message = json::find(choice, "message");
  if (!choice.IsObject() || (message && !message->IsObject())) return false;
  const Value* finish = json::find(choice, "finish_reason");
  std::string_view reason = finish ? json::view(*finish) : std::string_view();
  o.finish = reason.empty() ? Finish::none : reason == "function_call" ? Finish::tool_calls : finish_of(reason);
  if (!message) return true;
  if (content) {
    parse_content(*message, o);
    o.refusal = string_of(*message, "refusal");
    parse_reasoning(*message, o);
  }
  return parse_tool_calls(*message, o, content);
}

bool parse_chat(const Value& doc, Answer& answer, std::string& error, bool content) {
  answer.kind = Kind::chat;
  if (content) {
    answer.id = string_of(doc, "id");
    answer.created = int_of(doc, "created", 0);
    answer.model = string_of(doc, "model");
    answer.provider = string_of(doc, "provider");
  }
  const Value& choices = doc["choices"];
  for (rapidjson::SizeType i = 0; i < choices.Size(); ++i) {
    if (!parse_choice(choices[i], answer.outputs.emplace_back(), content)) {
      error = "choices[" + std::to_string(i) + "] is not a chat completion choice";
      return false;
    }
  }
  if (const Value* usage = json::find(doc, "usage")) answer.usage = parse_usage(*usage);
  answer.summary = !content;
  if (content) keep_extras(doc, answer, {"id", "object", "created", "model", "provider", "choices", "usage"});
  return true;
}

bool parse_embeddings(const Value& doc, Answer& answer, std::string& error, bool content) {
  answer.kind = Kind::embeddings;
  const Value& data = doc["data"];
  for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
    const Value* e = json::find(data[i], "embedding");
    if (!e || !(e->IsArray() || e->IsString())) {
      error = "data[" + std::to_string(i) + "] has no embedding";
      return false;
    }
    if (content) answer.embeddings.push_back(text_of(*e));
  }
  answer.model = string_of(doc, "model");
  answer.provider = string_of(doc, "provider");
  if (const Value* usage = json::find(doc, "usage")) answer.usage = parse_usage(*usage);
  answer.summary = !content;
  if (content) keep_extras(doc, answer, {"object", "data", "model", "provider", "usage"});
  return true;
}

void parse_models(const Value& doc, Answer& answer) {
  answer.kind = Kind::models;
  for (const Value& item : doc["data"].GetArray()) {
    std::string id = string_of(item, "id");
    if (id.empty()) continue;
    answer.models.push_back({std::move(id), int_of(item, "created", 0), string_of(item, "owned_by")});
  }
}

// OpenAI's images usage: {input_tokens, output_tokens, total_tokens, …, cost?}.
Usage parse_image_usage(const Value& usage) {
  Usage u;
  if (!usage.IsObject()) return u;
  u.known = json::find(usage, "input_tokens") || json::find(usage, "output_tokens");
  u.prompt_tokens = int_of(usage, "input_tokens", 0);
  u.completion_tokens = int_of(usage, "output_tokens", 0);
  if (const Value* cost = json::find(usage, "cost"); cost && cost->IsNumber() && cost->GetDouble() >= 0)
    u.cost = cost->GetDouble();
  return u;
}

// The media type of a base64 image in an answer whose output_format is `format`.
std::string media_type_of(std::string_view format) {
  if (format == "jpeg" || format == "webp") return "image/" + std::string(format);
  return "image/png";
}

bool parse_images(const Value& doc, Answer& answer, std::string& error, bool content) {
  answer.kind = Kind::images;
  const Value& data = doc["data"];
  std::string media_type = media_type_of(string_of(doc, "output_format"));
  for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
    const Value& item = data[i];
    const Value* b64 = item.IsObject() ? json::find(item, "b64_json") : nullptr;
    const Value* url = item.IsObject() ? json::find(item, "url") : nullptr;
    bool b64_ok = b64 && b64->IsString() && b64->GetStringLength(), url_ok = url && url->IsString() && url->GetStringLength();
    if (!b64_ok && !url_ok) {
      error = "data[" + std::to_string(i) + "] has no image (b64_json or url)";
      return false;
    }
    if (!content) continue;
    Image& image = answer.images.emplace_back();
    if (b64_ok) {
      image.b64 = json::view(*b64);
      image.media_type = media_type;
    }
    if (url_ok) image.url = json::view(*url);
    image.revised_prompt = string_of(item, "revised_prompt");
  }
  answer.created = int_of(doc, "created", 0);
  if (const Value* usage = json::find(doc, "usage")) answer.usage = parse_image_usage(*usage);
  answer.summary = !content;
  if (content) keep_extras(doc, answer, {"created", "data", "usage"});
  return true;
}

// An image answer: its first item holds an image or a revised prompt; an empty one has
// `created` and, unlike every OpenAI list, no `object`.
bool is_images_answer(const Value& doc) {
  const Value& data = doc["data"];
  if (data.Empty()) return json::find(doc, "created") && !json::find(doc, "object");
  const Value& first = data[0];
  return first.IsObject() &&
         (json::find(first, "b64_json") || json::find(first, "url") || json::find(first, "revised_prompt"));
}

// A list is of embeddings when an item has an `embedding` or is an "embedding" object (or, empty, when it names a model or
// usage as embeddings lists do), else of models.
bool is_embeddings_list(const Value& doc) {
  const Value& data = doc["data"];
  for (const Value& item : data.GetArray()) {
    const Value* object = json::find(item, "object");
    if (json::find(item, "embedding") || (object && json::view(*object) == "embedding")) return true;
    if (json::find(item, "id")) return false;
  }
  return data.Empty() && (json::find(doc, "model") || json::find(doc, "usage"));
}

}  // namespace

Usage parse_usage(const json::Value& usage) {
  Usage u;
  if (!usage.IsObject()) return u;
  u.known = json::find(usage, "prompt_tokens") || json::find(usage, "completion_tokens");
  u.prompt_tokens = int_of(usage, "prompt_tokens", 0);
  u.completion_tokens = int_of(usage, "completion_tokens", 0);
  if (const Value* d = json::find(usage, "prompt_tokens_details"); d && d->IsObject())
    u.cached_tokens = int_of(*d, "cached_tokens", -1);
  if (const Value* d = json::find(usage, "completion_tokens_details"); d && d->IsObject())
    u.reasoning_tokens = int_of(*d, "reasoning_tokens", -1);
  if (const Value* cost = json::find(usage, "cost"); cost && cost->IsNumber() && cost->GetDouble() >= 0)
    u.cost = cost->GetDouble();
  return u;
}

std::string serialize(const Answer& answer, std::string_view request_id, int64_t created) {
  switch (answer.kind) {
    case Kind::chat:
      if (answer.raw_format == Format::openai_chat && !answer.raw.empty()) return answer.raw;
      return chat(answer, request_id, created);
    case Kind::embeddings:
      if (answer.raw_format == Format::openai_embeddings && !answer.raw.empty()) return answer.raw;
      return embeddings(answer);
    case Kind::models:
      return models(answer);
    case Kind::images:
      if (answer.raw_format == Format::openai_images && !answer.raw.empty()) return answer.raw;
      return images(answer, created);
  }
  return {};
}

bool parse(const json::Value& doc, Answer& answer, std::string& error, bool content) {
  answer = Answer();
  if (!doc.IsObject()) {
    error = "not a JSON object";
    return false;
  }
  const Value* choices = json::find(doc, "choices");
  if (choices && choices->IsArray()) return parse_chat(doc, answer, error, content);
  const Value* data = json::find(doc, "data");
  if (!data || !data->IsArray()) {
    error = "neither a chat completion, an embeddings list, a model list nor an image answer";
    return false;
  }
  if (is_images_answer(doc)) return parse_images(doc, answer, error, content);
  if (is_embeddings_list(doc)) return parse_embeddings(doc, answer, error, content);
  parse_models(doc, answer);
  return true;
}

bool parse(std::string_view text, Answer& answer, std::string& error) {
  json::Document doc;
  if (!json::parse(text, doc, error)) {
    answer = Answer();
    return false;
  }
  if (!parse(doc, answer, error)) return false;
  if (answer.kind != Kind::models) {
    answer.raw_format = answer.kind == Kind::chat         ? Format::openai_chat
                        : answer.kind == Kind::embeddings ? Format::openai_embeddings
                                                          : Format::openai_images;
    answer.raw = text;
  }
  return true;
}

}  // namespace sy::model::stored
