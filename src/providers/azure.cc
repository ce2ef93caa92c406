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

// OpenAI's stream decoder, minus Azure's prompt_filter_results events (empty choices, no
// usage, object ""): they carry nothing for the caller, are not chat.completion.chunk objects,
// and passing one on would commit the stream before its first real chunk.
class AzureStream final : public StreamDecoder {
 public:
  explicit AzureStream(const DecodeContext& ctx) : inner_(openai::kWireFormat.stream(ctx)) {}

  State feed(std::string_view bytes, std::string& out) override {
    std::string events;
    State state = inner_->feed(bytes, events);
    for (size_t at = 0; at < events.size();) {
      size_t end = events.find("\n\n", at);
      end = end == std::string::npos ? events.size() : end + 2;
      std::string_view event(events.data() + at, end - at);
      if (!only_filter_results(event)) out.append(event);
      at = end;
    }
    copy_state();
    return state;
  }

  State finish() override {
    State state = inner_->finish();
    copy_state();
    return state;
  }

 private:
  static bool only_filter_results(std::string_view event) {
    if (event.find("\"prompt_filter_results\"") == std::string_view::npos || event.substr(0, 6) != "data: ") return false;
    json::Document doc;
    std::string error;
    std::string_view data = event.substr(6);
    while (!data.empty() && data.back() == '\n') data.remove_suffix(1);
    if (!json::parse(data, doc, error) || !doc.IsObject()) return false;
    const json::Value* choices = json::find(doc, "choices");
    const json::Value* usage = json::find(doc, "usage");
    return choices && choices->IsArray() && choices->Empty() && (!usage || usage->IsNull());
  }

  void copy_state() {
    error_ = inner_->error();
    usage_ = inner_->usage();
    outcome_ = inner_->outcome();
  }

  std::unique_ptr<StreamDecoder> inner_;
};

std::unique_ptr<StreamDecoder> stream(const DecodeContext& ctx) { return std::make_unique<AzureStream>(ctx); }

}  // namespace

// No model list: the data-plane deployments list was retired (api-version 2023-03-15-preview
// was the last to have it; deployments are listed by the management plane, with Azure AD
// credentials), and {endpoint}/openai/models lists base models, whose ids are not the
// deployment names targets use.
const WireFormat kWireFormat = {encode, openai::kWireFormat.decode, stream, encode_embeddings,
                                openai::kWireFormat.decode_embeddings, nullptr, nullptr};

}  // namespace sy::providers::azure
