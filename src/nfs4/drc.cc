#include "nfs4/drc.h"

#include <algorithm>

namespace elfs::nfs4 {

namespace {

// FNV-1a, 64 bits: a checksum against a reused xid, not a defence against
// an adversary (who could only make its own replies wrong).
uint64_t Fnv1a(std::span<const uint8_t> bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

DuplicateRequestCache::Key DuplicateRequestCache::MakeKey(std::string client, uint32_t export_id,
                                                          uint32_t xid, uint32_t prog,
                                                          uint32_t vers, uint32_t proc,
                                                          std::span<const uint8_t> args) {
  Key k;
  k.client = std::move(client);
  k.export_id = export_id;
  k.xid = xid;
  k.prog = prog;
  k.vers = vers;
  k.proc = proc;
  k.length = args.size();
  k.checksum = Fnv1a(args.first(std::min(args.size(), kChecksumBytes)));
  return k;
}

size_t DuplicateRequestCache::KeyHash::operator()(const Key& k) const {
  uint64_t h = std::hash<std::string>{}(k.client);
  for (uint64_t v : {uint64_t{k.export_id}, uint64_t{k.xid}, uint64_t{k.proc}, k.length,
                     k.checksum})
    h = (h ^ v) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h);
}

std::optional<xdr::Buffer> DuplicateRequestCache::Find(const Key& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void DuplicateRequestCache::Insert(const Key& key, std::span<const uint8_t> reply) {
  if (reply.size() > max_bytes_ / 16) return;
  std::lock_guard lock(mu_);
  auto [it, fresh] = entries_.try_emplace(key);
  if (!fresh) bytes_ -= it->second.size();
  it->second.assign(reply.begin(), reply.end());
  bytes_ += reply.size();
  if (fresh) order_.push_back(key);
  EvictLocked();
}

void DuplicateRequestCache::EvictLocked() {
  while (!order_.empty() && (entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end()) {
      bytes_ -= it->second.size();
      entries_.erase(it);
    }
    order_.pop_front();
  }
}

size_t DuplicateRequestCache::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

size_t DuplicateRequestCache::bytes() {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace elfs::nfs4
