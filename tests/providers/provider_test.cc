// The egress base (src/providers/provider.cc): the stream decoder frame, capability refusals,
// prices and redaction.
#include "providers/provider.h"

#include <gtest/gtest.h>

namespace sy::providers {
namespace {

// A decoder whose format ends at "end" and emits one text event per other event.
class Lines final : public StreamDecoder {
 public:
  Lines() : StreamDecoder("end", model::Format::openai_chat) {}

 private:
  void on_event(const sse::Event& e) override {
    if (e.data == "end") {
      state_ = State::done;
      return;
    }
    if (e.data == "bad") return fail("bad event");
    model::StreamEvent t;
    t.text = e.data;
    emit(t);
    raw_ = e.data;
  }
};

struct Collect final : StreamSink {
  void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override {
    for (const auto& e : events) text += std::string(e.text) + "|";
    raws += std::string(raw.data) + "|";
  }
  std::string text, raws;
};

TEST(StreamDecoder, GroupsPerUpstreamEventAndEnds) {
  Lines d;
  Collect sink;
  EXPECT_EQ(d.feed("data: a\n\ndata: b", sink), StreamDecoder::State::open);
  EXPECT_EQ(d.feed("\n\ndata: end\n\ndata: ignored\n\n", sink), StreamDecoder::State::done);
  EXPECT_EQ(sink.text, "a|b|");
  EXPECT_EQ(sink.raws, "a|b|");
  EXPECT_EQ(d.format(), model::Format::openai_chat);
}

TEST(StreamDecoder, FailsOnBadEventsAndEarlyEnds) {
  Lines bad;
  Collect sink;
  EXPECT_EQ(bad.feed("data: bad\n\n", sink), StreamDecoder::State::failed);
  EXPECT_EQ(bad.error().status, 502);
  EXPECT_EQ(bad.error().code, "upstream_stream_failed");
  Lines early;
  early.feed("data: a\n\n", sink);
  EXPECT_EQ(early.finish(), StreamDecoder::State::failed);
  EXPECT_NE(early.error().message.find("before end"), std::string::npos);
}

TEST(Refusal, FromCapabilities) {
  Codec c;
  model::Request r;
  r.kind = model::Kind::embeddings;
  EXPECT_EQ(refusal(c, r).param, "model");
  c.caps.embeddings = true;
  r.token_input = true;
  EXPECT_EQ(refusal(c, r).param, "input");
  c.caps.token_input = true;
  EXPECT_EQ(refusal(c, r).param, "");
  r = {};
  r.sampling.n = 2;
  EXPECT_EQ(refusal(c, r).param, "n");
  c.caps.max_n = 8;
  EXPECT_EQ(refusal(c, r).param, "");
  r.stream = true;
  EXPECT_EQ(refusal(c, r).param, "n");
  r.kind = model::Kind::models;
  EXPECT_EQ(refusal(c, r).param, "provider");
}

// Server tools (model::Tool::server) go only to codecs that run that format's server tools.
TEST(Refusal, ServerTools) {
  Codec c;
  model::Request r;
  r.tools.resize(2);
  r.tools[0].name = "get_weather";
  EXPECT_EQ(refusal(c, r).param, "");
  r.tools[1].name = "web_search";
  r.tools[1].server = model::Format::anthropic_messages;
  Refusal refused = refusal(c, r);
  EXPECT_EQ(refused.param, "tools");
  EXPECT_EQ(refused.lacks, "runs the server tools the request declares");
  c.caps.server_tools = model::Format::openai_responses;
  EXPECT_EQ(refusal(c, r).param, "tools");
  c.caps.server_tools = model::Format::anthropic_messages;
  EXPECT_EQ(refusal(c, r).param, "");
  EXPECT_EQ(refusal(codec(config::ProviderType::anthropic), r).param, "");
  for (auto type : {config::ProviderType::openai, config::ProviderType::openai_compatible, config::ProviderType::azure_openai,
                    config::ProviderType::gemini, config::ProviderType::echo})
    EXPECT_EQ(refusal(codec(type), r).param, "tools");
}

// A decoder that holds back events named "open" until one that carries something.
class Holding final : public StreamDecoder {
 public:
  Holding() : StreamDecoder("end", model::Format::anthropic_messages) {}

 private:
  void on_event(const sse::Event& e) override {
    if (e.data == "end") {
      state_ = State::done;
      return;
    }
    if (e.data == "bad") return fail("bad event");
    if (e.event == "open") {
      held_.emplace_back(std::string(e.event), std::string(e.data));
      return;
    }
    raw_ = e.data;
  }
};

struct Groups final : StreamSink {
  void on_events(std::span<const model::StreamEvent> events, const model::RawEvent& raw) override {
    seen += std::string(raw.event) + "=" + std::string(raw.data) + (events.empty() ? "" : "+") + "|";
    EXPECT_EQ(raw.format, model::Format::anthropic_messages);
  }
  std::string seen;
};

TEST(StreamDecoder, HeldEventsGoRightBeforeTheNextOne) {
  Holding d;
  Groups sink;
  d.feed("event: open\ndata: a\n\nevent: open\ndata: b\n\n", sink);
  EXPECT_EQ(sink.seen, "") << "nothing yet: the call is not committed";
  d.feed("event: delta\ndata: c\n\nevent: open\ndata: d\n\ndata: end\n\n", sink);
  EXPECT_EQ(sink.seen, "open=a|open=b|delta=c|") << "a held event after the first is held until the end, then dropped";
  Holding failing;
  Groups none;
  failing.feed("event: open\ndata: a\n\ndata: bad\n\nevent: delta\ndata: c\n\n", none);
  EXPECT_EQ(none.seen, "") << "a failed stream hands nothing on";
}

TEST(Refusal, ImagesPerModel) {
  Codec c;
  model::Request r;
  r.kind = model::Kind::images;
  EXPECT_EQ(refusal(c, r, "m").param, "model");
  EXPECT_EQ(refusal(c, r, "m").lacks, "generates images");
  c.caps.images = true;
  EXPECT_EQ(refusal(c, r, "m").param, "");
  r.sampling.n = 3;
  EXPECT_EQ(refusal(c, r, "m").param, "n") << "max_n (1) without max_images";
  c.caps.max_n = 8;
  EXPECT_EQ(refusal(c, r, "m").param, "");
  c.caps.max_images = [](std::string_view model) -> int64_t { return model == "one" ? 1 : 4; };
  EXPECT_EQ(refusal(c, r, "one").param, "n");
  EXPECT_EQ(refusal(c, r, "one").lacks, "gives that many images (n) per request");
  EXPECT_EQ(refusal(c, r, "four").param, "");
  r.sampling.n = 5;
  EXPECT_EQ(refusal(c, r, "four").param, "n");
}

TEST(Prices, CostAndRedaction) {
  config::Provider p;
  p.api_key = "sk-abcdef";
  p.prices.emplace("m", config::Price{1, 2});
  EXPECT_DOUBLE_EQ(cost_of(p, "m", 1000000, 500000), 2);
  EXPECT_EQ(cost_of(p, "other", 1, 1), -1);
  model::Usage u;
  u.prompt_tokens = 1000000;
  price(u, p, "m");
  EXPECT_TRUE(u.known);
  EXPECT_DOUBLE_EQ(u.cost, 1);
  std::string text = "key sk-abcdef and sk-abcdef";
  redact(p, text);
  EXPECT_EQ(text, "key [redacted] and [redacted]");
}

}  // namespace
}  // namespace sy::providers
