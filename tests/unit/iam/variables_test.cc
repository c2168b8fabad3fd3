#include "iam/variables.h"

#include <gtest/gtest.h>

#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

RequestContext Alice() {
  RequestContext r;
  r.principal = Principal::User("111122223333", "alice", "AIDA1");
  r.principal.tags["project"] = "blue";
  r.keys["aws:SourceIp"] = {"10.1.2.3"};
  r.keys["multi"] = {"a", "b"};
  r.keys["starry"] = {"a*b"};
  return r;
}

TEST(Variables, Expansion) {
  auto r = Alice();
  EXPECT_EQ(*ExpandVariables("home/${aws:username}/x", r, ExpandMode::kLiteral), "home/alice/x");
  EXPECT_EQ(*ExpandVariables("${aws:userid}", r, ExpandMode::kLiteral), "AIDA1");
  EXPECT_EQ(*ExpandVariables("${aws:PrincipalTag/project}", r, ExpandMode::kLiteral), "blue");
  EXPECT_EQ(*ExpandVariables("${AWS:SOURCEIP}", r, ExpandMode::kLiteral), "10.1.2.3");
  EXPECT_EQ(*ExpandVariables("${aws:username}${aws:userid}", r, ExpandMode::kLiteral),
            "aliceAIDA1");
  EXPECT_EQ(*ExpandVariables("no vars", r, ExpandMode::kLiteral), "no vars");
}

TEST(Variables, DefaultsAndMissing) {
  auto r = Alice();
  std::vector<std::string> missing;
  EXPECT_EQ(*ExpandVariables("${aws:PrincipalTag/dept, 'none'}", r, ExpandMode::kLiteral),
            "none");
  EXPECT_EQ(*ExpandVariables("${aws:username,'x'}", r, ExpandMode::kLiteral), "alice");
  EXPECT_FALSE(ExpandVariables("a/${aws:PrincipalTag/dept}", r, ExpandMode::kLiteral, &missing));
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "aws:PrincipalTag/dept");
  // A multi-valued key does not expand.
  EXPECT_FALSE(ExpandVariables("${multi}", r, ExpandMode::kLiteral));
}

TEST(Variables, EscapesAndWildcardMode) {
  auto r = Alice();
  EXPECT_EQ(*ExpandVariables("${*}${?}${$}", r, ExpandMode::kLiteral), "*?$");
  auto p = *ExpandVariables("a${*}b*", r, ExpandMode::kWildcard);
  EXPECT_TRUE(WildcardMatch(p, "a*bzzz"));
  EXPECT_FALSE(WildcardMatch(p, "aXbzzz"));
  // An expanded value is never a wildcard.
  auto q = *ExpandVariables("${starry}", r, ExpandMode::kWildcard);
  EXPECT_TRUE(WildcardMatch(q, "a*b"));
  EXPECT_FALSE(WildcardMatch(q, "axxb"));
}

TEST(Variables, Validation) {
  EXPECT_TRUE(ValidateVariables("${aws:username}", "W").ok());
  EXPECT_TRUE(ValidateVariables("${aws:x, 'd'} ${*} ${?} ${$}", "W").ok());
  EXPECT_FALSE(ValidateVariables("${aws:username", "W").ok());
  EXPECT_FALSE(ValidateVariables("${}", "W").ok());
  EXPECT_FALSE(ValidateVariables("${a, d}", "W").ok());
  EXPECT_FALSE(ValidateVariables("${a b}", "W").ok());
  EXPECT_TRUE(HasVariables("x${y}"));
  EXPECT_FALSE(HasVariables("x$y"));
  auto keys = VariableKeys("${a}/${b, 'c'}/${*}");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], "a");
  EXPECT_EQ(keys[1], "b");
}

}  // namespace
}  // namespace elfs::iam
