// DuplicateRequestCache: the RPC-level reply cache of NFSv4.0 (RFC 7530
// section 3.3.6 leaves it to the server; 4.1 has the session slot cache).
// A 4.0 client that retransmits a non-idempotent call (CREATE, REMOVE,
// RENAME, LINK, SETATTR, WRITE, COMMIT) with the same xid, typically after a
// lost reply, gets the reply of the first execution instead of a second
// execution (which would answer EXIST or NOENT for an operation that
// succeeded). Seqid-bearing operations (OPEN, CLOSE, LOCK ...) have their own
// per-owner replay (state::SeqidAdmission).
//
// Entries are keyed as Linux's server keys them: the client's address and
// port, the xid, program, version, procedure, the request length and a
// checksum of its first bytes; plus the export, since each mount target has
// its own listener. Bounded by entry count and bytes, oldest evicted first.
// A retransmission that arrives while the original still runs is executed
// again (the entry is only made when the reply exists); TCP clients
// retransmit only after a timeout or a reconnect, so this is rare.
//
// Thread safety: thread-safe (one mutex; lookups and inserts are short).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "xdr/xdr.h"

namespace elfs::nfs4 {

class DuplicateRequestCache {
 public:
  struct Key {
    std::string client;  // address and port
    uint32_t export_id = 0;
    uint32_t xid = 0, prog = 0, vers = 0, proc = 0;
    uint64_t length = 0;
    uint64_t checksum = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  // The checksum covers this many leading bytes of the arguments, as
  // Linux's does (hashing whole 1 MiB WRITEs would cost more than it
  // protects: the length, xid and address are in the key too).
  static constexpr size_t kChecksumBytes = 256;

  DuplicateRequestCache(size_t max_entries = 4096, size_t max_bytes = 16u << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  static Key MakeKey(std::string client, uint32_t export_id, uint32_t xid, uint32_t prog,
                     uint32_t vers, uint32_t proc, std::span<const uint8_t> args);

  // The cached reply body for `key`, if any.
  std::optional<xdr::Buffer> Find(const Key& key);
  // Remembers the reply to `key` (replacing an earlier one). Replies larger
  // than a sixteenth of max_bytes are not kept.
  void Insert(const Key& key, std::span<const uint8_t> reply);

  size_t size();
  size_t bytes();

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  void EvictLocked();

  const size_t max_entries_, max_bytes_;
  std::mutex mu_;
  std::unordered_map<Key, xdr::Buffer, KeyHash> entries_;  // GUARDED_BY(mu_)
  std::deque<Key> order_;                                  // GUARDED_BY(mu_), oldest first
  size_t bytes_ = 0;                                       // GUARDED_BY(mu_)
};

}  // namespace elfs::nfs4
