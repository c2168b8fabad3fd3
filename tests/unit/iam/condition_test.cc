#include "iam/condition.h"

#include <optional>

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

using Values = std::vector<std::string>;

struct Case {
  const char* name;
  const char* op;
  Values policy;
  std::optional<Values> request;  // nullopt: key absent
  bool holds;
};

bool Eval(const Case& c) {
  auto op = ParseConditionOperator(c.op);
  EXPECT_TRUE(op) << c.name;
  if (!op) return false;
  ConditionClause clause{*op, "test:Key", c.policy};
  EXPECT_TRUE(ValidateConditionClause(clause, true, "W").ok()) << c.name;
  RequestContext r;
  r.principal = Principal::User("111122223333", "alice", "AIDA1");
  if (c.request) r.keys["test:key"] = *c.request;
  return EvaluateCondition(clause, true, r).holds;
}

TEST(Condition, OperatorTable) {
  const std::vector<Case> cases = {
      // Strings
      {"StringEquals match", "StringEquals", {"a", "b"}, Values{"b"}, true},
      {"StringEquals case", "StringEquals", {"A"}, Values{"a"}, false},
      {"StringEquals missing", "StringEquals", {"a"}, std::nullopt, false},
      {"StringNotEquals differs", "StringNotEquals", {"a", "b"}, Values{"c"}, true},
      {"StringNotEquals equal", "StringNotEquals", {"a", "b"}, Values{"b"}, false},
      {"StringNotEquals missing is true", "StringNotEquals", {"a"}, std::nullopt, true},
      {"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", {"Storage"}, Values{"STORAGE"}, true},
      {"StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", {"Prod"}, Values{"PROD"}, false},
      {"StringNotEqualsIgnoreCase other", "StringNotEqualsIgnoreCase", {"Prod"}, Values{"dev"}, true},
      {"StringLike star", "StringLike", {"home/*"}, Values{"home/alice/x"}, true},
      {"StringLike question", "StringLike", {"v?"}, Values{"v10"}, false},
      {"StringNotLike", "StringNotLike", {"tmp-*"}, Values{"alice"}, true},
      {"StringNotLike matched", "StringNotLike", {"tmp-*"}, Values{"tmp-1"}, false},
      {"StringNotLike missing", "StringNotLike", {"tmp-*"}, std::nullopt, true},
      // Numbers
      {"NumericEquals int/float", "NumericEquals", {"10"}, Values{"10.0"}, true},
      {"NumericNotEquals", "NumericNotEquals", {"10"}, Values{"11"}, true},
      {"NumericNotEquals missing", "NumericNotEquals", {"10"}, std::nullopt, true},
      {"NumericLessThan", "NumericLessThan", {"10"}, Values{"9.5"}, true},
      {"NumericLessThan equal", "NumericLessThan", {"10"}, Values{"10"}, false},
      {"NumericLessThanEquals", "NumericLessThanEquals", {"10"}, Values{"10"}, true},
      {"NumericGreaterThan", "NumericGreaterThan", {"-1"}, Values{"0"}, true},
      {"NumericGreaterThanEquals", "NumericGreaterThanEquals", {"5"}, Values{"4"}, false},
      {"Numeric request not a number", "NumericEquals", {"1"}, Values{"one"}, false},
      // Dates
      {"DateEquals iso vs epoch", "DateEquals", {"2024-01-01T00:00:00Z"}, Values{"1704067200"}, true},
      {"DateEquals offset", "DateEquals", {"2024-01-01T02:00:00+02:00"}, Values{"2024-01-01T00:00:00Z"}, true},
      {"DateNotEquals", "DateNotEquals", {"2024-01-01"}, Values{"2024-01-02"}, true},
      {"DateLessThan", "DateLessThan", {"2030-01-01"}, Values{"2024-06-01T12:00:00Z"}, true},
      {"DateLessThan after", "DateLessThan", {"2020-01-01"}, Values{"2024-06-01T12:00:00Z"}, false},
      {"DateLessThanEquals", "DateLessThanEquals", {"2024-06-01T12:00:00Z"}, Values{"2024-06-01T12:00:00Z"}, true},
      {"DateGreaterThan millis", "DateGreaterThan", {"2024-06-01T12:00:00.100Z"}, Values{"2024-06-01T12:00:00.200Z"}, true},
      {"DateGreaterThanEquals", "DateGreaterThanEquals", {"1577836800"}, Values{"2019-12-31T23:59:59Z"}, false},
      // Bool, binary
      {"Bool true", "Bool", {"true"}, Values{"TRUE"}, true},
      {"Bool false", "Bool", {"false"}, Values{"true"}, false},
      {"Bool missing", "Bool", {"false"}, std::nullopt, false},
      {"BinaryEquals", "BinaryEquals", {"aGVsbG8="}, Values{"aGVsbG8="}, true},
      {"BinaryEquals other", "BinaryEquals", {"aGVsbG8="}, Values{"aGVsbA=="}, false},
      {"BinaryEquals non-canonical request", "BinaryEquals", {"aGVsbG8="}, Values{"aGVsbG9="}, false},
      // IP
      {"IpAddress v4 cidr", "IpAddress", {"203.0.113.0/24"}, Values{"203.0.113.9"}, true},
      {"IpAddress v4 outside", "IpAddress", {"203.0.113.0/24"}, Values{"203.0.114.9"}, false},
      {"IpAddress v4 single", "IpAddress", {"10.0.0.1"}, Values{"10.0.0.1"}, true},
      {"IpAddress odd prefix", "IpAddress", {"10.0.0.0/9"}, Values{"10.127.255.255"}, true},
      {"IpAddress odd prefix outside", "IpAddress", {"10.0.0.0/9"}, Values{"10.128.0.0"}, false},
      {"IpAddress v6", "IpAddress", {"2001:db8::/32"}, Values{"2001:db8:1::5"}, true},
      {"IpAddress v6 outside", "IpAddress", {"2001:db8::/32"}, Values{"2001:db9::5"}, false},
      {"IpAddress family mismatch", "IpAddress", {"0.0.0.0/0"}, Values{"::1"}, false},
      {"IpAddress mapped v4", "IpAddress", {"192.0.2.0/24"}, Values{"::ffff:192.0.2.7"}, true},
      {"IpAddress zero prefix", "IpAddress", {"::/0"}, Values{"2001:db8::1"}, true},
      {"NotIpAddress", "NotIpAddress", {"203.0.113.7/32"}, Values{"203.0.113.8"}, true},
      {"NotIpAddress inside", "NotIpAddress", {"203.0.113.0/24"}, Values{"203.0.113.8"}, false},
      {"NotIpAddress missing", "NotIpAddress", {"203.0.113.0/24"}, std::nullopt, true},
      // ARNs
      {"ArnEquals", "ArnEquals", {"arn:aws:sns:us-east-1:1:t"}, Values{"arn:aws:sns:us-east-1:1:t"}, true},
      {"ArnEquals takes wildcards", "ArnEquals", {"arn:aws:sns:*:1:t"}, Values{"arn:aws:sns:eu-west-1:1:t"}, true},
      {"ArnLike", "ArnLike", {"arn:aws:iam::1:user/*"}, Values{"arn:aws:iam::1:user/a/b"}, true},
      {"ArnLike segment", "ArnLike", {"arn:aws:iam::1:user/*"}, Values{"arn:aws:iam::2:user/a"}, false},
      {"ArnNotEquals", "ArnNotEquals", {"arn:aws:sns:*:*:other"}, Values{"arn:aws:sns:us-east-1:1:t"}, true},
      {"ArnNotLike matched", "ArnNotLike", {"arn:aws:iam::*:role/admin-*"}, Values{"arn:aws:iam::1:role/admin-x"}, false},
      {"ArnNotLike missing", "ArnNotLike", {"arn:aws:iam::*:role/*"}, std::nullopt, true},
      // Null
      {"Null true absent", "Null", {"true"}, std::nullopt, true},
      {"Null true present", "Null", {"true"}, Values{"x"}, false},
      {"Null false present", "Null", {"false"}, Values{"x"}, true},
      {"Null false absent", "Null", {"false"}, std::nullopt, false},
      // IfExists
      {"IfExists absent", "StringEqualsIfExists", {"a"}, std::nullopt, true},
      {"IfExists present mismatch", "StringEqualsIfExists", {"a"}, Values{"b"}, false},
      {"IfExists numeric", "NumericLessThanIfExists", {"5"}, Values{"3"}, true},
      {"IfExists date absent", "DateGreaterThanIfExists", {"2020-01-01"}, std::nullopt, true},
      {"IfExists bool", "BoolIfExists", {"true"}, Values{"false"}, false},
      {"IfExists ip absent", "IpAddressIfExists", {"10.0.0.0/8"}, std::nullopt, true},
      {"IfExists arn absent", "ArnLikeIfExists", {"arn:aws:s3:::*"}, std::nullopt, true},
      {"IfExists binary absent", "BinaryEqualsIfExists", {"aGVsbG8="}, std::nullopt, true},
      {"IfExists negated present", "StringNotEqualsIfExists", {"a"}, Values{"a"}, false},
      // Set qualifiers
      {"ForAnyValue one", "ForAnyValue:StringEquals", {"a", "x"}, Values{"b", "x"}, true},
      {"ForAnyValue none", "ForAnyValue:StringEquals", {"a"}, Values{"b", "c"}, false},
      {"ForAnyValue missing", "ForAnyValue:StringEquals", {"a"}, std::nullopt, false},
      {"ForAnyValue empty", "ForAnyValue:StringEquals", {"a"}, Values{}, false},
      {"ForAllValues subset", "ForAllValues:StringEquals", {"a", "b", "c"}, Values{"a", "c"}, true},
      {"ForAllValues not subset", "ForAllValues:StringEquals", {"a", "b"}, Values{"a", "z"}, false},
      {"ForAllValues missing", "ForAllValues:StringEquals", {"a"}, std::nullopt, true},
      {"ForAllValues empty", "ForAllValues:StringEquals", {"a"}, Values{}, true},
      {"ForAllValues like", "ForAllValues:StringLike", {"env*", "owner"}, Values{"env", "envx", "owner"}, true},
      {"ForAnyValue negated", "ForAnyValue:StringNotEquals", {"a"}, Values{"a", "b"}, true},
      {"ForAllValues negated", "ForAllValues:StringNotEquals", {"a"}, Values{"a", "b"}, false},
      {"ForAllValues negated none", "ForAllValues:StringNotEquals", {"a"}, Values{"b", "c"}, true},
      {"ForAnyValue IfExists", "ForAnyValue:StringEqualsIfExists", {"a"}, std::nullopt, true},
      // Multi-valued key without qualifier
      {"plain multi any", "StringEquals", {"b"}, Values{"a", "b"}, true},
      {"plain negated multi", "StringNotEquals", {"b"}, Values{"a", "b"}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(Eval(c), c.holds) << c.name;
}

TEST(Condition, OperatorNames) {
  auto op = ParseConditionOperator("ForAllValues:StringLikeIfExists");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op, ConditionOp::kStringLike);
  EXPECT_EQ(op->set, SetQualifier::kForAllValues);
  EXPECT_TRUE(op->if_exists);
  EXPECT_FALSE(ParseConditionOperator("StringEqualz"));
  EXPECT_FALSE(ParseConditionOperator("stringequals"));
  EXPECT_FALSE(ParseConditionOperator("NullIfExists"));
  EXPECT_FALSE(ParseConditionOperator("IfExists"));
  EXPECT_FALSE(ParseConditionOperator("ForSomeValues:StringEquals"));
  EXPECT_EQ(ConditionOpName(ConditionOp::kArnNotLike), "ArnNotLike");
  EXPECT_TRUE(IsNegatedOp(ConditionOp::kNotIpAddress));
  EXPECT_FALSE(IsNegatedOp(ConditionOp::kNull));
}

TEST(Condition, VariablesInValues) {
  RequestContext r;
  r.principal = Principal::User("111122223333", "alice", "AIDA1");
  r.keys["aws:RequestTag/owner"] = {"alice"};
  r.keys["s3:prefix"] = {"home/alice/docs"};
  ConditionClause eq{*ParseConditionOperator("StringEquals"), "aws:RequestTag/owner",
                     {"${aws:username}"}};
  EXPECT_TRUE(EvaluateCondition(eq, true, r).holds);
  // Version 2008-10-17: no variables, the text is literal.
  EXPECT_FALSE(EvaluateCondition(eq, false, r).holds);
  ConditionClause like{*ParseConditionOperator("StringLike"), "s3:prefix",
                       {"home/${aws:username}/*"}};
  EXPECT_TRUE(EvaluateCondition(like, true, r).holds);
  ConditionClause missing_var{*ParseConditionOperator("StringNotEquals"), "aws:RequestTag/owner",
                              {"${aws:PrincipalTag/none}"}};
  std::vector<std::string> missing;
  EXPECT_FALSE(EvaluateCondition(missing_var, true, r, &missing).holds);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "aws:PrincipalTag/none");
}

TEST(Condition, Parsers) {
  EXPECT_EQ(*ParseDateMillis("1970-01-01"), 0);
  EXPECT_EQ(*ParseDateMillis("1970-01-02T00:00:00Z"), 86400000);
  EXPECT_EQ(*ParseDateMillis("2000-03-01T00:00:00Z"), 951868800000);
  EXPECT_EQ(*ParseDateMillis("2024-02-29T00:00:00.5Z"), 1709164800500);
  EXPECT_EQ(*ParseDateMillis("2024-01-01T01:00:00+0100"), 1704067200000);
  EXPECT_FALSE(ParseDateMillis("2023-02-29"));
  EXPECT_FALSE(ParseDateMillis("2024-13-01"));
  EXPECT_FALSE(ParseDateMillis("2024-01-01T25:00"));
  EXPECT_FALSE(ParseDateMillis("2024-01-01T00:00:00Zjunk"));
  EXPECT_FALSE(ParseDateMillis(""));
  EXPECT_EQ(*ParseNumber("-1.5e2"), -150);
  EXPECT_FALSE(ParseNumber("inf"));
  EXPECT_FALSE(ParseNumber("+1"));
  EXPECT_FALSE(ParseNumber("0x10"));
  EXPECT_EQ(*DecodeBase64("aGk="), "hi");
  EXPECT_EQ(*DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("aGk"));
  EXPECT_FALSE(DecodeBase64("a=Gk"));
}

TEST(Condition, TimeKeysAreVolatile) {
  ConditionClause c{*ParseConditionOperator("DateLessThan"), "aws:CurrentTime", {"2030-01-01"}};
  RequestContext r;
  r.keys["aws:CurrentTime"] = {"2024-01-01T00:00:00Z"};
  auto out = EvaluateCondition(c, true, r);
  EXPECT_TRUE(out.holds);
  EXPECT_TRUE(out.volatile_key);
}

}  // namespace
}  // namespace elfs::iam
