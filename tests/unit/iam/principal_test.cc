#include "iam/principal.h"

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

PrincipalElement Elem(std::initializer_list<std::pair<PrincipalEntry::Kind, const char*>> es) {
  PrincipalElement e;
  for (auto& [k, v] : es) {
    Status s = AddPrincipalValue(k, v, "P", e);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return e;
}

constexpr auto kAws = PrincipalEntry::Kind::kAws;
constexpr auto kService = PrincipalEntry::Kind::kService;

TEST(Principal, Constructors) {
  auto u = Principal::User("111122223333", "alice", "AIDAEXAMPLE", "/eng/");
  EXPECT_EQ(u.arn, "arn:aws:iam::111122223333:user/eng/alice");
  EXPECT_EQ(u.TypeName(), "User");
  auto r = Principal::AssumedRole("111122223333", "admin", "s1", "AROAX", "/ops/");
  EXPECT_EQ(r.arn, "arn:aws:sts::111122223333:assumed-role/admin/s1");
  EXPECT_EQ(r.role_arn, "arn:aws:iam::111122223333:role/ops/admin");
  EXPECT_EQ(r.user_id, "AROAX:s1");
  EXPECT_EQ(Principal::AccountRoot("111122223333").user_id, "111122223333");
  EXPECT_EQ(Principal::Anonymous().Describe(), "anonymous");
}

TEST(Principal, Matching) {
  auto alice = Principal::User("111122223333", "alice", "AIDA1");
  auto bob = Principal::User("444455556666", "bob", "AIDA2");
  auto session = Principal::AssumedRole("111122223333", "admin", "s1", "AROA1");
  auto root = Principal::AccountRoot("111122223333");
  auto anon = Principal::Anonymous();
  auto svc = Principal::Service("ec2.amazonaws.com");

  PrincipalElement star;
  star.entries.push_back({PrincipalEntry::Kind::kAny, "*"});
  auto aws_star = Elem({{kAws, "*"}});
  for (const auto* p : {&alice, &bob, &session, &root, &anon}) {
    EXPECT_TRUE(star.Matches(*p)) << p->Describe();
    EXPECT_TRUE(aws_star.Matches(*p)) << p->Describe();
  }

  auto account = Elem({{kAws, "111122223333"}});
  auto account_root = Elem({{kAws, "arn:aws:iam::111122223333:root"}});
  for (const auto* e : {&account, &account_root}) {
    EXPECT_TRUE(e->Matches(alice));
    EXPECT_TRUE(e->Matches(session));
    EXPECT_TRUE(e->Matches(root));
    EXPECT_FALSE(e->Matches(bob));
    EXPECT_FALSE(e->Matches(anon));
  }

  // Naming the account is an account-level match for users and sessions,
  // a direct one for the root user.
  EXPECT_EQ(account.Match(alice), PrincipalMatch::kAccount);
  EXPECT_EQ(account_root.Match(session), PrincipalMatch::kAccount);
  EXPECT_EQ(account.Match(root), PrincipalMatch::kDirect);
  EXPECT_EQ(aws_star.Match(alice), PrincipalMatch::kDirect);
  EXPECT_EQ(Elem({{kAws, "111122223333"}, {kAws, "arn:aws:iam::111122223333:user/alice"}})
                .Match(alice),
            PrincipalMatch::kDirect);
  EXPECT_EQ(account.Match(bob), PrincipalMatch::kNone);

  auto role = Elem({{kAws, "arn:aws:iam::111122223333:role/admin"}});
  EXPECT_TRUE(role.Matches(session));
  EXPECT_FALSE(role.Matches(alice));
  auto sess = Elem({{kAws, "arn:aws:sts::111122223333:assumed-role/admin/s1"}});
  EXPECT_TRUE(sess.Matches(session));
  EXPECT_FALSE(sess.Matches(Principal::AssumedRole("111122223333", "admin", "s2", "AROA1")));
  auto user = Elem({{kAws, "arn:aws:iam::111122223333:user/alice"}});
  EXPECT_TRUE(user.Matches(alice));
  EXPECT_FALSE(user.Matches(bob));
  EXPECT_FALSE(user.Matches(anon));

  auto service = Elem({{kService, "ec2.amazonaws.com"}});
  EXPECT_TRUE(service.Matches(svc));
  EXPECT_FALSE(service.Matches(alice));
  EXPECT_FALSE(account.Matches(svc));
}

TEST(Principal, NotPrincipalNeedsEveryIdentity) {
  auto session = Principal::AssumedRole("111122223333", "admin", "s1", "AROA1");
  auto alice = Principal::User("111122223333", "alice", "AIDA1");
  // Only the role ARN: the session is still subject to the statement.
  EXPECT_TRUE(Elem({{kAws, "arn:aws:iam::111122223333:role/admin"}}).NotPrincipalApplies(session));
  auto full = Elem({{kAws, "arn:aws:sts::111122223333:assumed-role/admin/s1"},
                    {kAws, "arn:aws:iam::111122223333:role/admin"},
                    {kAws, "111122223333"}});
  EXPECT_FALSE(full.NotPrincipalApplies(session));
  EXPECT_TRUE(full.NotPrincipalApplies(alice));
  auto user = Elem({{kAws, "arn:aws:iam::111122223333:user/alice"},
                    {kAws, "arn:aws:iam::111122223333:root"}});
  EXPECT_FALSE(user.NotPrincipalApplies(alice));
  EXPECT_TRUE(user.NotPrincipalApplies(Principal::Anonymous()));
  EXPECT_FALSE(user.NotPrincipalApplies(Principal::AccountRoot("111122223333")));
  EXPECT_FALSE(Elem({{kAws, "*"}}).NotPrincipalApplies(Principal::Anonymous()));
}

TEST(Principal, Validation) {
  PrincipalElement e;
  EXPECT_TRUE(AddPrincipalValue(kAws, "123456789012", "P", e).ok());
  EXPECT_TRUE(AddPrincipalValue(kAws, "arn:aws:iam::123456789012:user/a/b", "P", e).ok());
  EXPECT_TRUE(AddPrincipalValue(kAws, "arn:aws:sts::123456789012:assumed-role/r/s", "P", e).ok());
  EXPECT_FALSE(AddPrincipalValue(kAws, "12345", "P", e).ok());
  EXPECT_FALSE(AddPrincipalValue(kAws, "arn:aws:iam::123456789012:group/g", "P", e).ok());
  EXPECT_FALSE(AddPrincipalValue(kAws, "arn:aws:iam::*:root", "P", e).ok());
  EXPECT_FALSE(AddPrincipalValue(kAws, "", "P", e).ok());
  EXPECT_FALSE(AddPrincipalValue(kService, "ec2.*", "P", e).ok());
  EXPECT_TRUE(IsAccountId("000000000000"));
  EXPECT_FALSE(IsAccountId("00000000000a"));
}

}  // namespace
}  // namespace elfs::iam
