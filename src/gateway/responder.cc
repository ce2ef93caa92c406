#include "gateway/responder.h"

#include <cmath>

#include "gateway/conversations.h"
#include "json/json.h"

namespace sy::gateway {

std::string answer_headers(std::string_view content_type, std::string_view request_id, const exchange::Meta& meta) {
  std::string h;
  h.reserve(160);
  h += "content-type: ";
  h.append(content_type);
  h += "\nx-switchyard-request-id: ";
  h.append(request_id);
  if (!meta.target.empty()) {
    h += "\nx-switchyard-target: ";
    h += meta.target;
  }
  h += "\nx-switchyard-attempts: ";
  json::append_number(h, meta.attempts);  // an int: its plain digits, as std::to_string writes them
  h += "\nx-switchyard-cache: ";
  h.append(meta.cache);
  h += '\n';
  return h;
}

Responder::Responder(exchange::ActionBatch& batch, uint32_t id, std::string request_id, const ingress::Codec& codec,
                     std::string cors, const model::Request* request, int64_t created, Keeping keeping)
    : batch_(batch),
      id_(id),
      request_id_(std::move(request_id)),
      codec_(codec),
      cors_(std::move(cors)),
      keeping_(std::move(keeping)) {
  context_.request_id = request_id_;
  context_.created = created;
  context_.request = request;
}

void Responder::respond(int status, bool streaming, std::string headers, std::string_view body) {
  headers += cors_;
  batch_.respond(id_, uint32_t(status), streaming, headers, body);
}

void Responder::answer(std::string_view stored, const model::Answer* answer, const exchange::Meta& meta) {
  std::string rendered;
  std::string_view body = stored;
  if (codec_.answer) body = rendered = codec_.answer(stored, answer, context_);
  keep(body);
  ended(200, &meta, {}, body);
  respond(200, false, answer_headers("application/json", request_id_, meta), body);
}

// Keeps the conversation an answer ends, for formats whose server keeps them.
void Responder::keep(std::string_view answer) {
  if (!keeping_.tier || !codec_.conversations || answer.empty()) return;
  std::vector<std::pair<std::string, std::string>> records;
  codec_.conversations->keep(context_, answer, records);
  double expires_at = double(context_.created) * 1000 + conversations::kKeepMs;
  for (const auto& [id, record] : records) {
    std::string key = conversations::key_hex(keeping_.tenant, id);
    batch_.cache_put(key, conversations::entry(key, record, expires_at), expires_at);
  }
}

void Responder::fail(const Error& error, const exchange::Meta& meta) {
  std::string h = answer_headers("application/json", request_id_, meta);
  if (error.status == 401) h += "www-authenticate: Bearer\n";
  if (error.retry_after_s >= 0) h += "retry-after: " + std::to_string(int64_t(std::ceil(error.retry_after_s))) + "\n";
  std::string body = codec_.error(error);
  ended(error.status, &meta, error.code_name(), body);
  respond(error.status, false, std::move(h), std::move(body));
}

void Responder::stream_open(const exchange::Meta& meta) {
  size_t slash = meta.target.find('/');
  model_ = slash == std::string::npos ? std::string() : meta.target.substr(slash + 1);
  context_.model = model_;
  writer_ = codec_.stream(context_);
  std::string h = answer_headers("text/event-stream", request_id_, meta);
  h += "cache-control: no-cache\n";
  if (tracer_) {
    facts_.status = 200;
    facts_.target = meta.target;
    facts_.attempts = meta.attempts;
    facts_.cache = meta.cache;
  }
  respond(200, true, std::move(h), {});
}

void Responder::chunk(std::string& bytes) {
  if (bytes.empty()) return;
  batch_.stream_chunk(id_, bytes);
}

void Responder::stream_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) {
  out_.clear();
  if (writer_) writer_->events(events, raw, out_);
  chunk(out_);
  if (tracer_)
    for (const model::StreamEvent& e : events)
      if (e.type == model::StreamEvent::Type::error && e.error && facts_.error.empty())
        facts_.error = e.error->code_name();
}

void Responder::stream_close(const model::Usage& usage) {
  out_.clear();
  if (writer_) writer_->close(usage, out_);
  chunk(out_);
  if (writer_) keep(writer_->answer());
  batch_.stream_end(id_);
  if (tracer_) {
    if (usage.known) {
      facts_.prompt_tokens = usage.prompt_tokens;
      facts_.completion_tokens = usage.completion_tokens;
    }
    ended(facts_.status, nullptr, facts_.error, writer_ ? std::string_view(writer_->answer()) : std::string_view());
  }
}

void Responder::spent(const model::Usage& usage) {
  if (tracer_ && usage.known) {
    facts_.prompt_tokens = usage.prompt_tokens;
    facts_.completion_tokens = usage.completion_tokens;
  }
  if (tracer_) facts_.cost_usd += usage.cost;
}

void Responder::trace(telemetry::Tracer* tracer, telemetry::RequestFacts facts) {
  tracer_ = tracer;
  facts_ = std::move(facts);
}

// The request ended (the stream's status and facts were filled in as it went): to telemetry, once.
void Responder::ended(int status, const exchange::Meta* meta, std::string_view error, std::string_view body) {
  if (!tracer_) return;
  telemetry::Tracer* tracer = tracer_;
  tracer_ = nullptr;
  facts_.status = status;
  facts_.error = error;
  if (meta) {
    facts_.target = meta->target;
    facts_.attempts = meta->attempts;
    facts_.cache = meta->cache;
  }
  if (tracer->bodies()) facts_.answer_text = body;
  facts_.ended_ms = tracer->now();
  tracer->finish(facts_);
}

// A request cancelled before it ended (the caller went away) is logged as 499.
Responder::~Responder() {
  if (tracer_) ended(499, nullptr, "cancelled", {});
}

}  // namespace sy::gateway
