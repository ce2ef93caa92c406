#include "base/errors.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace sy {
namespace {

json::Document parsed(const std::string& body) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(body, doc, error)) << body;
  return doc;
}

TEST(Errors, BodyShapeWithParam) {
  Error e{400, ErrorType::invalid_request, "temperature must be a number from 0 to 2", "invalid_request", "temperature"};
  EXPECT_EQ(error_body(e),
            R"({"error":{"message":"temperature must be a number from 0 to 2","type":"invalid_request_error",)"
            R"("code":"invalid_request","param":"temperature","metadata":{"error_type":"invalid_request"}}})");
}

TEST(Errors, ParamIsNullWhenNoFieldIsAtFault) {
  auto doc = parsed(error_body({502, ErrorType::provider_unavailable, "upstream a answered 500"}));
  ASSERT_TRUE(doc["error"].HasMember("param"));
  EXPECT_TRUE(doc["error"]["param"].IsNull());
}

TEST(Errors, CodeFallsBackToTheErrorTypeName) {
  auto doc = parsed(error_body({504, ErrorType::cache_miss_offline, "cache-only request and no cached answer"}));
  EXPECT_STREQ(doc["error"]["code"].GetString(), "cache_miss_offline");
}

TEST(Errors, MetadataMembersAreAppended) {
  Error e{400, ErrorType::invalid_request, "invalid config", "invalid_config"};
  e.metadata_json = R"("problems":[{"path":"models","message":"x"}])";
  auto doc = parsed(error_body(e));
  EXPECT_STREQ(doc["error"]["metadata"]["error_type"].GetString(), "invalid_request");
  EXPECT_STREQ(doc["error"]["metadata"]["problems"][0]["path"].GetString(), "models");
}

TEST(Errors, MessageIsEscaped) {
  auto doc = parsed(error_body({400, ErrorType::invalid_request, "bad \"value\"\n\\"}));
  EXPECT_STREQ(doc["error"]["message"].GetString(), "bad \"value\"\n\\");
}

// issue 8: type agrees with metadata.error_type, whatever the status.
TEST(Errors, TypeComesFromTheErrorTypeNotTheStatus) {
  struct Row {
    ErrorType type;
    const char* name;
    const char* body_type;
  } rows[] = {
      {ErrorType::invalid_request, "invalid_request", "invalid_request_error"},
      {ErrorType::context_length_exceeded, "context_length_exceeded", "invalid_request_error"},
      {ErrorType::content_filtered, "content_filtered", "invalid_request_error"},
      {ErrorType::rate_limited, "rate_limited", "rate_limit_error"},
      {ErrorType::provider_unavailable, "provider_unavailable", "server_error"},
      {ErrorType::timeout, "timeout", "timeout_error"},
      {ErrorType::auth, "auth", "authentication_error"},
      {ErrorType::no_healthy_target, "no_healthy_target", "server_error"},
      {ErrorType::cache_miss_offline, "cache_miss_offline", "server_error"},
      {ErrorType::internal, "internal", "server_error"},
  };
  for (const auto& row : rows) {
    EXPECT_STREQ(error_type_name(row.type), row.name);
    EXPECT_STREQ(error_body_type(row.type), row.body_type);
    for (int status : {400, 401, 402, 403, 404, 408, 413, 429, 500, 502, 503, 504}) {
      auto doc = parsed(error_body({status, row.type, "m"}));
      EXPECT_STREQ(doc["error"]["type"].GetString(), row.body_type) << row.name << " " << status;
      EXPECT_STREQ(doc["error"]["metadata"]["error_type"].GetString(), row.name);
      EXPECT_STREQ(doc["error"]["code"].GetString(), row.name);
    }
  }
}

}  // namespace
}  // namespace sy
