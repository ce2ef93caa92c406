// Upstream answers: a complete body decoded into a canonical answer, or a stream decoded event by
// event and handed to the caller as it arrives (committing the call to that target), assembled
// on the side when it may be cached.
#include "exchange/call.h"
#include "model/stored.h"

namespace sy::exchange {

namespace {

constexpr size_t kMaxUpstreamBody = 32u << 20;

}  // namespace

// Hands a decoder's event groups to the exchange.
class CallSink final : public providers::StreamSink {
 public:
  CallSink(Exchange& exchange, Call& call) : exchange_(exchange), call_(call) {}
  void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override {
    exchange_.stream_events(call_, events, raw);
  }

 private:
  Exchange& exchange_;
  Call& call_;
};

namespace {

providers::DecodeContext decode_context(const Call& c) {
  const routing::Leaf& leaf = c.current();
  return {c.rt->config->providers[size_t(leaf.provider)], leaf.model, c.request()};
}

}  // namespace

void Exchange::on_head(Call& c, int status) {
  c.upstream_status = status;
  if (c.request().stream && status >= 200 && status < 300) {
    const providers::DecodeContext ctx = decode_context(c);
    c.decoder = providers::codec(ctx.provider.type).stream(ctx);
    c.decoder->hide(ctx.provider.api_key);  // an upstream echoing our key never hands it on
  }
}

void Exchange::on_bytes(Call& c, std::string_view bytes) {
  if (!c.decoder) {
    if (c.upstream_body.size() + bytes.size() > kMaxUpstreamBody) {
      abort_fetch(c);
      return failed(c, health::Outcome::malformed,
                    {502, ErrorType::provider_unavailable, "upstream answer is larger than 32 MiB", "bad_upstream_response"},
                    0);
    }
    c.upstream_body.append(bytes);
    return;
  }
  uint32_t id = c.id;
  CallSink sink(*this, c);
  auto state = c.decoder->feed(bytes, sink);
  if (!calls_.count(id)) return;  // the caller's side ended it (an illegal transition)
  if (state == providers::StreamDecoder::State::done) {
    model::Usage usage = c.decoder->usage();
    close_attempt(c, true, false, &usage);
    abort_fetch(c);
    stream_done(c, usage);
  } else if (state == providers::StreamDecoder::State::failed) {
    abort_fetch(c);
    failed(c, c.decoder->outcome(), c.decoder->error(), 0);
  }
}

void Exchange::on_end(Call& c) {
  if (c.decoder) {
    if (c.decoder->finish() == providers::StreamDecoder::State::failed)
      failed(c, c.decoder->outcome(), c.decoder->error(), 0);
    return;
  }
  fetches_.erase(c.fetch_id);
  c.fetch_id = 0;
  const providers::DecodeContext ctx = decode_context(c);
  providers::redact(ctx.provider, c.upstream_body);  // an upstream echoing our key never hands it on
  providers::Decoded decoded = providers::codec(ctx.provider.type).decode(c.upstream_status, c.upstream_body, ctx);
  if (!decoded.ok && c.retry_after_ms >= 0) decoded.error.retry_after_s = c.retry_after_ms / 1000;
  on_decoded(c, std::move(decoded));
}

// A whole answer (from upstream or a local codec): a failure goes to the error-class table;
// success is stored and sent.
void Exchange::on_decoded(Call& c, providers::Decoded decoded) {
  if (!decoded.ok) return failed(c, decoded.outcome, std::move(decoded.error), c.upstream_status);
  model::Answer& answer = decoded.answer;
  if (answer.kind == model::Kind::embeddings && !answer.usage.known) {
    // Some providers (Gemini) report no tokens for embeddings: count the estimate.
    answer.usage.known = true;
    answer.usage.prompt_tokens = c.prompt_tokens;
  }
  close_attempt(c, true, false, &answer.usage);
  // A summary's stored form is its raw answer: taken, not copied. An answer already in the
  // caller's format that nothing keeps needs none (the caller sends its raw body).
  bool raw_for_caller = !answer.raw.empty() && answer.raw_format == c.request().format;
  if (answer.summary) c.stored = std::move(answer.raw);
  else if (c.cacheable || !raw_for_caller) c.stored = model::stored::serialize(answer, c.request_id, c.created);
  store(c, answer);
  if (!move(c, Event::answer)) return;
  c.caller->answer(c.stored, answer.summary ? nullptr : &answer,
                   noted(c, 200, meta(c, c.cacheable ? "MISS" : "BYPASS")));
  finish(c);
}

// A group of stream events: the first commits the call to this target (no more failover) and
// opens the caller's stream.
void Exchange::stream_events(Call& c, std::span<const model::StreamEvent> events, const model::RawEvent& raw) {
  if (c.state != State::streaming) {
    if (!move(c, Event::first_event)) return;
    TargetRuntime& t = c.rt->targets[c.current().target];
    t.observe_latency(now_ - c.attempt_started, now_);
    t.stats.first_token.observe_ms(now_ - c.attempt_started);
    c.wake_at = kNever;  // only the whole-request deadline applies once streaming
    schedule(c);
    c.caller->stream_open(noted(c, 200, meta(c, c.cacheable ? "MISS" : "BYPASS")));
    if (c.cacheable) c.assembler = std::make_unique<model::Assembler>();
  }
  if (c.assembler) c.assembler->add(events);
  c.caller->stream_events(events, raw);
}

// The stream ended well: the assembled answer is kept (cache, followers), the caller's stream
// closed.
void Exchange::stream_done(Call& c, const model::Usage& usage) {
  if (c.state != State::streaming) {  // a stream without events still opens the caller's
    uint32_t id = c.id;
    stream_events(c, {}, {});
    if (!calls_.count(id)) return;
  }
  if (c.assembler) {
    model::Answer answer = c.assembler->finish();
    const routing::Leaf& leaf = c.current();
    answer.provider = c.rt->config->providers[size_t(leaf.provider)].name;
    answer.model = std::string(leaf.model);
    answer.usage = usage;
    c.stored = model::stored::serialize(answer, c.request_id, c.created);
    store(c, answer);
  }
  c.caller->stream_close(usage);
  if (move(c, Event::end_stream)) finish(c);
}

void Exchange::abort_fetch(Call& c) {
  if (!c.fetch_id) return;
  batch_.fetch_abort(c.fetch_id);
  fetches_.erase(c.fetch_id);
  c.fetch_id = 0;
}

}  // namespace sy::exchange
