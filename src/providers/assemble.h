// Between OpenAI's two answer shapes: a completed stream of
// chat.completion.chunk events assembled into one chat.completion (so a
// stream can be cached), and a chat.completion replayed as chunks (so a
// cached answer can serve a stream request).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sy::providers {

class StreamAssembler {
 public:
  // Takes client events as the engine sends them ("data: {...}\n\n", any
  // number per call). Events that are not chunk objects are ignored.
  void add(std::string_view events);
  // The chat.completion of everything added so far; `provider` names the
  // provider when no chunk did.
  std::string finish(std::string_view provider = {}) const;
  // The finish_reason of the first choice ("" if none yet).
  const std::string& finish_reason() const;

 private:
  struct ToolCall {
    std::string id, type, name, arguments;
  };
  struct Choice {
    std::string role = "assistant", content, refusal, finish_reason;
    bool has_content = false;
    std::vector<ToolCall> tool_calls;
  };
  void chunk(std::string_view json);

  std::string id_, model_, provider_, usage_json_, system_fingerprint_;
  long long created_ = 0;
  std::vector<Choice> choices_;
};

// The SSE events ("data: {...}\n\n" each, without [DONE]) that replay a
// chat.completion: per choice, one chunk with its role and content, one with
// its tool calls, one with its finish_reason; then a usage chunk when
// include_usage is set. Returns "" when `completion` is not a chat completion.
std::string replay_as_stream(std::string_view completion, bool include_usage);

}  // namespace sy::providers
