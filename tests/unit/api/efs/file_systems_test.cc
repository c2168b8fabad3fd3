// CreateFileSystem, DescribeFileSystems, UpdateFileSystem, DeleteFileSystem.
#include <regex>

#include "efs_fixture.h"

namespace elfs::api::efs::testing {
namespace {

const char* kFs = "/2015-02-01/file-systems";

TEST_F(EfsTest, CreateFileSystemAnswersTheDescription) {
  data_.sizes.clear();
  Reply r = Send("POST", kFs,
                 Json{{"CreationToken", "t1"},
                      {"Tags", {{{"Key", "Name"}, {"Value", "home"}}, {{"Key", "team"}, {"Value", "a"}}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  std::string id = r.body["FileSystemId"];
  EXPECT_TRUE(std::regex_match(id, std::regex("fs-[0-9a-f]{17}"))) << id;
  EXPECT_EQ(r.body["FileSystemArn"], std::string("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/") + id);
  EXPECT_EQ(r.body["OwnerId"], kAccount);
  EXPECT_EQ(r.body["CreationToken"], "t1");
  EXPECT_EQ(r.body["CreationTime"], now_);
  EXPECT_EQ(r.body["LifeCycleState"], "available");
  EXPECT_EQ(r.body["Name"], "home");
  EXPECT_EQ(r.body["NumberOfMountTargets"], 0);
  EXPECT_EQ(r.body["PerformanceMode"], "generalPurpose");
  EXPECT_EQ(r.body["ThroughputMode"], "bursting");
  EXPECT_EQ(r.body["Encrypted"], false);
  EXPECT_EQ(r.body["SizeInBytes"]["Value"], 6144);
  EXPECT_EQ(r.body["SizeInBytes"]["ValueInStandard"], 6144);
  EXPECT_EQ(r.body["SizeInBytes"]["ValueInIA"], 0);
  EXPECT_EQ(r.body["Tags"].size(), 2u);
  EXPECT_EQ(r.request_id, "req-1");
  EXPECT_EQ(r.action, "CreateFileSystem");
  EXPECT_TRUE(data_.storages.count(id));
  EXPECT_TRUE(service_->FileSystemExists(id));
  EXPECT_EQ(service_->FindFileSystem(id)->name, "home");
}

TEST_F(EfsTest, SizeInBytesIsMeteredByTheDataPlane) {
  std::string id = NewFs();
  data_.sizes[id] = 123456789;
  Reply r = Send("GET", std::string(kFs) + "?FileSystemId=" + id);
  EXPECT_EQ(r.body["FileSystems"][0]["SizeInBytes"]["Value"], 123456789);
  EXPECT_EQ(r.body["FileSystems"][0]["SizeInBytes"]["Timestamp"], now_);
}

TEST_F(EfsTest, CreationTokenIsIdempotent) {
  Json req = {{"CreationToken", "same"}, {"PerformanceMode", "maxIO"}};
  Reply a = Send("POST", kFs, req);
  Reply b = Send("POST", kFs, req);
  ASSERT_EQ(a.status, 201);
  ASSERT_EQ(b.status, 201);
  EXPECT_EQ(a.body["FileSystemId"], b.body["FileSystemId"]);
  EXPECT_EQ(Count("efs/file-system"), 1u);
  EXPECT_EQ(data_.storages.size(), 1u);

  req["PerformanceMode"] = "generalPurpose";
  Reply c = Send("POST", kFs, req);
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(c.error, "FileSystemAlreadyExists");
  EXPECT_EQ(c.body["FileSystemId"], a.body["FileSystemId"]);
  EXPECT_EQ(Count("efs/file-system"), 1u);
  EXPECT_EQ(data_.storages.size(), 1u);
}

struct BadCreate {
  const char* name;
  Json body;
  int status;
  const char* code;
};

TEST_F(EfsTest, CreateFileSystemRejectsWhatTheModelForbids) {
  std::string long_token(65, 'x');
  std::vector<BadCreate> cases = {
      {"no token", Json::object(), 400, "ValidationException"},
      {"empty token", {{"CreationToken", ""}}, 400, "ValidationException"},
      {"long token", {{"CreationToken", long_token}}, 400, "ValidationException"},
      {"newline token", {{"CreationToken", "\n"}}, 400, "ValidationException"},
      {"token type", {{"CreationToken", 5}}, 400, "BadRequest"},
      {"perf enum", {{"CreationToken", "t"}, {"PerformanceMode", "fast"}}, 400, "ValidationException"},
      {"mode enum", {{"CreationToken", "t"}, {"ThroughputMode", "turbo"}}, 400, "ValidationException"},
      {"encrypted type", {{"CreationToken", "t"}, {"Encrypted", "yes"}}, 400, "BadRequest"},
      {"kms pattern", {{"CreationToken", "t"}, {"Encrypted", true}, {"KmsKeyId", "key"}}, 400,
       "ValidationException"},
      {"kms unencrypted",
       {{"CreationToken", "t"}, {"KmsKeyId", "alias/mine"}}, 400, "BadRequest"},
      {"provisioned without mibps", {{"CreationToken", "t"}, {"ThroughputMode", "provisioned"}}, 400,
       "BadRequest"},
      {"mibps without provisioned", {{"CreationToken", "t"}, {"ProvisionedThroughputInMibps", 10}},
       400, "BadRequest"},
      {"mibps below 1",
       {{"CreationToken", "t"}, {"ThroughputMode", "provisioned"}, {"ProvisionedThroughputInMibps", 0.5}},
       400, "ValidationException"},
      {"mibps above limit",
       {{"CreationToken", "t"}, {"ThroughputMode", "provisioned"}, {"ProvisionedThroughputInMibps", 5000}},
       400, "ThroughputLimitExceeded"},
      {"elastic maxIO", {{"CreationToken", "t"}, {"ThroughputMode", "elastic"}, {"PerformanceMode", "maxIO"}},
       400, "BadRequest"},
      {"unknown az", {{"CreationToken", "t"}, {"AvailabilityZoneName", "eu-west-1a"}}, 400,
       "UnsupportedAvailabilityZone"},
      {"one zone maxIO",
       {{"CreationToken", "t"}, {"AvailabilityZoneName", "us-east-1a"}, {"PerformanceMode", "maxIO"}},
       400, "BadRequest"},
      {"aws: tag", {{"CreationToken", "t"}, {"Tags", {{{"Key", "aws:x"}, {"Value", "v"}}}}}, 400,
       "ValidationException"},
      {"tag value chars", {{"CreationToken", "t"}, {"Tags", {{{"Key", "k"}, {"Value", "a;b"}}}}}, 400,
       "ValidationException"},
      {"tag without value", {{"CreationToken", "t"}, {"Tags", {{{"Key", "k"}}}}}, 400,
       "ValidationException"},
      {"duplicate tag",
       {{"CreationToken", "t"}, {"Tags", {{{"Key", "k"}, {"Value", "1"}}, {{"Key", "k"}, {"Value", "2"}}}}},
       400, "BadRequest"},
      {"tags type", {{"CreationToken", "t"}, {"Tags", "k=v"}}, 400, "BadRequest"},
  };
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  cases.push_back({"51 tags", {{"CreationToken", "t"}, {"Tags", many}}, 400, "BadRequest"});
  for (const auto& c : cases) {
    Reply r = Send("POST", kFs, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body.dump();
    EXPECT_EQ(r.error, c.code) << c.name << ": " << r.body.dump();
  }
  EXPECT_EQ(Count("efs/file-system"), 0u);
  EXPECT_TRUE(data_.storages.empty());
}

TEST_F(EfsTest, ValidationMessagesNameTheMemberAsEfsDoes) {
  Reply r = Send("POST", kFs, Json{{"CreationToken", "t"}, {"PerformanceMode", "fast"}});
  EXPECT_EQ(r.body["Message"],
            "1 validation error detected: Value 'fast' at 'performanceMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [generalPurpose, maxIO]");
  r = Send("DELETE", std::string(kFs) + "/fake-id");
  EXPECT_EQ(r.error, "ValidationException");
  EXPECT_NE(r.body["Message"].get<std::string>().find("at 'fileSystemId'"), std::string::npos);
}

TEST_F(EfsTest, EncryptionAndOneZoneSettings) {
  Reply r = Send("POST", kFs, Json{{"CreationToken", "e"}, {"Encrypted", true}});
  EXPECT_EQ(r.body["KmsKeyId"], "arn:aws:kms:us-east-1:123456789012:alias/aws/elasticfilesystem");
  r = Send("POST", kFs,
           Json{{"CreationToken", "k"}, {"Encrypted", true},
                {"KmsKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"}});
  EXPECT_EQ(r.body["KmsKeyId"], "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
  r = Send("POST", kFs, Json{{"CreationToken", "z"}, {"AvailabilityZoneName", "us-east-1b"}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["AvailabilityZoneName"], "us-east-1b");
  Reply b = Send("GET", std::string(kFs) + "/" + r.body["FileSystemId"].get<std::string>() + "/backup-policy");
  EXPECT_EQ(b.body["BackupPolicy"]["Status"], "ENABLED");  // One Zone default

  EfsConfig cfg;
  cfg.availability_zones = {{"us-east-1a", "use1-az1"}};
  Rebuild(cfg);
  r = Send("POST", kFs, Json{{"CreationToken", "z2"}, {"AvailabilityZoneName", "us-east-1a"}});
  EXPECT_EQ(r.body["AvailabilityZoneId"], "use1-az1");
  r = Send("POST", kFs, Json{{"CreationToken", "z3"}, {"AvailabilityZoneName", "us-east-1b"}});
  EXPECT_EQ(r.error, "UnsupportedAvailabilityZone");
}

TEST_F(EfsTest, FileSystemLimitExceeded) {
  EfsConfig cfg;
  cfg.max_file_systems = 2;
  Rebuild(cfg);
  NewFs();
  std::string second = NewFs();
  Reply r = Send("POST", kFs, Json{{"CreationToken", "third"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error, "FileSystemLimitExceeded");
  EXPECT_EQ(data_.storages.size(), 2u);  // the third's storage was dropped
  ASSERT_EQ(Send("DELETE", std::string(kFs) + "/" + second).status, 204);
  EXPECT_EQ(Send("POST", kFs, Json{{"CreationToken", "third"}}).status, 201);
}

TEST_F(EfsTest, StorageFailureStoresNothing) {
  data_.fail_create = true;
  Reply r = Send("POST", kFs, Json{{"CreationToken", "t"}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.error, "InternalServerError");
  EXPECT_EQ(Count("efs/file-system"), 0u);
  EXPECT_EQ(Count("efs/creation-token"), 0u);
}

TEST_F(EfsTest, DescribeFileSystemsByIdArnAndToken) {
  std::string a = NewFs();
  std::string b = NewFs();
  Reply r = Send("GET", std::string(kFs) + "?FileSystemId=" + a);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["FileSystems"].size(), 1u);
  EXPECT_EQ(r.body["FileSystems"][0]["FileSystemId"], a);

  std::string arn = service_->FileSystemArn(b);
  std::string encoded;
  for (char ch : arn) encoded += ch == ':' ? "%3A" : ch == '/' ? "%2F" : std::string(1, ch);
  r = Send("GET", std::string(kFs) + "?FileSystemId=" + encoded);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["FileSystems"][0]["FileSystemId"], b);

  std::string token = r.body["FileSystems"][0]["CreationToken"];
  r = Send("GET", std::string(kFs) + "?CreationToken=" + token);
  ASSERT_EQ(r.body["FileSystems"].size(), 1u);
  EXPECT_EQ(r.body["FileSystems"][0]["FileSystemId"], b);
  r = Send("GET", std::string(kFs) + "?CreationToken=nothing");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body["FileSystems"].empty());

  r = Send("GET", std::string(kFs) + "?FileSystemId=fs-0123456789abcdef0");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error, "FileSystemNotFound");
  r = Send("GET", std::string(kFs) +
                      "?FileSystemId=arn%3Aaws%3Aelasticfilesystem%3Aus-east-1%3A999999999999%3Afile-system%2F" + a);
  EXPECT_EQ(r.error, "FileSystemNotFound");  // another account's ARN
  r = Send("GET", std::string(kFs) + "?FileSystemId=" + a + "&CreationToken=x");
  EXPECT_EQ(r.error, "BadRequest");
  r = Send("GET", std::string(kFs) + "?FileSystemId=nope");
  EXPECT_EQ(r.error, "ValidationException");
}

TEST_F(EfsTest, DescribeFileSystemsPaginates) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) created.insert(NewFs());
  std::set<std::string> seen;
  std::string marker;
  int pages = 0;
  do {
    std::string target = std::string(kFs) + "?MaxItems=2" + (marker.empty() ? "" : "&Marker=" + marker);
    Reply r = Send("GET", target);
    ASSERT_EQ(r.status, 200);
    EXPECT_LE(r.body["FileSystems"].size(), 2u);
    if (!marker.empty()) {
      EXPECT_EQ(r.body["Marker"], marker);
    }
    for (const auto& fs : r.body["FileSystems"]) EXPECT_TRUE(seen.insert(fs["FileSystemId"]).second);
    marker = r.body.value("NextMarker", "");
    ++pages;
  } while (!marker.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);

  EXPECT_EQ(Send("GET", std::string(kFs) + "?MaxItems=0").error, "ValidationException");
  EXPECT_EQ(Send("GET", std::string(kFs) + "?MaxItems=abc").error, "BadRequest");
  EXPECT_EQ(Send("GET", std::string(kFs) + "?MaxItems=99999999999").error, "BadRequest");
  EXPECT_FALSE(Send("GET", kFs).body.contains("NextMarker"));
}

TEST_F(EfsTest, UpdateFileSystemThroughput) {
  std::string id = NewFs();
  std::string path = std::string(kFs) + "/" + id;
  Reply r = Send("PUT", path, Json{{"ThroughputMode", "provisioned"}, {"ProvisionedThroughputInMibps", 100}});
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(r.body["ThroughputMode"], "provisioned");
  EXPECT_EQ(r.body["ProvisionedThroughputInMibps"], 100);
  // Increases are free; a decrease counts as a change only once per 24 h.
  EXPECT_EQ(Send("PUT", path, Json{{"ProvisionedThroughputInMibps", 200}}).status, 202);
  // The mode change just now started the interval: no decrease yet.
  EXPECT_EQ(Send("PUT", path, Json{{"ProvisionedThroughputInMibps", 50}}).error, "TooManyRequests");
  now_ += 3600;
  Reply again = Send("PUT", path, Json{{"ThroughputMode", "bursting"}});
  EXPECT_EQ(again.status, 429);
  EXPECT_EQ(again.error, "TooManyRequests");
  now_ += 24 * 3600;
  r = Send("PUT", path, Json{{"ThroughputMode", "bursting"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_FALSE(r.body.contains("ProvisionedThroughputInMibps"));

  EXPECT_EQ(Send("PUT", path, Json::object()).error, "BadRequest");
  EXPECT_EQ(Send("PUT", path, Json{{"ProvisionedThroughputInMibps", 10}}).error, "BadRequest");
  EXPECT_EQ(Send("PUT", path, Json{{"ThroughputMode", "provisioned"}}).error, "BadRequest");
  EXPECT_EQ(Send("PUT", std::string(kFs) + "/fs-0123456789abcdef0", Json{{"ThroughputMode", "elastic"}}).error,
            "FileSystemNotFound");
}

TEST_F(EfsTest, DeleteFileSystem) {
  std::string id = NewFs();
  std::string mt = NewMt(id);
  std::string ap = NewAp(id);
  Reply r = Send("DELETE", std::string(kFs) + "/" + id);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error, "FileSystemInUse");
  ASSERT_EQ(Send("DELETE", "/2015-02-01/mount-targets/" + mt).status, 204);

  data_.fail_delete = true;
  r = Send("DELETE", std::string(kFs) + "/" + id);
  EXPECT_EQ(r.error, "InternalServerError");
  EXPECT_EQ(service_->FindFileSystem(id)->life_cycle_state, "available");
  data_.fail_delete = false;

  r = Send("DELETE", std::string(kFs) + "/" + id);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.is_null());
  EXPECT_FALSE(data_.storages.count(id));
  EXPECT_FALSE(service_->FileSystemExists(id));
  EXPECT_FALSE(service_->FindAccessPoint(ap));
  EXPECT_EQ(Count("efs/client-token"), 0u);
  EXPECT_EQ(Send("GET", std::string(kFs) + "?FileSystemId=" + id).error, "FileSystemNotFound");
  EXPECT_EQ(Send("DELETE", std::string(kFs) + "/" + id).error, "FileSystemNotFound");
}

TEST_F(EfsTest, CreateFileSystemAsksTheAuthorizer) {
  Reply r = Send("POST", kFs,
                 Json{{"CreationToken", "t"}, {"Encrypted", true}, {"Tags", {{{"Key", "team"}, {"Value", "x"}}}}});
  ASSERT_EQ(r.status, 201);
  ASSERT_EQ(authz_.asked.size(), 2u);
  const auto& create = authz_.asked[0];
  EXPECT_EQ(create.action, "elasticfilesystem:CreateFileSystem");
  EXPECT_EQ(create.resource, service_->FileSystemArn(r.body["FileSystemId"].get<std::string>()));
  EXPECT_EQ(create.context.at("aws:RequestTag/team"), std::vector<std::string>{"x"});
  EXPECT_EQ(create.context.at("aws:TagKeys"), std::vector<std::string>{"team"});
  EXPECT_EQ(create.context.at("elasticfilesystem:Encrypted"), std::vector<std::string>{"true"});
  const auto& tag = authz_.asked[1];
  EXPECT_EQ(tag.action, "elasticfilesystem:TagResource");
  EXPECT_EQ(tag.context.at("elasticfilesystem:CreateAction"), std::vector<std::string>{"CreateFileSystem"});
  EXPECT_EQ(r.resource, create.resource);

  authz_.asked.clear();
  std::string id = r.body["FileSystemId"];
  Send("GET", std::string(kFs) + "?FileSystemId=" + id);
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "elasticfilesystem:DescribeFileSystems");
  EXPECT_EQ(authz_.asked[0].resource, service_->FileSystemArn(id));
  EXPECT_EQ(authz_.asked[0].context.at("aws:ResourceTag/team"), std::vector<std::string>{"x"});
  authz_.asked.clear();
  Send("GET", kFs);
  EXPECT_EQ(authz_.asked.at(0).resource, "*");
}

TEST_F(EfsTest, DeniedTaggingAtCreationCreatesNothing) {
  authz_.deny_action = "elasticfilesystem:TagResource";
  Reply r = Send("POST", kFs, Json{{"CreationToken", "t"}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error, "AccessDeniedException");
  EXPECT_EQ(Count("efs/file-system"), 0u);
  EXPECT_TRUE(data_.storages.empty());
  EXPECT_EQ(Send("POST", kFs, Json{{"CreationToken", "t"}}).status, 201);  // untagged: allowed
}

}  // namespace
}  // namespace elfs::api::efs::testing
