// Kept conversations (src/gateway/conversations.cc): tier keys partitioned by tenant, entries
// and what a damaged or expired entry yields. (Recall and resume through the gateway are tested
// with the Responses codec, in tests/ingress/openai_responses_test.cc and the JS gateway suite.)
#include "gateway/conversations.h"

#include <gtest/gtest.h>

namespace sy::gateway::conversations {
namespace {

TEST(Conversations, KeysArePerTenantAndId) {
  std::string k = key_hex("sk-a", "resp_1");
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(k, key_hex("sk-a", "resp_1"));
  EXPECT_NE(k, key_hex("sk-b", "resp_1"));
  EXPECT_NE(k, key_hex("sk-a", "resp_2"));
  EXPECT_NE(key_hex("sk-a\nresp", "_1"), key_hex("sk-a", "\nresp_1"));  // no forged boundary
}

TEST(Conversations, EntriesKeepTheRecordUntilTheyExpire) {
  std::string record = R"({"input":[{"role":"user","content":"hi \"there\""}]})";
  std::string e = entry("0123456789abcdef0123456789abcdef", record, 5000.7);
  EXPECT_EQ(record_of(e, 1000), record);
  EXPECT_EQ(record_of(e, 4999), record);
  EXPECT_EQ(record_of(e, 5000), "");  // expired (at a whole ms)
  EXPECT_EQ(record_of("", 0), "");
  EXPECT_EQ(record_of("{not json", 0), "");
  EXPECT_EQ(record_of(R"({"key":"x","expires_at":9e99,"answer":{}})", 0), "");  // a cache entry
}

}  // namespace
}  // namespace sy::gateway::conversations
