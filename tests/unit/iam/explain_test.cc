#include "iam/explain.h"

#include <gtest/gtest.h>

#include "iam/evaluate.h"

namespace elfs::iam {
namespace {

constexpr const char* kFs = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1";

Decision Decide(const char* identity, const char* resource, Principal who, const char* action) {
  PolicySet set;
  set.resource_account = "111122223333";
  if (identity) set.identity.push_back({"user/bob:inline/P", *ParseSharedPolicy(identity, PolicyType::kIdentity)});
  if (resource) set.resource = LabeledPolicy{"file-system-policy", *ParseSharedPolicy(resource, PolicyType::kResource)};
  RequestContext req;
  req.principal = std::move(who);
  req.action = action;
  req.resource = kFs;
  return Evaluate(set, req);
}

TEST(Explain, EvalDecisionNames) {
  EXPECT_EQ(EvalDecisionName(DecisionEffect::kAllow), "allowed");
  EXPECT_EQ(EvalDecisionName(DecisionEffect::kExplicitDeny), "explicitDeny");
  EXPECT_EQ(EvalDecisionName(DecisionEffect::kImplicitDeny), "implicitDeny");
}

TEST(Explain, ImplicitDenyReason) {
  auto d = Decide(nullptr, nullptr, Principal::User("111122223333", "bob", "AIDAB"),
                  "elasticfilesystem:ClientWrite");
  EXPECT_EQ(d.Reason(),
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "
            "elasticfilesystem:ClientWrite on resource: " + std::string(kFs) +
                " because no identity-based policy allows it");
}

TEST(Explain, ExplicitDenyNamesTheStatement) {
  auto d = Decide(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})",
                  R"({"Version":"2012-10-17","Statement":[{"Sid":"ok","Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*"},
                     {"Sid":"no-write","Effect":"Deny","Principal":"*","Action":"elasticfilesystem:ClientWrite","Resource":"*"}]})",
                  Principal::User("111122223333", "bob", "AIDAB"), "elasticfilesystem:ClientWrite");
  EXPECT_EQ(d.effect, DecisionEffect::kExplicitDeny);
  EXPECT_EQ(d.Reason(),
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "
            "elasticfilesystem:ClientWrite on resource: " + std::string(kFs) +
                " with an explicit deny in a resource-based policy (statement \"no-write\" #1 of "
                "file-system-policy)");
  ASSERT_EQ(d.matched.size(), 2u);
  EXPECT_EQ(d.matched[1].sid, "no-write");
  EXPECT_EQ(d.matched[1].effect, Effect::kDeny);
}

TEST(Explain, AllowAndCrossAccountReasons) {
  auto d = Decide(nullptr, nullptr, Principal::AccountRoot("111122223333"),
                  "elasticfilesystem:DeleteFileSystem");
  EXPECT_TRUE(d.allowed());
  EXPECT_NE(d.Reason().find("is authorized to perform"), std::string::npos);
  EXPECT_NE(d.Reason().find("account root user"), std::string::npos);
  auto x = Decide(nullptr, R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"*","Resource":"*"}})",
                  Principal::User("444455556666", "eve", "AIDAE"), "elasticfilesystem:ClientMount");
  EXPECT_EQ(x.effect, DecisionEffect::kImplicitDeny);
  EXPECT_NE(x.Reason().find("cross-account access needs an Allow in both"), std::string::npos);
  EXPECT_NE(x.Reason().find("no identity-based policy allows it"), std::string::npos);
}

}  // namespace
}  // namespace elfs::iam
