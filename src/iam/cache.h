// A bounded cache of decisions keyed by (principal, action, resource,
// condition keys).
//
// Correctness rests on invalidation: callers call Invalidate() on every
// change of a policy, user, group, membership, role, access key or file
// system policy. Invalidate() bumps a generation counter, so it is O(1) and
// entries of older generations are never returned. A decision computed while
// an invalidation happened is not stored (Put takes the generation read
// before evaluating), so a stale decision cannot outlive the change that made
// it stale.
//
// Keys leave out the volatile keys (aws:CurrentTime, aws:EpochTime); a
// decision that depended on one (Decision::time_dependent) is never stored.
//
// Usage:
//   uint64_t gen = cache.generation();
//   std::string key = DecisionCache::Key(request);
//   if (auto d = cache.Get(key)) return *d;
//   auto d = std::make_shared<const Decision>(Evaluate(policies, request));
//   cache.Put(key, d, gen);
//
// Thread safety: all methods are safe to call concurrently (one mutex; the
// critical sections are a hash lookup and a list splice).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "iam/context.h"
#include "iam/explain.h"

namespace elfs::iam {

class DecisionCache {
 public:
  // REQUIRES: capacity > 0. Least recently used entries are evicted beyond it.
  explicit DecisionCache(size_t capacity = 65536);

  DecisionCache(const DecisionCache&) = delete;
  DecisionCache& operator=(const DecisionCache&) = delete;

  // The cache key of a request: principal (kind, ARN, user id, tags), action
  // (lower-cased), resource and every non-volatile condition key with its
  // values, unambiguously encoded.
  static std::string Key(const RequestContext& request);

  // The current generation; read it before evaluating.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The cached decision for `key`, or nullptr.
  std::shared_ptr<const Decision> Get(const std::string& key);

  // Stores `decision` unless the generation moved past `generation` or the
  // decision is time-dependent. Returns whether it was stored.
  bool Put(const std::string& key, std::shared_ptr<const Decision> decision,
           uint64_t generation);

  // Forgets every decision.
  void Invalidate();

  size_t size() const;
  size_t capacity() const { return capacity_; }

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    uint64_t generation;
    std::shared_ptr<const Decision> decision;
  };
  using List = std::list<Entry>;

  const size_t capacity_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex mu_;
  List lru_;  // front = most recently used; guarded by mu_
  std::unordered_map<std::string_view, List::iterator> index_;  // views into lru_ keys; guarded by mu_
  Stats stats_;  // guarded by mu_
};

}  // namespace elfs::iam
