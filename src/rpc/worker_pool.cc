#include "rpc/worker_pool.h"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace elfs::rpc {

WorkerPool::WorkerPool(size_t min_threads, size_t max_threads,
                       std::chrono::milliseconds idle_timeout)
    : min_threads_(std::max<size_t>(1, min_threads)),
      max_threads_(std::max(max_threads, std::max<size_t>(1, min_threads))),
      idle_timeout_(idle_timeout) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  while (threads_ < min_threads_) Spawn();
}

void WorkerPool::Spawn() {
  ++threads_;
  try {
    workers_.emplace_back([this] { Loop(); });
  } catch (const std::exception& e) {
    // Out of threads: the ones we have will get to the queue eventually.
    --threads_;
    spdlog::warn("rpc: cannot start a worker thread ({} running): {}", threads_, e.what());
  }
}

void WorkerPool::ReapExited() {
  // Threads listed here have left Loop() and released mu_, so joining them
  // under mu_ cannot deadlock.
  for (auto id : exited_) {
    auto it = std::find_if(workers_.begin(), workers_.end(),
                           [id](const std::thread& t) { return t.get_id() == id; });
    if (it != workers_.end()) {
      it->join();
      workers_.erase(it);
    }
  }
  exited_.clear();
}

bool WorkerPool::Submit(WorkItem* item) {
  std::unique_lock lock(mu_);
  if (stopping_) return false;
  item->next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = item;
  } else {
    head_ = item;
  }
  tail_ = item;
  ++queued_;
  if (!started_) return true;  // runs once Start() is called
  // Every queued item beyond the threads not running one would wait: add a
  // thread. (Counting busy rather than idle threads keeps threads that are
  // starting up from being counted as missing.)
  if (queued_ > threads_ - busy_ && threads_ < max_threads_) {
    ReapExited();
    Spawn();
  }
  const bool wake = idle_ > 0;
  lock.unlock();
  // Notified after the lock is released: a worker woken under it would
  // block on mu_ at once (one more sleep and wake per call). Waiters check
  // the queue under mu_, so no item is missed.
  if (wake) cv_.notify_one();
  return true;
}

void WorkerPool::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (head_ != nullptr) {
      WorkItem* item = head_;
      head_ = item->next_;
      if (head_ == nullptr) tail_ = nullptr;
      --queued_;
      ++busy_;
      lock.unlock();
      try {
        item->Run();
      } catch (const std::exception& e) {
        spdlog::error("rpc: worker item threw: {}", e.what());
      } catch (...) {
        spdlog::error("rpc: worker item threw");
      }
      lock.lock();
      --busy_;
      continue;
    }
    if (stopping_) break;
    ++idle_;
    bool woke = cv_.wait_for(lock, idle_timeout_, [this] { return head_ != nullptr || stopping_; });
    --idle_;
    if (!woke && threads_ > min_threads_) break;
  }
  --threads_;
  exited_.push_back(std::this_thread::get_id());
}

void WorkerPool::Stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      // A concurrent or earlier Stop() owns the joining.
      return;
    }
    stopping_ = true;
    // Items queued before Start() would never run otherwise.
    if (!started_ && head_ != nullptr) {
      started_ = true;
      Spawn();
    }
    workers.swap(workers_);
    exited_.clear();
  }
  cv_.notify_all();
  for (auto& t : workers) t.join();
}

size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

}  // namespace elfs::rpc
