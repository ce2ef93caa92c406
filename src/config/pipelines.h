// Cross-step checks of a pipeline the loader has read (SPEC section 1): what its templates and
// `when` conditions refer to, the order they imply, and what each step's service needs.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace sy::config::pipelines {

// Where each part of a pipeline was written: problems are reported at these paths.
struct Paths {
  std::vector<std::string> steps;  // one per step: "pipelines.p[1]" or "pipelines.p.steps[1]"
  std::string output;              // "pipelines.p.output"
  std::string pipeline;            // "pipelines.p" (cycles)
};

// Checks `pipeline` against `config` (its services must already be loaded) and fills every
// step's `after`. Appends a problem for each:
//  - placeholder of a step's input templates or of `output`, and each field of a `when`, that
//    parse_reference refuses ("unknown reference ..."), or that names the step itself;
//  - {{s.json...}} of a step with no schema (its service's or its inline one), or a json path
//    that step's schema says cannot exist (see schema_allows);
//  - {{field}} of a step's service (or inline) templates that the step's input does not give;
//  - cycle among the `after` edges, reported once at Paths::pipeline as "a cycle: a -> b -> a".
void check(const Config& config, Pipeline& pipeline, const Paths& paths, std::vector<Problem>& problems);

// Whether `path` (segments after "json.") may exist in an instance of `schema` (a JSON Schema),
// walking "properties" (an object) and "items" (a numeric segment: an array). The walk stops, and
// allows the rest, where the schema allows anything: no "properties", "additionalProperties" not
// false, "$ref", "anyOf", "oneOf", "allOf", "not", a boolean schema true. False with `why` when
// not, e.g. "has no property \"x\" at \"a\"".
bool schema_allows(const json::Value& schema, const std::vector<std::string>& path, std::string& why);

}  // namespace sy::config::pipelines
