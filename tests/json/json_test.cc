#include "json/json.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>

namespace sy::json {
namespace {

TEST(Json, FindTakesViewsThatAreNotNulTerminated) {
  Document doc;
  std::string error;
  ASSERT_TRUE(parse(R"({"name": 1, "na": 2})", doc, error));
  std::string_view text = "xnamex";
  ASSERT_NE(find(doc, text.substr(1, 4)), nullptr);
  EXPECT_EQ(find(doc, text.substr(1, 4))->GetInt(), 1);
  EXPECT_EQ(find(doc, text.substr(1, 2))->GetInt(), 2);
  EXPECT_EQ(find(doc, "nam"), nullptr);
}

TEST(Json, RefusesDeepNestingAndTrailingGarbage) {
  Document doc;
  std::string error;
  EXPECT_FALSE(parse(std::string(200, '[') + std::string(200, ']'), doc, error));
  EXPECT_NE(error.find("deeper than"), std::string::npos);
  EXPECT_TRUE(parse(R"({"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})",
                    doc, error))
      << error;
  EXPECT_FALSE(parse("{} {}", doc, error));
  EXPECT_TRUE(parse("{}  \n", doc, error));
}

// Every request in flight holds its parsed body, and a stream its current event: a document's
// memory is what its text and tree take (cmake/rapidjson.cmake), not a 64 KiB chunk each.
TEST(Json, ASmallDocumentTakesAFewKibibytes) {
  Document doc;
  std::string error;
  std::string event = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
                      R"("choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]})";
  ASSERT_TRUE(parse(event, doc, error)) << error;
  EXPECT_LE(doc.GetAllocator().Capacity(), 4u * 1024);
  std::string large = R"({"text":")" + std::string(100 * 1024, 'x') + R"("})";  // a text larger than a chunk
  ASSERT_TRUE(parse(large, doc, error)) << error;
  EXPECT_EQ(view(doc["text"]).size(), 100u * 1024);
}

TEST(Json, AppendStringEscapes) {
  std::string out;
  append_string(out, std::string_view("a\"b\\c\n\x01é", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001é\"");
}

TEST(Json, AppendNumber) {
  std::string out;
  append_number(out, 3);
  out += ' ';
  append_number(out, 0.25);
  out += ' ';
  append_number(out, 1.0 / 0.0);
  EXPECT_EQ(out, "3 0.25 null");
}

TEST(Json, TopLevelMembersAreRawSpans) {
  std::vector<Member> m;
  ASSERT_TRUE(top_level_members(R"( { "a" : 1 , "b":"x\"}{", "c": {"d": [1, "]", {}]}, "e":true,"f":null} )", m));
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].key, "a");
  EXPECT_EQ(m[0].value, "1");
  EXPECT_EQ(m[1].value, R"("x\"}{")");
  EXPECT_EQ(m[2].value, R"({"d": [1, "]", {}]})");
  EXPECT_EQ(m[3].value, "true");
  EXPECT_EQ(m[4].key, "f");
  EXPECT_TRUE(top_level_members("{}", m));
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(top_level_members("[1]", m));
  EXPECT_FALSE(top_level_members(R"({"mod\u0065l": 1})", m));  // escaped keys: rebuild instead
}

TEST(Json, OverlongNumbersAreRefusedBeforeRapidJsonSeesThem) {
  // RapidJSON 1.1.0 reads out of bounds on this one (found by tests/fuzz).
  Document doc;
  std::string error;
  EXPECT_FALSE(parse("{\"a\":1" + std::string(300, '0') + "e224}", doc, error));
  EXPECT_NE(error.find("number longer than"), std::string::npos);
  EXPECT_TRUE(parse(R"({"a": -1.2345678901234567e-300, "b": 18446744073709551615, "s": ")" + std::string(500, '7') + "\"}",
                    doc, error))
      << error;  // long digit runs inside strings are text, not numbers
}

TEST(Json, ValidUtf8) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8(R"({"messages": [{"role": "user", "content": "plain ASCII, long enough for blocks"}]})"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9"));                      // U+00E9
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC and \xE4\xB8\xAD"));     // U+20AC, U+4E2D
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));                  // U+1F600
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));      // U+FFFF, U+10FFFF
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF\xEE\x80\x80"));          // U+D7FF, U+E000 around the surrogates
  EXPECT_TRUE(valid_utf8(std::string(13, 'a') + "\xC3\xA9" + std::string(9, 'b') + "\xF0\x9F\x98\x80"));
}

TEST(Json, InvalidUtf8) {
  const char* bad[] = {
      "\x80",                  // a lone continuation byte
      "abc\xBF",               // another, after ASCII
      "\xC3",                  // truncated two-byte sequence
      "\xC3\x28",              // bad continuation
      "\xC0\xAF",              // overlong "/"
      "\xC1\xBF",              // overlong
      "\xE0\x80\xAF",          // overlong three-byte
      "\xE0\x9F\xBF",          // overlong three-byte (just below U+0800)
      "\xED\xA0\x80",          // U+D800, a surrogate
      "\xED\xBF\xBF",          // U+DFFF
      "\xE2\x82",              // truncated three-byte sequence
      "\xF0\x8F\xBF\xBF",      // overlong four-byte
      "\xF4\x90\x80\x80",      // past U+10FFFF
      "\xF5\x80\x80\x80",      // never a lead byte
      "\xF0\x9F\x98",          // truncated four-byte sequence
      "\xFE",                  // never in UTF-8
      "\xFF",
  };
  for (const char* b : bad) {
    EXPECT_FALSE(valid_utf8(b)) << testing::PrintToString(std::string(b));
    // The same byte inside and at the end of longer text (past the eight-byte ASCII blocks).
    EXPECT_FALSE(valid_utf8(std::string(17, 'x') + b + std::string(17, 'y')));
    EXPECT_FALSE(valid_utf8(std::string(16, 'x') + b));
  }
}

}  // namespace
TEST(Json, ArrayElementsAsWritten) {
  std::vector<std::string_view> out;
  ASSERT_TRUE(json::array_elements(R"( [ {"a": [1, 2]} , "x,]" ,3, [] ] )", out));
  EXPECT_EQ(out, (std::vector<std::string_view>{R"({"a": [1, 2]})", R"("x,]")", "3", "[]"}));
  ASSERT_TRUE(json::array_elements("[]", out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(json::array_elements("[5]", out));  // a scalar last, right before the bracket
  EXPECT_EQ(out, (std::vector<std::string_view>{"5"}));
  ASSERT_TRUE(json::array_elements("[true,null,-1.5e3]", out));
  EXPECT_EQ(out, (std::vector<std::string_view>{"true", "null", "-1.5e3"}));
  EXPECT_FALSE(json::array_elements("{}", out));
}

TEST(Json, CopiesOwnTheirStrings) {
  json::Document target;
  json::Value copied;
  {
    json::Document source;
    std::string error;
    ASSERT_TRUE(json::parse(R"({"a": ["x", {"k": "v"}], "s": "text"})", source, error));
    copied = json::copy(source, target.GetAllocator());
  }  // the source and the text it was parsed from in place are gone
  EXPECT_STREQ(copied["s"].GetString(), "text");
  EXPECT_STREQ(copied["a"][1]["k"].GetString(), "v");
  std::string out;
  json::append_value(out, copied);
  EXPECT_EQ(out, R"({"a":["x",{"k":"v"}],"s":"text"})");
}

// parse_decimal must give what strtod gives (the C library's conversion is exact) for every
// number it reads, and read as many characters.
void expect_as_strtod(const std::string& text) {
  char* end = nullptr;
  double expected = std::strtod(text.c_str(), &end);
  double got = 12345;
  size_t used = 0;
  ASSERT_TRUE(json::parse_decimal(text, got, &used)) << text;
  EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(expected)) << text << " -> " << got << " vs " << expected;
  EXPECT_EQ(used, size_t(end - text.c_str())) << text;
}

TEST(Json, ParseDecimalReadsWhatStrtodReads) {
  for (const char* text : {"0", "-0", "+0", "1", "-1", "007", "5.", ".5", "-.5", "+.25e1", "  \t\n42", "1e3",
                           "1E+03", "1e-3", "2.5e", "2.5e+", "2.5ex", "10ms", "1.5 2", "3..4", "0e999999",
                           "-0.000e-7", "9.999999999999999e307", "1e309", "-1e400", "9.8813129168249309e-323",
                           "1e-400", "2.2250738585072011e-308", "4.9406564584124654e-320", "2.2250738585072012e-308", "9007199254740993",
                           "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
                           "0.1", "0.30000000000000004", "1e0000000000000000000000000000000000000000022",
                           "0.000000000000000000000000000000000000000000000000000000000000000000000000000001"})
    expect_as_strtod(text);
  std::mt19937_64 rng(11);
  for (int n = 0; n < 20000; ++n) {  // random spellings: digits, a dot anywhere, an exponent
    std::string text = rng() % 2 ? "-" : "";
    int digits = 1 + int(rng() % 25), dot = int(rng() % (digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == dot) text += '.';
      text += char('0' + rng() % 10);
    }
    if (rng() % 3) text += "e" + std::to_string(int(rng() % 640) - 320);
    double magnitude = std::fabs(std::strtod(text.c_str(), nullptr));
    if (magnitude == 0 || (magnitude >= 1e-323 && magnitude < 1e308) || std::isinf(magnitude)) expect_as_strtod(text);
  }
}

TEST(Json, ParseDecimalRoundsTheEdgesOfTheRange) {
  double out = 0;
  for (const char* text : {"1e308", "1.7976931348623157e308", "1.7976931348623159e308", "5e308"}) {
    ASSERT_TRUE(json::parse_decimal(text, out)) << text;
    EXPECT_EQ(out, HUGE_VAL) << text;
  }
  for (const char* text : {"9.9e-324", "4.9406564584124654e-324", "-2.5e-324"}) {
    ASSERT_TRUE(json::parse_decimal(text, out)) << text;
    EXPECT_EQ(out, 0) << text;
    EXPECT_EQ(std::signbit(out), text[0] == '-') << text;
  }
}

TEST(Json, ParseDigitsTakesOnlyDigits) {
  double out = 7;
  EXPECT_TRUE(json::parse_digits("0", out));
  EXPECT_EQ(out, 0);
  EXPECT_TRUE(json::parse_digits("01024", out));
  EXPECT_EQ(out, 1024);
  for (const char* text : {"", " 1", "1 ", "+1", "-1", "1.5", "1e3", "12a", "0x10"}) {
    out = 7;
    EXPECT_FALSE(json::parse_digits(text, out)) << text;
    EXPECT_EQ(out, 7) << text;
  }
}

TEST(Json, ParseDecimalRefusesWhatItDoesNotRead) {
  double out = 7;
  size_t used = 99;
  for (const char* text : {"", " ", ".", "-", "+", "e5", "-e5", "x1", "inf", "-infinity", "nan", "0x1p3", "-.e1"}) {
    EXPECT_FALSE(json::parse_decimal(text, out, &used)) << text;
    EXPECT_EQ(out, 7) << text;
    EXPECT_EQ(used, 99u) << text;
  }
  // More than 64 characters of digits and exponent once leading and trailing zeros are left out.
  // At most 59 significant digits, at either end of the range.
  for (const char* exponent : {"e-322", "e-264", "e308"}) {
    EXPECT_TRUE(json::parse_decimal("0." + std::string(58, '3') + "7" + exponent, out)) << exponent;
    EXPECT_FALSE(json::parse_decimal("0." + std::string(59, '3') + "7" + exponent, out)) << exponent;
  }
  expect_as_strtod("0." + std::string(58, '3') + "7e-264");
  ASSERT_TRUE(json::parse_decimal("000000" + std::string(70, '0') + "1.5" + std::string(70, '0'), out, &used));
  EXPECT_EQ(out, 1.5);
  EXPECT_EQ(used, 149u);
}


namespace {

// What a parser made of `text`: the document written back compactly, or its error.
template <typename Parse>
std::string outcome(Parse parse_text, std::string_view text) {
  Document doc;
  std::string error, out;
  if (!parse_text(text, doc, error)) return "error: " + error;
  append_value(out, doc);
  return out;
}

std::string portable(std::string_view text) { return outcome(parse, text); }
std::string reference(std::string_view text) { return outcome(detail::parse_reference, text); }  // a byte at a time

TEST(JsonScan, FindsEveryStringEndAtEveryOffsetOfAWord) {
  // Written in the text, and what the string holds there.
  const std::pair<std::string, std::string> pieces[] = {
      {R"(\")", "\""}, {R"(\\)", "\\"}, {R"(\n)", "\n"}, {R"(\/)", "/"}, {R"(\u00e9)", "é"},
      {R"(\ud83d\ude00)", "😀"}, {"é", "é"}, {"€", "€"}, {"😀", "😀"}, {"\x7f", "\x7f"}, {"!", "!"},
      {"#", "#"}, {"[", "["}, {"]", "]"}, {" ", " "}, {"\xA0", "\xA0"}, {"\xFF", "\xFF"}};
  for (int lead = 0; lead < 8; ++lead) {  // the text's own alignment
    for (int k = 0; k <= 17; ++k) {
      for (const auto& piece : pieces) {
        std::string before(size_t(k), 'a'), after(size_t(17 - k), 'b');
        std::string text = std::string(size_t(lead), ' ') + "{\"k" + before + "\": \"" + before + piece.first + after + "\"}";
        Document doc;
        std::string error;
        ASSERT_TRUE(parse(text, doc, error)) << text << ": " << error;
        ASSERT_EQ(doc.MemberCount(), 1u);
        EXPECT_EQ(view(doc.MemberBegin()->name), "k" + before) << text;
        EXPECT_EQ(view(doc.MemberBegin()->value), before + piece.second + after) << text;
        EXPECT_EQ(portable(text), reference(text)) << text;
      }
    }
  }
}

TEST(JsonScan, PlainRunsAfterAnEscapeAreCopiedDown) {
  // After the first escape the string is shorter than its text: every later run is moved back.
  for (int k = 0; k <= 25; ++k) {
    std::string run(size_t(k), 'x');
    std::string text = "[\"" + run + R"(\t)" + run + R"(\u0041\\)" + run + "é" + run + R"(\")" + run + "\", \"" + run + "\"]";
    Document doc;
    std::string error;
    ASSERT_TRUE(parse(text, doc, error)) << text << ": " << error;
    ASSERT_EQ(doc.Size(), 2u);
    EXPECT_EQ(view(doc[0]), run + "\t" + run + "A\\" + run + "é" + run + "\"" + run) << text;
    EXPECT_EQ(view(doc[1]), run) << text;
    EXPECT_EQ(portable(text), reference(text)) << text;
  }
}

TEST(JsonScan, ControlBytesAreRefusedWhereTheyAre) {
  for (int c = 1; c < 0x20; ++c) {
    for (int k = 0; k <= 17; ++k) {
      std::string run(size_t(k), 'a');
      std::string plain = "\"" + run + char(c) + "b\"";
      EXPECT_EQ(portable(plain), "error: Invalid escape character in string. at offset " + std::to_string(1 + k)) << c << ' ' << k;
      std::string escaped = R"("\n)" + run + char(c) + "b\"";
      EXPECT_EQ(portable(escaped), "error: Invalid escape character in string. at offset " + std::to_string(3 + k)) << c << ' ' << k;
      EXPECT_EQ(portable(plain), reference(plain));
      EXPECT_EQ(portable(escaped), reference(escaped));
    }
  }
}

TEST(JsonScan, StringsRunningToTheEndOfTheText) {
  for (int n = 0; n <= 20; ++n) {
    std::string run(size_t(n), 'a');
    for (const std::string& text : {"\"" + run, R"(["\t)" + run, "\"" + run + "é", "\"" + run + "\\"}) {
      bool ends_in_escape = text.back() == '\\';
      std::string expected = ends_in_escape ? "error: Invalid escape character in string. at offset " + std::to_string(text.size() - 1)
                                            : "error: Missing a closing quotation mark in string. at offset " + std::to_string(text.size());
      EXPECT_EQ(portable(text), expected) << text;
      EXPECT_EQ(portable(text), reference(text)) << text;
    }
  }
}

TEST(JsonScan, EveryByteAtEveryOffsetAsRapidJsonReadsIt) {
  for (int byte = 1; byte < 256; ++byte) {
    for (int k = 0; k < 16; ++k) {
      std::string run(size_t(k), 'a');
      for (const std::string& text : {"\"" + run + char(byte) + "zzzzzzzzz\"", R"(["\r)" + run + char(byte) + "zz\", 1]"}) {
        EXPECT_EQ(portable(text), reference(text)) << byte << ' ' << k;
      }
    }
  }
}

TEST(JsonScan, RandomStringsAsRapidJsonReadsThem) {
  // The first 14 pieces make well-formed strings; the rest break them.
  const char* pieces[] = {"a", "bcdefgh", "é", "€", "😀", R"(\")", R"(\\)", R"(\/)", R"(\b\f\n\r\t)", R"(\u0041)",
                          R"(\ud83d\ude00)", "\x7f", " ", "#", "\x01", "\"", "\\", R"(\x)", R"(\u12)"};
  std::mt19937 random(13);
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    size_t kinds = i % 2 ? 14 : std::size(pieces);  // odd rounds well-formed
    std::string text = "{\"";
    for (int n = int(random() % 12); n > 0; --n) text += pieces[random() % kinds];
    text += "\": [\"";
    for (int n = int(random() % 40); n > 0; --n) text += pieces[random() % kinds];
    text += "\"]}";
    std::string got = portable(text);
    ASSERT_EQ(got, reference(text)) << text;
    parsed += got.rfind("error: ", 0) != 0;
  }
  EXPECT_GE(parsed, 1500);  // every well-formed one, and some of the others
}

TEST(JsonScan, PreScansFindNulBytesAtEveryOffsetOfAWord) {
  // The portable pre-scan for NUL bytes reads words: a NUL anywhere, at any alignment, refuses the text.
  for (int lead = 0; lead < 8; ++lead) {
    for (int at = 0; at <= 20; ++at) {
      std::string text = std::string(size_t(lead), ' ') + "[\"" + std::string(20, 'a') + "\"]";
      text[size_t(lead + 2 + at)] = '\0';
      EXPECT_EQ(portable(text), "error: JSON text contains a NUL byte") << lead << ' ' << at;
      EXPECT_EQ(portable(text), reference(text)) << lead << ' ' << at;
    }
  }
}

TEST(JsonScan, NulBytesOutsideStringsRefuseTheTextToo) {
  // Outside strings the nesting pre-scan finds them; a NUL after a complete document would
  // otherwise end the in-situ parse there, as if the text ended, and the rest would go unread.
  for (std::string text : {"{}#", "{}#{}", "[1,#2]", "[1#2]", "[tr#ue]", "#[]", "{\"a\":#1}", "[1] #"}) {
    text[text.find('#')] = '\0';
    EXPECT_EQ(portable(text), "error: JSON text contains a NUL byte") << text.size();
    EXPECT_EQ(portable(text), reference(text)) << text.size();
  }
}

TEST(JsonScan, PreScansSkipStringsOfEveryLength) {
  // Brackets and escaped quotes inside strings do not count towards the nesting limit, wherever the
  // closing quote falls in a word; the same brackets outside strings do.
  for (int n = 0; n <= 20; ++n) {
    std::string run(size_t(n), 'x');
    std::string inside = "\"" + run + R"(\"[[{{\\)" + run + "\"";
    std::string deep = std::string(kMaxDepth, '[') + inside + std::string(kMaxDepth, ']');
    EXPECT_EQ(portable(deep), reference(deep)) << n;
    EXPECT_EQ(portable(deep).rfind("error", 0), std::string::npos) << n;
    std::string deeper = "[" + deep + "]";
    EXPECT_EQ(portable(deeper), "error: JSON nesting is deeper than " + std::to_string(kMaxDepth) + " levels") << n;
    EXPECT_EQ(portable(deeper), reference(deeper)) << n;
    std::string unterminated = "[\"" + run + R"(\")";
    EXPECT_EQ(portable(unterminated), reference(unterminated)) << n;
  }
}

}  // namespace
}  // namespace sy::json
