#include "providers/azure.h"

#include "providers/openai.h"
#include "providers/translate.h"

namespace sy::providers::azure {

namespace {

void encode(const EncodeInput& in, UpstreamRequest& out) {
  openai::kWireFormat.encode(in, out);  // the body; url and headers are Azure's
  out.url = in.provider.base_url + "/openai/deployments/" + std::string(in.model) +
            "/chat/completions?api-version=" + in.provider.api_version;
  out.headers = translate::headers(in, in.provider.api_key.empty() ? std::string() : "api-key: " + in.provider.api_key + "\n");
}

// Embeddings: OpenAI's body at the deployment's /embeddings; the answer is OpenAI's.
void encode_embeddings(const EncodeInput& in, UpstreamRequest& out) {
  EncodeInput plain = in;
  plain.stream = false;
  openai::kWireFormat.encode_embeddings(plain, out);
  out.url = in.provider.base_url + "/openai/deployments/" + std::string(in.model) +
            "/embeddings?api-version=" + in.provider.api_version;
  out.headers = translate::headers(plain, in.provider.api_key.empty() ? std::string() : "api-key: " + in.provider.api_key + "\n");
}

}  // namespace

// No model list: the data-plane deployments list was retired (api-version 2023-03-15-preview
// was the last to have it; deployments are listed by the management plane, with Azure AD
// credentials), and {endpoint}/openai/models lists base models, whose ids are not the
// deployment names targets use.
// Answers and streams are OpenAI's (its decoder also drops Azure's prompt_filter_results events).
const WireFormat kWireFormat = {encode, openai::kWireFormat.decode, openai::kWireFormat.stream, encode_embeddings,
                                openai::kWireFormat.decode_embeddings, nullptr, nullptr};

}  // namespace sy::providers::azure
