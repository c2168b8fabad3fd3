#include "rpc/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace elfs::rpc {
namespace {

using namespace std::chrono_literals;

struct Item final : WorkItem {
  void Run() override {
    if (block != nullptr) {
      std::unique_lock lock(*mu);
      cv->wait(lock, [&] { return !*block; });
    }
    ran.fetch_add(1);
  }
  std::atomic<int> ran{0};
  std::mutex* mu = nullptr;
  std::condition_variable* cv = nullptr;
  bool* block = nullptr;
};

TEST(WorkerPool, RunsItemsAndStops) {
  WorkerPool pool(2, 4);
  pool.Start();
  std::vector<Item> items(100);
  for (auto& i : items) ASSERT_TRUE(pool.Submit(&i));
  pool.Stop();  // drains the queue first
  for (auto& i : items) EXPECT_EQ(i.ran.load(), 1);
  Item late;
  EXPECT_FALSE(pool.Submit(&late));
  pool.Stop();
}

TEST(WorkerPool, GrowsWhenAllBlockedThenShrinks) {
  WorkerPool pool(1, 8, 50ms);
  pool.Start();
  std::mutex mu;
  std::condition_variable cv;
  bool block = true;
  std::vector<Item> items(6);
  for (auto& i : items) {
    i.mu = &mu;
    i.cv = &cv;
    i.block = &block;
    ASSERT_TRUE(pool.Submit(&i));
  }
  // Every blocked item got its own thread.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (pool.threads() < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(pool.threads(), 6u);
  {
    std::lock_guard lock(mu);
    block = false;
  }
  cv.notify_all();
  deadline = std::chrono::steady_clock::now() + 5s;
  while (pool.threads() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(pool.threads(), 1u);
  // Exited threads are reaped when new ones start.
  Item again;
  ASSERT_TRUE(pool.Submit(&again));
  pool.Stop();
  EXPECT_EQ(again.ran.load(), 1);
}

TEST(WorkerPool, ItemsQueuedBeforeStartRunAtStop) {
  WorkerPool pool(1, 1);
  Item i;
  ASSERT_TRUE(pool.Submit(&i));
  pool.Stop();
  EXPECT_EQ(i.ran.load(), 1);
}

}  // namespace
}  // namespace elfs::rpc
