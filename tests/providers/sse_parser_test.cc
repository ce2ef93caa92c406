#include "providers/sse_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sy::sse {
namespace {

using namespace std::literals;

struct Got {
  std::string event, data, id;
  friend bool operator==(const Got&, const Got&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Got& g) {
    return os << "{event=" << g.event << " data=" << g.data << " id=" << g.id << "}";
  }
};

// Feeds the chunks in order and returns the events; asserts every feed succeeded.
std::vector<Got> parse_chunks(const std::vector<std::string_view>& chunks, bool* clean = nullptr) {
  Parser parser;
  std::vector<Got> got;
  for (std::string_view c : chunks) {
    bool ok = parser.feed(c, [&](const Event& e) { got.push_back({std::string(e.event), std::string(e.data), std::string(e.id)}); });
    EXPECT_TRUE(ok);
  }
  bool end = parser.finish();
  if (clean) *clean = end;
  return got;
}

std::vector<Got> parse(std::string_view text, bool* clean = nullptr) { return parse_chunks({text}, clean); }

std::string chunk_json(int i, std::string_view content) {
  return R"({"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini",)"
         R"("choices":[{"index":0,"delta":{"content":")" +
         std::string(content) + R"("},"finish_reason":null}],"n":)" + std::to_string(i) + "}";
}

// An OpenAI-style stream with a leading comment, mixed line endings and multi-byte UTF-8.
std::string openai_stream() {
  std::string s = ": OPENROUTER PROCESSING\n\n";
  s += "data: " + chunk_json(0, "") + "\n\n";
  s += "data: " + chunk_json(1, "Hé") + "\r\n\r\n";
  s += "data: " + chunk_json(2, "llo 😀") + "\r\r";
  s += ": keep-alive\n";
  s += "data: " + chunk_json(3, "!") + "\n\n";
  s += "data: [DONE]\n\n";
  return s;
}

std::vector<Got> openai_expected() {
  return {{"", chunk_json(0, ""), ""},
          {"", chunk_json(1, "Hé"), ""},
          {"", chunk_json(2, "llo 😀"), ""},
          {"", chunk_json(3, "!"), ""},
          {"", "[DONE]", ""}};
}

TEST(SseParserTest, BasicEvent) {
  bool clean = false;
  EXPECT_EQ(parse("data: hello\n\n", &clean), (std::vector<Got>{{"", "hello", ""}}));
  EXPECT_TRUE(clean);
}

TEST(SseParserTest, MultiLineDataJoinedWithNewline) {
  EXPECT_EQ(parse("data: a\ndata: b\ndata:\ndata: c\n\n"), (std::vector<Got>{{"", "a\nb\n\nc", ""}}));
}

TEST(SseParserTest, CommentsAndKeepAlivesIgnored) {
  EXPECT_EQ(parse(":\n\n: ping\n\ndata: x\n: inside\ndata: y\n\n:tail\n\n"), (std::vector<Got>{{"", "x\ny", ""}}));
}

TEST(SseParserTest, LineEndingsLfCrlfCrAgree) {
  std::vector<Got> want{{"e", "1\n2", "7"}, {"", "3", "7"}};
  EXPECT_EQ(parse("event: e\nid: 7\ndata: 1\ndata: 2\n\ndata: 3\n\n"), want);
  EXPECT_EQ(parse("event: e\r\nid: 7\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n"), want);
  EXPECT_EQ(parse("event: e\rid: 7\rdata: 1\rdata: 2\r\rdata: 3\r\r"), want);
  EXPECT_EQ(parse("event: e\rid: 7\r\ndata: 1\ndata: 2\r\n\rdata: 3\n\r"), want);
}

TEST(SseParserTest, OneLeadingSpaceDropped) {
  EXPECT_EQ(parse("data:x\n\n"), parse("data: x\n\n"));
  EXPECT_EQ(parse("data:  x \n\n"), (std::vector<Got>{{"", " x ", ""}}));
  EXPECT_EQ(parse("data:x:y: z\n\n"), (std::vector<Got>{{"", "x:y: z", ""}}));
}

TEST(SseParserTest, FieldWithoutColonHasEmptyValue) {
  EXPECT_EQ(parse("data\n\n"), (std::vector<Got>{{"", "", ""}}));
  EXPECT_EQ(parse("data\ndata\n\n"), (std::vector<Got>{{"", "\n", ""}}));
  EXPECT_EQ(parse("event\ndata: x\n\n"), (std::vector<Got>{{"", "x", ""}}));
}

TEST(SseParserTest, EventTypeAndIdFields) {
  std::string s =
      "event: message_start\ndata: {\"a\":1}\n\n"
      "id: 42\ndata: b\n\n"
      "data: c\n\n"                 // the id persists
      "id: bad\0id\ndata: d\n\n"    // an id with NUL is ignored
      "id\ndata: e\n\n"             // an empty id clears it
      "event: ping\n\n"             // no data: nothing dispatched, and the type resets
      "data: f\n\n"s;
  std::vector<Got> want{{"message_start", "{\"a\":1}", ""}, {"", "b", "42"}, {"", "c", "42"},
                        {"", "d", "42"},                   {"", "e", ""},   {"", "f", ""}};
  ASSERT_NE(s.find('\0'), std::string::npos);
  EXPECT_EQ(parse(s), want);
}

TEST(SseParserTest, UnknownFieldsAndRetryIgnored) {
  EXPECT_EQ(parse("retry: 1000\nfoo: bar\nDATA: no\ndata : no\ndata: yes\n\n"), (std::vector<Got>{{"", "yes", ""}}));
}

TEST(SseParserTest, AnthropicStyleStream) {
  std::string s =
      "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  auto got = parse(s);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2].event, "content_block_delta");
  EXPECT_EQ(got[3], (Got{"message_stop", "{\"type\":\"message_stop\"}", ""}));
}

TEST(SseParserTest, WholeOpenAiStream) {
  bool clean = false;
  EXPECT_EQ(parse(openai_stream(), &clean), openai_expected());
  EXPECT_TRUE(clean);
}

TEST(SseParserTest, EverySplitPositionGivesSameEvents) {
  std::string s = openai_stream();
  std::string_view v = s;
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    bool clean = false;
    ASSERT_EQ(parse_chunks({v.substr(0, cut), v.substr(cut)}, &clean), openai_expected()) << "cut " << cut;
    ASSERT_TRUE(clean);
  }
}

TEST(SseParserTest, EveryPairOfSplitPositionsGivesSameEvents) {
  std::string s = openai_stream();
  std::string_view v = s;
  for (size_t a = 0; a <= s.size(); a += 3)
    for (size_t b = a; b <= s.size(); b += 5)
      ASSERT_EQ(parse_chunks({v.substr(0, a), v.substr(a, b - a), v.substr(b)}), openai_expected()) << a << "," << b;
}

TEST(SseParserTest, ByteByByte) {
  std::string s = openai_stream();
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < s.size(); ++i) chunks.push_back(std::string_view(s).substr(i, 1));
  EXPECT_EQ(parse_chunks(chunks), openai_expected());
}

TEST(SseParserTest, RandomSplitsOfLongStream) {
  std::mt19937 rng(2024);
  const char* endings[] = {"\n", "\r\n", "\r"};
  std::string s;
  std::vector<Got> want;
  for (int i = 0; i < 500; ++i) {
    const char* nl = endings[rng() % 3];
    Got g;
    if (rng() % 4 == 0) {
      g.event = "type" + std::to_string(i);
      s += "event:" + g.event + nl;
    }
    if (rng() % 5 == 0) s += std::string(": comment ") + std::to_string(i) + nl;
    int lines = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < lines; ++l) {
      std::string d = chunk_json(i, l % 2 ? "ü€😀" : "x");
      s += "data: " + d + nl;
      g.data += (l ? "\n" : "") + d;
    }
    s += nl;
    want.push_back(g);
  }
  s += "data: [DONE]\n\n";
  want.push_back({"", "[DONE]", ""});
  ASSERT_EQ(parse(s), want);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string_view> chunks;
    for (size_t pos = 0; pos < s.size();) {
      size_t n = std::min<size_t>(rng() % (round < 25 ? 8 : 400), s.size() - pos);  // includes empty chunks
      chunks.push_back(std::string_view(s).substr(pos, n));
      pos += n;
    }
    ASSERT_EQ(parse_chunks(chunks), want) << "round " << round;
  }
}

TEST(SseParserTest, CrLfSplitAcrossChunksIsOneLineEnd) {
  EXPECT_EQ(parse_chunks({"data: a\r", "\ndata: b\r", "\n\r", "\n"}), (std::vector<Got>{{"", "a\nb", ""}}));
  // \r then \r is two line ends: the second is the blank line.
  EXPECT_EQ(parse_chunks({"data: a\r", "\r"}), (std::vector<Got>{{"", "a", ""}}));
  // An empty chunk between \r and \n does not break the pair.
  EXPECT_EQ(parse_chunks({"data: a\r", "", "\n", "\n"}), (std::vector<Got>{{"", "a", ""}}));
}

TEST(SseParserTest, EventsDeliveredAsSoonAsBlankLineArrives) {
  Parser p;
  int n = 0;
  auto count = [&](const Event&) { ++n; };
  p.feed("data: a\n", count);
  EXPECT_EQ(n, 0);
  p.feed("\r", count);
  EXPECT_EQ(n, 1);  // a trailing \r ends the line at once
  p.feed("\ndata: b\n\n", count);
  EXPECT_EQ(n, 2);
}

TEST(SseParserTest, OverflowFails) {
  Parser p(64);
  int n = 0;
  auto count = [&](const Event&) { ++n; };
  EXPECT_TRUE(p.feed("data: small\n\n", count));
  EXPECT_FALSE(p.feed("data: " + std::string(100, 'x') + "\n\n", count));
  EXPECT_TRUE(p.failed());
  EXPECT_FALSE(p.feed("data: small\n\n", count));
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(p.finish());
  p.reset();
  EXPECT_FALSE(p.failed());
  EXPECT_TRUE(p.feed("data: again\n\n", count));
  EXPECT_EQ(n, 2);
}

TEST(SseParserTest, OverflowByPartialLineAndByAccumulatedData) {
  Parser partial(64);
  auto ignore = [](const Event&) {};
  for (int i = 0; i < 6; ++i) partial.feed(std::string(10, 'y'), ignore);
  EXPECT_FALSE(partial.feed(std::string(10, 'y'), ignore));  // 70 bytes of one unterminated line
  EXPECT_TRUE(partial.failed());

  Parser accumulated(64);
  bool ok = true;
  for (int i = 0; i < 20 && ok; ++i) ok = accumulated.feed("data: 0123456789\n", ignore);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(accumulated.failed());
}

TEST(SseParserTest, OverflowDoesNotDependOnChunking) {
  std::string line = "data: " + std::string(60, 'z') + "\n\n";  // 66-byte line
  for (size_t cut = 0; cut <= line.size(); ++cut) {
    Parser p(64);
    auto ignore = [](const Event&) {};
    bool a = p.feed(std::string_view(line).substr(0, cut), ignore);
    bool b = p.feed(std::string_view(line).substr(cut), ignore);
    EXPECT_FALSE(a && b) << cut;
    EXPECT_TRUE(p.failed()) << cut;
  }
  Parser fits(66);
  EXPECT_TRUE(fits.feed(line, [](const Event&) {}));
}

TEST(SseParserTest, FinishDiscardsUnterminatedEvent) {
  bool clean = true;
  EXPECT_EQ(parse("data: a\n\ndata: b\n", &clean), (std::vector<Got>{{"", "a", ""}}));
  EXPECT_FALSE(clean);
  EXPECT_EQ(parse("data: a\n\ndata: b", &clean), (std::vector<Got>{{"", "a", ""}}));
  EXPECT_FALSE(clean);
  EXPECT_EQ(parse("data: a\n\nevent: x\n", &clean).size(), 1u);
  EXPECT_FALSE(clean);
  EXPECT_EQ(parse("data: a\n\n: trailing comment\n", &clean).size(), 1u);
  EXPECT_TRUE(clean);
  EXPECT_EQ(parse("data: a\r", &clean).size(), 0u);  // the line ended, the event did not
  EXPECT_FALSE(clean);
  EXPECT_EQ(parse("", &clean).size(), 0u);
  EXPECT_TRUE(clean);
}

TEST(SseParserTest, FinishThenContinueKeepsLastId) {
  Parser p;
  std::vector<Got> got;
  auto add = [&](const Event& e) { got.push_back({std::string(e.event), std::string(e.data), std::string(e.id)}); };
  p.feed("id: 5\ndata: a\n\ndata: lost", add);
  EXPECT_FALSE(p.finish());
  p.feed("data: b\n\n", add);
  EXPECT_EQ(got, (std::vector<Got>{{"", "a", "5"}, {"", "b", "5"}}));
  p.reset();
  p.feed("data: c\n\n", add);
  EXPECT_EQ(got.back(), (Got{"", "c", ""}));
}

TEST(SseParserTest, AcceptsConstAndMutableCallables) {
  Parser p;
  const auto const_cb = [](const Event& e) { EXPECT_EQ(e.data, "x"); };
  EXPECT_TRUE(p.feed("data: x\n\n", const_cb));
  int n = 0;
  auto mutable_cb = [n](const Event&) mutable { ++n; };
  EXPECT_TRUE(p.feed("data: x\n\n", mutable_cb));
  struct Counter {
    int* n;
    void operator()(const Event&) { ++*n; }
  };
  EXPECT_TRUE(p.feed("data: x\n\ndata: x\n\n", Counter{&n}));
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace sy::sse
