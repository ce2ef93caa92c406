#include "gateway/routes.h"

#include "ingress/anthropic_messages.h"
#include "ingress/embeddings.h"
#include "ingress/images.h"
#include "ingress/models.h"
#include "ingress/openai_chat.h"
#include "ingress/openai_responses.h"
#include "ingress/services.h"

namespace sy::gateway {

namespace {

constexpr Route kRoutes[] = {
    {"/health", false, "GET", Handler::health, false},
    {"/v1/models", false, "GET", Handler::models, false},
    {"/v1/models/", true, "GET", Handler::model, false},
    {"/v1/stats", false, "GET", Handler::stats, false},
    {"/metrics", false, "GET", Handler::metrics, false},
    {"/v1/key", false, "GET", Handler::key, false},
    {"/v1/cache", false, "GET, PUT, DELETE", Handler::cache, false},
    {"/v1/chat/completions", false, "POST", Handler::chat, true},
    {"/v1/responses", false, "POST", Handler::responses, true},
    {"/v1/messages", false, "POST", Handler::messages, true},
    {"/v1/messages/count_tokens", false, "POST", Handler::count_tokens, true},
    {"/v1/embeddings", false, "POST", Handler::embeddings, true},
    {"/v1/images/generations", false, "POST", Handler::images, true},
    {"/v1/services/", true, "POST", Handler::services, true},
    {"/v1/pipelines/", true, "POST", Handler::pipelines, true},
};

}  // namespace

const Route* find_route(std::string_view path, std::string_view& name) {
  for (const Route& r : kRoutes) {
    if (!r.named && path == r.path) return &r;
    if (r.named && path.size() > r.path.size() && path.substr(0, r.path.size()) == r.path) {
      name = path.substr(r.path.size());
      return &r;
    }
  }
  return nullptr;
}

const ingress::Codec* codec_of(Handler handler) {
  switch (handler) {
    case Handler::chat:
    case Handler::pipelines:
      return &ingress::openai_chat::kCodec;
    case Handler::responses:
      return &ingress::openai_responses::kCodec;
    case Handler::messages:
      return &ingress::anthropic_messages::kCodec;
    case Handler::count_tokens:
      return &ingress::anthropic_messages::kCountTokens;
    case Handler::embeddings:
      return &ingress::embeddings::kCodec;
    case Handler::images:
      return &ingress::images::kCodec;
    case Handler::services:
      return &ingress::services::kCodec;
    case Handler::models:
      return &ingress::models::kCodec;
    default:
      return nullptr;
  }
}

bool allows(const Route& route, std::string_view method) {
  if (method == "HEAD") method = "GET";
  std::string_view list = route.methods;
  while (!list.empty()) {
    size_t comma = list.find(", ");
    std::string_view m = list.substr(0, comma);
    if (m == method) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
  }
  return false;
}

}  // namespace sy::gateway
