// Roles, inline policies, managed policies with versions and attachments,
// and what IdentityPolicies() hands the gateway.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "iam_test_util.h"

namespace elfs::api::iam::testing {
namespace {

constexpr char kAllowEfs[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"AllowEfs","Effect":"Allow",)"
    R"("Action":"elasticfilesystem:*","Resource":"*"}]})";
constexpr char kAllowEc2[] =
    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}})";
constexpr char kTrustUserBob[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]})";

using PoliciesTest = IamFixture;

// A policy document of `n` non-whitespace characters.
std::string DocOfSize(size_t n) {
  std::string head = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:)";
  std::string tail = R"(","Resource":"*"}]})";
  return head + std::string(n - head.size() - tail.size(), 'x') + tail;
}

TEST_F(PoliciesTest, InlineUserPolicyRoundTripUrlEncoded) {
  MakeUser("alice");
  ASSERT_EQ(Iam("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "efs"},
                                  {"PolicyDocument", kAllowEfs}})
                .response.status,
            200);
  auto got = Iam("GetUserPolicy", {{"UserName", "alice"}, {"PolicyName", "efs"}});
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  EXPECT_NE(got.response.body.find("<GetUserPolicyResult><UserName>alice</UserName>"),
            std::string::npos);
  std::string encoded = XmlText(got.response.body, "PolicyDocument");
  EXPECT_EQ(encoded.find('{'), std::string::npos);  // URL-encoded, as IAM returns it
  EXPECT_EQ(UrlDecode(encoded), kAllowEfs);
  auto listed = Iam("ListUserPolicies", {{"UserName", "alice"}});
  EXPECT_EQ(XmlTexts(listed.response.body, "member"), std::vector<std::string>{"efs"});
  auto policies = dir_.IdentityPolicies(UserPrincipal("alice"));
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0].source, "user/alice:inline/efs");
  EXPECT_EQ(policies[0].json, kAllowEfs);
  ASSERT_EQ(Iam("DeleteUserPolicy", {{"UserName", "alice"}, {"PolicyName", "efs"}}).response.status,
            200);
  EXPECT_EQ(Iam("GetUserPolicy", {{"UserName", "alice"}, {"PolicyName", "efs"}}).error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("DeleteUserPolicy", {{"UserName", "alice"}, {"PolicyName", "efs"}}).error_code,
            "NoSuchEntity");
}

TEST_F(PoliciesTest, MalformedDocumentsAreRefusedWithTheEnginesMessage) {
  MakeUser("alice");
  for (std::string doc : {std::string("not json"),
                          std::string(R"({"Version":"2012-10-17","Statement":[]})"),
                          std::string(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow",)"
                                      R"("Principal":"*","Action":"s3:*","Resource":"*"}})")}) {
    auto out = Iam("PutUserPolicy",
                   {{"UserName", "alice"}, {"PolicyName", "p"}, {"PolicyDocument", doc}});
    EXPECT_EQ(out.response.status, 400) << doc;
    EXPECT_EQ(out.error_code, "MalformedPolicyDocument") << doc;
    EXPECT_FALSE(XmlText(out.response.body, "Message").empty());
  }
  EXPECT_TRUE((*dir_.GetUser("alice"))->inline_policies.empty());
}

TEST_F(PoliciesTest, InlineSizeQuotaIsPerUserAggregate) {
  MakeUser("alice");
  std::string half = DocOfSize(1000);
  ASSERT_EQ(Iam("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "a"},
                                  {"PolicyDocument", half}})
                .response.status,
            200);
  ASSERT_EQ(Iam("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "b"},
                                  {"PolicyDocument", half}})
                .response.status,
            200);
  auto over = Iam("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "c"},
                                    {"PolicyDocument", DocOfSize(100)}});
  EXPECT_EQ(over.response.status, 409);
  EXPECT_EQ(over.error_code, "LimitExceeded");
  EXPECT_EQ(XmlText(over.response.body, "Message"),
            "Maximum policy size of 2048 bytes exceeded for user alice");
  // Replacing a policy counts the new size instead of the old one.
  EXPECT_EQ(Iam("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "b"},
                                  {"PolicyDocument", DocOfSize(1048)}})
                .response.status,
            200);
  // A group allows 5120.
  Iam("CreateGroup", {{"GroupName", "g"}});
  EXPECT_EQ(Iam("PutGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "big"},
                                   {"PolicyDocument", DocOfSize(3000)}})
                .response.status,
            200);
}

TEST_F(PoliciesTest, RolesWithTrustPolicies) {
  auto created = Iam("CreateRole", {{"RoleName", "efs-admin"},
                                    {"Path", "/svc/"},
                                    {"AssumeRolePolicyDocument", kTrustUserBob},
                                    {"Description", "EFS administration"},
                                    {"MaxSessionDuration", "7200"}});
  ASSERT_EQ(created.response.status, 200) << created.response.body;
  EXPECT_NE(created.response.body.find("<CreateRoleResult><Role>"), std::string::npos);
  EXPECT_EQ(XmlText(created.response.body, "RoleId").substr(0, 4), "AROA");
  EXPECT_EQ(XmlText(created.response.body, "Arn"), "arn:aws:iam::123456789012:role/svc/efs-admin");
  auto got = Iam("GetRole", {{"RoleName", "efs-admin"}});
  EXPECT_EQ(UrlDecode(XmlText(got.response.body, "AssumeRolePolicyDocument")), kTrustUserBob);
  EXPECT_EQ(XmlText(got.response.body, "MaxSessionDuration"), "7200");
  EXPECT_EQ(XmlText(got.response.body, "Description"), "EFS administration");

  // Identity policies are not trust policies and the reverse.
  EXPECT_EQ(Iam("CreateRole", {{"RoleName", "r2"}, {"AssumeRolePolicyDocument", kAllowEfs}})
                .error_code,
            "MalformedPolicyDocument");
  EXPECT_EQ(Iam("PutRolePolicy", {{"RoleName", "efs-admin"}, {"PolicyName", "p"},
                                  {"PolicyDocument", kTrustUserBob}})
                .error_code,
            "MalformedPolicyDocument");
  EXPECT_EQ(Iam("CreateRole", {{"RoleName", "efs-admin"},
                               {"AssumeRolePolicyDocument", kTrustUserBob}})
                .error_code,
            "EntityAlreadyExists");
  EXPECT_EQ(Iam("CreateRole", {{"RoleName", "r3"}, {"AssumeRolePolicyDocument", kTrustUserBob},
                               {"MaxSessionDuration", "60"}})
                .error_code,
            "ValidationError");
  EXPECT_EQ(Iam("UpdateAssumeRolePolicy", {{"RoleName", "efs-admin"}, {"PolicyDocument", "{"}})
                .error_code,
            "MalformedPolicyDocument");
  ASSERT_EQ(Iam("PutRolePolicy", {{"RoleName", "efs-admin"}, {"PolicyName", "p"},
                                  {"PolicyDocument", kAllowEfs}})
                .response.status,
            200);
  EXPECT_EQ(Iam("DeleteRole", {{"RoleName", "efs-admin"}}).error_code, "DeleteConflict");
  Iam("DeleteRolePolicy", {{"RoleName", "efs-admin"}, {"PolicyName", "p"}});
  EXPECT_EQ(Iam("DeleteRole", {{"RoleName", "efs-admin"}}).response.status, 200);
  EXPECT_EQ(Iam("GetRole", {{"RoleName", "efs-admin"}}).error_code, "NoSuchEntity");
}

TEST_F(PoliciesTest, ManagedPolicyVersionsAndDefault) {
  auto created = Iam("CreatePolicy", {{"PolicyName", "EfsAccess"}, {"Path", "/team/"},
                                      {"PolicyDocument", kAllowEfs}});
  ASSERT_EQ(created.response.status, 200) << created.response.body;
  std::string arn = XmlText(created.response.body, "Arn");
  EXPECT_EQ(arn, "arn:aws:iam::123456789012:policy/team/EfsAccess");
  EXPECT_EQ(XmlText(created.response.body, "PolicyId").substr(0, 4), "ANPA");
  EXPECT_EQ(XmlText(created.response.body, "DefaultVersionId"), "v1");
  EXPECT_EQ(Iam("CreatePolicy", {{"PolicyName", "efsaccess"}, {"PolicyDocument", kAllowEfs}})
                .error_code,
            "EntityAlreadyExists");

  for (int v = 2; v <= 5; ++v) {
    auto out = Iam("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowEc2}});
    ASSERT_EQ(out.response.status, 200) << out.response.body;
    EXPECT_EQ(XmlText(out.response.body, "VersionId"), fmt::format("v{}", v));
    EXPECT_EQ(XmlText(out.response.body, "IsDefaultVersion"), "false");
  }
  auto sixth = Iam("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowEc2}});
  EXPECT_EQ(sixth.response.status, 409);
  EXPECT_EQ(sixth.error_code, "LimitExceeded");

  EXPECT_EQ(Iam("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}}).error_code,
            "DeleteConflict");
  ASSERT_EQ(Iam("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v3"}})
                .response.status,
            200);
  EXPECT_EQ(Iam("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v9"}}).error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "x1"}}).error_code,
            "ValidationError");
  ASSERT_EQ(Iam("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}}).response.status,
            200);
  auto versions = Iam("ListPolicyVersions", {{"PolicyArn", arn}});
  EXPECT_EQ(XmlTexts(versions.response.body, "VersionId"),
            (std::vector<std::string>{"v5", "v4", "v3", "v2"}));
  EXPECT_EQ(versions.response.body.find("<Document>"), std::string::npos);
  auto v3 = Iam("GetPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v3"}});
  EXPECT_EQ(UrlDecode(XmlText(v3.response.body, "Document")), kAllowEc2);
  EXPECT_EQ(XmlText(v3.response.body, "IsDefaultVersion"), "true");
  auto policy = Iam("GetPolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(XmlText(policy.response.body, "DefaultVersionId"), "v3");
  // A sixth version fits again after a delete; the numbering goes on.
  auto v6 = Iam("CreatePolicyVersion",
                {{"PolicyArn", arn}, {"PolicyDocument", kAllowEfs}, {"SetAsDefault", "true"}});
  EXPECT_EQ(XmlText(v6.response.body, "VersionId"), "v6");
  EXPECT_EQ(XmlText(v6.response.body, "IsDefaultVersion"), "true");
}

TEST_F(PoliciesTest, ManagedPolicySizeQuota) {
  EXPECT_EQ(Iam("CreatePolicy", {{"PolicyName", "Big"}, {"PolicyDocument", DocOfSize(6145)}})
                .error_code,
            "LimitExceeded");
  EXPECT_EQ(Iam("CreatePolicy", {{"PolicyName", "Fits"}, {"PolicyDocument", DocOfSize(6144)}})
                .response.status,
            200);
}

TEST_F(PoliciesTest, AttachmentsFeedIdentityPoliciesAndBlockDelete) {
  MakeUser("alice");
  Iam("CreateGroup", {{"GroupName", "devs"}});
  Iam("AddUserToGroup", {{"GroupName", "devs"}, {"UserName", "alice"}});
  std::string arn = XmlText(
      Iam("CreatePolicy", {{"PolicyName", "Efs"}, {"PolicyDocument", kAllowEfs}}).response.body,
      "Arn");
  ASSERT_EQ(Iam("AttachGroupPolicy", {{"GroupName", "devs"}, {"PolicyArn", arn}}).response.status,
            200);
  EXPECT_EQ(authz_.asked.back().action, "iam:AttachGroupPolicy");
  EXPECT_EQ(authz_.asked.back().context.at("iam:PolicyARN"), std::vector<std::string>{arn});
  ASSERT_EQ(Iam("PutGroupPolicy", {{"GroupName", "devs"}, {"PolicyName", "ec2"},
                                   {"PolicyDocument", kAllowEc2}})
                .response.status,
            200);
  ASSERT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}}).response.status,
            200);

  auto policies = dir_.IdentityPolicies(UserPrincipal("alice"));
  std::vector<std::string> sources;
  for (const auto& p : policies) sources.push_back(p.source);
  EXPECT_EQ(sources, (std::vector<std::string>{arn + " (v1)", "group/devs:inline/ec2",
                                               arn + " (v1)"}));

  auto entities = Iam("ListEntitiesForPolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(XmlTexts(entities.response.body, "GroupName"), std::vector<std::string>{"devs"});
  EXPECT_EQ(XmlTexts(entities.response.body, "UserName"), std::vector<std::string>{"alice"});
  EXPECT_EQ(XmlText(Iam("GetPolicy", {{"PolicyArn", arn}}).response.body, "AttachmentCount"), "2");
  auto attached = Iam("ListAttachedUserPolicies", {{"UserName", "alice"}});
  EXPECT_EQ(XmlTexts(attached.response.body, "PolicyArn"), std::vector<std::string>{arn});
  auto only = Iam("ListPolicies", {{"Scope", "Local"}, {"OnlyAttached", "true"}});
  EXPECT_EQ(XmlTexts(only.response.body, "PolicyName"), std::vector<std::string>{"Efs"});
  EXPECT_EQ(XmlCount(Iam("ListPolicies", {{"Scope", "AWS"}}).response.body, "PolicyName"), 0u);

  auto del = Iam("DeletePolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(del.response.status, 409);
  EXPECT_EQ(del.error_code, "DeleteConflict");
  EXPECT_EQ(Iam("DeleteUser", {{"UserName", "alice"}}).error_code, "DeleteConflict");
  EXPECT_EQ(Iam("DeleteGroup", {{"GroupName", "devs"}}).error_code, "DeleteConflict");
  Iam("DetachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}});
  EXPECT_EQ(Iam("DetachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}}).error_code,
            "NoSuchEntity");
  Iam("DetachGroupPolicy", {{"GroupName", "devs"}, {"PolicyArn", arn}});
  EXPECT_EQ(Iam("DeletePolicy", {{"PolicyArn", arn}}).response.status, 200);
  EXPECT_EQ(Iam("GetPolicy", {{"PolicyArn", arn}}).error_code, "NoSuchEntity");
}

TEST_F(PoliciesTest, AttachErrors) {
  MakeUser("alice");
  EXPECT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"},
                                     {"PolicyArn", "arn:aws:iam::123456789012:policy/None"}})
                .error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"},
                                     {"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}})
                .error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"},
                                     {"PolicyArn", "not-an-arn-but-long-enough"}})
                .error_code,
            "InvalidInput");
  for (int i = 0; i < 10; ++i) {
    std::string arn = XmlText(Iam("CreatePolicy", {{"PolicyName", fmt::format("P{}", i)},
                                                   {"PolicyDocument", kAllowEfs}})
                                  .response.body,
                              "Arn");
    ASSERT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}}).response.status,
              200);
  }
  std::string extra = XmlText(
      Iam("CreatePolicy", {{"PolicyName", "P10"}, {"PolicyDocument", kAllowEfs}}).response.body,
      "Arn");
  EXPECT_EQ(Iam("AttachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", extra}}).error_code,
            "LimitExceeded");
}

TEST_F(PoliciesTest, RoleTagsAreResourceTags) {
  ASSERT_EQ(Iam("CreateRole", {{"RoleName", "r"},
                               {"AssumeRolePolicyDocument", kTrustUserBob},
                               {"Tags.member.1.Key", "env"},
                               {"Tags.member.1.Value", "dev"}})
                .response.status,
            200);
  Iam("GetRole", {{"RoleName", "r"}});
  EXPECT_EQ(authz_.asked.back().context.at("aws:ResourceTag/env"), std::vector<std::string>{"dev"});
  ASSERT_EQ(Iam("UntagRole", {{"RoleName", "r"}, {"TagKeys.member.1", "env"}}).response.status, 200);
  EXPECT_EQ(XmlCount(Iam("ListRoleTags", {{"RoleName", "r"}}).response.body, "Key"), 0u);
}

}  // namespace
}  // namespace elfs::api::iam::testing
