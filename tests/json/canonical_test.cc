#include "json/canonical.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace sy::json {
namespace {

std::string canon(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  std::string out;
  write_canonical(doc, out);
  return out;
}

// The reference's 16 output bytes as hex: h1 then h2, each little-endian.
std::string reference_hex(Hash128 h) {
  std::string s;
  char buf[3];
  for (uint64_t w : {h.hi, h.lo})
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>((w >> (8 * i)) & 0xff));
      s += buf;
    }
  return s;
}

TEST(CanonicalTest, ScalarsAndEmptyContainers) {
  EXPECT_EQ(canon("null"), "null");
  EXPECT_EQ(canon(" true "), "true");
  EXPECT_EQ(canon("false"), "false");
  EXPECT_EQ(canon("\"s\""), "\"s\"");
  EXPECT_EQ(canon("[ ]"), "[]");
  EXPECT_EQ(canon("{ }"), "{}");
}

TEST(CanonicalTest, KeyOrderIndependent) {
  EXPECT_EQ(canon(R"({"b":1,"a":2,"c":{"z":[1,2],"y":null}})"), R"({"a":2,"b":1,"c":{"y":null,"z":[1,2]}})");
  EXPECT_EQ(canon(R"({"c":{"y":null,"z":[1,2]},"a":2,"b":1})"), canon(R"({"b":1,"c":{"z":[1,2],"y":null},"a":2})"));
}

TEST(CanonicalTest, KeysSortByBytes) {
  EXPECT_EQ(canon(R"({"ab":1,"a":2,"B":3,"é":4,"":5})"), R"({"":5,"B":3,"a":2,"ab":1,"é":4})");
}

TEST(CanonicalTest, DuplicateKeysLastWins) {
  EXPECT_EQ(canon(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(canon(R"({"a":1,"a":2,"a":{"x":1,"x":[]}})"), R"({"a":{"x":[]}})");
}

TEST(CanonicalTest, WhitespaceIndependent) {
  EXPECT_EQ(canon("{\n  \"a\" : [ 1 ,\t2 ] ,\r\n \"b\":{ } }"), R"({"a":[1,2],"b":{}})");
}

TEST(CanonicalTest, IntegralNumberSpellingsAgree) {
  for (const char* s : {"1", "1.0", "1e0", "10E-1", "1.00000", "0.1e1", "100e-2"}) EXPECT_EQ(canon(s), "1") << s;
  for (const char* s : {"0", "-0", "0.0", "-0.0", "0e10", "-0e-3"}) EXPECT_EQ(canon(s), "0") << s;
  EXPECT_EQ(canon("-42.0"), "-42");
  EXPECT_EQ(canon("1e15"), "1000000000000000");
  EXPECT_EQ(canon("9007199254740991.0"), "9007199254740991");
  EXPECT_EQ(canon("-9007199254740991"), "-9007199254740991");
  EXPECT_EQ(canon("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(canon("-9223372036854775808"), "-9223372036854775808");
}

TEST(CanonicalTest, NonIntegralDoublesRoundTrip) {
  EXPECT_EQ(canon("0.1"), "0.1");
  EXPECT_EQ(canon("0.10"), "0.1");
  EXPECT_EQ(canon("1e-1"), "0.1");
  EXPECT_EQ(canon("-2.5"), "-2.5");
  EXPECT_EQ(canon("1e300"), "1e300");
  EXPECT_EQ(canon("1E+300"), "1e300");
  EXPECT_EQ(canon("0.7"), "0.7");
  EXPECT_EQ(canon("1.5e-7"), "1.5e-7");
  EXPECT_EQ(canon("123456.789"), "123456.789");
  // Integral but beyond 2^53 as a double: exponent form, stable.
  EXPECT_EQ(canon("1e20"), canon("100000000000000000000.0"));
  EXPECT_EQ(canon(canon("1e300")), "1e300");
}

TEST(CanonicalTest, DoublesRoundTripExactly) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    rapidjson::Value v(d);
    std::string once;
    write_canonical(v, once);
    rapidjson::Document back;
    back.Parse<rapidjson::kParseFullPrecisionFlag>(once.c_str());
    ASSERT_FALSE(back.HasParseError()) << once;
    ASSERT_EQ(back.GetDouble(), d) << once;
    ASSERT_EQ(canon(once), once);
  }
}

TEST(CanonicalTest, StringEscapesMinimalAndDeterministic) {
  EXPECT_EQ(canon(R"("a\"b\\c\/d")"), R"("a\"b\\c/d")");
  EXPECT_EQ(canon(R"("\b\f\n\r\t")"), R"("\b\f\n\r\t")");
  EXPECT_EQ(canon(R"("\u0001\u001f\u0000x")"), std::string(R"("\u0001\u001f\u0000x")"));
  EXPECT_EQ(canon(R"("\u0008")"), R"("\b")");
  EXPECT_EQ(canon(R"("\u007f\u0020")"), "\"\x7f \"");
  EXPECT_EQ(canon(R"({"k\n":"\u001F"})"), R"({"k\n":"\u001f"})");
}

TEST(CanonicalTest, UnicodeEscapesMatchRawUtf8) {
  EXPECT_EQ(canon(R"("\u00e9")"), "\"é\"");
  EXPECT_EQ(canon(R"("\u00E9")"), canon("\"é\""));
  EXPECT_EQ(canon(R"("\ud83d\ude00")"), "\"\xF0\x9F\x98\x80\"");
  EXPECT_EQ(canon(R"({"\u00e9":"\ud83d\ude00"})"), canon("{\"é\":\"😀\"}"));
  EXPECT_EQ(hash128(canon(R"(["\u00e9","\ud83d\ude00"])")), hash128(canon("[\"é\",\"😀\"]")));
}

TEST(CanonicalTest, NestedStructures) {
  EXPECT_EQ(canon(R"([[[]],{"b":[{"d":1,"c":2}],"a":[[1.0,{}]]},[null,true]])"),
            R"([[[]],{"a":[[1,{}]],"b":[{"c":2,"d":1}]},[null,true]])");
}

TEST(CanonicalTest, DeepNestingDoesNotRecurse) {
  std::string text, want;
  for (int i = 0; i < 20000; ++i) text += "{\"a\":[";
  for (int i = 0; i < 20000; ++i) text += "]}";
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseIterativeFlag>(text.c_str());
  ASSERT_FALSE(doc.HasParseError());
  std::string out;
  write_canonical(doc, out);
  EXPECT_EQ(out, text);
}

TEST(CanonicalTest, AppendsToOutput) {
  std::string out = "prefix:";
  rapidjson::Value v(true);
  write_canonical(v, out);
  EXPECT_EQ(out, "prefix:true");
}

TEST(CanonicalTest, RequestBodiesThatMeanTheSameHashTheSame) {
  std::string a = canon(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":1})");
  std::string b = canon(R"({ "temperature" : 1.0, "messages" : [ { "content" : "hi", "role" : "user" } ], "model" : "fast" })");
  EXPECT_EQ(a, b);
  EXPECT_EQ(hash128(a), hash128(b));
  std::string c = canon(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.9})");
  EXPECT_NE(hash128(a), hash128(c));
}

TEST(Hash128Test, KnownAnswersMatchMurmur3Reference) {
  EXPECT_EQ(reference_hex(hash128("")), "00000000000000000000000000000000");
  EXPECT_EQ(reference_hex(hash128("hello")), "029bbd41b3a7d8cb191dae486a901e5b");
  EXPECT_EQ(reference_hex(hash128("abc")), "6778ad3f3f3f96b4522dca264174a23b");
  EXPECT_EQ(reference_hex(hash128("The quick brown fox jumps over the lazy dog")), "6c1b07bc7bbc4be347939ac4a93c437a");
  EXPECT_EQ(reference_hex(hash128("The quick brown fox jumps over the lazy dog.")), "c902e99e1f4899cde7b68789a3a15d69");
  EXPECT_EQ(reference_hex(hash128("The quick brown fox jumps over the lazy cog")), "9a2685ff70a98c653e5c8ea6eae3fe43");
}

TEST(Hash128Test, PinnedValues) {
  // Pinned from this implementation; a change here changes every cache key.
  EXPECT_EQ(hash128("switchyard"), (Hash128{0x66ad7eaa09ed45ccull, 0x77c7c5c19045ef38ull}));
  EXPECT_EQ(hash128(std::string(100, 'x')), (Hash128{0x0404e50288596ae2ull, 0xdeaf57402eaf7cc3ull}));
  EXPECT_EQ(hash128(std::string_view("\0\0\0", 3)), (Hash128{0x79d54dd1bf713748ull, 0x0af5e7f1b766291dull}));
}

TEST(Hash128Test, IncrementalSplitsAgree) {
  std::string data;
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) data += static_cast<char>(rng());
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 300u}) {
    std::string_view s(data.data(), len);
    Hash128 whole = hash128(s);
    for (size_t cut = 0; cut <= len; ++cut) {
      Hasher h;
      h.update(s.substr(0, cut));
      h.update(s.substr(cut));
      ASSERT_EQ(h.finish(), whole) << len << " cut " << cut;
    }
    Hasher bytewise;
    for (char c : s) bytewise.update(std::string_view(&c, 1));
    ASSERT_EQ(bytewise.finish(), whole);
    Hasher chunks;
    for (size_t pos = 0; pos < len;) {
      size_t n = std::min<size_t>(rng() % 40, len - pos);
      chunks.update(s.substr(pos, n));
      pos += n;
    }
    ASSERT_EQ(chunks.finish(), whole);
  }
}

TEST(Hash128Test, FinishDoesNotConsume) {
  Hasher h;
  h.update("abc");
  EXPECT_EQ(h.finish(), hash128("abc"));
  h.update("def");
  EXPECT_EQ(h.finish(), hash128("abcdef"));
}

TEST(Hash128Test, DifferentInputsDiffer) {
  EXPECT_NE(hash128("a"), hash128("b"));
  EXPECT_NE(hash128("ab"), hash128(std::string_view("ab\0", 3)));
  EXPECT_NE(hash128(""), hash128(std::string_view("\0", 1)));
  EXPECT_NE(hash128("{\"a\":1}"), hash128("{\"a\":2}"));
  // No collisions, and no equal halves, over many short related inputs.
  std::vector<Hash128> seen;
  for (int i = 0; i < 5000; ++i) {
    Hash128 h = hash128("key-" + std::to_string(i));
    EXPECT_NE(h.hi, h.lo);
    seen.push_back(h);
  }
  std::sort(seen.begin(), seen.end(), [](const Hash128& a, const Hash128& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  });
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

}  // namespace
}  // namespace sy::json
