// One model request's reservation against its key's budget (gateway/budgets.h): its worst-case
// cost, reserved before the request goes to the exchange, and the Caller that settles it when the
// call ends, on every path, exactly once.
//
// Worst case: the prompt-token estimate (model::prompt_tokens) × the highest input price, plus the
// output tokens it may produce × the highest output price, among every target the request may
// reach (routing::reachable over its model and `models`, whatever conditions and health pick).
// The output tokens: the request's max_tokens (a leaf's override_params max_tokens wins for that
// leaf), else gateway.reserve_output_tokens; × n answers; none for embeddings. No price known for
// any reachable target: the estimate is 0 (spend is then counted after, from usage).
//
// What a call is charged when it ends (its actual cost):
// - the cost of the usage the provider reported (Caller::spent), whatever happened after;
// - a cached answer or a single-flight follower (cache HIT / COALESCED): nothing;
// - an error answer (every upstream failed, or the exchange refused the call) that is not a
//   timeout: nothing (providers do not bill refused or failed calls);
// - otherwise, when the provider's usage never arrived (the caller went away, a deadline passed, a
//   stream was cut short or ended without usage): what the provider may have billed, estimated the
//   same way: the prompt at the highest input price, plus the output relayed so far (estimated
//   from its text) at the highest output price. A stream that closed with usage uses that usage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "exchange/caller.h"
#include "gateway/keys.h"
#include "model/request.h"

namespace sy::gateway {

struct Estimate {
  double usd = 0;           // the worst case, reserved
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double input_price = 0;   // USD per million tokens, the highest among the reachable targets
  double output_price = 0;
  bool priced = false;      // some reachable target has a price

  // What `output_tokens` of output (and the whole prompt) cost at these prices.
  double cost_with(int64_t output) const;
};

Estimate estimate(const config::Config& config, const model::Request& request);

// The request's Caller, wrapped: everything goes through to `inner`, and when the call ends (this
// object is destroyed: the exchange drops a call's Caller when the call is over, whatever ended
// it) the reservation is settled with the actual cost above.
class Charged final : public exchange::Caller {
 public:
  Charged(std::unique_ptr<exchange::Caller> inner, std::shared_ptr<Runtime> runtime, int key, Estimate estimate,
          double now);
  ~Charged() override;
  Charged(const Charged&) = delete;
  Charged& operator=(const Charged&) = delete;

  void answer(std::string_view stored, const model::Answer* answer, const exchange::Meta& meta) override;
  void fail(const Error& error, const exchange::Meta& meta) override;
  void stream_open(const exchange::Meta& meta) override;
  void stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override;
  void stream_close(const model::Usage& usage) override;
  void spent(const model::Usage& usage) override;

  // The actual cost as things stand (what the destructor settles).
  double actual() const;

 private:
  enum class End { none, answered, failed, failed_late, streamed };

  std::unique_ptr<exchange::Caller> inner_;
  std::shared_ptr<Runtime> runtime_;
  int key_;
  Estimate estimate_;
  double now_;
  End end_ = End::none;
  bool free_ = false;        // served from the cache or by another identical call
  bool reported_ = false;    // the provider's usage arrived (spent)
  double cost_ = 0;          // of the usage reported
  double closed_cost_ = -1;  // the usage a stream closed with, when priced
  int64_t relayed_chars_ = 0;
};

}  // namespace sy::gateway
