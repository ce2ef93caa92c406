// The Messages ingress: the stream writer (anthropic_messages_stream.cc). Sequences follow
// Anthropic's streaming reference; an accumulator that reads events the way the official SDK's
// MessageStream does checks that a stream amounts to the Message a non-stream answer is.
#include <gtest/gtest.h>

#include <vector>

#include "ingress/anthropic_messages.h"
#include "ingress/anthropic_messages_impl.h"
#include "ingress/ingress_test_util.h"
#include "model/stream.h"

namespace sy::ingress::anthropic_messages {
namespace {

using testing::parse;
using Type = model::StreamEvent::Type;

std::string dump(const json::Value& v) {
  std::string out;
  json::append_value(out, v);
  return out;
}

struct Sse {
  std::string event;
  std::string data;
};

// The SSE events of `text`; every event must have exactly one `event:` and one `data:` line.
std::vector<Sse> split(std::string_view text) {
  std::vector<Sse> out;
  while (!text.empty()) {
    size_t end = text.find("\n\n");
    EXPECT_NE(end, std::string_view::npos) << "an event ends with a blank line: " << text;
    if (end == std::string_view::npos) break;
    std::string_view e = text.substr(0, end);
    text.remove_prefix(end + 2);
    size_t nl = e.find('\n');
    EXPECT_EQ(e.substr(0, 7), "event: ");
    EXPECT_EQ(e.substr(nl + 1, 6), "data: ");
    EXPECT_EQ(e.find('\n', nl + 1), std::string_view::npos) << "one data line";
    Sse sse{std::string(e.substr(7, nl - 7)), std::string(e.substr(nl + 7))};
    auto doc = parse(sse.data);
    if (sse.event != "ping") EXPECT_EQ(json::view(doc["type"]), sse.event) << "the name is the data's type";
    out.push_back(std::move(sse));
  }
  return out;
}

std::vector<std::string> names(const std::vector<Sse>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.event);
  return out;
}

// The Message a client accumulates, as the SDK's MessageStream does: content blocks pushed at
// content_block_start and extended by deltas at their index, input JSON parsed at the end,
// message_delta's stop_reason and usage. Fails the test on events out of order.
std::string accumulate(const std::vector<Sse>& events) {
  json::Document message;
  std::vector<std::string> inputs;
  for (const Sse& e : events) {
    json::Document d = parse(e.data);
    auto& alloc = message.GetAllocator();
    if (e.event == "message_start") {
      EXPECT_TRUE(message.IsNull()) << "one message_start";
      static_cast<json::Value&>(message) = json::copy(d["message"], alloc);
      continue;
    }
    EXPECT_TRUE(message.IsObject()) << e.event << " before message_start";
    if (!message.IsObject()) return {};
    if (e.event == "content_block_start") {
      EXPECT_EQ(d["index"].GetUint(), message["content"].Size()) << "blocks are numbered in order";
      json::Value block = json::copy(d["content_block"], alloc);
      message["content"].PushBack(block, alloc);
      inputs.emplace_back();
    } else if (e.event == "content_block_delta") {
      unsigned i = d["index"].GetUint();
      EXPECT_LT(i, message["content"].Size());
      json::Value& block = message["content"][i];
      std::string_view type = json::view(d["delta"]["type"]);
      auto extend = [&](const char* member, const char* piece) {
        std::string s = std::string(json::view(block[member])) + std::string(json::view(d["delta"][piece]));
        block[member].SetString(s.c_str(), rapidjson::SizeType(s.size()), alloc);
      };
      if (type == "text_delta") extend("text", "text");
      else if (type == "thinking_delta") extend("thinking", "thinking");
      else if (type == "signature_delta") block["signature"] = json::copy(d["delta"]["signature"], alloc);
      else if (type == "input_json_delta") inputs[i] += json::view(d["delta"]["partial_json"]);
      else ADD_FAILURE() << "unknown delta " << type;
    } else if (e.event == "content_block_stop") {
      unsigned i = d["index"].GetUint();
      json::Value& block = message["content"][i];
      if (json::view(block["type"]) == "tool_use" && !inputs[i].empty()) {
        json::Document input = parse(inputs[i]);
        block["input"] = json::copy(input, alloc);
      }
    } else if (e.event == "message_delta") {
      message["stop_reason"] = json::copy(d["delta"]["stop_reason"], alloc);
      for (auto& m : d["usage"].GetObject()) message["usage"][m.name.GetString()] = json::copy(m.value, alloc);
    } else if (e.event != "message_stop" && e.event != "ping") {
      ADD_FAILURE() << "unexpected event " << e.event;
    }
  }
  return dump(message);
}

Context context(const model::Request* request = nullptr) {
  Context ctx;
  ctx.request_id = "req_01ABC";
  ctx.created = 1700000000;
  ctx.model = "claude-sonnet-4-20250514";
  ctx.request = request;
  return ctx;
}

model::StreamEvent event(Type type, std::string_view text = {}) {
  model::StreamEvent e;
  e.type = type;
  e.text = text;
  return e;
}

// Renders `events`, one group per event, then close(usage).
std::string render(const std::vector<model::StreamEvent>& events, const model::Usage& usage,
                   const model::Request* request = nullptr) {
  auto writer = kCodec.stream(context(request));
  std::string out;
  for (const auto& e : events) writer->events({&e, 1}, {}, out);
  writer->close(usage, out);
  EXPECT_TRUE(writer->answer().empty());
  return out;
}

TEST(AnthropicMessagesStream, TextAsTheReferenceShowsIt) {
  model::Request request;
  request.messages.push_back({model::Role::user, {}, {}, nullptr});
  std::vector<model::StreamEvent> events = {event(Type::text, "Hello"), event(Type::text, "!")};
  model::StreamEvent finish = event(Type::finish);
  finish.finish = model::Finish::stop;
  events.push_back(finish);
  std::string out = render(events, {true, 25, 15, -1, -1, -1}, &request);
  EXPECT_EQ(out,
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01ABC\",\"type\":\"message\","
            "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\",\"content\":[],\"stop_reason\":null,"
            "\"stop_sequence\":null,\"usage\":{\"input_tokens\":4,\"cache_creation_input_tokens\":0,"
            "\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n"
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            "{\"type\":\"text\",\"text\":\"\"}}\n\n"
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
            "{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
            "{\"type\":\"text_delta\",\"text\":\"!\"}}\n\n"
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            "\"stop_sequence\":null},\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,"
            "\"cache_read_input_tokens\":0,\"output_tokens\":15}}\n\n"
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  split(out);
}

// Thinking with its signature, a second thinking block, redacted thinking, text, two tool calls
// whose arguments arrive in pieces: the block sequence of the extended-thinking and tool-use
// streaming examples.
TEST(AnthropicMessagesStream, ThinkingTextAndToolCalls) {
  std::vector<model::StreamEvent> events;
  events.push_back(event(Type::reasoning, "Let me solve this step by step:\n\n1. First break down 27 * 453"));
  events.push_back(event(Type::reasoning, "\n2. 453 = 400 + 50 + 3"));
  model::StreamEvent sig = event(Type::reasoning);
  sig.signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds";
  events.push_back(sig);
  events.push_back(event(Type::reasoning, "Second thought."));
  model::StreamEvent redacted = event(Type::reasoning, "EmwKAhgBEgy3va3pzix");
  redacted.redacted = true;
  events.push_back(redacted);
  events.push_back(event(Type::text, "Okay, let's check."));
  model::StreamEvent call = event(Type::tool_call, "");
  call.id = "toolu_01T1x1fJ34qAmk2tNTrN7Up6";
  call.name = "get_weather";
  events.push_back(call);
  model::StreamEvent args = event(Type::tool_arguments, "{\"location\": \"San Fra");
  events.push_back(args);
  args.text = "ncisco, CA\"}";
  events.push_back(args);
  model::StreamEvent second = event(Type::tool_call, "{}");
  second.tool = 1;
  second.name = "get_time";
  events.push_back(second);
  model::StreamEvent finish = event(Type::finish);
  finish.finish = model::Finish::tool_calls;
  events.push_back(finish);
  events.push_back(event(Type::usage));
  std::string out = render(events, {true, 472, 89, 400, -1, -1});
  auto sse = split(out);
  EXPECT_EQ(names(sse), (std::vector<std::string>{
                            "message_start",
                            "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
                            "content_block_stop",
                            "content_block_start", "content_block_delta", "content_block_stop",
                            "content_block_start", "content_block_stop",
                            "content_block_start", "content_block_delta", "content_block_stop",
                            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                            "content_block_start", "content_block_delta", "content_block_stop",
                            "message_delta", "message_stop"}));
  EXPECT_EQ(sse[4].data,
            R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}})");
  EXPECT_EQ(sse[9].data,
            R"({"type":"content_block_start","index":2,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}})");
  EXPECT_EQ(sse[14].data,
            R"({"type":"content_block_start","index":4,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}})");
  EXPECT_EQ(sse[15].data,
            R"({"type":"content_block_delta","index":4,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}})");
  auto message = parse(accumulate(sse));
  EXPECT_EQ(dump(message["content"]),
            R"([{"type":"thinking","thinking":"Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3",)"
            R"("signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},)"
            R"({"type":"thinking","thinking":"Second thought.","signature":""},)"
            R"({"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"},)"
            R"({"type":"text","text":"Okay, let's check."},)"
            R"({"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{"location":"San Francisco, CA"}},)"
            R"({"type":"tool_use","id":"toolu_1","name":"get_time","input":{}}])");
  EXPECT_STREQ(message["stop_reason"].GetString(), "tool_use");
  EXPECT_EQ(dump(message["usage"]),
            R"({"input_tokens":72,"cache_creation_input_tokens":0,"cache_read_input_tokens":400,"output_tokens":89})");
}

// Property: for answers of every shape, the stream (the exchange replays cached answers this
// way) accumulates to the very Message the non-stream answer is.
TEST(AnthropicMessagesStream, AStreamAmountsToTheNonStreamMessage) {
  std::vector<model::Answer> answers(4);
  answers[0].outputs.emplace_back().text = "Hello there, how are you today?";
  model::Output& rich = answers[1].outputs.emplace_back();
  rich.reasoning.push_back({"think", "sig-1", false});
  rich.reasoning.push_back({"more", "sig-2", false});
  rich.reasoning.push_back({"opaque", "", true});
  rich.text = "Answer.";
  rich.tool_calls.push_back({"toolu_a", "f", R"({"a":[1,2,{"b":null}]})"});
  rich.tool_calls.push_back({"toolu_b", "g", "{}"});
  rich.finish = model::Finish::tool_calls;
  answers[2].outputs.emplace_back().finish = model::Finish::length;
  answers[3].outputs.emplace_back().refusal = "No.";
  answers[3].outputs[0].finish = model::Finish::content_filter;
  for (model::Answer& a : answers) {
    a.model = "claude-sonnet-4-20250514";
    a.usage = {true, 120, 30, 20, -1, -1};
    for (bool by_word : {false, true}) {
      std::vector<model::StreamEvent> events;
      model::replay(a, by_word, events);
      std::string streamed = accumulate(split(render(events, a.usage)));
      auto expected = parse(kCodec.answer("", &a, context()));
      EXPECT_EQ(streamed, dump(expected));
    }
  }
}

TEST(AnthropicMessagesStream, UpstreamEventsOfThisFormatPassThrough) {
  auto writer = kCodec.stream(context());
  std::string out;
  const char* start = R"({"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-20250514","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}})";
  writer->events({}, {model::Format::anthropic_messages, "message_start", start}, out);
  writer->events({}, {model::Format::anthropic_messages, "ping", R"({"type": "ping"})"}, out);
  model::StreamEvent text = event(Type::text, "Hello");
  writer->events({&text, 1},
                 {model::Format::anthropic_messages, "",
                  R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})"},
                 out);
  // Raw events of another format are not this format's: the canonical events are rendered.
  writer->events({&text, 1}, {model::Format::openai_chat, "", R"({"choices":[]})"}, out);
  writer->events({}, {model::Format::anthropic_messages, "message_stop", R"({"type":"message_stop"})"}, out);
  writer->close({true, 25, 15, -1, -1, -1}, out);
  auto sse = split(out);
  EXPECT_EQ(names(sse), (std::vector<std::string>{"message_start", "ping", "content_block_delta", "content_block_start",
                                                  "content_block_delta", "message_stop"}));
  EXPECT_EQ(sse[0].data, start);
  EXPECT_EQ(sse[1].data, R"({"type": "ping"})");
  EXPECT_EQ(out.find("message_delta"), std::string::npos) << "the upstream's own end, nothing added";
}

TEST(AnthropicMessagesStream, AFailureEndsTheStreamInBand) {
  Error overloaded{502, ErrorType::provider_unavailable, "upstream claude failed mid-stream: Overloaded", "overloaded_error"};
  model::StreamEvent failure = event(Type::error);
  failure.error = &overloaded;
  auto writer = kCodec.stream(context());
  std::string out;
  model::StreamEvent text = event(Type::text, "Hel");
  writer->events({&text, 1}, {}, out);
  // An error event wins over the raw event it came with.
  writer->events({&failure, 1}, {model::Format::anthropic_messages, "error", R"({"type":"error"})"}, out);
  writer->events({&text, 1}, {}, out);  // nothing after the error
  writer->close({}, out);
  auto sse = split(out);
  EXPECT_EQ(names(sse), (std::vector<std::string>{"message_start", "content_block_start", "content_block_delta", "error"}));
  auto error = parse(sse.back().data);
  EXPECT_STREQ(error["type"].GetString(), "error");
  EXPECT_STREQ(error["error"]["type"].GetString(), "overloaded_error");
  EXPECT_STREQ(error["error"]["message"].GetString(), "upstream claude failed mid-stream: Overloaded");
  EXPECT_STREQ(error["error"]["metadata"]["error_type"].GetString(), "provider_unavailable");
  // An error event without its error still says something.
  model::StreamEvent bare = event(Type::error);
  auto other = kCodec.stream(context());
  std::string more;
  other->events({&bare, 1}, {}, more);
  EXPECT_EQ(names(split(more)), std::vector<std::string>{"error"});
  EXPECT_STREQ(parse(split(more)[0].data)["error"]["type"].GetString(), "api_error");
}

TEST(AnthropicMessagesStream, EmptyStreamsAndUnknownUsage) {
  auto writer = kCodec.stream(context());
  std::string out;
  writer->close({}, out);
  writer->close({}, out);  // once only
  auto sse = split(out);
  EXPECT_EQ(names(sse), (std::vector<std::string>{"message_start", "message_delta", "message_stop"}));
  EXPECT_EQ(sse[1].data, R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}})");
  // Arguments of a tool call that never started, empty texts: nothing.
  model::StreamEvent orphan = event(Type::tool_arguments, "{}");
  orphan.tool = 3;
  model::StreamEvent empty = event(Type::text, "");
  auto second = kCodec.stream(context());
  std::string more;
  second->events({&orphan, 1}, {}, more);
  second->events({&empty, 1}, {}, more);
  EXPECT_EQ(names(split(more)), std::vector<std::string>{"message_start"});
}

}  // namespace
}  // namespace sy::ingress::anthropic_messages
