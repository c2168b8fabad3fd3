// The file handle key and export numbers that the nodes of a cluster share
// (server/cluster_state.h), on the memory store: the first node makes them,
// every other node (here: another call with other randomness) reads the same.
#include "server/cluster_state.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/random.h"
#include "store/store.h"

namespace elfs::server {
namespace {

TEST(ClusterSecret, TheFirstNodeMakesItAndEveryNodeReadsIt) {
  auto store = store::NewMemoryStore();
  SeededRandom a(1), b(2);
  auto first = LoadOrCreateClusterSecret(*store, "filehandle-key", 32, a);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->size(), 32u);
  auto second = LoadOrCreateClusterSecret(*store, "filehandle-key", 32, b);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
}

TEST(ClusterSecret, NodesRacingAgreeOnOneKey) {
  auto store = store::NewMemoryStore();
  std::vector<std::vector<uint8_t>> keys(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < keys.size(); ++i)
    threads.emplace_back([&, i] {
      SeededRandom r(100 + i);
      auto k = LoadOrCreateClusterSecret(*store, "filehandle-key", 32, r);
      if (k) keys[i] = *k;
    });
  for (auto& t : threads) t.join();
  for (const auto& k : keys) EXPECT_EQ(k, keys[0]);
  EXPECT_EQ(keys[0].size(), 32u);
}

TEST(ClusterSecret, AMalformedOrWrongSizedKeyIsRefusedWithoutShowingIt) {
  struct Case {
    const char* name;
    std::string value;
  };
  const std::vector<Case> cases = {
      {"not json", "zzz"},
      {"no hex", R"({"key":"00"})"},
      {"odd digits", R"({"hex":"0a1"})"},
      {"not hex", R"({"hex":"0g"})"},
      {"too short", R"({"hex":"0a0b"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto store = store::NewMemoryStore();
    store::Transaction txn;
    txn.Put("nfs/secret", "filehandle-key", c.value);
    ASSERT_TRUE(store->Commit(txn).ok());
    SeededRandom r(1);
    auto k = LoadOrCreateClusterSecret(*store, "filehandle-key", 32, r);
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code(), Errc::kInvalid);
    EXPECT_EQ(k.error().message().find("0a0b"), std::string::npos);
  }
}

TEST(ClusterExportNumber, OneNumberPerFileSystemTheSameForEveryCaller) {
  auto store = store::NewMemoryStore();
  auto a = ClusterExportNumber(*store, "fs-aaaa");
  auto b = ClusterExportNumber(*store, "fs-bbbb");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, 1u);
  EXPECT_EQ(*b, 2u);
  EXPECT_EQ(*ClusterExportNumber(*store, "fs-aaaa"), 1u);
  EXPECT_EQ(*ClusterExportNumber(*store, "fs-bbbb"), 2u);
}

TEST(ClusterExportNumber, NeverGivenTwiceEvenAfterItsRecordIsGone) {
  auto store = store::NewMemoryStore();
  ASSERT_EQ(*ClusterExportNumber(*store, "fs-aaaa"), 1u);
  store::Transaction txn;
  txn.Delete("nfs/export-number", "fs-aaaa");
  ASSERT_TRUE(store->Commit(txn).ok());
  EXPECT_EQ(*ClusterExportNumber(*store, "fs-cccc"), 2u);
  EXPECT_EQ(*ClusterExportNumber(*store, "fs-aaaa"), 3u);
}

TEST(ClusterExportNumber, NodesRacingGiveDistinctNumbersAndAgreePerFileSystem) {
  auto store = store::NewMemoryStore();
  constexpr int kThreads = 6, kFileSystems = 20;
  std::vector<std::vector<uint32_t>> seen(kThreads, std::vector<uint32_t>(kFileSystems));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int f = 0; f < kFileSystems; ++f) {
        // Threads walk the file systems from different starts, half of
        // them backwards.
        int step = t % 2 == 0 ? f : kFileSystems - 1 - f;
        int fs = (step + 7 * t) % kFileSystems;
        auto n = ClusterExportNumber(*store, "fs-" + std::to_string(fs));
        seen[t][fs] = n ? *n : 0;
        if (!n) ADD_FAILURE() << n.error().message();
      }
    });
  for (auto& th : threads) th.join();
  std::set<uint32_t> distinct;
  for (int f = 0; f < kFileSystems; ++f) {
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seen[t][f], seen[0][f]) << "fs " << f;
    EXPECT_NE(seen[0][f], 0u);
    distinct.insert(seen[0][f]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kFileSystems));
}

TEST(ClusterExportNumber, AMalformedRecordIsInvalid) {
  auto store = store::NewMemoryStore();
  store::Transaction txn;
  txn.Put("nfs/export-number", "fs-aaaa", R"({"number":0})");
  txn.Put("nfs/export-counter", "next", R"({"next":"x"})");
  ASSERT_TRUE(store->Commit(txn).ok());
  auto a = ClusterExportNumber(*store, "fs-aaaa");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), Errc::kInvalid);
  auto b = ClusterExportNumber(*store, "fs-bbbb");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), Errc::kInvalid);
}

}  // namespace
}  // namespace elfs::server
