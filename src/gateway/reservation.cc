#include "gateway/reservation.h"

#include <algorithm>
#include <cmath>

#include "json/json.h"
#include "routing/router.h"

namespace sy::gateway {

namespace {

// A leaf's own output cap: its override_params max_tokens (or the other names formats give it).
int64_t override_cap(const routing::Leaf& leaf) {
  int64_t cap = -1;
  for (const auto& [name, value] : leaf.overrides)
    if (name == "max_tokens" || name == "max_completion_tokens" || name == "max_output_tokens") {
      double v = -1;
      if (json::parse_decimal(value, v) && v >= 0) cap = int64_t(v);  // a later (deeper) entry wins
    }
  return cap;
}

}  // namespace

double Estimate::cost_with(int64_t output) const {
  if (!priced) return 0;
  return (double(prompt_tokens) * input_price + double(output) * output_price) / 1e6;
}

Estimate estimate(const config::Config& config, const model::Request& request) {
  Estimate e;
  if (request.kind == model::Kind::models) return e;
  routing::Preferences ignored;
  std::vector<routing::Leaf> leaves;
  routing::reachable(config, routing::strip_suffix(config, request.model, ignored), leaves);
  for (std::string_view more : request.routing.models) routing::reachable(config, more, leaves);
  int64_t asked = request.max_tokens >= 0 ? request.max_tokens : int64_t(config.gateway.reserve_output_tokens);
  for (const routing::Leaf& leaf : leaves) {
    const config::Provider& provider = config.providers[size_t(leaf.provider)];
    auto price = provider.prices.find(leaf.model);
    if (price == provider.prices.end()) continue;
    e.priced = true;
    e.input_price = std::max(e.input_price, price->second.input_per_million);
    e.output_price = std::max(e.output_price, price->second.output_per_million);
    int64_t cap = override_cap(leaf);
    e.output_tokens = std::max(e.output_tokens, cap >= 0 ? cap : asked);
  }
  if (!e.priced) return e;
  if (request.kind == model::Kind::embeddings) e.output_tokens = 0;
  e.output_tokens *= std::max<int64_t>(1, request.sampling.n);
  e.prompt_tokens = model::prompt_tokens(request);
  e.usd = e.cost_with(e.output_tokens);
  return e;
}

Charged::Charged(std::unique_ptr<exchange::Caller> inner, std::shared_ptr<Runtime> runtime, int key, Estimate estimate,
                 double now)
    : inner_(std::move(inner)), runtime_(std::move(runtime)), key_(key), estimate_(estimate), now_(now) {}

Charged::~Charged() { runtime_->budgets->settle(key_, estimate_.usd, actual(), now_); }

double Charged::actual() const {
  if (reported_) return cost_;
  if (free_) return 0;
  if (end_ == End::failed) return 0;
  if (end_ == End::streamed && closed_cost_ >= 0) return closed_cost_;
  // The provider's usage never arrived: what it may have billed.
  return estimate_.cost_with((relayed_chars_ + 3) / 4);
}

void Charged::answer(std::string_view stored, const model::Answer* answer, const exchange::Meta& meta) {
  end_ = End::answered;
  free_ = meta.cache == "HIT" || meta.cache == "COALESCED";
  if (!answer) {
    relayed_chars_ += int64_t(stored.size());
  } else {
    for (const model::Output& o : answer->outputs) {
      relayed_chars_ += int64_t(o.text.size() + o.refusal.size());
      for (const auto& call : o.tool_calls) relayed_chars_ += int64_t(call.arguments.size());
    }
  }
  inner_->answer(stored, answer, meta);
}

void Charged::fail(const Error& error, const exchange::Meta& meta) {
  end_ = error.type == ErrorType::timeout && meta.attempts > 0 ? End::failed_late : End::failed;
  inner_->fail(error, meta);
}

void Charged::stream_open(const exchange::Meta& meta) {
  end_ = End::streamed;
  free_ = meta.cache == "HIT" || meta.cache == "COALESCED";
  inner_->stream_open(meta);
}

void Charged::stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) {
  for (const model::StreamEvent& e : events)
    if (e.type != model::StreamEvent::Type::usage && e.type != model::StreamEvent::Type::error)
      relayed_chars_ += int64_t(e.text.size());
  inner_->stream_events(events, raw);
}

void Charged::stream_close(const model::Usage& usage) {
  if (usage.known && usage.cost >= 0) closed_cost_ = usage.cost;
  inner_->stream_close(usage);
}

void Charged::spent(const model::Usage& usage) {
  reported_ = true;
  if (usage.cost > 0) cost_ += usage.cost;
  inner_->spent(usage);
}

}  // namespace sy::gateway
