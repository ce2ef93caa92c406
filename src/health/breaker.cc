#include "health/breaker.h"

namespace sy::health {

const char* breaker_state_name(Breaker::State state) {
  switch (state) {
    case Breaker::State::closed: return "closed";
    case Breaker::State::open: return "open";
    case Breaker::State::half_open: return "half_open";
  }
  return "closed";
}

}  // namespace sy::health
