#include "ingress/openai_responses_input.h"

#include <cstring>
#include <string>

#include "ingress/body.h"

namespace sy::ingress::openai_responses {

namespace {

using json::Value;
using model::Message;
using model::Part;
using model::PartType;
using model::Role;

std::string index_path(const std::string& at, std::string_view member, size_t i) {
  return at + "." + std::string(member) + "[" + std::to_string(i) + "]";
}

bool optional_string(const Value* v) { return !v || v->IsNull() || v->IsString(); }
bool non_empty_string(const Value* v) { return v && v->IsString() && v->GetStringLength() > 0; }

class InputReader {
 public:
  InputReader(model::Envelope& env, References references, Error& error)
      : env_(env), messages_(env.request.messages), references_(references), error_(error) {}

  bool instructions(const Value& v);
  bool items(const Value& input);

 private:
  bool refuse(const std::string& param, std::string_view expected) {
    return body::refuse(error_, param, param + " " + std::string(expected));
  }
  bool item(const Value& v, const std::string& at);
  bool message(const Value& v, const std::string& at);
  bool content(const Value& content, Role role, const std::string& at, Message& out);
  bool part(const Value& p, Role role, const std::string& at, Message& out);
  bool image(const Value& p, const std::string& at, Part& out);
  bool file(const Value& p, const std::string& at, Part& out);
  bool function_call(const Value& v, const std::string& at);
  bool function_output(const Value& v, const std::string& at);
  bool reasoning(const Value& v, const std::string& at);
  bool reference(const Value& v, const std::string& at);
  bool texts(const Value& parts, const std::string& at, std::string_view type, std::string_view separator,
             std::string& out);
  Message& open(Role role, const Value& raw);
  std::string_view keep(const std::string& text);

  model::Envelope& env_;
  std::vector<Message>& messages_;
  References references_;
  Error& error_;
  bool assistant_open_ = false;  // the last message takes the next assistant-side item
};

std::string_view InputReader::keep(const std::string& text) {
  if (text.empty()) return {};
  char* copy = static_cast<char*>(env_.doc.GetAllocator().Malloc(text.size()));
  std::memcpy(copy, text.data(), text.size());
  return {copy, text.size()};
}

// The message an item goes into: the open assistant message for assistant-side items, else a new
// one (which, for other roles, ends the assistant run).
Message& InputReader::open(Role role, const Value& raw) {
  if (role == Role::assistant && assistant_open_) return messages_.back();
  Message& m = messages_.emplace_back();
  m.role = role;
  m.raw = &raw;
  assistant_open_ = role == Role::assistant;
  return m;
}

bool InputReader::instructions(const Value& v) {
  if (v.IsNull()) return true;
  if (!v.IsString()) return refuse("instructions", "must be a string");
  if (v.GetStringLength() == 0) return true;
  Message& m = open(Role::system, v);
  Part& p = m.parts.emplace_back();
  p.text = json::view(v);
  p.raw = &v;
  return true;
}

bool InputReader::items(const Value& input) {
  if (input.IsString()) {
    Part& p = open(Role::user, input).parts.emplace_back();
    p.text = json::view(input);
    p.raw = &input;
    return true;
  }
  if (!input.IsArray() || input.Empty())
    return refuse("input", "must be a string or a non-empty array of input items");
  for (rapidjson::SizeType i = 0; i < input.Size(); ++i)
    if (!item(input[i], "input[" + std::to_string(i) + "]")) return false;
  return true;
}

bool InputReader::item(const Value& v, const std::string& at) {
  if (!v.IsObject()) return refuse(at, "must be an object (an input item)");
  const Value* type = json::find(v, "type");
  if (!optional_string(type)) return refuse(at + ".type", "must be a string");
  std::string_view t = type ? json::view(*type) : std::string_view();
  if (t.empty()) t = json::find(v, "role") ? "message" : json::find(v, "id") ? "item_reference" : "";
  if (t == "message") return message(v, at);
  if (t == "function_call") return function_call(v, at);
  if (t == "function_call_output") return function_output(v, at);
  if (t == "reasoning") return reasoning(v, at);
  if (t == "item_reference") return reference(v, at);
  if (t.empty())
    return refuse(at + ".type", "is required: message, function_call, function_call_output, reasoning, item_reference");
  mark_native(env_, at + ".type");  // a built-in tool's item: only the native path carries it
  return true;
}

bool InputReader::message(const Value& v, const std::string& at) {
  const Value* role = json::find(v, "role");
  std::string_view r = role ? json::view(*role) : std::string_view();
  if (r != "user" && r != "assistant" && r != "system" && r != "developer")
    return refuse(at + ".role", "must be one of user, assistant, system, developer");
  Role canonical = r == "user" ? Role::user : r == "assistant" ? Role::assistant : r == "system" ? Role::system
                                                                                                 : Role::developer;
  const Value* status = json::find(v, "status");
  if (!optional_string(status)) return refuse(at + ".status", "must be a string");
  const Value* content = json::find(v, "content");
  if (!content || content->IsNull()) return refuse(at + ".content", "is required");
  Message& m = open(canonical, v);
  return this->content(*content, canonical, at, m);
}

bool InputReader::content(const Value& content, Role role, const std::string& at, Message& out) {
  if (content.IsString()) {
    Part& p = out.parts.emplace_back();
    p.text = json::view(content);
    p.raw = &content;
    return true;
  }
  if (!content.IsArray() || content.Empty())
    return refuse(at + ".content", role == Role::assistant
                                       ? "must be a string or a non-empty array of content parts (output_text, refusal)"
                                       : "must be a string or a non-empty array of content parts (input_text, "
                                         "input_image, input_file)");
  for (rapidjson::SizeType i = 0; i < content.Size(); ++i)
    if (!part(content[i], role, index_path(at, "content", i), out)) return false;
  return true;
}

bool InputReader::part(const Value& p, Role role, const std::string& at, Message& out) {
  if (!p.IsObject()) return refuse(at, "must be an object");
  const Value* type = json::find(p, "type");
  std::string_view t = type ? json::view(*type) : std::string_view();
  bool assistant = role == Role::assistant;
  bool allowed = assistant ? (t == "output_text" || t == "refusal")
                           : (t == "input_text" || t == "input_image" || t == "input_file");
  if (!allowed)
    return refuse(at + ".type", assistant ? "must be output_text or refusal in an assistant message"
                                          : "must be one of input_text, input_image, input_file");
  Part& part = out.parts.emplace_back();
  part.raw = &p;
  if (t == "input_image") return image(p, at, part);
  if (t == "input_file") return file(p, at, part);
  const char* member = t == "refusal" ? "refusal" : "text";
  const Value* text = json::find(p, member);
  if (!text || !text->IsString()) return refuse(at + "." + member, "must be a string");
  part.type = t == "refusal" ? PartType::refusal : PartType::text;
  part.text = json::view(*text);
  return true;
}

bool InputReader::image(const Value& p, const std::string& at, Part& out) {
  const Value* url = json::find(p, "image_url");
  if (!optional_string(url)) return refuse(at + ".image_url", "must be a string (an http(s) or data: URL)");
  const Value* id = json::find(p, "file_id");
  if (!optional_string(id)) return refuse(at + ".file_id", "must be a string");
  if (!non_empty_string(url) && !non_empty_string(id)) return refuse(at, "must have image_url or file_id");
  const Value* detail = json::find(p, "detail");
  std::string_view d = detail ? json::view(*detail) : std::string_view();
  if (detail && !detail->IsNull() && d != "auto" && d != "low" && d != "high" && d != "original")
    return refuse(at + ".detail", "must be one of auto, low, high, original");
  out.type = PartType::image;
  out.url = url ? json::view(*url) : std::string_view();
  out.id = id ? json::view(*id) : std::string_view();
  out.detail = d == "original" ? std::string_view("high") : d;
  if (out.url.empty()) mark_native(env_, at + ".file_id");  // only OpenAI knows its files
  return true;
}

bool InputReader::file(const Value& p, const std::string& at, Part& out) {
  for (const char* member : {"file_data", "file_id", "file_url", "filename"})
    if (!optional_string(json::find(p, member))) return refuse(at + "." + member, "must be a string");
  const Value* data = json::find(p, "file_data");
  const Value* id = json::find(p, "file_id");
  const Value* url = json::find(p, "file_url");
  const Value* name = json::find(p, "filename");
  if (!non_empty_string(data) && !non_empty_string(id) && !non_empty_string(url))
    return refuse(at, "must have file_data, file_id or file_url");
  out.type = PartType::file;
  out.url = data ? json::view(*data) : std::string_view();
  out.id = id ? json::view(*id) : std::string_view();
  out.name = name ? json::view(*name) : std::string_view();
  if (non_empty_string(url) && out.url.empty() && out.id.empty()) mark_native(env_, at + ".file_url");
  return true;
}

bool InputReader::function_call(const Value& v, const std::string& at) {
  const Value* call_id = json::find(v, "call_id");
  if (!non_empty_string(call_id)) return refuse(at + ".call_id", "must be a non-empty string");
  const Value* name = json::find(v, "name");
  if (!non_empty_string(name)) return refuse(at + ".name", "must be a non-empty string");
  const Value* arguments = json::find(v, "arguments");
  if (!arguments || !arguments->IsString()) return refuse(at + ".arguments", "must be a string (the arguments as JSON text)");
  Part& p = open(Role::assistant, v).parts.emplace_back();
  p.type = PartType::tool_call;
  p.raw = &v;
  p.id = json::view(*call_id);
  p.name = json::view(*name);
  p.arguments = json::view(*arguments);
  return true;
}

// The texts of `parts` (an array at `at`) whose type is `type`, joined by `separator` into
// `out`: function outputs (input_text; their input_image and input_file parts mark the request
// native-only) and reasoning (summary_text, reasoning_text).
bool InputReader::texts(const Value& parts, const std::string& at, std::string_view type, std::string_view separator,
                        std::string& out) {
  bool output = type == "input_text";
  for (rapidjson::SizeType i = 0; i < parts.Size(); ++i) {
    const Value& p = parts[i];
    std::string pi = at + "[" + std::to_string(i) + "]";
    if (!p.IsObject()) return refuse(pi, "must be an object");
    const Value* t = json::find(p, "type");
    std::string_view name = t ? json::view(*t) : std::string_view();
    if (output && (name == "input_image" || name == "input_file")) {
      mark_native(env_, pi);
      continue;
    }
    if (name != type)
      return refuse(pi + ".type", "must be " + std::string(type) + (output ? ", input_image or input_file" : ""));
    const Value* text = json::find(p, "text");
    if (!text || !text->IsString()) return refuse(pi + ".text", "must be a string");
    if (!out.empty()) out += separator;
    out += json::view(*text);
  }
  return true;
}

bool InputReader::function_output(const Value& v, const std::string& at) {
  const Value* call_id = json::find(v, "call_id");
  if (!non_empty_string(call_id)) return refuse(at + ".call_id", "must be a non-empty string");
  const Value* output = json::find(v, "output");
  std::string joined;
  if (!output || !(output->IsString() || output->IsArray()))
    return refuse(at + ".output", "must be a string or an array of input_text, input_image, input_file parts");
  if (output->IsArray() && !texts(*output, at + ".output", "input_text", "", joined)) return false;
  Message& m = open(Role::tool, v);
  Part& p = m.parts.emplace_back();
  p.type = PartType::tool_result;
  p.raw = &v;
  p.id = json::view(*call_id);
  p.text = output->IsString() ? json::view(*output) : keep(joined);
  return true;
}

bool InputReader::reasoning(const Value& v, const std::string& at) {
  const Value* summary = json::find(v, "summary");
  if (!summary || !summary->IsArray()) return refuse(at + ".summary", "must be an array of summary_text parts");
  const Value* content = json::find(v, "content");
  if (content && !content->IsNull() && !content->IsArray())
    return refuse(at + ".content", "must be an array of reasoning_text parts");
  const Value* encrypted = json::find(v, "encrypted_content");
  if (!optional_string(encrypted)) return refuse(at + ".encrypted_content", "must be a string");
  const Value* id = json::find(v, "id");
  if (!optional_string(id)) return refuse(at + ".id", "must be a string");
  std::string text, raw_text;
  if (!texts(*summary, at + ".summary", "summary_text", "\n\n", text)) return false;
  if (content && content->IsArray() && !texts(*content, at + ".content", "reasoning_text", "", raw_text)) return false;
  if (text.empty()) text = std::move(raw_text);
  std::string_view sealed = encrypted ? json::view(*encrypted) : std::string_view();
  if (text.empty() && sealed.empty()) return true;
  Part& p = open(Role::assistant, v).parts.emplace_back();
  p.type = PartType::reasoning;
  p.raw = &v;
  p.id = id ? json::view(*id) : std::string_view();
  p.redacted = text.empty();
  p.text = p.redacted ? sealed : keep(text);
  p.signature = p.redacted ? std::string_view() : sealed;
  return true;
}

bool InputReader::reference(const Value& v, const std::string& at) {
  const Value* id = json::find(v, "id");
  if (!non_empty_string(id)) return refuse(at + ".id", "must be the id of an item");
  if (references_ == References::native) mark_native(env_, at);  // OpenAI's own stored items
  return true;
}

}  // namespace

void mark_native(model::Envelope& env, std::string_view path) {
  if (!env.request.native_only.empty()) return;
  char* copy = static_cast<char*>(env.doc.GetAllocator().Malloc(path.size()));
  std::memcpy(copy, path.data(), path.size());
  env.request.native_only = {copy, path.size()};
}

bool read_input(const json::Value* instructions, const json::Value* input, model::Envelope& env, References references,
                Error& error) {
  InputReader reader(env, references, error);
  if (instructions && !reader.instructions(*instructions)) return false;
  return !input || reader.items(*input);
}

}  // namespace sy::ingress::openai_responses
