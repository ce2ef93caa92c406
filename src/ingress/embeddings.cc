#include "ingress/embeddings.h"

#include <algorithm>

#include "ingress/body.h"

namespace sy::ingress::embeddings {

namespace {

using json::Value;

constexpr const char* kInputRule =
    "must be a non-empty string, an array of non-empty strings, an array of token ids, or an array of token arrays";

bool token(const Value& v) { return v.IsUint(); }
bool token_array(const Value& v) { return v.IsArray() && !v.Empty() && std::all_of(v.Begin(), v.End(), token); }

// One entry of an input array, of the kind its first entry set (text or tokens).
bool read_entry(const Value& entry, bool tokens, const std::string& at, Error& error) {
  if (tokens && !token_array(entry))
    return body::refuse(error, at, at + " must be a non-empty array of token ids (integers >= 0), like input[0]");
  if (!tokens && !(entry.IsString() && entry.GetStringLength() > 0))
    return body::refuse(error, at, at + " must be a non-empty string, like input[0]");
  return true;
}

// One array of token ids: every entry an integer >= 0.
bool read_tokens(const Value& input, Error& error) {
  for (rapidjson::SizeType i = 0; i < input.Size(); ++i)
    if (!token(input[i])) {
      std::string at = "input[" + std::to_string(i) + "]";
      return body::refuse(error, at, at + " must be a token id (an integer >= 0)");
    }
  return true;
}

bool read_input(const Value* input, model::Request& request, Error& error) {
  if (!input || input->IsNull()) return body::refuse(error, "input", "input is required", "missing_input");
  bool text = input->IsString() && input->GetStringLength() > 0;
  if (!text && (!input->IsArray() || input->Empty())) return body::refuse(error, "input", std::string("input ") + kInputRule);
  request.inputs.clear();
  if (text || (*input)[0].IsNumber()) {  // one text, or one array of token ids
    request.token_input = !text;
    request.inputs.push_back(input);
    return text || read_tokens(*input, error);
  }
  if (input->Size() > kMaxInputs)
    return body::refuse(error, "input", "input must have at most " + std::to_string(kMaxInputs) + " entries");
  bool tokens = (*input)[0].IsArray();
  for (rapidjson::SizeType i = 0; i < input->Size(); ++i)
    if (!read_entry((*input)[i], tokens, "input[" + std::to_string(i) + "]", error)) return false;
  for (const Value& entry : input->GetArray()) request.inputs.push_back(&entry);
  request.token_input = tokens;
  return true;
}

enum class Option { read, other, invalid };

// dimensions, encoding_format, user.
Option read_option(std::string_view name, const Value& v, model::Request& request, Error& error) {
  auto refused = [&](std::string message) {
    body::refuse(error, std::string(name), std::move(message));
    return Option::invalid;
  };
  if (name == "dimensions") {
    if (!v.IsNull() && !(v.IsUint() && v.GetUint() >= 1 && v.GetUint() <= 65536))
      return refused("dimensions must be an integer from 1 to 65536");
    request.dimensions = v.IsNull() ? -1 : int64_t(v.GetUint());
  } else if (name == "encoding_format") {
    std::string_view f = json::view(v);
    if (!v.IsNull() && f != "float" && f != "base64") return refused("encoding_format must be \"float\" or \"base64\"");
    request.base64 = f == "base64";
  } else if (name == "user") {
    if (!v.IsNull() && !v.IsString()) return refused("user must be a string");
    request.user = json::view(v);
  } else {
    return Option::other;
  }
  return Option::read;
}

bool decode(model::Envelope& env, const DecodeArgs&, Error& error) {
  if (!body::parse(env, error)) return false;
  model::Request& request = env.request;
  request.kind = model::Kind::embeddings;
  request.format = model::Format::openai_embeddings;
  request.raw = env.text;
  const Value* input = nullptr;
  for (const auto& member : static_cast<const Value&>(env.doc).GetObject()) {
    std::string_view name = json::view(member.name);
    body::Member kind = body::routing(request, name, member.value, error);
    if (kind == body::Member::invalid) return false;
    if (kind == body::Member::routing) continue;
    if (name == "input") {
      input = &member.value;
      continue;
    }
    Option option = read_option(name, member.value, request, error);
    if (option == Option::invalid) return false;
    if (option == Option::other) request.extras.emplace_back(name, &member.value);
  }
  return body::resolve_model(request, error) && read_input(input, request, error);
}

std::string error(const Error& e) { return error_body(e); }

}  // namespace

const Codec kCodec{model::Format::openai_embeddings, decode, nullptr, nullptr, error};

}  // namespace sy::ingress::embeddings
