// The store contract, run against both engines; SQLite also across reopen.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/store.h"

namespace elfs::store {
namespace {

class StoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("elfs-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool sqlite() const { return GetParam(); }
  void Reopen() {
    store_.reset();
    if (sqlite()) {
      auto s = OpenSqliteStore(dir_ / "state.db");
      ASSERT_TRUE(s) << s.error().ToString();
      store_ = std::move(*s);
    } else if (!store_) {
      store_ = NewMemoryStore();
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, PutGetListDelete) {
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "b", "2").Put("k", "a", "1").Put("j", "x", "9")).ok());
  auto a = store_->Get("k", "a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->value, "1");
  EXPECT_EQ((*a)->version, 1u);
  auto list = store_->List("k");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "a");
  EXPECT_EQ((*list)[1].id, "b");
  ASSERT_TRUE(store_->Commit(Transaction().Delete("k", "a")).ok());
  auto gone = store_->Get("k", "a");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_P(StoreTest, VersionsCountChanges) {
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "a", "1")).ok());
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "a", "2", 1)).ok());
  auto a = store_->Get("k", "a");
  EXPECT_EQ((*a)->version, 2u);
  EXPECT_EQ((*a)->value, "2");
}

TEST_P(StoreTest, FailedExpectationWritesNothing) {
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "a", "1")).ok());
  Status s = store_->Commit(Transaction().Put("k", "b", "new").Put("k", "a", "x", kMustNotExist));
  EXPECT_EQ(s.code(), Errc::kConflict);
  EXPECT_FALSE(store_->Get("k", "b")->has_value());
  EXPECT_EQ((*store_->Get("k", "a"))->value, "1");
  EXPECT_EQ(store_->Commit(Transaction().Put("k", "a", "x", 7)).code(), Errc::kConflict);
  EXPECT_EQ(store_->Commit(Transaction().Delete("k", "zz", 1)).code(), Errc::kConflict);
}

TEST_P(StoreTest, WatchersSeeCommittedKeys) {
  std::vector<Key> seen;
  store_->Watch([&](const std::vector<Key>& changed) { seen.insert(seen.end(), changed.begin(), changed.end()); });
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "a", "1").Delete("k", "b")).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (Key{"k", "a"}));
  (void)store_->Commit(Transaction().Put("k", "a", "x", kMustNotExist));
  EXPECT_EQ(seen.size(), 2u);  // a failed commit notifies nobody
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

// Only SQLite has a file: persistence and its permissions.
class SqliteStoreTest : public StoreTest {};

TEST_P(SqliteStoreTest, SurvivesReopen) {
  ASSERT_TRUE(store_->Commit(Transaction().Put("k", "a", "persisted")).ok());
  Reopen();
  auto a = store_->Get("k", "a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->value, "persisted");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "state.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_P(SqliteStoreTest, RefusesReadableDatabase) {
  store_.reset();
  ::chmod((dir_ / "state.db").c_str(), 0644);
  auto s = OpenSqliteStore(dir_ / "state.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::kAccess);
}

INSTANTIATE_TEST_SUITE_P(Engines, SqliteStoreTest, ::testing::Values(true),
                         [](const auto&) { return "Sqlite"; });

}  // namespace
}  // namespace elfs::store
