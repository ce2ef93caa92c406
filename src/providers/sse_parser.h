// Incremental text/event-stream parser following the WHATWG EventSource parsing rules.
//
// Feed it the bytes of a stream in chunks of any size, split anywhere (inside a UTF-8 sequence,
// between \r and \n); the same events come out whatever the chunking. Memory is bounded by
// max_event_bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace sy::sse {

// One dispatched event. The views are valid only during the callback.
struct Event {
  std::string_view event;  // the `event` field; empty means the default type "message"
  std::string_view data;   // `data` lines joined with \n (no trailing \n)
  std::string_view id;     // the last event id seen in the stream so far (it persists, per spec)
};

class Parser {
 public:
  // max_event_bytes bounds the bytes held while parsing one event: the unfinished line plus the
  // accumulated data and event fields. Every line is checked whole, whether or not it was
  // buffered across chunks, so the bound does not depend on chunking.
  explicit Parser(size_t max_event_bytes = 1u << 20) : max_event_bytes_(max_event_bytes) {}

  // Parses bytes, calling on_event(const Event&) for each complete event. Lines end with \n,
  // \r\n or \r; a line "field:value" (one space after the colon dropped; no colon = empty
  // value) sets `data` (appended, joined with \n), `event` or `id` (ignored if it contains
  // NUL); other fields, including `retry`, and lines starting with ':' (comments, keep-alives)
  // are ignored. A blank line dispatches the event if any data line was seen since the last
  // one, then clears data and event. A leading byte-order mark is not stripped.
  // Returns false once the bound was exceeded; the parser then stays failed (until reset())
  // and ignores input. on_event must not call back into this parser.
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    auto sink = [](void* ctx, const Event& e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(e); };
    return feed_impl(bytes, sink, const_cast<void*>(static_cast<const void*>(&on_event)));
  }

  // Ends the stream. An event without its terminating blank line (and any unterminated line) is
  // discarded, per spec. Returns true when nothing was pending and the parser has not failed.
  // Clears the pending state either way, keeping the last event id and the failed flag.
  bool finish();

  bool failed() const { return failed_; }

  // Back to a fresh parser (same bound): clears everything, including the last event id.
  void reset();

 private:
  using Sink = void (*)(void* ctx, const Event&);
  bool feed_impl(std::string_view bytes, Sink sink, void* ctx);
  bool line(std::string_view text, Sink sink, void* ctx);  // false when over the bound

  size_t max_event_bytes_;
  std::string partial_;  // an unterminated line carried to the next chunk
  std::string data_;     // data lines, each followed by \n
  std::string event_;
  std::string id_;
  bool after_cr_ = false;  // the last chunk ended with \r: a leading \n continues that line end
  bool failed_ = false;
};

}  // namespace sy::sse
