// A finished span and its OTLP/HTTP JSON encoding (the OpenTelemetry protocol's JSON mapping of
// ExportTraceServiceRequest: resourceSpans → scopeSpans → spans; ids as lowercase hex, times as
// decimal strings of Unix nanoseconds, int attributes as decimal strings).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sy::telemetry {

// OTLP's SpanKind and Status.code values.
enum class Kind : int { internal = 1, server = 2, client = 3 };
enum class Status : int { unset = 0, ok = 1, error = 2 };

struct Attribute {
  enum class Type { string, integer, number };
  std::string key;
  Type type = Type::string;
  std::string text;
  int64_t integer = 0;
  double number = 0;
};

struct Span {
  std::string trace_id;   // 32 lowercase hex digits
  std::string span_id;    // 16 lowercase hex digits
  std::string parent_id;  // empty for a trace's root
  std::string name;
  Kind kind = Kind::internal;
  double start_ms = 0;  // on the host's clock (Unix ms)
  double end_ms = 0;
  std::vector<Attribute> attributes;
  Status status = Status::unset;
  std::string status_message;  // with Status::error

  void add(std::string key, std::string_view text);
  void add(std::string key, int64_t integer);
  void add(std::string key, double number);

 private:
  Attribute& attribute(std::string key, Attribute::Type type);  // a new one, last in `attributes`
};

// Unix ms (a double, as hosts report `now`) as OTLP's decimal string of nanoseconds.
std::string unix_nanos(double ms);

// One ExportTraceServiceRequest holding `spans` under one resource (service.name) and one scope.
std::string encode_otlp(std::span<const Span> spans, std::string_view service_name);

}  // namespace sy::telemetry
