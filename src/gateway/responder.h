// Answers one model request in its caller's format: the exchange's Caller, rendering canonical
// answers, events and errors through the request's ingress codec, adding the x-switchyard-*
// and CORS headers. (The caller's key is charged by the Charged wrapper, gateway/reservation.h.
// Provider keys never get this far: the exchange removes them from upstream answers and events
// before anything reads them.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exchange/actions.h"
#include "exchange/caller.h"
#include "ingress/ingress.h"
#include "telemetry/tracer.h"

namespace sy::gateway {

// The header lines every answer carries: content-type, x-switchyard-request-id, -target (once a
// target was tried), -attempts, -cache.
std::string answer_headers(std::string_view content_type, std::string_view request_id, const exchange::Meta& meta);

// Where the answers of a format whose server keeps conversations are kept (gateway/conversations.h).
struct Keeping {
  bool tier = false;   // the host has a persistent tier: answers are kept there
  std::string tenant;  // the caller's gateway key, which partitions them
};

class Responder final : public exchange::Caller {
 public:
  // `request` belongs to the call and outlives the responder's use of it.
  Responder(exchange::ActionBatch& batch, uint32_t id, std::string request_id, const ingress::Codec& codec,
            std::string cors, const model::Request* request, int64_t created, Keeping keeping = {});

  void answer(std::string_view stored, const model::Answer* answer, const exchange::Meta& meta) override;
  void fail(const Error& error, const exchange::Meta& meta) override;
  void stream_open(const exchange::Meta& meta) override;
  void stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override;
  void stream_close(const model::Usage& usage) override;
  void spent(const model::Usage& usage) override;  // telemetry's facts; the key is charged by gateway/reservation.h
  // Telemetry: the request's facts so far; the responder completes them when the request ends
  // (answered, failed, its stream closed, or cancelled: 499) and hands them to `tracer`.
  void trace(telemetry::Tracer* tracer, telemetry::RequestFacts facts);
  ~Responder() override;

 private:
  void ended(int status, const exchange::Meta* meta, std::string_view error, std::string_view body);
  void respond(int status, bool streaming, std::string headers, std::string_view body);
  void chunk(std::string& bytes);
  void keep(std::string_view answer);

  exchange::ActionBatch& batch_;
  uint32_t id_;
  std::string request_id_;
  const ingress::Codec& codec_;
  std::string cors_;
  Keeping keeping_;
  ingress::Context context_;
  std::string model_;  // the answering model, for the context of a stream
  std::unique_ptr<ingress::StreamWriter> writer_;
  std::string out_;
  telemetry::Tracer* tracer_ = nullptr;  // set: the request's end goes to telemetry
  telemetry::RequestFacts facts_;
};

}  // namespace sy::gateway
