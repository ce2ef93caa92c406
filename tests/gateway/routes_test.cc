#include "gateway/routes.h"

#include <gtest/gtest.h>

namespace sy::gateway {
namespace {

TEST(Routes, ExactAndNamedPaths) {
  std::string_view name;
  ASSERT_NE(find_route("/v1/chat/completions", name), nullptr);
  EXPECT_EQ(find_route("/v1/chat/completions", name)->handler, Handler::chat);
  const Route* service = find_route("/v1/services/greet", name);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->handler, Handler::services);
  EXPECT_EQ(name, "greet");
  EXPECT_EQ(find_route("/v1/services/", name), nullptr);  // a named route needs its name
  EXPECT_EQ(find_route("/v1/chat/completions/x", name), nullptr);
  EXPECT_EQ(find_route("/nope", name), nullptr);
}

TEST(Routes, MethodsAndCodecs) {
  std::string_view name;
  const Route* cache = find_route("/v1/cache", name);
  EXPECT_TRUE(allows(*cache, "GET"));
  EXPECT_TRUE(allows(*cache, "DELETE"));
  EXPECT_FALSE(allows(*cache, "POST"));
  EXPECT_TRUE(allows(*find_route("/health", name), "HEAD"));
  EXPECT_NE(codec_of(Handler::chat), nullptr);
  EXPECT_NE(codec_of(Handler::embeddings), nullptr);
  EXPECT_EQ(codec_of(Handler::stats), nullptr);
}

}  // namespace
}  // namespace sy::gateway
