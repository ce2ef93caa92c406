// The configuration document (SPEC section 1), validated as a whole.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "condition/condition.h"

namespace sy::config {

enum class ProviderType { openai, azure_openai, anthropic, gemini, openai_compatible, echo };

struct Limits {
  double rpm = 0;  // 0 = unlimited
  double tpm = 0;
  int concurrency = 0;

  bool any() const { return rpm > 0 || tpm > 0 || concurrency > 0; }  // some limit is set
};

struct Price {
  double input_per_million = 0;
  double output_per_million = 0;
};

struct Provider {
  std::string name;
  ProviderType type = ProviderType::echo;
  std::string base_url;  // without a trailing slash
  std::string api_key;   // resolved; empty when none
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  Limits limits;
  double timeout_ms = 0;  // 0 = the config-wide timeout
  std::map<std::string, Price, std::less<>> prices;
  // azure-openai: the api-version query parameter (default "2024-10-21", the latest GA
  // data-plane inference version); anthropic: the anthropic-version header (default
  // "2023-06-01"); unused by other types.
  std::string api_version;
  std::string preset;  // openai-compatible: the base URL preset it was configured with, if any
};

enum class Strategy { fallback, round_robin, weighted, random, least_outstanding, latency, cost, usage, conditional };

// A node of a target tree: a leaf (provider >= 0) or a group.
struct Target {
  int provider = -1;  // index into Config::providers
  std::string model;
  double weight = 1;
  // override_params: (member name, raw JSON value text); a child's entries win.
  std::vector<std::pair<std::string, std::string>> override_params;
  std::string name;     // how a conditional parent refers to this target
  uint32_t target = 0;  // leaves: index into Config::targets (one per provider/model)

  Strategy strategy = Strategy::fallback;
  std::vector<Target> targets;
  std::vector<int> on_status;
  // conditional: the first matching condition picks a child, else `default_child`
  std::vector<std::pair<condition::Condition, size_t>> conditions;
  size_t default_child = 0;

  uint32_t id = 0;  // dense per config: leaves and groups share one numbering

  bool is_leaf() const { return provider >= 0; }
};

// One provider/model pair, however many trees name it: health, limits and
// stats are kept per target.
struct TargetKey {
  int provider = -1;
  std::string model;
  Limits limits;
};

struct Model {
  std::string name;
  Target root;
};

struct Service {
  std::string name;
  std::string model;
  std::string system;  // templates with {{field}} placeholders
  std::string prompt;
  std::string image;
  // A JSON Schema (JSON text) the answer must follow: the call asks for structured output
  // (response_format json_schema, through every provider's structured-output path) and exposes
  // the parsed answer as `.json`. Empty: a text answer.
  std::string schema;
};

// What a pipeline template refers to, parsed at load: {{input.a.b}}, {{step.text}},
// {{step.json.a.0.b}} (array items by index).
struct Reference {
  enum class Kind { input, text, json };
  Kind kind = Kind::input;
  int step = -1;                   // text / json: index into Pipeline::steps
  std::vector<std::string> path;   // input: after "input."; json: after "json."
};

enum class OnError { fail, skip, fallback_value };

struct PipelineStep {
  std::string id;
  std::string service;  // a configured service, or empty: then `model` with inline templates
  std::string model;    // overrides the service's model; the model when there is no service
  // Inline templates (no service), as a service's: {{field}} takes a field of this step's input.
  std::string system, prompt, image, schema;
  std::vector<std::pair<std::string, std::string>> input;  // field -> pipeline template
  // A condition (condition/condition.h) over "input.*" and "<step>.text" / "<step>.json.*":
  // false skips the step (its output is null). Unset: always runs.
  bool has_when = false;
  condition::Condition when;
  std::string cache;        // "default" (empty), "no-store", "refresh", "only": the step's cache control
  double timeout_ms = 0;    // the step's deadline; 0: the config-wide one
  OnError on_error = OnError::fail;
  std::string fallback_value;  // JSON text: the step's output when it fails (on_error fallback_value)
  std::vector<size_t> after;   // indexes of the steps its templates and `when` refer to
};

struct Pipeline {
  std::string name;
  std::vector<PipelineStep> steps;  // as declared; `after` edges form a DAG (checked at load)
  std::string output;               // a template whose value is the answer; empty: the last step's text
  double timeout_ms = 0;            // the whole pipeline's deadline; 0: none beyond the steps'
};

struct Retry {
  int attempts = 3;  // retries of one target after its first try
  std::vector<int> on_status = {408, 429, 500, 502, 503, 504};
  double backoff_ms = 100;
  double max_backoff_ms = 5000;
};

struct Breaker {
  int failures = 5;
  double cooldown_ms = 30000;
};

enum class CachePolicy { lru, lfu };

struct Cache {
  bool enabled = false;
  CachePolicy policy = CachePolicy::lru;
  uint64_t max_bytes = 64ull << 20;
  double ttl_s = 3600;
  bool persist = false;
  bool store_truncated = false;  // also store answers cut short by max_tokens
};

struct GatewayKey {
  std::string key;
  // How the key is named wherever it must be (metrics, logs, traces, /v1/key, its shared state):
  // the configured name, or "key-" + 8 hex digits of a hash of the key. Never the key itself.
  std::string name;
  std::vector<std::string> models;  // "*" allows all
  double rpm = 0;
  double budget_usd = 0;
  bool admin = false;
};

struct Gateway {
  uint64_t max_body_bytes = 4ull << 20;
  double body_timeout_ms = 30000;  // a request body must arrive within this time (408 otherwise)
  // CORS: origins allowed to call from a browser ("*" for any); empty = no cross-origin.
  std::vector<std::string> cors_origins;
  double cors_max_age_s = 600;
  // The output tokens a budget reservation assumes for a request that gives no max_tokens.
  uint64_t reserve_output_tokens = 4096;
  // With shared state: a budgeted key whose object does not answer is admitted from the local
  // lease (true) instead of 503 state_unavailable (false).
  bool state_fail_open = false;
};

// Where telemetry goes (SPEC section 1, `telemetry`): one JSON log line per finished request,
// and traces exported as OTLP/HTTP JSON through the host (SEND actions).
struct Otlp {
  std::string endpoint;  // http(s) base URL without a trailing slash; spans go to {endpoint}/v1/traces
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase, values resolved (env:)
};

struct Telemetry {
  bool json_logs = false;   // logs: "json"
  bool log_bodies = false;  // the log line also carries the request and answer text
  Otlp otlp;                // endpoint empty: no traces
};

struct Config {
  std::vector<Provider> providers;
  std::vector<Model> models;
  std::vector<Service> services;
  std::vector<Pipeline> pipelines;
  Retry retry;
  double timeout_ms = 60000;
  Breaker breaker;
  Cache cache;
  std::vector<GatewayKey> keys;
  Gateway gateway;
  Telemetry telemetry;
  uint32_t node_count = 0;  // ids handed out to target nodes
  std::vector<TargetKey> targets;  // every leaf's provider/model, deduplicated
  bool needs_prompt_tokens = false;  // a tpm limit or a prompt_tokens condition needs the estimate

  // The index of provider/model in `targets`, or -1.
  int find_target(int provider, std::string_view model) const;

  int find_provider(std::string_view name) const;
  const Model* find_model(std::string_view name) const;
  const Service* find_service(std::string_view name) const;
  const Pipeline* find_pipeline(std::string_view name) const;
  const GatewayKey* find_key(std::string_view key) const;
};

struct Problem {
  std::string path;  // e.g. "models.fast.targets[1].provider"
  std::string message;
};

// Parses and validates `text`. `env_json` is a JSON object of strings that
// resolves "env:NAME" values. Returns the config, or nullptr with every
// problem found listed in `problems` (never a partial config).
std::shared_ptr<const Config> load(std::string_view text, std::string_view env_json,
                                   std::vector<Problem>& problems);

const char* provider_type_name(ProviderType type);

// Reads a pipeline template's placeholder name ("input.lang", "describe.text",
// "describe.json.items.0.name") against the steps of `pipeline`. False when it can name nothing
// in such a pipeline: an empty segment, an unknown step, a step member other than text / json.
bool parse_reference(std::string_view name, const Pipeline& pipeline, Reference& out);
const char* strategy_name(Strategy strategy);

}  // namespace sy::config
