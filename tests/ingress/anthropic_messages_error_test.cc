// The Messages ingress: errors in Anthropic's shape (anthropic_messages_error.cc).
#include <gtest/gtest.h>

#include "ingress/anthropic_messages.h"
#include "ingress/anthropic_messages_impl.h"
#include "ingress/ingress_test_util.h"

namespace sy::ingress::anthropic_messages {
namespace {

using testing::parse;

// Anthropic's table (API reference, "Errors"), from the gateway's own errors.
TEST(AnthropicMessagesError, TypesByStatus) {
  struct Case {
    Error error;
    const char* type;
  } cases[] = {
      {{400, ErrorType::invalid_request, "bad"}, "invalid_request_error"},
      {{400, ErrorType::context_length_exceeded, "prompt is too long"}, "invalid_request_error"},
      {{401, ErrorType::auth, "missing gateway key"}, "authentication_error"},
      {{402, ErrorType::invalid_request, "budget exhausted"}, "billing_error"},
      {{403, ErrorType::auth, "model not allowed for this key"}, "permission_error"},
      {{404, ErrorType::invalid_request, "unknown model"}, "not_found_error"},
      {{405, ErrorType::invalid_request, "method not allowed"}, "invalid_request_error"},
      {{408, ErrorType::timeout, "upstream timeout"}, "timeout_error"},
      {{413, ErrorType::invalid_request, "body too large"}, "request_too_large"},
      {{429, ErrorType::rate_limited, "slow down"}, "rate_limit_error"},
      {{500, ErrorType::internal, "oops"}, "api_error"},
      {{501, ErrorType::invalid_request, "not implemented"}, "api_error"},
      {{502, ErrorType::provider_unavailable, "upstream failed"}, "api_error"},
      {{503, ErrorType::no_healthy_target, "every breaker open"}, "overloaded_error"},
      {{504, ErrorType::timeout, "deadline"}, "timeout_error"},
      {{504, ErrorType::cache_miss_offline, "cache only"}, "timeout_error"},
      {{529, ErrorType::provider_unavailable, "Overloaded"}, "overloaded_error"},
      // An Anthropic upstream's own type, kept in code, wins for server errors.
      {{502, ErrorType::provider_unavailable, "failed mid-stream: Overloaded", "overloaded_error"}, "overloaded_error"},
      {{502, ErrorType::provider_unavailable, "x", "rate_limit_exceeded"}, "api_error"},
      {{400, ErrorType::invalid_request, "x", "api_error"}, "invalid_request_error"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error_type(c.error), c.type) << c.error.status << " " << c.error.message;
    auto body = parse(kCodec.error(c.error));
    EXPECT_STREQ(body["error"]["type"].GetString(), c.type);
  }
}

TEST(AnthropicMessagesError, TheShapeKeepsOurMembers) {
  Error e{400, ErrorType::invalid_request, "messages[1].content[0].source.data must be base64", "invalid_request",
          "messages[1].content[0].source.data"};
  e.metadata_json = R"("provider":"claude")";
  auto body = parse(kCodec.error(e));
  ASSERT_TRUE(body.IsObject());
  EXPECT_EQ(body.MemberCount(), 2u);
  EXPECT_STREQ(body["type"].GetString(), "error");
  const json::Value& err = body["error"];
  EXPECT_STREQ(err["type"].GetString(), "invalid_request_error");
  EXPECT_STREQ(err["message"].GetString(), "messages[1].content[0].source.data must be base64");
  EXPECT_STREQ(err["code"].GetString(), "invalid_request");
  EXPECT_STREQ(err["param"].GetString(), "messages[1].content[0].source.data");
  EXPECT_STREQ(err["metadata"]["error_type"].GetString(), "invalid_request");
  EXPECT_STREQ(err["metadata"]["provider"].GetString(), "claude");
  // No param, no code: null and the error type's name, as in the SPEC's body.
  auto bare = parse(kCountTokens.error({429, ErrorType::rate_limited, "rate limited"}));
  EXPECT_TRUE(bare["error"]["param"].IsNull());
  EXPECT_STREQ(bare["error"]["code"].GetString(), "rate_limited");
  EXPECT_STREQ(bare["error"]["type"].GetString(), "rate_limit_error");
  EXPECT_EQ(error_body({500, ErrorType::internal, "x"}), kCodec.error({500, ErrorType::internal, "x"}));
}

}  // namespace
}  // namespace sy::ingress::anthropic_messages
