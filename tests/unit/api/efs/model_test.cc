// The service against the botocore model (every operation routed, every
// error status as the model says), hostile requests, and denials that must
// change nothing.
#include <fstream>
#include <sstream>

#include "efs_fixture.h"

namespace elfs::api::efs::testing {
namespace {

Json LoadModel() {
  std::ifstream in(ELFS_EFS_BOTOCORE_MODEL);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str(), nullptr, false);
}

TEST_F(EfsTest, EveryModelOperationIsRouted) {
  Json model = LoadModel();
  ASSERT_TRUE(model.is_object()) << "cannot read " << ELFS_EFS_BOTOCORE_MODEL;
  ASSERT_GE(model["operations"].size(), 30u);
  std::string fs = NewFs();
  for (const auto& [name, op] : model["operations"].items()) {
    std::string uri = op["http"]["requestUri"];
    for (const char* param : {"{FileSystemId}", "{SourceFileSystemId}", "{ResourceId}"}) {
      if (auto at = uri.find(param); at != std::string::npos) uri.replace(at, strlen(param), fs);
    }
    for (auto [param, value] : {std::pair{"{AccessPointId}", "fsap-0123456789abcdef0"},
                                std::pair{"{MountTargetId}", "fsmt-0123456789abcdef0"}}) {
      if (auto at = uri.find(param); at != std::string::npos) uri.replace(at, strlen(param), value);
    }
    ASSERT_EQ(uri.find('{'), std::string::npos) << name << " " << uri;
    Reply r = SendRaw(op["http"]["method"].get<std::string>(), uri, "{}");
    EXPECT_EQ(r.action, name) << uri;
    EXPECT_NE(r.error, "UnknownOperationException") << name;
    // An answer the model allows: success, or one of its errors for this
    // operation (or a validation error of the empty body).
    if (r.status >= 300) {
      bool listed = r.error == "ValidationException" || r.error == "BadRequest";
      for (const auto& e : op.value("errors", Json::array())) listed |= e["shape"] == r.error;
      EXPECT_TRUE(listed) << name << " answered " << r.error;
    } else if (op["http"].contains("responseCode")) {
      EXPECT_EQ(r.status, op["http"]["responseCode"].get<int>()) << name;
    }
  }
}

TEST_F(EfsTest, ErrorStatusesAreTheModels) {
  Json model = LoadModel();
  ASSERT_TRUE(model.is_object());
  size_t errors = 0;
  for (const auto& [name, shape] : model["shapes"].items()) {
    if (!shape.value("exception", false)) continue;
    ++errors;
    bool known = false;
    for (const auto& [code, status] : ErrorTable()) known |= code == name;
    EXPECT_TRUE(known) << name;
    EXPECT_EQ(StatusOfError(name), shape["error"]["httpStatusCode"].get<int>()) << name;
  }
  EXPECT_GE(errors, 30u);
}

TEST_F(EfsTest, UnknownRoutes) {
  for (auto [method, target] : {std::pair{"GET", "/"}, std::pair{"GET", "/2015-02-01"},
                                std::pair{"PATCH", "/2015-02-01/file-systems"},
                                std::pair{"GET", "/2016-01-01/file-systems"},
                                std::pair{"GET", "/2015-02-01/file-systems/fs-1/unknown"},
                                std::pair{"DELETE", "/2015-02-01/account-preferences"}, std::pair{"GET", ""}}) {
    Reply r = Send(method, target);
    EXPECT_EQ(r.error, "UnknownOperationException") << method << " " << target;
    EXPECT_EQ(r.status, 404);
    EXPECT_TRUE(r.action.empty());
  }
}

TEST_F(EfsTest, HostileBodies) {
  const char* create = "/2015-02-01/file-systems";
  struct Case {
    const char* name;
    std::string body;
    const char* code;
  };
  std::vector<Case> cases = {
      {"broken", "{\"CreationToken\": ", "BadRequest"},
      {"not an object", "[1,2,3]", "BadRequest"},
      {"string", "\"CreationToken\"", "BadRequest"},
      {"invalid utf-8", "{\"CreationToken\": \"\xff\xfe\"}", "BadRequest"},
      {"nul", std::string("{\"CreationToken\": \"a\0b\"}", 23), "BadRequest"},
      {"deep", std::string(100000, '[') + std::string(100000, ']'), "BadRequest"},
      {"deep object", "{\"CreationToken\":\"t\",\"Tags\":" + std::string(50000, '[') + std::string(50000, ']') + "}",
       "BadRequest"},
      {"huge token", "{\"CreationToken\": \"" + std::string(500000, 'a') + "\"}", "ValidationException"},
      {"too big", "{\"CreationToken\": \"" + std::string(2 << 20, 'a') + "\"}", "BadRequest"},
      {"null token", "{\"CreationToken\": null}", "ValidationException"},
      {"tags of numbers", "{\"CreationToken\":\"t\",\"Tags\":[1]}", "BadRequest"},
      {"tag key number", "{\"CreationToken\":\"t\",\"Tags\":[{\"Key\":1,\"Value\":\"v\"}]}", "BadRequest"},
  };
  for (const auto& c : cases) {
    Reply r = SendRaw("POST", create, c.body);
    EXPECT_EQ(r.error, c.code) << c.name << ": " << r.body.dump().substr(0, 200);
    EXPECT_LT(r.body.dump().size(), 2000u) << c.name;  // huge input is not echoed
  }
  EXPECT_EQ(Count("efs/file-system"), 0u);
  // Paths and queries.
  EXPECT_EQ(Send("DELETE", "/2015-02-01/file-systems/%zz").error, "BadRequest");
  EXPECT_EQ(Send("DELETE", "/2015-02-01/file-systems/%ff%fe").error, "ValidationException");
  EXPECT_EQ(Send("GET", "/2015-02-01/file-systems?MaxItems=%zz").error, "BadRequest");
  EXPECT_EQ(Send("DELETE", "/2015-02-01/file-systems/" + std::string(5000, 'f')).error, "ValidationException");
  // A body where none is expected is ignored, as long as it is JSON.
  EXPECT_EQ(SendRaw("GET", "/2015-02-01/file-systems", "{}").status, 200);
}

// Every store record, for before/after comparisons.
std::string Snapshot(store::Store& store) {
  std::string out;
  for (const char* kind : {"efs/file-system", "efs/file-system-policy", "efs/mount-target",
                           "efs/access-point", "efs/creation-token", "efs/client-token", "efs/quota",
                           "efs/account-preferences"}) {
    auto records = store.List(kind);
    for (const auto& r : *records) out += r.kind + "/" + r.id + "=" + r.value + "\n";
  }
  return out;
}

TEST_F(EfsTest, DenialsChangeNothing) {
  std::string fs = NewFs(Json{{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}});
  std::string mt = NewMt(fs);
  std::string ap = NewAp(fs);
  std::string before = Snapshot(*store_);
  size_t enis = network_.interfaces();
  struct Call {
    const char* method;
    std::string target;
    Json body;
    const char* action;
  };
  std::vector<Call> calls = {
      {"POST", "/2015-02-01/file-systems", {{"CreationToken", "new"}}, "CreateFileSystem"},
      {"PUT", "/2015-02-01/file-systems/" + fs, {{"ThroughputMode", "elastic"}}, "UpdateFileSystem"},
      {"DELETE", "/2015-02-01/file-systems/" + fs, nullptr, "DeleteFileSystem"},
      {"POST", "/2015-02-01/mount-targets", {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000b"}}, "CreateMountTarget"},
      {"DELETE", "/2015-02-01/mount-targets/" + mt, nullptr, "DeleteMountTarget"},
      {"PUT", "/2015-02-01/mount-targets/" + mt + "/security-groups", {{"SecurityGroups", {"sg-00000001"}}},
       "ModifyMountTargetSecurityGroups"},
      {"POST", "/2015-02-01/access-points", {{"ClientToken", "x"}, {"FileSystemId", fs}}, "CreateAccessPoint"},
      {"DELETE", "/2015-02-01/access-points/" + ap, nullptr, "DeleteAccessPoint"},
      {"PUT", "/2015-02-01/file-systems/" + fs + "/policy", {{"Policy", R"({"Statement":{}})"}}, "PutFileSystemPolicy"},
      {"PUT", "/2015-02-01/file-systems/" + fs + "/lifecycle-configuration",
       {{"LifecyclePolicies", {{{"TransitionToIA", "AFTER_7_DAYS"}}}}}, "PutLifecycleConfiguration"},
      {"PUT", "/2015-02-01/file-systems/" + fs + "/backup-policy", {{"BackupPolicy", {{"Status", "ENABLED"}}}},
       "PutBackupPolicy"},
      {"POST", "/2015-02-01/resource-tags/" + fs, {{"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}, "TagResource"},
      {"DELETE", "/2015-02-01/resource-tags/" + fs + "?tagKeys=env", nullptr, "UntagResource"},
      {"POST", "/2015-02-01/create-tags/" + fs, {{"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}, "CreateTags"},
      {"POST", "/2015-02-01/delete-tags/" + fs, {{"TagKeys", {"env"}}}, "DeleteTags"},
      {"PUT", "/2015-02-01/account-preferences", {{"ResourceIdType", "SHORT_ID"}}, "PutAccountPreferences"},
      {"GET", "/2015-02-01/file-systems/" + fs + "/policy", nullptr, "DescribeFileSystemPolicy"},
  };
  for (const auto& c : calls) {
    DenyAll deny;
    Reply r = SendWith(deny, c.method, c.target, c.body.is_null() ? "" : c.body.dump());
    EXPECT_EQ(r.status, 403) << c.action << r.body.dump();
    EXPECT_EQ(r.error, "AccessDeniedException") << c.action;
    ASSERT_FALSE(deny.asked.empty()) << c.action;
    EXPECT_EQ(deny.asked[0].action, std::string("elasticfilesystem:") + c.action);
    EXPECT_EQ(Snapshot(*store_), before) << c.action;
  }
  EXPECT_EQ(network_.interfaces(), enis);
  EXPECT_EQ(data_.listeners.size(), 1u);
  EXPECT_EQ(data_.storages.size(), 1u);
}

TEST_F(EfsTest, AccessorsReadAcrossInstances) {
  std::string fs = NewFs();
  std::string ap = NewAp(fs, Json{{"PosixUser", {{"Uid", 5}, {"Gid", 6}}}});
  NewMt(fs);
  // A second service over the same store (a restarted daemon) sees it all.
  EfsConfig cfg;
  cfg.account_id = kAccount;
  cfg.region = kRegion;
  EfsService again(*store_, network_, data_, random_, cfg);
  EXPECT_TRUE(again.FileSystemExists(fs));
  EXPECT_TRUE(again.FileSystemExists(again.FileSystemArn(fs)));
  EXPECT_FALSE(again.FileSystemExists("fs-0123456789abcdef0"));
  EXPECT_FALSE(again.FileSystemExists("garbage"));
  EXPECT_EQ(again.FindAccessPoint(ap)->posix_user->gid, 6u);
  EXPECT_EQ(again.ListMountTargets()->size(), 1u);
}

}  // namespace
}  // namespace elfs::api::efs::testing
