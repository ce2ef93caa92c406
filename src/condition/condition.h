// Conditional routing: a small query language over request facts, parsed
// once at config load and evaluated per request.
//
//   {"metadata.tier": {"$eq": "premium"}}             one field, one operator
//   {"metadata.tier": "premium"}                      shorthand for $eq
//   {"params.max_tokens": {"$gte": 1000, "$lt": 8000}} several operators: all must hold
//   {"$and": [ … ]}, {"$or": [ … ]}                   combinations; several keys in one object = $and
//
// Operators: $eq $ne $gt $gte $lt $lte $in $nin. Fields: metadata.<path>
// (switchyard.metadata or the x-switchyard-metadata header), params.<path>
// (the request body), prompt_tokens (an estimate of the prompt's size),
// model (as requested).
//
// Pipeline steps' `when` (config/config.h PipelineStep::when) use the same language over the
// pipeline's values: parsed with ParseOptions::any_field (any dotted field of non-empty segments;
// the config loader checks each against the pipeline), evaluated with Facts::fields = the object
//   {"input": <the pipeline's input>, "<step id>": {"text": "...", "json": <parsed, when the step
//    has a schema>} or null (a step that was skipped, or has not run)}
// e.g. "input.lang", "describe.text", "describe.json.score", "describe.json.items.0" (a numeric
// segment indexes an array). A path whose head is a member of Facts::fields is looked up there;
// any other head is a request fact as above.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace sy::condition {

struct Condition {
  enum class Op { all, any, eq, ne, gt, gte, lt, lte, in, nin };
  Op op = Op::all;
  std::vector<std::string> path;                // the field, split at dots
  std::shared_ptr<const json::Document> value;  // the literal compared against
  std::vector<Condition> children;              // for all / any
};

struct Facts {
  const json::Value* body = nullptr;
  const json::Value* metadata = nullptr;
  int64_t prompt_tokens = 0;
  std::string_view model;
  const json::Value* fields = nullptr;  // pipeline values (see above); null for routing
};

struct ParseOptions {
  bool any_field = false;  // accept any field, not only the request facts (pipelines' `when`)
};

// Parses `v`; on a problem returns false with `error` and `error_path`
// (relative to `v`, e.g. "$or[1].metadata.tier").
bool parse_condition(const json::Value& v, Condition& out, std::string& error_path, std::string& error,
                     const ParseOptions& options = {});

// Every field `condition` reads, as split paths, in order of appearance (repeats kept).
void fields(const Condition& condition, std::vector<std::vector<std::string>>& out);

bool matches(const Condition& condition, const Facts& facts);

// Whether any part of `condition` reads the field whose first segment is `head`.
bool uses_field(const Condition& condition, std::string_view head);

}  // namespace sy::condition
