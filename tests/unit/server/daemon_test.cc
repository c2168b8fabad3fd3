#include "server/daemon.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace elfs::server {
namespace {

namespace fs = std::filesystem;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("elfs-daemon-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DaemonTest, SecretIsCreatedMode0600AndReadBack) {
  fs::create_directories(dir_);
  auto a = LoadOrCreateSecret(dir_.string(), "k", 32);
  ASSERT_TRUE(a) << a.error().ToString();
  struct stat st;
  ASSERT_EQ(::stat((dir_ / "k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = LoadOrCreateSecret(dir_.string(), "k", 32);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
}

TEST_F(DaemonTest, SecretReadableByOthersIsRefused) {
  fs::create_directories(dir_);
  ASSERT_TRUE(LoadOrCreateSecret(dir_.string(), "k", 32));
  ::chmod((dir_ / "k").c_str(), 0644);
  auto r = LoadOrCreateSecret(dir_.string(), "k", 32);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kPerm);
}

TEST_F(DaemonTest, SecretOfWrongSizeIsRefused) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "k") << "short";
  ::chmod((dir_ / "k").c_str(), 0600);
  EXPECT_FALSE(LoadOrCreateSecret(dir_.string(), "k", 32));
}

TEST_F(DaemonTest, FirstStartCreatesTheDefaultFileSystemAndKeepsIt) {
  Config c;
  c.data_dir = dir_.string();
  c.default_listen = "127.0.0.1:0";
  c.api_listen = "127.0.0.1:0";
  std::string first_id;
  {
    auto d = Daemon::Create(c);
    ASSERT_TRUE(d) << d.error().ToString();
    ASSERT_TRUE((*d)->Start().ok());
    ASSERT_EQ((*d)->listeners().size(), 1u);
    first_id = (*d)->listeners()[0].fs_id;
    EXPECT_NE((*d)->listeners()[0].endpoint.port(), 0);
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "fs" / first_id));
  struct stat st;
  ASSERT_EQ(::stat((dir_ / "secrets").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // A restart serves the same file system.
  auto d = Daemon::Create(c);
  ASSERT_TRUE(d);
  ASSERT_TRUE((*d)->Start().ok());
  EXPECT_EQ((*d)->listeners()[0].fs_id, first_id);
}

TEST_F(DaemonTest, FirstStartCreatesTheAccountAndItsRootKeyOnce) {
  Config c;
  c.data_dir = dir_.string();
  c.default_listen = "127.0.0.1:0";
  c.api_listen = "127.0.0.1:0";
  c.account_id = "111122223333";
  std::string first;
  {
    auto d = Daemon::Create(c);
    ASSERT_TRUE(d) << d.error().ToString();
    EXPECT_TRUE((*d)->control_plane().created_root_credentials());
    EXPECT_EQ((*d)->control_plane().account_id(), "111122223333");
    struct stat st;
    ASSERT_EQ(::stat((dir_ / "secrets" / "root-credentials").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(dir_ / "secrets" / "root-credentials");
    std::getline(in, first, '\0');
    EXPECT_NE(first.find("aws_access_key_id = AKIA"), std::string::npos);
    ASSERT_EQ(::stat((dir_ / "state" / "elfs.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  {
    auto d = Daemon::Create(c);
    ASSERT_TRUE(d);
    EXPECT_FALSE((*d)->control_plane().created_root_credentials());
  }
  std::ifstream in(dir_ / "secrets" / "root-credentials");
  std::string again;
  std::getline(in, again, '\0');
  EXPECT_EQ(again, first);
  // The data directory belongs to its account.
  c.account_id = "444455556666";
  auto other = Daemon::Create(c);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Errc::kInvalid);
}

TEST_F(DaemonTest, SeveralFileSystemsWithoutConfigAreRefused) {
  fs::create_directories(dir_ / "fs" / "fs-01234567");
  fs::create_directories(dir_ / "fs" / "fs-89abcdef");
  Config c;
  c.data_dir = dir_.string();
  auto d = Daemon::Create(c);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Errc::kInvalid);
}

}  // namespace
}  // namespace elfs::server
