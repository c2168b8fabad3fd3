#include "iam/context.h"

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

TEST(Context, CaseInsensitiveKeys) {
  RequestContext r;
  r.keys["aws:SourceIp"] = {"10.0.0.1"};
  ASSERT_TRUE(r.Lookup("AWS:SOURCEIP"));
  EXPECT_EQ(r.Lookup("aws:sourceip")->front(), "10.0.0.1");
  EXPECT_FALSE(r.Lookup("aws:SourceVpc"));
  r.keys["AWS:sourceip"] = {"10.0.0.2"};  // same key
  EXPECT_EQ(r.keys.size(), 1u);
}

TEST(Context, PrincipalDerivedKeys) {
  RequestContext r;
  r.principal = Principal::User("111122223333", "alice", "AIDA1");
  r.principal.tags["Team"] = "storage";
  EXPECT_EQ(r.Lookup("aws:username")->front(), "alice");
  EXPECT_EQ(r.Lookup("aws:userid")->front(), "AIDA1");
  EXPECT_EQ(r.Lookup("aws:PrincipalArn")->front(), "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(r.Lookup("aws:PrincipalAccount")->front(), "111122223333");
  EXPECT_EQ(r.Lookup("aws:PrincipalType")->front(), "User");
  EXPECT_EQ(r.Lookup("aws:principaltag/team")->front(), "storage");
  EXPECT_FALSE(r.Lookup("aws:PrincipalTag/other"));
  // An explicit key wins over the derived one.
  r.keys["aws:username"] = {"override"};
  EXPECT_EQ(r.Lookup("aws:username")->front(), "override");

  RequestContext s;
  s.principal = Principal::AssumedRole("111122223333", "admin", "s1", "AROA1");
  EXPECT_FALSE(s.Lookup("aws:username"));  // roles have no aws:username
  EXPECT_EQ(s.Lookup("aws:PrincipalArn")->front(), "arn:aws:iam::111122223333:role/admin");
  EXPECT_EQ(s.Lookup("aws:userid")->front(), "AROA1:s1");

  RequestContext a;  // anonymous
  EXPECT_FALSE(a.Lookup("aws:PrincipalArn"));
  EXPECT_FALSE(a.Lookup("aws:PrincipalAccount"));
  EXPECT_FALSE(a.Lookup("aws:userid"));
}

TEST(Context, VolatileKeys) {
  EXPECT_TRUE(IsVolatileKey("aws:currenttime"));
  EXPECT_TRUE(IsVolatileKey("aws:EpochTime"));
  EXPECT_FALSE(IsVolatileKey("aws:SourceIp"));
}

}  // namespace
}  // namespace elfs::iam
