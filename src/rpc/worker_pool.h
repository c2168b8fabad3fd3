// An elastic pool of threads for RPC calls, which may block on file I/O.
//
// It keeps `min_threads` threads and adds more (up to `max_threads`) when an
// item is queued and no thread is idle, so one connection whose calls all
// block (a hung backend, a huge READ) cannot starve the others; threads
// above the minimum exit after `idle_timeout` without work.
//
// Items are intrusive (WorkItem::next_), so queueing allocates nothing.
//
// Thread safety: all methods are thread-safe. Stop() must not be called
// from a worker thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace elfs::rpc {

class WorkItem {
 public:
  // Runs on a worker thread. Must not throw (the pool logs and swallows).
  virtual void Run() = 0;

 protected:
  ~WorkItem() = default;

 private:
  friend class WorkerPool;
  WorkItem* next_ = nullptr;
};

class WorkerPool {
 public:
  WorkerPool(size_t min_threads, size_t max_threads,
             std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the minimum number of threads. Idempotent.
  void Start();
  // Queues `item` to run once. Returns false (and does not take the item)
  // once Stop() has begun. REQUIRES: `item` stays alive until Run returns.
  bool Submit(WorkItem* item);
  // Runs what is queued, then joins every thread. Idempotent.
  void Stop();

  size_t threads() const;

 private:
  void Spawn();  // REQUIRES: mu_ held
  void ReapExited();  // REQUIRES: mu_ held
  void Loop();

  const size_t min_threads_, max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  WorkItem* head_ = nullptr;  // guarded by mu_
  WorkItem* tail_ = nullptr;
  size_t queued_ = 0;
  size_t threads_ = 0;  // running Loop()
  size_t idle_ = 0;     // waiting for work
  size_t busy_ = 0;     // running an item
  bool started_ = false, stopping_ = false;
  std::vector<std::thread> workers_;
  std::vector<std::thread::id> exited_;  // finished, still to be joined
};

}  // namespace elfs::rpc
