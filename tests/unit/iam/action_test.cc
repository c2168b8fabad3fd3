#include "iam/action.h"

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

TEST(Action, Matching) {
  EXPECT_TRUE(ActionMatches("*", "elasticfilesystem:ClientMount"));
  EXPECT_TRUE(ActionMatches("elasticfilesystem:*", "elasticfilesystem:ClientMount"));
  EXPECT_TRUE(ActionMatches("ElasticFileSystem:clientmount", "elasticfilesystem:ClientMount"));
  EXPECT_TRUE(ActionMatches("elasticfilesystem:Client*", "elasticfilesystem:ClientWrite"));
  EXPECT_TRUE(ActionMatches("elasticfilesystem:Client?????", "elasticfilesystem:ClientMount"));
  EXPECT_FALSE(ActionMatches("elasticfilesystem:Client????", "elasticfilesystem:ClientMount"));
  EXPECT_FALSE(ActionMatches("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"));
  EXPECT_FALSE(ActionMatches("iam:*", "elasticfilesystem:ClientMount"));
  EXPECT_FALSE(ActionMatches("elasticfilesystem:Describe*", "iam:DescribeX"));
}

TEST(Action, Validation) {
  EXPECT_TRUE(ValidateAction("*", "A").ok());
  EXPECT_TRUE(ValidateAction("s3:*", "A").ok());
  EXPECT_TRUE(ValidateAction("elasticfilesystem:Describe*", "A").ok());
  EXPECT_TRUE(ValidateAction("resource-groups:Get?", "A").ok());
  auto s = ValidateAction("ClientMount", "Statement[0].Action[0]");
  EXPECT_EQ(s.code(), Errc::kInvalid);
  EXPECT_NE(s.message().find("Statement[0].Action[0]"), std::string::npos);
  EXPECT_FALSE(ValidateAction(":x", "A").ok());
  EXPECT_FALSE(ValidateAction("s3:", "A").ok());
  EXPECT_FALSE(ValidateAction("s*:Get", "A").ok());
  EXPECT_FALSE(ValidateAction("s3:Get Object", "A").ok());
  EXPECT_FALSE(ValidateAction("s3:a:b", "A").ok());
}

}  // namespace
}  // namespace elfs::iam
