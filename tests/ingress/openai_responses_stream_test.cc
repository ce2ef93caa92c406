// The Responses stream writer (src/ingress/openai_responses_stream.cc): the typed events in the
// order the SDKs' accumulators expect, checked against a replica of openai-node's
// accumulateResponse (every delta names an output and content part that exists, the snapshot it
// builds is the final Response's output), failures, and upstream events forwarded as they came.
#include "ingress/openai_responses_stream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ingress/ingress_test_util.h"
#include "ingress/openai_responses.h"

namespace sy::ingress::openai_responses {
namespace {

using Type = model::StreamEvent::Type;
using json::Value;

struct Sse {
  std::string event;
  std::string data;
};

// The events of an SSE text: each "event: …\ndata: …\n\n".
std::vector<Sse> events_of(std::string_view text) {
  std::vector<Sse> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find("\n\n", at);
    EXPECT_NE(end, std::string_view::npos) << "an unterminated event: " << text.substr(at);
    if (end == std::string_view::npos) break;
    std::string_view block = text.substr(at, end - at);
    Sse e;
    for (size_t line = 0; line < block.size();) {
      size_t stop = block.find('\n', line);
      if (stop == std::string_view::npos) stop = block.size();
      std::string_view l = block.substr(line, stop - line);
      if (l.substr(0, 7) == "event: ") e.event = l.substr(7);
      else if (l.substr(0, 6) == "data: ") e.data = l.substr(6);
      else ADD_FAILURE() << "unexpected line: " << l;
      line = stop + 1;
    }
    out.push_back(std::move(e));
    at = end + 2;
  }
  return out;
}

// (Values are copied with json::copy: parsed documents hold their strings in place.)
// A replica of openai-node's accumulateResponse (src/lib/responses/ResponseAccumulator.ts): it
// fails the test where the SDK would throw.
class Accumulator {
 public:
  void add(const Sse& e) {
    json::Document event;
    std::string error;
    ASSERT_TRUE(json::parse(e.data, event, error)) << e.data;
    std::string type = event["type"].GetString();
    ASSERT_EQ(type, e.event) << "the SSE name is the event's type";
    ASSERT_TRUE(event.HasMember("sequence_number"));
    if (!types.empty() && sequence_ >= 0) EXPECT_EQ(event["sequence_number"].GetInt64(), sequence_ + 1) << e.data;
    sequence_ = event["sequence_number"].GetInt64();
    types.push_back(type);
    ASSERT_FALSE(event.HasMember("error")) << "openai-node throws on an event with a top-level error member";
    if (!started_) {
      ASSERT_EQ(type, "response.created") << "the first event must be response.created";
      started_ = true;
    }
    apply(type, event);
  }

  std::vector<std::string> types;
  json::Document snapshot{rapidjson::kObjectType};

 private:
  Value& output(const json::Document& event) {
    size_t i = event["output_index"].GetUint();
    EXPECT_LT(i, snapshot["output"].Size()) << "missing output at index " << i;
    static Value none;
    return i < snapshot["output"].Size() ? snapshot["output"][rapidjson::SizeType(i)] : none;
  }
  Value& content(Value& array, size_t i) {
    EXPECT_TRUE(array.IsArray() && i < array.Size()) << "missing content at index " << i;
    static Value none;
    return array.IsArray() && i < array.Size() ? array[rapidjson::SizeType(i)] : none;
  }
  void append(Value& target, const char* member, const Value& delta) {
    ASSERT_TRUE(target.IsObject() && target.HasMember(member));
    std::string text = std::string(target[member].GetString()) + delta.GetString();
    target[member].SetString(text.c_str(), rapidjson::SizeType(text.size()), snapshot.GetAllocator());
  }
  void apply(const std::string& type, const json::Document& event) {
    auto& alloc = snapshot.GetAllocator();
    if (type == "response.created" || type == "response.in_progress" || type == "response.completed" ||
        type == "response.incomplete" || type == "response.failed") {
      snapshot.CopyFrom(json::copy(event["response"], alloc), alloc);
    } else if (type == "response.output_item.added") {
      ASSERT_EQ(event["output_index"].GetUint(), snapshot["output"].Size()) << "items are added in order";
      snapshot["output"].PushBack(json::copy(event["item"], alloc), alloc);
    } else if (type == "response.output_item.done") {
      output(event) = json::copy(event["item"], alloc);
    } else if (type == "response.content_part.added") {
      Value& item = output(event);
      ASSERT_STREQ(item["type"].GetString(), "message");
      ASSERT_EQ(event["content_index"].GetUint(), item["content"].Size());
      item["content"].PushBack(json::copy(event["part"], alloc), alloc);
    } else if (type == "response.content_part.done") {
      content(output(event)["content"], event["content_index"].GetUint()) = json::copy(event["part"], alloc);
    } else if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      Value& part = content(output(event)["content"], event["content_index"].GetUint());
      bool text = type == "response.output_text.delta";
      ASSERT_STREQ(part["type"].GetString(), text ? "output_text" : "refusal");
      append(part, text ? "text" : "refusal", event["delta"]);
    } else if (type == "response.output_text.done" || type == "response.refusal.done") {
      Value& part = content(output(event)["content"], event["content_index"].GetUint());
      bool text = type == "response.output_text.done";
      ASSERT_STREQ(part["type"].GetString(), text ? "output_text" : "refusal");
      EXPECT_EQ(part[text ? "text" : "refusal"], event[text ? "text" : "refusal"]);
    } else if (type == "response.function_call_arguments.delta") {
      Value& item = output(event);
      ASSERT_STREQ(item["type"].GetString(), "function_call");
      append(item, "arguments", event["delta"]);
    } else if (type == "response.function_call_arguments.done") {
      EXPECT_EQ(output(event)["arguments"], event["arguments"]);
    } else if (type == "response.reasoning_summary_part.added") {
      Value& item = output(event);
      ASSERT_STREQ(item["type"].GetString(), "reasoning");
      ASSERT_EQ(event["summary_index"].GetUint(), item["summary"].Size());
      item["summary"].PushBack(json::copy(event["part"], alloc), alloc);
    } else if (type == "response.reasoning_summary_text.delta") {
      append(content(output(event)["summary"], event["summary_index"].GetUint()), "text", event["delta"]);
    } else if (type == "response.reasoning_summary_text.done" || type == "response.reasoning_summary_part.done") {
      content(output(event)["summary"], event["summary_index"].GetUint());
    } else if (type != "error") {
      ADD_FAILURE() << "openai-node's accumulator throws on an unknown event: " << type;
    }
  }

  bool started_ = false;
  int64_t sequence_ = -1;
};

model::StreamEvent event(Type type, std::string_view text = {}) {
  model::StreamEvent e;
  e.type = type;
  e.text = text;
  return e;
}

model::StreamEvent finish(model::Finish f) {
  model::StreamEvent e = event(Type::finish);
  e.finish = f;
  return e;
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override { open(R"({"model": "fast", "input": "hi", "stream": true})"); }

  void open(std::string_view body) {
    request = testing::decode(kCodec, body);
    ASSERT_TRUE(request.ok) << request.error.message;
    Context ctx{"req_s1", 1700000000, "gpt-4o-mini", &request.request()};
    writer = kCodec.stream(ctx);
    text.clear();
  }
  // One group of events, as one upstream event's worth.
  void send(std::vector<model::StreamEvent> events, model::RawEvent raw = {}) { writer->events(events, raw, text); }
  void close(model::Usage usage = {true, 12, 5, -1, -1, -1}) { writer->close(usage, text); }
  Accumulator accumulate() {
    if (getenv("SY_DUMP")) fprintf(stderr, "%s\n", text.c_str());
    Accumulator acc;
    for (const Sse& e : events_of(text)) {
      acc.add(e);
      if (::testing::Test::HasFatalFailure()) break;
    }
    return acc;
  }

  testing::Decoded request;
  std::unique_ptr<StreamWriter> writer;
  std::string text;
};

TEST_F(StreamTest, TextInTheOrderTheSdksExpect) {
  send({event(Type::text, "Hel")});
  send({event(Type::text, "lo!")});
  send({finish(model::Finish::stop)});
  close();
  Accumulator acc = accumulate();
  EXPECT_EQ(acc.types, (std::vector<std::string>{
                           "response.created", "response.in_progress", "response.output_item.added",
                           "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                           "response.output_text.done", "response.content_part.done", "response.output_item.done",
                           "response.completed"}));
  auto events = events_of(text);
  auto created = testing::parse(events[0].data);
  EXPECT_EQ(created["sequence_number"].GetInt(), 0);
  EXPECT_STREQ(created["response"]["id"].GetString(), "resp_s1");
  EXPECT_STREQ(created["response"]["status"].GetString(), "in_progress");
  EXPECT_STREQ(created["response"]["model"].GetString(), "gpt-4o-mini");
  EXPECT_TRUE(created["response"]["usage"].IsNull());
  EXPECT_EQ(created["response"]["output"].Size(), 0u);
  auto delta = testing::parse(events[4].data);
  EXPECT_STREQ(delta["item_id"].GetString(), "msg_s1_0");
  EXPECT_EQ(delta["output_index"].GetInt(), 0);
  EXPECT_EQ(delta["content_index"].GetInt(), 0);
  EXPECT_STREQ(delta["delta"].GetString(), "Hel");
  EXPECT_TRUE(delta["logprobs"].IsArray());
  auto done = testing::parse(events[6].data);
  EXPECT_STREQ(done["text"].GetString(), "Hello!");
  auto completed = testing::parse(events.back().data);
  const Value& response = completed["response"];
  EXPECT_STREQ(response["status"].GetString(), "completed");
  EXPECT_STREQ(response["output"][0]["content"][0]["text"].GetString(), "Hello!");
  EXPECT_EQ(response["usage"]["input_tokens"].GetInt(), 12);
  EXPECT_EQ(response["usage"]["output_tokens"].GetInt(), 5);
  EXPECT_EQ(response["usage"]["total_tokens"].GetInt(), 17);
  EXPECT_EQ(acc.snapshot["output"], response["output"]);
  std::string final_response;
  json::append_value(final_response, response);
  EXPECT_EQ(testing::parse(writer->answer()), testing::parse(final_response));
}

TEST_F(StreamTest, ReasoningTextRefusalAndToolCalls) {
  open(R"({"model": "fast", "input": "hi", "stream": true, "tools": [{"type": "function", "name": "get_weather"}]})");
  model::StreamEvent signature = event(Type::reasoning);
  signature.signature = "sig-1";
  model::StreamEvent redacted = event(Type::reasoning, "opaque");
  redacted.redacted = true;
  model::StreamEvent call = event(Type::tool_call, "{\"ci");
  call.id = "toolu_1";
  call.name = "get_weather";
  model::StreamEvent more = event(Type::tool_arguments, "ty\":\"Paris\"}");
  model::StreamEvent second = event(Type::tool_call, "{}");
  second.tool = 1;
  second.name = "get_time";
  send({event(Type::reasoning, "Thinking"), event(Type::reasoning, " hard.")});
  send({signature, redacted});
  send({event(Type::refusal, "No, "), event(Type::text, "but here:")});
  send({call});
  send({second, more});  // arguments of an earlier call after a later one started
  send({finish(model::Finish::tool_calls)});
  close();
  Accumulator acc = accumulate();
  ASSERT_FALSE(HasFailure());
  auto events = events_of(text);
  const Value& response = testing::parse(events.back().data)["response"];
  const Value& output = response["output"];
  ASSERT_EQ(output.Size(), 5u);
  EXPECT_STREQ(output[0]["summary"][0]["text"].GetString(), "Thinking hard.");
  EXPECT_STREQ(output[0]["encrypted_content"].GetString(), "sig-1");
  EXPECT_EQ(output[1]["summary"].Size(), 0u);
  EXPECT_STREQ(output[1]["encrypted_content"].GetString(), "opaque");
  EXPECT_STREQ(output[2]["content"][0]["type"].GetString(), "refusal");
  EXPECT_STREQ(output[2]["content"][0]["refusal"].GetString(), "No, ");
  EXPECT_STREQ(output[2]["content"][1]["text"].GetString(), "but here:");
  EXPECT_STREQ(output[3]["call_id"].GetString(), "toolu_1");
  EXPECT_STREQ(output[3]["arguments"].GetString(), "{\"city\":\"Paris\"}");
  EXPECT_STREQ(output[3]["status"].GetString(), "completed");
  EXPECT_STREQ(output[4]["name"].GetString(), "get_time");
  EXPECT_STREQ(output[4]["call_id"].GetString(), "call_s1_4");
  EXPECT_EQ(acc.snapshot["output"], output);
  // The reasoning block's events, in order.
  std::vector<std::string> head(acc.types.begin() + 2, acc.types.begin() + 10);
  EXPECT_EQ(head, (std::vector<std::string>{"response.output_item.added", "response.reasoning_summary_part.added",
                                            "response.reasoning_summary_text.delta",
                                            "response.reasoning_summary_text.delta",
                                            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                                            "response.output_item.done", "response.output_item.added"}));
}

TEST_F(StreamTest, ACutShortAnswerEndsIncomplete) {
  send({event(Type::text, "Once upon a")});
  send({finish(model::Finish::length)});
  close();
  accumulate();
  auto events = events_of(text);
  EXPECT_EQ(events.back().event, "response.incomplete");
  auto last = testing::parse(events.back().data);
  EXPECT_STREQ(last["response"]["status"].GetString(), "incomplete");
  EXPECT_STREQ(last["response"]["incomplete_details"]["reason"].GetString(), "max_output_tokens");
  EXPECT_STREQ(last["response"]["output"][0]["status"].GetString(), "incomplete");
}

TEST_F(StreamTest, AnEmptyStreamStillHasItsFrame) {
  close();
  Accumulator acc = accumulate();
  EXPECT_EQ(acc.types, (std::vector<std::string>{"response.created", "response.in_progress", "response.completed"}));
  close();  // once only
  EXPECT_EQ(events_of(text).size(), 3u);
}

TEST_F(StreamTest, AFailureIsAnErrorEventThenResponseFailed) {
  send({event(Type::text, "partial")});
  Error error{502, ErrorType::provider_unavailable, "upstream a failed mid-stream: overloaded", "upstream_stream_failed"};
  model::StreamEvent failure = event(Type::error);
  failure.error = &error;
  send({failure});
  send({event(Type::text, "after")});  // nothing after the error
  close();
  Accumulator acc = accumulate();
  ASSERT_GE(acc.types.size(), 2u);
  EXPECT_EQ(acc.types[acc.types.size() - 2], "error");
  EXPECT_EQ(acc.types.back(), "response.failed");
  auto events = events_of(text);
  auto err = testing::parse(events[events.size() - 2].data);
  EXPECT_STREQ(err["code"].GetString(), "upstream_stream_failed");
  EXPECT_STREQ(err["message"].GetString(), "upstream a failed mid-stream: overloaded");
  EXPECT_TRUE(err["param"].IsNull());
  auto failed = testing::parse(events.back().data);
  EXPECT_STREQ(failed["response"]["status"].GetString(), "failed");
  EXPECT_STREQ(failed["response"]["error"]["code"].GetString(), "server_error");
  EXPECT_TRUE(writer->answer().empty());
}

TEST_F(StreamTest, OtherOutputsAreIgnored) {
  model::StreamEvent other = event(Type::text, "second answer");
  other.output = 1;
  send({event(Type::text, "first"), other, finish(model::Finish::stop)});
  close();
  accumulate();
  EXPECT_EQ(text.find("second answer"), std::string::npos);
}

// Upstream events of this format, as an `openai` target streams them (key already scrubbed).
constexpr const char* kUpstream[][2] = {
    {"response.created", R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_up","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"temperature":1,"top_p":1,"metadata":{},"usage":null}})"},
    {"response.output_item.added", R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_up","type":"message","status":"in_progress","role":"assistant","content":[]}})"},
    {"response.content_part.added", R"({"type":"response.content_part.added","sequence_number":2,"item_id":"msg_up","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}})"},
    {"response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_up","output_index":0,"content_index":0,"delta":"Hi"})"},
    {"response.completed", R"({"type":"response.completed","sequence_number":4,"response":{"id":"resp_up","object":"response","created_at":1741290958,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_up","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"temperature":1,"top_p":1,"metadata":{},"usage":{"input_tokens":5,"output_tokens":1,"total_tokens":6}}})"},
};

TEST_F(StreamTest, UpstreamEventsOfThisFormatAreForwardedAsTheyCame) {
  std::string expected;
  for (const auto& [name, data] : kUpstream) {
    send({event(Type::text, "rendered instead?")}, {model::Format::openai_responses, name, data});
    expected += "event: " + std::string(name) + "\ndata: " + data + "\n\n";
  }
  close();
  EXPECT_EQ(text, expected);
  EXPECT_EQ(testing::parse(writer->answer()), testing::parse(R"({"id":"resp_up","object":"response","created_at":1741290958,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_up","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"temperature":1,"top_p":1,"metadata":{},"usage":{"input_tokens":5,"output_tokens":1,"total_tokens":6}})"));
  // Another format's raw events are rendered, not forwarded.
  open(R"({"model": "fast", "input": "hi", "stream": true})");
  send({event(Type::text, "x")}, {model::Format::openai_chat, "", R"({"choices":[]})"});
  EXPECT_EQ(text.find("choices"), std::string::npos);
}

TEST_F(StreamTest, AFailureAfterForwardedEventsContinuesTheirSequence) {
  for (size_t i = 0; i < 4; ++i) send({}, {model::Format::openai_responses, kUpstream[i][0], kUpstream[i][1]});
  Error error{502, ErrorType::provider_unavailable, "upstream stream ended before response.completed"};
  model::StreamEvent failure = event(Type::error);
  failure.error = &error;
  send({failure}, {model::Format::openai_responses, "error", R"({"type":"error"})"});  // never forwarded
  close();
  Accumulator acc = accumulate();
  EXPECT_EQ(acc.types.back(), "response.failed");
  auto events = events_of(text);
  auto err = testing::parse(events[events.size() - 2].data);
  EXPECT_EQ(err["sequence_number"].GetInt(), 4);
  EXPECT_STREQ(err["code"].GetString(), "provider_unavailable");
  auto failed = testing::parse(events.back().data);
  EXPECT_EQ(failed["sequence_number"].GetInt(), 5);
  EXPECT_STREQ(failed["response"]["id"].GetString(), "resp_up");
  EXPECT_TRUE(writer->answer().empty());
}

TEST_F(StreamTest, TheEchoIsTheRequests) {
  open(R"({"model": "fast", "input": "hi", "stream": true, "instructions": "Be brief.", "store": false})");
  close();
  auto created = testing::parse(events_of(text)[0].data);
  EXPECT_STREQ(created["response"]["instructions"].GetString(), "Be brief.");
  EXPECT_FALSE(created["response"]["store"].GetBool());
}

}  // namespace
}  // namespace sy::ingress::openai_responses
