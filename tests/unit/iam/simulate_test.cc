#include "iam/simulate.h"

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

constexpr const char* kFs1 = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1";
constexpr const char* kFs2 = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-2";

TEST(Simulate, ActionsTimesResources) {
  SimulationInput in;
  in.principal = Principal::User("111122223333", "alice", "AIDA1");
  in.policies.resource_account = "111122223333";
  in.policies.identity.push_back(
      {"arn:aws:iam::111122223333:policy/ManageFs1",
       *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":[
  {"Sid":"Manage","Effect":"Allow","Action":"elasticfilesystem:*",
   "Resource":"arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1"},
  {"Sid":"NoDelete","Effect":"Deny","Action":"elasticfilesystem:DeleteFileSystem","Resource":"*",
   "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]})",
                          PolicyType::kIdentity)});
  in.actions = {"elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DeleteFileSystem"};
  in.resources = {kFs1, kFs2};
  in.keys["aws:MultiFactorAuthPresent"] = {"false"};
  auto results = Simulate(in);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].action, "elasticfilesystem:DescribeFileSystems");
  EXPECT_EQ(results[0].resource, kFs1);
  EXPECT_EQ(results[0].eval_decision(), "allowed");
  ASSERT_EQ(results[0].decision.matched.size(), 1u);
  EXPECT_EQ(results[0].decision.matched[0].policy_label, "arn:aws:iam::111122223333:policy/ManageFs1");
  EXPECT_EQ(results[0].decision.matched[0].start.line, 2);
  EXPECT_EQ(results[0].decision.matched[0].start.column, 3);
  EXPECT_EQ(results[0].decision.matched[0].end.line, 3);
  EXPECT_EQ(results[1].eval_decision(), "implicitDeny");
  EXPECT_EQ(results[2].eval_decision(), "explicitDeny");
  EXPECT_EQ(results[3].eval_decision(), "explicitDeny");
}

TEST(Simulate, NoResourcesMeansStarAndMissingContext) {
  SimulationInput in;
  in.principal = Principal::User("111122223333", "alice", "AIDA1");
  in.policies.identity.push_back(
      {"inline", *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}})",
                                    PolicyType::kIdentity)});
  in.actions = {"iam:GetUser"};
  auto results = Simulate(in);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].resource, "*");
  EXPECT_EQ(results[0].eval_decision(), "implicitDeny");
  EXPECT_EQ(results[0].decision.missing_context_values, std::vector<std::string>{"aws:SourceIp"});
}

TEST(Simulate, LockoutCheck) {
  PolicySet caller;
  caller.resource_account = "111122223333";
  RequestContext req;
  req.principal = Principal::User("111122223333", "alice", "AIDA1");
  req.resource = kFs1;
  req.action = "elasticfilesystem:ClientMount";  // replaced by the check
  auto locks_out = *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"elasticfilesystem:ClientMount","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"elasticfilesystem:PutFileSystemPolicy","Resource":"*"}]})",
                                      PolicyType::kResource);
  auto keeps = *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"elasticfilesystem:*","Resource":"*"}})",
                                  PolicyType::kResource);
  Decision bad = CheckPolicyLockout(caller, {"new", locks_out}, req);
  EXPECT_FALSE(bad.allowed());
  EXPECT_EQ(bad.action, "elasticfilesystem:PutFileSystemPolicy");
  EXPECT_TRUE(CheckPolicyLockout(caller, {"new", keeps}, req).allowed());
  // With an identity policy that allows it, a policy silent about the caller
  // is safe too.
  caller.identity.push_back({"p", *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"elasticfilesystem:*","Resource":"*"}})",
                                                     PolicyType::kIdentity)});
  auto silent = *ParseSharedPolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*"}})",
                                   PolicyType::kResource);
  EXPECT_TRUE(CheckPolicyLockout(caller, {"new", silent}, req).allowed());
  EXPECT_FALSE(CheckPolicyLockout(caller, {"new", locks_out}, req).allowed());
}

}  // namespace
}  // namespace elfs::iam
