// A small, strict parser of the Prometheus text exposition format (version 0.0.4), for tests:
// every family has HELP then TYPE before its samples, every sample belongs to the family
// declared last (name, or name_bucket / _sum / _count for a histogram), label names and escapes
// are valid, no series repeats, counters are >= 0, and each histogram's buckets have increasing
// `le` bounds, non-decreasing counts, a last bucket +Inf equal to _count, and a _sum.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sy::testing {

struct Exposition {
  std::string error;                     // empty when the text is valid
  std::map<std::string, double> series;  // "name{a="x",b="y"}" (labels as written) -> value
  std::map<std::string, std::string> types;

  double value(const std::string& key) const {
    auto it = series.find(key);
    return it == series.end() ? NAN : it->second;
  }
};

namespace exposition_detail {

inline bool name_ok(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

inline bool number(std::string_view s, double& out) {
  if (s == "NaN") return out = NAN, true;
  if (s == "+Inf") return out = INFINITY, true;
  if (s == "-Inf") return out = -INFINITY, true;
  std::string text(s);
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && text.find_first_of("iInN") == std::string::npos;
}

// Labels between { and }: appends (name, unescaped value) pairs; false on bad syntax.
inline bool labels(std::string_view s, std::vector<std::pair<std::string, std::string>>& out) {
  size_t i = 0;
  std::set<std::string> seen;
  while (i < s.size()) {
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return false;
    std::string name(s.substr(i, eq - i));
    if (!name_ok(name, false) || !seen.insert(name).second) return false;
    std::string value;
    size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\n') return false;
      if (s[j] != '\\') {
        value += s[j];
        continue;
      }
      if (++j >= s.size()) return false;
      if (s[j] == 'n') value += '\n';
      else if (s[j] == '\\' || s[j] == '"') value += s[j];
      else return false;
    }
    if (j >= s.size()) return false;
    out.emplace_back(name, value);
    i = j + 1;
    if (i < s.size() && s[i++] != ',') return false;
  }
  return true;
}

struct Histogram {
  std::vector<std::pair<double, double>> buckets;  // (le, count)
  bool sum = false;
  double count = -1;
};

}  // namespace exposition_detail

inline Exposition parse_exposition(std::string_view text) {
  namespace d = exposition_detail;
  Exposition x;
  std::string family, type;
  std::set<std::string> helped;
  std::map<std::string, d::Histogram> histograms;  // base series (labels without le)
  auto fail = [&](std::string why, std::string_view line) {
    x.error = why + ": " + std::string(line);
    return x;
  };
  if (!text.empty() && text.back() != '\n') return fail("no final newline", text.substr(text.size() - 1));
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    if (line.empty()) return fail("empty line", line);
    if (line.rfind("# HELP ", 0) == 0) {
      std::string_view rest = line.substr(7);
      std::string name(rest.substr(0, rest.find(' ')));
      if (!d::name_ok(name, true) || !helped.insert(name).second) return fail("bad or repeated HELP", line);
      family = name;
      type.clear();
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string_view rest = line.substr(7);
      size_t space = rest.find(' ');
      std::string name(rest.substr(0, space)), t(space == std::string_view::npos ? "" : rest.substr(space + 1));
      if (name != family || !type.empty() || x.types.count(name)) return fail("TYPE without its HELP", line);
      if (t != "counter" && t != "gauge" && t != "histogram") return fail("unknown type", line);
      type = t;
      x.types[name] = t;
      continue;
    }
    if (line[0] == '#') return fail("unknown comment", line);
    if (type.empty()) return fail("sample before its family's TYPE", line);
    size_t brace = line.find('{'), space = line.rfind(' ');
    if (space == std::string_view::npos) return fail("no value", line);
    std::string name(line.substr(0, std::min(brace, space)));
    std::vector<std::pair<std::string, std::string>> labels;
    if (brace != std::string_view::npos && brace < space) {
      size_t close = line.rfind('}', space);
      if (close == std::string_view::npos || close + 1 != space || !d::labels(line.substr(brace + 1, close - brace - 1), labels))
        return fail("bad labels", line);
    }
    double value;
    if (!d::number(line.substr(space + 1), value)) return fail("bad value", line);
    if (x.series.count(std::string(line.substr(0, space)))) return fail("repeated series", line);
    x.series[std::string(line.substr(0, space))] = value;
    std::string suffix = name.size() > family.size() && name.rfind(family, 0) == 0 ? name.substr(family.size()) : "";
    if (type != "histogram") {
      if (name != family) return fail("sample outside its family " + family, line);
      if (type == "counter" && !(value >= 0)) return fail("counter below 0", line);
      continue;
    }
    if (suffix != "_bucket" && suffix != "_sum" && suffix != "_count") return fail("not a histogram series", line);
    std::string base = family, le;
    bool has_le = false;
    for (auto& [k, v] : labels) {
      if (k == "le") has_le = true, le = v;
      else base += "|" + k + "=" + v;
    }
    d::Histogram& h = histograms[base];
    if (suffix == "_bucket") {
      double bound;
      if (!has_le || !d::number(le, bound)) return fail("bucket without a valid le", line);
      if (!h.buckets.empty() && (bound <= h.buckets.back().first || value < h.buckets.back().second))
        return fail("buckets not monotone", line);
      h.buckets.emplace_back(bound, value);
    } else if (has_le) {
      return fail("le outside a bucket", line);
    } else if (suffix == "_sum") {
      h.sum = true;
    } else {
      h.count = value;
    }
  }
  for (auto& [base, h] : histograms) {
    if (h.buckets.empty() || h.buckets.back().first != INFINITY) return fail("no +Inf bucket", base);
    if (!h.sum || h.count < 0) return fail("no _sum or _count", base);
    if (h.buckets.back().second != h.count) return fail("+Inf bucket differs from _count", base);
  }
  return x;
}

}  // namespace sy::testing
