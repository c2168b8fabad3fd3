// STS: GetCallerIdentity, AssumeRole against trust policies, session keys
// with token and expiry, GetSessionToken; and the Simulate APIs.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "iam_test_util.h"

namespace elfs::api::iam::testing {
namespace {

std::string Trust(std::string_view principal_json) {
  return fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":{}}},)"
      R"("Action":"sts:AssumeRole"}}]}})",
      principal_json);
}
constexpr char kAllowAssume[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",)"
    R"("Resource":"*"}]})";
constexpr char kRoleEfs[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"Efs","Effect":"Allow",)"
    R"("Action":"elasticfilesystem:ClientMount","Resource":"*"}]})";

class StsTest : public IamFixture {
 protected:
  void SetUp() override {
    MakeUser("bob");
    MakeUser("eve");
  }
  void MakeRole(std::string_view name, const std::string& trust, Params extra = {}) {
    Params p{{"RoleName", std::string(name)}, {"AssumeRolePolicyDocument", trust}};
    p.insert(p.end(), extra.begin(), extra.end());
    auto out = Iam("CreateRole", p);
    ASSERT_EQ(out.response.status, 200) << out.response.body;
  }
  Outcome Assume(const Principal& who, std::string_view role, Params extra = {}) {
    Params p{{"RoleArn", fmt::format("arn:aws:iam::123456789012:role/{}", role)},
             {"RoleSessionName", "s1"}};
    p.insert(p.end(), extra.begin(), extra.end());
    return StsAs(who, "AssumeRole", p);
  }
};

TEST_F(StsTest, GetCallerIdentity) {
  auto out = StsAs(UserPrincipal("bob"), "GetCallerIdentity");
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_NE(out.response.body.find("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/"
                                   "doc/2011-06-15/\"><GetCallerIdentityResult>"),
            std::string::npos);
  EXPECT_EQ(XmlText(out.response.body, "Arn"), "arn:aws:iam::123456789012:user/bob");
  EXPECT_EQ(XmlText(out.response.body, "Account"), "123456789012");
  EXPECT_EQ(XmlText(out.response.body, "UserId").substr(0, 4), "AIDA");
  EXPECT_EQ(StsAs(Principal{}, "GetCallerIdentity").error_code, "AccessDenied");
}

TEST_F(StsTest, AssumeRoleNamedInTrustPolicyIssuesSessionCredentials) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  Iam("PutRolePolicy", {{"RoleName", "efs"}, {"PolicyName", "mount"}, {"PolicyDocument", kRoleEfs}});
  auto out = Assume(UserPrincipal("bob"), "efs", {{"DurationSeconds", "900"}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  const auto& body = out.response.body;
  EXPECT_NE(body.find("<AssumeRoleResult><Credentials>"), std::string::npos);
  std::string akid = XmlText(body, "AccessKeyId");
  EXPECT_EQ(akid.substr(0, 4), "ASIA");
  EXPECT_EQ(akid.size(), 20u);
  std::string token = XmlText(body, "SessionToken");
  EXPECT_GE(token.size(), 100u);
  EXPECT_EQ(XmlText(body, "Expiration"), "2027-01-15T08:15:00Z");
  EXPECT_EQ(XmlText(body, "Arn"), "arn:aws:sts::123456789012:assumed-role/efs/s1");
  EXPECT_EQ(authz_.asked.back().action, "sts:AssumeRole");
  EXPECT_EQ(authz_.asked.back().resource, "arn:aws:iam::123456789012:role/efs");
  EXPECT_EQ(authz_.asked.back().context.at("sts:RoleSessionName"), std::vector<std::string>{"s1"});
  std::string role_id = XmlText(Iam("GetRole", {{"RoleName", "efs"}}).response.body, "RoleId");
  EXPECT_EQ(XmlText(body, "AssumedRoleId"), role_id + ":s1");

  auto key = dir_.FindAccessKey(akid);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->secret, XmlText(body, "SecretAccessKey"));
  EXPECT_EQ(key->session_token, token);
  ASSERT_TRUE(key->expires);
  EXPECT_EQ(*key->expires, now_ + std::chrono::seconds(900));
  EXPECT_EQ(key->principal.kind, Principal::Kind::kAssumedRole);
  EXPECT_EQ(key->principal.arn, "arn:aws:sts::123456789012:assumed-role/efs/s1");
  EXPECT_EQ(key->principal.role_arn, "arn:aws:iam::123456789012:role/efs");
  EXPECT_EQ(key->principal.user_id, role_id + ":s1");
  auto policies = dir_.IdentityPolicies(key->principal);
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0].source, "role/efs:inline/mount");

  // The session acts as the role.
  auto me = StsAs(key->principal, "GetCallerIdentity");
  EXPECT_EQ(XmlText(me.response.body, "Arn"), "arn:aws:sts::123456789012:assumed-role/efs/s1");
}

TEST_F(StsTest, ExpiredSessionsAreDroppedByLaterSessions) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  auto first = Assume(UserPrincipal("bob"), "efs", {{"DurationSeconds", "900"}});
  std::string old_key = XmlText(first.response.body, "AccessKeyId");
  ASSERT_TRUE(dir_.FindAccessKey(old_key));
  now_ += std::chrono::seconds(901);
  ASSERT_EQ(Assume(UserPrincipal("bob"), "efs").response.status, 200);
  EXPECT_FALSE(dir_.FindAccessKey(old_key));
}

TEST_F(StsTest, AssumeRoleRefusedForOtherPrincipals) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  auto out = Assume(UserPrincipal("eve"), "efs");
  EXPECT_EQ(out.response.status, 403);
  EXPECT_EQ(out.error_code, "AccessDenied");
  EXPECT_NE(XmlText(out.response.body, "Message").find("arn:aws:iam::123456789012:user/eve"),
            std::string::npos);
  EXPECT_EQ(Assume(Root(), "efs").error_code, "AccessDenied");
  EXPECT_EQ(Assume(UserPrincipal("bob"), "missing").error_code, "AccessDenied");
  EXPECT_TRUE(dir_.ListSessions()->empty());
}

TEST_F(StsTest, TrustingTheAccountNeedsAnIdentityPolicyToo) {
  MakeRole("acct", Trust(R"("arn:aws:iam::123456789012:root")"));
  EXPECT_EQ(Assume(UserPrincipal("bob"), "acct").error_code, "AccessDenied");
  ASSERT_EQ(Iam("PutUserPolicy", {{"UserName", "bob"}, {"PolicyName", "assume"},
                                  {"PolicyDocument", kAllowAssume}})
                .response.status,
            200);
  EXPECT_EQ(Assume(UserPrincipal("bob"), "acct").response.status, 200);
}

TEST_F(StsTest, AnIdentityPolicyAloneDoesNotLetAnyoneAssumeARole) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  ASSERT_EQ(Iam("PutUserPolicy", {{"UserName", "eve"}, {"PolicyName", "assume"},
                                  {"PolicyDocument", kAllowAssume}})
                .response.status,
            200);
  EXPECT_EQ(Assume(UserPrincipal("eve"), "efs").error_code, "AccessDenied");
  EXPECT_EQ(Assume(UserPrincipal("bob"), "efs").response.status, 200);
}

TEST_F(StsTest, ExplicitDenyInTheTrustPolicyWins) {
  std::string trust =
      R"({"Version":"2012-10-17","Statement":[)"
      R"({"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},)"
      R"({"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},)"
      R"("Action":"sts:AssumeRole"}]})";
  MakeRole("d", trust);
  Iam("PutUserPolicy",
      {{"UserName", "bob"}, {"PolicyName", "assume"}, {"PolicyDocument", kAllowAssume}});
  Iam("PutUserPolicy",
      {{"UserName", "eve"}, {"PolicyName", "assume"}, {"PolicyDocument", kAllowAssume}});
  EXPECT_EQ(Assume(UserPrincipal("bob"), "d").error_code, "AccessDenied");
  EXPECT_EQ(Assume(UserPrincipal("eve"), "d").response.status, 200);
}

TEST_F(StsTest, DurationAndSessionNameRules) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  EXPECT_EQ(Assume(UserPrincipal("bob"), "efs", {{"DurationSeconds", "7200"}}).error_code,
            "ValidationError");  // MaxSessionDuration is 3600
  EXPECT_EQ(Assume(UserPrincipal("bob"), "efs", {{"DurationSeconds", "899"}}).error_code,
            "ValidationError");
  auto bad_name = StsAs(UserPrincipal("bob"), "AssumeRole",
                        {{"RoleArn", "arn:aws:iam::123456789012:role/efs"},
                         {"RoleSessionName", "has space"}});
  EXPECT_EQ(bad_name.error_code, "ValidationError");
  auto short_name = StsAs(UserPrincipal("bob"), "AssumeRole",
                          {{"RoleArn", "arn:aws:iam::123456789012:role/efs"},
                           {"RoleSessionName", "x"}});
  EXPECT_EQ(short_name.error_code, "ValidationError");
  auto default_duration = Assume(UserPrincipal("bob"), "efs");
  EXPECT_EQ(XmlText(default_duration.response.body, "Expiration"), "2027-01-15T09:00:00Z");
}

TEST_F(StsTest, RoleChainingIsLimitedToOneHour) {
  MakeRole("first", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  MakeRole("second", Trust(R"("arn:aws:iam::123456789012:role/first")"),
           {{"MaxSessionDuration", "7200"}});
  auto first = Assume(UserPrincipal("bob"), "first");
  auto session = dir_.FindAccessKey(XmlText(first.response.body, "AccessKeyId"));
  ASSERT_TRUE(session);
  EXPECT_EQ(Assume(session->principal, "second", {{"DurationSeconds", "7200"}}).error_code,
            "ValidationError");
  EXPECT_EQ(Assume(session->principal, "second").response.status, 200);
}

TEST_F(StsTest, SessionPolicyIsValidatedAndKept) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  EXPECT_EQ(Assume(UserPrincipal("bob"), "efs", {{"Policy", "{"}}).error_code,
            "MalformedPolicyDocument");
  auto out = Assume(UserPrincipal("bob"), "efs", {{"Policy", kRoleEfs}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_FALSE(XmlText(out.response.body, "PackedPolicySize").empty());
  auto key = dir_.FindAccessKey(XmlText(out.response.body, "AccessKeyId"));
  ASSERT_TRUE(key);
  EXPECT_EQ(dir_.SessionPolicy(key->principal), std::optional<std::string>(kRoleEfs));
}

TEST_F(StsTest, GetSessionTokenActsAsTheUser) {
  auto out = StsAs(UserPrincipal("bob"), "GetSessionToken", {{"DurationSeconds", "1800"}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  auto key = dir_.FindAccessKey(XmlText(out.response.body, "AccessKeyId"));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->principal.kind, Principal::Kind::kUser);
  EXPECT_EQ(key->principal.arn, "arn:aws:iam::123456789012:user/bob");
  EXPECT_EQ(*key->expires, now_ + std::chrono::seconds(1800));
  EXPECT_EQ(StsAs(key->principal, "GetSessionToken").error_code, "AccessDenied");
}

TEST_F(StsTest, DeletingTheRoleEndsItsSessions) {
  MakeRole("efs", Trust(R"("arn:aws:iam::123456789012:user/bob")"));
  auto out = Assume(UserPrincipal("bob"), "efs");
  std::string akid = XmlText(out.response.body, "AccessKeyId");
  ASSERT_EQ(Iam("DeleteRole", {{"RoleName", "efs"}}).response.status, 200);
  EXPECT_FALSE(dir_.FindAccessKey(akid));
}

using SimulateTest = StsTest;

TEST_F(SimulateTest, CustomPolicyPerActionAndResource) {
  std::string policy =
      R"({"Version":"2012-10-17","Statement":[)"
      R"({"Sid":"Mount","Effect":"Allow","Action":"elasticfilesystem:ClientMount","Resource":"*"},)"
      R"({"Sid":"NoWrite","Effect":"Deny","Action":"elasticfilesystem:ClientWrite",)"
      R"("Resource":"*"}]})";
  auto out = Iam("SimulateCustomPolicy", {{"PolicyInputList.member.1", policy},
                                          {"ActionNames.member.1", "elasticfilesystem:ClientMount"},
                                          {"ActionNames.member.2", "elasticfilesystem:ClientWrite"},
                                          {"ActionNames.member.3", "elasticfilesystem:ClientRootAccess"}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_NE(out.response.body.find("<SimulateCustomPolicyResult><EvaluationResults><member>"),
            std::string::npos);
  EXPECT_EQ(XmlTexts(out.response.body, "EvalDecision"),
            (std::vector<std::string>{"allowed", "explicitDeny", "implicitDeny"}));
  EXPECT_EQ(XmlTexts(out.response.body, "SourcePolicyId"),
            (std::vector<std::string>{"PolicyInputList.1", "PolicyInputList.1"}));
  EXPECT_EQ(XmlTexts(out.response.body, "EvalResourceName"),
            (std::vector<std::string>{"*", "*", "*"}));
  EXPECT_EQ(XmlCount(out.response.body, "StartPosition"), 2u);
}

TEST_F(SimulateTest, PrincipalPolicyReportsSourcesAndMissingContext) {
  std::string conditional =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticfilesystem:*",)"
      R"("Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]})";
  Iam("PutUserPolicy", {{"UserName", "bob"}, {"PolicyName", "tls"}, {"PolicyDocument", conditional}});
  Params base{{"PolicySourceArn", "arn:aws:iam::123456789012:user/bob"},
              {"ActionNames.member.1", "elasticfilesystem:ClientWrite"},
              {"ResourceArns.member.1",
               "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"}};
  auto missing = Iam("SimulatePrincipalPolicy", base);
  ASSERT_EQ(missing.response.status, 200) << missing.response.body;
  EXPECT_EQ(XmlText(missing.response.body, "EvalDecision"), "implicitDeny");
  EXPECT_NE(XmlTexts(missing.response.body, "member").size(), 0u);
  EXPECT_NE(missing.response.body.find("aws:SecureTransport"), std::string::npos);

  Params with_context = base;
  with_context.push_back({"ContextEntries.member.1.ContextKeyName", "aws:SecureTransport"});
  with_context.push_back({"ContextEntries.member.1.ContextKeyValues.member.1", "true"});
  with_context.push_back({"ContextEntries.member.1.ContextKeyType", "boolean"});
  auto allowed = Iam("SimulatePrincipalPolicy", with_context);
  ASSERT_EQ(allowed.response.status, 200) << allowed.response.body;
  EXPECT_EQ(XmlText(allowed.response.body, "EvalDecision"), "allowed");
  EXPECT_EQ(XmlText(allowed.response.body, "SourcePolicyId"), "tls");
  EXPECT_EQ(XmlText(allowed.response.body, "SourcePolicyType"), "user");
  EXPECT_EQ(authz_.asked.back().action, "iam:SimulatePrincipalPolicy");

  EXPECT_EQ(Iam("SimulatePrincipalPolicy",
                {{"PolicySourceArn", "arn:aws:iam::123456789012:user/nobody"},
                 {"ActionNames.member.1", "s3:GetObject"}})
                .error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("SimulateCustomPolicy", {{"ActionNames.member.1", "s3:GetObject"}}).error_code,
            "ValidationError");
  EXPECT_EQ(Iam("SimulateCustomPolicy",
                {{"PolicyInputList.member.1", "{"}, {"ActionNames.member.1", "s3:GetObject"}})
                .error_code,
            "InvalidInput");
}

}  // namespace
}  // namespace elfs::api::iam::testing
