// CreateMountTarget, DescribeMountTargets, DeleteMountTarget and the mount
// target security group operations.
#include <regex>

#include "efs_fixture.h"

namespace elfs::api::efs::testing {
namespace {

const char* kMt = "/2015-02-01/mount-targets";

TEST_F(EfsTest, CreateMountTargetMakesAnInterfaceAndAListener) {
  std::string fs = NewFs();
  Reply r = Send("POST", kMt, Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  std::string mt = r.body["MountTargetId"];
  EXPECT_TRUE(std::regex_match(mt, std::regex("fsmt-[0-9a-f]{17}"))) << mt;
  EXPECT_EQ(r.body["FileSystemId"], fs);
  EXPECT_EQ(r.body["SubnetId"], "subnet-0000000a");
  EXPECT_EQ(r.body["VpcId"], "vpc-1");
  EXPECT_EQ(r.body["AvailabilityZoneName"], "us-east-1a");
  EXPECT_EQ(r.body["AvailabilityZoneId"], "use1-az1");
  EXPECT_EQ(r.body["IpAddress"], "10.0.1.4");
  EXPECT_EQ(r.body["LifeCycleState"], "available");
  EXPECT_EQ(r.body["OwnerId"], kAccount);
  std::string eni = r.body["NetworkInterfaceId"];
  ASSERT_TRUE(network_.FindInterface(eni));
  EXPECT_EQ(network_.FindInterface(eni)->security_groups, std::vector<std::string>{"sg-0000000d"});
  EXPECT_EQ(data_.listeners.at(mt), std::make_pair(fs, std::string("10.0.1.4")));

  Reply d = Send("GET", "/2015-02-01/file-systems?FileSystemId=" + fs);
  EXPECT_EQ(d.body["FileSystems"][0]["NumberOfMountTargets"], 1);

  auto all = service_->ListMountTargets();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].mount_target_id, mt);
  EXPECT_EQ((*all)[0].ip_address, "10.0.1.4");
  EXPECT_EQ((*all)[0].file_system_id, fs);
}

TEST_F(EfsTest, CreateMountTargetWithAddressAndGroups) {
  std::string fs = NewFs();
  Reply r = Send("POST", kMt,
                 Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000b"}, {"IpAddress", "10.0.2.77"},
                      {"SecurityGroups", {"sg-00000001", "sg-00000002"}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["IpAddress"], "10.0.2.77");
  Reply g = Send("GET", std::string(kMt) + "/" + r.body["MountTargetId"].get<std::string>() + "/security-groups");
  EXPECT_EQ(g.body["SecurityGroups"], Json({"sg-00000001", "sg-00000002"}));
}

TEST_F(EfsTest, OneMountTargetPerAzAndOneVpc) {
  std::string fs = NewFs();
  NewMt(fs, "subnet-0000000a");
  Reply r = Send("POST", kMt, Json{{"FileSystemId", fs}, {"SubnetId", "subnet-000000a2"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error, "MountTargetConflict");
  r = Send("POST", kMt, Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000c"}});
  EXPECT_EQ(r.error, "MountTargetConflict");  // another VPC
  NewMt(fs, "subnet-0000000b");
  EXPECT_EQ(network_.interfaces(), 2u);
  EXPECT_EQ(Count("efs/mount-target"), 2u);
}

struct BadMount {
  const char* name;
  Json body;
  const char* code;
};

TEST_F(EfsTest, CreateMountTargetErrors) {
  std::string fs = NewFs();
  NewMt(fs, "subnet-0000000b");  // holds 10.0.2.4
  std::vector<BadMount> cases = {
      {"no subnet", {{"FileSystemId", fs}}, "ValidationException"},
      {"no fs", {{"SubnetId", "subnet-0000000a"}}, "ValidationException"},
      {"subnet pattern", {{"FileSystemId", fs}, {"SubnetId", "subnet-xyz"}}, "ValidationException"},
      {"unknown subnet", {{"FileSystemId", fs}, {"SubnetId", "subnet-00000fff"}}, "SubnetNotFound"},
      {"unknown fs", {{"FileSystemId", "fs-0123456789abcdef0"}, {"SubnetId", "subnet-0000000a"}},
       "FileSystemNotFound"},
      {"unknown group",
       {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"SecurityGroups", {"sg-0000ffff"}}},
       "SecurityGroupNotFound"},
      {"group of another vpc",
       {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"SecurityGroups", {"sg-0000000e"}}},
       "SecurityGroupNotFound"},
      {"group pattern",
       {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"SecurityGroups", {"group"}}},
       "ValidationException"},
      {"six groups",
       {{"FileSystemId", fs},
        {"SubnetId", "subnet-0000000a"},
        {"SecurityGroups",
         {"sg-0000000d", "sg-00000001", "sg-00000002", "sg-00000003", "sg-00000004", "sg-00000005"}}},
       "SecurityGroupLimitExceeded"},
      {"ip pattern", {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"IpAddress", "10.0.1"}},
       "ValidationException"},
      {"ip octet", {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"IpAddress", "10.0.1.300"}},
       "BadRequest"},
      {"ip outside subnet",
       {{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}, {"IpAddress", "10.9.9.9"}}, "BadRequest"},
  };
  for (const auto& c : cases) {
    Reply r = Send("POST", kMt, c.body);
    EXPECT_EQ(r.error, c.code) << c.name << ": " << r.body.dump();
    EXPECT_EQ(r.status, StatusOfError(c.code)) << c.name;
  }
  std::string other = NewFs();
  Reply r = Send("POST", kMt, Json{{"FileSystemId", other}, {"SubnetId", "subnet-0000000b"}, {"IpAddress", "10.0.2.4"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error, "IpAddressInUse");
  network_.free_per_subnet = 0;
  r = Send("POST", kMt, Json{{"FileSystemId", other}, {"SubnetId", "subnet-0000000a"}});
  EXPECT_EQ(r.error, "NoFreeAddressesInSubnet");
  EXPECT_EQ(Count("efs/mount-target"), 1u);
  EXPECT_EQ(network_.interfaces(), 1u);
}

TEST_F(EfsTest, OneZoneFileSystemNeedsItsZone) {
  std::string fs = NewFs(Json{{"AvailabilityZoneName", "us-east-1b"}});
  Reply r = Send("POST", kMt, Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}});
  EXPECT_EQ(r.error, "AvailabilityZonesMismatch");
  NewMt(fs, "subnet-0000000b");
}

TEST_F(EfsTest, ListenerFailureUndoesTheInterface) {
  std::string fs = NewFs();
  data_.fail_open = true;
  Reply r = Send("POST", kMt, Json{{"FileSystemId", fs}, {"SubnetId", "subnet-0000000a"}});
  EXPECT_EQ(r.error, "InternalServerError");
  EXPECT_EQ(network_.interfaces(), 0u);
  EXPECT_EQ(Count("efs/mount-target"), 0u);
}

TEST_F(EfsTest, DescribeMountTargets) {
  std::string fs = NewFs();
  std::string a = NewMt(fs, "subnet-0000000a");
  std::string b = NewMt(fs, "subnet-0000000b");
  std::string ap = NewAp(fs);
  Reply r = Send("GET", std::string(kMt) + "?FileSystemId=" + fs);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["MountTargets"].size(), 2u);
  r = Send("GET", std::string(kMt) + "?MountTargetId=" + a);
  ASSERT_EQ(r.body["MountTargets"].size(), 1u);
  EXPECT_EQ(r.body["MountTargets"][0]["MountTargetId"], a);
  r = Send("GET", std::string(kMt) + "?AccessPointId=" + ap);
  EXPECT_EQ(r.body["MountTargets"].size(), 2u);

  r = Send("GET", std::string(kMt) + "?FileSystemId=" + fs + "&MaxItems=1");
  ASSERT_EQ(r.body["MountTargets"].size(), 1u);
  std::string next = r.body["NextMarker"];
  Reply r2 = Send("GET", std::string(kMt) + "?FileSystemId=" + fs + "&MaxItems=1&Marker=" + next);
  ASSERT_EQ(r2.body["MountTargets"].size(), 1u);
  EXPECT_NE(r2.body["MountTargets"][0]["MountTargetId"], r.body["MountTargets"][0]["MountTargetId"]);
  EXPECT_FALSE(r2.body.contains("NextMarker"));
  (void)b;

  EXPECT_EQ(Send("GET", kMt).error, "BadRequest");
  EXPECT_EQ(Send("GET", std::string(kMt) + "?FileSystemId=" + fs + "&MountTargetId=" + a).error, "BadRequest");
  EXPECT_EQ(Send("GET", std::string(kMt) + "?MountTargetId=fsmt-0123456789abcdef0").error, "MountTargetNotFound");
  EXPECT_EQ(Send("GET", std::string(kMt) + "?AccessPointId=fsap-0123456789abcdef0").error, "AccessPointNotFound");
  EXPECT_EQ(Send("GET", std::string(kMt) + "?FileSystemId=fs-0123456789abcdef0").error, "FileSystemNotFound");
  EXPECT_EQ(Send("GET", std::string(kMt) + "?MountTargetId=mt-1").error, "ValidationException");
}

TEST_F(EfsTest, DeleteMountTargetClosesTheListener) {
  std::string fs = NewFs();
  std::string mt = NewMt(fs);
  authz_.asked.clear();
  Reply r = Send("DELETE", std::string(kMt) + "/" + mt);
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "elasticfilesystem:DeleteMountTarget");
  EXPECT_EQ(authz_.asked[0].resource, service_->FileSystemArn(fs));  // mount targets: the fs ARN
  EXPECT_FALSE(data_.listeners.count(mt));
  EXPECT_EQ(network_.interfaces(), 0u);
  Reply d = Send("GET", "/2015-02-01/file-systems?FileSystemId=" + fs);
  EXPECT_EQ(d.body["FileSystems"][0]["NumberOfMountTargets"], 0);
  EXPECT_EQ(Send("DELETE", std::string(kMt) + "/" + mt).error, "MountTargetNotFound");
  // The AZ is free again, and so is the VPC.
  NewMt(fs, "subnet-0000000c");
}

TEST_F(EfsTest, MountTargetSecurityGroups) {
  std::string fs = NewFs();
  std::string mt = NewMt(fs);
  std::string path = std::string(kMt) + "/" + mt + "/security-groups";
  EXPECT_EQ(Send("GET", path).body["SecurityGroups"], Json({"sg-0000000d"}));
  Reply r = Send("PUT", path, Json{{"SecurityGroups", {"sg-00000001", "sg-00000003"}}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(Send("GET", path).body["SecurityGroups"], Json({"sg-00000001", "sg-00000003"}));
  EXPECT_EQ(Send("PUT", path, Json{{"SecurityGroups", {"sg-0000ffff"}}}).error, "SecurityGroupNotFound");
  EXPECT_EQ(Send("PUT", path,
                 Json{{"SecurityGroups",
                       {"sg-0000000d", "sg-00000001", "sg-00000002", "sg-00000003", "sg-00000004",
                        "sg-00000005"}}})
                .error,
            "SecurityGroupLimitExceeded");
  EXPECT_EQ(Send("PUT", path, Json{{"SecurityGroups", Json::array()}}).error, "BadRequest");
  EXPECT_EQ(Send("GET", path).body["SecurityGroups"], Json({"sg-00000001", "sg-00000003"}));
  EXPECT_EQ(Send("GET", std::string(kMt) + "/fsmt-0123456789abcdef0/security-groups").error,
            "MountTargetNotFound");
}

// Concurrent creates in one AZ: exactly one wins, the losers leave no
// interface or listener behind.
TEST_F(EfsTest, ConcurrentMountTargetsInOneAz) {
  std::string fs = NewFs();
  ThreadSafeAllow allow;
  auto replies = Concurrently(6, [&](size_t i) {
    return SendWith(allow, "POST", kMt,
                    Json{{"FileSystemId", fs}, {"SubnetId", i % 2 ? "subnet-0000000a" : "subnet-000000a2"}}.dump());
  });
  int ok = 0;
  for (const auto& r : replies) {
    if (r.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(r.error, "MountTargetConflict");
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Count("efs/mount-target"), 1u);
  EXPECT_EQ(network_.interfaces(), 1u);
  EXPECT_EQ(data_.listeners.size(), 1u);
}

}  // namespace
}  // namespace elfs::api::efs::testing
