#include "config/config.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "config/pipelines.h"
#include "config/presets.h"
#include "json/canonical.h"
#include "json/json.h"

namespace sy::config {

namespace {

using json::Value;

struct Named {
  const char* name;
  int value;
};

constexpr Named kProviderTypes[] = {
    {"openai", int(ProviderType::openai)},       {"azure-openai", int(ProviderType::azure_openai)},
    {"anthropic", int(ProviderType::anthropic)}, {"gemini", int(ProviderType::gemini)},
    {"openai-compatible", int(ProviderType::openai_compatible)},
    {"echo", int(ProviderType::echo)},
};

constexpr Named kStrategies[] = {
    {"fallback", int(Strategy::fallback)},
    {"round_robin", int(Strategy::round_robin)},
    {"weighted", int(Strategy::weighted)},
    {"random", int(Strategy::random)},
    {"least_outstanding", int(Strategy::least_outstanding)},
    {"latency", int(Strategy::latency)},
    {"cost", int(Strategy::cost)},
    {"usage", int(Strategy::usage)},
    {"conditional", int(Strategy::conditional)},
};

// Default base URLs of providers that have one.
constexpr std::pair<ProviderType, const char*> kDefaultBaseUrls[] = {
    {ProviderType::openai, "https://api.openai.com/v1"},
    {ProviderType::anthropic, "https://api.anthropic.com/v1"},
    {ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta"},
};

template <size_t N>
std::string names_of(const Named (&table)[N]) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

template <size_t N>
int lookup(const Named (&table)[N], std::string_view name) {
  for (const auto& entry : table)
    if (name == entry.name) return entry.value;
  return -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

class Loader {
 public:
  Loader(const Value* env, std::vector<Problem>& problems) : env_(env), problems_(problems) {}

  void problem(const std::string& path, std::string message) {
    problems_.push_back({path, std::move(message)});
  }

  // Reports members of `object` not in `allowed`, and members written twice
  // (a JSON parser would silently keep one of them).
  void only(const Value& object, const std::string& path, std::initializer_list<const char*> allowed) {
    for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
      std::string_view name = json::view(m->name);
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }))
        problem(join(path, name), "unknown field");
      else if (std::any_of(object.MemberBegin(), m, [&](auto& earlier) { return json::view(earlier.name) == name; }))
        problem(join(path, name), "is given twice");
    }
  }

  static std::string join(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
  }

  bool object(const Value* v, const std::string& path) {
    if (v && v->IsObject()) return true;
    problem(path, "must be an object");
    return false;
  }

  bool string(const Value& parent, const std::string& path, const char* name, std::string& out,
              bool required = false) {
    const Value* v = json::find(parent, name);
    if (!v) {
      if (required) problem(join(path, name), "is required");
      return false;
    }
    if (!v->IsString() || (required && v->GetStringLength() == 0)) {
      problem(join(path, name), required ? "must be a non-empty string" : "must be a string");
      return false;
    }
    out.assign(v->GetString(), v->GetStringLength());
    return true;
  }

  void number(const Value& parent, const std::string& path, const char* name, double& out,
              double min, double max) {
    const Value* v = json::find(parent, name);
    if (!v) return;
    if (!v->IsNumber() || v->GetDouble() < min || v->GetDouble() > max) {
      std::string range = "must be a number from ";
      json::append_number(range, min);
      range += " to ";
      json::append_number(range, max);
      problem(join(path, name), range);
      return;
    }
    out = v->GetDouble();
  }

  template <class Int>
  void integer(const Value& parent, const std::string& path, const char* name, Int& out, double min,
               double max) {
    double d = double(out);
    const Value* v = json::find(parent, name);
    if (v && (!v->IsNumber() || v->GetDouble() != std::floor(v->GetDouble()))) {
      problem(join(path, name), "must be a whole number");
      return;
    }
    number(parent, path, name, d, min, max);
    out = Int(d);
  }

  void boolean(const Value& parent, const std::string& path, const char* name, bool& out) {
    const Value* v = json::find(parent, name);
    if (!v) return;
    if (!v->IsBool()) {
      problem(join(path, name), "must be true or false");
      return;
    }
    out = v->GetBool();
  }

  void status_list(const Value& parent, const std::string& path, const char* name, std::vector<int>& out) {
    const Value* v = json::find(parent, name);
    if (!v) return;
    std::string at = join(path, name);
    if (!v->IsArray()) {
      problem(at, "must be an array of HTTP status codes");
      return;
    }
    out.clear();
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      const Value& s = (*v)[i];
      if (!s.IsInt() || s.GetInt() < 100 || s.GetInt() > 599)
        problem(at + "[" + std::to_string(i) + "]", "must be an HTTP status code (100-599)");
      else
        out.push_back(s.GetInt());
    }
  }

  // Resolves "env:NAME" in place from the host's environment.
  void resolve(const std::string& path, std::string& value) {
    if (value.rfind("env:", 0) != 0) return;
    std::string var = value.substr(4);
    value.clear();
    const Value* v = env_ ? json::find(*env_, var) : nullptr;
    if (var.empty())
      problem(path, "\"env:\" must be followed by a variable name");
    else if (!v || !v->IsString() || v->GetStringLength() == 0)
      problem(path, "environment variable " + var + " is not set");
    else
      value.assign(v->GetString(), v->GetStringLength());
  }

  void override_params(const Value& v, const std::string& path, Target& out) {
    const Value* o = json::find(v, "override_params");
    if (!o || !object(o, path + ".override_params")) return;
    for (auto& om : o->GetObject()) {
      std::string raw;
      json::append_value(raw, om.value);
      out.override_params.emplace_back(json::view(om.name), std::move(raw));
    }
  }

  void providers(const Value& root, Config& config) {
    const Value* list = json::find(root, "providers");
    if (!list) {
      problem("providers", "is required (at least one provider)");
      return;
    }
    if (!object(list, "providers")) return;
    if (list->MemberCount() == 0) problem("providers", "must name at least one provider");
    for (auto& m : list->GetObject()) {
      Provider p;
      p.name.assign(m.name.GetString(), m.name.GetStringLength());
      std::string path = "providers." + p.name;
      if (p.name.empty() || p.name.find('/') != std::string::npos) {
        problem(path, "provider names must be non-empty and contain no '/'");
        continue;
      }
      if (!object(&m.value, path)) continue;
      const Value& v = m.value;
      only(v, path, {"type", "base_url", "api_key", "headers", "limits", "timeout_ms", "prices", "api_version", "preset"});
      std::string type;
      if (string(v, path, "type", type, true)) {
        int t = lookup(kProviderTypes, type);
        if (t < 0)
          problem(path + ".type", "unknown provider type \"" + type + "\" (one of: " + names_of(kProviderTypes) + ")");
        else
          p.type = ProviderType(t);
      }
      if (string(v, path, "base_url", p.base_url)) {
        if (p.base_url.rfind("https://", 0) != 0 && p.base_url.rfind("http://", 0) != 0)
          problem(path + ".base_url", "must be an http:// or https:// URL");
        while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
      }
      if (string(v, path, "preset", p.preset)) {
        std::string_view preset_url = presets::base_url(p.preset);
        if (p.type != ProviderType::openai_compatible)
          problem(path + ".preset", "only openai-compatible providers take a preset");
        else if (preset_url.empty())
          problem(path + ".preset", "unknown preset \"" + p.preset + "\" (one of: " + presets::names() + ")");
        else if (p.base_url.empty())
          p.base_url = preset_url;
      }
      if (p.base_url.empty() && !json::find(v, "base_url")) {
        for (auto& [t, url] : kDefaultBaseUrls)
          if (t == p.type) p.base_url = url;
        if (p.base_url.empty() && p.type != ProviderType::echo && json::find(v, "type") &&
            lookup(kProviderTypes, type) >= 0)
          problem(path + ".base_url", "is required for provider type \"" + type + "\"");
      }
      if (string(v, path, "api_key", p.api_key)) resolve(path + ".api_key", p.api_key);
      if (const Value* h = json::find(v, "headers"); h && object(h, path + ".headers")) {
        for (auto& hm : h->GetObject()) {
          if (!hm.value.IsString())
            problem(path + ".headers." + hm.name.GetString(), "must be a string");
          else
            p.headers.emplace_back(lower(json::view(hm.name)), std::string(json::view(hm.value)));
        }
      }
      limits(v, path, p.limits);
      number(v, path, "timeout_ms", p.timeout_ms, 1, 3600e3);
      if (const Value* pr = json::find(v, "prices"); pr && object(pr, path + ".prices")) {
        for (auto& pm : pr->GetObject()) {
          std::string at = path + ".prices." + pm.name.GetString();
          if (!object(&pm.value, at)) continue;
          only(pm.value, at, {"input", "output"});
          Price price;
          number(pm.value, at, "input", price.input_per_million, 0, 1e6);
          number(pm.value, at, "output", price.output_per_million, 0, 1e6);
          p.prices.emplace(json::view(pm.name), price);
        }
      }
      if (!string(v, path, "api_version", p.api_version) || p.api_version.empty()) {
        if (p.type == ProviderType::azure_openai) p.api_version = "2024-10-21";
        if (p.type == ProviderType::anthropic) p.api_version = "2023-06-01";
      }
      config.providers.push_back(std::move(p));
    }
  }

  void target(const Value& v, const std::string& path, Config& config, Target& out, int depth) {
    if (!object(&v, path)) return;
    if (depth > 16) {
      problem(path, "target trees may nest at most 16 levels");
      return;
    }
    out.id = next_id_++;
    bool group = json::find(v, "targets") || json::find(v, "strategy");
    string(v, path, "name", out.name);
    if (!group) {
      only(v, path, {"provider", "model", "weight", "override_params", "name", "limits"});
      std::string provider;
      if (string(v, path, "provider", provider, true)) {
        out.provider = config.find_provider(provider);
        if (out.provider < 0) problem(path + ".provider", "unknown provider \"" + provider + "\"");
      }
      string(v, path, "model", out.model, true);
      number(v, path, "weight", out.weight, 1e-9, 1e9);
      override_params(v, path, out);
      Limits limits;
      bool has_limits = this->limits(v, path, limits);
      if (out.provider >= 0) target_key(config, out, has_limits ? &limits : nullptr, path);
      return;
    }
    only(v, path, {"strategy", "targets", "on_status", "weight", "override_params", "name", "conditions", "default"});
    std::string strategy = "fallback";
    string(v, path, "strategy", strategy);
    int s = lookup(kStrategies, strategy);
    if (s < 0)
      problem(path + ".strategy", "unknown strategy \"" + strategy + "\" (one of: " + names_of(kStrategies) + ")");
    else
      out.strategy = Strategy(s);
    number(v, path, "weight", out.weight, 1e-9, 1e9);
    override_params(v, path, out);
    status_list(v, path, "on_status", out.on_status);
    const Value* list = json::find(v, "targets");
    if (!list || !list->IsArray() || list->Empty()) {
      problem(path + ".targets", "must be a non-empty array of targets");
      return;
    }
    out.targets.resize(list->Size());
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i)
      target((*list)[i], path + ".targets[" + std::to_string(i) + "]", config, out.targets[i], depth + 1);
    if (out.strategy == Strategy::conditional) conditions(v, path, out);
    else if (json::find(v, "conditions") || json::find(v, "default"))
      problem(path + ".conditions", "only a \"conditional\" group takes conditions and default");
  }

  // The child of a conditional group named `name`, or -1.
  static int child_named(const Target& group, std::string_view name) {
    for (size_t i = 0; i < group.targets.size(); ++i)
      if (!name.empty() && group.targets[i].name == name) return int(i);
    return -1;
  }

  void conditions(const Value& v, const std::string& path, Target& out) {
    std::string fallback;
    if (string(v, path, "default", fallback, true)) {
      int child = child_named(out, fallback);
      if (child < 0) problem(path + ".default", "no target in this group is named \"" + fallback + "\"");
      else out.default_child = size_t(child);
    }
    const Value* list = json::find(v, "conditions");
    if (!list) return;
    if (!list->IsArray()) {
      problem(path + ".conditions", "must be an array of {when, then}");
      return;
    }
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      std::string at = path + ".conditions[" + std::to_string(i) + "]";
      const Value& c = (*list)[i];
      if (!object(&c, at)) continue;
      only(c, at, {"when", "then"});
      std::string then;
      int child = -1;
      if (string(c, at, "then", then, true) && (child = child_named(out, then)) < 0)
        problem(at + ".then", "no target in this group is named \"" + then + "\"");
      const Value* when = json::find(c, "when");
      condition::Condition condition;
      std::string error_path, error;
      if (!when) problem(at + ".when", "is required");
      else if (!condition::parse_condition(*when, condition, error_path, error))
        problem(at + ".when" + (error_path.empty() ? "" : "." + error_path), error);
      else if (child >= 0) {
        needs_prompt_tokens_ = needs_prompt_tokens_ || condition::uses_field(condition, "prompt_tokens");
        out.conditions.emplace_back(std::move(condition), size_t(child));
      }
    }
  }

  // Reads a "limits" object; true when there was one.
  bool limits(const Value& v, const std::string& path, Limits& out) {
    const Value* l = json::find(v, "limits");
    if (!l || !object(l, path + ".limits")) return false;
    only(*l, path + ".limits", {"rpm", "tpm", "concurrency"});
    number(*l, path + ".limits", "rpm", out.rpm, 0, 1e5);
    number(*l, path + ".limits", "tpm", out.tpm, 0, 1e12);
    if (out.tpm > 0) needs_prompt_tokens_ = true;
    integer(*l, path + ".limits", "concurrency", out.concurrency, 0, 1e6);
    return true;
  }

  // Gives a leaf its provider/model key; a leaf's limits belong to that key.
  void target_key(Config& config, Target& leaf, const Limits* limits, const std::string& path) {
    int found = config.find_target(leaf.provider, leaf.model);
    if (found < 0) {
      found = int(config.targets.size());
      config.targets.push_back({leaf.provider, leaf.model, {}});
    }
    leaf.target = uint32_t(found);
    if (!limits) return;
    Limits& have = config.targets[size_t(found)].limits;
    if (have.any() && (have.rpm != limits->rpm || have.tpm != limits->tpm || have.concurrency != limits->concurrency))
      problem(path + ".limits", "differs from the limits another leaf gives " + config.providers[size_t(leaf.provider)].name +
                                    "/" + leaf.model);
    have = *limits;
  }

  void models(const Value& root, Config& config) {
    const Value* list = json::find(root, "models");
    if (!list || !object(list, "models")) return;
    for (auto& m : list->GetObject()) {
      Model model;
      model.name.assign(m.name.GetString(), m.name.GetStringLength());
      std::string path = "models." + model.name;
      if (model.name.empty()) problem(path, "model names must be non-empty");
      target(m.value, path, config, model.root, 0);
      config.models.push_back(std::move(model));
    }
  }

  // A model reference: a configured model or "provider/model".
  void model_ref(const std::string& path, const std::string& name, const Config& config) {
    if (config.find_model(name)) return;
    size_t slash = name.find('/');
    if (slash != std::string::npos && config.find_provider(std::string_view(name).substr(0, slash)) >= 0 &&
        slash + 1 < name.size())
      return;
    problem(path, "unknown model \"" + name + "\" (configure it under models, or write provider/model)");
  }

  // A "schema" member: a JSON object (a JSON Schema), kept as its JSON text.
  void schema(const Value& parent, const std::string& path, std::string& out) {
    const Value* v = json::find(parent, "schema");
    if (!v) return;
    if (!v->IsObject()) {
      problem(path + ".schema", "must be a JSON Schema (a JSON object)");
      return;
    }
    json::append_value(out, *v);
  }

  void services(const Value& root, Config& config) {
    const Value* list = json::find(root, "services");
    if (!list || !object(list, "services")) return;
    for (auto& m : list->GetObject()) {
      Service s;
      s.name.assign(m.name.GetString(), m.name.GetStringLength());
      std::string path = "services." + s.name;
      if (!object(&m.value, path)) continue;
      only(m.value, path, {"model", "system", "prompt", "image", "schema"});
      if (string(m.value, path, "model", s.model, true)) model_ref(path + ".model", s.model, config);
      string(m.value, path, "system", s.system);
      string(m.value, path, "prompt", s.prompt);
      string(m.value, path, "image", s.image);
      schema(m.value, path, s.schema);
      if (s.prompt.empty() && s.image.empty()) problem(path + ".prompt", "a service needs a prompt or an image");
      config.services.push_back(std::move(s));
    }
  }

  // pipelines.<name>: an array of steps (steps at "pipelines.<name>[i]"), or an object
  // {steps, output, timeout_ms} (steps at "pipelines.<name>.steps[i]"); then the cross-step checks.
  void pipelines(const Value& root, Config& config) {
    const Value* list = json::find(root, "pipelines");
    if (!list || !object(list, "pipelines")) return;
    for (auto& m : list->GetObject()) {
      Pipeline p;
      p.name.assign(m.name.GetString(), m.name.GetStringLength());
      pipelines::Paths paths;
      paths.pipeline = "pipelines." + p.name;
      paths.output = paths.pipeline + ".output";
      const Value* steps = &m.value;
      std::string steps_path = paths.pipeline;
      if (m.value.IsObject()) {
        only(m.value, paths.pipeline, {"steps", "output", "timeout_ms"});
        string(m.value, paths.pipeline, "output", p.output);
        number(m.value, paths.pipeline, "timeout_ms", p.timeout_ms, 1, 24 * 3600e3);
        steps_path += ".steps";
        steps = json::find(m.value, "steps");
      }
      if (!steps || !steps->IsArray() || steps->Empty()) {
        problem(steps_path, m.value.IsObject() ? "must be a non-empty array of steps"
                                               : "must be a non-empty array of steps, or an object {steps, output, timeout_ms}");
        continue;
      }
      for (rapidjson::SizeType i = 0; i < steps->Size(); ++i) {
        std::string at = steps_path + "[" + std::to_string(i) + "]";
        PipelineStep step;
        if (object(&(*steps)[i], at)) pipeline_step((*steps)[i], at, config, p, step);
        p.steps.push_back(std::move(step));
        paths.steps.push_back(at);
      }
      pipelines::check(config, p, paths, problems_);
      config.pipelines.push_back(std::move(p));
    }
  }

  static bool step_id(std::string_view id) {
    auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    auto rest = [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-'; };
    return !id.empty() && letter(id[0]) && std::all_of(id.begin() + 1, id.end(), rest);
  }

  void pipeline_step(const Value& v, const std::string& at, const Config& config, const Pipeline& p, PipelineStep& step) {
    only(v, at, {"id", "service", "model", "system", "prompt", "image", "schema", "input", "when", "cache", "timeout_ms",
                 "on_error", "fallback_value"});
    if (string(v, at, "id", step.id, true)) {
      if (!step_id(step.id)) problem(at + ".id", "must match ^[A-Za-z_][A-Za-z0-9_-]*$");
      else if (step.id == "input") problem(at + ".id", "\"input\" names the pipeline's input: choose another id");
      for (auto& earlier : p.steps)
        if (earlier.id == step.id) problem(at + ".id", "duplicate step id \"" + step.id + "\"");
    }
    if (json::find(v, "service") && string(v, at, "service", step.service, true) && !config.find_service(step.service))
      problem(at + ".service", "unknown service \"" + step.service + "\"");
    if (json::find(v, "model") && string(v, at, "model", step.model, true)) model_ref(at + ".model", step.model, config);
    string(v, at, "system", step.system);
    string(v, at, "prompt", step.prompt);
    string(v, at, "image", step.image);
    schema(v, at, step.schema);
    if (json::find(v, "service")) {
      for (const char* inline_member : {"system", "prompt", "image", "schema"})
        if (json::find(v, inline_member))
          problem(at + "." + inline_member, "a step with a service takes its templates from the service");
    } else if (!json::find(v, "model")) {
      problem(at, "a step needs a service, or a model with a prompt or an image");
    } else if (step.prompt.empty() && step.image.empty()) {
      problem(at + ".prompt", "a step with a model and no service needs a prompt or an image");
    }
    if (const Value* in = json::find(v, "input"); in && object(in, at + ".input")) {
      for (auto& im : in->GetObject()) {
        if (!im.value.IsString()) problem(at + ".input." + im.name.GetString(), "must be a string template");
        else step.input.emplace_back(json::view(im.name), json::view(im.value));
      }
    }
    step_controls(v, at, step);
  }

  // A step's when, cache, timeout_ms, on_error and fallback_value.
  void step_controls(const Value& v, const std::string& at, PipelineStep& step) {
    if (const Value* when = json::find(v, "when")) {
      std::string error_path, error;
      if (condition::parse_condition(*when, step.when, error_path, error, condition::ParseOptions{true}))
        step.has_when = true;
      else
        problem(at + ".when" + (error_path.empty() ? "" : "." + error_path), error);
    }
    if (string(v, at, "cache", step.cache) &&
        step.cache != "default" && step.cache != "no-store" && step.cache != "refresh" && step.cache != "only")
      problem(at + ".cache", "must be \"default\", \"no-store\", \"refresh\" or \"only\"");
    if (step.cache == "default") step.cache.clear();
    number(v, at, "timeout_ms", step.timeout_ms, 1, 3600e3);
    std::string on_error;
    if (string(v, at, "on_error", on_error)) {
      if (on_error == "skip") step.on_error = OnError::skip;
      else if (on_error == "fallback_value") step.on_error = OnError::fallback_value;
      else if (on_error != "fail") problem(at + ".on_error", "must be \"fail\", \"skip\" or \"fallback_value\"");
    }
    const Value* fallback = json::find(v, "fallback_value");
    if (fallback && step.on_error != OnError::fallback_value)
      problem(at + ".fallback_value", "only a step whose on_error is \"fallback_value\" takes one");
    else if (!fallback && step.on_error == OnError::fallback_value)
      problem(at + ".fallback_value", "is required when on_error is \"fallback_value\"");
    else if (fallback)
      json::append_value(step.fallback_value, *fallback);
  }

  void settings(const Value& root, Config& config) {
    if (const Value* r = json::find(root, "retry"); r && object(r, "retry")) {
      only(*r, "retry", {"attempts", "on_status", "backoff_ms", "max_backoff_ms"});
      integer(*r, "retry", "attempts", config.retry.attempts, 0, 10);
      status_list(*r, "retry", "on_status", config.retry.on_status);
      number(*r, "retry", "backoff_ms", config.retry.backoff_ms, 0, 600e3);
      number(*r, "retry", "max_backoff_ms", config.retry.max_backoff_ms, 0, 3600e3);
    }
    number(root, "", "timeout_ms", config.timeout_ms, 1, 3600e3);
    if (const Value* b = json::find(root, "breaker"); b && object(b, "breaker")) {
      only(*b, "breaker", {"failures", "cooldown_ms"});
      integer(*b, "breaker", "failures", config.breaker.failures, 1, 1e6);
      number(*b, "breaker", "cooldown_ms", config.breaker.cooldown_ms, 0, 86400e3);
    }
    if (const Value* c = json::find(root, "cache"); c && object(c, "cache")) {
      only(*c, "cache", {"enabled", "policy", "max_bytes", "ttl_s", "persist", "store_truncated"});
      boolean(*c, "cache", "store_truncated", config.cache.store_truncated);
      boolean(*c, "cache", "enabled", config.cache.enabled);
      std::string policy;
      if (string(*c, "cache", "policy", policy)) {
        if (policy == "lru") config.cache.policy = CachePolicy::lru;
        else if (policy == "lfu") config.cache.policy = CachePolicy::lfu;
        else problem("cache.policy", "must be \"lru\" or \"lfu\"");
      }
      integer(*c, "cache", "max_bytes", config.cache.max_bytes, 1024, 1e12);
      number(*c, "cache", "ttl_s", config.cache.ttl_s, 0, 10 * 365 * 86400.0);
      boolean(*c, "cache", "persist", config.cache.persist);
    }
    if (const Value* g = json::find(root, "gateway"); g && object(g, "gateway")) {
      only(*g, "gateway", {"max_body_bytes", "body_timeout_ms", "cors", "reserve_output_tokens", "state_fail_open"});
      integer(*g, "gateway", "max_body_bytes", config.gateway.max_body_bytes, 1024, 1ull << 30);
      boolean(*g, "gateway", "state_fail_open", config.gateway.state_fail_open);
      integer(*g, "gateway", "reserve_output_tokens", config.gateway.reserve_output_tokens, 0, 10000000);
      number(*g, "gateway", "body_timeout_ms", config.gateway.body_timeout_ms, 1, 3600e3);
      if (const Value* c = json::find(*g, "cors"); c && object(c, "gateway.cors")) {
        only(*c, "gateway.cors", {"origins", "max_age_s"});
        const Value* origins = json::find(*c, "origins");
        if (!origins || !origins->IsArray()) {
          problem("gateway.cors.origins", "must be an array of origins (\"https://app.example.com\") or [\"*\"]");
        } else {
          for (rapidjson::SizeType i = 0; i < origins->Size(); ++i) {
            std::string_view o = json::view((*origins)[i]);
            bool ok = o == "*" || o.rfind("https://", 0) == 0 || o.rfind("http://", 0) == 0;
            if (!(*origins)[i].IsString() || !ok || (o != "*" && o.back() == '/'))
              problem("gateway.cors.origins[" + std::to_string(i) + "]",
                      "must be \"*\" or an origin like \"https://app.example.com\" (scheme and host, no path)");
            else
              config.gateway.cors_origins.emplace_back(o);
          }
        }
        number(*c, "gateway.cors", "max_age_s", config.gateway.cors_max_age_s, 0, 86400);
      }
    }
  }

  void keys(const Value& root, Config& config) {
    const Value* list = json::find(root, "keys");
    if (!list || !object(list, "keys")) return;
    for (auto& m : list->GetObject()) {
      GatewayKey k;
      // The key itself is a secret: paths name it by position, never by value.
      std::string path = "keys[" + std::to_string(config.keys.size()) + "]";
      k.key = json::view(m.name);
      if (k.key.empty()) problem(path, "a gateway key must be non-empty");
      resolve(path, k.key);
      if (!object(&m.value, path)) continue;
      only(m.value, path, {"name", "models", "rpm", "budget_usd", "admin"});
      key_name(m.value, path, k);
      if (const Value* models = json::find(m.value, "models")) {
        if (!models->IsArray()) problem(path + ".models", "must be an array of model names or \"*\"");
        else
          for (auto& e : models->GetArray()) {
            if (e.IsString()) k.models.emplace_back(json::view(e));
            else problem(path + ".models", "must contain only strings");
          }
      } else {
        k.models.push_back("*");
      }
      number(m.value, path, "rpm", k.rpm, 0, 1e9);
      number(m.value, path, "budget_usd", k.budget_usd, 0, 1e12);
      boolean(m.value, path, "admin", k.admin);
      config.keys.push_back(std::move(k));
    }
    for (size_t i = 0; i < config.keys.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (config.keys[i].name == config.keys[j].name)
          problem("keys[" + std::to_string(i) + "].name",
                  "\"" + config.keys[i].name + "\" is already the name of keys[" + std::to_string(j) + "]");
  }

  // A key's name: given (1-64 of [A-Za-z0-9._-]) or "key-" + 8 hex digits of a hash of the key.
  void key_name(const Value& entry, const std::string& path, GatewayKey& k) {
    if (string(entry, path, "name", k.name)) {
      bool ok = !k.name.empty() && k.name.size() <= 64 &&
                std::all_of(k.name.begin(), k.name.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                         c == '_' || c == '-';
                });
      if (ok) return;
      problem(path + ".name", "must be 1 to 64 characters of letters, digits, '.', '_' or '-'");
    }
    static const char* kHex = "0123456789abcdef";
    uint64_t h = json::hash128(k.key).hi;
    k.name = "key-";
    for (int shift = 60; shift >= 32; shift -= 4) k.name += kHex[(h >> shift) & 15];
  }

  // telemetry: {logs: "json" | "none", log_bodies, otlp: {endpoint, headers}}.
  void telemetry(const Value& root, Config& config) {
    const Value* t = json::find(root, "telemetry");
    if (!t || !object(t, "telemetry")) return;
    only(*t, "telemetry", {"logs", "log_bodies", "otlp"});
    std::string logs;
    if (string(*t, "telemetry", "logs", logs)) {
      if (logs == "json") config.telemetry.json_logs = true;
      else if (logs != "none") problem("telemetry.logs", "must be \"json\" or \"none\"");
    }
    boolean(*t, "telemetry", "log_bodies", config.telemetry.log_bodies);
    const Value* o = json::find(*t, "otlp");
    if (!o || !object(o, "telemetry.otlp")) return;
    Otlp& otlp = config.telemetry.otlp;
    only(*o, "telemetry.otlp", {"endpoint", "headers"});
    if (string(*o, "telemetry.otlp", "endpoint", otlp.endpoint, true)) {
      if (otlp.endpoint.rfind("https://", 0) != 0 && otlp.endpoint.rfind("http://", 0) != 0)
        problem("telemetry.otlp.endpoint", "must be an http:// or https:// URL (spans go to {endpoint}/v1/traces)");
      while (!otlp.endpoint.empty() && otlp.endpoint.back() == '/') otlp.endpoint.pop_back();
    }
    const Value* h = json::find(*o, "headers");
    if (!h || !object(h, "telemetry.otlp.headers")) return;
    for (auto& hm : h->GetObject()) {
      std::string at = "telemetry.otlp.headers." + std::string(json::view(hm.name));
      std::string value(json::view(hm.value));
      if (!header_name(json::view(hm.name))) problem(at, "is not a valid header name");
      else if (!hm.value.IsString()) problem(at, "must be a string (a literal, or \"env:NAME\")");
      else if (resolve(at, value), value.find_first_of("\r\n") != std::string::npos)
        problem(at, "must not contain line breaks");
      else otlp.headers.emplace_back(lower(json::view(hm.name)), std::move(value));
    }
  }

  static bool header_name(std::string_view name) {
    auto token = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    };
    return !name.empty() && std::all_of(name.begin(), name.end(), token);
  }

  uint32_t next_id_ = 0;
  bool needs_prompt_tokens_ = false;

 private:
  const Value* env_;
  std::vector<Problem>& problems_;
};

}  // namespace

int Config::find_provider(std::string_view name) const {
  for (size_t i = 0; i < providers.size(); ++i)
    if (providers[i].name == name) return int(i);
  return -1;
}

int Config::find_target(int provider, std::string_view model) const {
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].provider == provider && targets[i].model == model) return int(i);
  return -1;
}

const Model* Config::find_model(std::string_view name) const {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

const Service* Config::find_service(std::string_view name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

const Pipeline* Config::find_pipeline(std::string_view name) const {
  for (const auto& p : pipelines)
    if (p.name == name) return &p;
  return nullptr;
}

const GatewayKey* Config::find_key(std::string_view key) const {
  for (const auto& k : keys)
    if (k.key == key) return &k;
  return nullptr;
}

const char* provider_type_name(ProviderType type) {
  for (const auto& entry : kProviderTypes)
    if (entry.value == int(type)) return entry.name;
  return "?";
}

const char* strategy_name(Strategy strategy) {
  for (const auto& entry : kStrategies)
    if (entry.value == int(strategy)) return entry.name;
  return "?";
}

std::shared_ptr<const Config> load(std::string_view text, std::string_view env_json,
                                   std::vector<Problem>& problems) {
  problems.clear();
  json::Document root, env;
  std::string error;
  if (!json::parse(text, root, error)) {
    problems.push_back({"", "config is not valid JSON: " + error});
    return nullptr;
  }
  if (!root.IsObject()) {
    problems.push_back({"", "config must be a JSON object"});
    return nullptr;
  }
  const Value* env_value = nullptr;
  if (!env_json.empty()) {
    if (!json::parse(env_json, env, error) || !env.IsObject()) {
      problems.push_back({"", "environment must be a JSON object of strings"});
      return nullptr;
    }
    env_value = &env;
  }
  auto config = std::make_shared<Config>();
  Loader loader(env_value, problems);
  // "$schema" names the JSON Schema of the config (web/config.schema.json) for editors: ignored.
  loader.only(root, "", {"$schema", "providers", "models", "services", "pipelines", "retry", "timeout_ms", "breaker",
                         "cache", "keys", "gateway", "telemetry"});
  std::string schema_url;
  loader.string(root, "", "$schema", schema_url);
  loader.providers(root, *config);
  loader.models(root, *config);
  loader.services(root, *config);
  loader.pipelines(root, *config);
  loader.settings(root, *config);
  loader.keys(root, *config);
  loader.telemetry(root, *config);
  config->node_count = loader.next_id_;
  config->needs_prompt_tokens = loader.needs_prompt_tokens_;
  if (!problems.empty()) return nullptr;
  return config;
}

}  // namespace sy::config
