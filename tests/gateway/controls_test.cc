#include "gateway/controls.h"

#include <gtest/gtest.h>

namespace sy::gateway {
namespace {

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  json::parse(text, doc, error);
  return doc;
}

TEST(Controls, HeadersThenTheBodyWins) {
  exchange::Controls c;
  Error e;
  auto body = parse(R"({"cache": "refresh", "priority": 1, "timeout_ms": 200, "metadata": {"tier": "gold"}})");
  ASSERT_TRUE(read_controls("x-switchyard-cache: only\nx-switchyard-priority: 9\nx-switchyard-cache-ttl: 5\n", &body, c, e));
  EXPECT_EQ(c.cache, exchange::CacheMode::refresh);
  EXPECT_EQ(c.priority, 1);
  EXPECT_EQ(c.timeout_ms, 200);
  EXPECT_EQ(c.cache_ttl_s, 5);
  EXPECT_STREQ(c.metadata["tier"].GetString(), "gold");
}

TEST(Controls, EveryBadValueNamesItsField) {
  struct Case {
    const char* headers;
    const char* body;
    const char* param;
  } cases[] = {
      {"x-switchyard-timeout: -1\n", nullptr, "x-switchyard-timeout"},
      {"x-switchyard-cache-ttl: -5\n", nullptr, "x-switchyard-cache-ttl"},
      {"x-switchyard-priority: 10\n", nullptr, "x-switchyard-priority"},
      {"x-switchyard-metadata: [1]\n", nullptr, "x-switchyard-metadata"},
      {"x-switchyard-cache: maybe\n", nullptr, "x-switchyard-cache"},
      {"", "[]", "switchyard"},
      {"", R"({"cache": 1})", "switchyard.cache"},
      {"", R"({"cache": "maybe"})", "switchyard.cache"},
      {"", R"({"timeout_ms": 0})", "switchyard.timeout_ms"},
      {"", R"({"cache_ttl_s": -1})", "switchyard.cache_ttl_s"},
      {"", R"({"priority": 2.5})", "switchyard.priority"},
      {"", R"({"metadata": "x"})", "switchyard.metadata"},
  };
  for (const auto& c : cases) {
    exchange::Controls out;
    Error e;
    json::Document body;
    if (c.body) body = parse(c.body);
    EXPECT_FALSE(read_controls(c.headers, c.body ? &body : nullptr, out, e)) << c.param;
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.param, c.param);
  }
}

}  // namespace
}  // namespace sy::gateway
