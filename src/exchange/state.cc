#include "exchange/state.h"

namespace sy::exchange {

std::optional<size_t> transition(State from, Event event) {
  for (size_t i = 0; i < kTransitionCount; ++i)
    if (kTransitions[i].from == from && kTransitions[i].event == event) return i;
  return std::nullopt;
}

std::string_view state_name(State state) {
  constexpr std::string_view kNames[] = {"routed", "looking_up", "coalesced", "queued",
                                         "backoff", "fetching",   "streaming", "done"};
  return kNames[size_t(state)];
}

std::string_view event_name(Event event) {
  constexpr std::string_view kNames[] = {"hit",         "coalesce", "ask_tier", "open",          "wait",       "back_off",
                                         "first_event", "answer",   "fail",     "leader_failed", "end_stream", "cancel"};
  return kNames[size_t(event)];
}

}  // namespace sy::exchange
