#include "iam/resource.h"

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

constexpr const char* kFs = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1";

struct Case {
  const char* name;
  const char* pattern;
  const char* arn;
  bool match;
};

TEST(Resource, SegmentWiseMatching) {
  const Case cases[] = {
      {"star", "*", kFs, true},
      {"exact", kFs, kFs, true},
      {"resource wildcard", "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/*", kFs, true},
      {"any region", "arn:aws:elasticfilesystem:*:111122223333:file-system/fs-1", kFs, true},
      {"region question marks", "arn:aws:elasticfilesystem:us-east-?:111122223333:*", kFs, true},
      {"other account", "arn:aws:elasticfilesystem:*:444455556666:*", kFs, false},
      {"star does not cross colon in the first five segments",
       "arn:*:elasticfilesystem:us-east-1:111122223333:file-system/fs-1",
       "arn:aws:x:elasticfilesystem:us-east-1:111122223333:file-system/fs-1", false},
      {"star in resource crosses colon", "arn:aws:elasticfilesystem:*:*:*", kFs, true},
      {"too few segments in arn", "arn:aws:s3:::b/*", "arn:aws:s3", false},
      {"access point not fs", "arn:aws:elasticfilesystem:*:*:file-system/*",
       "arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/fsap-1", false},
      {"case sensitive", "arn:aws:elasticfilesystem:*:*:File-system/*", kFs, false},
      {"resource part with colons", "arn:aws:logs:*:*:log-group:g:*",
       "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s", true},
      {"non-arn request only matches star or itself", "arn:aws:s3:::*", "*", false},
  };
  for (const auto& c : cases) EXPECT_EQ(ArnMatches(c.pattern, c.arn), c.match) << c.name;
}

TEST(Resource, Validation) {
  EXPECT_TRUE(ValidateResource("*", "R").ok());
  EXPECT_TRUE(ValidateResource(kFs, "R").ok());
  EXPECT_TRUE(ValidateResource("arn:aws:s3:::bucket/*", "R").ok());
  EXPECT_FALSE(ValidateResource("fs-1", "R").ok());
  EXPECT_FALSE(ValidateResource("arn:aws:s3", "R").ok());
  EXPECT_FALSE(ValidateResource("arn::s3:::b", "R").ok());
  EXPECT_FALSE(ValidateResource("urn:aws:s3:::b", "R").ok());
}

TEST(Resource, Account) {
  EXPECT_EQ(ArnAccount(kFs), "111122223333");
  EXPECT_EQ(ArnAccount("arn:aws:s3:::b"), "");
  EXPECT_EQ(ArnAccount("nonsense"), "");
}

}  // namespace
}  // namespace elfs::iam
