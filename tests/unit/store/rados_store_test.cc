// What only the RADOS store promises: several stores (nodes) on one object
// share records, compare-and-swap across them, and each learns of the
// others' commits by watch/notify. Runs on the cluster of ELFS_CEPH_CONF.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "rados_test_env.h"

namespace elfs::store {
namespace {

using namespace std::chrono_literals;

class RadosNodes : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Node() {
    auto s = OpenRadosStore(TestRadosOptions("nodes"));
    EXPECT_TRUE(s) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }
};

// Polls `done` for up to a minute: a generous bound, not a timing assertion.
template <typename F>
bool Eventually(F done) {
  for (auto end = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(10ms)) {
    if (done()) return true;
  }
  return done();
}

struct Seen {
  std::mutex mu;
  std::vector<Key> keys;
  Store::Watcher Watcher() {
    return [this](const std::vector<Key>& changed) {
      std::lock_guard lock(mu);
      keys.insert(keys.end(), changed.begin(), changed.end());
    };
  }
  size_t Count(const Key& k) {
    std::lock_guard lock(mu);
    return std::count(keys.begin(), keys.end(), k);
  }
};

TEST_F(RadosNodes, RecordsAreShared) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Commit(Transaction().Put("efs/file-system", "fs-1", "{}")).ok());
  auto got = b->Get("efs/file-system", "fs-1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->version, 1u);
  ASSERT_TRUE(b->Commit(Transaction().Delete("efs/file-system", "fs-1", 1)).ok());
  EXPECT_FALSE(a->Get("efs/file-system", "fs-1")->has_value());
}

TEST_F(RadosNodes, OtherNodesCommitsReachWatchers) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  Seen on_a, on_b;
  a->Watch(on_a.Watcher());
  b->Watch(on_b.Watcher());
  ASSERT_TRUE(b->Commit(Transaction().Put("ec2/security-group", "sg-1", "{}")).ok());
  EXPECT_EQ(on_b.Count({"ec2/security-group", "sg-1"}), 1u);  // at once, on the committing thread
  ASSERT_TRUE(a->Commit(Transaction().Put("iam/user", "alice", "{}").Delete("iam/user", "bob")).ok());
  EXPECT_TRUE(Eventually([&] { return on_b.Count({"iam/user", "bob"}) == 1; }));
  EXPECT_EQ(on_b.Count({"iam/user", "alice"}), 1u);
  EXPECT_TRUE(Eventually([&] { return on_a.Count({"ec2/security-group", "sg-1"}) == 1; }));
  // A store's own notify comes back to it and is not delivered twice.
  EXPECT_EQ(on_b.Count({"ec2/security-group", "sg-1"}), 1u);
  EXPECT_EQ(on_a.Count({"iam/user", "alice"}), 1u);
}

TEST_F(RadosNodes, CompareAndSwapHasOneWinner) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Commit(Transaction().Put("k", "x", "0")).ok());
  ASSERT_TRUE(a->Commit(Transaction().Put("k", "x", "from a", 1)).ok());
  EXPECT_EQ(b->Commit(Transaction().Put("k", "y", "y").Put("k", "x", "from b", 1)).code(),
            Errc::kConflict);
  EXPECT_FALSE(a->Get("k", "y")->has_value());  // all or nothing
  EXPECT_EQ((*b->Get("k", "x"))->value, "from a");
}

TEST_F(RadosNodes, ConcurrentIncrementsFromTwoNodesAllLand) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Commit(Transaction().Put("k", "counter", "0")).ok());
  constexpr int kPerThread = 15;
  std::atomic<int> conflicts{0}, errors{0};
  auto worker = [&](Store* s) {
    for (int done = 0; done < kPerThread;) {
      auto r = s->Get("k", "counter");
      if (!r || !*r) {
        ++errors;
        return;
      }
      int n = std::stoi((*r)->value);
      // The unconditional put of another key goes through the same sequence.
      Status st = s->Commit(Transaction().Put("k", "counter", std::to_string(n + 1), (*r)->version)
                                .Put("k", "noise", "x"));
      if (st.code() == Errc::kConflict) {
        ++conflicts;
      } else if (!st.ok()) {
        ++errors;
        return;
      } else {
        ++done;
      }
    }
  };
  std::vector<std::thread> threads;
  for (Store* s : {a.get(), a.get(), b.get(), b.get()}) threads.emplace_back(worker, s);
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto c = b->Get("k", "counter");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value, std::to_string(4 * kPerThread));
  EXPECT_EQ((*c)->version, 4u * kPerThread + 1);
  EXPECT_EQ((*a->Get("k", "noise"))->version, 4u * kPerThread);
}

// As SQLite: an expectation sees the transaction's earlier operations.
TEST_F(RadosNodes, ExpectationsSeeEarlierOpsOfTheTransaction) {
  auto a = Node();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Commit(Transaction().Put("k", "a", "1").Put("k", "a", "2", 1)).ok());
  EXPECT_EQ((*a->Get("k", "a"))->version, 2u);
  ASSERT_TRUE(a->Commit(Transaction().Delete("k", "a", 2).Put("k", "a", "new", kMustNotExist)).ok());
  auto got = a->Get("k", "a");
  EXPECT_EQ((*got)->version, 1u);
  EXPECT_EQ((*got)->value, "new");
}

TEST_F(RadosNodes, RefusesKeysItCannotStore) {
  auto a = Node();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->Commit(Transaction().Put(std::string("k\0j", 3), "x", "v")).code(), Errc::kInvalid);
  EXPECT_EQ(a->Commit(Transaction().Put("k", std::string("x\0y", 3), "v")).code(), Errc::kInvalid);
  EXPECT_EQ(a->Commit(Transaction().Put("", "x", "v")).code(), Errc::kInvalid);
  // \x01 separates kind and id in the omap: a kind holding it could alias another's records.
  ASSERT_TRUE(a->Commit(Transaction().Put("k", "j\x01x", "v")).ok());
  EXPECT_EQ(a->Commit(Transaction().Put("k\x01j", "x", "v")).code(), Errc::kInvalid);
  EXPECT_FALSE(a->Get("k\x01j", "x"));
  EXPECT_FALSE(a->List("k\x01j"));
}

TEST_F(RadosNodes, UnreachableClusterIsAnError) {
  RadosStoreOptions o;
  o.conf_path = "/nonexistent/ceph.conf";
  auto s = OpenRadosStore(o);
  ASSERT_FALSE(s);
}

}  // namespace
}  // namespace elfs::store
