#include "telemetry/span.h"

#include <algorithm>
#include <cmath>

#include "json/json.h"

namespace sy::telemetry {

Attribute& Span::attribute(std::string key, Attribute::Type type) {
  Attribute& a = attributes.emplace_back();
  a.key = std::move(key);
  a.type = type;
  return a;
}

void Span::add(std::string key, std::string_view text) { attribute(std::move(key), Attribute::Type::string).text = text; }

void Span::add(std::string key, int64_t integer) {
  attribute(std::move(key), Attribute::Type::integer).integer = integer;
}

void Span::add(std::string key, double number) { attribute(std::move(key), Attribute::Type::number).number = number; }

std::string unix_nanos(double ms) {
  if (!(ms > 0)) return "0";
  // Whole ms and the rest apart: a double holds Unix ms exactly but not Unix ns.
  double whole = std::floor(ms);
  uint64_t nanos = uint64_t(whole) * 1000000u + uint64_t(std::llround((ms - whole) * 1e6));
  return std::to_string(nanos);
}

namespace {

void append_attribute(std::string& out, const Attribute& a) {
  out += "{\"key\":";
  json::append_string(out, a.key);
  out += ",\"value\":{";
  switch (a.type) {
    case Attribute::Type::string:
      out += "\"stringValue\":";
      json::append_string(out, a.text);
      break;
    case Attribute::Type::integer:
      out += "\"intValue\":\"" + std::to_string(a.integer) + "\"";
      break;
    case Attribute::Type::number:
      out += "\"doubleValue\":";
      json::append_number(out, std::isfinite(a.number) ? a.number : 0);
      break;
  }
  out += "}}";
}

void append_attributes(std::string& out, const std::vector<Attribute>& attributes) {
  out += '[';
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (i) out += ',';
    append_attribute(out, attributes[i]);
  }
  out += ']';
}

void append_span(std::string& out, const Span& s) {
  out += "{\"traceId\":\"" + s.trace_id + "\",\"spanId\":\"" + s.span_id + "\"";
  if (!s.parent_id.empty()) out += ",\"parentSpanId\":\"" + s.parent_id + "\"";
  out += ",\"name\":";
  json::append_string(out, s.name);
  out += ",\"kind\":" + std::to_string(int(s.kind));
  out += ",\"startTimeUnixNano\":\"" + unix_nanos(s.start_ms) + "\"";
  out += ",\"endTimeUnixNano\":\"" + unix_nanos(std::max(s.start_ms, s.end_ms)) + "\"";
  out += ",\"attributes\":";
  append_attributes(out, s.attributes);
  out += ",\"status\":{\"code\":" + std::to_string(int(s.status));
  if (s.status == Status::error && !s.status_message.empty()) {
    out += ",\"message\":";
    json::append_string(out, s.status_message);
  }
  out += "}}";
}

}  // namespace

std::string encode_otlp(std::span<const Span> spans, std::string_view service_name) {
  std::string out;
  out.reserve(256 + spans.size() * 768);
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":";
  json::append_string(out, service_name);
  out += "}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"switchyard\"},\"spans\":[";
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i) out += ',';
    append_span(out, spans[i]);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace sy::telemetry
