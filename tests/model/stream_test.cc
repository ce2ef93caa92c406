// Assembling canonical stream events into an answer, and replaying an answer as events (port of
// main's tests/providers/assemble_test.cc to canonical events).
#include "model/stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sy::model {
namespace {

using Type = StreamEvent::Type;

// A readable form of an answer's outputs and usage, for comparisons.
std::string describe(const Answer& a) {
  std::string out;
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    const Output& o = a.outputs[i];
    out += "output " + std::to_string(i) + ": text" + (o.has_text ? "=" : "(absent)=") + o.text + " refusal=" + o.refusal +
           " finish=" + std::string(finish_name(o.finish)) + "\n";
    for (const Reasoning& r : o.reasoning)
      out += "  reasoning " + r.text + " sig=" + r.signature + (r.redacted ? " redacted" : "") + "\n";
    for (const ToolCall& c : o.tool_calls) out += "  call " + c.id + " " + c.name + " " + c.arguments + "\n";
  }
  if (a.usage.known)
    out += "usage " + std::to_string(a.usage.prompt_tokens) + "+" + std::to_string(a.usage.completion_tokens) + " cached " +
           std::to_string(a.usage.cached_tokens) + " reasoning " + std::to_string(a.usage.reasoning_tokens) + " cost " +
           std::to_string(a.usage.cost) + "\n";
  return out;
}

Answer completion() {
  Answer a;
  Output o;
  o.text = "Hello \"there\"";
  o.has_text = true;
  o.tool_calls.push_back({"call_a", "get", "{\"x\":1}"});
  o.finish = Finish::tool_calls;
  a.outputs.push_back(o);
  a.usage = {true, 3, 4, -1, -1, 0.5};
  return a;
}

Answer assemble(const std::vector<StreamEvent>& events) {
  Assembler assembler;
  assembler.add(events);
  return assembler.finish();
}

TEST(Stream, ReplayThenAssembleIsTheSameAnswer) {
  Answer a = completion();
  for (bool by_word : {false, true}) {
    std::vector<StreamEvent> events;
    replay(a, by_word, events);
    EXPECT_EQ(describe(assemble(events)), describe(a)) << "by_word " << by_word;
  }
}

TEST(Stream, ReplayOrderAndWords) {
  Answer a;
  Output o;
  o.reasoning.push_back({"think", "sig-1", false});
  o.reasoning.push_back({"opaque", "", true});
  o.text = " one two  three\nfour é";
  o.has_text = true;
  o.finish = Finish::length;
  a.outputs.push_back(o);
  std::vector<StreamEvent> events;
  replay(a, true, events);
  std::vector<std::string> got;
  for (const StreamEvent& e : events) got.push_back(std::to_string(int(e.type)) + ":" + std::string(e.text));
  std::vector<std::string> expected = {"1:think", "1:opaque", "0: ", "0:one ", "0:two  ", "0:three\n", "0:four ", "0:é", "5:"};
  EXPECT_EQ(got, expected);
  EXPECT_EQ(events[0].signature, "sig-1");
  EXPECT_TRUE(events[1].redacted);
  EXPECT_EQ(events.back().finish, Finish::length);
  EXPECT_EQ(describe(assemble(events)), describe(a));
}

TEST(Stream, WithoutUsageTheReplayHasNoUsageEvent) {
  Answer a = completion();
  a.usage = {};
  std::vector<StreamEvent> events;
  replay(a, false, events);
  for (const StreamEvent& e : events) EXPECT_NE(e.type, Type::usage);
  a.usage.known = true;
  events.clear();
  replay(a, false, events);
  EXPECT_EQ(events.back().type, Type::usage);
}

TEST(Stream, EmptyAndAbsentTextSurviveAReplay) {
  Answer a;
  a.outputs.resize(2);
  a.outputs[0].has_text = true;  // "" given
  a.outputs[1].tool_calls.push_back({"c", "f", "{}"});
  a.outputs[1].finish = Finish::tool_calls;
  std::vector<StreamEvent> events;
  replay(a, true, events);
  EXPECT_EQ(describe(assemble(events)), describe(a));
}

TEST(Stream, AssemblesDeltasAndToolCallFragments) {
  std::vector<StreamEvent> events = {
      {.type = Type::text, .text = "He"},
      {.type = Type::text, .text = "llo"},
      {.type = Type::tool_call, .tool = 0, .text = "{\"a\"", .id = "t1", .name = "f"},
      {.type = Type::tool_arguments, .tool = 0, .text = ":2}"},
      {.type = Type::finish, .finish = Finish::tool_calls},
      {.type = Type::usage, .usage = {true, 1, 2, -1, -1, -1}},
  };
  Assembler assembler;
  assembler.add(std::span(events).subspan(0, 2));
  assembler.add(std::span(events).subspan(2));
  Answer done = assembler.finish();
  EXPECT_EQ(done.kind, Kind::chat);
  ASSERT_EQ(done.outputs.size(), 1u);
  EXPECT_EQ(done.outputs[0].text, "Hello");
  ASSERT_EQ(done.outputs[0].tool_calls.size(), 1u);
  EXPECT_EQ(done.outputs[0].tool_calls[0].id, "t1");
  EXPECT_EQ(done.outputs[0].tool_calls[0].name, "f");
  EXPECT_EQ(done.outputs[0].tool_calls[0].arguments, "{\"a\":2}");
  EXPECT_EQ(done.outputs[0].finish, Finish::tool_calls);
  EXPECT_EQ(done.usage.completion_tokens, 2);
}

TEST(Stream, ReasoningBlocksSplitAtSignaturesAndRedactions) {
  std::vector<StreamEvent> events = {
      {.type = Type::reasoning, .text = "Let me "},
      {.type = Type::reasoning, .text = "think."},
      {.type = Type::reasoning, .signature = "sig-a"},
      {.type = Type::reasoning, .text = "EqQBCgIYAh", .redacted = true},
      {.type = Type::reasoning, .text = "More."},
      {.type = Type::reasoning, .text = " Done", .signature = "sig-b"},
      {.type = Type::text, .text = "42"},
  };
  Answer a = assemble(events);
  ASSERT_EQ(a.outputs.size(), 1u);
  const auto& r = a.outputs[0].reasoning;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].text, "Let me think.");
  EXPECT_EQ(r[0].signature, "sig-a");
  EXPECT_EQ(r[1].text, "EqQBCgIYAh");
  EXPECT_TRUE(r[1].redacted);
  EXPECT_EQ(r[2].text, "More. Done");
  EXPECT_EQ(r[2].signature, "sig-b");
  EXPECT_EQ(a.outputs[0].finish, Finish::none);  // no finish event yet
}

TEST(Stream, SeveralOutputsAndRefusals) {
  std::vector<StreamEvent> events = {
      {.type = Type::text, .output = 1, .text = "B"},
      {.type = Type::refusal, .output = 0, .text = "I can't"},
      {.type = Type::refusal, .output = 0, .text = " help."},
      {.type = Type::finish, .output = 0, .finish = Finish::content_filter},
      {.type = Type::finish, .output = 1, .finish = Finish::stop},
  };
  Answer a = assemble(events);
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[0].refusal, "I can't help.");
  EXPECT_FALSE(a.outputs[0].has_text);
  EXPECT_EQ(a.outputs[0].finish, Finish::content_filter);
  EXPECT_EQ(a.outputs[1].text, "B");
  std::vector<StreamEvent> replayed;
  replay(a, false, replayed);
  EXPECT_EQ(describe(assemble(replayed)), describe(a));
}

TEST(Stream, GarbageIsBounded) {
  Error error{502, ErrorType::provider_unavailable, "boom"};
  std::vector<StreamEvent> events = {
      {.type = Type::text, .output = 100000, .text = "far"},
      {.type = Type::text, .output = -1, .text = "negative"},
      {.type = Type::tool_call, .tool = 5000, .text = "{}", .id = "x", .name = "y"},
      {.type = Type::tool_arguments, .tool = -3, .text = "{}"},
      {.type = Type::error, .error = &error},
  };
  Answer a = assemble(events);
  ASSERT_EQ(a.outputs.size(), 1u);  // output 0 was touched by the tool events
  EXPECT_TRUE(a.outputs[0].tool_calls.empty());
  EXPECT_FALSE(a.outputs[0].has_text);
  EXPECT_EQ(assemble({}).outputs.size(), 0u);
}

}  // namespace
}  // namespace sy::model
