#include "providers/azure.h"

#include "base/url.h"
#include "providers/openai.h"
#include "providers/openai_images.h"
#include "providers/translate.h"

namespace sy::providers::azure {

namespace {

// Chat completions, embeddings and images; the exchange never asks for a model list
// (caps.models is false).
void encode(const EncodeInput& in, UpstreamRequest& out) {
  model::Kind kind = in.request.kind;
  std::string_view operation = kind == model::Kind::embeddings ? "/embeddings"
                               : kind == model::Kind::images   ? "/images/generations"
                                                               : "/chat/completions";
  out.method = "POST";
  out.url = in.provider.base_url + "/openai/deployments/" + path_segment(in.model) + std::string(operation) +
            "?api-version=" + in.provider.api_version;
  out.headers = translate::headers(in, in.provider.api_key.empty() ? std::string() : "api-key: " + in.provider.api_key + "\n");
  out.body = kind == model::Kind::embeddings ? openai::embeddings_body(in)
             : kind == model::Kind::images   ? openai_images::body(in)
                                             : openai::chat_body(in);
}

}  // namespace

// No model list: the data-plane deployments list was retired (api-version 2023-03-15-preview
// was the last to have it; deployments are listed by the management plane, with Azure AD
// credentials), and {endpoint}/openai/models lists base models, whose ids are not the
// deployment names targets use. Answers and streams are OpenAI's (its decoder also drops
// Azure's prompt_filter_results events).
const Codec kCodec = {
    .caps = {.embeddings = true, .token_input = true, .images = true, .max_n = 128, .n_in_streams = true,
             .max_images = openai_images::max_images},
    .encode = encode,
    .decode = openai::decode,
    .stream = openai::stream,
};

}  // namespace sy::providers::azure
