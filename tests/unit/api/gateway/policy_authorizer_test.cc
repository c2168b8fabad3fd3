#include "api/gateway/policy_authorizer.h"

#include <gtest/gtest.h>

#include "fake_credentials.h"

namespace elfs::api {
namespace {

using testing::FakeCredentials;
using testing::Session;
using testing::User;

constexpr char kFsArn[] = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0";

std::string Allow(const std::string& action, const std::string& resource = "*") {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":")" + action +
         R"(","Resource":")" + resource + R"("}]})";
}

class PolicyAuthorizerTest : public ::testing::Test {
 protected:
  PolicyAuthorizerTest()
      : authz_(creds_,
               [this](std::string_view arn, std::string_view action)
                   -> std::optional<PolicyAuthorizer::ResourcePolicy> {
                 if (arn == kFsArn && fs_policy_) return PolicyAuthorizer::ResourcePolicy{*fs_policy_};
                 return std::nullopt;
               },
               testing::kAccount,
               [this](const Principal& p) -> std::optional<std::string> {
                 auto it = session_policies_.find(p.access_key_id);
                 if (it == session_policies_.end()) return std::nullopt;
                 return it->second;
               }) {}

  bool Allowed(const Principal& who, const std::string& action, const std::string& resource = kFsArn) {
    CallContext ctx;
    ctx.principal = who;
    ctx.source_ip = "127.0.0.1";
    ctx.now = std::chrono::system_clock::from_time_t(1700000000);
    return authz_.Authorize(ctx, {action, resource, {}}).has_value();
  }

  FakeCredentials creds_;
  std::optional<std::string> fs_policy_;
  std::map<std::string, std::string> session_policies_;
  PolicyAuthorizer authz_;
};

TEST_F(PolicyAuthorizerTest, IdentityPolicyAllowsAndNothingElseDoes) {
  Principal alice = User("alice");
  EXPECT_FALSE(Allowed(alice, "elasticfilesystem:DescribeFileSystems"));
  creds_.policies[alice.arn] = {{"inline", Allow("elasticfilesystem:Describe*")}};
  authz_.Invalidate();
  EXPECT_TRUE(Allowed(alice, "elasticfilesystem:DescribeFileSystems"));
  EXPECT_FALSE(Allowed(alice, "elasticfilesystem:DeleteFileSystem"));
}

TEST_F(PolicyAuthorizerTest, DenialNamesPrincipalActionAndResource) {
  CallContext ctx;
  ctx.principal = User("bob");
  auto r = authz_.Authorize(ctx, {"elasticfilesystem:DeleteFileSystem", kFsArn, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_NE(r.error().message.find("user/bob"), std::string::npos);
  EXPECT_NE(r.error().message.find("elasticfilesystem:DeleteFileSystem"), std::string::npos);
  EXPECT_NE(r.error().message.find(kFsArn), std::string::npos);
}

TEST_F(PolicyAuthorizerTest, FileSystemPolicyAllowsAndItsDenyWins) {
  Principal carol = User("carol");
  fs_policy_ = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/carol"},"Action":"elasticfilesystem:UpdateFileSystem","Resource":")" +
               std::string(kFsArn) + R"("}]})";
  EXPECT_TRUE(Allowed(carol, "elasticfilesystem:UpdateFileSystem"));
  creds_.policies[carol.arn] = {{"inline", Allow("elasticfilesystem:*")}};
  fs_policy_ = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"elasticfilesystem:*","Resource":")" +
               std::string(kFsArn) + R"("}]})";
  authz_.Invalidate();
  EXPECT_FALSE(Allowed(carol, "elasticfilesystem:UpdateFileSystem"));
}

TEST_F(PolicyAuthorizerTest, CachedDecisionsLastUntilInvalidated) {
  Principal dave = User("dave");
  creds_.policies[dave.arn] = {{"inline", Allow("elasticfilesystem:*")}};
  EXPECT_TRUE(Allowed(dave, "elasticfilesystem:UpdateFileSystem"));
  creds_.policies.clear();
  EXPECT_TRUE(Allowed(dave, "elasticfilesystem:UpdateFileSystem"));  // cached
  authz_.Invalidate();
  EXPECT_FALSE(Allowed(dave, "elasticfilesystem:UpdateFileSystem"));
}

TEST_F(PolicyAuthorizerTest, SessionPolicyLimitsTheRole) {
  Principal wide = Session("admin", "s", "ASIAWIDE");
  Principal narrow = Session("admin", "s", "ASIANARROW");  // same role and name, other key
  creds_.policies[wide.role_arn] = {{"role", Allow("elasticfilesystem:*")}};
  session_policies_["ASIANARROW"] = Allow("elasticfilesystem:Describe*");
  EXPECT_TRUE(Allowed(wide, "elasticfilesystem:DeleteFileSystem"));
  EXPECT_FALSE(Allowed(narrow, "elasticfilesystem:DeleteFileSystem"));
  EXPECT_TRUE(Allowed(narrow, "elasticfilesystem:DescribeFileSystems"));
  // The session policy grants nothing the role does not have.
  EXPECT_FALSE(Allowed(narrow, "iam:CreateUser", "*"));
}

TEST_F(PolicyAuthorizerTest, AccountRootMayDoEverythingButAResourceDeny) {
  Principal root;
  root.kind = Principal::Kind::kRoot;
  root.account = testing::kAccount;
  root.arn = "arn:aws:iam::123456789012:root";
  root.user_id = testing::kAccount;
  EXPECT_TRUE(Allowed(root, "elasticfilesystem:DeleteFileSystem"));
  fs_policy_ = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"elasticfilesystem:DeleteFileSystem","Resource":")" +
               std::string(kFsArn) + R"("}]})";
  authz_.Invalidate();
  EXPECT_FALSE(Allowed(root, "elasticfilesystem:DeleteFileSystem"));
}

}  // namespace
}  // namespace elfs::api
