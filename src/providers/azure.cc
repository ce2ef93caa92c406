#include "providers/azure.h"

#include "base/url.h"
#include "providers/openai.h"
#include "providers/translate.h"

namespace sy::providers::azure {

namespace {

// Chat completions and embeddings; the exchange never asks for a model list (caps.models is
// false).
void encode(const EncodeInput& in, UpstreamRequest& out) {
  bool embeddings = in.request.kind == model::Kind::embeddings;
  out.method = "POST";
  out.url = in.provider.base_url + "/openai/deployments/" + path_segment(in.model) +
            (embeddings ? "/embeddings" : "/chat/completions") + "?api-version=" + in.provider.api_version;
  out.headers = translate::headers(in, in.provider.api_key.empty() ? std::string() : "api-key: " + in.provider.api_key + "\n");
  out.body = embeddings ? openai::embeddings_body(in) : openai::chat_body(in);
}

}  // namespace

// No model list: the data-plane deployments list was retired (api-version 2023-03-15-preview
// was the last to have it; deployments are listed by the management plane, with Azure AD
// credentials), and {endpoint}/openai/models lists base models, whose ids are not the
// deployment names targets use. Answers and streams are OpenAI's (its decoder also drops
// Azure's prompt_filter_results events).
const Codec kCodec = {
    .caps = {.embeddings = true, .token_input = true, .max_n = 128, .n_in_streams = true},
    .encode = encode,
    .decode = openai::decode,
    .stream = openai::stream,
};

}  // namespace sy::providers::azure
