// The pipelines section (src/config/config.cc Loader::pipelines, src/config/pipelines.cc):
// every field of the model, both forms, every problem at its path.
#include "config/pipelines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sy::config {
namespace {

// Services: "describe" (an image, with a schema), "translate" (text + lang), "plain" (no schema).
std::string with_pipelines(std::string_view pipelines) {
  return std::string(R"({"providers": {"echo": {"type": "echo"}},
    "models": {"fast": {"targets": [{"provider": "echo", "model": "echo-1"}]}},
    "services": {
      "describe": {"model": "fast", "prompt": "Describe.", "image": "{{image}}",
                   "schema": {"type": "object", "additionalProperties": false,
                              "properties": {"text": {"type": "string"}, "score": {"type": "number"},
                                             "tags": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": false}},
                                             "extra": {"type": "object"}}}},
      "translate": {"model": "fast", "system": "To {{ lang }}", "prompt": "{{text}}"},
      "plain": {"model": "echo/echo-1", "prompt": "{{text}}"}},
    "pipelines": )") + std::string(pipelines) + "}";
}

std::shared_ptr<const Config> load_ok(std::string_view pipelines) {
  std::vector<Problem> problems;
  auto config = load(with_pipelines(pipelines), "{}", problems);
  for (const auto& p : problems) ADD_FAILURE() << p.path << ": " << p.message;
  return config;
}

std::vector<Problem> problems_of(std::string_view pipelines) {
  std::vector<Problem> problems;
  EXPECT_EQ(load(with_pipelines(pipelines), "{}", problems), nullptr) << "a config with problems is refused whole";
  return problems;
}

// The one problem at `path`, its message; fails when there is not exactly one problem there.
std::string at(const std::vector<Problem>& problems, const std::string& path) {
  std::string found;
  int count = 0;
  for (const auto& p : problems)
    if (p.path == path) found = p.message, ++count;
  std::string all;
  for (const auto& p : problems) all += "\n  " + p.path + ": " + p.message;
  EXPECT_EQ(count, 1) << "at " << path << "; problems:" << all;
  return found;
}

TEST(Pipelines, TheObjectFormFillsEveryField) {
  auto config = load_ok(R"({"dt": {
    "steps": [
      {"id": "describe", "service": "describe", "input": {"image": "{{input.image}}"}, "cache": "refresh", "timeout_ms": 5000},
      {"id": "translate", "service": "translate", "model": "echo/echo-2",
       "input": {"text": "{{describe.json.text}} [{{input.lang}}]", "lang": "{{input.lang}}"},
       "when": {"describe.json.score": {"$gt": 0.5}, "input.lang": {"$ne": "en"}},
       "on_error": "fallback_value", "fallback_value": {"text": "n/a"}},
      {"id": "note", "model": "fast", "system": "Short.", "prompt": "{{t}}", "image": "{{i}}",
       "schema": {"type": "object"}, "input": {"t": "{{translate.text}}", "i": "{{input.image}}"},
       "on_error": "skip", "cache": "default"}],
    "output": "{{translate.text}} / {{note.json}}",
    "timeout_ms": 30000}})");
  ASSERT_TRUE(config);
  const Pipeline* p = config->find_pipeline("dt");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->output, "{{translate.text}} / {{note.json}}");
  EXPECT_EQ(p->timeout_ms, 30000);
  ASSERT_EQ(p->steps.size(), 3u);
  const PipelineStep& d = p->steps[0];
  EXPECT_EQ(d.service, "describe");
  EXPECT_EQ(d.cache, "refresh");
  EXPECT_EQ(d.timeout_ms, 5000);
  EXPECT_EQ(d.on_error, OnError::fail);
  EXPECT_FALSE(d.has_when);
  EXPECT_TRUE(d.after.empty());
  const PipelineStep& t = p->steps[1];
  EXPECT_EQ(t.model, "echo/echo-2") << "a model with a service overrides the service's";
  EXPECT_TRUE(t.has_when);
  EXPECT_EQ(t.on_error, OnError::fallback_value);
  EXPECT_EQ(t.fallback_value, R"({"text":"n/a"})");
  EXPECT_EQ(t.after, (std::vector<size_t>{0})) << "deduplicated: input and when both name describe";
  ASSERT_EQ(t.input.size(), 2u);
  EXPECT_EQ(t.input[0], (std::pair<std::string, std::string>{"text", "{{describe.json.text}} [{{input.lang}}]"}));
  const PipelineStep& n = p->steps[2];
  EXPECT_EQ(n.service, "");
  EXPECT_EQ(n.model, "fast");
  EXPECT_EQ(n.system, "Short.");
  EXPECT_EQ(n.prompt, "{{t}}");
  EXPECT_EQ(n.image, "{{i}}");
  EXPECT_EQ(n.schema, R"({"type":"object"})");
  EXPECT_EQ(n.on_error, OnError::skip);
  EXPECT_EQ(n.cache, "") << "\"default\" is stored as empty";
  EXPECT_EQ(n.after, (std::vector<size_t>{1}));
}

TEST(Pipelines, TheArrayFormIsTheStepsAlone) {
  auto config = load_ok(R"({"p": [{"id": "a", "service": "plain", "input": {"text": "{{input}}"}},
                                  {"id": "b", "service": "plain", "input": {"text": "{{a.text}}"}}]})");
  ASSERT_TRUE(config);
  const Pipeline& p = config->pipelines.at(0);
  EXPECT_EQ(p.output, "");
  EXPECT_EQ(p.timeout_ms, 0);
  EXPECT_EQ(p.steps[1].after, (std::vector<size_t>{0}));
}

TEST(Pipelines, IndependentStepsHaveNoEdgesAndLaterStepsMayBeNamed) {
  auto config = load_ok(R"({"p": [{"id": "join", "service": "plain", "input": {"text": "{{x.text}} {{y.text}}"}},
                                  {"id": "x", "service": "plain", "input": {"text": "{{input.a}}"}},
                                  {"id": "y", "service": "plain", "input": {"text": "{{input.b}}"}}]})");
  ASSERT_TRUE(config);
  const Pipeline& p = config->pipelines.at(0);
  EXPECT_EQ(p.steps[0].after, (std::vector<size_t>{1, 2})) << "the declared order is not the run order";
  EXPECT_TRUE(p.steps[1].after.empty());
  EXPECT_TRUE(p.steps[2].after.empty());
}

TEST(Pipelines, TheShapeOfAPipeline) {
  auto problems = problems_of(R"({"a": "x", "b": [], "c": {"steps": []}, "d": {"output": "{{input}}"},
                                  "e": {"steps": [{"id": "s", "service": "plain", "input": {"text": "t"}}], "retries": 2,
                                        "timeout_ms": 0, "output": 3}})");
  EXPECT_EQ(at(problems, "pipelines.a"), "must be a non-empty array of steps, or an object {steps, output, timeout_ms}");
  EXPECT_EQ(at(problems, "pipelines.b"), "must be a non-empty array of steps, or an object {steps, output, timeout_ms}");
  EXPECT_EQ(at(problems, "pipelines.c.steps"), "must be a non-empty array of steps");
  EXPECT_EQ(at(problems, "pipelines.d.steps"), "must be a non-empty array of steps");
  EXPECT_EQ(at(problems, "pipelines.e.retries"), "unknown field");
  EXPECT_EQ(at(problems, "pipelines.e.timeout_ms"), "must be a number from 1 to 86400000");
  EXPECT_EQ(at(problems, "pipelines.e.output"), "must be a string");
}

TEST(Pipelines, StepIds) {
  auto problems = problems_of(R"({"p": {"steps": [
    {"service": "plain", "input": {"text": "t"}},
    {"id": "9lives", "service": "plain", "input": {"text": "t"}},
    {"id": "input", "service": "plain", "input": {"text": "t"}},
    {"id": "a.b", "service": "plain", "input": {"text": "t"}},
    {"id": "ok-1_x", "service": "plain", "input": {"text": "t"}},
    {"id": "ok-1_x", "service": "plain", "input": {"text": "t"}},
    {"id": "", "service": "plain", "input": {"text": "t"}},
    "step"]}})");
  EXPECT_EQ(at(problems, "pipelines.p.steps[0].id"), "is required");
  EXPECT_EQ(at(problems, "pipelines.p.steps[1].id"), "must match ^[A-Za-z_][A-Za-z0-9_-]*$");
  EXPECT_EQ(at(problems, "pipelines.p.steps[2].id"), "\"input\" names the pipeline's input: choose another id");
  EXPECT_EQ(at(problems, "pipelines.p.steps[3].id"), "must match ^[A-Za-z_][A-Za-z0-9_-]*$");
  EXPECT_EQ(at(problems, "pipelines.p.steps[5].id"), "duplicate step id \"ok-1_x\"");
  EXPECT_EQ(at(problems, "pipelines.p.steps[6].id"), "must be a non-empty string");
  EXPECT_EQ(at(problems, "pipelines.p.steps[7]"), "must be an object");
  EXPECT_EQ(problems.size(), 7u);
}

TEST(Pipelines, AServiceOrAModelWithTemplates) {
  auto problems = problems_of(R"({"p": [
    {"id": "a", "input": {"text": "t"}},
    {"id": "b", "service": "nope"},
    {"id": "c", "model": "nowhere/x", "prompt": "p"},
    {"id": "d", "model": "fast"},
    {"id": "e", "service": "plain", "prompt": "p", "schema": {}, "input": {"text": "t"}},
    {"id": "f", "model": "fast", "image": "u", "schema": [1]},
    {"id": "g", "service": "plain", "model": "ghost", "input": {"text": "t"}},
    {"id": "h", "service": "plain", "input": {"text": "t", "n": 2}, "colour": "red"}]})");
  EXPECT_EQ(at(problems, "pipelines.p[0]"), "a step needs a service, or a model with a prompt or an image");
  EXPECT_EQ(at(problems, "pipelines.p[1].service"), "unknown service \"nope\"");
  EXPECT_EQ(at(problems, "pipelines.p[2].model"), "unknown model \"nowhere/x\" (configure it under models, or write provider/model)");
  EXPECT_EQ(at(problems, "pipelines.p[3].prompt"), "a step with a model and no service needs a prompt or an image");
  EXPECT_EQ(at(problems, "pipelines.p[4].prompt"), "a step with a service takes its templates from the service");
  EXPECT_EQ(at(problems, "pipelines.p[4].schema"), "a step with a service takes its templates from the service");
  EXPECT_EQ(at(problems, "pipelines.p[5].schema"), "must be a JSON Schema (a JSON object)");
  EXPECT_EQ(at(problems, "pipelines.p[6].model"), "unknown model \"ghost\" (configure it under models, or write provider/model)");
  EXPECT_EQ(at(problems, "pipelines.p[7].input.n"), "must be a string template");
  EXPECT_EQ(at(problems, "pipelines.p[7].colour"), "unknown field");
  EXPECT_EQ(problems.size(), 10u);
}

TEST(Pipelines, StepControls) {
  auto problems = problems_of(R"({"p": {"steps": [
    {"id": "a", "service": "plain", "input": {"text": "t"}, "cache": "sometimes", "timeout_ms": 0, "on_error": "retry"},
    {"id": "b", "service": "plain", "input": {"text": "t"}, "on_error": "fallback_value"},
    {"id": "c", "service": "plain", "input": {"text": "t"}, "on_error": "skip", "fallback_value": "x"},
    {"id": "d", "service": "plain", "input": {"text": "t"}, "fallback_value": null},
    {"id": "e", "service": "plain", "input": {"text": "t"}, "when": {"input.x": {"$near": 1}}},
    {"id": "f", "service": "plain", "input": {"text": "t"}, "when": {"$or": [{"input..x": 1}]}},
    {"id": "g", "service": "plain", "input": {"text": "t"}, "when": []}]}})");
  EXPECT_EQ(at(problems, "pipelines.p.steps[0].cache"), "must be \"default\", \"no-store\", \"refresh\" or \"only\"");
  EXPECT_EQ(at(problems, "pipelines.p.steps[0].timeout_ms"), "must be a number from 1 to 3600000");
  EXPECT_EQ(at(problems, "pipelines.p.steps[0].on_error"), "must be \"fail\", \"skip\" or \"fallback_value\"");
  EXPECT_EQ(at(problems, "pipelines.p.steps[1].fallback_value"), "is required when on_error is \"fallback_value\"");
  EXPECT_EQ(at(problems, "pipelines.p.steps[2].fallback_value"), "only a step whose on_error is \"fallback_value\" takes one");
  EXPECT_EQ(at(problems, "pipelines.p.steps[3].fallback_value"), "only a step whose on_error is \"fallback_value\" takes one");
  EXPECT_EQ(at(problems, "pipelines.p.steps[4].when.input.x.$near"), "unknown operator (one of $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin)");
  EXPECT_EQ(at(problems, "pipelines.p.steps[5].when.$or[0].input..x"), "a field must be dot-separated names with no empty part");
  EXPECT_EQ(at(problems, "pipelines.p.steps[6].when"), "must be a non-empty object of field conditions, $and or $or");
  EXPECT_EQ(problems.size(), 9u);
}

TEST(Pipelines, FallbackValuesAreAnyJson) {
  auto config = load_ok(R"({"p": [{"id": "a", "service": "plain", "input": {"text": "t"}, "on_error": "fallback_value", "fallback_value": null},
                                  {"id": "b", "service": "plain", "input": {"text": "t"}, "on_error": "fallback_value", "fallback_value": "sorry"}]})");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->pipelines[0].steps[0].fallback_value, "null");
  EXPECT_EQ(config->pipelines[0].steps[1].fallback_value, "\"sorry\"");
}

TEST(Pipelines, ReferencesMustNameSomething) {
  auto problems = problems_of(R"({"p": {"steps": [
    {"id": "a", "service": "plain", "input": {"text": "{{ghost.text}}"}},
    {"id": "b", "service": "plain", "input": {"text": "{{a.txt}} {{a}} {{input..x}} {{}}"}},
    {"id": "c", "service": "plain", "input": {"text": "{{c.text}}"}},
    {"id": "d", "service": "plain", "input": {"text": "t"}, "when": {"a.text": "x", "ghost.json.x": 1}}],
    "output": "{{zed.text}}"}})");
  EXPECT_EQ(at(problems, "pipelines.p.steps[0].input.text"), "\"ghost.text\" names no step: \"ghost\" is not a step of this pipeline");
  int names_nothing = 0;
  for (const auto& p : problems)
    if (p.path == "pipelines.p.steps[1].input.text") {
      ++names_nothing;
      EXPECT_NE(p.message.find("names nothing (use input.<path>, <step>.text or <step>.json.<path>)"), std::string::npos) << p.message;
    }
  EXPECT_EQ(names_nothing, 4) << "a.txt, a, input..x, the empty placeholder";
  EXPECT_EQ(at(problems, "pipelines.p.steps[2].input.text"), "\"c.text\": a step cannot refer to itself");
  EXPECT_EQ(at(problems, "pipelines.p.steps[3].when"), "\"ghost.json.x\" names no step: \"ghost\" is not a step of this pipeline");
  EXPECT_EQ(at(problems, "pipelines.p.output"), "\"zed.text\" names no step: \"zed\" is not a step of this pipeline");
  EXPECT_EQ(problems.size(), 8u);
}

TEST(Pipelines, ArrayFormPathsAreTheStepsIndexes) {
  auto problems = problems_of(R"({"p": [{"id": "a", "service": "plain", "input": {"text": "t"}},
                                        {"id": "b", "service": "plain", "input": {"text": "{{nope.text}}"}}]})");
  EXPECT_EQ(at(problems, "pipelines.p[1].input.text"), "\"nope.text\" names no step: \"nope\" is not a step of this pipeline");
}

TEST(Pipelines, CyclesAreNamed) {
  auto problems = problems_of(R"({"loop": [
    {"id": "a", "service": "plain", "input": {"text": "{{b.text}}"}},
    {"id": "b", "service": "plain", "input": {"text": "t"}, "when": {"a.text": "x"}}],
    "long": {"steps": [
    {"id": "x", "service": "plain", "input": {"text": "{{input.q}}"}},
    {"id": "y", "service": "plain", "input": {"text": "{{z.text}} {{x.text}}"}},
    {"id": "z", "service": "plain", "input": {"text": "{{w.text}}"}},
    {"id": "w", "service": "plain", "input": {"text": "{{y.text}}"}}]}})");
  EXPECT_EQ(at(problems, "pipelines.loop"), "a cycle: a -> b -> a");
  EXPECT_EQ(at(problems, "pipelines.long"), "a cycle: y -> z -> w -> y");
  EXPECT_EQ(problems.size(), 2u);
}

TEST(Pipelines, JsonNeedsASchema) {
  auto problems = problems_of(R"({"p": {"steps": [
    {"id": "a", "service": "plain", "input": {"text": "t"}},
    {"id": "b", "model": "fast", "prompt": "{{x}}", "input": {"x": "{{a.json}}"}},
    {"id": "c", "model": "fast", "prompt": "{{x}}", "input": {"x": "{{b.json.k}}"}, "when": {"a.json.k": 1}}],
    "output": "{{c.json}}"}})");
  EXPECT_EQ(at(problems, "pipelines.p.steps[1].input.x"), "\"a.json\": step 'a' has no schema, so it has no json");
  EXPECT_EQ(at(problems, "pipelines.p.steps[2].input.x"), "\"b.json.k\": step 'b' has no schema, so it has no json");
  EXPECT_EQ(at(problems, "pipelines.p.steps[2].when"), "\"a.json.k\": step 'a' has no schema, so it has no json");
  EXPECT_EQ(at(problems, "pipelines.p.output"), "\"c.json\": step 'c' has no schema, so it has no json");
}

TEST(Pipelines, JsonPathsMustFitTheSchema) {
  auto problems = problems_of(R"({"p": {"steps": [
    {"id": "d", "service": "describe", "input": {"image": "{{input.image}}"}},
    {"id": "t", "service": "plain", "input": {"text": "{{d.json.txt}}"}},
    {"id": "u", "service": "plain", "input": {"text": "{{d.json.text.0}} {{d.json.tags.name}}"}},
    {"id": "v", "service": "plain", "input": {"text": "{{d.json.tags.0.nom}}"}}],
    "output": "{{d.json.score.x}}"}})");
  EXPECT_EQ(at(problems, "pipelines.p.steps[1].input.text"), "\"d.json.txt\" cannot exist: the schema of step 'd' has no property \"txt\"");
  int u = 0;
  for (const auto& p : problems)
    if (p.path == "pipelines.p.steps[2].input.text") ++u;
  EXPECT_EQ(u, 2) << "a string has no items; an array's items need an index";
  EXPECT_EQ(at(problems, "pipelines.p.steps[3].input.text"),
            "\"d.json.tags.0.nom\" cannot exist: the schema of step 'd' has no property \"nom\" under \"tags.0\"");
  EXPECT_EQ(at(problems, "pipelines.p.output"), "\"d.json.score.x\" cannot exist: the schema of step 'd' has no object at \"score\"");
  auto fine = load_ok(R"({"p": {"steps": [
    {"id": "d", "service": "describe", "input": {"image": "{{input.image}}"}},
    {"id": "t", "service": "plain", "input": {"text": "{{d.json.text}} {{d.json.tags.3.name}} {{d.json.extra.any.thing}} {{d.json}}"}}],
    "output": "{{d.json.tags}}"}})");
  EXPECT_TRUE(fine);
}

TEST(Pipelines, AServiceNeedsItsFields) {
  auto problems = problems_of(R"({"p": [
    {"id": "a", "service": "translate", "input": {"text": "{{input.t}}"}},
    {"id": "b", "model": "fast", "system": "{{tone}}", "prompt": "{{q}} {{q}}", "input": {"tone": "dry"}}]})");
  EXPECT_EQ(at(problems, "pipelines.p[0].input"), "service 'translate' needs input field 'lang'");
  EXPECT_EQ(at(problems, "pipelines.p[1].input"), "the step's templates need input field 'q'");
  EXPECT_EQ(problems.size(), 2u);
}

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, error)) << error;
  return doc;
}

bool allows(std::string_view schema, std::vector<std::string> path, std::string* why_out = nullptr) {
  auto doc = parse(schema);
  std::string why;
  bool ok = pipelines::schema_allows(doc, path, why);
  if (why_out) *why_out = why;
  return ok;
}

TEST(SchemaAllows, WalksPropertiesAndItemsAndStopsWhereAnythingGoes) {
  std::string why;
  EXPECT_TRUE(allows(R"({"type": "object", "properties": {"a": {"type": "string"}}})", {"b", "c"}))
      << "additionalProperties not false: anything";
  EXPECT_FALSE(allows(R"({"properties": {"a": {"type": "string"}}, "additionalProperties": false})", {"b"}, &why));
  EXPECT_EQ(why, "has no property \"b\"");
  EXPECT_FALSE(allows(R"({"properties": {"a": {"type": "string"}}})", {"a", "b"}, &why));
  EXPECT_EQ(why, "has no object at \"a\"");
  EXPECT_FALSE(allows(R"({"type": "object", "properties": {"a": {"type": "integer"}}})", {"a", "0"}, &why));
  EXPECT_EQ(why, "has no array at \"a\"");
  EXPECT_TRUE(allows(R"({"type": "array"})", {"7", "x"})) << "no items: anything";
  EXPECT_TRUE(allows(R"({"type": ["array", "null"], "items": {"type": "string"}})", {"0"}));
  EXPECT_FALSE(allows(R"({"type": "array", "items": {"type": "string"}})", {"x"}, &why));
  EXPECT_EQ(why, "has no object at the top");
  EXPECT_TRUE(allows(R"({"type": "object", "additionalProperties": {"type": "object", "properties": {"n": {}}, "additionalProperties": false}})", {"k", "n"}));
  EXPECT_FALSE(allows(R"({"type": "object", "additionalProperties": {"type": "object", "properties": {"n": {}}, "additionalProperties": false}})", {"k", "m"}));
  for (const char* any : {R"({"$ref": "#/x"})", R"({"anyOf": [{"type": "string"}]})", R"({"oneOf": []})", R"({"allOf": []})", "true", "{}"})
    EXPECT_TRUE(allows(any, {"a", "0", "b"})) << any;
  EXPECT_FALSE(allows("false", {"a"}, &why));
  EXPECT_EQ(why, "allows no value");
  EXPECT_TRUE(allows(R"({"type": "string"})", {}));
}

TEST(Services, ASchemaIsKeptAsJsonText) {
  auto config = load_ok(R"({})");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->find_service("translate")->schema, "") << "no schema: a text answer";
  const std::string& schema = config->find_service("describe")->schema;
  auto doc = parse(schema);
  EXPECT_STREQ(doc["type"].GetString(), "object");
  EXPECT_FALSE(doc["additionalProperties"].GetBool());
  std::vector<Problem> problems;
  for (const char* bad : {R"("object")", "[]", "true", "null"}) {
    std::string text = R"({"providers": {"e": {"type": "echo"}}, "services": {"s": {"model": "e/m", "prompt": "p", "schema": )" +
                       std::string(bad) + "}}}";
    EXPECT_EQ(load(text, "{}", problems), nullptr) << bad;
    EXPECT_EQ(at(problems, "services.s.schema"), "must be a JSON Schema (a JSON object)") << bad;
  }
}

}  // namespace
}  // namespace sy::config
