// The states of one call and the events that move it: one table (h11's _state.py is the model).
// Every state change of a call goes through next(); a (state, event) pair the table does not list
// is an illegal transition, which ends that call with an internal error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sy::exchange {

enum class State : uint8_t {
  routed,      // validated; nothing asked yet (transient: never waits for the host)
  looking_up,  // waiting for the host's persistent cache tier (CACHE_GET)
  coalesced,   // waiting for an identical request already on its way (single-flight)
  queued,      // every remaining target is at a limit: waiting for room
  backoff,     // an attempt failed: waiting to retry the same target
  fetching,    // an attempt is in flight; nothing has reached the caller
  streaming,   // a stream's first event reached the caller: no more failover
  done,        // answered, failed or cancelled; the call is gone
};

enum class Event : uint8_t {
  hit,            // answered from the cache (L1 or the tier) or by the leader it waited for
  coalesce,       // an identical request is on its way: wait for it
  ask_tier,       // L1 missed; the host's tier is asked
  open,           // an attempt starts (first, retry or fallback)
  wait,           // every remaining target is at a limit
  back_off,       // the attempt failed; the same target is retried after a delay
  first_event,    // a stream's first event is sent to the caller
  answer,         // a complete answer is sent
  fail,           // an error is sent (an error event, for a stream already started)
  leader_failed,  // the request it waited for failed: it goes on alone
  end_stream,     // the stream finished well
  cancel,         // the caller went away
};

struct Transition {
  State from;
  Event event;
  State to;
};

// Every legal transition. A test drives each row through the engine.
inline constexpr Transition kTransitions[] = {
    {State::routed, Event::hit, State::done},
    {State::routed, Event::coalesce, State::coalesced},
    {State::routed, Event::ask_tier, State::looking_up},
    {State::routed, Event::open, State::fetching},
    {State::routed, Event::wait, State::queued},
    {State::routed, Event::fail, State::done},

    {State::looking_up, Event::hit, State::done},
    {State::looking_up, Event::open, State::fetching},
    {State::looking_up, Event::wait, State::queued},
    {State::looking_up, Event::fail, State::done},
    {State::looking_up, Event::cancel, State::done},

    {State::coalesced, Event::hit, State::done},
    {State::coalesced, Event::leader_failed, State::routed},
    {State::coalesced, Event::fail, State::done},
    {State::coalesced, Event::cancel, State::done},

    {State::queued, Event::open, State::fetching},
    {State::queued, Event::wait, State::queued},
    {State::queued, Event::fail, State::done},
    {State::queued, Event::cancel, State::done},

    {State::backoff, Event::open, State::fetching},
    {State::backoff, Event::wait, State::queued},
    {State::backoff, Event::fail, State::done},
    {State::backoff, Event::cancel, State::done},

    {State::fetching, Event::answer, State::done},
    {State::fetching, Event::first_event, State::streaming},
    {State::fetching, Event::back_off, State::backoff},
    {State::fetching, Event::open, State::fetching},
    {State::fetching, Event::wait, State::queued},
    {State::fetching, Event::fail, State::done},
    {State::fetching, Event::cancel, State::done},

    {State::streaming, Event::end_stream, State::done},
    {State::streaming, Event::fail, State::done},
    {State::streaming, Event::cancel, State::done},
};

inline constexpr size_t kTransitionCount = std::size(kTransitions);

// The row for (from, event), or nullopt when the table has none.
std::optional<size_t> transition(State from, Event event);

std::string_view state_name(State state);
std::string_view event_name(Event event);

}  // namespace sy::exchange
