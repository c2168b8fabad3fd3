// Decision cache; see cache.h.
#include "iam/cache.h"

#include <cstdint>

namespace elfs::iam {
namespace {

// Length-prefixed (4 raw bytes), so no two different requests share a key.
// Raw lengths instead of decimal text keep key building cheap: it is most of
// the cost of a cached decision.
void Len(std::string& out, size_t n) {
  uint32_t v = static_cast<uint32_t>(n);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void Field(std::string& out, std::string_view v) {
  Len(out, v.size());
  out.append(v);
}

void LowerField(std::string& out, std::string_view v) {
  Len(out, v.size());
  size_t at = out.size();
  out.append(v);
  for (size_t i = at; i < out.size(); ++i) {
    char c = out[i];
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace

DecisionCache::DecisionCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::string DecisionCache::Key(const RequestContext& r) {
  size_t estimate = 64 + r.action.size() + r.resource.size() + r.principal.arn.size() +
                    r.principal.role_arn.size() + r.principal.user_id.size();
  for (const auto& [key, values] : r.keys) {
    estimate += key.size() + 8;
    for (const auto& v : values) estimate += v.size() + 4;
  }
  std::string k;
  k.reserve(estimate);
  k.push_back(static_cast<char>('0' + static_cast<int>(r.principal.kind)));
  Field(k, r.principal.account);
  Field(k, r.principal.arn);
  Field(k, r.principal.role_arn);
  Field(k, r.principal.user_id);
  Field(k, r.principal.user_name);
  Len(k, r.principal.tags.size());
  for (const auto& [tk, tv] : r.principal.tags) {
    LowerField(k, tk);
    Field(k, tv);
  }
  LowerField(k, r.action);
  Field(k, r.resource);
  for (const auto& [key, values] : r.keys) {
    if (IsVolatileKey(key)) continue;
    LowerField(k, key);  // keys compare case-insensitively
    Len(k, values.size());
    for (const auto& v : values) Field(k, v);
  }
  return k;
}

std::shared_ptr<const Decision> DecisionCache::Get(const std::string& key) {
  const uint64_t gen = generation();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  if (it->second->generation != gen) {
    // Invalidated: drop lazily.
    lru_.erase(it->second);
    index_.erase(it);
    ++stats_.misses;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++stats_.hits;
  return it->second->decision;
}

bool DecisionCache::Put(const std::string& key, std::shared_ptr<const Decision> decision,
                        uint64_t gen) {
  if (!decision || decision->time_dependent) return false;
  std::lock_guard<std::mutex> lock(mu_);
  // Checked under the lock: Invalidate() bumps the generation before it takes
  // the lock to clear, so a Put racing with it either sees the new generation
  // here or is cleared right after.
  if (gen != generation()) return false;
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->generation = gen;
    it->second->decision = std::move(decision);
    lru_.splice(lru_.begin(), lru_, it->second);
    return true;
  }
  lru_.push_front(Entry{key, gen, std::move(decision)});
  index_.emplace(lru_.front().key, lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  return true;
}

void DecisionCache::Invalidate() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard<std::mutex> lock(mu_);
  index_.clear();
  lru_.clear();
}

size_t DecisionCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

DecisionCache::Stats DecisionCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace elfs::iam
