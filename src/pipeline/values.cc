#include "pipeline/values.h"

#include <cstdlib>

#include "base/template.h"

namespace sy::pipeline {

namespace {

using json::Value;

void append_text(std::string& out, const Value& v) {
  if (v.IsString()) out.append(json::view(v));
  else json::append_value(out, v);
}

// The one placeholder `tmpl` consists of (spaces around it allowed), or empty.
std::string_view sole_placeholder(std::string_view tmpl) {
  while (!tmpl.empty() && (tmpl.front() == ' ' || tmpl.front() == '\n')) tmpl.remove_prefix(1);
  while (!tmpl.empty() && (tmpl.back() == ' ' || tmpl.back() == '\n')) tmpl.remove_suffix(1);
  if (tmpl.size() < 4 || tmpl.substr(0, 2) != "{{" || tmpl.substr(tmpl.size() - 2) != "}}") return {};
  std::string_view name = tmpl.substr(2, tmpl.size() - 4);
  if (name.find("{{") != std::string_view::npos || name.find("}}") != std::string_view::npos) return {};
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  return name;
}

}  // namespace

const Value* walk(const Value* v, const std::vector<std::string>& path) {
  for (const std::string& part : path) {
    if (!v) return nullptr;
    if (v->IsObject()) {
      v = json::find(*v, part);
    } else if (v->IsArray()) {
      char* end = nullptr;
      unsigned long i = std::strtoul(part.c_str(), &end, 10);
      if (part.empty() || *end || i >= v->Size()) return nullptr;
      v = &(*v)[rapidjson::SizeType(i)];
    } else {
      return nullptr;
    }
  }
  return v;
}

bool append_reference(const Scope& scope, std::string_view name, std::string& out) {
  config::Reference ref;
  if (!config::parse_reference(name, scope.pipeline, ref)) return false;
  if (ref.kind == config::Reference::Kind::input) {
    const Value* v = walk(&scope.input, ref.path);
    if (!v) return false;
    append_text(out, *v);
    return true;
  }
  if (ref.step < 0 || size_t(ref.step) >= scope.steps.size()) return false;
  const StepState& s = scope.steps[size_t(ref.step)];
  if (!s.has_text) return true;  // null: nothing
  if (ref.kind == config::Reference::Kind::text) {
    out += s.text;
    return true;
  }
  const Value* v = s.json ? walk(s.json.get(), ref.path) : nullptr;
  if (!v) return false;
  append_text(out, *v);
  return true;
}

bool render(const Scope& scope, std::string_view tmpl, std::string& out, std::string& missing) {
  auto lookup = [&](std::string_view name, std::string& into) { return append_reference(scope, name, into); };
  return render_template(tmpl, lookup, out, missing);
}

bool step_input(const Scope& scope, size_t index, std::string& out, std::string& missing) {
  out = "{";
  for (const auto& field : scope.pipeline.steps[index].input) {
    std::string text;
    if (!render(scope, field.second, text, missing)) return false;
    if (out.size() > 1) out += ',';
    json::append_string(out, field.first);
    out += ':';
    json::append_string(out, text);
  }
  out += '}';
  return true;
}

std::string output_value(const Scope& scope) {
  std::string out;
  const std::string& tmpl = scope.pipeline.output;
  if (tmpl.empty()) {
    const StepState& last = scope.steps.back();
    if (last.has_text) json::append_string(out, last.text);
    else out = "null";
    return out;
  }
  config::Reference ref;
  std::string_view sole = sole_placeholder(tmpl);
  if (!sole.empty() && config::parse_reference(sole, scope.pipeline, ref) && ref.kind != config::Reference::Kind::text) {
    const Value* v = nullptr;
    if (ref.kind == config::Reference::Kind::input) v = walk(&scope.input, ref.path);
    else if (const StepState& s = scope.steps[size_t(ref.step)]; s.has_text && s.json) v = walk(s.json.get(), ref.path);
    if (v) json::append_value(out, *v);
    else out = "null";
    return out;
  }
  std::string text, missing;
  if (!render(scope, tmpl, text, missing)) return "null";
  json::append_string(out, text);
  return out;
}

size_t output_step(const config::Pipeline& pipeline) {
  std::string_view tmpl = pipeline.output;
  for (size_t open = tmpl.find("{{"); open != std::string_view::npos; open = tmpl.find("{{", open + 2)) {
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view name = tmpl.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    config::Reference ref;
    if (config::parse_reference(name, pipeline, ref) && ref.kind != config::Reference::Kind::input)
      return size_t(ref.step);
  }
  return pipeline.steps.empty() ? 0 : pipeline.steps.size() - 1;
}

std::string condition_fields(const Scope& scope) {
  std::string out = "{\"input\":";
  json::append_value(out, scope.input);
  for (size_t i = 0; i < scope.steps.size(); ++i) {
    const StepState& s = scope.steps[i];
    out += ',';
    json::append_string(out, scope.pipeline.steps[i].id);
    if (!s.finished() || !s.has_text) {
      out += ":null";
      continue;
    }
    out += ":{\"text\":";
    json::append_string(out, s.text);
    if (s.json) {
      out += ",\"json\":";
      json::append_value(out, *s.json);
    }
    out += '}';
  }
  return out + "}";
}

}  // namespace sy::pipeline
