// The gateway's HTTP route table: which handler a method and path reach.
#pragma once

#include <string_view>

#include "ingress/ingress.h"

namespace sy::gateway {

enum class Handler {
  health,       // GET /health
  models,       // GET /v1/models (?provider=NAME asks that provider)
  model,        // GET /v1/models/{id} (ids may hold '/')
  stats,        // GET /v1/stats
  metrics,      // GET /metrics
  key,          // GET /v1/key (the calling key: name, budget, spend, limits)
  cache,        // GET / PUT / DELETE /v1/cache
  chat,         // POST /v1/chat/completions
  responses,    // POST /v1/responses (OpenAI Responses API)
  messages,     // POST /v1/messages (Anthropic Messages API)
  count_tokens, // POST /v1/messages/count_tokens (answered by the gateway)
  embeddings,   // POST /v1/embeddings
  images,       // POST /v1/images/generations
  services,     // POST /v1/services/{name}
  pipelines,    // POST /v1/pipelines/{name}
};

struct Route {
  std::string_view path;     // the whole path, or its prefix when `named`
  bool named;                // the path continues with a name: /v1/services/{name}
  std::string_view methods;  // allowed, as an Allow header lists them
  Handler handler;
  bool reads_body;           // a model request: the body is parsed by an ingress codec
};

// The route `path` reaches, or nullptr; `name` receives the {name} part of named routes.
const Route* find_route(std::string_view path, std::string_view& name);

// The codec that reads a route's requests and renders its answers and errors; nullptr for the
// gateway's own routes (health, stats, snapshots: JSON, SPEC's error shape).
const ingress::Codec* codec_of(Handler handler);

// Whether `method` is one of the route's methods (HEAD counts as GET).
bool allows(const Route& route, std::string_view method);

}  // namespace sy::gateway
