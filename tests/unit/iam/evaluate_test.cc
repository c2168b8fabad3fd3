// The policy × request → decision matrix.
#include "iam/evaluate.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

constexpr const char* kAcct = "111122223333";
constexpr const char* kOther = "444455556666";
constexpr const char* kFs =
    "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123456789abcdef0";

std::string Corpus(const std::string& name) {
  std::ifstream in(std::filesystem::path(ELFS_IAM_CORPUS_DIR) / "valid" / name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const Policy> Parse(const std::string& json, PolicyType type) {
  auto p = ParseSharedPolicy(json, type);
  EXPECT_TRUE(p) << (p ? "" : p.error().message()) << "\n" << json;
  return p ? *p : std::make_shared<const Policy>();
}

// An identity policy with one statement.
std::string Id(const std::string& effect, const std::string& action, const std::string& resource,
               const std::string& extra = "") {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":")" + effect +
         R"(","Action":)" + action + R"(,"Resource":)" + resource + extra + "}]}";
}
// A resource policy with one statement.
std::string Res(const std::string& effect, const std::string& principal,
                const std::string& action, const std::string& extra = "") {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"R","Effect":")" + effect +
         R"(",)" + principal + R"(,"Action":)" + action + R"(,"Resource":"*")" + extra + "}]}";
}

Principal Alice() {
  auto p = Principal::User(kAcct, "alice", "AIDAALICE");
  p.tags["team"] = "storage";
  return p;
}
Principal Bob() { return Principal::User(kOther, "bob", "AIDABOB"); }
Principal Session() { return Principal::AssumedRole(kAcct, "admin", "s1", "AROAADMIN"); }

struct Case {
  std::string name;
  std::vector<std::string> identity;  // identity policies, labelled id0, id1, ...
  std::string resource;               // resource policy JSON ("" = none)
  bool default_policy = false;        // use the EFS default policy
  PolicyType resource_type = PolicyType::kResource;
  Principal principal;
  std::string action = "elasticfilesystem:ClientMount";
  std::string arn = kFs;
  ContextKeys keys;
  DecisionEffect want;
  std::vector<std::string> matched = {};  // "label#index"
  std::vector<std::string> missing = {};
};

constexpr auto kAllow = DecisionEffect::kAllow;
constexpr auto kDeny = DecisionEffect::kExplicitDeny;
constexpr auto kImplicit = DecisionEffect::kImplicitDeny;
const ContextKeys kViaMountTarget = {{"elasticfilesystem:AccessedViaMountTarget", {"true"}}};

std::vector<Case> Cases() {
  const std::string any_mount = R"("elasticfilesystem:ClientMount")";
  return {
      // --- same account ---
      {"identity allow", {Id("Allow", any_mount, R"("*")")}, "", false, PolicyType::kResource,
       Alice(), "elasticfilesystem:ClientMount", kFs, {}, kAllow, {"id0#0"}},
      {"resource allow alone suffices in the same account", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"})", any_mount),
       false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kAllow,
       {"fsp#0"}},
      {"no policy: implicit deny", {}, "", false, PolicyType::kResource, Alice(),
       "elasticfilesystem:ClientMount", kFs, {}, kImplicit},
      {"identity deny beats resource allow", {Id("Deny", R"("elasticfilesystem:*")", R"("*")")},
       Res("Allow", R"("Principal":"*")", any_mount), false, PolicyType::kResource, Alice(),
       "elasticfilesystem:ClientMount", kFs, {}, kDeny, {"id0#0", "fsp#0"}},
      {"resource deny beats identity allow", {Id("Allow", R"("*")", R"("*")")},
       Res("Deny", R"("Principal":{"AWS":"111122223333"})", any_mount), false,
       PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kDeny,
       {"id0#0", "fsp#0"}},
      {"action case-insensitive and wildcard",
       {Id("Allow", R"("ELASTICFILESYSTEM:client*")", R"("*")")}, "", false,
       PolicyType::kResource, Alice(), "elasticfilesystem:ClientWrite", kFs, {}, kAllow,
       {"id0#0"}},
      {"action not listed", {Id("Allow", R"(["elasticfilesystem:ClientMount"])", R"("*")")}, "",
       false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientWrite", kFs, {},
       kImplicit},
      {"resource wildcard in last segment",
       {Id("Allow", any_mount, R"("arn:aws:elasticfilesystem:*:111122223333:file-system/*")")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kAllow, {"id0#0"}},
      {"other file system",
       {Id("Allow", any_mount, R"("arn:aws:elasticfilesystem:*:111122223333:file-system/fs-1")")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit},
      {"NotAction allows what is not listed",
       {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"elasticfilesystem:ClientRootAccess","Resource":"*"}})"},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientWrite", kFs, {},
       kAllow, {"id0#0"}},
      {"NotAction excludes what is listed",
       {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"elasticfilesystem:ClientRootAccess","Resource":"*"}})"},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientRootAccess", kFs, {},
       kImplicit},
      {"NotResource deny spares the listed resource",
       {Id("Allow", R"("*")", R"("*")"),
        R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:elasticfilesystem:*:*:file-system/fs-0123456789abcdef0"}})"},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kAllow, {"id0#0"}},
      {"NotResource deny hits others",
       {Id("Allow", R"("*")", R"("*")"),
        R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:elasticfilesystem:*:*:file-system/fs-1"}})"},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kDeny, {"id0#0", "id1#0"}},
      {"variable in resource",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::home/${aws:username}/*")")}, "", false,
       PolicyType::kResource, Alice(), "s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", {},
       kAllow, {"id0#0"}},
      {"variable in resource, someone else's",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::home/${aws:username}/*")")}, "", false,
       PolicyType::kResource, Alice(), "s3:GetObject", "arn:aws:s3:::home/bob/notes.txt", {},
       kImplicit},
      {"unresolved variable: no match, reported missing",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::home/${aws:PrincipalTag/dept}/*")")},
       "", false, PolicyType::kResource, Alice(), "s3:GetObject", "arn:aws:s3:::home/x/y", {},
       kImplicit, {}, {"aws:PrincipalTag/dept"}},
      {"variable with default",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::home/${aws:PrincipalTag/dept, 'shared'}/*")")},
       "", false, PolicyType::kResource, Alice(), "s3:GetObject", "arn:aws:s3:::home/shared/y",
       {}, kAllow, {"id0#0"}},
      {"principal tag variable",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::team/${aws:PrincipalTag/team}/*")")},
       "", false, PolicyType::kResource, Alice(), "s3:GetObject",
       "arn:aws:s3:::team/storage/plan", {}, kAllow, {"id0#0"}},
      {"2008-10-17 keeps ${...} literal",
       {Corpus("identity_version_2008_no_variables.json")}, "", false, PolicyType::kResource,
       Alice(), "s3:GetObject", "arn:aws:s3:::bucket/alice/x", {}, kImplicit},
      {"escape variable ${*} is a literal star",
       {Id("Allow", R"("s3:GetObject")", R"("arn:aws:s3:::b/${*}")")}, "", false,
       PolicyType::kResource, Alice(), "s3:GetObject", "arn:aws:s3:::b/x", {}, kImplicit},
      {"condition with a missing key reported",
       {Id("Allow", any_mount, R"("*")", R"(,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit, {}, {"aws:SourceVpc"}},
      {"condition keys AND",
       {Id("Allow", any_mount, R"("*")",
           R"(,"Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs,
       {{"aws:SecureTransport", {"true"}}, {"aws:SourceIp", {"192.168.0.1"}}}, kImplicit},
      {"condition values OR",
       {Id("Allow", any_mount, R"("*")",
           R"(,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs,
       {{"aws:SourceIp", {"192.168.0.1"}}}, kAllow, {"id0#0"}},
      {"negated condition with missing key applies (deny)",
       {Id("Allow", R"("*")", R"("*")"),
        Id("Deny", R"("*")", R"("*")", R"(,"Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kDeny,
       {"id0#0", "id1#0"}, {"aws:SourceVpc"}},
      {"IfExists deny applies when key absent",
       {Id("Allow", R"("*")", R"("*")"),
        Id("Deny", R"("*")", R"("*")", R"(,"Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kDeny, {"id0#0", "id1#0"}, {"aws:SourceVpc"}},
      {"IfExists deny skipped when key differs",
       {Id("Allow", R"("*")", R"("*")"),
        Id("Deny", R"("*")", R"("*")", R"(,"Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs,
       {{"aws:SourceVpc", {"vpc-2"}}}, kAllow, {"id0#0"}},
      {"IfExists allow when key absent",
       {Id("Allow", R"("*")", R"("*")", R"(,"Condition":{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}})")},
       "", false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kAllow, {"id0#0"}, {"aws:MultiFactorAuthAge"}},
      {"ForAllValues tag keys",
       {Corpus("identity_manage_own_fs_by_tag.json")}, "", false, PolicyType::kResource, Alice(),
       "elasticfilesystem:CreateFileSystem", "*",
       {{"aws:RequestTag/owner", {"alice"}}, {"aws:TagKeys", {"owner"}}}, kAllow, {"id0#0"}},
      {"ForAllValues tag keys, extra key",
       {Corpus("identity_manage_own_fs_by_tag.json")}, "", false, PolicyType::kResource, Alice(),
       "elasticfilesystem:CreateFileSystem", "*",
       {{"aws:RequestTag/owner", {"alice"}}, {"aws:TagKeys", {"owner", "cost"}}}, kImplicit},
      {"resource tag matches username",
       {Corpus("identity_manage_own_fs_by_tag.json")}, "", false, PolicyType::kResource, Alice(),
       "elasticfilesystem:DeleteFileSystem", kFs, {{"aws:ResourceTag/owner", {"alice"}}}, kAllow,
       {"id0#1"}},
      {"resource tag of someone else",
       {Corpus("identity_manage_own_fs_by_tag.json")}, "", false, PolicyType::kResource, Alice(),
       "elasticfilesystem:DeleteFileSystem", kFs, {{"aws:ResourceTag/owner", {"bob"}}},
       kImplicit},
      // --- principals in resource policies ---
      {"account principal delegates to identity policies: none allows", {},
       Res("Allow", R"("Principal":{"AWS":"111122223333"})", any_mount), false,
       PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kImplicit,
       {"fsp#0"}},
      {"account root ARN principal delegates too", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:root"})", any_mount), false,
       PolicyType::kResource, Session(), "elasticfilesystem:ClientMount", kFs, {}, kImplicit,
       {"fsp#0"}},
      {"account principal plus identity allow", {Id("Allow", any_mount, R"("*")")},
       Res("Allow", R"("Principal":{"AWS":"111122223333"})", any_mount), false,
       PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kAllow,
       {"id0#0", "fsp#0"}},
      {"account principal deny applies to its users", {Id("Allow", any_mount, R"("*")")},
       Res("Deny", R"("Principal":{"AWS":"111122223333"})", any_mount), false,
       PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {}, kDeny,
       {"id0#0", "fsp#0"}},
      {"role ARN matches its sessions", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"})", any_mount),
       false, PolicyType::kResource, Session(), "elasticfilesystem:ClientMount", kFs, {}, kAllow,
       {"fsp#0"}},
      {"other role does not match", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:role/reader"})", any_mount),
       false, PolicyType::kResource, Session(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit},
      {"session ARN matches that session", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/admin/s1"})", any_mount),
       false, PolicyType::kResource, Session(), "elasticfilesystem:ClientMount", kFs, {}, kAllow,
       {"fsp#0"}},
      {"user ARN does not match another user", {},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:user/carol"})", any_mount),
       false, PolicyType::kResource, Alice(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit},
      {"NotPrincipal deny excludes the fully listed session", {Id("Allow", R"("*")", R"("*")")},
       Corpus("resource_not_principal_deny.json"), false, PolicyType::kResource, Session(),
       "elasticfilesystem:ClientMount", kFs, {}, kAllow, {"id0#0"}},
      {"NotPrincipal deny hits everyone else", {Id("Allow", R"("*")", R"("*")")},
       Corpus("resource_not_principal_deny.json"), false, PolicyType::kResource, Alice(),
       "elasticfilesystem:ClientMount", kFs, {}, kDeny, {"id0#0", "fsp#0"}},
      // --- cross-account ---
      {"cross-account identity only", {Id("Allow", R"("*")", R"("*")")}, "", false,
       PolicyType::kResource, Bob(), "elasticfilesystem:ClientMount", kFs, {}, kImplicit,
       {"id0#0"}},
      {"cross-account resource only", {},
       Res("Allow", R"("Principal":{"AWS":"444455556666"})", any_mount), false,
       PolicyType::kResource, Bob(), "elasticfilesystem:ClientMount", kFs, {}, kImplicit,
       {"fsp#0"}},
      {"cross-account both", {Id("Allow", R"("*")", R"("*")")},
       Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"})", any_mount),
       false, PolicyType::kResource, Bob(), "elasticfilesystem:ClientMount", kFs, {}, kAllow,
       {"id0#0", "fsp#0"}},
      {"cross-account root allowed by resource policy", {},
       Res("Allow", R"("Principal":{"AWS":"444455556666"})", any_mount), false,
       PolicyType::kResource, Principal::AccountRoot(kOther), "elasticfilesystem:ClientMount",
       kFs, {}, kAllow, {"fsp#0"}},
      {"cross-account root without resource allow", {}, "", false, PolicyType::kResource,
       Principal::AccountRoot(kOther), "elasticfilesystem:ClientMount", kFs, {}, kImplicit},
      // --- root ---
      {"root may do everything in its account", {}, "", false, PolicyType::kResource,
       Principal::AccountRoot(kAcct), "elasticfilesystem:DeleteFileSystem", kFs, {}, kAllow},
      {"root is stopped by a resource policy deny", {},
       Res("Deny", R"("Principal":{"AWS":"arn:aws:iam::111122223333:root"})", R"("*")"), false,
       PolicyType::kResource, Principal::AccountRoot(kAcct), "elasticfilesystem:ClientWrite",
       kFs, {}, kDeny, {"fsp#0"}},
      // --- anonymous, default policy, presets ---
      {"default policy: anonymous via mount target", {}, "", true, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientRootAccess", kFs, kViaMountTarget,
       kAllow, {"default-file-system-policy#0"}},
      {"default policy: not via a mount target", {}, "", true, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs, {}, kImplicit, {},
       {"elasticfilesystem:AccessedViaMountTarget"}},
      {"default policy grants no API actions", {}, "", true, PolicyType::kResource, Alice(),
       "elasticfilesystem:DeleteFileSystem", kFs, kViaMountTarget, kImplicit},
      {"anonymous matches Principal *", {}, Res("Allow", R"("Principal":"*")", any_mount), false,
       PolicyType::kResource, Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs, {},
       kAllow, {"fsp#0"}},
      {"anonymous does not match an account", {},
       Res("Allow", R"("Principal":{"AWS":"111122223333"})", any_mount), false,
       PolicyType::kResource, Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit},
      {"anonymous has no identity policies", {Id("Allow", R"("*")", R"("*")")}, "", false,
       PolicyType::kResource, Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs, {},
       kImplicit},
      {"preset prevent root access: root access refused", {},
       Corpus("resource_efs_prevent_root_access.json"), false, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientRootAccess", kFs, kViaMountTarget,
       kImplicit},
      {"preset prevent root access: write allowed", {},
       Corpus("resource_efs_prevent_root_access.json"), false, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientWrite", kFs, kViaMountTarget, kAllow,
       {"fsp#0"}},
      {"preset read-only: write refused", {}, Corpus("resource_efs_enforce_read_only.json"),
       false, PolicyType::kResource, Principal::Anonymous(), "elasticfilesystem:ClientWrite",
       kFs, kViaMountTarget, kImplicit},
      {"preset read-only: mount allowed", {}, Corpus("resource_efs_enforce_read_only.json"),
       false, PolicyType::kResource, Principal::Anonymous(), "elasticfilesystem:ClientMount",
       kFs, kViaMountTarget, kAllow, {"fsp#0"}},
      {"preset prevent anonymous: anonymous refused", {},
       Corpus("resource_efs_prevent_anonymous_access.json"), false, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs, kViaMountTarget, kImplicit},
      {"preset prevent anonymous: IAM user allowed", {},
       Corpus("resource_efs_prevent_anonymous_access.json"), false, PolicyType::kResource,
       Alice(), "elasticfilesystem:ClientMount", kFs, kViaMountTarget, kAllow, {"fsp#0"}},
      {"preset in-transit encryption: plain TCP denied", {},
       Corpus("resource_efs_enforce_in_transit_encryption.json"), false, PolicyType::kResource,
       Principal::Anonymous(), "elasticfilesystem:ClientMount", kFs,
       {{"elasticfilesystem:AccessedViaMountTarget", {"true"}}, {"aws:SecureTransport", {"false"}}},
       kDeny, {"fsp#0", "fsp#1"}},
      {"preset in-transit encryption: TLS allowed", {},
       Corpus("resource_efs_enforce_in_transit_encryption.json"), false, PolicyType::kResource,
       Alice(), "elasticfilesystem:ClientWrite", kFs,
       {{"elasticfilesystem:AccessedViaMountTarget", {"true"}}, {"aws:SecureTransport", {"true"}}},
       kAllow, {"fsp#0"}},
      // --- trust policies ---
      {"trust: account root principal needs the user's own permission", {},
       Corpus("trust_role_assume.json"), false, PolicyType::kTrust, Alice(), "sts:AssumeRole",
       "arn:aws:iam::111122223333:role/admin", {}, kImplicit, {"fsp#0"}},
      {"trust: same-account user allowed by trust and identity",
       {Id("Allow", R"("sts:AssumeRole")", R"("*")")}, Corpus("trust_role_assume.json"), false,
       PolicyType::kTrust, Alice(), "sts:AssumeRole", "arn:aws:iam::111122223333:role/admin", {},
       kAllow, {"id0#0", "fsp#0"}},
      {"trust: partner needs external id and identity permission",
       {Id("Allow", R"("sts:AssumeRole")", R"("*")")}, Corpus("trust_role_assume.json"), false,
       PolicyType::kTrust, Bob(), "sts:AssumeRole", "arn:aws:iam::111122223333:role/admin",
       {{"sts:ExternalId", {"ext-42"}}}, kAllow, {"id0#0", "fsp#1"}},
      {"trust: partner with wrong external id", {Id("Allow", R"("sts:AssumeRole")", R"("*")")},
       Corpus("trust_role_assume.json"), false, PolicyType::kTrust, Bob(), "sts:AssumeRole",
       "arn:aws:iam::111122223333:role/admin", {{"sts:ExternalId", {"nope"}}}, kImplicit,
       {"id0#0"}},
      {"trust: service principal", {}, Corpus("trust_role_assume.json"), false,
       PolicyType::kTrust, Principal::Service("ec2.amazonaws.com"), "sts:AssumeRole",
       "arn:aws:iam::111122223333:role/admin", {}, kAllow, {"fsp#2"}},
      {"trust: root gets no automatic allow", {}, R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}})",
       false, PolicyType::kTrust, Principal::AccountRoot(kAcct), "sts:AssumeRole",
       "arn:aws:iam::111122223333:role/admin", {}, kImplicit},
  };
}

TEST(Evaluate, DecisionMatrix) {
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    PolicySet set;
    set.resource_account = kAcct;
    for (size_t i = 0; i < c.identity.size(); ++i) {
      set.identity.push_back({"id" + std::to_string(i), Parse(c.identity[i], PolicyType::kIdentity)});
    }
    if (c.default_policy) {
      set.resource = DefaultEfsResourcePolicy();
    } else if (!c.resource.empty()) {
      set.resource = LabeledPolicy{"fsp", Parse(c.resource, c.resource_type)};
    }
    RequestContext req;
    req.principal = c.principal;
    req.action = c.action;
    req.resource = c.arn;
    req.keys = c.keys;
    Decision d = Evaluate(set, req);
    EXPECT_EQ(EvalDecisionName(d.effect), EvalDecisionName(c.want)) << d.Reason();
    std::vector<std::string> matched;
    for (const auto& m : d.matched) matched.push_back(m.policy_label + "#" + std::to_string(m.index));
    EXPECT_EQ(matched, c.matched);
    EXPECT_EQ(d.missing_context_values, c.missing);
    // Every statement is either matched or explained.
    size_t total = 0;
    for (const auto& lp : set.identity) total += lp.policy->statements.size();
    if (set.resource) total += set.resource->policy->statements.size();
    if (!c.principal.anonymous() && c.principal.kind != Principal::Kind::kService) {
      EXPECT_EQ(d.matched.size() + d.not_matched.size(), total);
    }
  }
}

TEST(Evaluate, MismatchExplanations) {
  PolicySet set;
  set.resource_account = kAcct;
  set.identity.push_back({"user/alice:inline/P", Parse(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
    {"Sid":"B","Effect":"Allow","Action":"elasticfilesystem:*","Resource":"arn:aws:elasticfilesystem:*:*:file-system/fs-9"},
    {"Sid":"C","Effect":"Allow","Action":"elasticfilesystem:*","Resource":"*",
     "Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]})", PolicyType::kIdentity)});
  set.resource = LabeledPolicy{"fsp", Parse(Res("Allow", R"("Principal":{"AWS":"arn:aws:iam::111122223333:user/zed"})", R"("*")"), PolicyType::kResource)};
  RequestContext req;
  req.principal = Alice();
  req.action = "elasticfilesystem:ClientMount";
  req.resource = kFs;
  req.keys["aws:SourceVpc"] = {"vpc-2"};
  Decision d = Evaluate(set, req);
  EXPECT_EQ(d.effect, DecisionEffect::kImplicitDeny);
  ASSERT_EQ(d.not_matched.size(), 4u);
  EXPECT_EQ(d.not_matched[0].element, StatementMismatch::Element::kAction);
  EXPECT_EQ(d.not_matched[0].statement.sid, "A");
  EXPECT_EQ(d.not_matched[1].element, StatementMismatch::Element::kResource);
  EXPECT_EQ(d.not_matched[2].element, StatementMismatch::Element::kCondition);
  EXPECT_EQ(d.not_matched[2].condition_key, "aws:SourceVpc");
  EXPECT_EQ(d.not_matched[2].condition_operator, "StringEquals");
  EXPECT_FALSE(d.not_matched[2].key_missing);
  EXPECT_EQ(d.not_matched[3].element, StatementMismatch::Element::kPrincipal);
  EXPECT_TRUE(d.not_matched[3].statement.resource_policy);
  EXPECT_NE(d.not_matched[3].detail.find("not in Principal"), std::string::npos);
}

TEST(Evaluate, TimeDependentDecisions) {
  PolicySet set;
  set.resource_account = kAcct;
  set.identity.push_back({"p", Parse(Id("Allow", R"("*")", R"("*")",
      R"(,"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}})"), PolicyType::kIdentity)});
  RequestContext req;
  req.principal = Alice();
  req.action = "s3:GetObject";
  req.resource = "arn:aws:s3:::b/k";
  req.keys["aws:CurrentTime"] = {"2029-12-31T23:59:59Z"};
  Decision d = Evaluate(set, req);
  EXPECT_TRUE(d.allowed());
  EXPECT_TRUE(d.time_dependent);
  req.keys["aws:CurrentTime"] = {"2030-01-01T00:00:00Z"};
  EXPECT_FALSE(Evaluate(set, req).allowed());

  // A variable naming a volatile key makes the decision time-dependent too.
  PolicySet by_variable;
  by_variable.resource_account = kAcct;
  by_variable.identity.push_back({"v", Parse(Id("Allow", R"("*")", R"("arn:aws:s3:::b/${aws:EpochTime}")"),
                                             PolicyType::kIdentity)});
  req.keys["aws:EpochTime"] = {"1700000000"};
  req.resource = "arn:aws:s3:::b/1700000000";
  Decision v = Evaluate(by_variable, req);
  EXPECT_TRUE(v.allowed());
  EXPECT_TRUE(v.time_dependent);
  PolicySet plain;
  plain.identity.push_back({"p", Parse(Id("Allow", R"("*")", R"("*")"), PolicyType::kIdentity)});
  EXPECT_FALSE(Evaluate(plain, req).time_dependent);
}

TEST(Evaluate, SessionPolicyIntersects) {
  RequestContext req;
  req.principal = Session();
  req.resource = kFs;
  PolicySet set;
  set.resource_account = kAcct;
  set.identity.push_back({"role", Parse(Id("Allow", R"("elasticfilesystem:Client*")", R"("*")"),
                                        PolicyType::kIdentity)});
  auto decide = [&](const char* action) {
    req.action = action;
    return Evaluate(set, req);
  };
  EXPECT_TRUE(decide("elasticfilesystem:ClientWrite").allowed());

  // The session may do only what both its role and its session policy allow.
  set.session = LabeledPolicy{"session-policy",
                              Parse(Id("Allow", R"(["elasticfilesystem:ClientMount","s3:*"])",
                                       R"("*")"),
                                    PolicyType::kIdentity)};
  EXPECT_TRUE(decide("elasticfilesystem:ClientMount").allowed());
  auto write = decide("elasticfilesystem:ClientWrite");
  EXPECT_EQ(write.effect, DecisionEffect::kImplicitDeny);
  EXPECT_EQ(write.basis, "the session policy does not allow it");
  EXPECT_FALSE(decide("s3:GetObject").allowed());  // the role does not allow it

  // The session policy's explicit Deny wins.
  set.session = LabeledPolicy{"session-policy",
                              Parse(Id("Deny", R"("elasticfilesystem:ClientMount")", R"("*")"),
                                    PolicyType::kIdentity)};
  EXPECT_EQ(decide("elasticfilesystem:ClientMount").effect, DecisionEffect::kExplicitDeny);

  // Unreadable (null): nothing is allowed.
  set.session = LabeledPolicy{"session-policy", nullptr};
  EXPECT_FALSE(decide("elasticfilesystem:ClientMount").allowed());
}

TEST(Evaluate, DefaultPolicyIsValid) {
  const auto& p = DefaultEfsFileSystemPolicy();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->statements.size(), 1u);
  EXPECT_EQ(p->statements[0].actions.size(), 3u);
  EXPECT_EQ(DefaultEfsResourcePolicy().label, kDefaultEfsPolicyLabel);
}

}  // namespace
}  // namespace elfs::iam
