#include "condition/condition.h"

#include <algorithm>

namespace sy::condition {

namespace {

using json::Value;

struct OpName {
  const char* name;
  Condition::Op op;
};
constexpr OpName kOps[] = {
    {"$eq", Condition::Op::eq},   {"$ne", Condition::Op::ne}, {"$gt", Condition::Op::gt},
    {"$gte", Condition::Op::gte}, {"$lt", Condition::Op::lt}, {"$lte", Condition::Op::lte},
    {"$in", Condition::Op::in},   {"$nin", Condition::Op::nin},
};

std::vector<std::string> split(std::string_view field) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (true) {
    size_t dot = field.find('.', at);
    parts.emplace_back(field.substr(at, dot == std::string_view::npos ? dot : dot - at));
    if (dot == std::string_view::npos) return parts;
    at = dot + 1;
  }
}

bool known_field(const std::vector<std::string>& path) {
  if (path.empty() || std::any_of(path.begin(), path.end(), [](auto& p) { return p.empty(); })) return false;
  if (path[0] == "metadata" || path[0] == "params") return path.size() >= 2;
  return path.size() == 1 && (path[0] == "prompt_tokens" || path[0] == "model");
}

std::shared_ptr<const json::Document> copy(const Value& v) {
  auto doc = std::make_shared<json::Document>();
  json::Value copy = json::copy(v, doc->GetAllocator());
  static_cast<json::Value&>(*doc).Swap(copy);
  return doc;
}

bool leaf(std::string_view field, const Value& spec, Condition& out, std::string& error_path, std::string& error,
          const ParseOptions& options) {
  out.op = Condition::Op::all;
  std::vector<std::string> path = split(field);
  bool empty_segment = std::any_of(path.begin(), path.end(), [](auto& p) { return p.empty(); });
  if (options.any_field ? empty_segment : !known_field(path)) {
    error_path = std::string(field);
    error = options.any_field ? "a field must be dot-separated names with no empty part"
                              : "unknown field (use metadata.<name>, params.<name>, prompt_tokens or model)";
    return false;
  }
  auto add = [&](Condition::Op op, const Value& value) {
    Condition c;
    c.op = op;
    c.path = path;
    c.value = copy(value);
    out.children.push_back(std::move(c));
  };
  if (!spec.IsObject()) {
    add(Condition::Op::eq, spec);
    return true;
  }
  if (spec.MemberCount() == 0) {
    error_path = std::string(field);
    error = "needs at least one operator ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin)";
    return false;
  }
  for (auto& m : spec.GetObject()) {
    std::string_view name = json::view(m.name);
    auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpName& o) { return name == o.name; });
    if (it == std::end(kOps)) {
      error_path = std::string(field) + "." + std::string(name);
      error = "unknown operator (one of $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin)";
      return false;
    }
    if ((it->op == Condition::Op::in || it->op == Condition::Op::nin) && !m.value.IsArray()) {
      error_path = std::string(field) + "." + std::string(name);
      error = "must be an array";
      return false;
    }
    add(it->op, m.value);
  }
  return true;
}

// `v`'s member or array item named `segment` (an array takes a decimal index), or null.
const Value* step_into(const Value& v, const std::string& segment) {
  if (!v.IsArray()) return json::find(v, segment);
  double i = 0;
  if (segment.size() > 9 || !json::parse_digits(segment, i)) return nullptr;
  return i < v.Size() ? &v[rapidjson::SizeType(i)] : nullptr;
}

const Value* resolve(const Condition& c, const Facts& facts, Value& scratch) {
  const std::string& head = c.path[0];
  if (facts.fields && facts.fields->IsObject()) {
    if (const Value* v = json::find(*facts.fields, head)) {
      for (size_t i = 1; v && i < c.path.size(); ++i) v = step_into(*v, c.path[i]);
      return v;
    }
  }
  if (head == "prompt_tokens") {
    scratch.SetInt64(facts.prompt_tokens);
    return &scratch;
  }
  if (head == "model") {
    scratch.SetString(rapidjson::StringRef(facts.model.data(), rapidjson::SizeType(facts.model.size())));
    return &scratch;
  }
  const Value* v = head == "metadata" ? facts.metadata : facts.body;
  for (size_t i = 1; v && i < c.path.size(); ++i) v = json::find(*v, c.path[i]);
  return v;
}

bool equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return a.GetDouble() == b.GetDouble();
  return a == b;
}

// -1, 0, 1, or 2 when the two cannot be ordered.
int order(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return a.GetDouble() < b.GetDouble() ? -1 : a.GetDouble() > b.GetDouble();
  if (a.IsString() && b.IsString()) {
    int c = json::view(a).compare(json::view(b));
    return c < 0 ? -1 : c > 0;
  }
  return 2;
}

}  // namespace

bool parse_condition(const Value& v, Condition& out, std::string& error_path, std::string& error,
                     const ParseOptions& options) {
  if (!v.IsObject() || v.MemberCount() == 0) {
    error = "must be a non-empty object of field conditions, $and or $or";
    return false;
  }
  out.op = Condition::Op::all;
  for (auto& m : v.GetObject()) {
    std::string_view name = json::view(m.name);
    Condition child;
    if (name == "$and" || name == "$or") {
      child.op = name == "$and" ? Condition::Op::all : Condition::Op::any;
      if (!m.value.IsArray() || m.value.Empty()) {
        error_path = std::string(name);
        error = "must be a non-empty array of conditions";
        return false;
      }
      for (rapidjson::SizeType i = 0; i < m.value.Size(); ++i) {
        Condition part;
        std::string inner;
        if (!parse_condition(m.value[i], part, inner, error, options)) {
          error_path = std::string(name) + "[" + std::to_string(i) + "]" + (inner.empty() ? "" : "." + inner);
          return false;
        }
        child.children.push_back(std::move(part));
      }
    } else if (!leaf(name, m.value, child, error_path, error, options)) {
      return false;
    }
    out.children.push_back(std::move(child));
  }
  return true;
}

void fields(const Condition& c, std::vector<std::vector<std::string>>& out) {
  if (!c.path.empty()) out.push_back(c.path);
  for (const auto& child : c.children) fields(child, out);
}

bool uses_field(const Condition& c, std::string_view head) {
  if (!c.path.empty() && c.path[0] == head) return true;
  return std::any_of(c.children.begin(), c.children.end(), [&](auto& x) { return uses_field(x, head); });
}

bool matches(const Condition& c, const Facts& facts) {
  switch (c.op) {
    case Condition::Op::all:
      return std::all_of(c.children.begin(), c.children.end(), [&](auto& x) { return matches(x, facts); });
    case Condition::Op::any:
      return std::any_of(c.children.begin(), c.children.end(), [&](auto& x) { return matches(x, facts); });
    default:
      break;
  }
  Value scratch;
  const Value* v = resolve(c, facts, scratch);
  const Value& literal = *c.value;
  switch (c.op) {
    case Condition::Op::eq: return v && equal(*v, literal);
    case Condition::Op::ne: return !v || !equal(*v, literal);
    case Condition::Op::gt: return v && order(*v, literal) == 1;
    case Condition::Op::gte: return v && (order(*v, literal) == 1 || order(*v, literal) == 0);
    case Condition::Op::lt: return v && order(*v, literal) == -1;
    case Condition::Op::lte: return v && (order(*v, literal) == -1 || order(*v, literal) == 0);
    case Condition::Op::in:
    case Condition::Op::nin: {
      bool found = v && std::any_of(literal.Begin(), literal.End(), [&](const Value& x) { return equal(*v, x); });
      return c.op == Condition::Op::in ? found : !found;
    }
    default: return false;
  }
}

}  // namespace sy::condition
