#include "api/iam/validate.h"

#include <gtest/gtest.h>

namespace elfs::api::iam {
namespace {

struct PatternCase {
  const char* name;
  Pattern pattern;
  std::string value;
  bool ok;
};

class PatternTest : public ::testing::TestWithParam<PatternCase> {};

TEST_P(PatternTest, Matches) {
  const auto& c = GetParam();
  EXPECT_EQ(Matches(c.pattern, c.value), c.ok) << c.value;
}

INSTANTIATE_TEST_SUITE_P(
    Models, PatternTest,
    ::testing::Values(
        PatternCase{"name_plain", Pattern::kName, "alice", true},
        PatternCase{"name_symbols", Pattern::kName, "a+b=c,d.e@f_g-h", true},
        PatternCase{"name_space", Pattern::kName, "a b", false},
        PatternCase{"name_slash", Pattern::kName, "a/b", false},
        PatternCase{"name_empty", Pattern::kName, "", false},
        PatternCase{"name_unicode", Pattern::kName, "caf\xc3\xa9", false},
        PatternCase{"path_root", Pattern::kPath, "/", true},
        PatternCase{"path_nested", Pattern::kPath, "/a/b/", true},
        PatternCase{"path_no_trailing", Pattern::kPath, "/a", false},
        PatternCase{"path_no_leading", Pattern::kPath, "a/", false},
        PatternCase{"path_space", Pattern::kPath, "/a b/", false},
        PatternCase{"prefix_root", Pattern::kPathPrefix, "/", true},
        PatternCase{"prefix_partial", Pattern::kPathPrefix, "/eng", true},
        PatternCase{"prefix_relative", Pattern::kPathPrefix, "eng", false},
        PatternCase{"policy_path_ok", Pattern::kPolicyPath, "/team-a/x/", true},
        PatternCase{"policy_path_root", Pattern::kPolicyPath, "/", true},
        PatternCase{"policy_path_empty_segment", Pattern::kPolicyPath, "/a//", false},
        PatternCase{"policy_path_star", Pattern::kPolicyPath, "/a*/", false},
        PatternCase{"doc_tab_newline", Pattern::kPolicyDocument, "{\t\n}", true},
        PatternCase{"doc_latin1", Pattern::kPolicyDocument, "\xc3\xa9", true},
        PatternCase{"doc_control", Pattern::kPolicyDocument, std::string("a\x01"), false},
        PatternCase{"doc_beyond_latin1", Pattern::kPolicyDocument, "\xe2\x82\xac", false},
        PatternCase{"doc_bad_utf8", Pattern::kPolicyDocument, "\xc3", false},
        PatternCase{"tag_key", Pattern::kTagKey, "team:cost-center/x=y+z@w", true},
        PatternCase{"tag_key_unicode", Pattern::kTagKey, "\xc3\xa9quipe", true},
        PatternCase{"tag_key_star", Pattern::kTagKey, "a*", false},
        PatternCase{"tag_value_empty", Pattern::kTagValue, "", true},
        PatternCase{"version_v1", Pattern::kVersionId, "v1", true},
        PatternCase{"version_v12_suffix", Pattern::kVersionId, "v12.a-b", true},
        PatternCase{"version_v0", Pattern::kVersionId, "v0", false},
        PatternCase{"version_no_v", Pattern::kVersionId, "1", false},
        PatternCase{"session_name", Pattern::kSessionName, "my-session@x", true},
        PatternCase{"session_name_colon", Pattern::kSessionName, "a:b", false},
        PatternCase{"external_id", Pattern::kExternalId, "a:b/c", true},
        PatternCase{"key_id", Pattern::kAccessKeyId, "AKIAABCDEFGHIJKLMNOP", true},
        PatternCase{"key_id_dash", Pattern::kAccessKeyId, "AKIA-", false},
        PatternCase{"description_control", Pattern::kDescription, "a\nb", false},
        PatternCase{"description_text", Pattern::kDescription, "Role for EFS; ok!", true}),
    [](const auto& info) { return info.param.name; });

TEST(ValidateTest, RequiredStringMissingIsValidationError) {
  auto q = QueryParams::Parse("Action=CreateUser");
  ASSERT_TRUE(q);
  auto v = RequireString(*q, rules::kUserName);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "ValidationError");
  EXPECT_EQ(v.error().http_status, 400);
  EXPECT_NE(v.error().message.find("'userName'"), std::string::npos);
  EXPECT_NE(v.error().message.find("must not be null"), std::string::npos);
}

TEST(ValidateTest, LengthCountsCodePoints) {
  // 64 two-byte characters are 64 code points: too long only by pattern,
  // while 65 ASCII characters are too long by length.
  auto q = QueryParams::Parse("UserName=" + std::string(65, 'a'));
  ASSERT_TRUE(q);
  auto v = RequireString(*q, rules::kUserName);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("less than or equal to 64"), std::string::npos);
  auto ok = QueryParams::Parse("UserName=" + std::string(64, 'a'));
  EXPECT_TRUE(RequireString(*ok, rules::kUserName));
}

TEST(ValidateTest, PatternMessageNamesThePattern) {
  auto q = QueryParams::Parse("UserName=a%20b");
  auto v = RequireString(*q, rules::kUserName);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message,
            "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
}

TEST(ValidateTest, IntegersAndBooleans) {
  auto q = QueryParams::Parse("MaxItems=0&A=1001&B=x&C=TRUE&D=12");
  EXPECT_FALSE(GetInt(*q, "MaxItems", "maxItems", 1, 1000));
  EXPECT_FALSE(GetInt(*q, "A", "a", 1, 1000));
  EXPECT_FALSE(GetInt(*q, "B", "b", 1, 1000));
  EXPECT_EQ(**GetInt(*q, "D", "d", 1, 1000), 12);
  EXPECT_FALSE(GetInt(*q, "Absent", "absent", 1, 1000)->has_value());
  EXPECT_TRUE(**GetBool(*q, "C", "c"));
  EXPECT_FALSE(GetBool(*q, "B", "b"));
}

TEST(ValidateTest, PolicySizeIgnoresWhitespace) {
  EXPECT_EQ(PolicySize("{ \"a\" :\n\t1 }"), 7u);
}

TEST(ValidateTest, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UrlEncode("{\"A\": \"s3:*\"}"), "%7B%22A%22%3A%20%22s3%3A%2A%22%7D");
  EXPECT_EQ(UrlEncode("a-b_c.d~"), "a-b_c.d~");
}

}  // namespace
}  // namespace elfs::api::iam
