// Transitional stub (branch canonical): every request is refused until the exchange lands.
#include "engine/engine.h"

namespace sy::engine {

struct Engine::Impl {
  ActionBatch batch;
  std::string last_error;
};

Engine::Engine(uint64_t) : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;
bool Engine::configure(std::string_view, std::string_view) { return true; }
const std::string& Engine::last_error() const { return impl_->last_error; }
void Engine::submit(uint32_t request_id, std::string_view, std::string_view, std::string_view, std::string_view, double) {
  impl_->batch.clear();
  impl_->batch.respond(request_id, 503, false, "content-type: application/json\n", "{}");
}
void Engine::cancel(uint32_t, double) { impl_->batch.clear(); }
void Engine::fetch_response(uint32_t, int, std::string_view, double) { impl_->batch.clear(); }
void Engine::fetch_body(uint32_t, std::string_view, double) { impl_->batch.clear(); }
void Engine::fetch_end(uint32_t, double) { impl_->batch.clear(); }
void Engine::fetch_error(uint32_t, std::string_view, double) { impl_->batch.clear(); }
void Engine::timer(double) { impl_->batch.clear(); }
void Engine::enable_persistence(bool) {}
void Engine::cache_result(uint32_t, std::string_view, double) { impl_->batch.clear(); }
ActionBatch& Engine::batch() { return impl_->batch; }
size_t Engine::in_flight() const { return 0; }

}  // namespace sy::engine
