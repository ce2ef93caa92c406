// libFuzzer target: sy::sse::Parser. Differential: the events (and the failed state) must be
// the same whether the input is fed whole or in the chunks the input's first bytes choose.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "providers/sse_parser.h"

namespace {

struct Run {
  std::string events;  // event\0data\0id\0 per event
  bool ok = true;
  bool clean = true;
};

template <class Feed>
Run run(size_t bound, Feed&& feed_all) {
  sy::sse::Parser parser(bound);
  Run r;
  auto sink = [&](const sy::sse::Event& e) {
    r.events.append(e.event).append(1, '\0').append(e.data).append(1, '\0').append(e.id).append(1, '\0');
  };
  r.ok = feed_all(parser, sink);
  r.clean = parser.finish();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t bound = 16 + size_t(data[0]) * 4;  // small bounds exercise the failure path
  unsigned step = 1 + data[1] % 17;
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  Run whole = run(bound, [&](sy::sse::Parser& p, auto& sink) { return p.feed(text, sink); });
  Run split = run(bound, [&](sy::sse::Parser& p, auto& sink) {
    bool ok = true;
    size_t n = step;
    for (size_t at = 0; at < text.size(); at += n, n = 1 + (n * 7 + 3) % 23) ok = p.feed(text.substr(at, n), sink) && ok;
    return ok;
  });
  if (whole.events != split.events || whole.ok != split.ok || whole.clean != split.clean) std::abort();
  return 0;
}
