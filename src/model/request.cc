#include "model/request.h"

namespace sy::model {

int64_t estimate_tokens(std::string_view text) {
  int64_t chars = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++chars;
  return (chars + 3) / 4;
}

std::string text_of(const Message& message, std::string_view separator, bool mark_images) {
  std::string out;
  bool first = true;
  for (const Part& part : message.parts) {
    if (part.type == PartType::tool_call || part.type == PartType::reasoning) continue;
    if (!first) out += separator;
    first = false;
    if (part.type == PartType::text || part.type == PartType::tool_result) out += part.text;
    else if (part.type == PartType::image && mark_images) out += "[image]";
  }
  return out;
}

int64_t prompt_tokens(const Request& request) {
  if (request.kind == Kind::embeddings) {
    int64_t tokens = 0;
    for (const json::Value* input : request.inputs)
      tokens += input->IsString() ? estimate_tokens(json::view(*input)) : input->IsArray() ? input->Size() : 1;
    return tokens;
  }
  if (request.kind == Kind::images) return estimate_tokens(request.prompt);
  int64_t tokens = 0;
  for (const Message& m : request.messages) tokens += 4 + estimate_tokens(text_of(m, "\n", true));
  return tokens;
}

}  // namespace sy::model
