#include "ingress/models.h"

#include <gtest/gtest.h>

#include "ingress/ingress_test_util.h"

namespace sy::ingress::models {
namespace {

TEST(ModelsDecode, AProvidersOwnList) {
  std::string name = "openai";
  auto d = testing::decode(kCodec, "", name);
  ASSERT_TRUE(d.ok) << d.error.message;
  name = "changed";  // the request keeps its own copy
  EXPECT_EQ(d.request().kind, model::Kind::models);
  EXPECT_EQ(d.request().provider, "openai");
  EXPECT_EQ(d.request().raw, "");
}

TEST(ModelsDecode, TheProviderIsRequired) {
  auto d = testing::decode(kCodec, "", "");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.status, 400);
  EXPECT_EQ(d.error.param, "provider");
}

TEST(ModelsCodec, AnswersAsStoredAndNeverStreams) {
  EXPECT_EQ(kCodec.answer, nullptr);  // the stored form is this format's body: sent as it is
  EXPECT_EQ(kCodec.stream, nullptr);
  Error e{404, ErrorType::invalid_request, "unknown provider", "provider_not_found", "provider"};
  EXPECT_EQ(kCodec.error(e), error_body(e));
}

}  // namespace
}  // namespace sy::ingress::models
