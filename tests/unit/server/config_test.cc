#include "server/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace elfs::server {
namespace {

TEST(IsFileSystemId, AcceptsEfsIds) {
  EXPECT_TRUE(IsFileSystemId("fs-01234567"));
  EXPECT_TRUE(IsFileSystemId("fs-0123456789abcdef0"));
  EXPECT_FALSE(IsFileSystemId("fs-0123456"));               // too short
  EXPECT_FALSE(IsFileSystemId("fs-0123456789abcdef01"));    // too long
  EXPECT_FALSE(IsFileSystemId("fs-0123456789ABCDEF0"));     // upper case
  EXPECT_FALSE(IsFileSystemId("fs-../../etc"));
  EXPECT_FALSE(IsFileSystemId("xx-01234567"));
}

TEST(ParseListen, Forms) {
  auto a = ParseListen("127.0.0.2:2050");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "127.0.0.2");
  EXPECT_EQ(a->second, 2050);
  auto b = ParseListen("127.0.0.1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->second, 2049);
  auto c = ParseListen("[::1]:2049");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, "::1");
  EXPECT_FALSE(ParseListen("127.0.0.1:70000"));
  EXPECT_FALSE(ParseListen("127.0.0.1:x"));
  EXPECT_FALSE(ParseListen(":2049"));
  EXPECT_FALSE(ParseListen("[::1"));
}

class ConfigFile : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = ::testing::TempDir() + "elfs_config_test.json";
    std::ofstream(path) << text;
    return path;
  }
};

TEST_F(ConfigFile, ReadsKnownKeys) {
  Config c;
  ASSERT_TRUE(LoadConfigFile(Write(R"({"data_dir": "/d", "lease_seconds": 30,
      "nfs_max_minor_version": 2,
      "file_systems": [{"id": "fs-01234567", "listen": "127.0.0.3:2049"}]})"), c)
                  .ok());
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.lease_seconds, 30u);
  EXPECT_EQ(c.nfs_max_minor_version, 2u);
  ASSERT_EQ(c.file_systems.size(), 1u);
  EXPECT_EQ(c.file_systems[0].listen, "127.0.0.3:2049");
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST_F(ConfigFile, RejectsBrokenJsonUnknownKeysAndWrongTypes) {
  Config c;
  EXPECT_EQ(LoadConfigFile(Write("{not json"), c).code(), Errc::kInvalid);
  EXPECT_EQ(LoadConfigFile(Write(R"({"colour": 1})"), c).code(), Errc::kInvalid);
  EXPECT_EQ(LoadConfigFile(Write(R"({"lease_seconds": "x"})"), c).code(), Errc::kInvalid);
  EXPECT_EQ(LoadConfigFile("/nonexistent/elfs.json", c).code(), Errc::kNotFound);
}

TEST(ValidateConfig, RejectsBadValues) {
  Config c;
  c.file_systems = {{"fs-01234567", "127.0.0.1:2049"}, {"fs-01234567", "127.0.0.2:2049"}};
  EXPECT_FALSE(ValidateConfig(c).ok());  // listed twice
  c.file_systems = {{"fs-01234567", "127.0.0.1:2049"}, {"fs-89abcdef", "127.0.0.1:2049"}};
  EXPECT_FALSE(ValidateConfig(c).ok());  // one address, two file systems
  c.file_systems = {{"fs-bad", "127.0.0.1:2049"}};
  EXPECT_FALSE(ValidateConfig(c).ok());
  c.file_systems.clear();
  c.lease_seconds = 1;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c.lease_seconds = 90;
  for (uint32_t minor : {0u, 3u}) {  // 4.0 alone is not a choice; 4.3 does not exist
    c.nfs_max_minor_version = minor;
    EXPECT_FALSE(ValidateConfig(c).ok()) << minor;
  }
  c.nfs_max_minor_version = 1;
  c.backend = "tape";
  EXPECT_FALSE(ValidateConfig(c).ok());
}

}  // namespace
}  // namespace elfs::server
