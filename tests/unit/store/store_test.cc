// The store contract, run against every engine: memory and SQLite here
// (SQLite also across reopen); built with ELFS_STORE_RADOS, the same suite
// runs against RADOS only (rados_store_test, label ceph, on a cluster that
// tests/unit/backend/run_ceph_tests.sh brings up).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/store.h"
#ifdef ELFS_STORE_RADOS
#include "rados_test_env.h"
#endif

namespace elfs::store {
namespace {

enum class Engine { kMemory, kSqlite, kRados };

class StoreTest : public ::testing::TestWithParam<Engine> {
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
  bool sqlite() const { return GetParam() == Engine::kSqlite; }
  void Reopen() {
    store_.reset();
    if (GetParam() == Engine::kRados) {
#ifdef ELFS_STORE_RADOS
      auto s = OpenRadosStore(TestRadosOptions("store"));
      ASSERT_TRUE(s) << s.error().ToString();
      store_ = std::move(*s);
#endif
    } else if (sqlite()) {
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

TEST_P(StoreTest, KindsDoNotLeakIntoEachOther) {
  ASSERT_TRUE(store_->Commit(Transaction().Put("iam/user", "b", "1").Put("iam/user-policy", "a", "2")
                                 .Put("iam/use", "z", "3").Put("iam/user", "a", "4")).ok());
  auto users = store_->List("iam/user");
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].id, "a");
  EXPECT_EQ((*users)[1].id, "b");
  EXPECT_EQ(store_->List("iam/user-policy")->size(), 1u);
  EXPECT_TRUE(store_->List("iam/us")->empty());
}

TEST_P(StoreTest, BinaryValuesAndManyRecords) {
  std::string binary("a\0b\xff\x01", 5);
  Transaction txn;
  for (int i = 0; i < 1200; ++i) txn.Put("many", "id-" + std::to_string(100000 + i), binary);
  ASSERT_TRUE(store_->Commit(txn).ok());
  auto all = store_->List("many");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1200u);
  EXPECT_EQ(all->front().id, "id-100000");
  EXPECT_EQ(all->back().id, "id-101199");
  EXPECT_EQ(all->back().value, binary);
}

#ifdef ELFS_STORE_RADOS
INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values(Engine::kRados),
                         [](const auto&) { return "Rados"; });
#else
INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values(Engine::kMemory, Engine::kSqlite),
                         [](const auto& info) {
                           return info.param == Engine::kSqlite ? "Sqlite" : "Memory";
                         });
#endif

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

#ifdef ELFS_STORE_RADOS
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SqliteStoreTest);
#else
INSTANTIATE_TEST_SUITE_P(Engines, SqliteStoreTest, ::testing::Values(Engine::kSqlite),
                         [](const auto&) { return "Sqlite"; });
#endif

}  // namespace
}  // namespace elfs::store
