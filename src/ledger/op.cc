#include "ledger/op.h"

#include <cmath>

#include "json/json.h"

namespace sy::ledger {

namespace {

void member(std::string& out, const char* name, double value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_number(out, value);
}

// A finite number >= 0 (or > 0 when `positive`); absent is 0 unless `required`.
bool number(const json::Value& doc, const char* name, bool required, bool positive, double& out,
            std::string& error) {
  const json::Value* v = json::find(doc, name);
  if (!v) {
    if (required) error = std::string("\"") + name + "\" is required";
    out = 0;
    return !required;
  }
  if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0 ||
      (positive && v->GetDouble() <= 0)) {
    error = std::string("\"") + name + "\" must be a number " + (positive ? "> 0" : ">= 0");
    return false;
  }
  out = v->GetDouble();
  return true;
}

bool name(const json::Value& doc, const char* member_name, std::string& out, std::string& error) {
  const json::Value* v = json::find(doc, member_name);
  if (!v || !v->IsString() || v->GetStringLength() == 0 || v->GetStringLength() > 128) {
    error = std::string("\"") + member_name + "\" must be a string of 1 to 128 characters";
    return false;
  }
  out.assign(v->GetString(), v->GetStringLength());
  return true;
}

}  // namespace

std::string encode(const Op& op) {
  std::string out = op.kind == Op::Kind::get ? "{\"op\":\"get\",\"pool\":" : "{\"op\":\"lease\",\"pool\":";
  json::append_string(out, op.pool);
  if (op.kind == Op::Kind::get) {
    member(out, "capacity", op.capacity);
    member(out, "window_ms", op.window_ms);
    return out + "}";
  }
  out += ",\"holder\":";
  json::append_string(out, op.holder);
  member(out, "capacity", op.capacity);
  member(out, "window_ms", op.window_ms);
  member(out, "ttl_ms", op.ttl_ms);
  member(out, "want", op.want);
  member(out, "min", op.min);
  member(out, "spent", op.spent);
  member(out, "returned", op.returned);
  return out + "}";
}

bool decode(std::string_view text, Op& op, std::string& error) {
  json::Document doc;
  if (!json::parse(text, doc, error)) return false;
  if (!doc.IsObject()) {
    error = "an op must be a JSON object";
    return false;
  }
  std::string kind;
  if (!name(doc, "op", kind, error)) return false;
  if (kind != "lease" && kind != "get") {
    error = "\"op\" must be \"lease\" or \"get\"";
    return false;
  }
  op = Op();
  op.kind = kind == "get" ? Op::Kind::get : Op::Kind::lease;
  if (!name(doc, "pool", op.pool, error)) return false;
  if (!number(doc, "capacity", true, false, op.capacity, error)) return false;
  if (!number(doc, "window_ms", true, false, op.window_ms, error)) return false;
  if (op.kind == Op::Kind::get) return true;
  return name(doc, "holder", op.holder, error) && number(doc, "ttl_ms", true, true, op.ttl_ms, error) &&
         number(doc, "want", false, false, op.want, error) && number(doc, "min", false, false, op.min, error) &&
         number(doc, "spent", false, false, op.spent, error) &&
         number(doc, "returned", false, false, op.returned, error);
}

std::string encode(const Answer& answer, Op::Kind kind) {
  std::string out = "{\"consumed\":";
  json::append_number(out, answer.consumed);
  if (kind == Op::Kind::get) {
    member(out, "leased", answer.leased);
  } else {
    member(out, "granted", answer.granted);
    member(out, "lease", answer.lease);
    member(out, "available", answer.available);
    if (answer.frees_in_ms >= 0) member(out, "frees_in_ms", answer.frees_in_ms);
  }
  member(out, "capacity", answer.capacity);
  return out + "}";
}

bool decode(std::string_view text, Op::Kind kind, Answer& answer) {
  json::Document doc;
  std::string error;
  if (text.empty() || !json::parse(text, doc, error) || !doc.IsObject()) return false;
  auto read = [&](const char* member_name, double& out) {
    const json::Value* v = json::find(doc, member_name);
    if (!v || !v->IsNumber() || !std::isfinite(v->GetDouble())) return false;
    out = v->GetDouble();
    return true;
  };
  answer = Answer();
  if (!read("consumed", answer.consumed) || !read("capacity", answer.capacity)) return false;
  if (kind == Op::Kind::get) return read("leased", answer.leased);
  if (json::find(doc, "frees_in_ms") && (!read("frees_in_ms", answer.frees_in_ms) || answer.frees_in_ms < 0))
    return false;  // optional (an object may not say), but a number >= 0 when present
  return read("granted", answer.granted) && read("lease", answer.lease) && read("available", answer.available) &&
         answer.granted >= 0 && answer.lease >= 0;
}

}  // namespace sy::ledger
