// CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint.
#include <regex>

#include "efs_fixture.h"

namespace elfs::api::efs::testing {
namespace {

const char* kAp = "/2015-02-01/access-points";

TEST_F(EfsTest, CreateAccessPointWithEverything) {
  std::string fs = NewFs();
  Json req = {{"ClientToken", "c1"},
              {"FileSystemId", fs},
              {"Tags", {{{"Key", "Name"}, {"Value", "data"}}}},
              {"PosixUser", {{"Uid", 1001}, {"Gid", 1002}, {"SecondaryGids", {4, 4294967295}}}},
              {"RootDirectory",
               {{"Path", "/srv/data"},
                {"CreationInfo", {{"OwnerUid", 1001}, {"OwnerGid", 1002}, {"Permissions", "0750"}}}}}};
  Reply r = Send("POST", kAp, req);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  std::string id = r.body["AccessPointId"];
  EXPECT_TRUE(std::regex_match(id, std::regex("fsap-[0-9a-f]{17}"))) << id;
  EXPECT_EQ(r.body["AccessPointArn"], "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/" + id);
  EXPECT_EQ(r.body["Name"], "data");
  EXPECT_EQ(r.body["ClientToken"], "c1");
  EXPECT_EQ(r.body["FileSystemId"], fs);
  EXPECT_EQ(r.body["OwnerId"], kAccount);
  EXPECT_EQ(r.body["LifeCycleState"], "available");
  EXPECT_EQ(r.body["PosixUser"], req["PosixUser"]);
  EXPECT_EQ(r.body["RootDirectory"], req["RootDirectory"]);

  auto info = service_->FindAccessPoint(id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->root_path, "/srv/data");
  EXPECT_EQ(info->posix_user->uid, 1001u);
  EXPECT_EQ(info->posix_user->secondary_gids, (std::vector<uint32_t>{4, 4294967295u}));
  EXPECT_EQ(info->creation_info->permissions, 0750u);
  EXPECT_EQ(info->file_system_id, fs);
  EXPECT_TRUE(service_->FindAccessPoint(info->arn));

  // Same token, same request: the same access point. Another request: conflict.
  Reply again = Send("POST", kAp, req);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["AccessPointId"], id);
  req["PosixUser"]["Uid"] = 7;
  Reply other = Send("POST", kAp, req);
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(other.error, "AccessPointAlreadyExists");
  EXPECT_EQ(other.body["AccessPointId"], id);
  EXPECT_EQ(Count("efs/access-point"), 1u);
}

TEST_F(EfsTest, AccessPointDefaultsToTheRoot) {
  std::string fs = NewFs();
  Reply r = Send("POST", kAp, Json{{"ClientToken", "c"}, {"FileSystemId", service_->FileSystemArn(fs)}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["RootDirectory"], Json({{"Path", "/"}}));
  EXPECT_FALSE(r.body.contains("PosixUser"));
}

struct BadAp {
  const char* name;
  Json patch;
  const char* code;
};

TEST_F(EfsTest, CreateAccessPointValidation) {
  std::string fs = NewFs();
  Json sixteen = Json::array(), seventeen = Json::array();
  for (int i = 0; i < 16; ++i) sixteen.push_back(i);
  seventeen = sixteen;
  seventeen.push_back(99);
  std::vector<BadAp> cases = {
      {"path relative", {{"RootDirectory", {{"Path", "srv"}}}}, "ValidationException"},
      {"path dot", {{"RootDirectory", {{"Path", "/.hidden"}}}}, "ValidationException"},
      {"path empty component", {{"RootDirectory", {{"Path", "/a//b"}}}}, "ValidationException"},
      {"path trailing slash", {{"RootDirectory", {{"Path", "/a/"}}}}, "ValidationException"},
      {"path five deep", {{"RootDirectory", {{"Path", "/a/b/c/d/e"}}}}, "ValidationException"},
      {"path dollar", {{"RootDirectory", {{"Path", "/a$b"}}}}, "ValidationException"},
      {"path long", {{"RootDirectory", {{"Path", "/" + std::string(100, 'a')}}}}, "ValidationException"},
      {"path type", {{"RootDirectory", {{"Path", 5}}}}, "BadRequest"},
      {"root type", {{"RootDirectory", "/"}}, "BadRequest"},
      {"perm digits", {{"RootDirectory", {{"Path", "/a"}, {"CreationInfo", {{"OwnerUid", 1}, {"OwnerGid", 1}, {"Permissions", "0789"}}}}}},
       "ValidationException"},
      {"perm length", {{"RootDirectory", {{"Path", "/a"}, {"CreationInfo", {{"OwnerUid", 1}, {"OwnerGid", 1}, {"Permissions", "07555"}}}}}},
       "ValidationException"},
      {"creation info partial", {{"RootDirectory", {{"Path", "/a"}, {"CreationInfo", {{"OwnerUid", 1}, {"Permissions", "755"}}}}}},
       "ValidationException"},
      {"uid negative", {{"PosixUser", {{"Uid", -1}, {"Gid", 1}}}}, "ValidationException"},
      {"uid too big", {{"PosixUser", {{"Uid", 4294967296}, {"Gid", 1}}}}, "ValidationException"},
      {"uid huge", {{"PosixUser", {{"Uid", 18446744073709551615ull}, {"Gid", 1}}}}, "ValidationException"},
      {"uid float", {{"PosixUser", {{"Uid", 1.5}, {"Gid", 1}}}}, "BadRequest"},
      {"uid string", {{"PosixUser", {{"Uid", "1"}, {"Gid", 1}}}}, "BadRequest"},
      {"gid missing", {{"PosixUser", {{"Uid", 1}}}}, "ValidationException"},
      {"17 gids", {{"PosixUser", {{"Uid", 1}, {"Gid", 1}, {"SecondaryGids", seventeen}}}}, "ValidationException"},
      {"gid element", {{"PosixUser", {{"Uid", 1}, {"Gid", 1}, {"SecondaryGids", {-3}}}}}, "ValidationException"},
      {"no token", {{"ClientToken", nullptr}}, "ValidationException"},
      {"long token", {{"ClientToken", std::string(65, 't')}}, "ValidationException"},
      {"fs pattern", {{"FileSystemId", "fs-xyz"}}, "ValidationException"},
      {"fs unknown", {{"FileSystemId", "fs-0123456789abcdef0"}}, "FileSystemNotFound"},
  };
  for (const auto& c : cases) {
    Json body = {{"ClientToken", "c"}, {"FileSystemId", fs}};
    body.merge_patch(c.patch);
    if (c.patch.contains("ClientToken") && c.patch["ClientToken"].is_null()) body.erase("ClientToken");
    Reply r = Send("POST", kAp, body);
    EXPECT_EQ(r.error, c.code) << c.name << ": " << r.body.dump();
  }
  EXPECT_EQ(Count("efs/access-point"), 0u);
  // The limits themselves are accepted.
  Reply ok = Send("POST", kAp,
                  Json{{"ClientToken", "c"}, {"FileSystemId", fs},
                       {"PosixUser", {{"Uid", 4294967295}, {"Gid", 0}, {"SecondaryGids", sixteen}}},
                       {"RootDirectory", {{"Path", "/a/b c/d_e/f-g"}}}});
  EXPECT_EQ(ok.status, 200) << ok.body.dump();
}

TEST_F(EfsTest, AccessPointLimitPerFileSystem) {
  EfsConfig cfg;
  cfg.max_access_points_per_file_system = 2;
  Rebuild(cfg);
  std::string fs = NewFs();
  std::string first = NewAp(fs);
  NewAp(fs);
  Reply r = Send("POST", kAp, Json{{"ClientToken", "third"}, {"FileSystemId", fs}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error, "AccessPointLimitExceeded");
  NewAp(NewFs());  // another file system has its own limit
  ASSERT_EQ(Send("DELETE", std::string(kAp) + "/" + first).status, 204);
  EXPECT_EQ(Send("POST", kAp, Json{{"ClientToken", "third"}, {"FileSystemId", fs}}).status, 200);
}

TEST_F(EfsTest, DescribeAccessPoints) {
  std::string fs1 = NewFs(), fs2 = NewFs();
  std::set<std::string> of_fs1;
  for (int i = 0; i < 3; ++i) of_fs1.insert(NewAp(fs1));
  std::string other = NewAp(fs2);
  EXPECT_EQ(Send("GET", kAp).body["AccessPoints"].size(), 4u);
  EXPECT_EQ(Send("GET", std::string(kAp) + "?FileSystemId=" + fs1).body["AccessPoints"].size(), 3u);
  Reply one = Send("GET", std::string(kAp) + "?AccessPointId=" + other);
  ASSERT_EQ(one.body["AccessPoints"].size(), 1u);
  EXPECT_EQ(one.body["AccessPoints"][0]["FileSystemId"], fs2);

  std::set<std::string> seen;
  std::string token;
  for (int page = 0; page < 5; ++page) {
    Reply r = Send("GET", std::string(kAp) + "?FileSystemId=" + fs1 + "&MaxResults=2" +
                              (token.empty() ? "" : "&NextToken=" + token));
    for (const auto& ap : r.body["AccessPoints"]) seen.insert(ap["AccessPointId"]);
    token = r.body.value("NextToken", "");
    if (token.empty()) break;
  }
  EXPECT_EQ(seen, of_fs1);

  EXPECT_EQ(Send("GET", std::string(kAp) + "?FileSystemId=" + fs1 + "&AccessPointId=" + other).error, "BadRequest");
  EXPECT_EQ(Send("GET", std::string(kAp) + "?AccessPointId=fsap-0123456789abcdef0").error, "AccessPointNotFound");
  EXPECT_EQ(Send("GET", std::string(kAp) + "?FileSystemId=fs-0123456789abcdef0").error, "FileSystemNotFound");
  EXPECT_EQ(Send("GET", std::string(kAp) + "?MaxResults=0").error, "ValidationException");
}

TEST_F(EfsTest, DeleteAccessPoint) {
  std::string fs = NewFs();
  std::string ap = NewAp(fs, Json{{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}});
  authz_.asked.clear();
  Reply r = Send("DELETE", std::string(kAp) + "/" + ap);
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].resource, service_->AccessPointArn(ap));
  EXPECT_EQ(authz_.asked[0].context.at("aws:ResourceTag/env"), std::vector<std::string>{"prod"});
  EXPECT_EQ(authz_.asked[0].context.at("elasticfilesystem:AccessPointArn"),
            std::vector<std::string>{service_->AccessPointArn(ap)});
  EXPECT_FALSE(service_->FindAccessPoint(ap));
  EXPECT_EQ(Send("DELETE", std::string(kAp) + "/" + ap).error, "AccessPointNotFound");
  EXPECT_EQ(Send("DELETE", std::string(kAp) + "/ap-1").error, "ValidationException");
}

TEST_F(EfsTest, AccessPointOnADeletingFileSystem) {
  std::string fs = NewFs();
  data_.fail_delete = true;
  // A failed delete leaves it available; a file system stuck "deleting" is
  // made by writing the state directly.
  Send("DELETE", "/2015-02-01/file-systems/" + fs);
  auto rec = store_->Get("efs/file-system", fs);
  Json j = Json::parse((*rec)->value);
  j["LifeCycleState"] = "deleting";
  ASSERT_TRUE(store_->Commit(store::Transaction().Put("efs/file-system", fs, j.dump())).ok());
  Reply r = Send("POST", kAp, Json{{"ClientToken", "c"}, {"FileSystemId", fs}});
  EXPECT_EQ(r.error, "IncorrectFileSystemLifeCycleState");
  EXPECT_EQ(r.status, 409);
  r = Send("POST", "/2015-02-01/mount-targets", Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}});
  EXPECT_EQ(r.error, "IncorrectFileSystemLifeCycleState");
  EXPECT_EQ(Send("PUT", "/2015-02-01/file-systems/" + fs + "/policy",
                 Json{{"Policy", R"({"Statement":[]})"}}).error,
            "IncorrectFileSystemLifeCycleState");
}

// Identical creates racing: one access point, every caller gets it.
TEST_F(EfsTest, ConcurrentIdenticalCreatesMakeOneAccessPoint) {
  std::string fs = NewFs();
  ThreadSafeAllow allow;
  std::string body = Json{{"ClientToken", "same"}, {"FileSystemId", fs}}.dump();
  auto replies = Concurrently(8, [&](size_t) { return SendWith(allow, "POST", kAp, body); });
  for (const auto& r : replies) {
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["AccessPointId"], replies[0].body["AccessPointId"]);
  }
  EXPECT_EQ(Count("efs/access-point"), 1u);
  EXPECT_EQ(service_->FindFileSystem(fs)->file_system_id, fs);
}

TEST_F(EfsTest, ConcurrentCreatesRespectTheLimit) {
  EfsConfig cfg;
  cfg.max_access_points_per_file_system = 3;
  Rebuild(cfg);
  std::string fs = NewFs();
  ThreadSafeAllow allow;
  auto replies = Concurrently(8, [&](size_t i) {
    return SendWith(allow, "POST", kAp,
                    Json{{"ClientToken", "t" + std::to_string(i)}, {"FileSystemId", fs}}.dump());
  });
  int ok = 0;
  for (const auto& r : replies) {
    if (r.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(r.error, "AccessPointLimitExceeded");
    }
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(Count("efs/access-point"), 3u);
}

TEST_F(EfsTest, ConcurrentIdenticalFileSystemCreates) {
  ThreadSafeAllow allow;
  auto replies = Concurrently(8, [&](size_t) {
    return SendWith(allow, "POST", "/2015-02-01/file-systems", R"({"CreationToken":"race"})");
  });
  for (const auto& r : replies) {
    ASSERT_EQ(r.status, 201) << r.body.dump();
    EXPECT_EQ(r.body["FileSystemId"], replies[0].body["FileSystemId"]);
  }
  EXPECT_EQ(Count("efs/file-system"), 1u);
  std::lock_guard lock(data_.mu_);
  EXPECT_EQ(data_.storages.size(), 1u);  // the losers' storage was dropped
}

}  // namespace
}  // namespace elfs::api::efs::testing
