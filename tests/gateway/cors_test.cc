#include "gateway/cors.h"

#include <gtest/gtest.h>

namespace sy::gateway {
namespace {

TEST(Cors, OnlyListedOriginsGetHeaders) {
  config::Gateway g;
  EXPECT_EQ(cors_headers(g, "origin: https://a.example\n", false), "");
  g.cors_origins = {"https://a.example"};
  EXPECT_EQ(cors_headers(g, "", false), "");
  EXPECT_EQ(cors_headers(g, "origin: https://b.example\n", false), "");
  std::string h = cors_headers(g, "origin: https://a.example\n", false);
  EXPECT_NE(h.find("access-control-allow-origin: https://a.example\n"), std::string::npos);
  EXPECT_NE(h.find("access-control-expose-headers:"), std::string::npos);
  g.cors_origins = {"*"};
  EXPECT_NE(cors_headers(g, "origin: https://b.example\n", false).find("access-control-allow-origin: *\n"),
            std::string::npos);
}

TEST(Cors, PreflightsEchoPlainHeaderNamesOnly) {
  config::Gateway g;
  g.cors_origins = {"https://a.example"};
  g.cors_max_age_s = 60;
  std::string h = cors_headers(g, "origin: https://a.example\naccess-control-request-headers: x-a, x-b\n", true);
  EXPECT_NE(h.find("access-control-allow-headers: x-a, x-b\n"), std::string::npos);
  EXPECT_NE(h.find("access-control-max-age: 60\n"), std::string::npos);
  h = cors_headers(g, "origin: https://a.example\naccess-control-request-headers: x\r\ninjected: 1\n", true);
  EXPECT_EQ(h.find("injected"), std::string::npos);
}

}  // namespace
}  // namespace sy::gateway
