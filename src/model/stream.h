// Between the two ways an answer travels: whole (Answer) and as stream events.
#pragma once

#include <span>
#include <vector>

#include "model/answer.h"

namespace sy::model {

// Builds the Answer a stream amounts to, so that a stream can be cached: text, reasoning (with
// signatures), refusals and tool calls (arguments concatenated) per output, finish reasons and
// the last usage. Error events are ignored (a failed stream is never stored).
class Assembler {
 public:
  void add(std::span<const StreamEvent> events);
  // The answer so far; kind chat. The caller fills id, model, provider.
  Answer finish() const;

 private:
  std::vector<Output> outputs_;
  Usage usage_;
};

// The events that replay `answer` as a stream, appended to `out` (views point into `answer`):
// per output its reasoning, its text (whole, or one event per word with the whitespace after it
// when `by_word`), its refusal, its tool calls, its finish; then one usage event when the usage
// is known.
void replay(const Answer& answer, bool by_word, std::vector<StreamEvent>& out);

}  // namespace sy::model
