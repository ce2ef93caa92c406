#include "config/pipelines.h"

#include <algorithm>

#include "base/template.h"

namespace sy::config::pipelines {

namespace {

using json::Value;

std::vector<std::string> placeholders(std::string_view tmpl) {
  std::vector<std::string> out;
  std::string sink, missing;
  render_template(
      tmpl, [&](std::string_view name, std::string&) { out.emplace_back(name); return true; }, sink, missing);
  return out;
}

bool numeric(const std::string& segment) {
  return !segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos;
}

bool has_type(const Value& schema, std::string_view name) {
  const Value* type = json::find(schema, "type");
  if (!type) return false;
  if (type->IsString()) return json::view(*type) == name;
  return type->IsArray() && std::any_of(type->Begin(), type->End(), [&](const Value& t) { return json::view(t) == name; });
}

std::string join(const std::vector<std::string>& path, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += (i ? "." : "") + path[i];
  return out;
}

// The schema text of step `s`'s answer: its service's or its inline one; empty when none.
std::string_view schema_of(const Config& config, const PipelineStep& s) {
  if (s.service.empty()) return s.schema;
  const Service* service = config.find_service(s.service);
  return service ? std::string_view(service->schema) : std::string_view();
}

class Checker {
 public:
  Checker(const Config& config, Pipeline& pipeline, std::vector<Problem>& problems)
      : config_(config), pipeline_(pipeline), problems_(problems) {}

  // Checks the reference `name` written at `path` in step `from` (-1: the pipeline's output).
  void reference(const std::string& name, int from, const std::string& path) {
    Reference ref;
    if (!parse_reference(name, pipeline_, ref)) {
      std::string head = name.substr(0, name.find('.'));
      bool step = std::any_of(pipeline_.steps.begin(), pipeline_.steps.end(), [&](auto& s) { return s.id == head; });
      if (head != "input" && !step && !head.empty())
        problem(path, "\"" + name + "\" names no step: \"" + head + "\" is not a step of this pipeline");
      else
        problem(path, "\"" + name + "\" names nothing (use input.<path>, <step>.text or <step>.json.<path>)");
      return;
    }
    if (ref.step < 0) return;
    const PipelineStep& target = pipeline_.steps[size_t(ref.step)];
    if (ref.step == from) {
      problem(path, "\"" + name + "\": a step cannot refer to itself");
      return;
    }
    if (from >= 0) {  // kept sorted, without repeats (an insertion: no std::sort code in the wasm)
      std::vector<size_t>& after = pipeline_.steps[size_t(from)].after;
      auto at = std::lower_bound(after.begin(), after.end(), size_t(ref.step));
      if (at == after.end() || *at != size_t(ref.step)) after.insert(at, size_t(ref.step));
    }
    if (ref.kind != Reference::Kind::json) return;
    std::string_view text = schema_of(config_, target);
    if (text.empty()) {
      problem(path, "\"" + name + "\": step '" + target.id + "' has no schema, so it has no json");
      return;
    }
    json::Document schema;
    std::string error, why;
    if (json::parse(text, schema, error) && !schema_allows(schema, ref.path, why))
      problem(path, "\"" + name + "\" cannot exist: the schema of step '" + target.id + "' " + why);
  }

  // A step's service (or inline) templates take {{field}}s of its input: each must be given.
  void needs(size_t i, const std::string& path) {
    const PipelineStep& s = pipeline_.steps[i];
    const Service* service = s.service.empty() ? nullptr : config_.find_service(s.service);
    if (!s.service.empty() && !service) return;  // already a problem
    const std::string* templates[] = {service ? &service->system : &s.system, service ? &service->prompt : &s.prompt,
                                      service ? &service->image : &s.image};
    for (const std::string* tmpl : templates) {
      for (const std::string& field : placeholders(*tmpl)) {
        bool given = std::any_of(s.input.begin(), s.input.end(), [&](auto& in) { return in.first == field; });
        if (given || std::find(reported_.begin(), reported_.end(), field) != reported_.end()) continue;
        reported_.push_back(field);
        problem(path + ".input", service ? "service '" + service->name + "' needs input field '" + field + "'"
                                         : "the step's templates need input field '" + field + "'");
      }
    }
    reported_.clear();
  }

  // Reports the first cycle among the `after` edges.
  void cycles(const std::string& path) {
    state_.assign(pipeline_.steps.size(), 0);
    for (size_t i = 0; i < pipeline_.steps.size(); ++i)
      if (state_[i] == 0 && visit(i, path)) return;
  }

 private:
  // Depth-first: 0 unseen, 1 on the stack, 2 done. True when a cycle was found (and reported).
  bool visit(size_t i, const std::string& path) {
    state_[i] = 1;
    stack_.push_back(i);
    for (size_t next : pipeline_.steps[i].after) {
      if (state_[next] == 1) {
        std::string cycle;
        for (auto it = std::find(stack_.begin(), stack_.end(), next); it != stack_.end(); ++it)
          cycle += pipeline_.steps[*it].id + " -> ";
        problem(path, "a cycle: " + cycle + pipeline_.steps[next].id);
        return true;
      }
      if (state_[next] == 0 && visit(next, path)) return true;
    }
    stack_.pop_back();
    state_[i] = 2;
    return false;
  }

  void problem(const std::string& path, std::string message) { problems_.push_back({path, std::move(message)}); }

  const Config& config_;
  Pipeline& pipeline_;
  std::vector<Problem>& problems_;
  std::vector<std::string> reported_;
  std::vector<int> state_;
  std::vector<size_t> stack_;
};

}  // namespace

void check(const Config& config, Pipeline& pipeline, const Paths& paths, std::vector<Problem>& problems) {
  Checker checker(config, pipeline, problems);
  for (size_t i = 0; i < pipeline.steps.size(); ++i) {
    PipelineStep& step = pipeline.steps[i];
    const std::string& at = paths.steps[i];
    step.after.clear();
    for (const auto& [field, tmpl] : step.input) {
      std::string path = at + ".input." + field;
      for (const std::string& name : placeholders(tmpl)) checker.reference(name, int(i), path);
    }
    if (step.has_when) {
      std::vector<std::vector<std::string>> fields;
      condition::fields(step.when, fields);
      for (const auto& field : fields) checker.reference(join(field, field.size()), int(i), at + ".when");
    }
    checker.needs(i, at);
  }
  for (const std::string& name : placeholders(pipeline.output)) checker.reference(name, -1, paths.output);
  checker.cycles(paths.pipeline);
}

bool schema_allows(const Value& root, const std::vector<std::string>& path, std::string& why) {
  const Value* s = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = path[i];
    std::string where = i == 0 ? "" : " under \"" + join(path, i) + "\"";
    if (s->IsBool()) {
      if (s->GetBool()) return true;
      why = "allows no value" + where;
      return false;
    }
    if (!s->IsObject()) return true;
    for (const char* any : {"$ref", "anyOf", "oneOf", "allOf", "not"})
      if (json::find(*s, any)) return true;
    bool typed = json::find(*s, "type") != nullptr;
    const Value* properties = json::find(*s, "properties");
    const Value* items = json::find(*s, "items");
    const Value* additional = json::find(*s, "additionalProperties");
    if (numeric(segment) && (has_type(*s, "array") || (!typed && items))) {
      if (!items || !items->IsObject()) return true;  // any items, or a tuple form: not checked
      s = items;
      continue;
    }
    if (has_type(*s, "object") || (!typed && (properties || additional))) {
      const Value* next = properties && properties->IsObject() ? json::find(*properties, segment) : nullptr;
      if (!next && additional && additional->IsBool() && !additional->GetBool()) {
        why = "has no property \"" + segment + "\"" + where;
        return false;
      }
      if (!next && additional && additional->IsObject()) next = additional;
      if (!next) return true;  // additional properties allowed: anything
      s = next;
      continue;
    }
    if (!typed) return true;
    why = std::string(numeric(segment) ? "has no array" : "has no object") + (i == 0 ? " at the top" : " at \"" + join(path, i) + "\"");
    return false;
  }
  return true;
}

}  // namespace sy::config::pipelines
