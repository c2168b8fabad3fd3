#include "iam/cache.h"

#include <thread>

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

RequestContext Req(const std::string& action) {
  RequestContext r;
  r.principal = Principal::User("111122223333", "alice", "AIDA1");
  r.action = action;
  r.resource = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1";
  r.keys["aws:SecureTransport"] = {"true"};
  return r;
}

std::shared_ptr<const Decision> Allow() {
  auto d = std::make_shared<Decision>();
  d->effect = DecisionEffect::kAllow;
  return d;
}

TEST(Cache, KeyCoversEverythingButVolatileKeys) {
  auto a = Req("elasticfilesystem:ClientMount");
  auto key = DecisionCache::Key(a);
  EXPECT_EQ(DecisionCache::Key(Req("ElasticFileSystem:clientmount")), key);  // actions ignore case
  auto b = a;
  b.keys["aws:CurrentTime"] = {"2024-01-01T00:00:00Z"};
  EXPECT_EQ(DecisionCache::Key(b), key);
  auto c = a;
  c.keys["aws:SecureTransport"] = {"false"};
  EXPECT_NE(DecisionCache::Key(c), key);
  auto d = a;
  d.resource += "0";
  EXPECT_NE(DecisionCache::Key(d), key);
  auto e = a;
  e.principal.tags["team"] = "x";
  EXPECT_NE(DecisionCache::Key(e), key);
  auto f = a;
  f.principal = Principal::User("111122223333", "alicex", "AIDA1");
  EXPECT_NE(DecisionCache::Key(f), key);
  // Length prefixes keep field boundaries apart.
  auto g = a, h = a;
  g.keys.clear();
  h.keys.clear();
  g.keys["k"] = {"ab", "c"};
  h.keys["k"] = {"a", "bc"};
  EXPECT_NE(DecisionCache::Key(g), DecisionCache::Key(h));
}

TEST(Cache, GetPutInvalidate) {
  DecisionCache cache(8);
  auto key = DecisionCache::Key(Req("a:b"));
  EXPECT_EQ(cache.Get(key), nullptr);
  uint64_t gen = cache.generation();
  EXPECT_TRUE(cache.Put(key, Allow(), gen));
  ASSERT_NE(cache.Get(key), nullptr);
  EXPECT_TRUE(cache.Get(key)->allowed());
  cache.Invalidate();
  EXPECT_EQ(cache.Get(key), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  // A decision computed before the invalidation is refused.
  EXPECT_FALSE(cache.Put(key, Allow(), gen));
  EXPECT_EQ(cache.Get(key), nullptr);
  EXPECT_TRUE(cache.Put(key, Allow(), cache.generation()));
  auto s = cache.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 3u);
}

TEST(Cache, TimeDependentDecisionsAreNotStored) {
  DecisionCache cache(8);
  auto d = std::make_shared<Decision>();
  d->time_dependent = true;
  EXPECT_FALSE(cache.Put("k", d, cache.generation()));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(Cache, BoundedLru) {
  DecisionCache cache(3);
  uint64_t gen = cache.generation();
  cache.Put("a", Allow(), gen);
  cache.Put("b", Allow(), gen);
  cache.Put("c", Allow(), gen);
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now the most recent
  cache.Put("d", Allow(), gen);        // evicts b
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_NE(cache.Get("a"), nullptr);
  EXPECT_NE(cache.Get("c"), nullptr);
  EXPECT_NE(cache.Get("d"), nullptr);
  EXPECT_EQ(cache.stats().evictions, 1u);
  cache.Put("a", Allow(), gen);  // replace in place
  EXPECT_EQ(cache.size(), 3u);
}

TEST(Cache, ConcurrentUse) {
  DecisionCache cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = "k" + std::to_string((i * 7 + t) % 100);
        uint64_t gen = cache.generation();
        if (!cache.Get(key)) cache.Put(key, Allow(), gen);
        if (t == 0 && i % 500 == 0) cache.Invalidate();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace elfs::iam
