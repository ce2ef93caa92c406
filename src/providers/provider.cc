#include "providers/provider.h"

namespace sy::providers {

StreamDecoder::State StreamDecoder::feed(std::string_view bytes, StreamSink& sink) {
  if (state_ != State::open) return state_;
  bool ok = parser_.feed(bytes, [&](const sse::Event& event) {
    if (state_ != State::open) return;
    events_.clear();
    raw_ = {};
    if (!secret_.empty() && event.data.find(secret_) != std::string_view::npos) {
      scrubbed_ = event.data;
      redact(secret_, scrubbed_);
      on_event({event.event, scrubbed_, event.id});
    } else {
      on_event(event);
    }
    if (events_.empty() && raw_.empty()) return;
    for (const auto& [name, data] : held_) sink.on_events({}, {format_, name, data});
    held_.clear();
    sink.on_events(events_, {raw_.empty() ? model::Format::none : format_, event.event, raw_});
  });
  if (!ok && state_ == State::open) fail("upstream stream event too large");
  return state_;
}

StreamDecoder::State StreamDecoder::finish() {
  if (state_ == State::open) fail("upstream stream ended before " + std::string(end_marker_));
  return state_;
}

void StreamDecoder::fail(std::string message) {
  state_ = State::failed;
  error_.status = 502;
  error_.type = ErrorType::provider_unavailable;
  error_.message = std::move(message);
  if (error_.code.empty()) error_.code = "upstream_stream_failed";
}

Refusal refusal(const Codec& codec, const model::Request& request, std::string_view model) {
  const Capabilities& caps = codec.caps;
  switch (request.kind) {
    case model::Kind::chat:
      if (!caps.chat) return {"model", "offers chat completions"};
      if (!request.native_only.empty() && caps.native != request.format)
        return {request.native_only, "speaks this API natively, which this field needs (built-in tools, stored prompts and items)"};
      if (request.sampling.n > caps.max_n) return {"n", "gives that many answers (n) per request"};
      if (request.sampling.n > 1 && request.stream && !caps.n_in_streams)
        return {"n", "streams more than one answer (n) per request"};
      for (const model::Tool& tool : request.tools)
        if (tool.server != model::Format::none && tool.server != caps.server_tools)
          return {"tools", "runs the server tools the request declares"};
      return {};
    case model::Kind::embeddings:
      if (!caps.embeddings) return {"model", "offers embeddings"};
      if (request.token_input && !caps.token_input) return {"input", "embeds token ids"};
      return {};
    case model::Kind::models:
      if (!caps.models) return {"provider", "offers a model list"};
      return {};
    case model::Kind::images:
      if (!caps.images) return {"model", "generates images"};
      if (request.sampling.n > (caps.max_images ? caps.max_images(model) : caps.max_n))
        return {"n", "gives that many images (n) per request"};
      return {};
  }
  return {};
}

double cost_of(const config::Provider& provider, std::string_view model, int64_t prompt_tokens,
               int64_t completion_tokens) {
  auto it = provider.prices.find(model);
  if (it == provider.prices.end()) return -1;
  return (double(prompt_tokens) * it->second.input_per_million +
          double(completion_tokens) * it->second.output_per_million) /
         1e6;
}

void price(model::Usage& usage, const config::Provider& provider, std::string_view model) {
  usage.known = true;
  usage.cost = cost_of(provider, model, usage.prompt_tokens, usage.completion_tokens);
}

void redact(std::string_view secret, std::string& text) {
  if (secret.size() < 4) return;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "[redacted]");
}

void redact(const config::Provider& provider, std::string& text) { redact(provider.api_key, text); }

}  // namespace sy::providers
