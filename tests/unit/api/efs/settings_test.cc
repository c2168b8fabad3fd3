// File system policy, lifecycle configuration, backup policy, account
// preferences, replication, and the tag operations.
#include <regex>

#include "efs_fixture.h"

namespace elfs::api::efs::testing {
namespace {

std::string FsPath(const std::string& fs, const std::string& tail = "") {
  return "/2015-02-01/file-systems/" + fs + tail;
}

const char* kPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"elasticfilesystem:ClientMount"}]})";

TEST_F(EfsTest, FileSystemPolicyLifecycle) {
  std::string fs = NewFs();
  Reply r = Send("GET", FsPath(fs, "/policy"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error, "PolicyNotFound");
  EXPECT_FALSE(service_->FileSystemPolicy(fs));

  r = Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", kPolicy}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["FileSystemId"], fs);
  EXPECT_EQ(r.body["Policy"], kPolicy);
  EXPECT_EQ(Send("GET", FsPath(fs, "/policy")).body["Policy"], kPolicy);
  EXPECT_EQ(service_->FileSystemPolicy(fs), std::optional<std::string>(kPolicy));

  r = Send("DELETE", FsPath(fs, "/policy"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Send("GET", FsPath(fs, "/policy")).error, "PolicyNotFound");
  EXPECT_EQ(Send("DELETE", FsPath(fs, "/policy")).status, 200);
  EXPECT_EQ(Send("GET", FsPath("fs-0123456789abcdef0", "/policy")).error, "FileSystemNotFound");
}

TEST_F(EfsTest, InvalidPoliciesAreRefused) {
  std::string fs = NewFs();
  for (const char* bad : {"not json", "[1,2]", R"({"Version":"2012-10-17"})", R"({"Statement":[]})"}) {
    Reply r = Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", bad}});
    EXPECT_EQ(r.error, "InvalidPolicyException") << bad;
    EXPECT_EQ(r.status, 400);
  }
  EXPECT_EQ(Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", ""}}).error, "ValidationException");
  EXPECT_EQ(Send("PUT", FsPath(fs, "/policy"), Json::object()).error, "ValidationException");
  EXPECT_EQ(Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", std::string(20001, ' ')}}).error,
            "ValidationException");
  EXPECT_EQ(Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", kPolicy}, {"BypassPolicyLockoutSafetyCheck", "yes"}}).error,
            "BadRequest");
  EXPECT_FALSE(service_->FileSystemPolicy(fs));
}

TEST_F(EfsTest, PolicyHooksValidateAndCheckLockout) {
  std::vector<std::string> validated, checked;
  EfsConfig cfg;
  cfg.policy_validator = [&](std::string_view p) -> std::optional<std::string> {
    validated.emplace_back(p);
    if (p.find("Deny") != std::string_view::npos) return "Deny is not welcome here";
    return std::nullopt;
  };
  cfg.policy_lockout_check = [&](const CallContext& ctx, std::string_view arn,
                                 std::string_view p) -> std::optional<std::string> {
    checked.emplace_back(arn);
    if (p.find("lockme") != std::string_view::npos) {
      return "The policy would lock " + ctx.principal.arn + " out";
    }
    return std::nullopt;
  };
  Rebuild(cfg);
  std::string fs = NewFs();
  Reply r = Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", R"({"Effect":"Deny"})"}});
  EXPECT_EQ(r.error, "InvalidPolicyException");
  EXPECT_EQ(r.body["Message"], "Deny is not welcome here");
  EXPECT_TRUE(checked.empty());

  r = Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", "lockme"}});
  EXPECT_EQ(r.error, "InvalidPolicyException");
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(checked[0], service_->FileSystemArn(fs));
  EXPECT_FALSE(service_->FileSystemPolicy(fs));

  r = Send("PUT", FsPath(fs, "/policy"), Json{{"Policy", "lockme"}, {"BypassPolicyLockoutSafetyCheck", true}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(checked.size(), 1u);  // bypassed
  EXPECT_EQ(service_->FileSystemPolicy(fs), std::optional<std::string>("lockme"));
}

TEST_F(EfsTest, LifecycleConfiguration) {
  std::string fs = NewFs();
  std::string path = FsPath(fs, "/lifecycle-configuration");
  EXPECT_EQ(Send("GET", path).body, Json({{"LifecyclePolicies", Json::array()}}));
  Json policies = {{{"TransitionToIA", "AFTER_30_DAYS"}}, {{"TransitionToPrimaryStorageClass", "AFTER_1_ACCESS"}}};
  Reply r = Send("PUT", path, Json{{"LifecyclePolicies", policies}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["LifecyclePolicies"], policies);
  EXPECT_EQ(Send("GET", path).body["LifecyclePolicies"], policies);

  EXPECT_EQ(Send("PUT", path, Json::object()).error, "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", {{{"TransitionToIA", "AFTER_2_DAYS"}}}}}).error,
            "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", {policies[0], policies[1], policies[0]}}}).error,
            "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", {{{"TransitionToIA", "AFTER_7_DAYS"},
                                                            {"TransitionToPrimaryStorageClass", "AFTER_1_ACCESS"}}}}})
                .error,
            "BadRequest");
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", {policies[0], policies[0]}}}).error, "BadRequest");
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", {Json::object()}}}).error, "BadRequest");
  EXPECT_EQ(Send("GET", path).body["LifecyclePolicies"], policies);
  EXPECT_EQ(Send("PUT", path, Json{{"LifecyclePolicies", Json::array()}}).status, 200);
  EXPECT_TRUE(Send("GET", path).body["LifecyclePolicies"].empty());
}

TEST_F(EfsTest, BackupPolicy) {
  std::string fs = NewFs();
  std::string path = FsPath(fs, "/backup-policy");
  EXPECT_EQ(Send("GET", path).body["BackupPolicy"]["Status"], "DISABLED");
  Reply r = Send("PUT", path, Json{{"BackupPolicy", {{"Status", "ENABLED"}}}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["BackupPolicy"]["Status"], "ENABLED");
  EXPECT_EQ(Send("GET", path).body["BackupPolicy"]["Status"], "ENABLED");
  EXPECT_EQ(Send("PUT", path, Json{{"BackupPolicy", {{"Status", "ENABLING"}}}}).error, "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json{{"BackupPolicy", {{"Status", "on"}}}}).error, "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json{{"BackupPolicy", Json::object()}}).error, "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json::object()).error, "ValidationException");
  EXPECT_EQ(Send("GET", FsPath("fs-0123456789abcdef0", "/backup-policy")).error, "FileSystemNotFound");
  EXPECT_EQ(Send("PUT", FsPath(fs) , Json{{"BackupPolicy", {{"Status", "ENABLED"}}}}).error, "BadRequest");
}

TEST_F(EfsTest, AccountPreferencesChooseIdLength) {
  const char* path = "/2015-02-01/account-preferences";
  Reply r = SendRaw("GET", path, R"({"MaxResults": 10})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["ResourceIdPreference"]["ResourceIdType"], "LONG_ID");
  EXPECT_EQ(r.body["ResourceIdPreference"]["Resources"], Json({"FILE_SYSTEM", "MOUNT_TARGET"}));
  r = Send("PUT", path, Json{{"ResourceIdType", "SHORT_ID"}});
  EXPECT_EQ(r.body["ResourceIdPreference"]["ResourceIdType"], "SHORT_ID");
  EXPECT_EQ(Send("GET", path).body["ResourceIdPreference"]["ResourceIdType"], "SHORT_ID");
  std::string fs = NewFs();
  EXPECT_TRUE(std::regex_match(fs, std::regex("fs-[0-9a-f]{8}"))) << fs;
  EXPECT_TRUE(std::regex_match(NewAp(fs), std::regex("fsap-[0-9a-f]{17}")));
  EXPECT_EQ(Send("PUT", path, Json{{"ResourceIdType", "TINY"}}).error, "ValidationException");
  EXPECT_EQ(Send("PUT", path, Json::object()).error, "ValidationException");
  EXPECT_EQ(SendRaw("GET", path, R"({"MaxResults": 0})").error, "ValidationException");
}

TEST_F(EfsTest, ReplicationIsNotOffered) {
  std::string fs = NewFs();
  Reply r = Send("POST", FsPath(fs, "/replication-configuration"),
                 Json{{"Destinations", {{{"Region", "us-west-2"}}}}});
  EXPECT_EQ(r.error, "ValidationException");
  EXPECT_EQ(Send("POST", FsPath(fs, "/replication-configuration"),
                 Json{{"Destinations", {{{"Region", "Mars"}}}}}).error,
            "ValidationException");
  EXPECT_EQ(Send("POST", FsPath(fs, "/replication-configuration"), Json::object()).error,
            "ValidationException");
  EXPECT_EQ(Send("DELETE", FsPath(fs, "/replication-configuration")).error, "ReplicationNotFound");
  EXPECT_EQ(Send("GET", "/2015-02-01/file-systems/replication-configurations?FileSystemId=" + fs).error,
            "ReplicationNotFound");
  r = Send("GET", "/2015-02-01/file-systems/replication-configurations");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["Replications"], Json::array());
}

// ---------------------------------------------------------------- tags

std::string Encode(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == ':' ? "%3A" : ch == '/' ? "%2F" : std::string(1, ch);
  return out;
}

TEST_F(EfsTest, TagResourceOnFileSystemsAndAccessPoints) {
  std::string fs = NewFs();
  std::string ap = NewAp(fs);
  for (const std::string& id : {fs, ap, Encode(service_->AccessPointArn(ap))}) {
    std::string path = "/2015-02-01/resource-tags/" + id;
    Reply r = Send("POST", path, Json{{"Tags", {{{"Key", "b"}, {"Value", "2"}}, {{"Key", "a"}, {"Value", "1"}}}}});
    ASSERT_EQ(r.status, 200) << id << r.body.dump();
    EXPECT_TRUE(r.body.is_null());
    r = Send("GET", path);
    EXPECT_EQ(r.body["Tags"], Json({{{"Key", "a"}, {"Value", "1"}}, {{"Key", "b"}, {"Value", "2"}}}));
    EXPECT_EQ(Send("DELETE", path + "?tagKeys=a&tagKeys=zz").status, 200);
    EXPECT_EQ(Send("GET", path).body["Tags"], Json({{{"Key", "b"}, {"Value", "2"}}}));
  }
  // The Name tag is the file system's Name.
  Send("POST", "/2015-02-01/resource-tags/" + fs, Json{{"Tags", {{{"Key", "Name"}, {"Value", "n1"}}}}});
  EXPECT_EQ(Send("GET", "/2015-02-01/file-systems?FileSystemId=" + fs).body["FileSystems"][0]["Name"], "n1");
  EXPECT_EQ(service_->FindAccessPoint(ap)->tags.size(), 1u);

  EXPECT_EQ(Send("GET", "/2015-02-01/resource-tags/fs-0123456789abcdef0").error, "FileSystemNotFound");
  EXPECT_EQ(Send("GET", "/2015-02-01/resource-tags/fsap-0123456789abcdef0").error, "AccessPointNotFound");
  EXPECT_EQ(Send("GET", "/2015-02-01/resource-tags/fsmt-0123456789abcdef0").error, "ValidationException");
  EXPECT_EQ(Send("DELETE", "/2015-02-01/resource-tags/" + fs).error, "ValidationException");
  EXPECT_EQ(Send("DELETE", "/2015-02-01/resource-tags/" + fs + "?tagKeys=aws%3Ax").error, "ValidationException");
  EXPECT_EQ(Send("POST", "/2015-02-01/resource-tags/" + fs, Json::object()).error, "ValidationException");
}

TEST_F(EfsTest, TagOperationsAskWithTagKeys) {
  std::string fs = NewFs(Json{{"Tags", {{{"Key", "owner"}, {"Value", "me"}}}}});
  authz_.asked.clear();
  Send("POST", "/2015-02-01/resource-tags/" + fs, Json{{"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  Send("DELETE", "/2015-02-01/resource-tags/" + fs + "?tagKeys=k");
  ASSERT_EQ(authz_.asked.size(), 2u);
  EXPECT_EQ(authz_.asked[0].action, "elasticfilesystem:TagResource");
  EXPECT_EQ(authz_.asked[0].context.at("aws:RequestTag/k"), std::vector<std::string>{"v"});
  EXPECT_EQ(authz_.asked[0].context.at("aws:ResourceTag/owner"), std::vector<std::string>{"me"});
  EXPECT_EQ(authz_.asked[1].action, "elasticfilesystem:UntagResource");
  EXPECT_EQ(authz_.asked[1].context.at("aws:TagKeys"), std::vector<std::string>{"k"});
}

TEST_F(EfsTest, TooManyTagsAreRefused) {
  std::string fs = NewFs();
  Json tags = Json::array();
  for (int i = 0; i < 50; ++i) tags.push_back({{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  EXPECT_EQ(Send("POST", "/2015-02-01/resource-tags/" + fs, Json{{"Tags", tags}}).status, 200);
  Reply r = Send("POST", "/2015-02-01/resource-tags/" + fs, Json{{"Tags", {{{"Key", "one-more"}, {"Value", "v"}}}}});
  EXPECT_EQ(r.error, "BadRequest");
  EXPECT_EQ(service_->FindFileSystem(fs)->tags.size(), 50u);
  // Pages of tags.
  r = Send("GET", "/2015-02-01/resource-tags/" + fs + "?MaxResults=20");
  EXPECT_EQ(r.body["Tags"].size(), 20u);
  std::string next = r.body["NextToken"];
  r = Send("GET", "/2015-02-01/resource-tags/" + fs + "?MaxResults=40&NextToken=" + next);
  EXPECT_EQ(r.body["Tags"].size(), 30u);
  EXPECT_FALSE(r.body.contains("NextToken"));
}

TEST_F(EfsTest, LegacyTagOperations) {
  std::string fs = NewFs();
  Reply r = Send("POST", "/2015-02-01/create-tags/" + fs,
                 Json{{"Tags", {{{"Key", "Name"}, {"Value", "old"}}, {{"Key", "x"}, {"Value", "y"}}}}});
  EXPECT_EQ(r.status, 204);
  r = Send("GET", "/2015-02-01/tags/" + fs + "/");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.action, "DescribeTags");
  EXPECT_EQ(r.body["Tags"].size(), 2u);
  r = Send("GET", "/2015-02-01/tags/" + fs + "/?MaxItems=1");
  EXPECT_EQ(r.body["Tags"].size(), 1u);
  EXPECT_EQ(r.body["NextMarker"], "x");
  r = Send("POST", "/2015-02-01/delete-tags/" + fs, Json{{"TagKeys", {"x"}}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(Send("GET", "/2015-02-01/tags/" + fs + "/").body["Tags"].size(), 1u);
  EXPECT_EQ(Send("POST", "/2015-02-01/delete-tags/" + fs, Json{{"TagKeys", Json::array()}}).error,
            "ValidationException");
  std::string ap = NewAp(fs);
  EXPECT_EQ(Send("POST", "/2015-02-01/create-tags/" + ap, Json{{"Tags", Json::array()}}).error,
            "ValidationException");  // the old API knows file systems only
  EXPECT_EQ(Send("GET", "/2015-02-01/tags/fs-0123456789abcdef0/").error, "FileSystemNotFound");
}

}  // namespace
}  // namespace elfs::api::efs::testing
